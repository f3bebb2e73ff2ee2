import Foundation
import Hummingbird

/// A request's query parameters read strictly. A parameter that is absent is `nil`; one that is
/// present but not what the route takes (not a number, out of range, not one of the choices,
/// empty) is a 400 that names it and says what it takes, never silently ignored or replaced by a
/// default.
struct QueryReader {
    let parameters: Parameters
    /// Whether an empty value is read as absent: the console's filter forms send `category=`
    /// for "any".
    let emptyIsAbsent: Bool

    init(_ request: Request, emptyIsAbsent: Bool = false) {
        parameters = request.uri.queryParameters
        self.emptyIsAbsent = emptyIsAbsent
    }

    /// The fields of a GET form as a browser sends them (application/x-www-form-urlencoded: a
    /// space is `+`, a `+` is `%2B`), which the router's query parameters do not read so; the
    /// first value of each name. Nothing that is not UTF-8 once decoded is kept.
    static func formFields(_ request: Request) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ s: Substring) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decoded(parts[0]), fields[name] == nil,
                let value = parts.count > 1 ? decoded(parts[1]) : ""
            else { continue }
            fields[name] = value
        }
        return fields
    }

    /// The parameter's raw text, if present.
    func text(_ name: String) -> String? {
        guard let value = parameters[Substring(name)] else { return nil }
        return value.isEmpty && emptyIsAbsent ? nil : String(value)
    }

    /// An integer in `range`; `meaning` says what it is in the error ("a referral id").
    func integer<T: FixedWidthInteger>(_ name: String, in range: ClosedRange<T>, meaning: String) throws -> T? {
        guard let text = text(name) else { return nil }
        guard let value = T(text), range.contains(value) else {
            throw APIError.invalid("\(name) must be \(meaning), \(range.lowerBound) ... \(range.upperBound): got \(Self.quoted(text))", field: name)
        }
        return value
    }

    /// A page size: 1 ... `maximum`; `standard` (`maximum` unless given) when absent.
    func limit(maximum: Int, standard: Int? = nil) throws -> Int {
        try integer("limit", in: 1...maximum, meaning: "a page size") ?? standard ?? maximum
    }

    /// One of the values of `T` (an enumeration whose raw values are the parameter's choices).
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, as type: T.Type) throws -> T? where T.RawValue == String {
        guard let text = text(name) else { return nil }
        guard let value = T(rawValue: text) else {
            let choices = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.invalid("\(name) must be one of \(choices): got \(Self.quoted(text))", field: name)
        }
        return value
    }

    /// One of `choices`.
    func choice(_ name: String, in choices: [String]) throws -> String? {
        guard let text = text(name) else { return nil }
        guard choices.contains(text) else {
            throw APIError.invalid("\(name) must be one of \(choices.joined(separator: ", ")): got \(Self.quoted(text))", field: name)
        }
        return text
    }

    /// For a console page, which shows a bad query value on the page instead of answering with
    /// JSON: runs `read` and returns the message of the error it threw for a value (nil when
    /// every value was taken). Other errors propagate.
    static func pageError(_ read: () throws -> Void) rethrows -> String? {
        do {
            try read()
            return nil
        } catch let error as APIError {
            return error.message
        }
    }

    /// The value as the error quotes it: at most 64 characters, so a long parameter does not
    /// come back whole.
    static func quoted(_ text: String) -> String {
        let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return "\"\(shown)\""
    }
}
