import BulwarkCore
import CSemanticKernels
import Testing

@testable import BulwarkSemantic

/// The C kernels of the encoder's per-token steps besides the products: each gives, bit for bit,
/// the floats of the plain loops they replaced (written out here in Swift), with the vector
/// instructions this CPU has and in plain C.
struct BranchKernelTests {
    /// The first layer of a branch as `SentenceEncoder` computed it in Swift before the C kernel:
    /// each token's shares added to the rows of the windows that hold it, the window's first
    /// token's share first; then `max(h + bias, 0)` (the residual is the second layer's).
    static func firstLayer(
        tokens: Int, order: (n: Int, left: Int), entries: [[Float]], shares: Int, w: Int, bias: [Float]
    ) -> [Float] {
        var h = [Float](repeating: 0, count: tokens * w)
        for u in 0..<tokens {
            for o in 0..<order.n {
                let t = u + order.left - o
                guard t >= 0 && t < tokens else { continue }
                for j in 0..<w {
                    let share = entries[u][shares + o * w + j]
                    h[t * w + j] = u == max(0, t - order.left) ? share : h[t * w + j] + share
                }
            }
        }
        for t in 0..<tokens {
            for j in 0..<w { h[t * w + j] = max(h[t * w + j] + bias[j], 0) }
        }
        return h
    }

    /// The first element whose bits differ (NaN equal to the same NaN), or nil.
    static func firstDifference(_ x: [Float], _ y: [Float]) -> String? {
        guard x.count == y.count else { return "\(x.count) values, expected \(y.count)" }
        guard let i = x.indices.first(where: { x[$0].bitPattern != y[$0].bitPattern }) else { return nil }
        return "element \(i): \(x[i]) (bits \(x[i].bitPattern)), expected \(y[i]) (bits \(y[i].bitPattern))"
    }

    @Test(arguments: [32, 24])
    func theFirstLayerOfABranchIsItsWindowsSharesInOrderThenBiasAndReLU(_ w: Int) {
        var random = SplitMix64(seed: 88)
        for order in SentenceEncoder.orders {
            // An entry: some other values first, then the branch's n shares.
            let shares = 3 + w + 5
            let width = shares + order.n * w + 2
            for tokens in 1...9 {
                var entries = (0..<tokens).map { _ in (0..<width).map { _ in Float.random(in: -3...3, using: &random) } }
                var bias = (0..<w).map { _ in Float.random(in: -1...1, using: &random) }
                if tokens > 2 {
                    // Row 1, element 0: shares and bias all −0, so h + bias is −0, which max(·, 0)
                    // makes +0.
                    for o in 0..<order.n where (0..<tokens).contains(1 - order.left + o) {
                        entries[1 - order.left + o][shares + o * w] = -0.0
                    }
                    bias[0] = -0.0
                    // Row 2, element 1: a NaN share, which max(·, 0) keeps.
                    entries[2][shares + order.left * w + 1] = .nan
                }
                let expected = Self.firstLayer(
                    tokens: tokens, order: order, entries: entries, shares: shares, w: w, bias: bias)
                let ldo = w + 7
                var dispatched = [Float](repeating: 42, count: tokens * ldo)
                var portable = [Float](repeating: 42, count: tokens * ldo)
                let pointers = entries.map { row in
                    let p = UnsafeMutablePointer<Float>.allocate(capacity: row.count)
                    p.initialize(from: row, count: row.count)
                    return UnsafePointer(p)
                }
                defer { for p in pointers { UnsafeMutablePointer(mutating: p).deallocate() } }
                let optional: [UnsafePointer<Float>?] = pointers
                optional.withUnsafeBufferPointer { e in
                    bulwark_branch_first_layer(tokens, order.n, order.left, e.baseAddress!, shares, w, bias, &dispatched, ldo)
                    bulwark_branch_first_layer_portable(tokens, order.n, order.left, e.baseAddress!, shares, w, bias, &portable, ldo)
                }
                for (name, got) in [("dispatched", dispatched), ("portable", portable)] {
                    let rows = (0..<tokens).flatMap { Array(got[($0 * ldo)..<($0 * ldo + w)]) }
                    let difference = Self.firstDifference(rows, expected)
                    #expect(difference == nil, "\(name), order \(order), \(tokens) tokens, w \(w)")
                    let padding = (0..<tokens).flatMap { Array(got[($0 * ldo + w)..<($0 * ldo + ldo)]) }
                    #expect(padding.allSatisfy { $0 == 42 }, "\(name): wrote outside the rows")
                }
                if tokens > 2 {
                    #expect(expected[2 * w + 1].isNaN)
                    #expect(expected[w].bitPattern == Float(0).bitPattern)
                }
            }
        }
    }

