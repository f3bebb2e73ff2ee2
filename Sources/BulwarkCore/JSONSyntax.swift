/// Where a JSON text (RFC 8259) first goes wrong, found without decoding it.
///
/// The API decodes request bodies with Foundation, whose errors on Linux say only that "the given
/// data was not valid JSON", and which accepts some text that is not JSON (a comma before `}`).
/// Checking the body first gives every syntax error its byte offset, line and column, and holds
/// the API to the standard. One pass over the bytes, no allocation.
public struct JSONSyntaxError: Error, Sendable, Hashable {
    /// Byte offset of the first byte that cannot be part of valid JSON (0-based).
    public var offset: Int
    /// 1-based line of that byte (lines end at `\n`).
    public var line: Int
    /// 1-based column of that byte, in bytes from the start of its line.
    public var column: Int
    /// What was expected or found, in words.
    public var reason: String

    public var description: String { "\(reason) at byte \(offset) (line \(line), column \(column))" }
}

public enum JSONSyntax {
    /// The deepest nesting of arrays and objects a checked text may have, unless told otherwise.
    public static let standardMaxDepth = 64

    /// The first error in `bytes` as one JSON text (surrounding whitespace allowed), or nil if it
    /// is valid: UTF-8 throughout, strings with only the escapes RFC 8259 names and no unescaped
    /// control characters, `\u` surrogates in pairs, numbers by the grammar (no leading zeros,
    /// no `+`, no bare `.`), the three literals, no trailing commas, nothing after the value, and
    /// at most `maxDepth` levels of arrays and objects.
    public static func firstError(in bytes: some Collection<UInt8>, maxDepth: Int = standardMaxDepth) -> JSONSyntaxError? {
        func check(_ buffer: UnsafeBufferPointer<UInt8>) -> JSONSyntaxError? {
            var checker = Checker(buffer: buffer, maxDepth: maxDepth)
            guard let (offset, reason) = checker.run() else { return nil }
            var line = 1
            var lineStart = 0
            for i in 0..<min(offset, buffer.count) where buffer[i] == 0x0A {
                line += 1
                lineStart = i + 1
            }
            return JSONSyntaxError(offset: offset, line: line, column: offset - lineStart + 1, reason: reason)
        }
        if let result = bytes.withContiguousStorageIfAvailable(check) { return result }
        return Array(bytes).withUnsafeBufferPointer(check)
    }

    /// Two uppercase hex digits.
    static func hex(_ b: UInt8) -> String {
        b < 0x10 ? "0\(String(b, radix: 16, uppercase: true))" : String(b, radix: 16, uppercase: true)
    }

    /// What the byte at `i` is, for a message: the end, the character if printable ASCII, or its hex.
    static func describe(_ buffer: UnsafeBufferPointer<UInt8>, at i: Int) -> String {
        guard i < buffer.count else { return "the end of the text" }
        let b = buffer[i]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(hex(b))"
    }

    /// A number's syntax error: where, and what.
    struct NumberError: Error {
        var offset: Int
        var reason: String
    }

