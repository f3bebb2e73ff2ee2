public import BulwarkCore

/// The kinds of hash a bank holds.
public enum SignalType: String, Sendable, Hashable, CaseIterable, Codable {
    /// Meta's 256-bit perceptual photo hash, matched by Hamming distance.
    case pdq
    /// MD5 of the media bytes, matched exactly.
    case md5
    /// SHA-256 of the media bytes, matched exactly.
    case sha256
    /// A video's frame hashes (ThreatExchange's vPDQ, as HMA shares it: ``VPDQHash``), matched by
    /// the share of frames found in each other.
    case vpdq

    /// Parses the names used by ThreatExchange and HMA as well as ours
    /// (`pdq`, `md5`, `sha256`, `HASH_PDQ`, `HASH_MD5`, `HASH_SHA256`, `photo_md5`, `video_md5`, ...).
    public init?(name: some StringProtocol) {
        switch name.lowercased() {
        case "pdq", "hash_pdq", "pdq_hash", "photo_pdq": self = .pdq
        case "md5", "hash_md5", "photo_md5", "video_md5", "md5_hash": self = .md5
        case "sha256", "sha-256", "hash_sha256", "sha256_hash", "photo_sha256", "video_sha256": self = .sha256
        case "vpdq", "hash_vpdq", "video_vpdq", "vpdq_hash": self = .vpdq
        default: return nil
        }
    }

    /// Number of hex digits of a value; nil for a vPDQ hash (a list).
    public var hexDigits: Int? {
        switch self {
        case .pdq, .sha256: 64
        case .md5: 32
        case .vpdq: nil
        }
    }
}

/// A hash value of a known type, in canonical form (lowercase hex; a vPDQ hash's canonical text).
///
/// Kept as its bits (``value`` is made from them when asked): a million bank entries held their
/// values as 64-digit strings, about 110 MB of the process's 580 MB. A vPDQ signal's bits are the
/// SHA-256 of its canonical text, and it holds the hash itself (``video``).
public struct Signal: Sendable, Hashable, Comparable, CustomStringConvertible {
    let bits: SignalBits
    /// A vPDQ signal's frames; nil for the other types.
    public let video: VPDQHash?

    public var type: SignalType {
        switch bits.type {
        case 0: .pdq
        case 1: .md5
        case 2: .sha256
        default: .vpdq
        }
    }

    /// Validates and canonicalises `value` (surrounding spaces removed, lowercase hex of
    /// the type's length).
    public init(_ type: SignalType, _ value: some StringProtocol) throws(BulwarkError) {
        var utf8 = String(value)
        self = try utf8.withUTF8 { bytes in Result { () throws(BulwarkError) in try Signal(type, utf8: bytes) } }.get()
    }

    /// ``init(_:_:)`` from the value's UTF-8 bytes (a snapshot's, where they are).
    init(_ type: SignalType, utf8 value: UnsafeBufferPointer<UInt8>) throws(BulwarkError) {
        guard let hexDigits = type.hexDigits else {
            self = Signal(video: try VPDQHash(utf8: value))
            return
        }
        video = nil
        guard let (words, digits) = Self.parse(value) else {
            throw BulwarkError(
                .invalidField, "\(type.rawValue) value is not hexadecimal: \(Self.excerpt(value))", field: "value")
        }
        guard digits == hexDigits else {
            throw BulwarkError(
                .invalidField,
                "\(type.rawValue) value must have \(hexDigits) hex digits, not \(digits): \(Self.excerpt(value))",
                field: "value")
        }
        bits = SignalBits(words: words, type: SignalBits.code(type))
    }

    /// The hex digits of `value` as words of 16 digits each, the first most significant, zeros
    /// past the last digit, and how many digits there were; spaces, tabs and carriage returns
    /// left out; nil at any other byte. (On the bytes: generic over `StringProtocol`, the loop
    /// was 13% of a bank log's replay.)
    private static func parse(_ value: UnsafeBufferPointer<UInt8>) -> ((UInt64, UInt64, UInt64, UInt64), Int)? {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var digits = 0
        for c in value where c != UInt8(ascii: " ") && c != UInt8(ascii: "\t") && c != UInt8(ascii: "\r") {
            guard let nibble = hexDigitValue(c) else { return nil }
            switch digits >> 4 {
            case 0: words.0 = words.0 << 4 | UInt64(nibble)
            case 1: words.1 = words.1 << 4 | UInt64(nibble)
            case 2: words.2 = words.2 << 4 | UInt64(nibble)
            case 3: words.3 = words.3 << 4 | UInt64(nibble)
            default: break  // too many digits: counted, and refused by the caller
            }
            digits += 1
        }
        // A word left part-filled (too few digits, refused by the caller) is as good as any.
        return (words, digits)
    }

