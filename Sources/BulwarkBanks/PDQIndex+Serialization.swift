public import BulwarkCore

/// The index as bytes, so a restart loads it instead of rebuilding it:
///
/// | field | size |
/// |---|---|
/// | magic `BWPDQX01` | 8 |
/// | slots n, indexed m, live count, postings length (16 m) | 4 × u64 |
/// | hash words | 4n × u64 |
/// | ids | n × u64 |
/// | live bits | ceil(n / 64) × u64 |
/// | bucket offsets (m > 0 only) | 16 × 65,537 × u32 |
/// | postings | 16 m × u32 |
/// | FNV-1a 64 of everything before | u64 |
///
/// The tables written are the base ones (m slots); the recent slots are written after them with
/// the pending ones, and loading builds their tables again when there are more than
/// ``PDQIndex/pendingLimit`` (so the layout is the one of before the recent tables).
///
/// All little-endian. Loading checks the sizes, the checksum and every offset and posting
/// the searches index with (each table must list every slot once, in its own bucket), so a
/// damaged or crafted file is an error, never a crash or an entry that searches cannot find.
extension PDQIndex {
    static let magic: [UInt8] = Array("BWPDQX01".utf8)

    public func serialized() -> [UInt8] {
        var w = ByteWriter(capacity: serializedByteCount)
        serialize(into: &w)
        return w.out
    }

    /// The length of ``serialized()``.
    var serializedByteCount: Int {
        let m = baseCount
        return 8 + 32 + slotCount * 40 + live.count * 8 + (m > 0 ? offsets.count * 4 + postings.count * 4 : 0) + 8
    }

    /// Writes ``serialized()`` to `w` (a bank snapshot writes the index among its own bytes, a
    /// part at a time, instead of a copy of it).
    func serialize(into w: inout ByteWriter) {
        let n = slotCount
        let m = baseCount
        w.beginSection()
        w.bytes(Self.magic)
        w.u64(UInt64(n))
        w.u64(UInt64(m))
        w.u64(UInt64(liveCount))
        w.u64(UInt64(m > 0 ? postings.count : 0))
        for v in hashWords { w.u64(v) }
        for v in recentWords { w.u64(v) }
        for v in pendingWords { w.u64(v) }
        for id in ids { w.u64(id) }
        for id in recentIDs { w.u64(id) }
        for id in pendingIDs { w.u64(id) }
        for v in live { w.u64(v) }
        if m > 0 {
            for o in offsets { w.u32(o) }
            for p in postings { w.u32(p) }
        }
        w.u64(w.sectionChecksum())
    }

    public init(serialized bytes: [UInt8]) throws(BulwarkError) {
        var reader = ByteReader(parts: [bytes], what: "PDQ index file", end: bytes.count)
        try self.init(reading: &reader, length: bytes.count)
    }

