public import BulwarkCore
public import BulwarkSemantic
public import BulwarkText

/// The semantic half of the `full` model: the sentence encoder, the head trained on its
/// embeddings, and the exemplars a reviewer reads ("close to: recruitment exemplar 3").
public struct SemanticModel: Sendable {
    public let embedder: Embedder
    public let head: SemanticHead
    public let exemplars: ExemplarIndex
    /// The languages the encoder was trained on (`SentenceEncoder.trainedLanguages`), nil for
    /// every language: the cascade's topic routing, which exists for the encoder's transfer
    /// to languages the classifier does not know, applies only in these and in `und`.
    public let languages: Set<String>?
    let violatingClass: Int
    /// Head class index → the context it names (nil for violating and "other").
    let contexts: [Context?]

    public init(
        embedder: Embedder, head: SemanticHead, exemplars: ExemplarIndex,
        languages: Set<String>? = SentenceEncoder.trainedLanguages
    ) throws(BulwarkError) {
        guard head.dimension == Embedder.dimension else {
            throw BulwarkError(.invalidModel, "the semantic head expects \(head.dimension) dimensions, the encoder gives \(Embedder.dimension)")
        }
        guard let v = head.classes.firstIndex(of: StanceClass.violating.name) else {
            throw BulwarkError(.invalidModel, "the semantic head has no \"violating\" class (classes: \(head.classes.joined(separator: ", ")))")
        }
        self.embedder = embedder
        self.head = head
        self.exemplars = exemplars
        self.languages = languages
        violatingClass = v
        contexts = head.classes.map { Context(rawValue: $0) }
    }

    /// Whether the encoder was trained on `language` (`languages`); true for `und`, a
    /// language not identified, which may be any.
    public func reads(_ language: String) -> Bool {
        guard let languages else { return true }
        return language == "und" || languages.contains(language)
    }

    /// The head's class names, in the text engine's stance order.
    public static var classes: [String] { StanceClass.allCases.map(\.name) }

    /// The most spans `occlusion` takes out one by one: each costs an embedding of the text.
    public static let maxOcclusionSpans = 64

    /// How the encoder reads `text`: its violating probability, and for each of `spans`
    /// (Unicode scalar offsets of `text`, such as its words) the probability with that span left
    /// out. The encoder is not linear, so this is measured, not decomposed: the text and its
    /// variants go through the encoder in one batch. Nil when there are more than
    /// `maxOcclusionSpans` spans.
    public func occlusion(
        _ text: String, spans: [Range<Int>], workspace: SentenceEncoder.Workspace
    ) -> (violating: Double, without: [Double])? {
        guard spans.count <= Self.maxOcclusionSpans else { return nil }
        let scalars = Array(text.unicodeScalars)
        var texts = [text]
        for span in spans {
            let lower = min(max(0, span.lowerBound), scalars.count)
            let upper = min(max(lower, span.upperBound), scalars.count)
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[..<lower])
            view.append(contentsOf: scalars[upper...])
            texts.append(String(view))
        }
        let p = embedder.embed(batch: texts, workspace: workspace).map { head.probabilities($0)[violatingClass] }
        return (p[0], Array(p.dropFirst()))
    }
}

extension StanceClass {
    /// The name of the class in a semantic head: the context's name, "violating" or "other".
    public var name: String {
        switch self {
        case .violating: "violating"
        case .other: "other"
        default: context?.rawValue ?? "other"
        }
    }
}

/// Why the cascade sends an item to the encoder (`CascadeEngine.route`): the first that holds,
/// in this order.
public enum EncoderRoute: Int, CaseIterable, Sendable {
    /// A container or profile title (`type` `title` or `profile`).
    case title
    /// The fast engine matched an indicator or a listed domain.
    case indicator
    /// A familiar language, the fast probability in the band (`semanticLow..<semanticHigh`).
    case band
    /// Another language, the fast probability in its band (`unfamiliarSemanticLow..<semanticHigh`).
    case unfamiliarBand
    /// Another language the encoder reads, and the fast engine finds the item about terrorism
    /// at all (`unfamiliarTopicLow`).
    case topic