    public init(pdq: PDQHash) {
        bits = SignalBits(words: (pdq[word: 3], pdq[word: 2], pdq[word: 1], pdq[word: 0]), type: 0)
        video = nil
    }

    /// A vPDQ signal.
    public init(video: VPDQHash) {
        bits = SignalBits(words: video.digest, type: SignalBits.code(.vpdq))
        self.video = video
    }

    /// The value: lowercase hex of the type's length; a vPDQ hash's canonical text.
    public var value: String {
        if let video { return video.text }
        return String(unsafeUninitializedCapacity: valueByteCount) { writeValue(into: $0) }
    }

    /// The length of ``value`` in UTF-8 bytes.
    public var valueByteCount: Int { video?.textByteCount ?? type.hexDigits ?? 0 }

    /// Appends the value's bytes (a snapshot of a million entries writes them without a string
    /// each).
    func appendValue(to out: inout [UInt8]) {
        if let video {
            video.appendText(to: &out)
            return
        }
        let count = valueByteCount
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: count))
        out.withUnsafeMutableBufferPointer { _ = writeValue(into: UnsafeMutableBufferPointer(rebasing: $0[start...])) }
    }

    /// Writes the value's hex digits at the start of `out`; returns how many.
    private func writeValue(into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let count = valueByteCount
        let hex: StaticString = "0123456789abcdef"
        let words = bits.words
        for i in 0..<count {
            let word =
                switch i >> 4 {
                case 0: words.0
                case 1: words.1
                case 2: words.2
                default: words.3
                }
            out[i] = hex.utf8Start[Int((word >> UInt64(60 - 4 * (i & 15))) & 0xF)]
        }
        return count
    }

    /// The PDQ hash, for PDQ signals.
    public var pdq: PDQHash? { bits.pdq }

    public var description: String { "\(type.rawValue):\(value)" }

    /// Equal bits: the same type and value (a vPDQ hash's bits are its text's SHA-256).
    public static func == (a: Signal, b: Signal) -> Bool { a.bits == b.bits }
    public func hash(into hasher: inout Hasher) { hasher.combine(bits) }

    /// By type name, then by value (the words in order: as their hex digits compare).
    public static func < (a: Signal, b: Signal) -> Bool {
        if a.bits.type != b.bits.type { return a.type.rawValue < b.type.rawValue }
        let x = a.bits.words, y = b.bits.words
        return (x.0, x.1, x.2, x.3) < (y.0, y.1, y.2, y.3)
    }

    private static func excerpt(_ value: UnsafeBufferPointer<UInt8>) -> String {
        let s = String(decoding: value, as: UTF8.self)
        return s.count > 80 ? "\"\(s.prefix(80))…\"" : "\"\(s)\""
    }
}

/// A signal's type and value as bits (the 256 of a PDQ or SHA-256 value; an MD5's 128, then
/// zeros): equal for equal signals and for no others, and nothing in it to retain.
struct SignalBits: Hashable, Sendable {
    // The words first: 33 bytes, whose tail a field after it may use (`BankSet`'s key of
    // a signal in a bank, 40 bytes with its bank's number).
    var words: (UInt64, UInt64, UInt64, UInt64)
    var type: UInt8

    init(words: (UInt64, UInt64, UInt64, UInt64), type: UInt8) {
        self.words = words
        self.type = type
    }

    static func code(_ type: SignalType) -> UInt8 {
        switch type {
        case .pdq: 0
        case .md5: 1
        case .sha256: 2
        case .vpdq: 3
        }
    }

    /// A PDQ signal's hash (the first 16 digits are the hash's word 3); nil for other types.
    var pdq: PDQHash? { type == 0 ? PDQHash(words.3, words.2, words.1, words.0) : nil }

    static func == (a: SignalBits, b: SignalBits) -> Bool {
        a.type == b.type && a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
            && a.words.3 == b.words.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
