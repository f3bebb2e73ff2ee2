/// A 256-bit PDQ perceptual hash.
///
/// Bit i of the hash (0 ... 255) is bit `i % 64` of `words[i / 64]`. The hex form is the
/// PDQ reference's: 64 hex digits, most significant first, so the first digit holds
/// bits 255 ... 252 and the last digit bits 3 ... 0.
public struct PDQHash: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Bits 0-63, 64-127, 128-191, 192-255.
    public var words: (UInt64, UInt64, UInt64, UInt64)

    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    public static let zero = PDQHash(words: (0, 0, 0, 0))

    /// Parses 64 hex digits (either case). Returns nil for anything else.
    public init?(hex: some StringProtocol) {
        var utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var result: [UInt64] = [0, 0, 0, 0]
        for (i, c) in utf8.enumerated() {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            // Digit i holds bits (255 - 4i) ... (252 - 4i).
            let low = 252 - 4 * i
            result[low / 64] |= UInt64(v) << UInt64(low % 64)
        }
        utf8.removeAll()
        words = (result[0], result[1], result[2], result[3])
    }

    /// 64 lowercase hex digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 64)
        for i in 0..<64 {
            let low = 252 - 4 * i
            out[i] = digits[Int((self[word: low / 64] >> UInt64(low % 64)) & 0xF)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    /// Word `index` (0 ... 3).
    @inline(__always)
    public subscript(word index: Int) -> UInt64 {
        switch index {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        default: words.3
        }
    }

    /// Bit `index` (0 ... 255).
    public func bit(_ index: Int) -> Bool {
        (self[word: index / 64] >> UInt64(index % 64)) & 1 == 1
    }

    /// The hash with bit `index` flipped.
    public func flipping(bit index: Int) -> PDQHash {
        var copy = self
        let mask = UInt64(1) << UInt64(index % 64)
        switch index / 64 {
        case 0: copy.words.0 ^= mask
        case 1: copy.words.1 ^= mask
        case 2: copy.words.2 ^= mask
        default: copy.words.3 ^= mask
        }
        return copy
    }

    /// Number of bits that differ (0 ... 256).
    @inline(__always)
    public func distance(to other: PDQHash) -> Int {
        (words.0 ^ other.words.0).nonzeroBitCount + (words.1 ^ other.words.1).nonzeroBitCount
            + (words.2 ^ other.words.2).nonzeroBitCount + (words.3 ^ other.words.3).nonzeroBitCount
    }

    /// Number of bits set.
    public var bitCount: Int {
        words.0.nonzeroBitCount + words.1.nonzeroBitCount + words.2.nonzeroBitCount + words.3.nonzeroBitCount
    }

    public static func == (a: PDQHash, b: PDQHash) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Orders as the hex form does.
    public static func < (a: PDQHash, b: PDQHash) -> Bool {
        (a.words.3, a.words.2, a.words.1, a.words.0) < (b.words.3, b.words.2, b.words.1, b.words.0)
    }
}
