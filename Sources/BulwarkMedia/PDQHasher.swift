public import BulwarkCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A PDQ hash with its quality (0–100; the reference suggests discarding hashes below 50).
public struct PDQResult: Sendable, Hashable {
    public var hash: PDQHash
    public var quality: Int

    public init(hash: PDQHash, quality: Int) {
        self.hash = hash
        self.quality = quality
    }
}

/// The eight hashes of an image's rotations and mirror images, computed from one DCT.
public struct PDQDihedralResult: Sendable, Hashable {
    /// Indexed by ``PDQHasher/Dihedral`` raw values, in the reference's order.
    public var hashes: [PDQHash]
    public var quality: Int

    public subscript(_ d: PDQHasher.Dihedral) -> PDQHash { hashes[d.rawValue] }
}

/// Reusable working memory for ``PDQHasher``: two Float32 planes the size of the largest image
/// hashed so far. One per thread; reusing it avoids allocating per image.
public struct PDQScratch: Sendable {
    var first: [Float] = []
    var second: [Float] = []
    /// Running sums of the column pass, one per column.
    var sums: [Float] = []
    /// The 64×64 downsample.
    var block = [Float](repeating: 0, count: 64 * 64)
    /// The DCT's intermediate product, 16×64.
    var partial = [Float](repeating: 0, count: 16 * 64)

    public init() {}

    mutating func reserve(rows: Int, cols: Int) {
        let count = rows * cols
        if first.count < count {
            first = [Float](repeating: 0, count: count)
            second = [Float](repeating: 0, count: count)
        }
        if sums.count < cols { sums = [Float](repeating: 0, count: cols) }
    }
}

/// PDQ, Meta's perceptual image hash, in pure Swift, computing what the C++ reference
/// (ThreatExchange `pdq/cpp`) computes from the same RGB pixels, bit for bit:
/// Float32 luminance, two passes of Jarosz box filters along rows then columns with windows of
/// ⌈side / 128⌉, decimation to 64×64 at pixel centres, a 16×16 DCT via the reference's Float32 DCT
/// matrix with the same summation order, Torben's median, and the reference's bit and hex layout.
///
/// The reference's file tools first shrink images (the C++ CLI to 512×512, the Python port to fit
/// 512×512); this type does not: it hashes the pixels it is given, as `pdqhash.compute` does.
public struct PDQHasher: Sendable {
    /// How luminance is computed from 8-bit RGB.
    public enum Luma: Sendable, Hashable {
        /// `0.299 R + 0.587 G + 0.114 B` in Float32, as the C++ reference's `fillFloatLumaFromRGB`.
        case float32
        /// The same in Float64, then rounded to Float32, as the `pdqhash` Python binding computes it
        /// with NumPy before calling the C++ code.
        case float64
    }

    /// The eight dihedral transforms, in the order of the reference's `pdqDihedralHash256esFromFloatLuma`.
    public enum Dihedral: Int, Sendable, Hashable, CaseIterable {
        case original, rotate90, rotate180, rotate270, flipX, flipY, flipPlus1, flipMinus1
    }

    public var luma: Luma

    public init(luma: Luma = .float32) {
        self.luma = luma
    }

    /// Images with a side shorter than this hash to zero with quality 0, as in the reference.
    public static let minimumSide = 5

    public func hash(_ image: RGBImage) -> PDQResult {
        var scratch = PDQScratch()
        return hash(image, scratch: &scratch)
    }

    public func hash(_ image: RGBImage, scratch: inout PDQScratch) -> PDQResult {
        var dct = DCTBlock()
        guard let quality = transform(image, scratch: &scratch, dihedral: false, into: &dct) else {
            return PDQResult(hash: .zero, quality: 0)
        }
        return PDQResult(hash: dct.bits(), quality: quality)
    }

    public func dihedralHashes(_ image: RGBImage) -> PDQDihedralResult {
        var scratch = PDQScratch()
        return dihedralHashes(image, scratch: &scratch)
    }

    public func dihedralHashes(_ image: RGBImage, scratch: inout PDQScratch) -> PDQDihedralResult {
        var dct = DCTBlock()
        guard let quality = transform(image, scratch: &scratch, dihedral: true, into: &dct) else {
            return PDQDihedralResult(hashes: Array(repeating: .zero, count: 8), quality: 0)
        }
        var hashes: [PDQHash] = []
        hashes.reserveCapacity(8)
        for d in Dihedral.allCases { hashes.append(dct.transformed(d).bits()) }
        return PDQDihedralResult(hashes: hashes, quality: quality)
    }

