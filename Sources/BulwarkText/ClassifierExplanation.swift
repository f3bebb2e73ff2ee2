public import BulwarkCore

/// A word of a text that raised the classifier's violating score.
public struct RaisingTerm: Sendable, Hashable {
    /// The word in normal form (as the classifier read it).
    public var word: String
    /// The bytes of its first occurrence in the normalised text.
    public var range: Range<Int>
    /// Its share (0...1) of the weight the text carries toward or away from violating: its
    /// part over the sum of the magnitudes of every word's part and of the rest's (`ScoreExplanation`).
    public var share: Double
}

extension ClassifierModel {
    /// The words of `text` that raised its violating score most, most first: at most `limit`,
    /// each with at least `minimumShare` of the weight the text carries either way (its part
    /// over the sum of the magnitudes of every word's part and of the rest's).
    ///
    /// The model is linear, so each feature's part of the violating logit is exact: its value
    /// times its weight. Measured against the other classes as the text stands (the weight minus
    /// the average of the stance weights under `stance`, the text's probabilities), a feature
    /// raises violating or lowers it. A word gets its own features (the word, its character
    /// n-grams), half of each bigram it is in, and a part of any feature that also occurs
    /// elsewhere in the text (features count once); the occurrences of a word add up. Named
    /// features (lexicon entries, context cues), symbols and the bias belong to no word. Shares
    /// need no scale: the text's normalisation and the temperature are common to all features.
    /// The same parts as `TextEngine.explain`, with a word's occurrences added up.
    public func raisingTerms(
        _ text: NormalizedText, named: [UInt64], stance: [Double], limit: Int, minimumShare: Double,
        scratch: inout FeatureScratch
    ) -> [RaisingTerm] {
        guard limit > 0, stance.count == Self.stanceCount else { return [] }
        let (words, contribution, unowned) = violatingContributions(text, named: named, stance: stance, scratch: &scratch)
        guard !words.isEmpty else { return [] }

        // The occurrences of a word add up; it is named at its first.
        var byWord: [String: (first: Int, sum: Double)] = [:]
        for (w, range) in words.enumerated() {
            let key = String(decoding: text.bytes[range], as: UTF8.self)
            let entry = byWord[key]
            byWord[key] = (entry?.first ?? w, (entry?.sum ?? 0) + contribution[w])
        }
        // Shares of the weight the text carries either way: the words' parts and the rest.
        let total = contribution.reduce(abs(unowned)) { $0 + abs($1) }
        guard total > 0 else { return [] }
        let ranked = byWord.filter { $0.value.sum > 0 && $0.value.sum / total >= minimumShare }
            .sorted { $0.value.sum != $1.value.sum ? $0.value.sum > $1.value.sum : $0.value.first < $1.value.first }
        return ranked.prefix(limit).map {
            RaisingTerm(word: $0.key, range: words[$0.value.first], share: $0.value.sum / total)
        }
    }

