public import BulwarkCore
import CTextKernels

/// The stance classes the classifier tells apart: violating, each non-violating context, and
/// everything else. Learning the contexts as classes of their own is what keeps news,
/// research, counter-speech and religious speech up.
public enum StanceClass: Int, Sendable, CaseIterable, Hashable {
    case violating = 0
    case news, research, counterSpeech, artistic, religious
    case other

    public var context: Context? {
        switch self {
        case .news: .news
        case .research: .research
        case .counterSpeech: .counterSpeech
        case .artistic: .artistic
        case .religious: .religious
        case .violating, .other: nil
        }
    }

    /// The stance class of a labelled item.
    public init(label: Label, kind: String?) {
        if label == .violating {
            self = .violating
            return
        }
        switch kind {
        case "news": self = .news
        case "research": self = .research
        case "counter_speech": self = .counterSpeech
        case "artistic": self = .artistic
        case "religious": self = .religious
        default: self = .other
        }
    }
}

/// A linear model over hashed features with two softmax heads: stance (7 classes) and, for
/// violating text, policy category (6 classes). Scores are calibrated by a temperature fitted
/// on a held-out tuning split.
public struct ClassifierModel: Sendable {
    public static let stanceCount = StanceClass.allCases.count
    public static let categoryCount = Category.allCases.count
    public static let outputCount = stanceCount + categoryCount

    public var features: FeatureExtractor
    /// Row-major by bucket: `weights[bucket * outputCount + k]`.
    public var weights: [Float]
    /// Inverse document frequency per bucket (empty: every bucket weighs 1).
    public var idf: [Float]
    /// Softmax temperature for the stance head.
    public var temperature: Float
    /// Free-form provenance: the command and data that built the model.
    public var provenance: String

    public init(
        features: FeatureExtractor, weights: [Float]? = nil, idf: [Float] = [], temperature: Float = 1,
        provenance: String = ""
    ) {
        self.features = features
        self.weights = weights ?? [Float](repeating: 0, count: features.bucketCount * Self.outputCount)
        self.idf = idf
        self.temperature = temperature
        self.provenance = provenance
    }

    /// The weights packed for scanning: one signed byte per weight (`packedScale` per unit) and
    /// one byte per idf (`packedIDFScale` per unit), so a bucket's row is one cache line.
    /// Empty while the model is being trained.
    var packed: [Int8] = []
    var packedScale: Float = 1
    var packedIDF: [UInt8] = []
    var packedIDFScale: Float = 1

    /// Packs the weights for scanning (as the model file stores them) and drops the float copy.
    public mutating func pack() {
        let maxAbs = weights.reduce(Float(0)) { max($0, abs($1)) }
        packedScale = maxAbs > 0 ? maxAbs / 127 : 1
        packed = weights.map { Int8(clamping: Int(($0 / packedScale).rounded())) }
        let idfMax = idf.max() ?? 1
        packedIDFScale = idfMax > 0 ? idfMax / 255 : 1
        packedIDF = idf.map { UInt8(clamping: Int(($0 / packedIDFScale).rounded())) }
        weights = []
        idf = []
    }

    public var isPacked: Bool { !packed.isEmpty }

