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
    private var exact: [UInt64: Int] = [:]
    private var signatures: [[UInt32]] = []
    private var bandIndex: [[UInt64: [Int32]]] = Array(repeating: [:], count: KnownTextBank.bands)

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
        exact[Hashing.fnv1a(text.bytes)] = index
        let signature = self.signature(of: text)
        signatures.append(signature)
        guard !signature.isEmpty else { return }
        for band in 0..<Self.bands {
            bandIndex[band][Self.bandKey(signature, band), default: []].append(Int32(index))
        }
    }

    /// The best match for `text`, if any: exact first, then the most similar near-duplicate.
    public func match(_ text: NormalizedText) -> Match? {
        guard !entries.isEmpty else { return nil }
        if let i = exact[Hashing.fnv1a(text.bytes)] {
            return Match(entry: entries[i], similarity: 1, exact: true)
        }
        let signature = self.signature(of: text)
        guard !signature.isEmpty else { return nil }
        var best: (Int, Double)?
        var checked = Set<Int32>()
        for band in 0..<Self.bands {
            guard let candidates = bandIndex[band][Self.bandKey(signature, band)] else { continue }
            for c in candidates where checked.insert(c).inserted {
                let similarity = Self.similarity(signature, signatures[Int(c)])
                if similarity >= nearDuplicateThreshold, similarity > (best?.1 ?? 0) {
                    best = (Int(c), similarity)
                }
            }
        }
        guard let (i, similarity) = best else { return nil }
        return Match(entry: entries[i], similarity: similarity, exact: false)
    }

    /// One-permutation MinHash with rotation densification: one hash per shingle.
    func signature(of text: NormalizedText) -> [UInt32] {
        guard text.bytes.count >= minimumNearDuplicateBytes else { return [] }
        var mins = [UInt32](repeating: UInt32.max, count: Self.bins)
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
        guard mins.contains(where: { $0 != UInt32.max }) else { return [] }
        var dense = mins
        for i in 0..<Self.bins where mins[i] == UInt32.max {
            var j = (i + 1) % Self.bins
            var distance: UInt32 = 1
            while mins[j] == UInt32.max {
                j = (j + 1) % Self.bins
                distance += 1
            }
            dense[i] = mins[j] &+ distance &* 0x9E37_79B9
        }
        return dense
    }

    static func bandKey(_ signature: [UInt32], _ band: Int) -> UInt64 {
        var h = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
        for r in 0..<rows {
            h = Hashing.mix(h ^ UInt64(signature[band * rows + r]))
        }
        return h
    }

    static func similarity(_ a: [UInt32], _ b: [UInt32]) -> Double {
        var equal = 0
        for i in 0..<bins where a[i] == b[i] { equal += 1 }
        return Double(equal) / Double(bins)
    }
}
