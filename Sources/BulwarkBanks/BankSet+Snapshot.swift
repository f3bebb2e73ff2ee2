public import BulwarkCore

/// A whole bank set as bytes: banks, every entry (removed ones too) and the PDQ index,
/// so a store opens by reading one file instead of replaying its log and rebuilding the
/// index from scratch.
///
/// `BWBANK01`, the log sequence number the snapshot covers (u64), the bank count (u32)
/// and each bank, the entry count (u64) and each entry, the PDQ index's own bytes
/// (length-prefixed, see `PDQIndex.serialized()`), then FNV-1a 64 of everything before.
/// Strings are u32 length + UTF-8; integers little-endian.
extension BankSet {
    static let snapshotMagic: [UInt8] = Array("BWBANK01".utf8)

    /// The snapshot, written into one buffer of its exact size, counted first: a buffer grown as
    /// it was written held up to twice the snapshot while it grew, and the index was written to a
    /// buffer of its own, then copied (a million PDQ entries: about 260 MiB of snapshot).
    public func snapshot(sequence: UInt64) -> [UInt8] {
        var whole: [UInt8] = []
        writeSnapshot(sequence: sequence, partBytes: Int.max) {
            whole = $0
            return true
        }
        return whole
    }

    /// The length of ``snapshot(sequence:)`` (and of the parts ``writeSnapshot(sequence:partBytes:to:)``
    /// gives), counted without writing it.
    public var snapshotByteCount: Int { snapshotByteCount(banks.values.sorted { $0.name < $1.name }) }

    /// Writes ``snapshot(sequence:)`` a part at a time: `emit` is given each part, in order, as soon
    /// as it is made, every part `partBytes` long but the last (which may be shorter, and is the
    /// only one of an empty set). At most one part and what was written past it are held at once,
    /// so a store can write a million entries' snapshot (260 MB) without ever holding it whole.
    /// The checksums (the index's and the snapshot's) are summed as the bytes leave. When `emit`
    /// returns false no more parts are made.
    public func writeSnapshot(sequence: UInt64, partBytes: Int, to emit: @escaping ([UInt8]) -> Bool) {
        let sortedBanks = banks.values.sorted { $0.name < $1.name }
        let byteCount = snapshotByteCount(sortedBanks)
        var w = ByteWriter(byteCount: byteCount, partBytes: partBytes, emit: emit)
        w.bytes(Self.snapshotMagic)
        w.u64(sequence)
        w.u32(UInt32(sortedBanks.count))
        for bank in sortedBanks {
            w.string(bank.name)
            w.string(bank.kind.rawValue)
            w.u8(bank.quarantined ? 1 : 0)
            w.u32(UInt32(bank.pdqThreshold))
            w.strings(bank.labels)
            w.string(bank.description)
            w.i64(bank.createdAt)
        }
        w.u64(UInt64(entries.count))
        for entry in entries {
            guard !w.stopped else { return }
            w.u64(entry.id)
            w.string(entry.bank)
            w.string(entry.signal.type.rawValue)
            w.signalValue(entry.signal)
            w.strings(entry.labels)
            w.string(entry.source)
            w.provenance(entry.storedProvenance)
            w.i64(entry.addedAt)
            w.i64(entry.removedAt ?? Int64.min)
        }
        w.u64(UInt64(pdqIndex.serializedByteCount))
        pdqIndex.serialize(into: &w)
        w.u64(w.checksum())
        assert(w.stopped || w.written == byteCount, "snapshot of \(w.written) bytes, counted \(byteCount)")
        w.finish()
    }

    /// The length of ``snapshot(sequence:)``, field by field as it writes them.
    private func snapshotByteCount(_ sortedBanks: [Bank]) -> Int {
        func string(_ s: String) -> Int { 4 + s.utf8.count }
        func strings(_ list: [String]) -> Int { list.reduce(4) { $0 + string($1) } }
        var count = 8 + 8 + 4
        for bank in sortedBanks {
            count += string(bank.name) + string(bank.kind.rawValue) + 1 + 4 + strings(bank.labels) + string(bank.description) + 8
        }
        count += 8
        for entry in entries {
            count += 8 + string(entry.bank) + string(entry.signal.type.rawValue) + 4 + entry.signal.valueByteCount
            count += strings(entry.labels) + string(entry.source) + 4 + entry.storedProvenance.utf8Count + 16
        }
        return count + 8 + pdqIndex.serializedByteCount + 8
    }

