/// A word of a text that raised the classifier's violating score.
public struct RaisingTerm: Sendable, Hashable {
    /// The word in normal form (as the classifier read it).
    public var word: String
    /// The bytes of its first occurrence in the normalised text.
    public var range: Range<Int>
    /// Its share (0...1) of what the text's words add to violating, over the words that add.
    public var share: Double
}

extension ClassifierModel {
    /// The words of `text` that raised its violating score most, most first: at most `limit`,
    /// each with at least `minimumShare` of the raise.
    ///
    /// The model is linear, so each feature's part of the violating logit is exact: its value
    /// times its weight. Measured against the other classes as the text stands (the weight minus
    /// the average of the stance weights under `stance`, the text's probabilities), a feature
    /// raises violating or lowers it. A word gets its own features (the word, its character
    /// n-grams), half of each bigram it is in, and a part of any feature that also occurs
    /// elsewhere in the text (features count once); the occurrences of a word add up. Named
    /// features (lexicon entries, context cues), symbols and the bias belong to no word. Shares
    /// need no scale: the text's normalisation and the temperature are common to all features.
    public func raisingTerms(
        _ text: NormalizedText, named: [UInt64], stance: [Double], limit: Int, minimumShare: Double,
        scratch: inout FeatureScratch
    ) -> [RaisingTerm] {
        guard limit > 0, stance.count == Self.stanceCount else { return [] }
        let (words, contribution, _) = violatingContributions(text, named: named, stance: stance, scratch: &scratch)
        guard !words.isEmpty else { return [] }

        // The occurrences of a word add up; it is named at its first.
        var byWord: [String: (first: Int, sum: Double)] = [:]
        for (w, range) in words.enumerated() {
            let key = String(decoding: text.bytes[range], as: UTF8.self)
            let entry = byWord[key]
            byWord[key] = (entry?.first ?? w, (entry?.sum ?? 0) + contribution[w])
        }
        let total = byWord.values.reduce(0) { $0 + max(0, $1.sum) }
        guard total > 0 else { return [] }
        let ranked = byWord.filter { $0.value.sum / total >= minimumShare }
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

        // How often each bucket occurs (a feature counts once, so its part is shared): an
        // open-addressing table of bucket + 1 (high half) and count (low half).
        let slots = 1 << max(6, Int.bitWidth - (2 * occurrences.count).leadingZeroBitCount)
        var table = [UInt64](repeating: 0, count: slots)
        @inline(__always) func slot(_ bucket: UInt32, _ t: UnsafeMutableBufferPointer<UInt64>) -> Int {
            let key = UInt64(bucket) + 1
            var s = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & (slots - 1)
            while t[s] != 0 && t[s] >> 32 != key { s = (s + 1) & (slots - 1) }
            return s
        }
        var contribution = [Double](repeating: 0, count: words.count)
        var unowned = 0.0
        table.withUnsafeMutableBufferPointer { t in
            if features.binary {
                for o in occurrences {
                    let s = slot(o.bucket, t)
                    t[s] = t[s] == 0 ? (UInt64(o.bucket) + 1) << 32 | 1 : t[s] + 1
                }
            }
            // A bucket's part, per occurrence: its value times its violating weight less the
            // stance weights' average (the model's packed bytes or floats, read once per row).
            let packed = isPacked
            let p = self.packed
            let w = self.weights
            let hasIDF = packed ? !packedIDF.isEmpty : !idf.isEmpty
            func part(_ b: Int) -> Double {
                let base = b * Self.outputCount
                var mean = 0.0
                var own = 0.0
                if packed {
                    for k in 0..<Self.stanceCount { mean += stance[k] * Double(p[base + k]) }
                    own = Double(p[base + violating])
                } else {
                    for k in 0..<Self.stanceCount { mean += stance[k] * Double(w[base + k]) }
                    own = Double(w[base + violating])
                }
                let value = hasIDF ? (packed ? Double(packedIDF[b]) : Double(idf[b])) : 1
                return (own - mean) * value
            }
            wordOf.withUnsafeBufferPointer { wordOf in
                contribution.withUnsafeMutableBufferPointer { contribution in
                    for o in occurrences {
                        var part = part(Int(o.bucket))
                        if features.binary { part /= Double(t[slot(o.bucket, t)] & 0xFFFF_FFFF) }
                        var first = -1
                        var last = -1
                        for k in o.range.clamped(to: 0..<byteCount) where wordOf[k] >= 0 {
                            if first < 0 { first = Int(wordOf[k]) }
                            last = Int(wordOf[k])
                        }
                        guard first >= 0 else {
                            unowned += part
                            continue
                        }
                        part /= Double(last - first + 1)
                        for w in first...last { contribution[w] += part }
                    }
                }
            }
        }
        return (words, contribution, unowned)
    }
}
