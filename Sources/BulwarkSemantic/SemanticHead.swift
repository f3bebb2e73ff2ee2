public import BulwarkCore

/// A linear softmax classifier over sentence embeddings: the stance classes of the text engine
/// (violating and the non-violating contexts) from the 512 numbers of ``Embedder``. Small (a
/// few thousand weights), trained by ``SemanticHeadTrainer`` from labelled data, serialised
/// to a committed file ("BWSH1") that rebuilds byte for byte from the same data.
///
/// Because the encoder places the same meaning in different languages close together, a head
/// trained on some languages carries over to others: the cascade uses it for that.
public struct SemanticHead: Sendable, Equatable {
    /// The class names, in the order of the probabilities (for example "violating", "news").
    public let classes: [String]
    /// The embedding length the weights expect.
    public let dimension: Int
    /// Row-major `classes.count` × (`dimension` + 1): each class's weights, its bias last.
    public let weights: [Float]
    /// How the head was made (command, data, settings).
    public let provenance: String

    public init(classes: [String], dimension: Int, weights: [Float], provenance: String) throws(BulwarkError) {
        guard classes.count >= 2, classes.count <= 64 else {
            throw BulwarkError(.invalidModel, "a semantic head needs 2 to 64 classes, not \(classes.count)")
        }
        guard dimension > 0, dimension <= 4096, weights.count == classes.count * (dimension + 1) else {
            throw BulwarkError(
                .invalidModel,
                "a semantic head of \(classes.count) classes over \(dimension) dimensions needs \(classes.count * (dimension + 1)) weights, not \(weights.count)")
        }
        guard weights.allSatisfy(\.isFinite) else { throw BulwarkError(.invalidModel, "a semantic head weight is not finite") }
        self.classes = classes
        self.dimension = dimension
        self.weights = weights
        self.provenance = provenance
    }

    /// The probability of each class for `embedding`.
    public func probabilities(_ embedding: [Float]) -> [Double] {
        precondition(embedding.count == dimension, "embedding of \(embedding.count) values, head expects \(dimension)")
        var logits = [Double](repeating: 0, count: classes.count)
        let stride = dimension + 1
        weights.withUnsafeBufferPointer { w in
            embedding.withUnsafeBufferPointer { x in
                for c in 0..<classes.count {
                    let row = c * stride
                    var s = Double(w[row + dimension])
                    for j in 0..<dimension { s += Double(w[row + j]) * Double(x[j]) }
                    logits[c] = s
                }
            }
        }
        return Self.softmax(logits)
    }

    static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max() ?? 0
        var out = logits.map { exp($0 - top) }
        let sum = out.reduce(0, +)
        for i in out.indices { out[i] /= sum }
        return out
    }

    // MARK: - File format

    static let magic: [UInt8] = Array("BWSH1\0".utf8)

    /// "BWSH1\0", u32 class count, u32 dimension, u32 provenance length, the provenance, each
    /// class name as u32 length + UTF-8, then the weights as little-endian float32.
    public func serialized() -> [UInt8] {
        var out = Self.magic
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        func string(_ s: String) {
            u32(s.utf8.count)
            out.append(contentsOf: s.utf8)
        }
        u32(classes.count)
        u32(dimension)
        string(provenance)
        for c in classes { string(c) }
        for w in weights { withUnsafeBytes(of: w.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    public init(serialized bytes: [UInt8]) throws(BulwarkError) {
        var at = 0
        func need(_ n: Int, _ what: String) throws(BulwarkError) {
            guard n >= 0, bytes.count - at >= n else {
                throw BulwarkError(.invalidModel, "semantic head is truncated in its \(what) at byte \(at)")
            }
        }
        func u32(_ what: String) throws(BulwarkError) -> Int {
            try need(4, what)
            let v = Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
            at += 4
            return v
        }
        func string(_ what: String) throws(BulwarkError) -> String {
            let n = try u32(what)
            guard n <= 1 << 16 else { throw BulwarkError(.invalidModel, "semantic head \(what) of \(n) bytes at byte \(at - 4)") }
            try need(n, what)
            defer { at += n }
            return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
        }
        try need(Self.magic.count, "header")
        guard Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw BulwarkError(.invalidModel, "not a Bulwark semantic head (the file does not start with \"BWSH1\")")
        }
        at = Self.magic.count
        let count = try u32("class count")
        let dimension = try u32("dimension")
        guard count <= 64, dimension <= 4096 else {
            throw BulwarkError(.invalidModel, "semantic head sizes out of range: \(count) classes, \(dimension) dimensions")
        }
        let provenance = try string("provenance")
        var classes: [String] = []
        for _ in 0..<count { classes.append(try string("class names")) }
        let n = count * (dimension + 1)
        try need(n * 4, "weights")
        guard bytes.count - at == n * 4 else {
            throw BulwarkError(.invalidModel, "semantic head has \(bytes.count - at - n * 4) bytes after its weights")
        }
        var weights = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let p = at + 4 * i
            let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
            weights[i] = Float(bitPattern: bits)
        }
        try self.init(classes: classes, dimension: dimension, weights: weights, provenance: provenance)
    }
}

