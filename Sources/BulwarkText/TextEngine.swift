public import BulwarkCore

/// Reusable per-thread buffers for the engine, so scanning allocates little per item.
public struct EngineScratch: Sendable {
    var normalized = NormalizedText()
    var buckets: [UInt32] = []
    var logits: [Float] = []
    var features = FeatureScratch()
    var named: [UInt64] = []
    var cueSpans: [(context: Int, range: Range<Int>)] = []
    /// The classifier's probability that the item last scanned is about terrorism at all: of
    /// every stance class but `other` (0 without a classifier).
    public internal(set) var topicProbability = 0.0
    /// The same for each item of the last batch scanned (`scan(batch:scratch:)`), in order.
    public internal(set) var batchTopicProbabilities: [Double] = []
    /// Whether `scan(batch:scratch:)` gives each item's ``ContentKey`` too
    /// (`batchContentKeys`), from the normal form the scan made: the server asks for them, so
    /// that a text is not normalised a second time for its key.
    public var keepsContentKeys = false
    /// Each item's ``ContentKey`` of the last batch scanned, in order, when `keepsContentKeys`
    /// (empty otherwise).
    public internal(set) var batchContentKeys: [String?] = []

    public init() {}
}

/// The text detection engine: combines known content, links, indicators and the classifier into
/// the verdict of the data contract, with evidence a reviewer can check. Pure: no I/O.
public struct TextEngine: Sendable {
    public var configuration: EngineConfiguration
    public let normalizer: TextNormalizer
    public let indicators: IndicatorMatcher?
    public let contextCues: ContextCueMatcher?
    public private(set) var model: ClassifierModel?
    public let languageIdentifier: LanguageIdentifier?
    public let knownTexts: KnownTextBank
    public let linkList: LinkList
    let linkExtractor = LinkExtractor()

    public init(
        configuration: EngineConfiguration = EngineConfiguration(),
        lexicon: IndicatorLexicon? = nil,
        contextCues: ContextCues? = nil,
        model: ClassifierModel? = nil,
        languageIdentifier: LanguageIdentifier? = nil,
        knownTexts: KnownTextBank = KnownTextBank(),
        linkList: LinkList = LinkList()
    ) {
        let normalizer = TextNormalizer()
        self.configuration = configuration
        self.normalizer = normalizer
        self.indicators = lexicon.map { IndicatorMatcher(lexicon: $0, normalizer: normalizer) }
        self.contextCues = contextCues.map { ContextCueMatcher(cues: $0, normalizer: normalizer) }
        self.model = model
        self.languageIdentifier = languageIdentifier
        self.knownTexts = knownTexts
        self.linkList = linkList
    }

    /// The same engine with another classifier (the lexicon automata are not built again).
    public func replacingModel(_ model: ClassifierModel?) -> TextEngine {
        var copy = self
        copy.model = model
        return copy
    }

    /// Every named feature the engine can emit (lexicon entries and kinds, context cues).
    public var namedFeatureKeys: [UInt64] {
        var keys: [UInt64] = []
        if let indicators { for k in indicators.featureKeys { keys.append(k.entry); keys.append(k.kind) } }
        if let contextCues { keys += contextCues.featureKeys }
        if indicators != nil { keys += [Self.quotedIndicatorKey, Self.unquotedIndicatorKey] }
        return keys
    }

    /// Named features: a text with quotation marks that has an indicator inside them, or only outside.
    static let quotedIndicatorKey = FeatureExtractor.namedFeatureKey("indicator:quoted")
    static let unquotedIndicatorKey = FeatureExtractor.namedFeatureKey("indicator:unquoted")

    /// Features of a labelled item, for training (the same path as scanning).
    public func trainingExample(_ item: TextItem, scratch: inout EngineScratch) -> TrainingExample? {
        guard let label = item.label, let model else { return nil }
        let (_, ids, _) = prepare(item, scratch: &scratch)
        model.features.extract(scratch.normalized, named: ids, into: &scratch.buckets, scratch: &scratch.features)
        return TrainingExample(
            buckets: scratch.buckets, stance: StanceClass(label: label, kind: item.kind),
            category: label == .violating ? item.category : nil)
    }

