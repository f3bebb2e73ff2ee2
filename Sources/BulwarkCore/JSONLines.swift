/// Limits on the JSON Lines input, explicit and documented.
public struct JSONLinesLimits: Sendable, Hashable {
    /// Longest accepted line in bytes (default 1 MiB). Longer lines are reported and skipped.
    public var maxLineBytes: Int
    /// Deepest nesting of unknown fields that is skipped over (default 64).
    public var maxDepth: Int

    public init(maxLineBytes: Int = 1 << 20, maxDepth: Int = 64) {
        self.maxLineBytes = maxLineBytes
        self.maxDepth = maxDepth
    }
}

/// Reads one input line of the text data contract from UTF-8 bytes, without Foundation.
///
/// Known fields are decoded; unknown fields (any JSON value) are skipped. Errors carry the field and
/// the byte offset within the line.
public struct TextItemDecoder: Sendable {
    public var limits: JSONLinesLimits

    public init(limits: JSONLinesLimits = JSONLinesLimits()) {
        self.limits = limits
    }

    public func decode(_ line: some Collection<UInt8>) throws(BulwarkError) -> TextItem {
        if line.count > limits.maxLineBytes {
            throw BulwarkError(
                .limitExceeded, "line is \(line.count) bytes, longer than the limit of \(limits.maxLineBytes)")
        }
        let maxDepth = limits.maxDepth
        func parse(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<TextItem, BulwarkError> {
            var reader = JSONObjectReader(buffer, maxDepth: maxDepth, noun: "item")
            do { return .success(try reader.readItem()) } catch { return .failure(error) }
        }
        // The line's own bytes when they are contiguous (an array or a slice of one): no copy.
        if let parsed = line.withContiguousStorageIfAvailable(parse) { return try parsed.get() }
        return try Array(line).withUnsafeBufferPointer(parse).get()
    }
}

extension JSONObjectReader {
    /// One input line of the text data contract (`TextItemDecoder`): the known fields decoded,
    /// any other skipped.
    mutating func readItem() throws(BulwarkError) -> TextItem {
        var id: String?
        var text: String?
        var item = TextItem(id: "", text: "")
        while let key = try nextKey() {
            switch key {
            case "id":
                id = try parser.parseScalarAsString()
            case "text":
                text = try parser.parseString()
            case "lang":
                item.lang = try parser.parseOptionalString()
            case "type":
                if let raw = try parser.parseOptionalString() {
                    guard let type = ItemType(rawValue: raw) else {
                        throw parser.fail(
                            "unknown type \"\(raw)\"; expected one of post, comment, message, profile, title",
                            code: .invalidField)
                    }
                    item.type = type
                }
            case "urls":
                item.urls = try parser.parseStringArray()
            case "author":
                item.author = try parser.parseOptionalScalarAsString()
            case "container":
                item.container = try parser.parseOptionalScalarAsString()
            case "label":
                if let raw = try parser.parseOptionalString() {
                    guard let label = Label(rawValue: raw) else {
                        throw parser.fail("unknown label \"\(raw)\"; expected violating or none", code: .invalidField)
                    }
                    item.label = label
                }
            case "category":
                if let raw = try parser.parseOptionalString() {
                    guard let category = Category(rawValue: raw) else {
                        throw parser.fail("unknown category \"\(raw)\"", code: .invalidField)
                    }
                    item.category = category
                }
            case "kind":
                item.kind = try parser.parseOptionalString()
            case "group":
                item.group = try parser.parseOptionalScalarAsString()
            default:
                try parser.skipValue(depth: 0)
            }
        }
        guard let id, !id.isEmpty else {
            throw BulwarkError(.missingField, "every item needs a non-empty \"id\"", field: "id")
        }
        guard let text else {
            throw BulwarkError(.missingField, "every item needs a \"text\" string", field: "text")
        }
        item.id = id
        item.text = text
        return item
    }

}

struct JSONByteParser {
    let buffer: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var field: String? = nil
    /// Where the current field's value starts (invalid values are reported there).
    var valueStart = 0

