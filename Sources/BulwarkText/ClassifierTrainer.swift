public import BulwarkCore

/// One labelled example, already turned into features.
public struct TrainingExample: Sendable {
    public var buckets: [UInt32]
    public var stance: StanceClass
    public var category: Category?

    public init(buckets: [UInt32], stance: StanceClass, category: Category?) {
        self.buckets = buckets
        self.stance = stance
        self.category = category
    }
}

/// Fits a `ClassifierModel`: softmax regression with AdaGrad and L2, class-balanced, in a fixed
/// order from a fixed seed, so the same data always gives the same model.
public struct ClassifierTrainer: Sendable {
    public var epochs: Int
    public var learningRate: Float
    public var l2: Float
    public var seed: UInt64
    /// Weigh features by inverse document frequency.
    public var useIDF: Bool
    /// Average the weights over the second half of the epochs.
    public var averageWeights: Bool
    /// Class balancing: each class weighs (total / (classes × count))^power; 0 is no balancing,
    /// 1 full balancing.
    public var classWeightPower: Double

    public init(
        epochs: Int = 12, learningRate: Float = 0.4, l2: Float = 1e-5, seed: UInt64 = 20_261_129, useIDF: Bool = true,
        averageWeights: Bool = true, classWeightPower: Double = 0.5, namedFeatureValue: Float = 8
    ) {
        self.namedFeatureValue = namedFeatureValue
        self.classWeightPower = classWeightPower
        self.useIDF = useIDF
        self.averageWeights = averageWeights
        self.epochs = epochs
        self.learningRate = learningRate
        self.l2 = l2
        self.seed = seed
    }

    /// How many fits (in different orders) are averaged into the model.
    public var ensembleSize: Int = 1

    /// Value given to named features (lexicon entries, context cues) in place of their idf: they
    /// are few and shared across languages, and a text's hundreds of n-grams would drown them.
    public var namedFeatureValue: Float

    public func train(
        _ examples: [TrainingExample], tune: [TrainingExample], features: FeatureExtractor, provenance: String,
        namedBuckets: [UInt32] = []
    ) -> ClassifierModel {
        // Several fits in different orders, averaged: a linear model's logits are linear in its
        // weights, so the average is an ensemble that costs nothing more to run.
        var model = fit(examples, features: features, provenance: provenance, namedBuckets: namedBuckets, seed: seed)
        if ensembleSize > 1 {
            for k in 1..<ensembleSize {
                let other = fit(
                    examples, features: features, provenance: provenance, namedBuckets: namedBuckets,
                    seed: seed &+ UInt64(k) &* 0x9E37_79B9)
                for i in model.weights.indices { model.weights[i] += other.weights[i] }
            }
            let scale = 1 / Float(ensembleSize)
            for i in model.weights.indices { model.weights[i] *= scale }
        }
        model.temperature = fitTemperature(model, tune)
        return model
    }