/// Fits a ``SemanticHead`` by full-batch gradient descent (Adam) on the cross-entropy with L2
/// regularisation and class weights: no randomness, a fixed number of steps, so the same
/// embeddings and labels give the same weights.
public struct SemanticHeadTrainer: Sendable {
    public var iterations = 400
    public var learningRate = 0.05
    public var l2 = 1e-4
    /// 0: classes as they come; 1: each class weighs as much as every other.
    public var classWeightPower = 1.0

    public init() {}

    /// - Parameters:
    ///   - embeddings: one embedding per example, all of the same length.
    ///   - labels: each example's class, an index into `classes`.
    public func train(embeddings: [[Float]], labels: [Int], classes: [String], provenance: String) throws(BulwarkError) -> SemanticHead {
        guard let d = embeddings.first?.count, embeddings.count == labels.count else {
            throw BulwarkError(.invalidData, "no examples to train a semantic head on")
        }
        guard embeddings.allSatisfy({ $0.count == d }) else { throw BulwarkError(.invalidData, "embeddings of different lengths") }
        guard labels.allSatisfy({ (0..<classes.count).contains($0) }) else { throw BulwarkError(.invalidData, "a label outside the classes") }
        let k = classes.count
        let stride = d + 1
        let n = embeddings.count
        var counts = [Double](repeating: 0, count: k)
        for y in labels { counts[y] += 1 }
        let present = Double(counts.filter { $0 > 0 }.count)
        let exampleWeight = labels.map { y in
            pow(Double(n) / (present * counts[y]), classWeightPower)
        }
        let totalWeight = exampleWeight.reduce(0, +)
        var x = [Double](repeating: 0, count: n * d)
        for (i, e) in embeddings.enumerated() { for j in 0..<d { x[i * d + j] = Double(e[j]) } }
        var w = [Double](repeating: 0, count: k * stride)
        var m = w
        var v = w
        var gradient = w
        var p = [Double](repeating: 0, count: k)
        let beta1 = 0.9
        let beta2 = 0.999
        for step in 1...max(1, iterations) {
            for i in gradient.indices { gradient[i] = 0 }
            x.withUnsafeBufferPointer { x in
                w.withUnsafeBufferPointer { w in
                    gradient.withUnsafeMutableBufferPointer { g in
                        for i in 0..<n {
                            let row = i * d
                            var top = -Double.infinity
                            for c in 0..<k {
                                var s = w[c * stride + d]
                                for j in 0..<d { s += w[c * stride + j] * x[row + j] }
                                p[c] = s
                                top = max(top, s)
                            }
                            var sum = 0.0
                            for c in 0..<k {
                                p[c] = exp(p[c] - top)
                                sum += p[c]
                            }
                            let scale = exampleWeight[i] / totalWeight
                            for c in 0..<k {
                                let delta = (p[c] / sum - (labels[i] == c ? 1 : 0)) * scale
                                if delta == 0 { continue }
                                for j in 0..<d { g[c * stride + j] += delta * x[row + j] }
                                g[c * stride + d] += delta
                            }
                        }
                    }
                }
            }
            let correction1 = 1 - pow(beta1, Double(step))
            let correction2 = 1 - pow(beta2, Double(step))
            for i in w.indices {
                // No regularisation of the biases.
                let g = gradient[i] + (i % stride == d ? 0 : l2 * w[i])
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                w[i] -= learningRate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + 1e-8)
            }
        }
        return try SemanticHead(classes: classes, dimension: d, weights: w.map { Float($0) }, provenance: provenance)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
