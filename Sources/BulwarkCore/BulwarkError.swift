/// An error from Bulwark's libraries: a stable code, a message, and where it happened.
///
/// New codes can be added without breaking callers, as with NIO's `FileSystemError`.
public struct BulwarkError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case malformedJSON = "malformed JSON"
            case missingField = "missing field"
            case invalidField = "invalid field"
            case limitExceeded = "limit exceeded"
            case invalidModel = "invalid model"
            case invalidData = "invalid data"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let malformedJSON = Code(.malformedJSON)
        public static let missingField = Code(.missingField)
        public static let invalidField = Code(.invalidField)
        public static let limitExceeded = Code(.limitExceeded)
        public static let invalidModel = Code(.invalidModel)
        public static let invalidData = Code(.invalidData)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The field concerned, if any.
    public var field: String?
    /// 1-based line number in the input, if known.
    public var line: Int?
    /// 0-based byte offset within the line (or file), if known.
    public var offset: Int?

    public init(_ code: Code, _ message: String, field: String? = nil, line: Int? = nil, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.line = line
        self.offset = offset
    }

    public var description: String {
        var where_: [String] = []
        if let line { where_.append("line \(line)") }
        if let field { where_.append("field \"\(field)\"") }
        if let offset { where_.append("byte \(offset)") }
        let place = where_.isEmpty ? "" : " (" + where_.joined(separator: ", ") + ")"
        return "\(code): \(message)\(place)"
    }

    /// The same error, placed at a line of the input.
    public func at(line: Int) -> BulwarkError {
        var copy = self
        copy.line = line
        return copy
    }
}
