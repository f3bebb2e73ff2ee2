/// Reusable buffers for feature extraction.
public struct FeatureScratch: Sendable {
    var boundaries: [Int] = []
    var seen: [UInt64] = []

    public init() {}
}

/// Turns normalised text into hashed sparse features for the classifier: word unigrams and
/// bigrams, character n-grams (over Unicode scalars, across word boundaries), and the lexicon
/// entries found. The language of the text is deliberately not a feature.
public struct FeatureExtractor: Sendable, Hashable {
    /// log2 of the number of hash buckets.
    public var bucketBits: Int
    public var charNGrams: ClosedRange<Int>
    /// Character n-grams inside each word padded with spaces (" word "), not across words.
    public var wordBounded: Bool
    /// Each bucket counts once per text (presence), not once per occurrence.
    public var binary: Bool
    /// Words inside quotation marks (and their bigrams and character n-grams) are features of
    /// their own, apart from the same words outside quotes: quoting a slogan is not asserting it.
    public var quotedApart: Bool

    public init(
        bucketBits: Int = 18, charNGrams: ClosedRange<Int> = 3...5, wordBounded: Bool = true, binary: Bool = true,
        quotedApart: Bool = false
    ) {
        self.bucketBits = bucketBits
        self.charNGrams = charNGrams
        self.wordBounded = wordBounded
        self.binary = binary
        self.quotedApart = quotedApart
    }

    public var bucketCount: Int { 1 << bucketBits }

    static let wordSeed: UInt64 = 0x1000_0000_0000_0001
    static let bigramSeed: UInt64 = 0x2000_0000_0000_0003
    static let charSeed: UInt64 = 0x3000_0000_0000_0005
    static let indicatorSeed: UInt64 = 0x4000_0000_0000_0007
    static let biasSeed: UInt64 = 0x5000_0000_0000_000B
    static let symbolSeed: UInt64 = 0x6000_0000_0000_000D
    static let quotedSeed: UInt64 = 0x7000_0000_0000_0011

    /// The key of a named feature (a lexicon entry, a context cue), computed once per entry.
    public static func namedFeatureKey(_ name: String) -> UInt64 {
        Hashing.fnv1a(name.utf8, seed: indicatorSeed)
    }

    /// The bucket of a named feature.
    public func bucket(ofNamed key: UInt64) -> UInt32 { UInt32(Hashing.mix(key) & UInt64(bucketCount - 1)) }