    /// Normalises the text (up to `maxTextBytes`) and finds indicators; returns the matches, the
    /// named-feature keys and the text that was scanned.
    func prepare(_ item: TextItem, scratch: inout EngineScratch) -> ([IndicatorMatch], [UInt64], String) {
        let text = scannedText(item)
        normalizer.normalize(text, into: &scratch.normalized)
        scratch.named.removeAll(keepingCapacity: true)
        scratch.cueSpans.removeAll(keepingCapacity: true)
        if let contextCues {
            contextCues.features(in: scratch.normalized, into: &scratch.named, spans: &scratch.cueSpans)
        }
        guard let indicators else { return ([], scratch.named, text) }
        let matches = indicators.matches(in: scratch.normalized)
        for m in matches {
            let keys = indicators.featureKeys[m.entry]
            scratch.named.append(keys.entry)
            scratch.named.append(keys.kind)
        }
        if !matches.isEmpty && !scratch.normalized.quoted.isEmpty {
            // Named in quotation marks (reported, refuted or mocked), or asserted?
            let quoted = matches.contains { scratch.normalized.isQuoted($0.normalizedRange) }
            scratch.named.append(quoted ? Self.quotedIndicatorKey : Self.unquotedIndicatorKey)
        }
        return (matches, scratch.named, text)
    }

    public func scan(_ item: TextItem) -> Verdict {
        var scratch = EngineScratch()
        return scan(item, scratch: &scratch)
    }

    public func scan(_ item: TextItem, scratch: inout EngineScratch) -> Verdict {
        scan(item, scratch: &scratch, language: nil)
    }

    /// The verdicts of several items, in order, each the one `scan(_:scratch:)` gives. The
    /// languages of all of them are identified first, in one pass: the identifier's tables
    /// (8.6 MB of rows, an automaton of 104,583 states) then stay in the caches instead of
    /// being evicted by the other stages' tables between one item and the next.
    public func scan(batch items: [TextItem], scratch: inout EngineScratch) -> [Verdict] {
        var languages: [String?] = []
        languages.reserveCapacity(items.count)
        for item in items { languages.append(languageIdentifier?.identify(scannedText(item)).code) }
        var verdicts: [Verdict] = []
        verdicts.reserveCapacity(items.count)
        var topics: [Double] = []
        topics.reserveCapacity(items.count)
        var keys: [String?] = []
        if scratch.keepsContentKeys { keys.reserveCapacity(items.count) }
        for (item, language) in zip(items, languages) {
            verdicts.append(scan(item, scratch: &scratch, language: language))
            topics.append(scratch.topicProbability)
            if scratch.keepsContentKeys {
                // The scan's normal form is the whole text's unless the text was cut short.
                keys.append(
                    item.text.utf8.count > configuration.maxTextBytes
                        ? ContentKey.of(item.text, normalizer: normalizer) : ContentKey.of(normalized: scratch.normalized))
            }
        }
        scratch.batchTopicProbabilities = topics
        scratch.batchContentKeys = keys
        return verdicts
    }

    /// The text that is scanned: the item's, cut to `maxTextBytes` (the cascade's encoder reads
    /// the same).
    @inline(__always)
    public func scannedText(_ item: TextItem) -> String {
        item.text.utf8.count > configuration.maxTextBytes
            ? String(decoding: item.text.utf8.prefix(configuration.maxTextBytes), as: UTF8.self) : item.text
    }