    /// The second layer of a branch, in the order the C code documents, written out here: the
    /// window's kept shares in window order, then each nonzero first-layer value times its row of
    /// the weights (place by place, element by element), then `max(acc + bias, 0) + (c + x)`.
    static func secondLayer(
        tokens: Int, order: (n: Int, left: Int), entries: [[Float]], shares: Int, values: Int, w: Int, first: [Float],
        weights: [Float], bias: [Float]
    ) -> [Float] {
        var out = [Float](repeating: 0, count: tokens * w)
        for t in 0..<tokens {
            let places = (0..<order.n).filter { (0..<tokens).contains(t - order.left + $0) }
            var acc = [Float](repeating: 0, count: w)
            for (i, o) in places.enumerated() {
                for j in 0..<w {
                    let share = entries[t - order.left + o][shares + o * w + j]
                    acc[j] = i == 0 ? share : acc[j] + share
                }
            }
            for o in places {
                let u = t - order.left + o
                for k in 0..<w where first[u * w + k] != 0 {
                    for j in 0..<w { acc[j] += first[u * w + k] * weights[(o * w + k) * w + j] }
                }
            }
            for j in 0..<w {
                out[t * w + j] = max(acc[j] + bias[j], 0) + (first[t * w + j] + entries[t][values + j])
            }
        }
        return out
    }

