public import BulwarkBankFiles
public import BulwarkBanks
public import BulwarkCore
public import BulwarkStore
import Foundation
import Synchronization

/// The server's hash banks: the current bank set, which matching reads without waiting for
/// changes (a copy-on-write value swapped after each change is durable), kept in one of two
/// places:
///
/// - a bank directory held open for writing (one process owns the banks); or
/// - the bank log in the database (``shared(store:)``), which every `bulwark` process on that
///   database appends to and reads: a change made through one process is in the others after
///   their next ``sync()`` (``BankSync`` runs it every second), without a restart. A change
///   locks the log (``ModerationStore/appendBankEvents(after:now:making:)``), applies the events
///   other processes appended since this set's, makes the change on top of them and appends it,
///   so it is made once, on the latest banks. Within a process changes also take turns
///   (``ChangeTurns``). (They used to be optimistic, appended only if the log had not moved, else
///   made again: with 16 concurrent additions in each of two processes, one process lost almost
///   every race and refused most of its requests after 100 attempts.)
///
/// `@unchecked Sendable`: the directory (a non-Sendable class) is only touched while `lock`
/// is held; the current set is a value behind its own mutex.
public final class BankRegistry: @unchecked Sendable {
    private let directory: BankDirectory?
    private let store: (any ModerationStore)?
    private let lock = Mutex(())
    private let current: Mutex<(set: BankSet, sequence: Int64)>
    private let turns = ChangeTurns()
    /// The newest snapshot in the database this process knows of (its own, read or written).
    private let knownSnapshot = Mutex<Int64>(0)
    /// Whether the newest snapshot in the database could not be used when this process started:
    /// then it stores one in its place at the first chance, instead of waiting for the log to
    /// grow past it (every process starting meanwhile would replay the whole log).
    private let replaceSnapshot = Mutex(false)
    /// How a shared registry was loaded (nil for a bank directory).
    public private(set) var loaded: SharedBankLoad?

    public init(directory: BankDirectory) {
        current = Mutex((directory.banks, Int64(directory.sequence)))
        self.directory = directory
        self.store = nil
    }

    private init(store: any ModerationStore, set: BankSet, sequence: Int64) {
        current = Mutex((set, sequence))
        knownSnapshot.withLock { $0 = sequence }
        self.directory = nil
        self.store = store
    }

