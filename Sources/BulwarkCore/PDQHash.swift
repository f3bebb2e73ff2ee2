/// A 256-bit PDQ perceptual hash.
///
/// Bit `k` (0 ... 255) is DCT coefficient `k` of the 16×16 block in row-major order (row
/// `k / 16`, column `k % 16`), set when the coefficient is above the median; it is bit
/// `k % 64` of `words[k / 64]`. The hex form is the PDQ reference's: 64 digits, the
/// 256-bit number with bit 255 most significant, so the first digit holds bits 255 ... 252
/// and bit 0 is the low bit of the last digit.
public struct PDQHash: Sendable, Hashable, Comparable, CustomStringConvertible {
    // Four words, not one `SIMD4<UInt64>`: LLVM aligns that vector to 32 bytes (Swift reports
    // 16), and Swift 6.3 lays out an async function's frame wrongly when a value LLVM aligns
    // above 16 bytes lives across an `await` (swiftlang/swift#91639, fixed in 6.4): the frame is
    // larger than the context the caller allocated for it, and its tail overwrites the task
    // allocator's next block. In the server and its tests a hash held across an `await` did
    // that, and the test process aborted with "double free or corruption" (found with
    // AddressSanitizer, a write 0 bytes past a task allocator slab). Keep vectors out of this
    // type and out of any type holding it.
    private var w0: UInt64
    private var w1: UInt64
    private var w2: UInt64
    private var w3: UInt64

    /// Bits 0-63, 64-127, 128-191, 192-255. Computed: keep a vector out of async code's locals.
    public var words: SIMD4<UInt64> {
        get { SIMD4(w0, w1, w2, w3) }
        set {
            w0 = newValue[0]
            w1 = newValue[1]
            w2 = newValue[2]
            w3 = newValue[3]
        }
    }

    public static let zero = PDQHash(0, 0, 0, 0)

    /// Bits 0-63, 64-127, 128-191 and 192-255.
    public init(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    public init(words: SIMD4<UInt64>) { self.init(words[0], words[1], words[2], words[3]) }

    /// Word `i` (0 ... 3): bits 64i ... 64i + 63.
    public private(set) subscript(word i: Int) -> UInt64 {
        @inline(__always) get {
            switch i {
            case 0: w0
            case 1: w1
            case 2: w2
            case 3: w3
            default: preconditionFailure("PDQ hash word \(i) is not in 0...3")
            }
        }
        @inline(__always) set {
            switch i {
            case 0: w0 = newValue
            case 1: w1 = newValue
            case 2: w2 = newValue
            case 3: w3 = newValue
            default: preconditionFailure("PDQ hash word \(i) is not in 0...3")
            }
        }
    }

    /// Parses 64 hex digits (either case); nil for anything else.
    public init?(hex: some StringProtocol) {
        // A native string's bytes in place (a bank snapshot parses a million of these); others copied.
        let parsed = hex.utf8.withContiguousStorageIfAvailable { Self.parse(hexDigits: $0) } ?? Self.parse(hexDigits: Array(hex.utf8)[...])
        guard let parsed else { return nil }
        self = parsed
    }

    /// The hash of exactly 64 hex digits, or nil. Digit i holds bits 255 - 4i down to 252 - 4i:
    /// the first 16 digits are word 3, most significant first.
    static func parse<Digits: RandomAccessCollection<UInt8>>(hexDigits: Digits) -> PDQHash? where Digits.Index == Int {
        guard hexDigits.count == 64 else { return nil }
        let start = hexDigits.startIndex
        func word(_ first: Int) -> UInt64? { hexWord(hexDigits[(start + first)..<(start + first + 16)]) }
        guard let w3 = word(0), let w2 = word(16), let w1 = word(32), let w0 = word(48) else { return nil }
        return PDQHash(w0, w1, w2, w3)
    }

    /// 64 lowercase hex digits, as the reference prints them.
    public var hex: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        appendHex(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``hex``'s 64 digits, without a String of their own.
    public func appendHex(to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        for i in 0..<64 {
            out.append(digits.utf8Start[Int((self[word: 3 - i / 16] >> UInt64(60 - 4 * (i % 16))) & 0xF)])
        }
    }

    public var description: String { hex }

    public subscript(bit k: Int) -> Bool {
        get { (self[word: k >> 6] >> UInt64(k & 63)) & 1 == 1 }
        set {
            let mask: UInt64 = 1 << UInt64(k & 63)
            if newValue { self[word: k >> 6] |= mask } else { self[word: k >> 6] &= ~mask }
        }
    }

    /// The hash with bit `k` flipped.
    public func flipping(bit k: Int) -> PDQHash {
        var copy = self
        copy[word: k >> 6] ^= 1 << UInt64(k & 63)
        return copy
    }

    /// Number of bits set.
    public var popcount: Int {
        w0.nonzeroBitCount + w1.nonzeroBitCount + w2.nonzeroBitCount + w3.nonzeroBitCount
    }

    /// Hamming distance: the number of bits that differ (0 ... 256).
    @inline(__always)
    public func distance(to other: PDQHash) -> Int {
        (w0 ^ other.w0).nonzeroBitCount + (w1 ^ other.w1).nonzeroBitCount + (w2 ^ other.w2).nonzeroBitCount
            + (w3 ^ other.w3).nonzeroBitCount
    }

    /// Orders as the hex form does.
    public static func < (a: PDQHash, b: PDQHash) -> Bool {
        (a.w3, a.w2, a.w1, a.w0) < (b.w3, b.w2, b.w1, b.w0)
    }
}
