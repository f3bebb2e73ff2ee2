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
    /// token's share first; then `max(h + bias, 0) + x`.
    static func firstLayer(
        tokens: Int, order: (n: Int, left: Int), entries: [[Float]], shares: Int, values: Int, w: Int, bias: [Float]
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
            for j in 0..<w { h[t * w + j] = max(h[t * w + j] + bias[j], 0) + entries[t][values + j] }
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
    func theFirstLayerOfABranchIsItsWindowsSharesInOrderThenBiasReLUAndResidual(_ w: Int) {
        var random = SplitMix64(seed: 88)
        for order in SentenceEncoder.orders {
            // An entry: some other values first, the branch's own values, then its n shares.
            let values = 3
            let shares = values + w + 5
            let width = shares + order.n * w + 2
            for tokens in 1...9 {
                var entries = (0..<tokens).map { _ in (0..<width).map { _ in Float.random(in: -3...3, using: &random) } }
                var bias = (0..<w).map { _ in Float.random(in: -1...1, using: &random) }
                if tokens > 2 {
                    // Row 1, element 0: shares and bias all −0, so h + bias is −0, which max(·, 0)
                    // makes +0 (and +0 + (−0) is +0, where −0 + (−0) would stay −0).
                    for o in 0..<order.n where (0..<tokens).contains(1 - order.left + o) {
                        entries[1 - order.left + o][shares + o * w] = -0.0
                    }
                    bias[0] = -0.0
                    entries[1][values] = -0.0
                    // Row 2, element 1: a NaN share, which max(·, 0) keeps.
                    entries[2][shares + order.left * w + 1] = .nan
                }
                let expected = Self.firstLayer(
                    tokens: tokens, order: order, entries: entries, shares: shares, values: values, w: w, bias: bias)
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
                    bulwark_branch_first_layer(tokens, order.n, order.left, e.baseAddress!, shares, values, w, bias, &dispatched, ldo)
                    bulwark_branch_first_layer_portable(
                        tokens, order.n, order.left, e.baseAddress!, shares, values, w, bias, &portable, ldo)
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