    /// Loads a snapshot: the bank set and the log sequence number it covers.
    public static func load(snapshot bytes: [UInt8]) throws(BulwarkError) -> (BankSet, sequence: UInt64) {
        try load(snapshotParts: [bytes])
    }

    /// Loads a snapshot from its parts as stored, in order, without joining them: each part is
    /// let go once read past (the caller hands them over), so a million entries' snapshot
    /// (260 MB) is not held whole beside the set it makes. Offsets in errors count from the
    /// snapshot's first byte.
    public static func load(
        snapshotParts parts: consuming [[UInt8]], partLetGo: @escaping () -> Void = {}
    ) throws(BulwarkError) -> (BankSet, sequence: UInt64) {
        let count = parts.reduce(0) { $0 + $1.count }
        guard count >= 24, parts.lazy.joined().prefix(8).elementsEqual(snapshotMagic) else {
            throw BulwarkError(.invalidData, "bank snapshot: not a Bulwark bank snapshot (no \"BWBANK01\")", offset: 0)
        }
        let checksumAt = count - 8
        var sum = FNV1a64()
        var stored: UInt64 = 0
        var base = 0
        for k in parts.indices {
            sum.add(parts[k], base: base, to: min(checksumAt, base + parts[k].count))
            let from = max(0, checksumAt - base)
            if from < parts[k].count {
                for i in from..<parts[k].count {
                    stored |= UInt64(parts[k][i]) << UInt64(8 * (base + i - checksumAt))
                }
            }
            base += parts[k].count
        }
        guard stored == sum.value else {
            throw BulwarkError(.invalidData, "bank snapshot: checksum mismatch (the file is damaged)", offset: checksumAt)
        }
        // Fields end where the checksum starts: none may be read from it.
        var r = ByteReader(parts: consume parts, what: "bank snapshot", end: checksumAt, partLetGo: partLetGo)
        try r.skip(8)
        let sequence = try r.u64()
        var set = BankSet()
        let bankCount = try r.u32()
        for _ in 0..<bankCount {
            let at = r.at
            let name = try r.string()
            guard let kind = Bank.Kind(rawValue: try r.string()) else {
                throw BulwarkError(.invalidData, "bank snapshot: unknown bank kind", offset: at)
            }
            let quarantined = try r.u8() == 1
            let threshold = Int(try r.u32())
            let labels = try r.strings()
            let description = try r.string()
            let createdAt = try r.i64()
            let bank = try Bank(
                name: name, kind: kind, quarantined: quarantined, pdqThreshold: threshold, labels: labels,
                description: description, createdAt: createdAt)
            try set.apply(.putBank(bank))
        }
        let entryCount = try r.u64()
        // An entry takes at least 48 bytes (id, six lengths, two times): a larger count would
        // reserve about 112 bytes of memory for each byte of the file before failing.
        guard entryCount <= UInt64((checksumAt - r.at) / 48) else {
            throw BulwarkError(.invalidData, "bank snapshot: impossible entry count \(entryCount)", offset: r.at - 8)
        }
        // Each entry is applied as it is read, without touching the index (it comes from the
        // file), and a removed one removed at once: a signal removed from a bank and added to it
        // again later is two entries of the same bank and signal, and only the later one may be
        // active when it is added. (Collecting the entries first held a second copy of them all.)
        set.reserveCapacity(entries: Int(entryCount))
        set.skipIndex = true
        for _ in 0..<entryCount {
            let at = r.at
            let id = try r.u64()
            let bank = try r.string()
            guard let type = SignalType(rawValue: try r.string()) else {
                throw BulwarkError(.invalidData, "bank snapshot: unknown signal type in entry \(id)", offset: at)
            }
            let signal = try r.signal(type)
            let labels = try r.strings()
            let source = try r.string()
            let provenance = try r.provenance()
            let addedAt = try r.i64()
            let removedAt = try r.i64()
            try set.apply(
                .add(
                    BankEntry(
                        id: id, bank: bank, signal: signal, labels: labels, source: source,
                        storedProvenance: provenance, addedAt: addedAt)))
            if removedAt != Int64.min { try set.apply(.remove(entryID: id, at: removedAt)) }
        }
        set.skipIndex = false
        // vPDQ entries' frames were added without building the tables (the snapshot has none).
        set.rebuildVideoIndex()
        let indexLength = try r.u64()
        guard indexLength <= UInt64(checksumAt - r.at) else {
            throw BulwarkError(.invalidData, "bank snapshot: index length \(indexLength) overruns the file", offset: r.at - 8)
        }
        let indexAt = r.at
        guard r.at + Int(indexLength) == checksumAt else {
            throw BulwarkError(
                .invalidData, "bank snapshot: \(checksumAt - r.at - Int(indexLength)) unexpected bytes before the checksum",
                offset: r.at + Int(indexLength))
        }
        // Read from the parts as they are: joined first, the index's bytes were held whole beside
        // the index made from them.
        let index = try PDQIndex(reading: &r, length: Int(indexLength))
        guard set.adoptIndex(index) else {
            throw BulwarkError(.invalidData, "bank snapshot: the PDQ index does not hold exactly the active PDQ entries", offset: indexAt)
        }
        return (set, sequence)
    }
}

