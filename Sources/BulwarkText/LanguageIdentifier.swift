// TEMPORARY placeholder until the py3langid-backed identifier lands (same API).
public import BulwarkCore

public struct LanguageGuess: Sendable, Hashable {
    public var code: String
    public var confidence: Double
}

public struct LanguageIdentifier: Sendable {
    public init(modelBytes: [UInt8]) throws(BulwarkError) {}
    public func identify(_ text: String) -> LanguageGuess { LanguageGuess(code: "und", confidence: 0) }
}
