/// One piece of evidence behind a verdict, pointing at the text the user wrote.
///
/// `start` and `end` are offsets in Unicode scalars (code points) of the original text, end exclusive,
/// or `nil` when the evidence is about the whole item (a classifier score, an exact match).
public struct Evidence: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A lexicon entry (organisation, media outlet, slogan, hashtag, title pattern).
        case indicator
        /// The normalised text equals a known violating text.
        case knownText = "known_text"
        /// The text is a near-duplicate of a known violating text.
        case nearDuplicate = "near_duplicate"
        /// A link to a listed URL.
        case url
        /// A link to a listed domain.
        case domain
        /// A classifier score for a category.
        case classifier
        /// A classifier score for a non-violating context.
        case context
        /// A word that raised the classifier's violating score, with its share of the weight the
        /// text carries and its span.
        case term
        /// The sentence encoder's score and the closest exemplar (the `full` model's cascade).
        case semantic
    }

    public var kind: Kind
    /// Human-readable detail: the list entry, the score, the matched text.
    public var detail: String
    public var start: Int?
    public var end: Int?

    public init(kind: Kind, detail: String, start: Int? = nil, end: Int? = nil) {
        self.kind = kind
        self.detail = detail
        self.start = start
        self.end = end
    }
}

extension Evidence {
    static let termPrefix = "raised violating: "

    /// Evidence that `word` (as the user wrote it, at scalars `start..<end`) raised the
    /// classifier's violating score, carrying `share` (0...1) of the weight the text carries
    /// either way: `raised violating: will (31%)`.
    public static func term(_ word: String, share: Double, start: Int, end: Int) -> Evidence {
        let percent = Int((min(max(share, 0), 1) * 100).rounded())
        return Evidence(kind: .term, detail: "\(termPrefix)\(word) (\(percent)%)", start: start, end: end)
    }

    /// The word of `term` evidence (nil for any other kind).
    public var termWord: Substring? {
        guard kind == .term, detail.hasPrefix(Self.termPrefix), let open = detail.lastIndex(of: "(") else { return nil }
        let start = detail.index(detail.startIndex, offsetBy: Self.termPrefix.count)
        guard start < open else { return nil }
        return detail[start..<detail.index(before: open)]
    }
}

/// A category with the engine's score for it.
public struct CategoryScore: Sendable, Hashable, Codable {
    public var name: Category
    public var score: Double

    public init(name: Category, score: Double) {
        self.name = name
        self.score = score
    }
}

/// The engine's answer for one item: the output line of the data contract.
public struct Verdict: Sendable, Hashable {
    public var id: String
    public var decision: Decision
    /// Probability-like score in 0...1 that the item is violating.
    public var score: Double
    /// Categories in descending score order; empty when nothing points at a category.
    public var categories: [CategoryScore]
    /// A non-violating context the item was recognised as, if any.
    public var context: Context?
    /// ISO 639-1 code, or "und" when unsure.
    public var language: String
    public var evidence: [Evidence]

    public init(
        id: String,
        decision: Decision,
        score: Double,
        categories: [CategoryScore] = [],
        context: Context? = nil,
        language: String = "und",
        evidence: [Evidence] = []
    ) {
        self.id = id
        self.decision = decision
        self.score = score
        self.categories = categories
        self.context = context
        self.language = language
        self.evidence = evidence
    }
}
