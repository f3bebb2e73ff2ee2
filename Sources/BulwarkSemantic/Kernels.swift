import CSemanticKernels

/// A weight matrix [rows × columns] stored for `gemm`: panels of 16 columns, each panel
/// holding its rows one after another (16 contiguous floats per row), so the kernel reads
/// the weights as one sequential stream. One layout for every kernel: a 16-float row is one
/// AVX-512 register, two AVX2 ones, two passes of the portable kernel's 8 columns.
struct PackedMatrix: Sendable {
    static let panel = 16
    let rows: Int
    let columns: Int
    let values: [Float]

    /// Packs a row-major matrix. `columns` must be a multiple of 16.
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

/// Which code runs the matrix products: the portable Swift kernel (baseline x86-64's SSE, or
/// whatever the target has), or a C kernel with AVX2 and FMA or with AVX-512 when the CPU has
/// them (checked once at run time, so one binary runs everywhere and uses what the CPU offers).
public enum GemmKernel: Sendable, CaseIterable {
    case portable
    case avx2
    case avx512

    /// The fastest kernel this CPU runs.
    public static let best: GemmKernel =
        bulwark_gemm_avx512_available() != 0 ? .avx512 : bulwark_gemm_avx2_available() != 0 ? .avx2 : .portable

    /// Whether this CPU can run the kernel.
    public var isAvailable: Bool {
        switch self {
        case .portable: true
        case .avx2: bulwark_gemm_avx2_available() != 0
        case .avx512: bulwark_gemm_avx512_available() != 0
        }
    }
}

/// C[m × n] (+)= A[m × k] · B[k × n] for a packed B, with `kernel` (by default the best this
/// CPU runs). The portable kernel sums in a different order from the C ones (FMA rounds once):
/// its results agree with theirs to float rounding, not bit for bit; avx2 and avx512 sum in
/// the same order and agree bit for bit. Every kernel sums each value's k products in order,
/// from zero or from C, whatever the number of rows: a row gets the same floats alone as among
/// others (a sentence alone the floats it gets in a batch).
@inline(__always)
func gemm(
    rows m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
    accumulate: Bool, kernel: GemmKernel = .best
) {
    switch kernel {
    case .avx512:
        b.values.withUnsafeBufferPointer { packed in
            bulwark_gemm_packed16_avx512(m, b.columns, b.rows, a, lda, packed.baseAddress!, c, ldc, accumulate ? 1 : 0)
        }
    case .avx2:
        b.values.withUnsafeBufferPointer { packed in
            bulwark_gemm_packed16_avx2(m, b.columns, b.rows, a, lda, packed.baseAddress!, c, ldc, accumulate ? 1 : 0)
        }
    case .portable:
        portableGemm(rows: m, a: a, lda: lda, b: b, c: c, ldc: ldc, accumulate: accumulate)
    }
}

/// C[m × n] (+)= A[m × k] · B[k × n] for a packed B: `a` and `c` are row-major with row
/// strides `lda` and `ldc`. For each half panel (8 columns, read with the panel's stride of
/// 16) the rows of A go by in tiles of 4 rows × 8 columns held in 32 scalar accumulators across
/// the whole k loop; each output element sums its k products in order. Written with scalars, not
/// `SIMD8`: the optimiser vectorises them into the same code as `SIMD8` (SSE on baseline
/// x86-64, AVX when the target allows), and unoptimised builds (the tests) run ~18× faster
/// than with `SIMD8`, whose operators are not inlined there.
func portableGemm(
    rows m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
    accumulate: Bool
) {
    let k = b.rows
    let panel = PackedMatrix.panel
    b.values.withUnsafeBufferPointer { bBuffer in
        let bBase = bBuffer.baseAddress!
        var p = 0
        while p < b.columns {
            // Columns p ..< p + 8: the left or right half of the panel holding them.
            let panelBase = bBase + (p - p % panel) * k + p % panel
            var r = 0
            while r + 4 <= m {
                let a0 = a + r * lda
                let a1 = a0 + lda
                let a2 = a1 + lda
                let a3 = a2 + lda
                let c0 = c + r * ldc + p
                let c1 = c0 + ldc
                let c2 = c1 + ldc
                let c3 = c2 + ldc
                var s00: Float = 0, s01: Float = 0, s02: Float = 0, s03: Float = 0, s04: Float = 0, s05: Float = 0, s06: Float = 0, s07: Float = 0
                var s10: Float = 0, s11: Float = 0, s12: Float = 0, s13: Float = 0, s14: Float = 0, s15: Float = 0, s16: Float = 0, s17: Float = 0
                var s20: Float = 0, s21: Float = 0, s22: Float = 0, s23: Float = 0, s24: Float = 0, s25: Float = 0, s26: Float = 0, s27: Float = 0
                var s30: Float = 0, s31: Float = 0, s32: Float = 0, s33: Float = 0, s34: Float = 0, s35: Float = 0, s36: Float = 0, s37: Float = 0
                if accumulate {
                    s00 = c0[0]; s01 = c0[1]; s02 = c0[2]; s03 = c0[3]; s04 = c0[4]; s05 = c0[5]; s06 = c0[6]; s07 = c0[7]
                    s10 = c1[0]; s11 = c1[1]; s12 = c1[2]; s13 = c1[3]; s14 = c1[4]; s15 = c1[5]; s16 = c1[6]; s17 = c1[7]
                    s20 = c2[0]; s21 = c2[1]; s22 = c2[2]; s23 = c2[3]; s24 = c2[4]; s25 = c2[5]; s26 = c2[6]; s27 = c2[7]
                    s30 = c3[0]; s31 = c3[1]; s32 = c3[2]; s33 = c3[3]; s34 = c3[4]; s35 = c3[5]; s36 = c3[6]; s37 = c3[7]
                }
                var w = panelBase
                for i in 0..<k {
                    let w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7]
                    w += panel
                    let x0 = a0[i]
                    s00 += x0 * w0; s01 += x0 * w1; s02 += x0 * w2; s03 += x0 * w3
                    s04 += x0 * w4; s05 += x0 * w5; s06 += x0 * w6; s07 += x0 * w7
                    let x1 = a1[i]
                    s10 += x1 * w0; s11 += x1 * w1; s12 += x1 * w2; s13 += x1 * w3
                    s14 += x1 * w4; s15 += x1 * w5; s16 += x1 * w6; s17 += x1 * w7
                    let x2 = a2[i]
                    s20 += x2 * w0; s21 += x2 * w1; s22 += x2 * w2; s23 += x2 * w3
                    s24 += x2 * w4; s25 += x2 * w5; s26 += x2 * w6; s27 += x2 * w7
                    let x3 = a3[i]
                    s30 += x3 * w0; s31 += x3 * w1; s32 += x3 * w2; s33 += x3 * w3
                    s34 += x3 * w4; s35 += x3 * w5; s36 += x3 * w6; s37 += x3 * w7
                }
                c0[0] = s00; c0[1] = s01; c0[2] = s02; c0[3] = s03; c0[4] = s04; c0[5] = s05; c0[6] = s06; c0[7] = s07
                c1[0] = s10; c1[1] = s11; c1[2] = s12; c1[3] = s13; c1[4] = s14; c1[5] = s15; c1[6] = s16; c1[7] = s17
                c2[0] = s20; c2[1] = s21; c2[2] = s22; c2[3] = s23; c2[4] = s24; c2[5] = s25; c2[6] = s26; c2[7] = s27
                c3[0] = s30; c3[1] = s31; c3[2] = s32; c3[3] = s33; c3[4] = s34; c3[5] = s35; c3[6] = s36; c3[7] = s37
                r += 4
            }
            while r < m {
                // One row (the sentence-level products): its k products summed in order, as in
                // the tiles above, so a sentence alone gets the floats it gets in a batch.
                let a0 = a + r * lda
                let c0 = c + r * ldc + p
                var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0, s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
                if accumulate {
                    s0 = c0[0]; s1 = c0[1]; s2 = c0[2]; s3 = c0[3]; s4 = c0[4]; s5 = c0[5]; s6 = c0[6]; s7 = c0[7]
                }
                var w = panelBase
                for i in 0..<k {
                    let x = a0[i]
                    s0 += x * w[0]; s1 += x * w[1]; s2 += x * w[2]; s3 += x * w[3]
                    s4 += x * w[4]; s5 += x * w[5]; s6 += x * w[6]; s7 += x * w[7]
                    w += panel
                }
                c0[0] = s0; c0[1] = s1; c0[2] = s2; c0[3] = s3; c0[4] = s4; c0[5] = s5; c0[6] = s6; c0[7] = s7
                r += 1
            }
            p += 8
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
        let mean = sum8(width) { row[$0] } / Float(width)
        for j in 0..<width { row[j] -= mean }
        let squares = sum8(width) { row[$0] * row[$0] }
        let scale = 1 / (squares / Float(width) + eps).squareRoot()
        for j in 0..<width { row[j] = row[j] * scale * gamma[j] + beta[j] }
    }
}

/// The sum of `term(0)`, …, `term(count - 1)` in eight running sums (a vector's lanes, so
/// the optimiser need not add one value at a time), then the tail.
@inline(__always)
func sum8(_ count: Int, _ term: (Int) -> Float) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
    var j = 0
    while j + 8 <= count {
        s0 += term(j)
        s1 += term(j + 1)
        s2 += term(j + 2)
        s3 += term(j + 3)
        s4 += term(j + 4)
        s5 += term(j + 5)
        s6 += term(j + 6)
        s7 += term(j + 7)
        j += 8
    }
    var sum = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    while j < count {
        sum += term(j)
        j += 1
    }
    return sum
}