    /// A registry over the database's shared bank log, loaded: from the newest snapshot in the
    /// database and the log's events after it, or, with no snapshot or one that cannot be used
    /// (said in `loaded.notes`), from the whole log.
    public static func shared(store: any ModerationStore) async throws -> BankRegistry {
        let start = ContinuousClock.now
        let (set, sequence, bytes, notes) = await newestSnapshot(in: store)
        let registry = BankRegistry(store: store, set: set, sequence: sequence)
        registry.replaceSnapshot.withLock { $0 = !notes.isEmpty }
        let replayed = try await registry.replayInPlace(store)
        let elapsed = ContinuousClock.now - start
        registry.loaded = SharedBankLoad(
            snapshotSequence: sequence, snapshotBytes: bytes, replayedEvents: replayed,
            milliseconds: Int(elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
            notes: notes)
        return registry
    }

    /// The newest snapshot in the database as a bank set, with the sequence it covers and its
    /// size; an empty set at 0 when there is none or it cannot be used, with a note saying why.
    static func newestSnapshot(in store: any ModerationStore) async -> (BankSet, Int64, Int, [String]) {
        do {
            guard var record = try await store.latestBankSnapshot() else { return (BankSet(), 0, 0, []) }
            let byteCount = record.byteCount
            // The parts handed over, so that the loader lets each go once read past.
            let parts = record.partBytes
            record.partBytes = []
            var letGo = 0
            let (set, covered) = try BankSet.load(snapshotParts: consume parts) {
                letGo += 1
                if letGo % 4 == 0 { MemoryTrim.giveBack() }
            }
            guard covered == UInt64(record.sequence) else {
                throw BankSnapshotError("it says it covers \(covered) events but is stored as covering \(record.sequence)")
            }
            // The log must reach it: a set ahead of the log would append after a gap.
            guard try await store.bankEvents(after: record.sequence - 1, limit: 1).first?.seq == record.sequence else {
                throw BankSnapshotError("it covers \(record.sequence) events but the bank log has fewer")
            }
            return (set, record.sequence, byteCount, [])
        } catch {
            return (BankSet(), 0, 0, ["the bank snapshot in the database was not used (\(error)); the whole bank log was replayed"])
        }
    }

    /// The banks as they are now.
    public var banks: BankSet { current.withLock { $0.set } }
    /// The sequence number of the last event in `banks`.
    public var sequence: Int64 { current.withLock { $0.sequence } }
    /// Whether the banks live in the database, shared by every process on it.
    public var isShared: Bool { store != nil }

    /// Makes a change durable (the directory's event log with fsync, or the database's bank
    /// log), then publishes the new set. With the database's log, `body` runs on the latest
    /// banks, other processes' changes included, while the log is locked.
    public func change<T: Sendable>(
        _ body: (inout BankSet) throws(BulwarkError) -> (T, [BankEvent])
    ) async throws -> T {
        guard let store else {
            return try lock.withLock { _ in
                guard let directory else { throw BulwarkError(.invalidData, "no bank directory") }
                let result = try directory.change(body)
                let updated = (directory.banks, Int64(directory.sequence))
                current.withLock { $0 = updated }
                return result
            }
        }
        await turns.take()
        defer { turns.pass() }
        let (set, sequence) = current.withLock { $0 }
        var made: (result: T, set: BankSet)?
        let last = try await store.appendBankEvents(after: sequence, now: Int64(Date().timeIntervalSince1970)) {
            newer throws -> BankLogLines in
            // The changes other processes made since this set's, first; then this one on top.
            var copy = set
            try copy.apply(contentsOf: try Self.decode(newer, after: sequence))
            let (result, events) = try body(&copy)
            made = (result, copy)
            let start = UInt64(newer.last?.seq ?? sequence)
            return BankLogLines(count: events.count) { range in
                range.map { i in BankEventLine.encode(events[i], sequence: start + UInt64(i) + 1) }
            }
        }
        guard let made else { throw BulwarkError(.invalidData, "the bank change was not made") }
        // Unless a concurrent sync already read these events from the log, publish the set as the
        // body made it (the same as replaying the log up to `last`).
        current.withLock { if $0.sequence < last { $0 = (made.set, last) } }
        return made.result
    }

    /// Reads the events other processes appended to the shared bank log since this set's and
    /// applies them; returns how many. Does nothing for a bank directory.
    @discardableResult
    public func sync() async throws -> Int {
        guard let store else { return 0 }
        var applied = 0
        while true {
            let sequence = current.withLock { $0.sequence }
            // Read in pages, applied in batches of up to `syncBatch` events: each application
            // copies the set once and may rebuild the PDQ index, so a process reading a long
            // change (an import of a million entries) does that a few times, not once per page.
            var page = try await store.bankEvents(after: sequence, limit: Self.syncPage)
            while page.count < Self.syncBatch, page.count % Self.syncPage == 0, let end = page.last {
                let more = try await store.bankEvents(after: end.seq, limit: Self.syncPage)
                if more.isEmpty { break }
                page += more
            }
            guard let last = page.last else { return applied }
            // The set of that sequence; a change published meanwhile has read the log past it:
            // read again.
            let taken = current.withLock { c -> BankSet? in c.sequence == sequence ? c.set : nil }
            guard let set = taken else { continue }
            // On a thread of its own: 100,000 events applied to a million entries (decoding them,
            // copying the set, rebuilding its PDQ index) take about a second.
            let events = page
            let updated = try await DedicatedThread.run("bank-sync") { () throws(BulwarkError) -> BankSet in
                var updated = set
                try updated.apply(contentsOf: try Self.decode(events, after: sequence))
                return updated
            }
            let published = current.withLock { c in
                guard c.sequence == sequence else { return false }
                c = (updated, last.seq)
                return true
            }
            if published { applied += page.count }
        }
    }

    /// The log's events after the loaded set's, applied to it in place: at start-up
    /// (``shared(store:)``, before the registry is returned) nothing else reads the set. Unlike
    /// ``sync()``, which applies to a copy (a copy of a set of a million entries copies each of
    /// its parts the events touch: 500 events copied most of its 256 tables of active entries,
    /// 100 MB), and builds the PDQ index's tables as ``BankSet/replay(part:)`` says, not after
    /// every batch when due.
    /// A page is decoded and applied while the next is read; only a page is held, not a batch
    /// (a start from the whole log of a million entries held 200,000 events). Returns how many
    /// were applied.
    private func replayInPlace(_ store: any ModerationStore) async throws -> Int {
        var (set, sequence) = current.withLock { c in
            defer { c.set = BankSet() }
            return c
        }
        var applied = 0
        var next = Task { [sequence] in try await store.bankEvents(after: sequence, limit: Self.syncPage) }
        defer { next.cancel() }
        while true {
            let page = try await next.value
            guard let last = page.last else { break }
            next = Task { try await store.bankEvents(after: last.seq, limit: Self.syncPage) }
            let handover = SetHandover(consume set)
            let after = sequence
            set = try await DedicatedThread.run("bank-sync") { () throws(BulwarkError) -> BankSet in
                var updated = handover.take()
                try updated.replay(part: try Self.decode(page, after: after))
                return updated
            }
            sequence = last.seq
            applied += page.count
        }
        if applied > 0 {
            let handover = SetHandover(consume set)
            set = await DedicatedThread.run("bank-sync") { () -> BankSet in
                var updated = handover.take()
                updated.rebuildIndexIfDue()
                return updated
            }
        }
        current.withLock { $0 = (set, sequence) }
        return applied
    }

    /// Stores a snapshot of the shared banks in the database when the log has grown by at least
    /// `every` events, and by a tenth of the newest snapshot's, since that snapshot (so a large
    /// set is written when it has grown by a tenth, not on every `every` events); nothing when
    /// another process stores one first. When the newest snapshot could not be used at start-up,
    /// this process's replaces it at once. Returns the bytes stored (0: none). `every` 0: never.
    @discardableResult
    public func snapshotIfDue(every: Int, now: Int64, partBytes: Int = BankRegistry.snapshotPartBytes) async throws -> Int {
        guard let store, every > 0 else { return 0 }
        let (set, sequence) = current.withLock { $0 }
        let replacing = replaceSnapshot.withLock { $0 } && sequence > 0
        if !replacing {
            func due(_ snapshot: Int64) -> Bool { sequence - snapshot >= max(Int64(every), snapshot / 10) }
            guard due(knownSnapshot.withLock { $0 }) else { return 0 }
            // Another process may have stored one since: ask before making 100 MB of bytes.
            let stored = try await store.bankSnapshotSequence()
            knownSnapshot.withLock { $0 = max($0, stored) }
            guard due(stored) else { return 0 }
        }
        // Made on a thread of its own (a million entries take about two seconds), a part at a time
        // as the store writes them.
        let bytes = try await store.saveBankSnapshot(sequence: sequence, now: now, replacing: replacing) {
            let byteCount = await DedicatedThread.run("bank-snapshot") { set.snapshotByteCount }
            return DedicatedThread.parts("bank-snapshot", byteCount: byteCount, partBytes: partBytes) { emit in
                set.writeSnapshot(sequence: UInt64(sequence), partBytes: partBytes, to: emit)
            }
        }
        if replacing { replaceSnapshot.withLock { $0 = false } }
        if bytes > 0 { knownSnapshot.withLock { $0 = max($0, sequence) } }
        return bytes
    }

    /// The bank-log sequence number the newest snapshot covers: the newest in the database this
    /// process knows of, or the bank directory's (0: none).
    public var snapshotSequence: Int64 {
        if let directory { return lock.withLock { _ in Int64(directory.snapshotSequence) } }
        return knownSnapshot.withLock { $0 }
    }

    /// Writes a snapshot when many events have piled up since the last one (a bank directory's).
    public func checkpoint() throws {
        guard let directory else { return }
        try lock.withLock { _ in try directory.saveSnapshot() }
    }
}

extension BankRegistry {
    /// The size of a stored snapshot's parts (one row each): 4 MiB, well under PostgreSQL's
    /// 1 GB for one value and SQLite's 1 GB for one blob, and a message size postgres-nio
    /// handles comfortably.
    public static let snapshotPartBytes = 4 << 20