/// Writes fields into a buffer and hands it on a part at a time (`partBytes`; `Int.max`: one
/// part, the whole). FNV-1a 64 checksums of everything written, and of a section of it (the PDQ
/// index's own bytes), are summed over the bytes before they leave.
struct ByteWriter {
    var out: [UInt8] = []
    let partBytes: Int
    let emit: ([UInt8]) -> Bool
    /// Bytes handed on so far: the offset of `out[0]` in the whole.
    private(set) var emitted = 0
    /// `emit` said to stop: nothing more is kept or handed on.
    private(set) var stopped = false
    private var total = FNV1a64()
    private var section: FNV1a64?

    /// A writer whose `out` is the whole (`snapshot` and `PDQIndex.serialized()`).
    init(capacity: Int = 0) {
        self.init(byteCount: capacity, partBytes: Int.max) { _ in true }
    }

    init(byteCount: Int, partBytes: Int, emit: @escaping ([UInt8]) -> Bool) {
        self.partBytes = max(1, partBytes)
        self.emit = emit
        out.reserveCapacity(Self.partCapacity(byteCount: byteCount, partBytes: self.partBytes))
    }

    /// A part's buffer: the part and the largest field that can run past it (a string up to a
    /// part long) without growing, or the whole when smaller.
    private static func partCapacity(byteCount: Int, partBytes: Int) -> Int {
        partBytes >= byteCount ? byteCount : min(byteCount, partBytes.multipliedReportingOverflow(by: 2).partialValue)
    }

    /// Bytes written so far, handed on or not.
    var written: Int { emitted + out.count }