    func fit(
        _ examples: [TrainingExample], features: FeatureExtractor, provenance: String, namedBuckets: [UInt32],
        seed: UInt64
    ) -> ClassifierModel {
        let outputs = ClassifierModel.outputCount
        let stanceCount = ClassifierModel.stanceCount
        // Smoothed inverse document frequency, as in common TF-IDF practice.
        var documentFrequency = [Int32](repeating: 0, count: features.bucketCount)
        for e in examples { for b in e.buckets { documentFrequency[Int(b)] += 1 } }
        let n = Float(examples.count)
        var idf = documentFrequency.map { df in logf((1 + n) / (1 + Float(df))) + 1 }
        for b in namedBuckets { idf[Int(b)] = namedFeatureValue }
        var model = ClassifierModel(features: features, idf: useIDF ? idf : [], provenance: provenance)
        var values: [Float] = []
        var accumulated = [Float](repeating: 1e-6, count: model.weights.count)
        // Class-balancing weights (square-root damped).
        var stanceCounts = [Int](repeating: 0, count: stanceCount)
        var categoryCounts = [Int](repeating: 0, count: ClassifierModel.categoryCount)
        for e in examples {
            stanceCounts[e.stance.rawValue] += 1
            if let c = e.category, let i = Category.allCases.firstIndex(of: c) { categoryCounts[i] += 1 }
        }
        let stanceWeights = classWeights(stanceCounts)
        let categoryWeights = classWeights(categoryCounts)
        var order = Array(examples.indices)
        var rng = SplitMix(seed: seed)
        var logits: [Float] = []
        var gradient = [Float](repeating: 0, count: outputs)
        // The weights are averaged over the epochs of the second half (Polyak averaging), which
        // steadies what stochastic updates on small data leave behind.
        var average = [Float](repeating: 0, count: model.weights.count)
        var averaged = 0
        for epoch in 0..<epochs {
            // Fisher-Yates with the fixed generator.
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
            for index in order {
                let example = examples[index]
                model.logits(example.buckets, into: &logits)
                let stance = softmax(logits[0..<stanceCount].map { Double($0) })
                let sw = stanceWeights[example.stance.rawValue]
                for k in 0..<stanceCount {
                    gradient[k] = Float(stance[k] - (k == example.stance.rawValue ? 1 : 0)) * sw
                }
                if let c = example.category, let ci = Category.allCases.firstIndex(of: c) {
                    let categories = softmax(logits[stanceCount..<outputs].map { Double($0) })
                    let cw = categoryWeights[ci]
                    for k in 0..<ClassifierModel.categoryCount {
                        gradient[stanceCount + k] = Float(categories[k] - (k == ci ? 1 : 0)) * cw
                    }
                } else {
                    for k in stanceCount..<outputs { gradient[k] = 0 }
                }
                model.featureValues(example.buckets, into: &values)
                model.weights.withUnsafeMutableBufferPointer { w in
                    accumulated.withUnsafeMutableBufferPointer { g in
                        for (j, b) in example.buckets.enumerated() {
                            let base = Int(b) * outputs
                            let x = values[j]
                            for k in 0..<outputs {
                                let grad = gradient[k] * x + l2 * w[base + k]
                                if grad == 0 { continue }
                                g[base + k] += grad * grad
                                w[base + k] -= learningRate * grad / g[base + k].squareRoot()
                            }
                        }
                    }
                }
            }
            if averageWeights && epoch >= epochs / 2 {
                for i in average.indices { average[i] += model.weights[i] }
                averaged += 1
            }
        }
        if averaged > 0 {
            let scale = 1 / Float(averaged)
            for i in average.indices { model.weights[i] = average[i] * scale }
        }
        return model
    }

    func classWeights(_ counts: [Int]) -> [Float] {
        let total = counts.reduce(0, +)
        let present = counts.filter { $0 > 0 }.count
        return counts.map { c in
            guard c > 0, present > 0 else { return 0 }
            return Float(powApprox(Double(total) / Double(present * c), classWeightPower))
        }
    }

    /// The temperature that minimises the stance log-loss on the tuning split (grid search).
    func fitTemperature(_ model: ClassifierModel, _ tune: [TrainingExample]) -> Float {
        guard !tune.isEmpty else { return 1 }
        var best: (Float, Double) = (1, .infinity)
        var logits: [Float] = []
        var t: Float = 0.3
        while t <= 4.0 {
            var loss = 0.0
            for e in tune {
                model.logits(e.buckets, into: &logits)
                let p = softmax(logits[0..<ClassifierModel.stanceCount].map { Double($0 / t) })
                loss -= logApprox(max(p[e.stance.rawValue], 1e-12))
            }
            if loss < best.1 { best = (t, loss) }
            t += 0.05
        }
        return best.0
    }
}

/// x^y for x > 0 without Foundation.
func powApprox(_ x: Double, _ y: Double) -> Double { expApprox(y * logApprox(x)) }

/// Natural logarithm without Foundation.
func logf(_ x: Float) -> Float { Float(logApprox(Double(x))) }

/// A small deterministic generator (splitmix64) so training is reproducible.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &+ 0x9e37_79b9_7f4a_7c15
        return Hashing.mix(state)
    }
}
