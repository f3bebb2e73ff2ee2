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
        let sortedBanks = banks.values.sorted { $0.name < $1.name }
        let byteCount = snapshotByteCount(sortedBanks)
        var w = ByteWriter(capacity: byteCount)
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
            w.u64(entry.id)
            w.string(entry.bank)
            w.string(entry.signal.type.rawValue)
            w.string(entry.signal.value)
            w.strings(entry.labels)
            w.string(entry.source)
            w.string(entry.provenance)
            w.i64(entry.addedAt)
            w.i64(entry.removedAt ?? Int64.min)
        }
        w.u64(UInt64(pdqIndex.serializedByteCount))
        pdqIndex.serialize(into: &w.out)
        w.u64(PDQIndex.fnv1a64(w.out[...]))
        assert(w.out.count == byteCount, "snapshot of \(w.out.count) bytes, counted \(byteCount)")
        return w.out
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
            count += 8 + string(entry.bank) + string(entry.signal.type.rawValue) + string(entry.signal.value)
            count += strings(entry.labels) + string(entry.source) + string(entry.provenance) + 16
        }
        return count + 8 + pdqIndex.serializedByteCount + 8
    }

    /// Loads a snapshot: the bank set and the log sequence number it covers.
    public static func load(snapshot bytes: [UInt8]) throws(BulwarkError) -> (BankSet, sequence: UInt64) {
        guard bytes.count >= 24, Array(bytes[0..<8]) == snapshotMagic else {
            throw BulwarkError(.invalidData, "bank snapshot: not a Bulwark bank snapshot (no \"BWBANK01\")", offset: 0)
        }
        let checksumAt = bytes.count - 8
        var tail = ByteReader(bytes, what: "bank snapshot")
        tail.at = checksumAt
        guard try tail.u64() == PDQIndex.fnv1a64(bytes[0..<checksumAt]) else {
            throw BulwarkError(.invalidData, "bank snapshot: checksum mismatch (the file is damaged)", offset: checksumAt)
        }
        // Fields end where the checksum starts: none may be read from it.
        var r = ByteReader(bytes, what: "bank snapshot", end: checksumAt)
        r.at = 8
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
            let signal = try Signal(type, try r.string())
            let labels = try r.strings()
            let source = try r.string()
            let provenance = try r.string()
            let addedAt = try r.i64()
            let removedAt = try r.i64()
            try set.apply(
                .add(
                    BankEntry(
                        id: id, bank: bank, signal: signal, labels: labels, source: source, provenance: provenance,
                        addedAt: addedAt)))
            if removedAt != Int64.min { try set.apply(.remove(entryID: id, at: removedAt)) }
        }
        set.skipIndex = false
        let indexLength = try r.u64()
        guard indexLength <= UInt64(checksumAt - r.at) else {
            throw BulwarkError(.invalidData, "bank snapshot: index length \(indexLength) overruns the file", offset: r.at - 8)
        }
        let indexBytes = Array(bytes[r.at..<(r.at + Int(indexLength))])
        r.at += Int(indexLength)
        guard r.at == checksumAt else {
            throw BulwarkError(.invalidData, "bank snapshot: \(checksumAt - r.at) unexpected bytes before the checksum", offset: r.at)
        }
        let index = try PDQIndex(serialized: indexBytes)
        guard set.adoptIndex(index) else {
            throw BulwarkError(.invalidData, "bank snapshot: the PDQ index does not hold exactly the active PDQ entries", offset: checksumAt - Int(indexLength))
        }
        return (set, sequence)
    }
}

struct ByteWriter {
    var out: [UInt8] = []

    init(capacity: Int = 0) {
        out.reserveCapacity(capacity)
    }

    mutating func bytes(_ b: [UInt8]) { out.append(contentsOf: b) }
    mutating func u8(_ v: UInt8) { out.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func string(_ s: String) {
        u32(UInt32(s.utf8.count))
        out.append(contentsOf: s.utf8)
    }
    mutating func strings(_ list: [String]) {
        u32(UInt32(list.count))
        for s in list { string(s) }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    let what: String
    /// Reads stop here (the data's end by default).
    let end: Int
    var at = 0

    init(_ bytes: [UInt8], what: String, end: Int? = nil) {
        self.bytes = bytes
        self.what = what
        self.end = min(end ?? bytes.count, bytes.count)
    }

    private func need(_ n: Int) throws(BulwarkError) {
        guard n >= 0, at <= end, n <= end - at else {
            throw BulwarkError(
                .invalidData, "\(what): truncated (\(n) bytes needed at byte \(at) of \(end))", offset: at)
        }
    }

    mutating func u8() throws(BulwarkError) -> UInt8 {
        try need(1)
        defer { at += 1 }
        return bytes[at]
    }

    mutating func u32() throws(BulwarkError) -> UInt32 {
        try need(4)
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[at + k]) << UInt32(8 * k) }
        at += 4
        return v
    }

    mutating func u64() throws(BulwarkError) -> UInt64 {
        try need(8)
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[at + k]) << UInt64(8 * k) }
        at += 8
        return v
    }

    mutating func i64() throws(BulwarkError) -> Int64 { Int64(bitPattern: try u64()) }

    mutating func string() throws(BulwarkError) -> String {
        let n = Int(try u32())
        try need(n)
        defer { at += n }
        return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
    }

    mutating func strings() throws(BulwarkError) -> [String] {
        let n = Int(try u32())
        try need(n * 4)
        return try (0..<n).map { _ throws(BulwarkError) in try string() }
    }
}
