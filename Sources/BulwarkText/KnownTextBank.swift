public import BulwarkCore

/// A bank of known violating texts, matched exactly (hash of the normalised text) and as
/// near-duplicates (MinHash over character shingles, with locality-sensitive hashing), so a
/// propaganda text re-posted with small edits is still recognised.
public struct KnownTextBank: Sendable {
    public struct Entry: Sendable, Hashable {
        public var id: String
        public var category: Category?
        /// Where the entry comes from (a list name, a case id).
        public var source: String

        public init(id: String, category: Category? = nil, source: String) {
            self.id = id
            self.category = category
            self.source = source
        }
    }

    public struct Match: Sendable, Hashable {
        public var entry: Entry
        /// 1 for an exact match of the normalised text; otherwise the estimated Jaccard similarity.
        public var similarity: Double
        public var exact: Bool
    }

    /// Shingle length in Unicode scalars of normalised text.
    public let shingleLength: Int
    /// Estimated Jaccard similarity at or above which a text is a near-duplicate.
    public let nearDuplicateThreshold: Double
    /// Shortest normalised text (bytes) considered for near-duplicate matching; shorter texts match exactly only.
    public let minimumNearDuplicateBytes: Int

    /// MinHash bins (a power of two: a bin is the hash masked).
    static let bins = 64
    static let bands = 16
    static let rows = 4

    private var entries: [Entry] = []
    /// Hash of the normalised text → entry.
    private var exact = KeyTable()
    private var signatures: [[UInt32]] = []
    /// Per band: band key → index into `bandLists`, the entries with that key in the order added.
    private var bandIndex: [KeyTable] = Array(repeating: KeyTable(), count: KnownTextBank.bands)
    private var bandLists: [[Int32]] = []

    public init(shingleLength: Int = 5, nearDuplicateThreshold: Double = 0.6, minimumNearDuplicateBytes: Int = 40) {
        self.shingleLength = shingleLength
        self.nearDuplicateThreshold = nearDuplicateThreshold
        self.minimumNearDuplicateBytes = minimumNearDuplicateBytes
    }

    public var count: Int { entries.count }

    /// Adds a known text (already normalised).
    public mutating func add(_ text: NormalizedText, entry: Entry) {
        let index = entries.count
        entries.append(entry)
        exact.set(Hashing.fnv1a(text.bytes), Int32(index))
        let signature = self.signature(of: text)
        signatures.append(signature)
        guard !signature.isEmpty else { return }
        signature.withUnsafeBufferPointer { sig in
            for band in 0..<Self.bands {
                let key = Self.bandKey(sig, band)
                if let list = bandIndex[band].value(key) {
                    bandLists[Int(list)].append(Int32(index))
                } else {
                    bandIndex[band].set(key, Int32(bandLists.count))
                    bandLists.append([Int32(index)])
                }
            }
        }
    }

    /// Adds an item of a known-texts file: its normalised text, its id and category, and the
    /// list it came from (`kind`, "known" when absent).
    public mutating func add(_ item: TextItem, normalizer: TextNormalizer) {
        add(normalizer.normalize(item.text), entry: Entry(id: item.id, category: item.category, source: item.kind ?? "known"))
    }