    init(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.buffer = buffer
        self.maxDepth = maxDepth
    }

    func fail(_ message: String, code: BulwarkError.Code = .malformedJSON) -> BulwarkError {
        BulwarkError(code, message, field: field, offset: code == .invalidField ? valueStart : index)
    }

    mutating func skipWhitespace() {
        while index < buffer.count {
            let b = buffer[index]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { index += 1 } else { return }
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(BulwarkError) {
        skipWhitespace()
        guard index < buffer.count else { throw fail("expected \(what), found end of line") }
        guard buffer[index] == byte else { throw fail("expected \(what)") }
        index += 1
    }

    mutating func parseOptionalString() throws(BulwarkError) -> String? {
        if try consumeNull() { return nil }
        return try parseString()
    }

    mutating func parseOptionalScalarAsString() throws(BulwarkError) -> String? {
        if try consumeNull() { return nil }
        return try parseScalarAsString()
    }

    mutating func consumeNull() throws(BulwarkError) -> Bool {
        skipWhitespace()
        if index + 4 <= buffer.count, buffer[index] == UInt8(ascii: "n") {
            if buffer[index + 1] == UInt8(ascii: "u"), buffer[index + 2] == UInt8(ascii: "l"),
                buffer[index + 3] == UInt8(ascii: "l")
            {
                index += 4
                return true
            }
            throw fail("invalid literal")
        }
        return false
    }

    /// Ids may be strings or integers.
    mutating func parseScalarAsString() throws(BulwarkError) -> String {
        skipWhitespace()
        guard index < buffer.count else { throw fail("expected a value, found end of line") }
        if buffer[index] == UInt8(ascii: "\"") { return try parseString() }
        let start = index
        guard buffer[index] == UInt8(ascii: "-") || (buffer[index] >= 0x30 && buffer[index] <= 0x39) else {
            throw fail("expected a string or an integer")
        }
        try number()
        // An integer: no fraction, no exponent.
        for i in start..<index where buffer[i] == UInt8(ascii: ".") || buffer[i] | 0x20 == UInt8(ascii: "e") {
            index = start
            throw fail("expected a string or an integer, found a number with a fraction or an exponent")
        }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
    }

    /// A number by RFC 8259's grammar (`JSONSyntax.scanNumber`), an error where it goes wrong.
    mutating func number() throws(BulwarkError) {
        switch JSONSyntax.scanNumber(buffer, from: index) {
        case .success(let end):
            index = end
        case .failure(let error):
            index = error.offset
            throw fail(error.reason)
        }
    }

    mutating func parseStringArray() throws(BulwarkError) -> [String] {
        if try consumeNull() { return [] }
        try expect(UInt8(ascii: "["), "'[' (an array of strings)")
        var result: [String] = []
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "]") {
            index += 1
            return result
        }
        while true {
            result.append(try parseString())
            skipWhitespace()
            guard index < buffer.count else { throw fail("expected ',' or ']', found end of line") }
            let b = buffer[index]
            index += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "]") { return result }
            index -= 1
            throw fail("expected ',' or ']'")
        }
    }