    mutating func bytes(_ b: [UInt8]) { out.append(contentsOf: b); flushIfFull() }
    mutating func u8(_ v: UInt8) { out.append(v); flushIfFull() }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }; flushIfFull() }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }; flushIfFull() }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func string(_ s: String) {
        u32(UInt32(s.utf8.count))
        out.append(contentsOf: s.utf8)
        flushIfFull()
    }
    /// An entry's provenance as ``string(_:)`` writes its text (a row's without a string made).
    mutating func provenance(_ provenance: Provenance) {
        u32(UInt32(provenance.utf8Count))
        provenance.appendText(to: &out)
        flushIfFull()
    }
    /// A signal's value as ``string(_:)`` writes it.
    mutating func signalValue(_ signal: Signal) {
        u32(UInt32(signal.valueByteCount))
        signal.appendValue(to: &out)
        flushIfFull()
    }
    mutating func strings(_ list: [String]) {
        u32(UInt32(list.count))
        for s in list { string(s) }
    }

    /// Starts a section checksum here.
    mutating func beginSection() { section = FNV1a64(from: written) }

    /// The section's checksum: every byte written since ``beginSection()``.
    mutating func sectionChecksum() -> UInt64 {
        guard var s = section else { return 0 }
        s.add(out, base: emitted, to: written)
        section = nil
        return s.value
    }

    /// The checksum of every byte written so far.
    mutating func checksum() -> UInt64 {
        total.add(out, base: emitted, to: written)
        return total.value
    }

    /// Hands on what is left (the last part; none when the parts before it ended at the end).
    mutating func finish() {
        guard !stopped, !out.isEmpty || emitted == 0 else { return }
        if !emit(out) { stopped = true }
        emitted += out.count
        out = []
    }

    private mutating func flushIfFull() {
        while out.count >= partBytes {
            guard !stopped else {
                out.removeAll(keepingCapacity: true)
                return
            }
            total.add(out, base: emitted, to: emitted + partBytes)
            section?.add(out, base: emitted, to: emitted + partBytes)
            var part = out
            let rest = Array(out[partBytes...])
            part.removeLast(part.count - partBytes)
            out = rest
            out.reserveCapacity(partBytes.multipliedReportingOverflow(by: 2).partialValue)
            emitted += partBytes
            if !emit(part) { stopped = true }
        }
    }
}

/// FNV-1a 64 summed over bytes as they are written, from an offset of the whole.
struct FNV1a64 {
    private(set) var value = PDQIndex.fnv1a64([])
    /// The offset, in the whole, up to which bytes are summed.
    private(set) var upTo: Int

    init(from offset: Int = 0) { upTo = offset }

    /// Sums the bytes of `buffer` (whose first byte is at `base` in the whole) from ``upTo`` to `end`.
    mutating func add(_ buffer: [UInt8], base: Int, to end: Int) {
        guard end > upTo else { return }
        value = PDQIndex.fnv1a64(buffer[(upTo - base)..<(end - base)], from: value)
        upTo = end
    }
}

/// Reads fields from parts of bytes in order, across their boundaries, letting each part go
/// once read past: only the part being read (with the end of the one before, when a field runs
/// across) is held by the reader.
struct ByteReader {
    private var parts: [[UInt8]]
    /// The next part to bring in.
    private var next = 0
    /// The bytes being read: a part, or the unread end of one joined with the parts after it.
    private var buffer: [UInt8] = []
    private var position = 0
    /// The offset of `buffer[0]` in the whole.
    private var bufferStart = 0
    let what: String
    /// Reads stop here.
    let end: Int
    /// Called each time a part read past has been let go.
    private let partLetGo: () -> Void

    init(parts: consuming [[UInt8]], what: String, end: Int, partLetGo: @escaping () -> Void = {}) {
        self.parts = parts
        self.what = what
        self.end = end
        self.partLetGo = partLetGo
    }

    /// The offset of the next byte to read, in the whole.
    var at: Int { bufferStart + position }

    /// Fails unless `n` bytes are there before `end`.
    private func check(_ n: Int) throws(BulwarkError) {
        guard n >= 0, at <= end, n <= end - at else {
            throw BulwarkError(
                .invalidData, "\(what): truncated (\(n) bytes needed at byte \(at) of \(end))", offset: at)
        }
    }

    /// `n` bytes from `at` in `buffer`, bringing parts in as needed (a part that starts where
    /// the buffer ends is taken as it is, not copied).
    private mutating func need(_ n: Int) throws(BulwarkError) {
        try check(n)
        bringIn(n)
    }

    /// ``need(_:)`` once ``check(_:)`` has passed for at least `n` bytes.
    private mutating func bringIn(_ n: Int) {
        guard buffer.count - position < n else { return }
        if position == buffer.count, next < parts.count, parts[next].count >= n {
            bufferStart += buffer.count
            let wasPart = !buffer.isEmpty
            buffer = parts[next]
            parts[next] = []
            next += 1
            position = 0
            if wasPart { partLetGo() }
            return
        }
        var joined: [UInt8] = []
        joined.reserveCapacity(n + (next < parts.count ? parts[next].count : 0))
        joined.append(contentsOf: buffer[position...])
        while joined.count < n, next < parts.count {
            joined.append(contentsOf: parts[next])
            parts[next] = []
            next += 1
        }
        bufferStart += position
        let wasPart = !buffer.isEmpty
        buffer = joined
        position = 0
        if wasPart { partLetGo() }
    }

