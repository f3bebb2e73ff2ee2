import BulwarkCore
import CSemanticKernels
import Testing

@testable import BulwarkSemantic

/// The matrix products on their own, on shapes the encoder never uses: every row count from 1
/// to 40 (each tile height and tail of each kernel), 1 to 5 panels (odd counts leave a last
/// single panel, 5 a last panel outside the avx512 kernel's groups of four for one row), k
/// from 1 (odd k leaves a tail in the one-row kernels), row strides wider than the rows, with
/// and without accumulating into C.
struct GemmTests {
    /// Every kernel this CPU runs.
    static let kernels = GemmKernel.allCases.filter(\.isAvailable)

    /// (k, n, row counts): all row counts where the product is small enough for a debug build.
    static let shapes: [(k: Int, n: Int, rows: [Int])] = [
        (1, 16, Array(1...40)), (3, 48, Array(1...40)), (17, 80, Array(1...40)), (64, 32, Array(1...40)),
        (320, 320, [1, 2, 7, 12, 13, 25, 31]),
    ]

    struct Case {
        let m: Int, k: Int, n: Int, lda: Int, ldc: Int
        let a: [Float], b: [Float], c: [Float]
        let packed: PackedMatrix

        init(m: Int, k: Int, n: Int, random: inout SplitMix64) {
            self.m = m
            self.k = k
            self.n = n
            lda = k + 3
            ldc = n + 5
            a = (0..<(m * lda)).map { _ in Float.random(in: -1...1, using: &random) }
            b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &random) }
            c = (0..<(m * ldc)).map { _ in Float.random(in: -1...1, using: &random) }
            packed = PackedMatrix(rowMajor: b, rows: k, columns: n)
        }

        /// C after the product with `kernel`, padding included.
        func run(_ kernel: GemmKernel, accumulate: Bool) -> [Float] {
            var out = c
            a.withUnsafeBufferPointer { a in
                out.withUnsafeMutableBufferPointer { out in
                    gemm(
                        rows: m, a: a.baseAddress!, lda: lda, b: packed, c: out.baseAddress!, ldc: ldc,
                        accumulate: accumulate, kernel: kernel)
                }
            }
            return out
        }
    }

    static func cases() -> [Case] {
        var random = SplitMix64(seed: 2024)
        return shapes.flatMap { shape in shape.rows.map { Case(m: $0, k: shape.k, n: shape.n, random: &random) } }
    }

    /// Each value within float rounding of the sum in Double (relative to the sum of the terms'
    /// magnitudes), and the padding between rows of C untouched.
    @Test(arguments: kernels)
    func productsEqualTheDoubleSumWithinRounding(_ kernel: GemmKernel) {
        var worst = 0.0
        for t in Self.cases() {
            for accumulate in [false, true] {
                let out = t.run(kernel, accumulate: accumulate)
                for r in 0..<t.m {
                    for j in 0..<t.ldc {
                        let got = out[r * t.ldc + j]
                        let before = t.c[r * t.ldc + j]
                        guard j < t.n else {
                            #expect(got == before, "\(kernel) m \(t.m) k \(t.k) n \(t.n): padding written")
                            continue
                        }
                        var sum = accumulate ? Double(before) : 0
                        var scale = abs(sum)
                        for i in 0..<t.k {
                            let term = Double(t.a[r * t.lda + i]) * Double(t.b[i * t.n + j])
                            sum += term
                            scale += abs(term)
                        }
                        let error = abs(Double(got) - sum) / scale
                        worst = max(worst, error)
                        #expect(error < 1e-5, "\(kernel) m \(t.m) k \(t.k) n \(t.n) [\(r), \(j)]: \(got) vs \(sum)")
                    }
                }
            }
        }
        print("BulwarkSemantic: \(kernel) kernel, largest error relative to the sum of the terms \(worst)")
    }

    /// avx2 and avx512 sum each value's products in the same order with the same FMAs (and the
    /// one-row products in the same even and odd halves), so they give equal floats.
    @Test(.enabled(if: GemmKernel.avx512.isAvailable && GemmKernel.avx2.isAvailable, "needs a CPU with AVX-512"))
    func theAVX512KernelGivesTheAVX2KernelsFloats() {
        for t in Self.cases() {
            for accumulate in [false, true] {
                #expect(
                    t.run(.avx512, accumulate: accumulate) == t.run(.avx2, accumulate: accumulate),
                    "m \(t.m) k \(t.k) n \(t.n) accumulate \(accumulate)")
            }
        }
    }
}