    /// Reads a number by RFC 8259's grammar, -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?,
    /// starting at `start` (a '-' or a digit): the index just after it, or where it goes wrong.
    static func scanNumber(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Result<Int, NumberError> {
        var i = start
        func isDigit(_ i: Int) -> Bool { i < buffer.count && buffer[i] >= 0x30 && buffer[i] <= 0x39 }
        func found(_ i: Int) -> String { describe(buffer, at: i) }
        if i < buffer.count && buffer[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else {
            return .failure(NumberError(offset: i, reason: "expected a digit in the number starting at byte \(start), found \(found(i))"))
        }
        if buffer[i] == 0x30 {
            i += 1
            if isDigit(i) { return .failure(NumberError(offset: i, reason: "a number may not start with 0 followed by a digit")) }
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < buffer.count && buffer[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return .failure(NumberError(offset: i, reason: "expected a digit after '.', found \(found(i))")) }
            while isDigit(i) { i += 1 }
        }
        if i < buffer.count && (buffer[i] == UInt8(ascii: "e") || buffer[i] == UInt8(ascii: "E")) {
            i += 1
            if i < buffer.count && (buffer[i] == UInt8(ascii: "+") || buffer[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else {
                return .failure(NumberError(offset: i, reason: "expected a digit in the exponent, found \(found(i))"))
            }
            while isDigit(i) { i += 1 }
        }
        return .success(i)
    }

    private struct Checker {
        let buffer: UnsafeBufferPointer<UInt8>
        let maxDepth: Int
        var index = 0

        init(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
            self.buffer = buffer
            self.maxDepth = maxDepth
        }

        typealias Failure = (offset: Int, reason: String)

        mutating func run() -> Failure? {
            if let failure = value(depth: 0) { return failure }
            skipWhitespace()
            if index < buffer.count { return (index, "unexpected text after the JSON value") }
            return nil
        }

        var atEnd: Bool { index >= buffer.count }

        mutating func skipWhitespace() {
            while index < buffer.count {
                let b = buffer[index]
                guard b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D else { return }
                index += 1
            }
        }

        func hex(_ b: UInt8) -> String { JSONSyntax.hex(b) }

        func found() -> String { JSONSyntax.describe(buffer, at: index) }

        mutating func value(depth: Int) -> Failure? {
            skipWhitespace()
            guard !atEnd else { return (index, "expected a value, found the end of the text") }
            switch buffer[index] {
            case UInt8(ascii: "{"):
                guard depth < maxDepth else { return (index, "nesting deeper than \(maxDepth) arrays and objects") }
                return object(depth: depth + 1)
            case UInt8(ascii: "["):
                guard depth < maxDepth else { return (index, "nesting deeper than \(maxDepth) arrays and objects") }
                return array(depth: depth + 1)
            case UInt8(ascii: "\""):
                return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return number()
            default:
                return (index, "expected a value, found \(found())")
            }
        }

        mutating func object(depth: Int) -> Failure? {
            index += 1  // {
            skipWhitespace()
            if !atEnd && buffer[index] == UInt8(ascii: "}") {
                index += 1
                return nil
            }
            while true {
                skipWhitespace()
                guard !atEnd, buffer[index] == UInt8(ascii: "\"") else {
                    return (index, "expected a key (a string), found \(found())")
                }
                if let failure = string() { return failure }
                skipWhitespace()
                guard !atEnd, buffer[index] == UInt8(ascii: ":") else { return (index, "expected ':' after a key, found \(found())") }
                index += 1
                if let failure = value(depth: depth) { return failure }
                skipWhitespace()
                guard !atEnd else { return (index, "expected ',' or '}', found the end of the text") }
                switch buffer[index] {
                case UInt8(ascii: ","):
                    index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return nil
                default:
                    return (index, "expected ',' or '}', found \(found())")
                }
            }
        }

        mutating func array(depth: Int) -> Failure? {
            index += 1  // [
            skipWhitespace()
            if !atEnd && buffer[index] == UInt8(ascii: "]") {
                index += 1
                return nil
            }
            while true {
                if let failure = value(depth: depth) { return failure }
                skipWhitespace()
                guard !atEnd else { return (index, "expected ',' or ']', found the end of the text") }
                switch buffer[index] {
                case UInt8(ascii: ","):
                    index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    return nil
                default:
                    return (index, "expected ',' or ']', found \(found())")
                }
            }
        }

        mutating func literal(_ word: StaticString) -> Failure? {
            let n = word.utf8CodeUnitCount
            for i in 0..<n {
                guard index + i < buffer.count, buffer[index + i] == word.utf8Start[i] else {
                    return (index, "expected a value, found \(found())")
                }
            }
            index += n
            return nil
        }

        mutating func number() -> Failure? {
            switch JSONSyntax.scanNumber(buffer, from: index) {
            case .success(let end):
                index = end
                return nil
            case .failure(let failure):
                return (failure.offset, failure.reason)
            }
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= buffer.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = hexDigitValue(buffer[index]) else { return nil }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        mutating func string() -> Failure? {
            index += 1  // "
            while index < buffer.count {
                let b = buffer[index]
                switch b {
                case UInt8(ascii: "\""):
                    index += 1
                    return nil
                case UInt8(ascii: "\\"):
                    if let failure = escape() { return failure }
                case 0x00..<0x20:
                    return (index, "a control character (0x\(hex(b))) in a string must be escaped")
                case 0x20..<0x80:
                    index += 1
                default:
                    if let failure = utf8Sequence() { return failure }
                }
            }
            return (index, "unterminated string")
        }

        mutating func escape() -> Failure? {
            let start = index
            index += 1  // backslash
            guard !atEnd else { return (index, "unterminated string") }
            let e = buffer[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                return nil
            case UInt8(ascii: "u"):
                guard let unit = hex4() else { return (start, "a \\u escape needs four hex digits") }
                if unit >= 0xDC00 && unit < 0xE000 { return (start, "a low surrogate (\\u escape) with no high one before it") }
                guard unit >= 0xD800 && unit < 0xDC00 else { return nil }
                let low = index
                guard index + 1 < buffer.count, buffer[index] == UInt8(ascii: "\\"), buffer[index + 1] == UInt8(ascii: "u")
                else { return (start, "a high surrogate (\\u escape) with no low one after it") }
                index += 2
                guard let second = hex4(), second >= 0xDC00 && second < 0xE000 else {
                    return (low, "a high surrogate (\\u escape) with no low one after it")
                }
                return nil
            default:
                return (start, "'\\\(Character(Unicode.Scalar(e)))' is not an escape JSON has")
            }
        }

        /// One multi-byte UTF-8 sequence (Unicode's well-formed table: no overlong forms, no
        /// surrogates, nothing above U+10FFFF).
        mutating func utf8Sequence() -> Failure? {
            let start = index
            let b0 = buffer[index]
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                high = 0x9F
            case 0xF0:
                length = 4
                low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                high = 0x8F
            default:
                return (start, "invalid UTF-8: byte 0x\(hex(b0)) cannot start a character")
            }
            for k in 1..<length {
                let i = start + k
                guard i < buffer.count else { return (start, "invalid UTF-8: the character starting with 0x\(hex(b0)) is cut short") }
                let b = buffer[i]
                let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                guard b >= lo && b <= hi else {
                    return (start, "invalid UTF-8: the character starting with 0x\(hex(b0)) continues with 0x\(hex(b))")
                }
            }
            index = start + length
            return nil
        }
    }
}