    mutating func skip(_ n: Int) throws(BulwarkError) {
        try need(n)
        position += n
    }

    mutating func u8() throws(BulwarkError) -> UInt8 {
        try need(1)
        defer { position += 1 }
        return buffer[position]
    }

    mutating func u32() throws(BulwarkError) -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(buffer[position + k]) << UInt32(8 * k) }
        position += 4
        return v
    }

    mutating func u64() throws(BulwarkError) -> UInt64 {
        try need(8)
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(buffer[position + k]) << UInt64(8 * k) }
        position += 8
        return v
    }

    mutating func i64() throws(BulwarkError) -> Int64 { Int64(bitPattern: try u64()) }

    /// The next `n` bytes, in one piece.
    mutating func bytes(_ n: Int) throws(BulwarkError) -> ArraySlice<UInt8> {
        try need(n)
        defer { position += n }
        return buffer[position..<(position + n)]
    }

    /// `count` little-endian integers, read a word at a time from each part in turn: the bytes
    /// are not joined first (a million entries' PDQ index is 116 MB), only a word that runs
    /// across two parts is.
    mutating func words<T: FixedWidthInteger>(_ count: Int) throws(BulwarkError) -> [T] {
        let size = MemoryLayout<T>.size
        guard count >= 0, count <= (end - at) / size else {
            throw BulwarkError(
                .invalidData, "\(what): truncated (\(count) words of \(size) bytes needed at byte \(at) of \(end))", offset: at)
        }
        return [T](unsafeUninitializedCapacity: count) { out, initialized in
            initialized = 0
            while initialized < count {
                bringIn(size)
                let n = min((buffer.count - position) / size, count - initialized)
                let from = position
                buffer.withUnsafeBytes { raw in
                    for i in 0..<n {
                        out[initialized + i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: from + i * size, as: T.self))
                    }
                }
                position += n * size
                initialized += n
            }
        }
    }

    /// FNV-1a 64 of the next `n` bytes, read where they are, and not read past.
    func checksum(ofNext n: Int) throws(BulwarkError) -> UInt64 {
        try check(n)
        var remaining = n
        let here = min(n, buffer.count - position)
        var sum = PDQIndex.fnv1a64(buffer[position..<(position + here)])
        remaining -= here
        var k = next
        while remaining > 0, k < parts.count {
            let take = min(remaining, parts[k].count)
            sum = PDQIndex.fnv1a64(parts[k][..<take], from: sum)
            remaining -= take
            k += 1
        }
        return sum
    }

    mutating func string() throws(BulwarkError) -> String {
        try field { String(decoding: $0, as: UTF8.self) }
    }

    /// An entry's provenance, read where its bytes are (no string made for a row's).
    mutating func provenance() throws(BulwarkError) -> Provenance {
        try field { Provenance(utf8: $0) }
    }

    /// A signal's value, checked where its bytes are (no string made for it).
    mutating func signal(_ type: SignalType) throws(BulwarkError) -> Signal {
        try field { bytes throws(BulwarkError) in try Signal(type, utf8: bytes) }
    }

    /// A field of a length (u32) and that many bytes, handed to `make` where they are.
    private mutating func field<T>(_ make: (UnsafeBufferPointer<UInt8>) throws(BulwarkError) -> T) throws(BulwarkError) -> T {
        let n = Int(try u32())
        try need(n)
        defer { position += n }
        let start = position
        return try buffer.withUnsafeBufferPointer { bytes in
            Result { () throws(BulwarkError) in try make(UnsafeBufferPointer(rebasing: bytes[start..<(start + n)])) }
        }.get()
    }

    mutating func strings() throws(BulwarkError) -> [String] {
        let n = Int(try u32())
        try check(n * 4)
        return try (0..<n).map { _ throws(BulwarkError) in try string() }
    }
}