/// `bench semantic` reports the kernels' rate from `SentenceEncoder.matrixOperations`: its
/// count must be the model's own products, per piece and per sentence.
struct MatrixOperationCountTests {
    @Test func theCountIsTheProductsOfTheLoadedModel() throws {
        let encoder = try SemanticFixtures.embedder.get().encoder
        func size(_ m: PackedMatrix) -> Int { m.rows * m.columns }
        let perPiece = size(encoder.projection) + encoder.w1Blocks.map(size).reduce(0, +) + encoder.w2.map(size).reduce(0, +)
        let perSentence = [encoder.output, encoder.d0, encoder.d1, encoder.d2, encoder.d3, encoder.p1, encoder.p3].map(size)
            .reduce(0, +)
        for pieces in [1, 2, 33, 300] {
            #expect(SentenceEncoder.matrixOperations(pieces: pieces) == 2 * (pieces * perPiece + perSentence))
        }
    }
}

/// The integer products on their own: each value is the exact integer sum of the rounded
/// operands, scaled back, the same with every kernel; and it is the float product to within
/// what 11-bit rounding allows. Row counts 1 to 14 cover every tile height and tail; 47 to 100
/// are cut into several tiles of nearly equal heights, as a part of many tokens is.
struct IntegerGemmTests {
    static let kernels = GemmKernel.allCases.filter(\.isAvailable)

    /// Rounds as the C code documents: scale = largest magnitude / 1023 (1 for zeros), each value
    /// times 1 / scale, clamped, rounded to the nearest integer (ties to even).
    static func quantize(_ row: ArraySlice<Float>) -> ([Int], Float) {
        let largest = row.reduce(Float(0)) { max($0, abs($1)) }
        let scale = largest > 0 ? largest / 1023 : 1
        let inverse = 1 / scale
        return (row.map { Int(min(max($0 * inverse, -1023), 1023).rounded(.toNearestOrEven)) }, scale)
    }

    /// The windows of a CNN branch rounded straight from the token rows are the integers and
    /// scales of the gathered windows rounded row by row, for every order, sentence length and
    /// kernel; with rows of zeros, a NaN and values past the range's scale.
    @Test(arguments: kernels)
    func windowsRoundedWithoutGatheringEqualTheGatheredWindowsRounded(_ kernel: GemmKernel) {
        var random = SplitMix64(seed: 23)
        let w = 32
        for order in SentenceEncoder.orders {
            for tokens in 1...9 {
                let ld = w + 5
                var from = (0..<(tokens * ld)).map { _ in Float.random(in: -4...4, using: &random) }
                if tokens > 2 { for j in 0..<w { from[1 * ld + j] = 0 } }  // a row of zeros
                if tokens > 3 { from[3 * ld + 7] = .nan }
                if tokens > 4 { from[4 * ld + 2] = 1e30 }
                let width = order.n * w
                // The windows gathered (as SentenceEncoder.gather does for rows of 256), then rounded.
                var gathered = [Float](repeating: 0, count: tokens * width)
                for r in 0..<tokens {
                    for o in 0..<order.n {
                        let source = r - order.left + o
                        guard source >= 0 && source < tokens else { continue }
                        for j in 0..<w { gathered[r * width + o * w + j] = from[source * ld + j] }
                    }
                }
                var expected = [Int16](repeating: 0, count: tokens * width)
                var expectedScales = [Float](repeating: 0, count: tokens)
                gathered.withUnsafeBufferPointer { g in
                    switch kernel {
                    case .portable:
                        bulwark_quantize_rows_i16_portable(tokens, width, g.baseAddress!, width, &expected, width, &expectedScales)
                    case .avx2, .avx512:
                        bulwark_quantize_rows_i16_avx2(tokens, width, g.baseAddress!, width, &expected, width, &expectedScales)
                    }
                }
                var got = [Int16](repeating: 99, count: tokens * width)
                var scales = [Float](repeating: 0, count: tokens)
                var largest = [Float](repeating: 0, count: tokens)
                from.withUnsafeBufferPointer { f in
                    quantizeWindowsInt16(
                        tokens: tokens, order: order, from: f.baseAddress!, ld: ld, width: w, out: &got, rowScales: &scales,
                        largest: &largest, kernel: kernel)
                }
                let sameIntegers = got == expected
                #expect(sameIntegers, "order \(order), \(tokens) tokens")
                #expect(scales == expectedScales, "order \(order), \(tokens) tokens")
                #expect(Set(got).count > 3)
            }
        }
    }

