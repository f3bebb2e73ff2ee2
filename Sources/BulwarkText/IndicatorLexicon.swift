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

/// Finds lexicon entries in normalised text with one automaton, at word boundaries.
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

/// Whole-word phrase matching on normalised text for lists of entries, each with its patterns
/// (normalised the same way as the text), with one Aho-Corasick automaton.
///
/// Arabic patterns also match after the clitic prefixes و ف ب ل ك (and, so, with, for, like)
/// attached to the word, as Arabic writes them.
struct PhraseMatcher: Sendable {
    private let automaton: AhoCorasick
    /// For each automaton pattern: its entry.
    private let patternEntry: [Int32]
    private let patternIsArabic: [Bool]

    init(entries: [[String]], normalizer: TextNormalizer) {
        var patterns: [[UInt8]] = []
        var patternEntry: [Int32] = []
        var isArabic: [Bool] = []
        var seen = Set<[UInt8]>()
        for (i, entryPatterns) in entries.enumerated() {
            for pattern in entryPatterns {
                let bytes = Array(normalizer.normalize(pattern).bytes.dropFirst().dropLast())
                guard !bytes.isEmpty, seen.insert(bytes + [UInt8(truncatingIfNeeded: i), UInt8(i >> 8)]).inserted else {
                    continue
                }
                patterns.append(bytes)
                patternEntry.append(Int32(i))
                isArabic.append(bytes[0] == 0xD8 || bytes[0] == 0xD9 || bytes[0] == 0xDA || bytes[0] == 0xDB)
            }
        }
        self.automaton = AhoCorasick(patterns: patterns)
        self.patternEntry = patternEntry
        self.patternIsArabic = isArabic
    }

    /// Calls `body` with the entry and byte range of every whole-word occurrence.
    func forEachMatch(in text: NormalizedText, _ body: (Int, Range<Int>) -> Void) {
        text.bytes.withUnsafeBufferPointer { bytes in
            automaton.forEachMatch(in: bytes) { match in
                let end = match.range.upperBound
                guard end < bytes.count, bytes[end] == 0x20 else { return }
                let start = match.range.lowerBound
                guard start > 0 else { return }
                if bytes[start - 1] != 0x20 {
                    guard patternIsArabic[match.pattern], Self.hasArabicCliticPrefix(bytes, before: start) else { return }
                }
                body(Int(patternEntry[match.pattern]), match.range)
            }
        }
    }

    /// Each entry found, at its first occurrence.
    func firstMatches(in text: NormalizedText) -> [IndicatorMatch] {
        var result: [IndicatorMatch] = []
        forEachMatch(in: text) { entry, range in
            if !result.contains(where: { $0.entry == entry }) {
                result.append(IndicatorMatch(entry: entry, normalizedRange: range))
            }
        }
        return result
    }

    /// Whether the bytes between the previous space and `start` are an Arabic clitic prefix:
    /// one or two of و ف ب ل ك (UTF-8 D9 88, D9 81, D8 A8, D9 84, D9 83).
    static func hasArabicCliticPrefix(_ bytes: UnsafeBufferPointer<UInt8>, before start: Int) -> Bool {
        var i = start
        var letters = 0
        while i >= 2 && bytes[i - 1] != 0x20 {
            let lead = bytes[i - 2]
            let trail = bytes[i - 1]
            let isClitic =
                (lead == 0xD9 && (trail == 0x88 || trail == 0x81 || trail == 0x84 || trail == 0x83))
                || (lead == 0xD8 && trail == 0xA8)
            guard isClitic else { return false }
            letters += 1
            if letters > 2 { return false }
            i -= 2
        }
        return letters > 0 && i >= 1 && bytes[i - 1] == 0x20
    }
}
