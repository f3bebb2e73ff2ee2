public import BulwarkCore

/// Every PDQ hash within a Hamming distance of a query, with 100% recall: multi-index
/// hashing (Norouzi, Punjani and Fleet, "Fast search in Hamming space with multi-index
/// hashing", CVPR 2012) over 16 substrings of 16 bits.
///
/// If two hashes differ in at most `r` bits, then in at least one of the 16 substrings
/// they differ in at most `r / 16` bits (otherwise they would differ in
/// 16 * (r / 16 + 1) > r bits). So the candidates are the hashes whose substring j equals
/// substring j of the query with at most `r / 16` bits flipped, for some j: at the
/// default radius 31, 17 buckets in each of 16 tables. Every candidate is then checked
/// with the full distance, so the answer is exact.
///
/// Layout: hashes live in slots (four words each) with an external id per slot, in three
/// runs:
/// - the base slots (below `baseCount`), in 16 bucket tables (a sorted, compressed-row layout:
///   for each substring, 65,536 bucket offsets into a postings array of slot numbers);
/// - the recent slots (from `baseCount` to `indexedCount`), in 16 bucket tables of their own;
/// - the pending slots (from `indexedCount` on), added since the tables were last built,
///   checked one by one.
///
/// When the pending slots pass `pendingLimit` they join the recent ones, whose tables alone are
/// built again (``indexPending()``: an O(r) counting sort); only when the recent slots would pass
/// a quarter of the base ones is everything rebuilt (``rebuild()``, O(n)). A set of banks is
/// copied on every change while matching reads the one before, so each rebuild of the base
/// tables holds a second copy of them (120 MB a million) until the change is published: adding
/// 110,000 hashes to a million now builds tables for the 110,000 only. Removal clears a slot's
/// live bit; dead slots are dropped at the next full rebuild. Radii where a run's buckets would
/// hold more than a quarter of its hashes are answered by a linear scan of that run instead (at
/// 1,000,000 hashes: radius 48 and above).
public struct PDQIndex: Sendable {
    public static let substrings = 16
    static let buckets = 1 << 16

    /// Four words per slot, for the base slots (below `baseCount`).
    var hashWords: [UInt64] = []
    /// External id per base slot.
    var ids: [UInt64] = []
    /// The same for the recent slots (from `baseCount` to `indexedCount`), with their own tables
    /// (as `offsets` and `postings`, numbering them from 0).
    var recentWords: [UInt64] = []
    var recentIDs: [UInt64] = []
    var recentOffsets: [UInt32] = []
    var recentPostings: [UInt32] = []
    /// The same for the slots added since the tables were built (from `indexedCount` on), kept
    /// apart: a bank set is copied on every change, and an addition then copies these few, not
    /// the tables' arrays (40 MB for a million hashes).
    var pendingWords: [UInt64] = []
    var pendingIDs: [UInt64] = []
    /// Live bit per slot.
    var live: [UInt64] = []
    var liveCount = 0
    /// Slots below this are in the base tables.
    var baseCount = 0
    /// Slots below this are in bucket tables (base or recent).
    var indexedCount: Int { baseCount + recentIDs.count }
    /// For substring j: bucket b's postings are
    /// postings[j * baseCount + offsets[j * (buckets + 1) + b] ..< ... + offsets[... + b + 1]].
    var offsets: [UInt32] = []
    var postings: [UInt32] = []

    /// The most slots added since the last table build before the tables are rebuilt.
    public var pendingLimit: Int {
        max(4096, indexedCount / 64)
    }

    public init() {}

    /// Number of live hashes.
    public var count: Int { liveCount }
    /// Number of slots, live or removed since the last rebuild.
    public var slotCount: Int { ids.count + recentIDs.count + pendingIDs.count }
    /// Slots in the recent tables (built apart from the base ones, ``indexPending()``).
    public var recentCount: Int { recentIDs.count }
    /// Slots added since the tables were last built (checked one by one).
    public var pendingCount: Int { pendingIDs.count }

    /// Bytes held by the index's arrays.
    public var memoryBytes: Int {
        (hashWords.capacity + ids.capacity + recentWords.capacity + recentIDs.capacity + pendingWords.capacity
            + pendingIDs.capacity + live.capacity) * 8
            + (offsets.capacity + postings.capacity + recentOffsets.capacity + recentPostings.capacity) * 4
    }

    // MARK: Changes

