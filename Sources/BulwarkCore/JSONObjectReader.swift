/// Reads one JSON object from UTF-8 bytes, a field at a time, without Foundation: the caller
/// asks for each key and then reads its value as what it expects (a string, an integer, an array
/// of strings) or skips it. For lines whose shape the caller knows, such as the bank log's
/// events, where `JSONDecoder` spent most of a replay's time (docs/banks.md).
///
/// Errors are ``BulwarkError``s with the field and the byte offset. The reader works on the
/// bytes it is given and must not outlive them.
public struct JSONObjectReader {
    var parser: JSONByteParser
    var state = State.start
    /// Objects and arrays entered (``object(_:)``, ``array(_:)``): the outermost object is
    /// followed by nothing, a nested one by its container's next bytes.
    var depth = 0

    enum State { case start, inObject, done }

    /// What the object is, in errors ("'{' at the start of an item").
    let noun: String

    public init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONLinesLimits().maxDepth) {
        self.init(bytes, maxDepth: maxDepth, noun: "object")
    }

    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, noun: String) {
        parser = JSONByteParser(buffer: bytes, maxDepth: maxDepth)
        self.noun = noun
    }

    /// Where the reader is, in bytes from the start.
    public var offset: Int { parser.index }

    /// The next key, or nil once the object is closed (and nothing but white space follows it).
    public mutating func nextKey() throws(BulwarkError) -> String? {
        switch state {
        case .done:
            return nil
        case .start:
            parser.field = nil
            try parser.expect(UInt8(ascii: "{"), depth == 0 ? "'{' at the start of an \(noun)" : "'{' at the start of an object")
            parser.skipWhitespace()
            state = .inObject
            if parser.index < parser.buffer.count, parser.buffer[parser.index] == UInt8(ascii: "}") {
                parser.index += 1
                return try close()
            }
        case .inObject:
            parser.skipWhitespace()
            guard parser.index < parser.buffer.count else { throw parser.fail("expected ',' or '}', found end of line") }
            let b = parser.buffer[parser.index]
            guard b == UInt8(ascii: ",") || b == UInt8(ascii: "}") else { throw parser.fail("expected ',' or '}'") }
            parser.index += 1
            if b == UInt8(ascii: "}") { return try close() }
        }
        parser.field = nil
        let key = try parser.parseString()
        parser.field = key
        try parser.expect(UInt8(ascii: ":"), "':' after a key")
        parser.skipWhitespace()
        parser.valueStart = parser.index
        return key
    }

    private mutating func close() throws(BulwarkError) -> String? {
        state = .done
        parser.field = nil
        if depth > 0 { return nil }
        parser.skipWhitespace()
        guard parser.index == parser.buffer.count else { throw parser.fail("unexpected bytes after the \(noun)") }
        return nil
    }

    /// The value as a string.
    public mutating func string() throws(BulwarkError) -> String { try parser.parseString() }

    /// The value as a string, or nil for `null`.
    public mutating func optionalString() throws(BulwarkError) -> String? { try parser.parseOptionalString() }

    /// The value as an array of strings, or nil for `null`.
    public mutating func optionalStringArray() throws(BulwarkError) -> [String]? {
        if try parser.consumeNull() { return nil }
        return try parser.parseStringArray()
    }

    /// The value as `true` or `false`, or nil for `null`.
    public mutating func optionalBool() throws(BulwarkError) -> Bool? {
        if try parser.consumeNull() { return nil }
        guard parser.index < parser.buffer.count else { throw parser.fail("expected true or false, found end of line") }
        switch parser.buffer[parser.index] {
        case UInt8(ascii: "t"):
            try parser.literal("true")
            return true
        case UInt8(ascii: "f"):
            try parser.literal("false")
            return false
        default:
            throw parser.fail("expected true or false")
        }
    }

    /// The value as an integer: digits, perhaps after a minus sign, with no fraction or exponent,
    /// within `Int64`'s range.
    public mutating func integer() throws(BulwarkError) -> Int64 {
        let start = parser.index
        let (negative, magnitude) = try integerParts()
        let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        guard magnitude <= limit else { throw outOfRange(start, "\(Int64.min)...\(Int64.max)") }
        return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
    }

    /// The value as an integer, or nil for `null`.
    public mutating func optionalInteger() throws(BulwarkError) -> Int64? {
        if try parser.consumeNull() { return nil }
        return try integer()
    }

    /// The value as an unsigned integer: digits with no sign, fraction or exponent, within
    /// `UInt64`'s range.
    public mutating func unsignedInteger() throws(BulwarkError) -> UInt64 {
        let start = parser.index
        let (negative, magnitude) = try integerParts()
        guard !negative || magnitude == 0 else { throw outOfRange(start, "0...\(UInt64.max)") }
        return magnitude
    }

    /// The value as an unsigned integer, or nil for `null`.
    public mutating func optionalUnsignedInteger() throws(BulwarkError) -> UInt64? {
        if try parser.consumeNull() { return nil }
        return try unsignedInteger()
    }

    private mutating func outOfRange(_ start: Int, _ range: String) -> BulwarkError {
        parser.index = start
        return parser.fail("integer out of range (\(range))")
    }

    /// An integer's sign and digits, by JSON's grammar for numbers; an error for a fraction, an
    /// exponent, or more than `UInt64.max`.
    private mutating func integerParts() throws(BulwarkError) -> (negative: Bool, magnitude: UInt64) {
        let start = try scanNumber("an integer")
        let buffer = parser.buffer
        let negative = buffer[start] == UInt8(ascii: "-")
        var magnitude: UInt64 = 0
        for i in (negative ? start + 1 : start)..<parser.index {
            let b = buffer[i]
            guard b >= 0x30 && b <= 0x39 else {
                parser.index = start
                throw parser.fail("expected an integer, found a number with a fraction or an exponent")
            }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(UInt64(b - 0x30))
            guard !o1, !o2 else { throw outOfRange(start, negative ? "\(Int64.min)...\(Int64.max)" : "0...\(UInt64.max)") }
            magnitude = next
        }
        return (negative, magnitude)
    }

    /// Skips the value, whatever it is (nested up to the reader's `maxDepth`).
    public mutating func skipValue() throws(BulwarkError) { try parser.skipValue(depth: depth) }

    /// A JSON number: exactly, when it is an integer within `Int64`'s range, and as a `Double`.
    public struct Number: Sendable, Hashable {
        /// The number, when it has no fraction or exponent and fits `Int64`.
        public var integer: Int64?
        /// The number as the nearest `Double` (infinite beyond its range).
        public var double: Double
    }

    /// The value as a number, any that JSON's grammar allows.
    public mutating func number() throws(BulwarkError) -> Number {
        let start = try scanNumber("a number")
        let buffer = parser.buffer
        // An integer of up to 18 digits is read from the bytes (it fits Int64; its Double is the
        // nearest, as Double(text) gives); any other number through its text.
        let negative = buffer[start] == UInt8(ascii: "-")
        let digits = (negative ? start + 1 : start)..<parser.index
        if digits.count <= 18 {
            var magnitude: Int64 = 0
            var integral = true
            for i in digits {
                let b = buffer[i]
                guard b >= 0x30 && b <= 0x39 else {
                    integral = false
                    break
                }
                magnitude = magnitude * 10 + Int64(b - 0x30)
            }
            if integral {
                let value = negative ? -magnitude : magnitude
                return Number(integer: value, double: Double(value))
            }
        }
        let text = UnsafeBufferPointer(rebasing: buffer[start..<parser.index])
        let integral = !text.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let string = String(decoding: text, as: UTF8.self)
        // The grammar is checked: Double reads every such text (beyond its range, as infinity).
        let double = Double(string) ?? .nan
        return Number(integer: integral ? Int64(string) : nil, double: double)
    }

    /// Reads a number by JSON's grammar ("expected `what`" when the value does not start as one)
    /// and returns where it starts.
    private mutating func scanNumber(_ what: String) throws(BulwarkError) -> Int {
        guard valueIsNumber() else { throw parser.fail("expected \(what)") }
        let start = parser.index
        try parser.number()
        return start
    }

    /// Whether the value is a number (it starts with a digit or a minus sign).
    public mutating func valueIsNumber() -> Bool {
        guard let b = nextValueByte else { return false }
        return b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39)
    }

    /// The value's first byte (after white space), nil at the end of the bytes: `{` for an
    /// object, `[` for an array, `"` for a string.
    public var nextValueByte: UInt8? {
        mutating get {
            parser.skipWhitespace()
            return parser.index < parser.buffer.count ? parser.buffer[parser.index] : nil
        }
    }

    /// Reads the value, an object, a field at a time: `body` is called with each key and this
    /// reader at the key's value, which it must read or skip. Offsets in errors are from the start
    /// of the outermost object.
    public mutating func object(_ body: (String, inout JSONObjectReader) throws(BulwarkError) -> Void) throws(BulwarkError) {
        let outer = state
        let field = parser.field
        try enter()
        state = .start
        while let key = try nextKey() { try body(key, &self) }
        state = outer
        depth -= 1
        parser.field = field
    }

    /// Reads the value, an array, an element at a time: `body` is called with this reader at each
    /// element, which it must read or skip.
    public mutating func array(_ body: (inout JSONObjectReader) throws(BulwarkError) -> Void) throws(BulwarkError) {
        try enter()
        defer { depth -= 1 }
        try parser.expect(UInt8(ascii: "["), "'[' at the start of an array")
        parser.skipWhitespace()
        if parser.index < parser.buffer.count, parser.buffer[parser.index] == UInt8(ascii: "]") {
            parser.index += 1
            return
        }
        while true {
            parser.skipWhitespace()
            try body(&self)
            parser.skipWhitespace()
            guard parser.index < parser.buffer.count else { throw parser.fail("expected ',' or ']', found end of line") }
            let b = parser.buffer[parser.index]
            parser.index += 1
            if b == UInt8(ascii: "]") { return }
            guard b == UInt8(ascii: ",") else {
                parser.index -= 1
                throw parser.fail("expected ',' or ']'")
            }
        }
    }

    /// One level deeper, within `maxDepth`.
    private mutating func enter() throws(BulwarkError) {
        guard depth < parser.maxDepth else { throw parser.fail("nesting deeper than \(parser.maxDepth)", code: .limitExceeded) }
        depth += 1
    }
}