    /// `scan(_:scratch:)` with the language already identified (`nil`: identify it here).
    private func scan(_ item: TextItem, scratch: inout EngineScratch, language identified: String?) -> Verdict {
        let config = configuration
        var evidence: [Evidence] = []
        var decision = Decision.none
        let (matches, ids, text) = prepare(item, scratch: &scratch)

        // 1. Known content.
        var knownScore = 0.0
        var knownCategory: Category?
        if let match = knownTexts.match(scratch.normalized) {
            decision = .violating
            knownScore = match.similarity
            knownCategory = match.entry.category
            evidence.append(
                Evidence(
                    kind: match.exact ? .knownText : .nearDuplicate,
                    detail: "\(match.entry.source):\(match.entry.id) similarity \(twoDecimals(match.similarity))"))
        }
        if !linkList.isEmpty {
            var links = linkExtractor.links(in: text)
            for raw in item.urls {
                if let l = linkExtractor.normalize(Array(raw.utf8)) { links.append(l) }
            }
            for link in links {
                if let url = linkList.urlMatch(link) {
                    decision = .violating
                    knownScore = max(knownScore, 1)
                    let label = linkList.label(ofURL: url) ?? ""
                    evidence.append(Evidence(kind: .url, detail: url + (label.isEmpty ? "" : " (\(label))"),
                                             start: link.start, end: link.end))
                } else if let domain = linkList.domainMatch(link) {
                    decision = max(decision, .review)
                    let label = linkList.label(ofDomain: domain) ?? ""
                    evidence.append(Evidence(kind: .domain, detail: domain + (label.isEmpty ? "" : " (\(label))"),
                                             start: link.start, end: link.end))
                }
            }
        }

        // 2. Indicators.
        var strongestIndicator = 0.0
        var indicatorCategory: Category?
        if let indicators {
            for m in matches {
                let entry = indicators.lexicon.entries[m.entry]
                if entry.weight > strongestIndicator {
                    strongestIndicator = entry.weight
                    indicatorCategory = entry.category
                }
                let source = scratch.normalized.sourceRange(of: m.normalizedRange)
                evidence.append(
                    Evidence(
                        kind: .indicator, detail: "\(entry.id) (\(entry.kind.rawValue)): \(entry.name)",
                        start: source.lowerBound, end: source.upperBound))
            }
        }

        // 3. Classifier.
        var violating = 0.0
        var strongestContext = 0.0
        var context: Context?
        var categories: [CategoryScore] = []
        scratch.topicProbability = 0
        if let model {
            model.extractFeatures(scratch.normalized, named: ids, into: &scratch.buckets, scratch: &scratch.features)
            model.logits(scratch.buckets, into: &scratch.logits)
            let (stance, categoryProbabilities) = model.probabilities(logits: scratch.logits)
            violating = stance[StanceClass.violating.rawValue]
            scratch.topicProbability = 1 - stance[StanceClass.other.rawValue]
            var bestContext: (StanceClass, Double)?
            for s in StanceClass.allCases where s.context != nil {
                if stance[s.rawValue] > (bestContext?.1 ?? 0) { bestContext = (s, stance[s.rawValue]) }
            }
            strongestContext = bestContext?.1 ?? 0
            if let (s, p) = bestContext, p >= config.contextThreshold, p > violating, let c = s.context {
                context = c
                // The cues of that context, as the reviewer's evidence for it.
                let index = ContextCues.contexts.firstIndex(of: c.rawValue) ?? -1
                var cues: [String] = []
                for span in scratch.cueSpans where span.context == index && cues.count < 3 {
                    cues.append(String(decoding: scratch.normalized.bytes[span.range], as: UTF8.self))
                }
                let detail = "\(c.rawValue) \(twoDecimals(p))" + (cues.isEmpty ? "" : "; cues: " + cues.joined(separator: ", "))
                evidence.append(Evidence(kind: .context, detail: detail))
            }
            for (i, c) in Category.allCases.enumerated() {
                let score = violating * categoryProbabilities[i]
                if score >= config.categoryMinimum { categories.append(CategoryScore(name: c, score: score)) }
            }
            categories.sort { $0.score > $1.score }
            if categories.count > config.maxCategories { categories.removeLast(categories.count - config.maxCategories) }
            if violating >= config.reviewThreshold || !matches.isEmpty {
                let top = categories.first.map { " (\($0.name.rawValue) \(twoDecimals($0.score)))" } ?? ""
                evidence.append(Evidence(kind: .classifier, detail: "violating \(twoDecimals(violating))\(top)"))
            }
            if violating >= config.reviewThreshold {
                // Which words the score rests on, for the reviewer (flagged items only: the cost
                // is a second pass over the features).
                let terms = model.raisingTerms(
                    scratch.normalized, named: ids, stance: stance, limit: config.maxRaisingTerms,
                    minimumShare: config.raisingTermMinimumShare, scratch: &scratch.features)
                for t in terms {
                    // Named as the user wrote it ("w1ll"), not as the classifier read it ("wil").
                    let source = scratch.normalized.sourceRange(of: t.range)
                    let written = Self.excerpt(text, scalars: source)
                    evidence.append(
                        .term(
                            written.isEmpty ? t.word : written, share: t.share, start: source.lowerBound,
                            end: source.upperBound))
                }
            }
            if violating >= config.violatingThreshold {
                decision = .violating
            } else if violating >= config.reviewThreshold {
                decision = max(decision, .review)
            }
        }
        if strongestIndicator >= config.indicatorReviewWeight, context == nil,
            model == nil || violating >= config.indicatorAssistMinimum
        {
            decision = max(decision, .review)
        }
        if strongestIndicator >= config.indicatorAloneReviewWeight, let indicators {
            // Quoted (reported, refuted, mocked), an unmistakable indicator yields to a lesser
            // context; but only where there are words around the quote to do the reporting.
            let quoted = matches.allSatisfy {
                indicators.lexicon.entries[$0.entry].weight < config.indicatorAloneReviewWeight
                    || scratch.normalized.isQuoted($0.normalizedRange)
            } && scratch.normalized.unquotedWordCount(limit: config.quoteCommentaryMinimumWords)
                >= config.quoteCommentaryMinimumWords
            if strongestContext < (quoted ? config.quotedIndicatorContextThreshold : config.strongContextThreshold) {
                decision = max(decision, .review)
            }
        }
        if decision != .none && categories.isEmpty {
            if let c = knownCategory ?? indicatorCategory {
                categories.append(CategoryScore(name: c, score: max(violating, knownScore, strongestIndicator * 0.5)))
            }
        }
        // A verdict names categories only when something is to be done, and a context only when not.
        if decision != .none { context = nil } else { categories = [] }
        if evidence.count > config.maxEvidence { evidence.removeLast(evidence.count - config.maxEvidence) }

        var language = "und"
        if let identified {
            language = identified
        } else if let languageIdentifier {
            language = languageIdentifier.identify(text).code
        }
        if language == "und", let hint = item.lang, !hint.isEmpty { language = hint }

        let score = decision == .violating && knownScore > 0 ? max(knownScore, violating) : violating
        return Verdict(
            id: item.id, decision: decision, score: model == nil ? max(knownScore, strongestIndicator * 0.5) : score,
            categories: categories, context: context, language: language, evidence: evidence)
    }
}