    /// Adds a hash under an external id. Ids need not be unique (the caller's business).
    /// With `deferringRebuild` the tables are not built even when many slots are
    /// pending (a bulk load that calls `indexPending()` or `rebuild()` at its end).
    public mutating func insert(_ hash: PDQHash, id: UInt64, deferringRebuild: Bool = false) {
        appendSlot(hash, id: id)
        if !deferringRebuild && pendingCount > pendingLimit { indexPending() }
    }

    /// A new live slot at the end (pending until the next rebuild).
    private mutating func appendSlot(_ hash: PDQHash, id: UInt64) {
        let slot = slotCount
        for w in 0..<4 { pendingWords.append(hash[word: w]) }
        pendingIDs.append(id)
        if slot / 64 >= live.count { live.append(0) }
        live[slot / 64] |= 1 << UInt64(slot % 64)
        liveCount += 1
    }

    /// Adds many hashes, then builds the tables once.
    public mutating func insert(contentsOf entries: some Sequence<(PDQHash, UInt64)>) {
        for (hash, id) in entries { appendSlot(hash, id: id) }
        if pendingCount > pendingLimit { indexPending() }
    }

    /// Puts the pending slots in bucket tables: they join the recent slots and the recent tables
    /// alone are built again, the base ones shared as they are; or, when the recent slots would
    /// then pass a quarter of the base ones (or there are none), every slot is rebuilt
    /// (``rebuild()``).
    public mutating func indexPending() {
        guard !pendingIDs.isEmpty else { return }
        if baseCount == 0 || 4 * (recentIDs.count + pendingIDs.count) > baseCount {
            rebuild()
        } else {
            buildRecentTables()
        }
    }

    /// Moves the pending slots into the recent ones, keeping their numbers (dead ones too: they
    /// go at the next full rebuild), and builds the recent tables.
    mutating func buildRecentTables() {
        guard !pendingIDs.isEmpty else { return }
        recentWords += pendingWords
        recentIDs += pendingIDs
        pendingWords = []
        pendingIDs = []
        (recentOffsets, recentPostings) = Self.tables(of: recentWords, count: recentIDs.count)
    }

    /// Removes the live entry with this id and hash. Returns whether there was one.
    @discardableResult
    public mutating func remove(_ hash: PDQHash, id: UInt64, deferringRebuild: Bool = false) -> Bool {
        var found: Int? = nil
        forEachCandidateSlot(of: hash, radius: 0) { slot, distance in
            if found == nil && distance == 0 && self.id(slot) == id { found = slot }
        }
        guard let slot = found else { return false }
        live[slot / 64] &= ~(1 << UInt64(slot % 64))
        liveCount -= 1
        if !deferringRebuild && slotCount - liveCount > max(pendingLimit, liveCount / 4) { rebuild() }
        return true
    }

    /// Drops removed slots and puts every slot in the base tables.
    public mutating func rebuild() {
        let oldBase = baseCount, oldIndexed = indexedCount
        // Compact the live slots, the recent then the pending ones after the base ones, to the
        // front. Before the first build every slot is pending: its arrays become the base
        // tables' as they are.
        if ids.isEmpty && recentIDs.isEmpty {
            swap(&hashWords, &pendingWords)
            swap(&ids, &pendingIDs)
        }
        var write = 0
        for slot in 0..<ids.count where isLive(slot) {
            if write != slot {
                for w in 0..<4 { hashWords[4 * write + w] = hashWords[4 * slot + w] }
                ids[write] = ids[slot]
            }
            write += 1
        }
        hashWords.removeLast(hashWords.count - 4 * write)
        ids.removeLast(ids.count - write)
        hashWords.reserveCapacity(hashWords.count + recentWords.count + pendingWords.count)
        ids.reserveCapacity(ids.count + recentIDs.count + pendingIDs.count)
        for k in recentIDs.indices where isLive(oldBase + k) {
            for w in 0..<4 { hashWords.append(recentWords[4 * k + w]) }
            ids.append(recentIDs[k])
            write += 1
        }
        for k in pendingIDs.indices where isLive(oldIndexed + k) {
            for w in 0..<4 { hashWords.append(pendingWords[4 * k + w]) }
            ids.append(pendingIDs[k])
            write += 1
        }
        recentWords = []
        recentIDs = []
        recentOffsets = []
        recentPostings = []
        pendingWords = []
        pendingIDs = []
        live = [UInt64](repeating: 0, count: (write + 63) / 64)
        for slot in 0..<write { live[slot / 64] |= 1 << UInt64(slot % 64) }
        liveCount = write
        (offsets, postings) = Self.tables(of: hashWords, count: write)
        baseCount = write
    }