    /// Raw scores (logits) for the features: stance first, then categories.
    @inline(__always)
    public func logits(_ buckets: [UInt32], into out: inout [Float]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(0, count: Self.outputCount))
        if isPacked {
            packedLogits(buckets, into: &out)
            return
        }
        weights.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { o in
                if idf.isEmpty {
                    for b in buckets {
                        let base = Int(b) &* Self.outputCount
                        for k in 0..<Self.outputCount { o[k] += w[base &+ k] }
                    }
                    let scale = 1 / Float(max(1, buckets.count)).squareRoot()
                    for k in 0..<Self.outputCount { o[k] *= scale }
                } else {
                    idf.withUnsafeBufferPointer { idf in
                        var norm: Float = 0
                        for b in buckets {
                            let v = idf[Int(b)]
                            norm += v * v
                            let base = Int(b) &* Self.outputCount
                            for k in 0..<Self.outputCount { o[k] += w[base &+ k] * v }
                        }
                        let scale = norm > 0 ? 1 / norm.squareRoot() : 0
                        for k in 0..<Self.outputCount { o[k] *= scale }
                    }
                }
            }
        }
    }

    /// The buckets of `text` into `buckets`, with the packed rows they select fetched into the
    /// cache as they are found (while the rest of the text is hashed), not when they are summed.
    @inline(__always)
    func extractFeatures(
        _ text: NormalizedText, named: [UInt64], into buckets: inout [UInt32], scratch: inout FeatureScratch
    ) {
        guard isPacked else {
            features.extract(text, named: named, into: &buckets, scratch: &scratch)
            return
        }
        packed.withUnsafeBytes { rows in
            packedIDF.withUnsafeBytes { idf in
                features.extract(
                    text, named: named, into: &buckets, scratch: &scratch,
                    prefetching: BucketRows(base: rows.baseAddress!, stride: Self.outputCount, bytes: idf.baseAddress))
            }
        }
    }

    /// Integer accumulation over the packed rows: exact sums of byte products, scaled once.
    @inline(__always)
    private func packedLogits(_ buckets: [UInt32], into out: inout [Float]) {
        if Self.outputCount <= 16 && packed.count >= 16 {
            packedLogits16(buckets, into: &out)
            return
        }
        let hasIDF = !packedIDF.isEmpty
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.outputCount) { s in
            s.initialize(repeating: 0)
            var norm: Int64 = 0
            packed.withUnsafeBufferPointer { w in
                packedIDF.withUnsafeBufferPointer { idf in
                    for b in buckets {
                        let v = hasIDF ? Int32(idf[Int(b)]) : 1
                        norm &+= Int64(v &* v)
                        let base = Int(b) &* Self.outputCount
                        for k in 0..<Self.outputCount { s[k] &+= Int32(w[base &+ k]) &* v }
                    }
                }
            }
            guard norm > 0 else { return }
            // Sums are in units of packedScale × packedIDFScale, the norm's root in packedIDFScale.
            let scale = packedScale / Float(norm).squareRoot()
            for k in 0..<Self.outputCount { out[k] = Float(s[k]) * scale }
        }
    }

    /// `packedLogits` over 16 lanes per bucket: a whole row in one load (lanes past
    /// `outputCount` hold the next row's weights: summed, never read). The same 32-bit integer
    /// sums, so the logits are the same. Written as plain loops over 16 values, which the
    /// optimiser vectorises (the SIMD types' widening initialisers were calls, not inlined).
    @inline(__always)
    private func packedLogits16(_ buckets: [UInt32], into out: inout [Float]) {
        let hasIDF = !packedIDF.isEmpty
        var norm: Int64 = 0
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 16) { sums in
            sums.initialize(repeating: 0)
            packed.withUnsafeBufferPointer { w in
                packedIDF.withUnsafeBufferPointer { idf in
                    let weights = w.baseAddress!
                    let lastFull = w.count - 16
                    let ahead = 8
                    for (i, b) in buckets.enumerated() {
                        // The rows (2.9 MB of them, at random) of a few buckets on are fetched early.
                        if i + ahead < buckets.count {
                            let later = Int(buckets[i + ahead])
                            bulwark_prefetch(weights + later &* Self.outputCount, Self.outputCount)
                            if hasIDF { bulwark_prefetch(idf.baseAddress! + later, 1) }
                        }
                        let v: Int32 = hasIDF ? Int32(idf[Int(b)]) : 1
                        norm &+= Int64(v &* v)
                        let base = Int(b) &* Self.outputCount
                        if base <= lastFull {
                            let row = weights + base
                            for k in 0..<16 { sums[k] &+= Int32(row[k]) &* v }
                        } else {
                            for k in 0..<Self.outputCount { sums[k] &+= Int32(w[base &+ k]) &* v }
                        }
                    }
                }
            }
            guard norm > 0 else { return }
            let scale = packedScale / Float(norm).squareRoot()
            for k in 0..<Self.outputCount { out[k] = Float(sums[k]) * scale }
        }
    }

    /// The value of each bucket in the feature vector of `buckets` (idf, L2-normalised).
    func featureValues(_ buckets: [UInt32], into out: inout [Float]) {
        out.removeAll(keepingCapacity: true)
        var norm: Float = 0
        for b in buckets {
            let v = idf.isEmpty ? 1 : idf[Int(b)]
            out.append(v)
            norm += v * v
        }
        let scale = norm > 0 ? 1 / norm.squareRoot() : 0
        for i in out.indices { out[i] *= scale }
    }

    /// Probabilities of the stance classes and of the categories (given violating).
    public func probabilities(logits: [Float]) -> (stance: [Double], categories: [Double]) {
        let stance = softmax(logits[0..<Self.stanceCount].map { Double($0 / temperature) })
        let categories = softmax(logits[Self.stanceCount..<Self.outputCount].map { Double($0) })
        return (stance, categories)
    }
}

func softmax(_ x: [Double]) -> [Double] {
    guard let m = x.max() else { return [] }
    var e = x.map { expApprox($0 - m) }
    let sum = e.reduce(0, +)
    for i in e.indices { e[i] /= sum }
    return e
}

/// e^x without Foundation, accurate to about 1e-12 relative for the range softmax uses.
@inline(__always)
func expApprox(_ x: Double) -> Double {
    if x < -700 { return 0 }
    // e^x = 2^k * e^r, with r in [-ln2/2, ln2/2].
    let ln2 = 0.693_147_180_559_945_3
    let k = (x / ln2).rounded()
    let r = x - k * ln2
    var term = 1.0
    var sum = 1.0
    for n in 1...16 {
        term *= r / Double(n)
        sum += term
    }
    return sum * Double(sign: .plus, exponent: Int(k), significand: 1)
}

@inline(__always)
func logApprox(_ x: Double) -> Double {
    // ln(x) = ln(m) + e*ln2 with m in [1,2): atanh series.
    guard x > 0 else { return -.infinity }
    let e = x.exponent
    let m = x.significand
    let y = (m - 1) / (m + 1)
    let y2 = y * y
    var term = y
    var sum = 0.0
    var n = 1.0
    for _ in 0..<20 {
        sum += term / n
        term *= y2
        n += 2
    }
    return 2 * sum + Double(e) * 0.693_147_180_559_945_3
}
