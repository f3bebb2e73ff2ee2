import CTextKernels

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
        extract(text, named: named, into: &out, scratch: &scratch, prefetching: nil)
    }

    /// ``extract(_:named:into:scratch:)``, asking the CPU to fetch each bucket's rows of
    /// `rows` as the bucket is found, so that they are in the cache by the time they are summed.
    func extract(
        _ text: NormalizedText, named: [UInt64], into out: inout [UInt32], scratch: inout FeatureScratch,
        prefetching rows: BucketRows?
    ) {
        let mask = UInt64(bucketCount - 1)
        let byteCount = text.bytes.count
        // At most: the bias; three per word (the word, its quoted twin, a bigram); per length of
        // n-gram, one per scalar of each padded word (at most 2 × bytes + 2 in all); symbols; named.
        let capacity = 1 + 3 * byteCount + charNGrams.count * (2 * byteCount + 2) + text.symbols.count + named.count
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(0, count: capacity))
        if scratch.boundaries.count < byteCount + 1 {
            scratch.boundaries = [Int](repeating: 0, count: max(byteCount + 1, 2 * scratch.boundaries.count))
        }
        var count = 0
        out.withUnsafeMutableBufferPointer { o in
            scratch.boundaries.withUnsafeMutableBufferPointer { boundaries in
                text.bytes.withUnsafeBufferPointer { bytes in
                    count = extract(text, bytes, boundaries, o, mask, rows, owners: nil)
                }
            }
        }
        // Symbols: all quotation marks count as one; other symbols and emoji by themselves.
        for symbol in text.symbols {
            guard let key = Self.symbolKey(symbol) else { continue }
            out[count] = UInt32(Hashing.mix(Self.symbolSeed ^ key) & mask)
            count += 1
        }
        for key in named {
            out[count] = UInt32(Hashing.mix(key) & mask)
            count += 1
        }
        if binary {
            // Keep the first occurrence of each bucket: a bitset of buckets (32 KiB for 2^18, so
            // it stays in cache), cleared again bucket by bucket afterwards.
            let words = (bucketCount + 63) / 64
            if scratch.seen.count != words { scratch.seen = [UInt64](repeating: 0, count: words) }
            var keep = 0
            let total = count
            scratch.seen.withUnsafeMutableBufferPointer { seen in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<total {
                        let b = Int(o[i])
                        let bit: UInt64 = 1 << UInt64(b & 63)
                        if seen[b >> 6] & bit == 0 {
                            seen[b >> 6] |= bit
                            o[keep] = o[i]
                            keep += 1
                        }
                    }
                    for i in 0..<keep { seen[Int(o[i]) >> 6] = 0 }
                }
            }
            count = keep
        }
        out.removeLast(out.count - count)
    }

    /// Every feature occurrence of `text`, as `extract` finds them but each one kept (no
    /// `binary` merging), with the byte range of `text.bytes` it was read from: the word (a
    /// word, its quoted twin, its character n-grams), the two words (a bigram) or the n-gram
    /// (across words, without `wordBounded`). The bias, symbols and named features have an empty
    /// range. For explanations (which words raised a score), not for scanning.
    public func occurrences(
        _ text: NormalizedText, named: [UInt64], scratch: inout FeatureScratch
    ) -> [(bucket: UInt32, range: Range<Int>)] {
        let mask = UInt64(bucketCount - 1)
        let byteCount = text.bytes.count
        let capacity = 1 + 3 * byteCount + charNGrams.count * (2 * byteCount + 2)
        var buckets = [UInt32](repeating: 0, count: capacity)
        var owners = [UInt64](repeating: 0, count: capacity)
        if scratch.boundaries.count < byteCount + 1 {
            scratch.boundaries = [Int](repeating: 0, count: max(byteCount + 1, 2 * scratch.boundaries.count))
        }
        var count = 0
        buckets.withUnsafeMutableBufferPointer { o in
            owners.withUnsafeMutableBufferPointer { owners in
                scratch.boundaries.withUnsafeMutableBufferPointer { boundaries in
                    text.bytes.withUnsafeBufferPointer { bytes in
                        count = extract(text, bytes, boundaries, o, mask, nil, owners: owners)
                    }
                }
            }
        }
        var result: [(bucket: UInt32, range: Range<Int>)] = []
        result.reserveCapacity(count + text.symbols.count + named.count)
        for i in 0..<count {
            let lower = Int(owners[i] >> 32)
            let upper = Int(owners[i] & 0xFFFF_FFFF)
            result.append((buckets[i], lower..<max(lower, upper)))
        }
        for symbol in text.symbols {
            guard let key = Self.symbolKey(symbol) else { continue }
            result.append((UInt32(Hashing.mix(Self.symbolSeed ^ key) & mask), 0..<0))
        }
        for key in named { result.append((UInt32(Hashing.mix(key) & mask), 0..<0)) }
        return result
    }

    /// The key of a symbol's feature: all quotation marks count as one; some punctuation is no
    /// feature (nil); other symbols and emoji count by themselves.
    @inline(__always)
    static func symbolKey(_ symbol: UInt32) -> UInt64? {
        switch symbol {
        case 0x22, 0x27, 0xAB, 0xBB, 0x2018, 0x2019, 0x201C, 0x201D, 0x201E, 0x2039, 0x203A: 0x22
        case 0x2E, 0x2C, 0x3A, 0x3B, 0x2D, 0x28, 0x29, 0x60C: nil
        default: UInt64(symbol)
        }
    }

    /// Words, bigrams and character n-grams of `bytes` (the normalised text) into `o`, from the
    /// start; returns how many were written. `boundaries` has room for a boundary per byte, plus one.
    private func extract(
        _ text: NormalizedText, _ bytes: UnsafeBufferPointer<UInt8>, _ boundaries: UnsafeMutableBufferPointer<Int>,
        _ o: UnsafeMutableBufferPointer<UInt32>, _ mask: UInt64, _ rows: BucketRows?,
        owners: UnsafeMutableBufferPointer<UInt64>?
    ) -> Int {
        var count = 0
        // `owners` (explanations only): the byte range the feature was read from, lower << 32 | upper.
        @inline(__always) func emit(_ h: UInt64, _ lower: Int, _ upper: Int) {
            let bucket = UInt32(truncatingIfNeeded: Hashing.mix(h) & mask)
            o[count] = bucket
            if let owners { owners[count] = UInt64(lower) << 32 | UInt64(upper) }
            count += 1
            rows?.prefetch(bucket)
        }
        emit(Self.biasSeed, 0, 0)
        let quoted = text.quoted
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
                while quote < quoted.count && quoted[quote].lowerBound < i { quote += 1 }
                let isQuoted = quote < quoted.count && quoted[quote].lowerBound == i
                if !(isQuoted && quotedApart) { emit(w, i, j) }
                if isQuoted { emit(w ^ Self.quotedSeed, i, j) }
                if previousStart >= 0 {
                    var h = Hashing.fnv1a(bytes, previousStart..<previousEnd, seed: Self.bigramSeed)
                    h ^= 0x20
                    h = h &* Hashing.fnvPrime
                    h = Hashing.fnv1a(bytes, i..<j, seed: h)
                    if isQuoted && quotedApart { h ^= Self.quotedSeed }
                    emit(h, previousStart, j)
                }
                previousStart = i
                previousEnd = j
            }
            i = j + 1
        }
        // Character n-grams at scalar boundaries.
        var n = 0
        for k in 0..<bytes.count where bytes[k] & 0xC0 != 0x80 {
            boundaries[n] = k
            n += 1
        }
        boundaries[n] = bytes.count
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
                    while quote < quoted.count && quoted[quote].lowerBound < start { quote += 1 }
                    if quote < quoted.count && quoted[quote].lowerBound == start { salt = Self.quotedSeed }
                }
                // The word itself, without its padding (explanations only).
                let word = (boundaries[wordStart] + 1)..<max(boundaries[wordStart] + 1, e < n ? boundaries[e] : bytes.count)
                if scalars >= 3 {
                    for length in charNGrams {
                        let seed = (Self.charSeed &+ UInt64(length)) ^ salt
                        if scalars < length {
                            if length == charNGrams.lowerBound {
                                let end = e < n ? boundaries[e + 1] : bytes.count
                                emit(Hashing.fnv1a(bytes, boundaries[wordStart]..<end, seed: seed), word.lowerBound, word.upperBound)
                            }
                            continue
                        }
                        for s in wordStart...(wordStart + scalars - length) {
                            let end = s + length <= n ? boundaries[s + length] : bytes.count
                            emit(Hashing.fnv1a(bytes, boundaries[s]..<end, seed: seed), word.lowerBound, word.upperBound)
                        }
                    }
                }
                wordStart = e
            }
        } else {
            for length in charNGrams where n >= length {
                let seed = Self.charSeed &+ UInt64(length)
                for s in 0...(n - length) {
                    emit(Hashing.fnv1a(bytes, boundaries[s]..<boundaries[s + length], seed: seed), boundaries[s], boundaries[s + length])
                }
            }
        }
        return count
    }
}

/// The rows a bucket selects in a model's tables (one row of `stride` bytes per bucket in `base`,
/// one byte in `bytes`), fetched into the cache ahead of use: no effect on any result.
struct BucketRows {
    let base: UnsafeRawPointer
    let stride: Int
    let bytes: UnsafeRawPointer?

    @inline(__always)
    func prefetch(_ bucket: UInt32) {
        bulwark_prefetch(base + Int(bucket) &* stride, stride)
        if let bytes { bulwark_prefetch(bytes + Int(bucket), 1) }
    }
}
