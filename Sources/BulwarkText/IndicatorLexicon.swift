public import BulwarkCore

/// The curated indicator lexicon: designated organisations, their official media outlets,
/// slogans, hashtags and room/page title patterns, versioned, with per-entry metadata.
///
/// An indicator alone never makes an item `violating`: news mentions the same names.
public struct IndicatorLexicon: Sendable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case organisation
        case mediaOutlet = "media_outlet"
        case slogan
        case hashtag
        case titlePattern = "title_pattern"
    }

    public struct Entry: Sendable, Codable, Hashable {
        public var id: String
        public var kind: Kind
        public var name: String
        public var category: Category
        /// How strongly the indicator alone suggests terrorist content, 0...1.
        public var weight: Double
        public var languages: [String]
        public var scripts: [String]
        /// Public lists that designate it (UN, EU, UK, US...); empty for slogans.
        public var listed: [String]?
        /// Spellings and transliterations, matched as whole words on normalised text.
        public var patterns: [String]

        public init(
            id: String, kind: Kind, name: String, category: Category, weight: Double, languages: [String],
            scripts: [String], listed: [String]?, patterns: [String]
        ) {
            self.id = id
            self.kind = kind
            self.name = name
            self.category = category
            self.weight = weight
            self.languages = languages
            self.scripts = scripts
            self.listed = listed
            self.patterns = patterns
        }
    }

    struct File: Codable {
        var version: String
        var description: String?
        var sources: [String]?
        var entries: [Entry]
    }

    public var version: String
    public var sources: [String]
    public var entries: [Entry]

    public init(version: String, sources: [String] = [], entries: [Entry]) {
        self.version = version
        self.sources = sources
        self.entries = entries
    }

    /// Parses the lexicon's JSON; an invalid entry is an error naming the entry and field.
    public init(json: [UInt8]) throws(BulwarkError) {
        let file = try decodeJSON(File.self, from: json, what: "lexicon")
        var seen = Set<String>()
        for (i, entry) in file.entries.enumerated() {
            if !seen.insert(entry.id).inserted {
                throw BulwarkError(.invalidData, "lexicon: duplicate entry id \"\(entry.id)\"", field: "entries[\(i)].id")
            }
            if !(0...1).contains(entry.weight) {
                throw BulwarkError(.invalidData, "lexicon: weight must be in 0...1", field: "entries[\(i)].weight")
            }
            if entry.patterns.isEmpty {
                throw BulwarkError(.invalidData, "lexicon: entry has no patterns", field: "entries[\(i)].patterns")
            }
        }
        self.init(version: file.version, sources: file.sources ?? [], entries: file.entries)
    }
}

/// One occurrence of a lexicon entry in a text.
public struct IndicatorMatch: Sendable, Hashable {
    /// Index into the lexicon's entries.
    public var entry: Int
    /// Byte range in the normalised text.
    public var normalizedRange: Range<Int>
}

/// Finds lexicon entries in normalised text in one pass (`PhraseMatcher`), at word boundaries.
public struct IndicatorMatcher: Sendable {
    public let lexicon: IndicatorLexicon
    let phrases: PhraseMatcher
    /// For each entry: the classifier's named-feature keys of the entry and of its kind.
    let featureKeys: [(entry: UInt64, kind: UInt64)]

    public init(lexicon: IndicatorLexicon, normalizer: TextNormalizer = TextNormalizer()) {
        self.lexicon = lexicon
        self.phrases = PhraseMatcher(entries: lexicon.entries.map(\.patterns), normalizer: normalizer)
        self.featureKeys = lexicon.entries.map {
            (FeatureExtractor.namedFeatureKey($0.id), FeatureExtractor.namedFeatureKey("kind:" + $0.kind.rawValue))
        }
    }

    /// Every entry found, each at its first whole-word occurrence.
    public func matches(in text: NormalizedText) -> [IndicatorMatch] {
        phrases.firstMatches(in: text)
    }
}
