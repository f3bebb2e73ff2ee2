public import BulwarkCore

/// The kinds of hash a bank holds.
public enum SignalType: String, Sendable, Hashable, CaseIterable, Codable {
    /// Meta's 256-bit perceptual photo hash, matched by Hamming distance.
    case pdq
    /// MD5 of the media bytes, matched exactly.
    case md5
    /// SHA-256 of the media bytes, matched exactly.
    case sha256

    /// Parses the names used by ThreatExchange and HMA as well as ours
    /// (`pdq`, `md5`, `sha256`, `HASH_PDQ`, `HASH_MD5`, `HASH_SHA256`, `photo_md5`, `video_md5`, ...).
    public init?(name: some StringProtocol) {
        switch name.lowercased() {
        case "pdq", "hash_pdq", "pdq_hash", "photo_pdq": self = .pdq
        case "md5", "hash_md5", "photo_md5", "video_md5", "md5_hash": self = .md5
        case "sha256", "sha-256", "hash_sha256", "sha256_hash", "photo_sha256", "video_sha256": self = .sha256
        default: return nil
        }
    }

    /// Number of hex digits of a value.
    public var hexDigits: Int {
        switch self {
        case .pdq, .sha256: 64
        case .md5: 32
        }
    }
}

/// A hash value of a known type, in canonical form (lowercase hex).
public struct Signal: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let type: SignalType
    public let value: String

    /// Validates and canonicalises `value` (surrounding spaces removed, lowercase hex of
    /// the type's length).
    public init(_ type: SignalType, _ value: some StringProtocol) throws(BulwarkError) {
        var utf8 = String(value)
        let canonical = utf8.withUTF8 { Self.canonicalHex($0, digits: type.hexDigits) }
        guard let bytes = canonical else {
            throw BulwarkError(
                .invalidField, "\(type.rawValue) value is not hexadecimal: \(Self.excerpt(value))", field: "value")
        }
        guard bytes.count == type.hexDigits else {
            throw BulwarkError(
                .invalidField,
                "\(type.rawValue) value must have \(type.hexDigits) hex digits, not \(bytes.count): \(Self.excerpt(value))",
                field: "value")
        }
        self.type = type
        self.value = String(decoding: bytes, as: UTF8.self)
    }

    /// The hex digits of `value` in lowercase, spaces, tabs and carriage returns left out; nil
    /// at any other byte. (On the bytes: generic over `StringProtocol`, the loop was 13% of a
    /// bank log's replay.)
    private static func canonicalHex(_ value: UnsafeBufferPointer<UInt8>, digits: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits)
        for c in value where c != UInt8(ascii: " ") && c != UInt8(ascii: "\t") && c != UInt8(ascii: "\r") {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): bytes.append(c)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): bytes.append(c | 0x20)
            default: return nil
            }
        }
        return bytes
    }

    public init(pdq: PDQHash) {
        type = .pdq
        value = pdq.hex
    }

    /// The PDQ hash, for PDQ signals.
    public var pdq: PDQHash? { type == .pdq ? PDQHash(hex: value) : nil }

    public var description: String { "\(type.rawValue):\(value)" }

    public static func < (a: Signal, b: Signal) -> Bool {
        (a.type.rawValue, a.value) < (b.type.rawValue, b.value)
    }

    private static func excerpt(_ value: some StringProtocol) -> String {
        let s = String(value)
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

    init(_ signal: Signal) {
        type = switch signal.type {
        case .pdq: 0
        case .md5: 1
        case .sha256: 2
        }
        // The value is hex of the type's length, 32 or 64 digits (`Signal.init` checked it): a
        // word of 16 digits each, zeros past its end.
        func parse(_ digits: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64, UInt64, UInt64) {
            func word(_ k: Int) -> UInt64 {
                16 * k < digits.count ? hexWord(digits[(16 * k)..<min(digits.count, 16 * k + 16)]) ?? 0 : 0
            }
            return (word(0), word(1), word(2), word(3))
        }
        // A native string's bytes in place (a snapshot's million entries are keyed as they load).
        words = signal.value.utf8.withContiguousStorageIfAvailable(parse) ?? Array(signal.value.utf8).withUnsafeBufferPointer(parse)
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