    /// The index whose `length` bytes `r` reads next (a bank snapshot's parts: read where they
    /// are, not joined); offsets in errors are the reader's.
    init(reading r: inout ByteReader, length: Int) throws(BulwarkError) {
        let base = r.at
        func invalid(_ message: String, _ offset: Int) -> BulwarkError {
            BulwarkError(.invalidData, "PDQ index file: \(message)", offset: base + offset)
        }
        guard length >= 48 else { throw invalid("truncated (\(length) bytes)", length) }
        // Summed before anything is read (the reader lets its parts go as it reads them), and
        // compared with the stored sum once the sections are read, before any is checked; their
        // lengths are bounded first by the header matching `length`.
        let sum = try r.checksum(ofNext: length - 8)
        guard try r.bytes(8).elementsEqual(Self.magic) else {
            throw invalid("not a Bulwark PDQ index (no \"BWPDQX01\" at the start)", 0)
        }
        let n64 = try r.u64(), m64 = try r.u64(), live64 = try r.u64(), p64 = try r.u64()
        guard n64 < 1 << 32, m64 <= n64, live64 <= n64 else {
            throw invalid("impossible counts: \(n64) slots, \(m64) indexed, \(live64) live", 8)
        }
        let n = Int(n64), m = Int(m64)
        // Compared as read: a length of 2^63 or more is no Int.
        guard p64 == UInt64(m > 0 ? Self.substrings * m : 0) else {
            throw invalid("postings length \(p64) does not match \(m) indexed slots", 32)
        }
        let liveWords = (n + 63) / 64
        let stride = Self.buckets + 1
        let expected = 40 + 8 * (4 * n + n + liveWords) + (m > 0 ? 4 * (Self.substrings * stride + Self.substrings * m) : 0) + 8
        guard length == expected else {
            throw invalid("is \(length) bytes, its header says \(expected)", length)
        }
        var index = PDQIndex()
        // The slots in the bucket tables, then those added since they were built.
        index.hashWords = try r.words(4 * m)
        index.pendingWords = try r.words(4 * (n - m))
        index.ids = try r.words(m)
        index.pendingIDs = try r.words(n - m)
        index.live = try r.words(liveWords)
        let postingsAt = 40 + 40 * n + 8 * liveWords + 4 * Self.substrings * stride
        if m > 0 {
            index.offsets = try r.words(Self.substrings * stride)
            index.postings = try r.words(Self.substrings * m)
        }
        guard try r.u64() == sum else {
            throw invalid("checksum mismatch (the file is damaged)", expected - 8)
        }
        let counted = index.live.reduce(0) { $0 + $1.nonzeroBitCount }
        guard counted == Int(live64), n % 64 == 0 || (index.live.last ?? 0) >> UInt64(n % 64) == 0 else {
            throw invalid("live bits do not match the live count \(live64)", 40 + 40 * n)
        }
        index.liveCount = counted
        if m > 0 {
            let offsetsAt = 40 + 40 * n + 8 * liveWords
            for j in 0..<Self.substrings {
                guard index.offsets[j * stride] == 0, Int(index.offsets[j * stride + Self.buckets]) == m else {
                    throw invalid("bucket offsets of substring \(j) do not span the postings", offsetsAt + 4 * j * stride)
                }
                for b in 0..<Self.buckets where index.offsets[j * stride + b] > index.offsets[j * stride + b + 1] {
                    throw invalid("bucket offsets of substring \(j) go backwards at bucket \(b)", offsetsAt + 4 * (j * stride + b))
                }
            }
            for (i, p) in index.postings.enumerated() where Int(p) >= m {
                throw invalid("posting \(i) names slot \(p) of \(m)", postingsAt + 4 * i)
            }
            // Each table must be what rebuild() writes: every slot once, in the bucket of its own
            // substring, ascending within a bucket. Otherwise a search could miss a live entry (one
            // table is all that a hash within 31 bits of it may share with it). Checked in
            // rebuild()'s order: slots ascending, each taking the next place in its bucket.
            var next = [UInt32](repeating: 0, count: Self.buckets)
            for j in 0..<Self.substrings {
                let table = j * stride
                for b in 0..<Self.buckets { next[b] = index.offsets[table + b] }
                let word = j >> 2
                let shift = UInt64(16 * (j & 3))
                for slot in 0..<m {
                    let key = Int(UInt16(truncatingIfNeeded: index.hashWords[4 * slot + word] >> shift))
                    let place = Int(next[key])
                    guard place < Int(index.offsets[table + key + 1]), index.postings[j * m + place] == UInt32(slot)
                    else {
                        throw invalid(
                            "the postings of substring \(j) do not list slot \(slot) in its bucket \(key)",
                            postingsAt + 4 * (j * m + min(place, m - 1)))
                    }
                    next[key] += 1
                }
            }
        }
        index.baseCount = m
        // The slots written after the base ones in tables of their own, when there are many.
        if index.pendingCount > index.pendingLimit { index.buildRecentTables() }
        self = index
    }

    /// FNV-1a 64 of `bytes`, going on from `value` (the sum of the bytes before them; by default
    /// none).
    static func fnv1a64(_ bytes: ArraySlice<UInt8>, from value: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var h = value
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return h
    }
}