    /// Writes the feature buckets of `text` into `out` (cleared first). `named` holds the keys of
    /// named features (`namedFeatureKey`). With `binary`, each bucket appears once.
    public func extract(
        _ text: NormalizedText, named: [UInt64], into out: inout [UInt32], scratch: inout FeatureScratch
    ) {
        out.removeAll(keepingCapacity: true)
        let mask = UInt64(bucketCount - 1)
        out.append(UInt32(Hashing.mix(Self.biasSeed) & mask))
        text.bytes.withUnsafeBufferPointer { bytes in
            // Words and bigrams.
            var previousStart = -1
            var previousEnd = -1
            var i = 1
            var quote = 0
            while i < bytes.count {
                var j = i
                while j < bytes.count && bytes[j] != 0x20 { j += 1 }
                if j > i {
                    let w = Hashing.fnv1a(bytes, i..<j, seed: Self.wordSeed)
                    // A quoted word also counts as quoted (with `quotedApart`, only as quoted).
                    while quote < text.quoted.count && text.quoted[quote].lowerBound < i { quote += 1 }
                    let isQuoted = quote < text.quoted.count && text.quoted[quote].lowerBound == i
                    if !(isQuoted && quotedApart) { out.append(UInt32(Hashing.mix(w) & mask)) }
                    if isQuoted {
                        out.append(UInt32(Hashing.mix(w ^ Self.quotedSeed) & mask))
                    }
                    if previousStart >= 0 {
                        var h = Hashing.fnv1a(bytes, previousStart..<previousEnd, seed: Self.bigramSeed)
                        h ^= 0x20
                        h = h &* Hashing.fnvPrime
                        h = Hashing.fnv1a(bytes, i..<j, seed: h)
                        if isQuoted && quotedApart { h ^= Self.quotedSeed }
                        out.append(UInt32(Hashing.mix(h) & mask))
                    }
                    previousStart = i
                    previousEnd = j
                }
                i = j + 1
            }
            // Character n-grams at scalar boundaries.
            scratch.boundaries.removeAll(keepingCapacity: true)
            for k in 0..<bytes.count where bytes[k] & 0xC0 != 0x80 { scratch.boundaries.append(k) }
            scratch.boundaries.append(bytes.count)
            let boundaries = scratch.boundaries
            let n = boundaries.count - 1
            if wordBounded {
                // Scalar boundary indices of each padded word: from a space to the next space.
                var wordStart = 0
                var quote = 0
                for e in 1...n where e == n || bytes[boundaries[e]] == 0x20 {
                    // Padded word: boundaries[wordStart] (a space) ... boundaries[e] (the next space), inclusive.
                    let scalars = e - wordStart + 1
                    var salt: UInt64 = 0
                    if quotedApart {
                        let start = boundaries[wordStart] + 1
                        while quote < text.quoted.count && text.quoted[quote].lowerBound < start { quote += 1 }
                        if quote < text.quoted.count && text.quoted[quote].lowerBound == start { salt = Self.quotedSeed }
                    }
                    if scalars >= 3 {
                        for length in charNGrams {
                            let seed = (Self.charSeed &+ UInt64(length)) ^ salt
                            if scalars < length {
                                if length == charNGrams.lowerBound {
                                    let end = e < n ? boundaries[e + 1] : bytes.count
                                    let h = Hashing.fnv1a(bytes, boundaries[wordStart]..<end, seed: seed)
                                    out.append(UInt32(Hashing.mix(h) & mask))
                                }
                                continue
                            }
                            for s in wordStart...(wordStart + scalars - length) {
                                let end = s + length <= n ? boundaries[s + length] : bytes.count
                                let h = Hashing.fnv1a(bytes, boundaries[s]..<end, seed: seed)
                                out.append(UInt32(Hashing.mix(h) & mask))
                            }
                        }
                    }
                    wordStart = e
                }
            } else {
                for length in charNGrams where n >= length {
                    let seed = Self.charSeed &+ UInt64(length)
                    for s in 0...(n - length) {
                        let h = Hashing.fnv1a(bytes, boundaries[s]..<boundaries[s + length], seed: seed)
                        out.append(UInt32(Hashing.mix(h) & mask))
                    }
                }
            }
        }
        // Symbols: all quotation marks count as one; other symbols and emoji by themselves.
        for symbol in text.symbols {
            let key: UInt64
            switch symbol {
            case 0x22, 0x27, 0xAB, 0xBB, 0x2018, 0x2019, 0x201C, 0x201D, 0x201E, 0x2039, 0x203A: key = 0x22
            case 0x2E, 0x2C, 0x3A, 0x3B, 0x2D, 0x28, 0x29, 0x60C: continue
            default: key = UInt64(symbol)
            }
            out.append(UInt32(Hashing.mix(Self.symbolSeed ^ key) & mask))
        }
        for key in named {
            out.append(UInt32(Hashing.mix(key) & mask))
        }
        if binary {
            // Keep the first occurrence of each bucket: a bitset of buckets (32 KiB for 2^18, so
            // it stays in cache), cleared again bucket by bucket afterwards.
            let words = (bucketCount + 63) / 64
            if scratch.seen.count != words { scratch.seen = [UInt64](repeating: 0, count: words) }
            var keep = 0
            scratch.seen.withUnsafeMutableBufferPointer { seen in
                for i in 0..<out.count {
                    let b = Int(out[i])
                    let bit: UInt64 = 1 << UInt64(b & 63)
                    if seen[b >> 6] & bit == 0 {
                        seen[b >> 6] |= bit
                        out[keep] = out[i]
                        keep += 1
                    }
                }
                for i in 0..<keep { seen[Int(out[i]) >> 6] = 0 }
            }
            out.removeLast(out.count - keep)
        }
    }
}