    /// Runs the dispatched and the plain C second layer on `entries` (as pointers, one per token).
    static func runSecondLayer(
        tokens: Int, order: (n: Int, left: Int), entries: [[Float]], shares: Int, values: Int, w: Int, first: [Float],
        weights: [Float], bias: [Float], ldo: Int
    ) -> (dispatched: [Float], portable: [Float]) {
        var dispatched = [Float](repeating: 42, count: tokens * ldo)
        var portable = [Float](repeating: 42, count: tokens * ldo)
        let pointers = entries.map { row in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: row.count)
            p.initialize(from: row, count: row.count)
            return UnsafePointer(p)
        }
        defer { for p in pointers { UnsafeMutablePointer(mutating: p).deallocate() } }
        let optional: [UnsafePointer<Float>?] = pointers
        var index = [Int32](repeating: 0, count: tokens * w)
        var value = [Float](repeating: 0, count: tokens * w)
        var count = [Int32](repeating: 0, count: tokens)
        optional.withUnsafeBufferPointer { e in
            bulwark_branch_second_layer(
                tokens, order.n, order.left, e.baseAddress!, shares, values, w, first, w, weights, bias, &dispatched, ldo,
                &index, &value, &count)
            bulwark_branch_second_layer_portable(
                tokens, order.n, order.left, e.baseAddress!, shares, values, w, first, w, weights, bias, &portable, ldo,
                &index, &value, &count)
        }
        return (dispatched, portable)
    }

    /// With w = 256 the dispatched kernel is the AVX-512 one on a CPU that has it; with 24, the
    /// plain C on every CPU.
    @Test(arguments: [256, 24])
    func theSecondLayerAddsTheKeptSharesThenTheFirstLayersNonzeroValuesTimesTheirRows(_ w: Int) {
        var random = SplitMix64(seed: 91)
        for order in SentenceEncoder.orders {
            let values = 2
            let shares = values + w + 3
            let width = shares + order.n * w + 1
            for tokens in 1...9 {
                let entries = (0..<tokens).map { _ in (0..<width).map { _ in Float.random(in: -3...3, using: &random) } }
                // The first layer's output: mostly zeros, as the model's, the rest positive.
                var first = (0..<(tokens * w)).map { _ in
                    Float.random(in: 0...1, using: &random) < 0.08 ? Float.random(in: 0.01...2, using: &random) : 0
                }
                let weights = (0..<(order.n * w * w)).map { _ in Float.random(in: -0.2...0.2, using: &random) }
                var bias = (0..<w).map { _ in Float.random(in: -1...1, using: &random) }
                if tokens > 2 {
                    first[2 * w + 5] = .nan  // a NaN is not skipped: it reaches every row whose window holds token 2
                    first[1 * w + 6] = -0.0  // skipped as 0
                    // Row 0, element 1: its sum −0 + bias −0 is −0, which max(·, 0) makes +0.
                    bias[1] = -0.0
                }
                let expected = Self.secondLayer(
                    tokens: tokens, order: order, entries: entries, shares: shares, values: values, w: w, first: first,
                    weights: weights, bias: bias)
                let ldo = w + 5
                let (dispatched, portable) = Self.runSecondLayer(
                    tokens: tokens, order: order, entries: entries, shares: shares, values: values, w: w, first: first,
                    weights: weights, bias: bias, ldo: ldo)
                for (name, got) in [("dispatched", dispatched), ("portable", portable)] {
                    let rows = (0..<tokens).flatMap { Array(got[($0 * ldo)..<($0 * ldo + w)]) }
                    let difference = Self.firstDifference(rows, expected)
                    #expect(difference == nil, "\(name), order \(order), \(tokens) tokens, w \(w)")
                    let padding = (0..<tokens).flatMap { Array(got[($0 * ldo + w)..<($0 * ldo + ldo)]) }
                    #expect(padding.allSatisfy { $0 == 42 }, "\(name): wrote outside the rows")
                }
                if tokens > 2 {
                    #expect(expected[1 * w].isNaN, "the NaN of token 2 reaches row 1 through every window")
                }
            }
        }
    }

    /// The second layer is the dense product it replaces: with shares that are the branch values
    /// times the weights' blocks, its rows equal `max(window(c + x) · W + bias, 0) + (c + x)`
    /// computed densely in Double, within float rounding. A weight row read for the wrong place
    /// or element fails it.
    @Test func theSecondLayerEqualsTheDenseProductOfItsWindows() {
        var random = SplitMix64(seed: 5)
        let w = 128
        for order in SentenceEncoder.orders {
            for tokens in [1, 4, 7] {
                let values = 0
                let shares = w
                let x = (0..<(tokens * w)).map { _ in Float.random(in: -2...2, using: &random) }
                let first = (0..<(tokens * w)).map { _ in
                    Float.random(in: 0...1, using: &random) < 0.1 ? Float.random(in: 0.01...2, using: &random) : 0
                }
                let weights = (0..<(order.n * w * w)).map { _ in Float.random(in: -0.2...0.2, using: &random) }
                let bias = (0..<w).map { _ in Float.random(in: -0.5...0.5, using: &random) }
                // Entry u: its values, then x[u] times each block of the weights.
                let entries = (0..<tokens).map { u -> [Float] in
                    var entry = Array(x[(u * w)..<((u + 1) * w)])
                    for o in 0..<order.n {
                        for j in 0..<w {
                            var sum = 0.0
                            for k in 0..<w { sum += Double(x[u * w + k]) * Double(weights[(o * w + k) * w + j]) }
                            entry.append(Float(sum))
                        }
                    }
                    return entry
                }
                let (dispatched, portable) = Self.runSecondLayer(
                    tokens: tokens, order: order, entries: entries, shares: shares, values: values, w: w, first: first,
                    weights: weights, bias: bias, ldo: w)
                var worst = 0.0
                for t in 0..<tokens {
                    for j in 0..<w {
                        var sum = Double(bias[j])
                        for o in 0..<order.n {
                            let u = t - order.left + o
                            guard (0..<tokens).contains(u) else { continue }
                            for k in 0..<w {
                                sum += Double(first[u * w + k] + x[u * w + k]) * Double(weights[(o * w + k) * w + j])
                            }
                        }
                        let expected = max(sum, 0) + Double(first[t * w + j] + x[t * w + j])
                        worst = max(worst, abs(Double(dispatched[t * w + j]) - expected), abs(Double(portable[t * w + j]) - expected))
                    }
                }
                #expect(worst < 1e-4, "order \(order), \(tokens) tokens: largest difference \(worst)")
            }
        }
    }

    @Test(arguments: [1280, 13])
    func theLayerNormSumIsEachRowLayerNormalisedThenAdded(_ width: Int) {
        var random = SplitMix64(seed: 7)
        for rows in [1, 2, 5] {
            let ld = width + 3
            var x = (0..<(rows * ld)).map { _ in Float.random(in: -6...6, using: &random) }
            for j in 0..<width { x[j] = x[j] * 1e3 + 5e3 }  // a row far from zero mean
            let gamma = (0..<width).map { _ in Float.random(in: 0.5...1.5, using: &random) }
            let beta = (0..<width).map { _ in Float.random(in: -0.2...0.2, using: &random) }
            let start = (0..<width).map { _ in Float.random(in: -1...1, using: &random) }
            // layerNorm in place (the Swift code the kernel replaced), then the rows added in order.
            var normalised = x
            normalised.withUnsafeMutableBufferPointer { n in
                layerNorm(rows: rows, width: width, x: n.baseAddress!, ld: ld, gamma: gamma, beta: beta, eps: 1e-6)
            }
            var expected = start
            for r in 0..<rows {
                for j in 0..<width { expected[j] += normalised[r * ld + j] }
            }
            var dispatched = start
            var portable = start
            bulwark_layer_norm_sum(rows, width, x, ld, gamma, beta, 1e-6, &dispatched)
            bulwark_layer_norm_sum_portable(rows, width, x, ld, gamma, beta, 1e-6, &portable)
            let dispatchedDifference = Self.firstDifference(dispatched, expected)
            let portableDifference = Self.firstDifference(portable, expected)
            #expect(dispatchedDifference == nil, "\(rows) rows of \(width)")
            #expect(portableDifference == nil, "\(rows) rows of \(width)")
            #expect(dispatched != start)
        }
    }
}