    /// Luminance, blur, decimation, quality and DCT; nil for an image too small to hash.
    ///
    /// The reference's single-hash path takes a 64×64 image as already downsampled; its dihedral
    /// path filters it all the same (a window of 1 is not an exact identity in Float32). Both kept.
    private func transform(
        _ image: RGBImage, scratch: inout PDQScratch, dihedral: Bool, into dct: inout DCTBlock
    ) -> Int? {
        let rows = image.height
        let cols = image.width
        guard rows >= Self.minimumSide && cols >= Self.minimumSide else { return nil }
        let count = rows * cols
        scratch.reserve(rows: rows, cols: cols)
        image.pixels.withUnsafeBufferPointer { rgb in
            scratch.first.withUnsafeMutableBufferPointer { a in
                scratch.second.withUnsafeMutableBufferPointer { b in
                    scratch.sums.withUnsafeMutableBufferPointer { sums in
                        scratch.block.withUnsafeMutableBufferPointer { out in
                            guard let rgb = rgb.baseAddress, let a = a.baseAddress, let b = b.baseAddress,
                                let sums = sums.baseAddress, let out = out.baseAddress
                            else { return }
                            switch luma {
                            case .float32: Self.lumaFloat32(rgb, count, a)
                            case .float64: Self.lumaFloat64(rgb, count, a)
                            }
                            if rows == 64 && cols == 64 && !dihedral {
                                out.update(from: a, count: 64 * 64)
                            } else {
                                let alongRows = Self.windowSize(cols)
                                let alongCols = Self.windowSize(rows)
                                for _ in 0..<2 {
                                    Self.boxAlongRows(a, b, rows, cols, alongRows)
                                    Self.boxAlongColumns(b, a, rows, cols, alongCols, sums: sums)
                                }
                                Self.decimate(a, rows, cols, out)
                            }
                        }
                    }
                }
            }
        }
        let quality = scratch.block.withUnsafeBufferPointer { Self.quality($0) }
        scratch.block.withUnsafeBufferPointer { block in
            scratch.partial.withUnsafeMutableBufferPointer { partial in dct.compute(from: block, partial: partial) }
        }
        return quality
    }

    // MARK: Luminance

    // The reference's coefficients are `const float` initialised from double literals.
    static let lumaR = Float(0.299 as Double)
    static let lumaG = Float(0.587 as Double)
    static let lumaB = Float(0.114 as Double)

    static func lumaFloat32(_ rgb: UnsafePointer<UInt8>, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        let r = lumaR
        let g = lumaG
        let b = lumaB
        for p in 0..<count {
            out[p] = r * Float(rgb[3 * p]) + g * Float(rgb[3 * p + 1]) + b * Float(rgb[3 * p + 2])
        }
    }

    static func lumaFloat64(_ rgb: UnsafePointer<UInt8>, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        for p in 0..<count {
            let y = Double(rgb[3 * p]) * 0.299 + Double(rgb[3 * p + 1]) * 0.587 + Double(rgb[3 * p + 2]) * 0.114
            out[p] = Float(y)
        }
    }

    // MARK: Jarosz filter

    /// Per-pass window: half of one 64th of the side, rounded up.
    static func windowSize(_ side: Int) -> Int { (side + 2 * 64 - 1) / (2 * 64) }

    /// The four phases of the reference's running box sum over one vector, as counts.
    struct BoxPhases {
        var fill: Int
        var grow: Int
        var slide: Int
        var shrink: Int

        init(length: Int, window: Int) {
            let half = (window + 2) / 2
            fill = half - 1
            grow = window - half + 1
            slide = length - window
            shrink = half - 1
        }
    }

    /// Box filter along each row. Each row's running sum is a chain of dependent additions, so
    /// rows are taken eight at a time, one per vector lane: every lane performs exactly the
    /// reference's operations for its row, in the same order, while the eight chains overlap.
    static func boxAlongRows(
        _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ rows: Int, _ cols: Int, _ window: Int
    ) {
        let phases = BoxPhases(length: cols, window: window)
        var i = 0
        while i + 8 <= rows {
            boxRows8(input + i * cols, output + i * cols, cols, phases)
            i += 8
        }
        while i < rows {
            box1D(input + i * cols, output + i * cols, phases)
            i += 1
        }
    }