    /// The best match for `text`, if any: exact first, then the most similar near-duplicate.
    public func match(_ text: NormalizedText) -> Match? {
        guard !entries.isEmpty else { return nil }
        let hash = text.bytes.withUnsafeBufferPointer { Hashing.fnv1a($0, 0..<$0.count) }
        if let i = exact.value(hash) {
            return Match(entry: entries[Int(i)], similarity: 1, exact: true)
        }
        let best = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * Self.bins) { buffer -> (Int, Double)? in
            let signature = UnsafeMutableBufferPointer(rebasing: buffer[0..<Self.bins])
            guard self.signature(of: text, into: signature, scratch: UnsafeMutableBufferPointer(rebasing: buffer[Self.bins...]))
            else { return nil }
            let sig = UnsafeBufferPointer(signature)
            var best: (Int, Double)?
            var checked = Set<Int32>()
            for band in 0..<Self.bands {
                guard let list = bandIndex[band].value(Self.bandKey(sig, band)) else { continue }
                for c in bandLists[Int(list)] where checked.insert(c).inserted {
                    let similarity = signatures[Int(c)].withUnsafeBufferPointer { Self.similarity(sig, $0) }
                    if similarity >= nearDuplicateThreshold, similarity > (best?.1 ?? 0) {
                        best = (Int(c), similarity)
                    }
                }
            }
            return best
        }
        guard let (i, similarity) = best else { return nil }
        return Match(entry: entries[i], similarity: similarity, exact: false)
    }

    /// One-permutation MinHash with rotation densification: one hash per shingle.
    func signature(of text: NormalizedText) -> [UInt32] {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * Self.bins) { buffer in
            let signature = UnsafeMutableBufferPointer(rebasing: buffer[0..<Self.bins])
            guard self.signature(of: text, into: signature, scratch: UnsafeMutableBufferPointer(rebasing: buffer[Self.bins...]))
            else { return [] }
            return Array(signature)
        }
    }

    /// The signature of `text` into `dense` (`bins` values), with `mins` (`bins` values) as
    /// scratch; false when the text has none (too short, or no shingle).
    private func signature(
        of text: NormalizedText, into dense: UnsafeMutableBufferPointer<UInt32>, scratch mins: UnsafeMutableBufferPointer<UInt32>
    ) -> Bool {
        guard text.bytes.count >= minimumNearDuplicateBytes else { return false }
        mins.initialize(repeating: UInt32.max)
        text.bytes.withUnsafeBufferPointer { bytes in
            // Shingles of `shingleLength` scalars, over a ring of the last scalar start offsets.
            let k = shingleLength
            var size = 1
            while size < k + 1 { size <<= 1 }
            let mask = size - 1
            withUnsafeTemporaryAllocation(of: Int.self, capacity: size) { ring in
                var seen = 0
                for i in 0...bytes.count where i == bytes.count || bytes[i] & 0xC0 != 0x80 {
                    ring[seen & mask] = i
                    seen += 1
                    guard seen > k else { continue }
                    let start = ring[(seen - 1 - k) & mask]
                    let h = Hashing.mix(Hashing.fnv1a(bytes, start..<i))
                    let bin = Int(h & UInt64(Self.bins - 1))
                    let value = UInt32(truncatingIfNeeded: h >> 32)
                    if value < mins[bin] { mins[bin] = value }
                }
            }
        }
        // Densify: an empty bin borrows from the next non-empty one, salted by the distance.
        guard mins.contains(where: { $0 != UInt32.max }) else { return false }
        for i in 0..<Self.bins {
            guard mins[i] == UInt32.max else {
                dense[i] = mins[i]
                continue
            }
            var j = (i + 1) % Self.bins
            var distance: UInt32 = 1
            while mins[j] == UInt32.max {
                j = (j + 1) % Self.bins
                distance += 1
            }
            dense[i] = mins[j] &+ distance &* 0x9E37_79B9
        }
        return true
    }

    static func bandKey(_ signature: UnsafeBufferPointer<UInt32>, _ band: Int) -> UInt64 {
        var h = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
        for r in 0..<rows {
            h = Hashing.mix(h ^ UInt64(signature[band * rows + r]))
        }
        return h
    }

    static func similarity(_ a: UnsafeBufferPointer<UInt32>, _ b: UnsafeBufferPointer<UInt32>) -> Double {
        var equal = 0
        for i in 0..<bins where a[i] == b[i] { equal += 1 }
        return Double(equal) / Double(bins)
    }

    /// A map from 64-bit keys to 32-bit values by open addressing (no per-lookup hashing of
    /// the key by the standard library's seeded hasher, no allocation).
    struct KeyTable: Sendable {
        private var keys: [UInt64] = []
        private var values: [Int32] = []
        private var count = 0

        func value(_ key: UInt64) -> Int32? {
            guard count > 0 else { return nil }
            let mask = keys.count - 1
            var slot = Int(truncatingIfNeeded: Hashing.mix(key)) & mask
            while values[slot] >= 0 {
                if keys[slot] == key { return values[slot] }
                slot = (slot + 1) & mask
            }
            return nil
        }

        /// Sets the value of `key` (replacing any); values are >= 0.
        mutating func set(_ key: UInt64, _ value: Int32) {
            if 2 * (count + 1) > keys.count { grow() }
            let mask = keys.count - 1
            var slot = Int(truncatingIfNeeded: Hashing.mix(key)) & mask
            while values[slot] >= 0 {
                if keys[slot] == key {
                    values[slot] = value
                    return
                }
                slot = (slot + 1) & mask
            }
            keys[slot] = key
            values[slot] = value
            count += 1
        }

        private mutating func grow() {
            let oldKeys = keys
            let oldValues = values
            let size = max(16, 2 * keys.count)
            keys = [UInt64](repeating: 0, count: size)
            values = [Int32](repeating: -1, count: size)
            count = 0
            for i in 0..<oldKeys.count where oldValues[i] >= 0 { set(oldKeys[i], oldValues[i]) }
        }
    }
}
