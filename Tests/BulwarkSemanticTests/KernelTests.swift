import BulwarkCore
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
        let perPiece = size(encoder.projection) + encoder.w1.map(size).reduce(0, +) + encoder.w2.map(size).reduce(0, +)
        let perSentence = [encoder.output, encoder.d0, encoder.d1, encoder.d2, encoder.d3, encoder.p1, encoder.p3].map(size)
            .reduce(0, +)
        for pieces in [1, 2, 33, 300] {
            #expect(SentenceEncoder.matrixOperations(pieces: pieces) == 2 * (pieces * perPiece + perSentence))
        }
    }
}