    /// The name in the CLI's summaries and the server's metrics.
    public var name: String {
        switch self {
        case .title: "title"
        case .indicator: "indicator"
        case .band: "band"
        case .unfamiliarBand: "unfamiliar_band"
        case .topic: "topic"
        }
    }
}

extension EncoderRoute {
    /// "band 687, unfamiliar_band 1229, …": each route with items, in `allCases` order, from
    /// counts indexed by `rawValue` (`CascadeScratch.routes`), each count as `format` writes it.
    public static func summary(_ counts: [Int], format: (Int) -> String = { String($0) }) -> String {
        allCases.compactMap { r in
            let n = r.rawValue < counts.count ? counts[r.rawValue] : 0
            return n > 0 ? "\(r.name) \(format(n))" : nil
        }.joined(separator: ", ")
    }
}

/// Per-thread scratch space of ``CascadeEngine``.
public struct CascadeScratch {
    public var engine = EngineScratch()
    /// The encoder's workspace, with the pieces it keeps (`PieceCache`).
    public let workspace: SentenceEncoder.Workspace
    /// Items this scratch's thread sent to the encoder, by why they went, indexed by
    /// `EncoderRoute.rawValue`.
    public var routes = [Int](repeating: 0, count: EncoderRoute.allCases.count)
    /// Items this scratch's thread sent to the encoder.
    public var encoded: Int { routes.reduce(0, +) }
    /// Tokens the encoder looked up, and those whose piece it had kept (`PieceCache`).
    public var pieceLookups: Int { workspace.pieceLookups }
    public var pieceHits: Int { workspace.pieceHits }
    /// Routed texts looked up among the embeddings kept, and those found (`EmbeddingCache`).
    public var embeddingLookups: Int { workspace.embeddingLookups }
    public var embeddingHits: Int { workspace.embeddingHits }
    /// A scratch space around `workspace`: a fresh one, or one an earlier scratch space used
    /// (its kept pieces carry over). One thread at a time may use a workspace.
    public init(workspace: SentenceEncoder.Workspace = SentenceEncoder.Workspace()) {
        self.workspace = workspace
    }
}

/// The `full` model: the fast engine decides the clear cases; the sentence encoder runs on the
/// items it finds uncertain (violating probability in the configured band), on those that
/// carry an indicator, on container and profile titles, and, in a language the classifier does
/// not know but the encoder does (`SemanticModel.languages`), on items it finds to be about terrorism at all
/// (`unfamiliarTopicLow`). Its probability is blended with
/// the fast engine's, and the closest exemplar is evidence. Known content (exact, near
/// duplicate, listed URL) is never overruled. With no semantic model it is the fast engine.
public final class CascadeEngine: VerdictEngine {
    public let fast: TextEngine
    public let semantic: SemanticModel?

    public init(fast: TextEngine, semantic: SemanticModel?) {
        self.fast = fast
        self.semantic = semantic
    }

    /// A scratch space for one thread whose encoder workspace keeps `cachedPieces` pieces and
    /// `cachedEmbeddings` whole embeddings; with no semantic model it keeps none (no tags and
    /// stamps of a 4,096-entry table, 34 KB, made for nothing, e.g. per request in the server;
    /// the entries themselves are only made when the encoder first runs).
    public func makeScratch(
        cachedPieces: Int, cachedEmbeddings: Int = SentenceEncoder.Workspace.standardCachedEmbeddings
    ) -> CascadeScratch {
        CascadeScratch(
            workspace: SentenceEncoder.Workspace(
                cachedPieces: semantic == nil ? 0 : cachedPieces, cachedEmbeddings: semantic == nil ? 0 : cachedEmbeddings))
    }

    /// A scratch space for one thread whose encoder workspace keeps `cachedPieces` pieces of its
    /// own and uses `sharedEmbeddings` for whole embeddings, which other threads' scratch spaces
    /// use too: a text one thread encoded is found by all (`scan --threads N`). With no semantic
    /// model it keeps nothing.
    public func makeScratch(cachedPieces: Int, sharedEmbeddings: SharedEmbeddingCache) -> CascadeScratch {
        guard semantic != nil else { return makeScratch(cachedPieces: 0, cachedEmbeddings: 0) }
        return CascadeScratch(
            workspace: SentenceEncoder.Workspace(cachedPieces: cachedPieces, sharedEmbeddings: sharedEmbeddings))
    }

