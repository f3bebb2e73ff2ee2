public import BulwarkCore

/// One short exemplar text of a category ("recruitment") or a non-violating context ("news"),
/// written in several languages: what a reviewer reads as "close to: recruitment exemplar 3".
public struct Exemplar: Sendable, Hashable {
    public var id: String
    /// A category name for violating exemplars, a context name for the others.
    public var label: String
    public var violating: Bool
    public var language: String?
    public var text: String

    public init(id: String, label: String, violating: Bool, language: String?, text: String) {
        self.id = id
        self.label = label
        self.violating = violating
        self.language = language
        self.text = text
    }

    /// The exemplar a labelled item stands for: a violating item's category, another item's
    /// kind (the exemplar file is labelled JSON Lines, like the dev set).
    public init(labelled item: TextItem) throws(BulwarkError) {
        guard let label = item.label else {
            throw BulwarkError(.missingField, "exemplar \(item.id) has no label", field: "label")
        }
        if label == .violating {
            guard let category = item.category else {
                throw BulwarkError(.missingField, "violating exemplar \(item.id) has no category", field: "category")
            }
            self.init(id: item.id, label: category.rawValue, violating: true, language: item.lang, text: item.text)
        } else {
            guard let kind = item.kind else {
                throw BulwarkError(.missingField, "exemplar \(item.id) has no kind", field: "kind")
            }
            self.init(id: item.id, label: kind, violating: false, language: item.lang, text: item.text)
        }
    }
}

/// Exemplars with their embeddings, searched by cosine (a scan: there are tens to hundreds).
public struct ExemplarIndex: Sendable {
    public let exemplars: [Exemplar]
    let embeddings: [[Float]]

    /// Embeds every exemplar with `embedder`.
    public init(_ exemplars: [Exemplar], embedder: Embedder) {
        let workspace = SentenceEncoder.Workspace()
        self.exemplars = exemplars
        embeddings = exemplars.map { embedder.embed($0.text, workspace: workspace) }
    }

    /// The closest exemplar among the violating ones or the others, and its cosine.
    public func nearest(_ embedding: [Float], violating: Bool) -> (exemplar: Exemplar, similarity: Double)? {
        var best: (Int, Double)?
        for (i, e) in embeddings.enumerated() where exemplars[i].violating == violating {
            // Both are unit length: the dot product is the cosine.
            var dot: Float = 0
            for j in 0..<min(e.count, embedding.count) { dot += e[j] * embedding[j] }
            if Double(dot) > (best?.1 ?? -2) { best = (i, Double(dot)) }
        }
        return best.map { (exemplars[$0.0], $0.1) }
    }
}