    mutating func parseString() throws(BulwarkError) -> String {
        skipWhitespace()
        guard index < buffer.count, buffer[index] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < buffer.count {
            let b = buffer[index]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: buffer[start..<index])
                index += 1
                return try validated(slice, at: start)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail("control character in a string") }
            index += 1
        }
        var out: [UInt8] = Array(UnsafeBufferPointer(rebasing: buffer[start..<index]))
        while index < buffer.count {
            let b = buffer[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return try out.withUnsafeBufferPointer { (p) throws(BulwarkError) -> String in
                    try validated(p, at: start)
                }
            }
            if b < 0x20 { throw fail("control character in a string") }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                index += 1
                continue
            }
            index += 1
            guard index < buffer.count else { break }
            let e = buffer[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by \uDC00-\uDFFF.
                    if index + 1 < buffer.count, buffer[index] == UInt8(ascii: "\\"),
                        buffer[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try parseHex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw fail("unpaired surrogate in \\u escape")
                }
                appendUTF8(scalar, to: &out)
            default:
                index -= 1
                throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    func validated(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) throws(BulwarkError) -> String {
        // Decoding repairs invalid UTF-8 (U+FFFD), so valid input is exactly what comes back.
        // (The stdlib's fast path for a buffer; `String(validating:as:)` is generic here.)
        var s = String(decoding: bytes, as: UTF8.self)
        let unchanged = s.withUTF8 { decoded in
            guard decoded.count == bytes.count else { return false }
            for i in 0..<decoded.count where decoded[i] != bytes[i] { return false }
            return true
        }
        if unchanged { return s }
        // Find the first invalid byte for the error message.
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var consumed = 0
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): consumed += UTF8.width(s)
            case .emptyInput: break loop
            case .error: break loop
            }
        }
        return try { () throws(BulwarkError) -> String in
            throw BulwarkError(.malformedJSON, "invalid UTF-8 in a string", field: field, offset: start + consumed)
        }()
    }

    mutating func parseHex4() throws(BulwarkError) -> UInt32 {
        guard index + 4 <= buffer.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = hexDigitValue(buffer[index]) else { throw fail("invalid hex digit in \\u escape") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    mutating func skipValue(depth: Int) throws(BulwarkError) {
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth)", code: .limitExceeded) }
        skipWhitespace()
        guard index < buffer.count else { throw fail("expected a value, found end of line") }
        let b = buffer[index]
        switch b {
        case UInt8(ascii: "\""):
            _ = try parseString()
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if index < buffer.count, buffer[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                _ = try parseString()
                try expect(UInt8(ascii: ":"), "':' after a key")
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < buffer.count else { throw fail("expected ',' or '}', found end of line") }
                let c = buffer[index]
                index += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "}") { return }
                index -= 1
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if index < buffer.count, buffer[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < buffer.count else { throw fail("expected ',' or ']', found end of line") }
                let c = buffer[index]
                index += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "]") { return }
                index -= 1
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
        default:
            throw fail("expected a value")
        }
    }

    mutating func literal(_ word: StaticString) throws(BulwarkError) {
        let n = word.utf8CodeUnitCount
        guard index + n <= buffer.count else { throw fail("invalid literal") }
        for i in 0..<n where buffer[index + i] != word.utf8Start[i] {
            throw fail("invalid literal")
        }
        index += n
    }
}

/// Appends the UTF-8 encoding of a Unicode scalar value.
@inline(__always)
public func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
    switch scalar {
    case 0..<0x80:
        out.append(UInt8(scalar))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (scalar >> 6)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (scalar >> 12)))
        out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (scalar >> 18)))
        out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    }
}

/// Writes verdicts as the output lines of the data contract, into a reused byte buffer.
public struct VerdictEncoder: Sendable {
    public init() {}