extension TextEngine {
    /// The Unicode scalars `scalars` of `text`.
    static func excerpt(_ text: String, scalars range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        var i = 0
        for scalar in text.unicodeScalars {
            if i >= range.upperBound { break }
            if i >= range.lowerBound { view.append(scalar) }
            i += 1
        }
        return String(view)
    }
}

/// Two decimals, without Foundation (evidence details).
public func twoDecimals(_ x: Double) -> String {
    let v = Int((min(max(x, 0), 1) * 100).rounded())
    if v >= 100 { return "1.00" }
    return v < 10 ? "0.0\(v)" : "0.\(v)"
}

/// Anything that turns an item into a verdict with per-thread scratch space: the fast text
/// engine, or the cascade that adds the sentence encoder. Scanners are generic over it.
public protocol VerdictEngine: Sendable {
    associatedtype Scratch
    func makeScratch() -> Scratch
    func scan(_ item: TextItem, scratch: inout Scratch) -> Verdict
    /// The verdicts of several items, in order: each the one `scan(_:scratch:)` gives (an
    /// engine may share work between them; by default it scans them one by one).
    func scan(batch items: [TextItem], scratch: inout Scratch) -> [Verdict]
}

extension VerdictEngine {
    public func scan(batch items: [TextItem], scratch: inout Scratch) -> [Verdict] {
        items.map { scan($0, scratch: &scratch) }
    }
}

extension TextEngine: VerdictEngine {
    public func makeScratch() -> EngineScratch { EngineScratch() }
}