    /// A scratch space keeping the standard number of pieces (`makeScratch(cachedPieces:)`).
    public func makeScratch() -> CascadeScratch {
        makeScratch(cachedPieces: SentenceEncoder.Workspace.standardCachedPieces)
    }

    /// Whether the encoder runs on `item`, whose fast verdict is `verdict`; `topicProbability`
    /// is the fast engine's probability that it is about terrorism at all
    /// (`EngineScratch.topicProbability`).
    public func routesToEncoder(_ item: TextItem, _ verdict: Verdict, topicProbability: Double = 0) -> Bool {
        route(item, verdict, topicProbability: topicProbability) != nil
    }

    /// Why the encoder runs on `item` (as `routesToEncoder`), or nil when it does not.
    public func route(_ item: TextItem, _ verdict: Verdict, topicProbability: Double = 0) -> EncoderRoute? {
        guard let semantic else { return nil }
        if verdict.evidence.contains(where: { $0.kind == .knownText || $0.kind == .nearDuplicate || $0.kind == .url }) {
            return nil
        }
        if item.type == .title || item.type == .profile { return .title }
        if matchedLexicon(verdict) { return .indicator }
        let c = fast.configuration
        guard verdict.score < c.semanticHigh else { return nil }
        let familiar = c.isFamiliar(verdict.language)
        if verdict.score >= c.semanticSettings(language: verdict.language).low { return familiar ? .band : .unfamiliarBand }
        if topicProbability >= c.unfamiliarTopicLow && !familiar && semantic.reads(verdict.language) { return .topic }
        return nil
    }

    /// Whether the fast engine matched an indicator or a listed domain: such an item always goes
    /// to the encoder, and the encoder never lowers its score.
    func matchedLexicon(_ verdict: Verdict) -> Bool {
        verdict.evidence.contains { $0.kind == .indicator || $0.kind == .domain }
    }

    public func scan(_ item: TextItem, scratch: inout CascadeScratch) -> Verdict {
        let verdict = fast.scan(item, scratch: &scratch.engine)
        guard let semantic, let route = route(item, verdict, topicProbability: scratch.engine.topicProbability) else {
            return verdict
        }
        scratch.routes[route.rawValue] += 1
        let ids = semantic.embedder.tokenizer.encode(encoderText(item))
        let embedding = semantic.embedder.embed(ids: ids, workspace: scratch.workspace)
        return combine(
            item, verdict, semantic.head.probabilities(embedding), embedding: embedding, pieces: ids.count, semantic)
    }

    /// The encoder's per-token steps take the routed items' tokens this many at once (about 11
    /// posts of the bench mix; 7 MB of activations, the largest product's rounded windows 640 KB,
    /// which stay in a 1 MB L2 beside its weights); the sentence-level steps take up to
    /// `SentenceEncoder.maxTailSentences` routed items at once. 512 until 2026-12-03: 256 was
    /// about 5% faster on the Zen 5 of that day (docs/semantic.md), the embeddings the same.
    public static let encoderPartPieces = 256

    /// The verdicts of several items, in order: the fast engine scans each, then the items it
    /// routes go through the encoder together (`Embedder.embed(batch:)`), which reads each weight
    /// matrix once per part of routed items instead of once per item. Each verdict is the one
    /// `scan(_:scratch:)` gives, up to float rounding in the encoder.
    public func scan(batch items: [TextItem], scratch: inout CascadeScratch) -> [Verdict] {
        var verdicts = fast.scan(batch: items, scratch: &scratch.engine)
        guard let semantic else { return verdicts }
        let topics = scratch.engine.batchTopicProbabilities
        var routed: [Int] = []
        for i in items.indices {
            guard let route = route(items[i], verdicts[i], topicProbability: topics[i]) else { continue }
            routed.append(i)
            scratch.routes[route.rawValue] += 1
        }
        let routedTexts = routed.map { encoderText(items[$0]) }
        let (embeddings, pieces) = semantic.embedder.embedCountingPieces(
            batch: routedTexts, workspace: scratch.workspace, partPieces: Self.encoderPartPieces)
        for (k, i) in routed.enumerated() {
            verdicts[i] = combine(
                items[i], verdicts[i], semantic.head.probabilities(embeddings[k]), embedding: embeddings[k],
                pieces: pieces[k], semantic)
        }
        return verdicts
    }