    @inline(__always)
    static func boxRows8(
        _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ cols: Int, _ phases: BoxPhases
    ) {
        @inline(__always) func load(_ j: Int) -> SIMD8<Float> {
            SIMD8(
                input[j], input[cols + j], input[2 * cols + j], input[3 * cols + j], input[4 * cols + j],
                input[5 * cols + j], input[6 * cols + j], input[7 * cols + j])
        }
        @inline(__always) func store(_ v: SIMD8<Float>, _ j: Int) {
            for k in 0..<8 { output[k * cols + j] = v[k] }
        }
        var sum = SIMD8<Float>(repeating: 0)
        var size = 0
        var r = 0
        var l = 0
        var o = 0
        for _ in 0..<phases.fill {
            sum += load(r)
            size += 1
            r += 1
        }
        for _ in 0..<phases.grow {
            sum += load(r)
            size += 1
            store(sum / SIMD8(repeating: Float(size)), o)
            r += 1
            o += 1
        }
        let full = SIMD8<Float>(repeating: Float(size))
        for _ in 0..<phases.slide {
            sum += load(r)
            sum -= load(l)
            store(sum / full, o)
            l += 1
            r += 1
            o += 1
        }
        for _ in 0..<phases.shrink {
            sum -= load(l)
            size -= 1
            store(sum / SIMD8(repeating: Float(size)), o)
            l += 1
            o += 1
        }
    }

    @inline(__always)
    static func box1D(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ phases: BoxPhases) {
        var sum: Float = 0
        var size = 0
        var r = 0
        var l = 0
        var o = 0
        for _ in 0..<phases.fill {
            sum += input[r]
            size += 1
            r += 1
        }
        for _ in 0..<phases.grow {
            sum += input[r]
            size += 1
            output[o] = sum / Float(size)
            r += 1
            o += 1
        }
        let full = Float(size)
        for _ in 0..<phases.slide {
            sum += input[r]
            sum -= input[l]
            output[o] = sum / full
            l += 1
            r += 1
            o += 1
        }
        for _ in 0..<phases.shrink {
            sum -= input[l]
            size -= 1
            output[o] = sum / Float(size)
            l += 1
            o += 1
        }
    }

    /// Box filter along each column. Every column gets exactly the operations of the reference's
    /// column-at-a-time loop, in the same order; running all columns together row by row keeps the
    /// memory access sequential and lets the compiler use vector instructions.
    static func boxAlongColumns(
        _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ rows: Int, _ cols: Int, _ window: Int,
        sums: UnsafeMutablePointer<Float>
    ) {
        let phases = BoxPhases(length: rows, window: window)
        sums.update(repeating: 0, count: cols)
        var size = 0
        var r = 0
        var l = 0
        var o = 0
        for _ in 0..<phases.fill {
            let row = input + r * cols
            for j in 0..<cols { sums[j] += row[j] }
            size += 1
            r += 1
        }
        for _ in 0..<phases.grow {
            let row = input + r * cols
            size += 1
            let divisor = Float(size)
            let out = output + o * cols
            for j in 0..<cols {
                sums[j] += row[j]
                out[j] = sums[j] / divisor
            }
            r += 1
            o += 1
        }
        let full = Float(size)
        for _ in 0..<phases.slide {
            let add = input + r * cols
            let sub = input + l * cols
            let out = output + o * cols
            for j in 0..<cols {
                let s = (sums[j] + add[j]) - sub[j]
                sums[j] = s
                out[j] = s / full
            }
            l += 1
            r += 1
            o += 1
        }
        for _ in 0..<phases.shrink {
            let sub = input + l * cols
            size -= 1
            let divisor = Float(size)
            let out = output + o * cols
            for j in 0..<cols {
                sums[j] -= sub[j]
                out[j] = sums[j] / divisor
            }
            l += 1
            o += 1
        }
    }

    /// Samples 64×64 pixel centres: index ⌊(k + 0.5) · side / 64⌋, computed in Float64.
    static func decimate(_ input: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ out: UnsafeMutablePointer<Float>) {
        for oi in 0..<64 {
            let i = Int(((Double(oi) + 0.5) * Double(rows)) / 64)
            for oj in 0..<64 {
                let j = Int(((Double(oj) + 0.5) * Double(cols)) / 64)
                out[oi * 64 + oj] = input[i * cols + j]
            }
        }
    }

    // MARK: Quality

    /// Sum of the vertical and horizontal steps of the 64×64 image, each truncated to whole
    /// hundredths of full scale, divided by 90, capped at 100.
    static func quality(_ b: UnsafeBufferPointer<Float>) -> Int {
        var sum = 0
        for i in 0..<63 {
            for j in 0..<64 {
                let d = Int(((b[i * 64 + j] - b[(i + 1) * 64 + j]) * 100) / 255)
                sum += abs(d)
            }
        }
        for i in 0..<64 {
            for j in 0..<63 {
                let d = Int(((b[i * 64 + j] - b[i * 64 + j + 1]) * 100) / 255)
                sum += abs(d)
            }
        }
        return min(100, sum / 90)
    }
}

/// The 16×16 low-frequency DCT coefficients (frequencies 1–16 on each axis) of a 64×64 block.
struct DCTBlock {
    var c = [Float](repeating: 0, count: 256)