    /// The bucket tables of `n` slots of four words each: a counting sort of the slots by each
    /// substring.
    static func tables(of words: [UInt64], count n: Int) -> (offsets: [UInt32], postings: [UInt32]) {
        let stride = Self.buckets + 1
        var offsets = [UInt32](repeating: 0, count: Self.substrings * stride)
        var postings = [UInt32](repeating: 0, count: Self.substrings * n)
        words.withUnsafeBufferPointer { h in
            offsets.withUnsafeMutableBufferPointer { o in
                postings.withUnsafeMutableBufferPointer { p in
                    for j in 0..<Self.substrings {
                        let base = j * stride
                        for slot in 0..<n {
                            o[base + Int(Self.substring(h, slot, j)) + 1] += 1
                        }
                        for b in 0..<Self.buckets { o[base + b + 1] += o[base + b] }
                        var next = Array(o[base..<(base + Self.buckets)])
                        for slot in 0..<n {
                            let key = Int(Self.substring(h, slot, j))
                            p[j * n + Int(next[key])] = UInt32(slot)
                            next[key] += 1
                        }
                    }
                }
            }
        }
        return (offsets, postings)
    }

    // MARK: Queries

    /// One hash found by a query.
    public struct Match: Sendable, Hashable {
        public var id: UInt64
        public var distance: Int

        public init(id: UInt64, distance: Int) {
            self.id = id
            self.distance = distance
        }
    }

    /// Every live entry within `radius` bits of `hash` (0 ... 256), nearest first
    /// (ties by id).
    public func search(_ hash: PDQHash, radius: Int) -> [Match] {
        var matches: [Match] = []
        forEachCandidateSlot(of: hash, radius: radius) { slot, distance in
            matches.append(Match(id: id(slot), distance: distance))
        }
        matches.sort { ($0.distance, $0.id) < ($1.distance, $1.id) }
        return matches
    }

    /// Whether `search` answers `radius` with a linear scan of the base slots.
    public func scansLinearly(radius: Int) -> Bool { Self.scansLinearly(radius: radius, count: baseCount) }

    /// Whether a run of `count` slots in bucket tables is better read whole than through its
    /// tables at `radius`.
    static func scansLinearly(radius: Int, count: Int) -> Bool {
        let within = radius / Self.substrings
        guard within <= 3 else { return true }
        let probes = Self.substrings * Self.ballSize(within)
        // Expected candidates (uniform hashes) against the slots a scan reads.
        return probes * count / Self.buckets * 4 > count
    }

    /// Calls `body(slot, distance)` once for every live slot within `radius`.
    func forEachCandidateSlot(of hash: PDQHash, radius: Int, _ body: (Int, Int) -> Void) {
        let radius = min(max(radius, 0), 256)
        let q = (hash[word: 0], hash[word: 1], hash[word: 2], hash[word: 3])
        live.withUnsafeBufferPointer { live in
            Self.forEachCandidate(
                in: hashWords, offsets: offsets, postings: postings, count: baseCount, first: 0, live: live, hash: hash,
                q: q, radius: radius, body)
            Self.forEachCandidate(
                in: recentWords, offsets: recentOffsets, postings: recentPostings, count: recentIDs.count,
                first: baseCount, live: live, hash: hash, q: q, radius: radius, body)
            let first = indexedCount
            pendingWords.withUnsafeBufferPointer { p in
                for k in pendingIDs.indices {
                    let slot = first + k
                    guard (live[slot >> 6] >> UInt64(slot & 63)) & 1 == 1 else { continue }
                    let d = Self.distance(p, k, q)
                    if d <= radius { body(slot, d) }
                }
            }
        }
    }

    /// `forEachCandidateSlot` over one run of `count` slots in bucket tables, numbered from
    /// `first`.
    @inline(__always)
    private static func forEachCandidate(
        in words: [UInt64], offsets: [UInt32], postings: [UInt32], count: Int, first: Int,
        live: UnsafeBufferPointer<UInt64>, hash: PDQHash, q: (UInt64, UInt64, UInt64, UInt64), radius: Int,
        _ body: (Int, Int) -> Void
    ) {
        guard count > 0 else { return }
        words.withUnsafeBufferPointer { h in
            @inline(__always) func isLive(_ slot: Int) -> Bool { (live[slot >> 6] >> UInt64(slot & 63)) & 1 == 1 }
            if scansLinearly(radius: radius, count: count) {
                for k in 0..<count where isLive(first + k) {
                    let d = Self.distance(h, k, q)
                    if d <= radius { body(first + k, d) }
                }
                return
            }
            // Gather the candidates (sequential reads of the postings), then check them in one
            // tight loop, so the processor overlaps the random reads of their hashes.
            let candidates = gatherCandidates(hash, radius: radius, offsets: offsets, postings: postings, count: count)
            var found: [(slot: Int, distance: Int)] = []
            candidates.withUnsafeBufferPointer { c in
                for slot32 in c {
                    let k = Int(slot32)
                    let d = Self.distance(h, k, q)
                    if d <= radius { found.append((k, d)) }
                }
            }
            // A near hash is a candidate in every table where it is near: once each.
            found.sort { $0.slot < $1.slot }
            var previous = -1
            for (k, d) in found where k != previous {
                previous = k
                if isLive(first + k) { body(first + k, d) }
            }
        }
    }