    /// Events the log grows by before a process stores a snapshot (``snapshotIfDue(every:now:partBytes:)``'s
    /// `every`), unless told otherwise (`--bank-snapshot-every`).
    public static let standardSnapshotEvery = 10_000

    /// Bank-log events read at a time, and applied at a time, by ``sync()``.
    static let syncPage = 10_000
    static let syncBatch = 200_000

    /// The events of consecutive log entries that follow `after`.
    static func decode(_ entries: [BankLogEntry], after: Int64) throws(BulwarkError) -> [BankEvent] {
        var events: [BankEvent] = []
        events.reserveCapacity(entries.count)
        var expected = after + 1
        for entry in entries {
            let (seq, event) = try BankEventLine.decode(entry.event)
            guard entry.seq == expected, Int64(seq) == entry.seq else {
                throw BulwarkError(.invalidData, "bank log event \(entry.seq) is out of sequence (expected \(expected))")
            }
            events.append(event)
            expected += 1
        }
        return events
    }
}

/// How a process loaded the shared banks from the database.
public struct SharedBankLoad: Sendable {
    /// The bank-log sequence number the snapshot it started from covers (0: none used).
    public var snapshotSequence: Int64
    /// That snapshot's size in bytes.
    public var snapshotBytes: Int
    /// Bank-log events replayed after the snapshot (all of them without one).
    public var replayedEvents: Int
    /// Time from the first read to the banks ready.
    public var milliseconds: Int
    /// Why a stored snapshot was not used, if one was not.
    public var notes: [String]

    /// One line for the process's log.
    public var summary: String {
        let from = snapshotSequence > 0 ? "a snapshot at event \(snapshotSequence) (\(snapshotBytes) bytes) and " : ""
        return "banks loaded from \(from)\(replayedEvents) bank-log events in \(milliseconds) ms"
    }
}

/// Turns for the shared bank changes of one process: one at a time, in order of arrival,
/// without holding a thread while waiting.
final class ChangeTurns: Sendable {
    private let state = Mutex<(busy: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    /// Waits for this caller's turn.
    func take() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.busy {
                    s.waiting.append(continuation)
                    return false
                }
                s.busy = true
                return true
            }
            if now { continuation.resume() }
        }
    }

    /// Ends the caller's turn: the next waiting caller's begins.
    func pass() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiting.isEmpty {
                s.busy = false
                return nil
            }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}

/// A bank set handed to another thread without a second reference to it: taken there, it is
/// held once, and a change is made in place when nothing else holds it.
private final class SetHandover: Sendable {
    private let set: Mutex<BankSet?>

    init(_ set: consuming BankSet) { self.set = Mutex(consume set) }

    func take() -> BankSet { set.withLock { $0.take() } ?? BankSet() }
}