/// How the encoder computes its per-token products (the projection and the CNN branches, 98%
/// of its arithmetic): in float32, or in integers of 11 bits held in int16 with exact int32
/// sums (1.24–1.29× faster in groups of 16 with AVX2; embeddings within 6e-6 cosine of the
/// float ones; docs/semantic.md). The sentence-level products stay in float32.
public enum EncoderProducts: String, Sendable, CaseIterable {
    case float32
    case int16

    /// What the encoder uses unless told otherwise.
    public static let standard: EncoderProducts = .int16
}

/// A weight matrix [rows × columns] rounded to integers for `gemmInt16`: each column to its
/// own scale (its largest magnitude / 1023), packed in panels of 16 columns, each holding the
/// rows two at a time (16 columns × 2 rows), as `bulwark_gemm_i16_avx2` reads them.
struct QuantizedMatrix: Sendable {
    let rows: Int
    let columns: Int
    let values: [Int16]
    let columnScales: [Float]

    /// The same matrix as `packed`. Its row count must be even.
    init(_ packed: PackedMatrix) {
        let k = packed.rows
        let n = packed.columns
        let panel = PackedMatrix.panel
        precondition(k % 2 == 0)
        func value(_ r: Int, _ c: Int) -> Float { packed.values[(c / panel) * panel * k + r * panel + c % panel] }
        let level = Float(BULWARK_I16_LEVEL)
        var scales = [Float](repeating: 1, count: n)
        for c in 0..<n {
            var largest: Float = 0
            for r in 0..<k { largest = max(largest, abs(value(r, c))) }
            if largest > 0 && largest.isFinite { scales[c] = largest / level }
        }
        var q = [Int16](repeating: 0, count: k * n)
        for c in 0..<n {
            let inverse = 1 / scales[c]
            for r in 0..<k {
                let v = min(max((value(r, c) * inverse).rounded(.toNearestOrEven), -level), level)
                q[(c / panel) * panel * k + (r / 2) * 2 * panel + (c % panel) * 2 + r % 2] = Int16(v)
            }
        }
        rows = k
        columns = n
        values = q
        columnScales = scales
    }
}