    /// Each word's part of the violating logit of `text` measured against the stance classes'
    /// average under `stance` (see `raisingTerms`), in the model's weight units before the
    /// text's normalisation: `words` (bytes of the normalised text, in order), `perWord`, and
    /// `unowned`, the part of the bias, symbols and named features. All parts together, times
    /// the model's scale over the norm of the text's feature values, are the violating logit
    /// minus the stance logits' average under `stance`.
    func violatingContributions(
        _ text: NormalizedText, named: [UInt64], stance: [Double], scratch: inout FeatureScratch
    ) -> (words: [Range<Int>], perWord: [Double], unowned: Double) {
        let occurrences = features.occurrences(text, named: named, scratch: &scratch)
        let violating = StanceClass.violating.rawValue

        // The word of each byte (-1: a space), and each word's bytes.
        let byteCount = text.bytes.count
        var wordOf = [Int32](repeating: -1, count: byteCount)
        var words: [Range<Int>] = []
        text.bytes.withUnsafeBufferPointer { bytes in
            wordOf.withUnsafeMutableBufferPointer { wordOf in
                var i = 0
                while i < byteCount {
                    var j = i
                    while j < byteCount && bytes[j] != 0x20 { j += 1 }
                    if j > i {
                        for k in i..<j { wordOf[k] = Int32(words.count) }
                        words.append(i..<j)
                    }
                    i = j + 1
                }
            }
        }

        // Each bucket once (a feature counts once, so its part is shared among its occurrences),
        // with how often it occurs and its part, computed at its first occurrence.
        var tally = BucketTally(expected: occurrences.count)
        // A bucket's part: its value times its violating weight less the stance weights' average
        // (the model's packed bytes or floats).
        let packed = isPacked
        let hasIDF = packed ? !packedIDF.isEmpty : !idf.isEmpty
        func part(_ b: Int) -> Double {
            let base = b * Self.outputCount
            var mean = 0.0
            var own = 0.0
            if packed {
                for k in 0..<Self.stanceCount { mean += stance[k] * Double(self.packed[base + k]) }
                own = Double(self.packed[base + violating])
            } else {
                for k in 0..<Self.stanceCount { mean += stance[k] * Double(weights[base + k]) }
                own = Double(weights[base + violating])
            }
            let value = hasIDF ? (packed ? Double(packedIDF[b]) : Double(idf[b])) : 1
            return (own - mean) * value
        }
        var contribution = [Double](repeating: 0, count: words.count)
        var unowned = 0.0
        for o in occurrences where tally.add(o.bucket) {
            tally.setPart(part(Int(o.bucket)), of: o.bucket)
        }
        wordOf.withUnsafeBufferPointer { wordOf in
            contribution.withUnsafeMutableBufferPointer { contribution in
                for o in occurrences {
                    let (count, bucketPart) = tally[o.bucket]
                    var part = features.binary ? bucketPart / Double(count) : bucketPart
                    // The words from the range's first to its last byte that is not a space.
                    let range = o.range.clamped(to: 0..<byteCount)
                    var lo = range.lowerBound
                    var hi = range.upperBound
                    while lo < hi && wordOf[lo] < 0 { lo += 1 }
                    while hi > lo && wordOf[hi - 1] < 0 { hi -= 1 }
                    guard lo < hi else {
                        unowned += part
                        continue
                    }
                    let first = Int(wordOf[lo])
                    let last = Int(wordOf[hi - 1])
                    part /= Double(last - first + 1)
                    for w in first...last { contribution[w] += part }
                }
            }
        }
        return (words, contribution, unowned)
    }
}

/// Buckets seen, each with how often and a value: an open-addressing table (linear probing) that
/// doubles when half full, so it stays as small as the distinct buckets of a text.
struct BucketTally {
    /// Per slot: bucket + 1 (0: empty) in the high half, the count in the low half.
    private var keys: [UInt64]
    private var values: [Double]
    private var used = 0

    /// Room for `expected` buckets (at most 2,048) before it first grows.
    init(expected: Int) {
        let slots = 1 << max(6, Int.bitWidth - (2 * min(expected, 2048)).leadingZeroBitCount)
        keys = [UInt64](repeating: 0, count: slots)
        values = [Double](repeating: 0, count: slots)
    }

    @inline(__always)
    private func slot(_ bucket: UInt32) -> Int {
        let key = UInt64(bucket) + 1
        let mask = keys.count - 1
        var s = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while keys[s] != 0 && keys[s] >> 32 != key { s = (s + 1) & mask }
        return s
    }

    /// Counts one occurrence of `bucket`; true when it is the first.
    mutating func add(_ bucket: UInt32) -> Bool {
        let s = slot(bucket)
        if keys[s] != 0 {
            keys[s] += 1
            return false
        }
        keys[s] = (UInt64(bucket) + 1) << 32 | 1
        used += 1
        if 2 * used > keys.count { grow() }
        return true
    }