    /// Rows 1...16 of the 64-point DCT-II basis, scaled by √(2/64): Float32 entries computed as the
    /// reference does (the scale rounded to Float32, the product in Float64, then rounded).
    static let matrix: [Float] = {
        let scale = Float((2.0 / 64.0).squareRoot())
        var m = [Float](repeating: 0, count: 16 * 64)
        for i in 0..<16 {
            for j in 0..<64 {
                m[i * 64 + j] = Float(Double(scale) * cos((Double.pi / 2.0 / 64.0) * Double(i + 1) * Double(2 * j + 1)))
            }
        }
        return m
    }()

    /// The matrix transposed (64 × 16), for the second product.
    static let transposed: [Float] = {
        var t = [Float](repeating: 0, count: 64 * 16)
        for i in 0..<16 {
            for k in 0..<64 { t[k * 16 + i] = matrix[i * 64 + k] }
        }
        return t
    }()

    /// C = D · A · Dᵀ. Every output is a Float32 sum over k from 0 to 63 in order, as in the
    /// reference; loops run over independent outputs innermost so that they vectorise.
    mutating func compute(from a: UnsafeBufferPointer<Float>, partial t: UnsafeMutableBufferPointer<Float>) {
        guard let a = a.baseAddress, let t = t.baseAddress else { return }
        t.update(repeating: 0, count: 16 * 64)
        Self.matrix.withUnsafeBufferPointer { d in
            guard let d = d.baseAddress else { return }
            for i in 0..<16 {
                let row = t + i * 64
                for k in 0..<64 {
                    let dik = d[i * 64 + k]
                    let ak = a + k * 64
                    for j in 0..<64 { row[j] += dik * ak[j] }
                }
            }
        }
        Self.transposed.withUnsafeBufferPointer { dt in
            c.withUnsafeMutableBufferPointer { c in
                guard let dt = dt.baseAddress, let c = c.baseAddress else { return }
                c.update(repeating: 0, count: 256)
                for i in 0..<16 {
                    let out = c + i * 16
                    for k in 0..<64 {
                        let tik = t[i * 64 + k]
                        let dk = dt + k * 16
                        for j in 0..<16 { out[j] += tik * dk[j] }
                    }
                }
            }
        }
    }

    /// The coefficients of the transformed image, from sign changes and transposition.
    func transformed(_ d: PDQHasher.Dihedral) -> DCTBlock {
        var out = DCTBlock()
        for i in 0..<16 {
            for j in 0..<16 {
                let v = c[i * 16 + j]
                let odd = (i + j) & 1 == 1
                switch d {
                case .original: out.c[i * 16 + j] = v
                case .rotate90: out.c[j * 16 + i] = j & 1 == 1 ? v : -v
                case .rotate180: out.c[i * 16 + j] = odd ? -v : v
                case .rotate270: out.c[j * 16 + i] = i & 1 == 1 ? v : -v
                case .flipX: out.c[i * 16 + j] = i & 1 == 1 ? v : -v
                case .flipY: out.c[i * 16 + j] = j & 1 == 1 ? v : -v
                case .flipPlus1: out.c[j * 16 + i] = v
                case .flipMinus1: out.c[j * 16 + i] = odd ? -v : v
                }
            }
        }
        return out
    }

    /// One bit per coefficient: above the median or not.
    func bits() -> PDQHash {
        let median = c.withUnsafeBufferPointer { Self.torbenMedian($0) }
        var hash = PDQHash.zero
        for k in 0..<256 where c[k] > median { hash[bit: k] = true }
        return hash
    }

    /// Torben Mogensen's median by bisection between the minimum and the maximum, without
    /// reordering; for an even count it gives the lower middle value, as the reference does.
    static func torbenMedian(_ m: UnsafeBufferPointer<Float>) -> Float {
        let n = m.count
        let half = (n + 1) / 2
        var lo = m[0]
        var hi = m[0]
        for v in m.dropFirst() {
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        var guess: Float = 0
        var less = 0
        var equal = 0
        var belowMax: Float = 0
        var aboveMin: Float = 0
        while true {
            guess = (lo + hi) / 2
            less = 0
            var greater = 0
            equal = 0
            belowMax = lo
            aboveMin = hi
            for v in m {
                if v < guess {
                    less += 1
                    if v > belowMax { belowMax = v }
                } else if v > guess {
                    greater += 1
                    if v < aboveMin { aboveMin = v }
                } else {
                    equal += 1
                }
            }
            if less <= half && greater <= half { break }
            if less > greater { hi = belowMax } else { lo = aboveMin }
        }
        if less >= half { return belowMax }
        if less + equal >= half { return guess }
        return aboveMin
    }
}
