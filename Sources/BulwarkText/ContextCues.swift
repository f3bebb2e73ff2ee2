public import BulwarkCore

/// Words and phrases typical of the genre and stance of non-violating speech about terrorism
/// (reporting verbs, condemnation, prayer formulas, fiction vocabulary...), per context and
/// language. They are pooled into one classifier feature per context, so what the model learns
/// from news in one language carries to news in another. A cue alone decides nothing.
public struct ContextCues: Sendable {
    public struct Cue: Sendable, Codable, Hashable {
        public var id: String
        /// news, research, counter_speech, artistic, religious, metaphor or everyday.
        public var context: String
        public var language: String
        public var patterns: [String]

        public init(id: String, context: String, language: String, patterns: [String]) {
            self.id = id
            self.context = context
            self.language = language
            self.patterns = patterns
        }
    }

    struct File: Codable {
        var version: String
        var description: String?
        var cues: [Cue]
    }

    public static let contexts = ["news", "research", "counter_speech", "artistic", "religious", "metaphor", "everyday"]

    public var version: String
    public var cues: [Cue]

    public init(version: String, cues: [Cue]) {
        self.version = version
        self.cues = cues
    }

    public init(json: [UInt8]) throws(BulwarkError) {
        let file = try decodeJSON(File.self, from: json, what: "context cues")
        for (i, cue) in file.cues.enumerated() where !Self.contexts.contains(cue.context) {
            throw BulwarkError(.invalidData, "context cues: unknown context \"\(cue.context)\"", field: "cues[\(i)].context")
        }
        self.init(version: file.version, cues: file.cues)
    }
}

/// Finds context cues in normalised text and turns them into named features.
public struct ContextCueMatcher: Sendable {
    public let cues: ContextCues
    let phrases: PhraseMatcher
    /// For each cue entry: the feature keys "cue:<context>" and "cue:<context>:more" (two or more cues).
    let contextKeys: [(one: UInt64, more: UInt64)]
    /// For each cue entry: the index of its context in `ContextCues.contexts`.
    let contextIndex: [Int]
    /// For each context: the feature key "cue:<context>:quoted", a cue of that context in a text
    /// that also quotes something (a slogan named in order to report, refute or mock it).
    let quotedKeys: [UInt64]

    /// Every feature key the matcher can emit.
    public var featureKeys: [UInt64] { contextKeys.flatMap { [$0.one, $0.more] } + quotedKeys }

    public init(cues: ContextCues, normalizer: TextNormalizer = TextNormalizer()) {
        self.cues = cues
        self.phrases = PhraseMatcher(entries: cues.cues.map(\.patterns), normalizer: normalizer)
        self.contextIndex = cues.cues.map { ContextCues.contexts.firstIndex(of: $0.context) ?? 0 }
        self.contextKeys = cues.cues.map {
            (FeatureExtractor.namedFeatureKey("cue:" + $0.context), FeatureExtractor.namedFeatureKey("cue:" + $0.context + ":more"))
        }
        self.quotedKeys = ContextCues.contexts.map { FeatureExtractor.namedFeatureKey("cue:" + $0 + ":quoted") }
    }

    /// Appends the named-feature keys of the cues in `text`, and returns the matched spans (byte ranges
    /// in the normalised text) with their context, for evidence.
    public func features(in text: NormalizedText, into keys: inout [UInt64], spans: inout [(context: Int, range: Range<Int>)]) {
        spans.removeAll(keepingCapacity: true)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: ContextCues.contexts.count) { perContext in
            perContext.initialize(repeating: 0)
            phrases.forEachMatch(in: text) { entry, range in
                let c = contextIndex[entry]
                perContext[c] += 1
                if perContext[c] == 1 { keys.append(contextKeys[entry].one) }
                if perContext[c] == 2 { keys.append(contextKeys[entry].more) }
                if spans.count < 16 { spans.append((c, range)) }
            }
            if !text.quoted.isEmpty {
                for c in 0..<ContextCues.contexts.count where perContext[c] > 0 { keys.append(quotedKeys[c]) }
            }
        }
    }
}