    mutating func setPart(_ value: Double, of bucket: UInt32) { values[slot(bucket)] = value }

    /// How often `bucket` was added, and its value (0, 0 if never).
    subscript(bucket: UInt32) -> (count: Int, value: Double) {
        let s = slot(bucket)
        return (Int(keys[s] & 0xFFFF_FFFF), values[s])
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = [UInt64](repeating: 0, count: 2 * oldKeys.count)
        values = [Double](repeating: 0, count: 2 * oldKeys.count)
        for (i, k) in oldKeys.enumerated() where k != 0 {
            let s = slot(UInt32(truncatingIfNeeded: (k >> 32) - 1))
            keys[s] = k
            values[s] = oldValues[i]
        }
    }
}

/// How the classifier weighed each word of an item (`TextEngine.explain`): what a reviewer or an
/// analyst reads to see why a score is what it is, both ways.
public struct ScoreExplanation: Sendable, Hashable {
    /// A word as the user wrote it, at Unicode scalars `start..<end` of the original text, with
    /// its signed share: its part of the violating logit over the sum of the magnitudes of all
    /// the parts (the words' and `unowned`), so the magnitudes add up to 1; a positive share
    /// raised the score, a negative one lowered it.
    public struct Word: Sendable, Hashable {
        public var text: String
        public var start: Int
        public var end: Int
        public var share: Double
    }

    /// The classifier's violating probability.
    public var violating: Double
    /// Every word, in the order of the text.
    public var words: [Word]
    /// The signed share that belongs to no word (lexicon entries, context cues, symbols, the bias).
    public var unowned: Double

    /// A share as a signed whole percentage: "+32%", "-8%".
    public static func percent(_ share: Double) -> String {
        let v = Int((share * 100).rounded())
        return v >= 0 ? "+\(v)%" : "\(v)%"
    }

    /// The words that raised the score most (at most `limit`, most first), and those that
    /// lowered it most.
    public func strongest(_ limit: Int) -> (raised: [Word], lowered: [Word]) {
        let raised = words.filter { $0.share > 0 }.sorted { $0.share > $1.share }.prefix(limit)
        let lowered = words.filter { $0.share < 0 }.sorted { $0.share < $1.share }.prefix(limit)
        return (Array(raised), Array(lowered))
    }
}

extension TextEngine {
    /// How the classifier weighed each word of `item`'s text (nil without a classifier): the
    /// parts `raisingTerms` ranks, for every word, signed. Costs a scan and a second pass over
    /// the features; meant for one item at a time (a case page, `bulwark explain`).
    public func explain(_ item: TextItem) -> ScoreExplanation? {
        guard let model else { return nil }
        var scratch = EngineScratch()
        let (_, ids, text) = prepare(item, scratch: &scratch)
        model.extractFeatures(scratch.normalized, named: ids, into: &scratch.buckets, scratch: &scratch.features)
        model.logits(scratch.buckets, into: &scratch.logits)
        let (stance, _) = model.probabilities(logits: scratch.logits)
        let parts = model.violatingContributions(
            scratch.normalized, named: ids, stance: stance, scratch: &scratch.features)
        let total = parts.perWord.reduce(abs(parts.unowned)) { $0 + abs($1) }
        let scale = total > 0 ? 1 / total : 0
        let scalars = Array(text.unicodeScalars)
        var words: [ScoreExplanation.Word] = []
        for (range, part) in zip(parts.words, parts.perWord) {
            let source = scratch.normalized.sourceRange(of: range)
            let lower = min(source.lowerBound, scalars.count)
            let upper = min(max(lower, source.upperBound), scalars.count)
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[lower..<upper])
            words.append(.init(text: String(view), start: lower, end: upper, share: part * scale))
        }
        return ScoreExplanation(
            violating: stance[StanceClass.violating.rawValue], words: words, unowned: parts.unowned * scale)
    }
}