    @Test(arguments: kernels)
    func productsAreTheExactSumsOfTheRoundedOperands(_ kernel: GemmKernel) {
        var random = SplitMix64(seed: 16)
        for (k, n) in [(2, 16), (6, 32), (64, 48), (512, 16)] {
            for m in Array(1...14) + [47, 48, 49, 100] {
                let a = (0..<(m * k)).map { _ in Float.random(in: -3...3, using: &random) }
                var b = (0..<(k * n)).map { _ in Float.random(in: -0.5...0.5, using: &random) }
                if n > 16 { for r in 0..<k { b[r * n + 17] = 0 } }  // a column of zeros
                let q = QuantizedMatrix(PackedMatrix(rowMajor: b, rows: k, columns: n))
                let ldc = n + 3
                var c = [Float](repeating: 7, count: m * ldc)
                var scratch = [Int16](repeating: 0, count: m * k)
                var rowScales = [Float](repeating: 0, count: m)
                a.withUnsafeBufferPointer { a in
                    c.withUnsafeMutableBufferPointer { c in
                        gemmInt16(
                            rows: m, a: a.baseAddress!, lda: k, b: q, c: c.baseAddress!, ldc: ldc,
                            scratch: &scratch, rowScales: &rowScales, kernel: kernel)
                    }
                }
                // The weights' rounding, per column, as the matrix stores them.
                var columns: [([Int], Float)] = []
                for j in 0..<n { columns.append(Self.quantize(ArraySlice((0..<k).map { b[$0 * n + j] }))) }
                for r in 0..<m {
                    let (qa, sa) = Self.quantize(a[(r * k)..<((r + 1) * k)])
                    #expect(rowScales[r] == sa)
                    for j in 0..<n {
                        let (qb, sb) = columns[j]
                        #expect(q.columnScales[j] == sb)
                        var sum = 0
                        var exact = 0.0
                        // Rounding moves each operand by at most half its scale.
                        var bound = 1e-6
                        for i in 0..<k {
                            let x = Double(a[r * k + i]), y = Double(b[i * n + j])
                            sum += qa[i] * qb[i]
                            exact += x * y
                            bound += abs(x) * Double(sb) / 2 + abs(y) * Double(sa) / 2 + Double(sa * sb) / 4
                        }
                        let expected = Float(sum) * sa * sb
                        #expect(c[r * ldc + j] == expected, "m \(m) k \(k) n \(n) at \(r), \(j)")
                        #expect(abs(Double(c[r * ldc + j]) - exact) <= bound * 1.001 + 1e-4 * abs(exact))
                    }
                    // The padding between rows untouched.
                    for j in n..<ldc { #expect(c[r * ldc + j] == 7) }
                }
            }
        }
    }
}
