import BulwarkCore
import Foundation
public import Hummingbird

/// An error the API answers with: a status and a JSON body
/// `{"error": {"code", "message", "field"?, "limit"?, "offset"?, "depth"?}}`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    public var limit: Int?
    /// How deep the background queue is, when that is why the request is refused (503).
    public var depth: Int?
    /// The byte offset in the body where it stops being acceptable JSON (400).
    public var offset: Int?
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, limit: Int? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.limit = limit
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: Any] = ["code": code, "message": message]
        if let field { body["field"] = field }
        if let limit { body["limit"] = limit }
        if let depth { body["depth"] = depth }
        if let offset { body["offset"] = offset }
        let data = try JSONSerialization.data(withJSONObject: ["error": body], options: [.sortedKeys])
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, "unauthorized", message, headers: [.wwwAuthenticate: "Bearer"])
    }
    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static func invalid(_ message: String, field: String?) -> APIError {
        APIError(.badRequest, "invalid", message, field: field)
    }
    static func tooLarge(_ message: String, field: String? = nil, limit: Int) -> APIError {
        APIError(.contentTooLarge, "too_large", message, field: field, limit: limit)
    }
    /// Back-pressure: the background queue is at its bound; the client retries after a while
    /// (nothing of the request was stored).
    static func overloaded(depth: Int, bound: Int) -> APIError {
        var error = APIError(
            .serviceUnavailable, "overloaded",
            "\(depth) background jobs are waiting, the bound is \(bound): nothing was stored, send again after Retry-After seconds",
            limit: bound, headers: [.retryAfter: "2"])
        error.depth = depth
        return error
    }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, "conflict", message) }

    /// A body that is not JSON (RFC 8259), with where it goes wrong.
    static func malformedJSON(_ error: JSONSyntaxError) -> APIError {
        var e = APIError.invalid("the body is not valid JSON: \(error.description)", field: nil)
        e.offset = error.offset
        return e
    }

    /// A JSON decoding failure as a 400 naming the field path.
    static func decoding(_ error: any Error) -> APIError {
        guard let error = error as? DecodingError else {
            return .invalid("the body is not valid JSON (or not valid UTF-8)", field: nil)
        }
        func path(_ keys: [any CodingKey]) -> String? {
            guard !keys.isEmpty else { return nil }
            return keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .invalid("missing field", field: path(context.codingPath + [key]))
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return .invalid("wrong type: \(context.debugDescription)", field: path(context.codingPath))
        case .dataCorrupted(let context):
            // The body's syntax is checked before decoding (JSONSyntax), so with no field this is
            // valid JSON that Foundation could not read.
            return .invalid(
                context.codingPath.isEmpty
                    ? "the body is valid JSON but could not be decoded (a number beyond the range of a 64-bit float, say)"
                    : "invalid value: \(context.debugDescription)",
                field: path(context.codingPath))
        @unknown default:
            return .invalid("the body could not be decoded", field: nil)
        }
    }
}