    /// The text the encoder reads: the item's, cut to the engine's `maxTextBytes`.
    func encoderText(_ item: TextItem) -> String { fast.scannedText(item) }

    /// The cascade's verdict from the fast verdict and the head's class probabilities; `pieces`
    /// is the number of pieces of the text the encoder was given (it reads at most
    /// `SentenceEncoder.maxPieces`, and the evidence says so when there were more).
    func combine(
        _ item: TextItem, _ verdict: Verdict, _ probabilities: [Double], embedding: [Float], pieces: Int,
        _ semantic: SemanticModel
    ) -> Verdict {
        let c = fast.configuration
        let pSemantic = probabilities[semantic.violatingClass]
        let pFast = verdict.score
        // The encoder raises the fast engine's probability; it lowers it only when it is sure the
        // item is not violating (`semanticLowerBelow`), in a language the classifier was trained
        // on, and when no indicator or listed domain matched: it may overrule the classifier's
        // n-grams, never the lexicon. Otherwise the classifier is the better judge of the words
        // it was trained on (measured on the tune split: lowering whenever the blend is lower
        // lost recall), and where it has not seen the words, the encoder's cross-lingual meaning
        // is what finds the item. In a language the classifier hardly knows, the encoder weighs more.
        let weight = c.semanticSettings(language: verdict.language).weight
        let blend = weight * pSemantic + (1 - weight) * pFast
        let lowers = pSemantic < c.semanticLowerBelow && c.isFamiliar(verdict.language)
            && !matchedLexicon(verdict)
        let p = lowers ? blend : max(pFast, blend)
        var out = verdict
        out.score = p
        // The fast engine's rules that send an item to review whatever its probability
        // (an unmistakable indicator, a listed domain) still do.
        let ruleReview = verdict.decision == .review && pFast < c.reviewThreshold
        var decision: Decision = p >= c.violatingThreshold ? .violating : p >= c.reviewThreshold ? .review : .none
        if ruleReview { decision = max(decision, .review) }
        out.decision = decision

        let nearest = semantic.exemplars.nearest(embedding, violating: decision != .none)
        var detail = "violating \(twoDecimals(pSemantic))"
        if let (exemplar, similarity) = nearest {
            // "Close to" only where the nearest exemplar is near enough to mean something
            // (`exemplarCloseMinimum`); a reviewer reads the cosine either way.
            let relation = similarity >= c.exemplarCloseMinimum ? "close to" : "nearest"
            detail += "; \(relation): \(exemplar.label) exemplar \(exemplar.id) (\(twoDecimals(similarity)))"
        }
        // A reviewer sees the classifier's own probability in its evidence; say when the encoder
        // brought it down.
        if p < pFast { detail += "; lowered the classifier's \(twoDecimals(pFast)) to \(twoDecimals(p))" }
        if pieces > SentenceEncoder.maxPieces {
            detail += "; the encoder read the first \(SentenceEncoder.maxPieces) of the text's \(pieces) pieces"
        }
        if decision != .none {
            out.context = nil
            if out.categories.isEmpty {
                if let (exemplar, _) = nearest, let category = Category(rawValue: exemplar.label) {
                    out.categories = [CategoryScore(name: category, score: p)]
                }
            }
        } else {
            out.categories = []
            if out.context == nil {
                // The head's strongest context, when it is likely enough and beats violating.
                var best: (Context, Double)?
                for (i, context) in semantic.contexts.enumerated() {
                    guard let context else { continue }
                    if probabilities[i] > (best?.1 ?? 0) { best = (context, probabilities[i]) }
                }
                if let (context, q) = best, q >= c.contextThreshold, q > pSemantic { out.context = context }
            }
        }
        if out.evidence.count < c.maxEvidence { out.evidence.append(Evidence(kind: .semantic, detail: detail)) }
        return out
    }
}