/// C[m × n] = A[m × k] · B[k × n] in integers: each row of A rounded to its own scale into
/// `scratch` (m × k int16) and `rowScales` (m floats), the products summed exactly, the sums
/// scaled back to float. The AVX-512, AVX2 and portable kernels give the same floats (the sums
/// are exact); the rounding runs the AVX2 code for the AVX-512 case too.
func gemmInt16(
    rows m: Int, a: UnsafePointer<Float>, lda: Int, b: QuantizedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
    scratch: UnsafeMutablePointer<Int16>, rowScales: UnsafeMutablePointer<Float>, kernel: GemmKernel = .best
) {
    let k = b.rows
    switch kernel {
    case .avx2, .avx512: bulwark_quantize_rows_i16_avx2(m, k, a, lda, scratch, k, rowScales)
    case .portable: bulwark_quantize_rows_i16_portable(m, k, a, lda, scratch, k, rowScales)
    }
    gemmInt16(rows: m, quantized: scratch, rowScales: rowScales, b: b, c: c, ldc: ldc, kernel: kernel)
}

/// C[m × n] = A · B in integers for an A already rounded (`quantized`, m × k int16, and its
/// `rowScales`): the product of `gemmInt16` after its rounding step.
func gemmInt16(
    rows m: Int, quantized a: UnsafePointer<Int16>, rowScales: UnsafePointer<Float>, b: QuantizedMatrix,
    c: UnsafeMutablePointer<Float>, ldc: Int, kernel: GemmKernel = .best
) {
    let k = b.rows
    b.values.withUnsafeBufferPointer { values in
        b.columnScales.withUnsafeBufferPointer { scales in
            switch kernel {
            case .avx512:
                bulwark_gemm_i16_avx512(m, b.columns, k, a, k, values.baseAddress!, rowScales, scales.baseAddress!, c, ldc)
            case .avx2:
                bulwark_gemm_i16_avx2(m, b.columns, k, a, k, values.baseAddress!, rowScales, scales.baseAddress!, c, ldc)
            case .portable:
                bulwark_gemm_i16_portable(m, b.columns, k, a, k, values.baseAddress!, rowScales, scales.baseAddress!, c, ldc)
            }
        }
    }
}

/// The windows of a CNN branch of order `order.n` over `tokens` rows of `from` (`width` floats
/// each, row stride `ld`), rounded as `gemmInt16` rounds the gathered windows (the same integers
/// and scales), without gathering them: row r of `out` (n · width int16) is rows
/// r − left … r − left + n − 1, zero outside. `largest` has room for `tokens` floats.
func quantizeWindowsInt16(
    tokens: Int, order: (n: Int, left: Int), from: UnsafePointer<Float>, ld: Int, width: Int,
    out: UnsafeMutablePointer<Int16>, rowScales: UnsafeMutablePointer<Float>, largest: UnsafeMutablePointer<Float>,
    kernel: GemmKernel = .best
) {
    switch kernel {
    case .avx2, .avx512:
        bulwark_quantize_windows_i16_avx2(tokens, order.n, order.left, from, ld, width, out, rowScales, largest)
    case .portable:
        bulwark_quantize_windows_i16_portable(tokens, order.n, order.left, from, ld, width, out, rowScales, largest)
    }
}
