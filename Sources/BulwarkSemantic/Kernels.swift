/// A weight matrix [rows × columns] stored for `gemm`: panels of 8 columns, each panel
/// holding its rows one after another (8 contiguous floats per row), so the kernel reads
/// the weights as one sequential stream.
struct PackedMatrix: Sendable {
    static let panel = 8
    let rows: Int
    let columns: Int
    let values: [Float]

    /// Packs a row-major matrix. `columns` must be a multiple of 8.
    init(rowMajor m: [Float], rows: Int, columns: Int) {
        precondition(columns % Self.panel == 0 && m.count == rows * columns)
        self.rows = rows
        self.columns = columns
        var packed = [Float](repeating: 0, count: m.count)
        var k = 0
        for p in stride(from: 0, to: columns, by: Self.panel) {
            for r in 0..<rows {
                for c in 0..<Self.panel {
                    packed[k] = m[r * columns + p + c]
                    k += 1
                }
            }
        }
        values = packed
    }

    /// Concatenates row-major matrices with the same row count side by side.
    init(concatenating parts: [[Float]], rows: Int, columns: [Int]) {
        let total = columns.reduce(0, +)
        var m = [Float](repeating: 0, count: rows * total)
        var left = 0
        for (part, width) in zip(parts, columns) {
            for r in 0..<rows {
                for c in 0..<width { m[r * total + left + c] = part[r * width + c] }
            }
            left += width
        }
        self.init(rowMajor: m, rows: rows, columns: total)
    }
}

/// C[m × n] (+)= A[m × k] · B[k × n] for a packed B: `a` and `c` are row-major with row
/// strides `lda` and `ldc`. For each panel of 8 columns (which stays in L1 for k ≤ 1280) the
/// rows of A go by in tiles of 4 rows × 8 columns held in registers across the whole k loop;
/// the tile is small enough for the 16 SSE registers of baseline x86-64 (no spills).
@inline(__always)
func gemm(
    rows m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
    accumulate: Bool
) {
    let k = b.rows
    let panel = PackedMatrix.panel
    let step = panel * MemoryLayout<Float>.stride
    b.values.withUnsafeBufferPointer { bBuffer in
        let bBase = UnsafeRawPointer(bBuffer.baseAddress!)
        var p = 0
        while p < b.columns {
            let panelBase = bBase + p * k * MemoryLayout<Float>.stride
            var r = 0
            while r + 4 <= m {
                let a0 = a + r * lda
                let a1 = a0 + lda
                let a2 = a1 + lda
                let a3 = a2 + lda
                let c0 = UnsafeMutableRawPointer(c + r * ldc + p)
                let c1 = UnsafeMutableRawPointer(c + (r + 1) * ldc + p)
                let c2 = UnsafeMutableRawPointer(c + (r + 2) * ldc + p)
                let c3 = UnsafeMutableRawPointer(c + (r + 3) * ldc + p)
                var s0 = SIMD8<Float>()
                var s1 = SIMD8<Float>()
                var s2 = SIMD8<Float>()
                var s3 = SIMD8<Float>()
                if accumulate {
                    s0 = c0.loadUnaligned(as: SIMD8<Float>.self)
                    s1 = c1.loadUnaligned(as: SIMD8<Float>.self)
                    s2 = c2.loadUnaligned(as: SIMD8<Float>.self)
                    s3 = c3.loadUnaligned(as: SIMD8<Float>.self)
                }
                var w = panelBase
                for i in 0..<k {
                    let bv = w.loadUnaligned(as: SIMD8<Float>.self)
                    w += step
                    s0 += a0[i] * bv
                    s1 += a1[i] * bv
                    s2 += a2[i] * bv
                    s3 += a3[i] * bv
                }
                c0.storeBytes(of: s0, as: SIMD8<Float>.self)
                c1.storeBytes(of: s1, as: SIMD8<Float>.self)
                c2.storeBytes(of: s2, as: SIMD8<Float>.self)
                c3.storeBytes(of: s3, as: SIMD8<Float>.self)
                r += 4
            }
            while r < m {
                let a0 = a + r * lda
                let c0 = UnsafeMutableRawPointer(c + r * ldc + p)
                var s0 = SIMD8<Float>()
                var t0 = SIMD8<Float>()
                if accumulate { s0 = c0.loadUnaligned(as: SIMD8<Float>.self) }
                var w = panelBase
                var i = 0
                // Two independent sums hide the add latency of a single row.
                while i + 2 <= k {
                    s0 += a0[i] * w.loadUnaligned(as: SIMD8<Float>.self)
                    t0 += a0[i + 1] * w.loadUnaligned(fromByteOffset: step, as: SIMD8<Float>.self)
                    w += 2 * step
                    i += 2
                }
                if i < k { s0 += a0[i] * w.loadUnaligned(as: SIMD8<Float>.self) }
                c0.storeBytes(of: s0 + t0, as: SIMD8<Float>.self)
                r += 1
            }
            p += panel
        }
    }
}

/// Layer normalisation of each of `rows` rows of `width` values (row stride `ld`), in place,
/// in the order of the reference: subtract the mean, divide by sqrt(mean square + eps),
/// multiply by gamma, add beta.
@inline(__always)
func layerNorm(
    rows: Int, width: Int, x: UnsafeMutablePointer<Float>, ld: Int, gamma: UnsafePointer<Float>,
    beta: UnsafePointer<Float>, eps: Float
) {
    for r in 0..<rows {
        let row = x + r * ld
        var sum: Float = 0
        for j in 0..<width { sum += row[j] }
        let mean = sum / Float(width)
        var squares: Float = 0
        for j in 0..<width {
            let v = row[j] - mean
            row[j] = v
            squares += v * v
        }
        let scale = 1 / (squares / Float(width) + eps).squareRoot()
        for j in 0..<width { row[j] = row[j] * scale * gamma[j] + beta[j] }
    }
}
