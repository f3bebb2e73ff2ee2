public import BulwarkBanks
public import BulwarkCore
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Banks kept in a directory: an append-only event log (`events.jsonl`, the source of
/// truth) and a snapshot of the whole bank set with its PDQ index (`snapshot.bin`), so
/// opening reads the snapshot and replays only the events after it instead of
/// rebuilding everything.
///
/// Durability: `record` writes the events in one `write` and `fsync`s before it
/// returns; a change is acknowledged only after that. A crash can leave a torn last
/// line, which was never acknowledged: opening drops it (and says so in `notes`). A
/// damaged line anywhere else is an error naming the line: nothing is skipped silently.
/// A damaged or stale snapshot is ignored (noted) and the log is replayed in full.
///
/// One writer at a time: opening for writing takes an exclusive `flock` on `lock`,
/// opening for reading a shared one; a directory held by another process is an error at once
/// (a running server holds its bank directory for writing).
public final class BankDirectory {
    public let path: String
    public private(set) var banks: BankSet
    /// The sequence number of the last event recorded.
    public private(set) var sequence: UInt64
    /// The sequence number the snapshot on disk covers.
    public private(set) var snapshotSequence: UInt64
    /// How the directory was opened: events replayed, snapshot used or not, torn line dropped.
    public private(set) var notes: [String] = []
    /// Events replayed from the log when opening (the rest came from the snapshot).
    public private(set) var replayedEvents = 0
    /// Write a snapshot when this many events were recorded since the last one.
    public var snapshotEvery = 10_000

    private let lockFD: Int32
    private let writable: Bool

    var logPath: String { path + "/events.jsonl" }
    var snapshotPath: String { path + "/snapshot.bin" }

    public init(path: String, writable: Bool) throws(BulwarkError) {
        self.path = path
        self.writable = writable
        if writable {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw BulwarkError(.invalidData, "cannot create the bank directory \(path): \(error.localizedDescription)")
            }
        } else if !FileManager.default.fileExists(atPath: path) {
            throw BulwarkError(.invalidData, "no bank directory at \(path) (create a bank first: bulwark bank create NAME)")
        }
        let fd = open(path + "/lock", (writable ? (O_RDWR | O_CREAT) : O_RDONLY) | O_CLOEXEC, 0o644)
        if fd < 0 && !writable {
            // A directory never written has no lock file: nothing to share.
            lockFD = -1
        } else {
            guard fd >= 0 else { throw Self.posix("cannot open \(path)/lock") }
            guard flock(fd, (writable ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
                let busy = errno == EWOULDBLOCK
                close(fd)
                if busy {
                    throw BulwarkError(
                        .invalidData,
                        "the bank directory \(path) is in use by another process (a running `bulwark serve` holds it: change banks through its API)")
                }
                throw Self.posix("cannot lock \(path)/lock")
            }
            lockFD = fd
        }
        banks = BankSet()
        sequence = 0
        snapshotSequence = 0
        do {
            try load()
        } catch {
            if lockFD >= 0 { close(lockFD) }
            throw error
        }
    }

    deinit {
        if lockFD >= 0 { close(lockFD) }
    }

    // MARK: Loading

    private func load() throws(BulwarkError) {
        if let bytes = Self.read(snapshotPath) {
            do {
                let (set, covered) = try BankSet.load(snapshot: bytes)
                banks = set
                snapshotSequence = covered
                sequence = covered
            } catch {
                notes.append("snapshot ignored (\(error.message)); replaying the whole log")
                banks = BankSet()
                snapshotSequence = 0
                sequence = 0
            }
        }
        guard let log = Self.read(logPath) else {
            if sequence > 0 {
                notes.append("snapshot ignored: it covers \(sequence) events but there is no log")
                banks = BankSet()
                sequence = 0
                snapshotSequence = 0
            }
            return
        }
        var pending: [BankEvent] = []
        var lineNumber = 0
        var start = 0
        var lastSequence: UInt64 = 0
        var tornAt: Int? = nil
        while start < log.count {
            lineNumber += 1
            let newline = log[start...].firstIndex(of: UInt8(ascii: "\n"))
            let end = newline ?? log.count
            let decoded: LoggedEvent
            do {
                decoded = try LoggedEvent.decode(log[start..<end])
            } catch {
                if newline == nil {
                    tornAt = start  // never acknowledged: the write did not finish
                    break
                }
                throw Self.invalidLine(logPath, lineNumber, error)
            }
            guard decoded.seq == lastSequence + 1 else {
                throw BulwarkError(
                    .invalidData, "bank log \(logPath): event \(decoded.seq) follows \(lastSequence)", line: lineNumber)
            }
            lastSequence = decoded.seq
            if decoded.seq > sequence {
                pending.append(try decoded.event(line: lineNumber))
            }
            start = end + 1
        }
        if lastSequence < sequence {
            notes.append("snapshot ignored: it covers \(sequence) events, the log has \(lastSequence)")
            banks = BankSet()
            sequence = 0
            snapshotSequence = 0
            return try load(replayingAll: log, tornAt: tornAt)
        }
        try banks.apply(contentsOf: pending)
        replayedEvents = pending.count
        sequence = lastSequence
        if let tornAt { try dropTornLine(at: tornAt, of: log.count) }
    }

    private func load(replayingAll log: [UInt8], tornAt: Int?) throws(BulwarkError) {
        var events: [BankEvent] = []
        var lineNumber = 0
        for line in log[..<(tornAt ?? log.count)].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            let decoded: LoggedEvent
            do { decoded = try LoggedEvent.decode(line) } catch { throw Self.invalidLine(logPath, lineNumber, error) }
            events.append(try decoded.event(line: lineNumber))
            sequence = decoded.seq
        }
        try banks.apply(contentsOf: events)
        replayedEvents = events.count
        if let tornAt { try dropTornLine(at: tornAt, of: log.count) }
    }

    private static func invalidLine(_ path: String, _ line: Int, _ error: BulwarkError) -> BulwarkError {
        BulwarkError(
            .invalidData, "bank log \(path): line \(line) is not a valid event: \(error.message)", field: error.field,
            line: line, offset: error.offset)
    }

    private func dropTornLine(at offset: Int, of size: Int) throws(BulwarkError) {
        notes.append("dropped an unfinished last line of the log (\(size - offset) bytes at byte \(offset)), never acknowledged")
        guard writable else { return }
        guard truncate(logPath, off_t(offset)) == 0 else { throw Self.posix("cannot truncate \(logPath)") }
    }

    // MARK: Recording

    /// Appends events to the log and makes them durable. Call after the change was made
    /// on `banks` (through `change`).
    public func change<T>(_ body: (inout BankSet) throws(BulwarkError) -> (T, [BankEvent])) throws(BulwarkError) -> T {
        guard writable else { throw BulwarkError(.invalidData, "bank directory \(path) is open read-only") }
        var copy = banks
        let (result, events) = try body(&copy)
        try record(events)
        banks = copy
        return result
    }

    /// Appends events, in one write, then fsync.
    private func record(_ events: [BankEvent]) throws(BulwarkError) {
        guard !events.isEmpty else { return }
        var out: [UInt8] = []
        var seq = sequence
        for event in events {
            seq += 1
            LoggedEvent.encode(event, sequence: seq, into: &out)
        }
        let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.posix("cannot open \(logPath)") }
        defer { close(fd) }
        var written = 0
        while written < out.count {
            let n = out.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            guard n > 0 else { throw Self.posix("cannot write \(logPath)") }
            written += n
        }
        guard fsync(fd) == 0 else { throw Self.posix("cannot fsync \(logPath)") }
        sequence = seq
        if sequence - snapshotSequence >= UInt64(snapshotEvery) { try saveSnapshot() }
    }

    /// Writes the snapshot (to a temporary file, fsync, rename), 4 MiB at a time as it is made,
    /// never whole in memory.
    public func saveSnapshot() throws(BulwarkError) {
        guard writable, sequence != snapshotSequence else { return }
        let temporary = snapshotPath + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.posix("cannot create \(temporary)") }
        var failure: BulwarkError? = nil
        banks.writeSnapshot(sequence: sequence, partBytes: Self.snapshotWriteBytes) { part in
            var written = 0
            while written < part.count {
                let n = part.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                guard n > 0 else {
                    failure = Self.posix("cannot write \(temporary)")
                    return false
                }
                written += n
            }
            return true
        }
        if let failure {
            close(fd)
            throw failure
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw Self.posix("cannot fsync \(temporary)")
        }
        close(fd)
        guard rename(temporary, snapshotPath) == 0 else { throw Self.posix("cannot rename \(temporary)") }
        snapshotSequence = sequence
    }

    /// How much of a snapshot is written to its file at once.
    static let snapshotWriteBytes = 4 << 20

    // MARK: Helpers

    private static func read(_ path: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return [UInt8](data)
    }

    private static func posix(_ what: String) -> BulwarkError {
        BulwarkError(.invalidData, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// One line of the event log.
struct LoggedEvent {
    var seq: UInt64
    var op: String
    var bank: String? = nil
    var kind: String? = nil
    var quarantined: Bool? = nil
    var pdq_threshold: Int? = nil
    var description: String? = nil
    var id: UInt64? = nil
    var type: String? = nil
    var value: String? = nil
    var labels: [String]? = nil
    var source: String? = nil
    var provenance: String? = nil
    var at: Int64? = nil

    /// Reads a line's fields (`JSONObjectReader`: the replay of a million took 70% of its time in
    /// `JSONDecoder`). Unknown fields are skipped, `null` is a missing field, as `JSONDecoder`
    /// had them; an error names the field and the byte offset.
    static func decode(_ line: UnsafeBufferPointer<UInt8>) throws(BulwarkError) -> LoggedEvent {
        var reader = JSONObjectReader(line)
        var seq: UInt64? = nil
        var op: String? = nil
        var event = LoggedEvent(seq: 0, op: "")
        while let key = try reader.nextKey() {
            switch key {
            case "seq": seq = try reader.unsignedInteger()
            case "op": op = try reader.string()
            case "bank": event.bank = try reader.optionalString()
            case "kind": event.kind = try reader.optionalString()
            case "quarantined": event.quarantined = try reader.optionalBool()
            case "pdq_threshold": event.pdq_threshold = try reader.optionalInteger().map { Int($0) }
            case "description": event.description = try reader.optionalString()
            case "id": event.id = try reader.optionalUnsignedInteger()
            case "type": event.type = try reader.optionalString()
            case "value": event.value = try reader.optionalString()
            case "labels": event.labels = try reader.optionalStringArray()
            case "source": event.source = try reader.optionalString()
            case "provenance": event.provenance = try reader.optionalString()
            case "at": event.at = try reader.optionalInteger()
            default: try reader.skipValue()
            }
        }
        guard let seq else { throw BulwarkError(.missingField, "a bank log event has no seq", field: "seq") }
        guard let op else { throw BulwarkError(.missingField, "bank log event \(seq) has no op", field: "op") }
        event.seq = seq
        event.op = op
        return event
    }

    /// ``decode(_:)`` of a line's bytes in place when they are contiguous (a native string's, a
    /// file's slice), else copied.
    static func decode(_ line: some Collection<UInt8>) throws(BulwarkError) -> LoggedEvent {
        func read(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<LoggedEvent, BulwarkError> {
            do { return .success(try decode(bytes)) } catch { return .failure(error) }
        }
        if let read = line.withContiguousStorageIfAvailable(read) { return try read.get() }
        return try Array(line).withUnsafeBufferPointer(read).get()
    }

    func event(line: Int) throws(BulwarkError) -> BankEvent {
        func missing(_ field: String) -> BulwarkError {
            BulwarkError(.missingField, "bank log event \(seq) (\(op)) has no \(field)", field: field, line: line)
        }
        do throws(BulwarkError) {
            switch op {
            case "bank":
                guard let bank else { throw missing("bank") }
                guard let kind = Bank.Kind(rawValue: kind ?? "") else { throw missing("kind") }
                return .putBank(
                    try Bank(
                        name: bank, kind: kind, quarantined: quarantined ?? false,
                        pdqThreshold: pdq_threshold ?? Bank.defaultPDQThreshold, labels: labels ?? [],
                        description: description ?? "", createdAt: at ?? 0))
            case "add":
                guard let id else { throw missing("id") }
                guard let bank else { throw missing("bank") }
                guard let type = SignalType(rawValue: type ?? "") else { throw missing("type") }
                guard let value else { throw missing("value") }
                return .add(
                    BankEntry(
                        id: id, bank: bank, signal: try Signal(type, value), labels: labels ?? [], source: source ?? "",
                        provenance: provenance ?? "", addedAt: at ?? 0))
            case "relabel":
                guard let id else { throw missing("id") }
                return .relabel(entryID: id, labels: labels ?? [])
            case "remove":
                guard let id else { throw missing("id") }
                return .remove(entryID: id, at: at ?? 0)
            default:
                throw BulwarkError(.invalidField, "bank log event \(seq) has unknown op \"\(op)\"", field: "op", line: line)
            }
        } catch {
            throw error.at(line: line)
        }
    }

    /// Hand-written JSON (fast for bulk imports; read back by `decode`).
    static func encode(_ event: BankEvent, sequence: UInt64, into out: inout [UInt8]) {
        func key(_ k: String) {
            out.append(UInt8(ascii: ","))
            appendJSONString(k, to: &out)
            out.append(UInt8(ascii: ":"))
        }
        func string(_ k: String, _ v: String) {
            key(k)
            appendJSONString(v, to: &out)
        }
        func number(_ k: String, _ v: some BinaryInteger) {
            key(k)
            out.append(contentsOf: String(v).utf8)
        }
        func strings(_ k: String, _ list: [String]) {
            key(k)
            out.append(UInt8(ascii: "["))
            for (i, s) in list.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendJSONString(s, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "{\"seq\":\(sequence)".utf8)
        switch event {
        case .putBank(let bank):
            string("op", "bank")
            string("bank", bank.name)
            string("kind", bank.kind.rawValue)
            key("quarantined")
            out.append(contentsOf: (bank.quarantined ? "true" : "false").utf8)
            number("pdq_threshold", bank.pdqThreshold)
            strings("labels", bank.labels)
            string("description", bank.description)
            number("at", bank.createdAt)
        case .add(let entry):
            string("op", "add")
            number("id", entry.id)
            string("bank", entry.bank)
            string("type", entry.signal.type.rawValue)
            string("value", entry.signal.value)
            strings("labels", entry.labels)
            string("source", entry.source)
            string("provenance", entry.provenance)
            number("at", entry.addedAt)
        case .relabel(let id, let labels):
            string("op", "relabel")
            number("id", id)
            strings("labels", labels)
        case .remove(let id, let at):
            string("op", "remove")
            number("id", id)
            number("at", at)
        }
        out.append(contentsOf: "}\n".utf8)
    }
}

/// Bank events as single JSON lines, the event log's format: what a shared bank log in a
/// database stores, so every process replays the same events the same way.
public enum BankEventLine {
    /// One event as a JSON object, without the newline.
    public static func encode(_ event: BankEvent, sequence: UInt64) -> String {
        var out: [UInt8] = []
        LoggedEvent.encode(event, sequence: sequence, into: &out)
        if out.last == UInt8(ascii: "\n") { out.removeLast() }
        return String(decoding: out, as: UTF8.self)
    }

    /// The sequence number and the event of one line.
    public static func decode(_ line: String) throws(BulwarkError) -> (sequence: UInt64, event: BankEvent) {
        let decoded = try LoggedEvent.decode(line.utf8)
        return (decoded.seq, try decoded.event(line: 0))
    }
}
