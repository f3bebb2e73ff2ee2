/// A 256-bit PDQ perceptual hash.
///
/// Bit `k` (0 ... 255) is DCT coefficient `k` of the 16×16 block in row-major order (row
/// `k / 16`, column `k % 16`), set when the coefficient is above the median; it is bit
/// `k % 64` of `words[k / 64]`. The hex form is the PDQ reference's: 64 digits, the
/// 256-bit number with bit 255 most significant, so the first digit holds bits 255 ... 252
/// and bit 0 is the low bit of the last digit.
public struct PDQHash: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Bits 0-63, 64-127, 128-191, 192-255.
    public var words: SIMD4<UInt64>

    public static let zero = PDQHash(words: .zero)

    public init(words: SIMD4<UInt64>) { self.words = words }

    /// Parses 64 hex digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        var words = SIMD4<UInt64>.zero
        var count = 0
        for c in hex.utf8 {
            guard count < 64 else { return nil }
            let v: UInt64
            switch c {
            case 0x30...0x39: v = UInt64(c - 0x30)
            case 0x61...0x66: v = UInt64(c - 0x61 + 10)
            case 0x41...0x46: v = UInt64(c - 0x41 + 10)
            default: return nil
            }
            // Digit i holds bits 255 - 4i down to 252 - 4i.
            words[3 - count / 16] |= v << UInt64(60 - 4 * (count % 16))
            count += 1
        }
        guard count == 64 else { return nil }
        self.words = words
    }

    /// 64 lowercase hex digits, as the reference prints them.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 64)
        for i in 0..<64 {
            out[i] = digits[Int((words[3 - i / 16] >> UInt64(60 - 4 * (i % 16))) & 0xF)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    public subscript(bit k: Int) -> Bool {
        get { (words[k >> 6] >> UInt64(k & 63)) & 1 == 1 }
        set {
            let mask: UInt64 = 1 << UInt64(k & 63)
            if newValue { words[k >> 6] |= mask } else { words[k >> 6] &= ~mask }
        }
    }

    /// The hash with bit `k` flipped.
    public func flipping(bit k: Int) -> PDQHash {
        var copy = self
        copy.words[k >> 6] ^= 1 << UInt64(k & 63)
        return copy
    }

    /// Number of bits set.
    public var popcount: Int {
        words[0].nonzeroBitCount + words[1].nonzeroBitCount + words[2].nonzeroBitCount + words[3].nonzeroBitCount
    }

    /// Hamming distance: the number of bits that differ (0 ... 256).
    @inline(__always)
    public func distance(to other: PDQHash) -> Int {
        PDQHash(words: words ^ other.words).popcount
    }

    /// Orders as the hex form does.
    public static func < (a: PDQHash, b: PDQHash) -> Bool {
        (a.words[3], a.words[2], a.words[1], a.words[0]) < (b.words[3], b.words[2], b.words[1], b.words[0])
    }
}