    /// The slots (numbered from 0) in a run's buckets within `radius / 16` bits of the query's
    /// substrings.
    private static func gatherCandidates(
        _ hash: PDQHash, radius: Int, offsets: [UInt32], postings: [UInt32], count n: Int
    ) -> [UInt32] {
        let within = radius / Self.substrings
        let stride = Self.buckets + 1
        var candidates: [UInt32] = []
        candidates.reserveCapacity(Self.substrings * Self.ballSize(within) * (n / Self.buckets + 2))
        offsets.withUnsafeBufferPointer { o in
            postings.withUnsafeBufferPointer { p in
                for j in 0..<Self.substrings {
                    let query = UInt16(truncatingIfNeeded: hash[word: j / 4] >> UInt64(16 * (j % 4)))
                    let table = j * stride
                    let list = j * n
                    Self.forEachKey(within: within, of: query) { key in
                        let lo = Int(o[table + Int(key)]), hi = Int(o[table + Int(key) + 1])
                        if lo < hi { candidates.append(contentsOf: p[(list + lo)..<(list + hi)]) }
                    }
                }
            }
        }
        return candidates
    }

    /// The Hamming distance from the hash of four words at `4 * slot` in `h` to `q`'s.
    @inline(__always)
    static func distance(_ h: UnsafeBufferPointer<UInt64>, _ slot: Int, _ q: (UInt64, UInt64, UInt64, UInt64)) -> Int {
        (h[4 * slot] ^ q.0).nonzeroBitCount + (h[4 * slot + 1] ^ q.1).nonzeroBitCount
            + (h[4 * slot + 2] ^ q.2).nonzeroBitCount + (h[4 * slot + 3] ^ q.3).nonzeroBitCount
    }

    @inline(__always)
    static func substring(_ h: UnsafeBufferPointer<UInt64>, _ slot: Int, _ j: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: h[4 * slot + j >> 2] >> UInt64(16 * (j & 3)))
    }

    /// Number of 16-bit keys within `d` bits of a key.
    static func ballSize(_ d: Int) -> Int {
        var total = 0
        var choose = 1
        for k in 0...d {
            total += choose
            choose = choose * (16 - k) / (k + 1)
        }
        return total
    }

    /// Calls `body` with every 16-bit key within `d` (0 ... 3) bits of `key`.
    @inline(__always)
    static func forEachKey(within d: Int, of key: UInt16, _ body: (UInt16) -> Void) {
        body(key)
        guard d >= 1 else { return }
        for a in 0..<16 {
            let ka = key ^ (1 << UInt16(a))
            body(ka)
            guard d >= 2 else { continue }
            for b in (a + 1)..<16 {
                let kb = ka ^ (1 << UInt16(b))
                body(kb)
                guard d >= 3 else { continue }
                for c in (b + 1)..<16 { body(kb ^ (1 << UInt16(c))) }
            }
        }
    }

    /// The external id of a slot.
    @inline(__always)
    func id(_ slot: Int) -> UInt64 {
        if slot < baseCount { return ids[slot] }
        let indexed = indexedCount
        return slot < indexed ? recentIDs[slot - baseCount] : pendingIDs[slot - indexed]
    }

    /// The hash of a slot.
    func hash(_ slot: Int) -> PDQHash {
        if slot < baseCount {
            return PDQHash(hashWords[4 * slot], hashWords[4 * slot + 1], hashWords[4 * slot + 2], hashWords[4 * slot + 3])
        }
        if slot < indexedCount {
            let k = slot - baseCount
            return PDQHash(recentWords[4 * k], recentWords[4 * k + 1], recentWords[4 * k + 2], recentWords[4 * k + 3])
        }
        let k = slot - indexedCount
        return PDQHash(pendingWords[4 * k], pendingWords[4 * k + 1], pendingWords[4 * k + 2], pendingWords[4 * k + 3])
    }

    @inline(__always)
    private func isLive(_ slot: Int) -> Bool {
        (live[slot / 64] >> UInt64(slot % 64)) & 1 == 1
    }
}