    /// Appends one JSON line (with the trailing newline) for `verdict` to `out`.
    public func encode(_ verdict: Verdict, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":"#.utf8)
        appendJSONString(verdict.id, to: &out)
        out.append(contentsOf: #","decision":""#.utf8)
        out.append(contentsOf: verdict.decision.rawValue.utf8)
        out.append(contentsOf: #"","score":"#.utf8)
        appendScore(verdict.score, to: &out)
        out.append(contentsOf: #","categories":["#.utf8)
        for (i, c) in verdict.categories.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"name":""#.utf8)
            out.append(contentsOf: c.name.rawValue.utf8)
            out.append(contentsOf: #"","score":"#.utf8)
            appendScore(c.score, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"context":"#.utf8)
        if let context = verdict.context {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: context.rawValue.utf8)
            out.append(UInt8(ascii: "\""))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: #","language":"#.utf8)
        appendJSONString(verdict.language, to: &out)
        out.append(contentsOf: #","evidence":["#.utf8)
        for (i, e) in verdict.evidence.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"kind":""#.utf8)
            out.append(contentsOf: e.kind.rawValue.utf8)
            out.append(contentsOf: #"","detail":"#.utf8)
            appendJSONString(e.detail, to: &out)
            out.append(contentsOf: #","start":"#.utf8)
            appendOptionalInt(e.start, to: &out)
            out.append(contentsOf: #","end":"#.utf8)
            appendOptionalInt(e.end, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}\n".utf8)
    }

    /// An error line for a malformed input line (written to the error stream, not the output).
    public func encodeError(_ error: BulwarkError, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"error":"#.utf8)
        appendJSONString(error.code.description, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        appendJSONString(error.message, to: &out)
        out.append(contentsOf: #","line":"#.utf8)
        appendOptionalInt(error.line, to: &out)
        out.append(contentsOf: #","field":"#.utf8)
        if let field = error.field { appendJSONString(field, to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #","offset":"#.utf8)
        appendOptionalInt(error.offset, to: &out)
        out.append(contentsOf: "}\n".utf8)
    }
}

@inline(__always)
func appendOptionalInt(_ value: Int?, to out: inout [UInt8]) {
    guard let value else {
        out.append(contentsOf: "null".utf8)
        return
    }
    appendInt(value, to: &out)
}

func appendInt(_ value: Int, to out: inout [UInt8]) {
    if value < 0 {
        out.append(UInt8(ascii: "-"))
        appendInt(-value, to: &out)
        return
    }
    if value < 10 {
        out.append(UInt8(0x30 + value))
        return
    }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = value
    var count = 0
    withUnsafeMutableBytes(of: &digits) { raw in
        while n > 0 {
            raw[count] = UInt8(0x30 + n % 10)
            n /= 10
            count += 1
        }
        for i in stride(from: count - 1, through: 0, by: -1) { out.append(raw[i]) }
    }
}

/// Scores are written with four decimals, which is all the precision a threshold needs.
func appendScore(_ score: Double, to out: inout [UInt8]) {
    let clamped = score.isFinite ? min(max(score, 0), 1) : 0
    let scaled = Int((clamped * 10_000).rounded())
    if scaled == 0 {
        out.append(UInt8(ascii: "0"))
        return
    }
    if scaled >= 10_000 {
        out.append(UInt8(ascii: "1"))
        return
    }
    out.append(contentsOf: "0.".utf8)
    var frac = scaled
    var digits = [UInt8](repeating: 0x30, count: 4)
    for i in stride(from: 3, through: 0, by: -1) {
        digits[i] = UInt8(0x30 + frac % 10)
        frac /= 10
    }
    // Trim trailing zeros but keep one digit.
    var end = 4
    while end > 1 && digits[end - 1] == 0x30 { end -= 1 }
    out.append(contentsOf: digits[0..<end])
}

/// Appends `value` in decimal digits, without a String of its own.
public func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 20 digits, the last first
    var count = 0
    withUnsafeMutableBytes(of: &digits) { d in
        repeat {
            d[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            count += 1
        } while magnitude > 0
        for i in stride(from: count - 1, through: 0, by: -1) { out.append(d[i]) }
    }
}

/// Appends `value` as a JSON string literal, escaping quotes, backslashes and control characters.
public func appendJSONString(_ value: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for b in value.utf8 {
        switch b {
        case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
        case 0x0A: out.append(contentsOf: #"\n"#.utf8)
        case 0x0D: out.append(contentsOf: #"\r"#.utf8)
        case 0x09: out.append(contentsOf: #"\t"#.utf8)
        case 0..<0x20:
            out.append(contentsOf: #"\u00"#.utf8)
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        default: out.append(b)
        }
    }
    out.append(UInt8(ascii: "\""))
}
