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
    /// The exemplars' embeddings one after another, `dimension` floats each.
    let matrix: [Float]
    let dimension: Int

    /// Embeds every exemplar with `embedder`.
    public init(_ exemplars: [Exemplar], embedder: Embedder) {
        let workspace = SentenceEncoder.Workspace()
        self.init(exemplars, embeddings: exemplars.map { embedder.embed($0.text, workspace: workspace) })
    }

    /// Exemplars with the embeddings already made, one per exemplar (unit length); shorter ones
    /// are padded with zeros to the longest.
    init(_ exemplars: [Exemplar], embeddings: [[Float]]) {
        precondition(exemplars.count == embeddings.count, "one embedding per exemplar")
        self.exemplars = exemplars
        dimension = embeddings.map(\.count).max() ?? 0
        var matrix: [Float] = []
        matrix.reserveCapacity(exemplars.count * dimension)
        for e in embeddings {
            matrix.append(contentsOf: e)
            matrix.append(contentsOf: repeatElement(0, count: dimension - e.count))
        }
        self.matrix = matrix
    }

    /// The closest exemplar among the violating ones or the others, and its cosine.
    public func nearest(_ embedding: [Float], violating: Bool) -> (exemplar: Exemplar, similarity: Double)? {
        let count = min(dimension, embedding.count)
        var best: (Int, Double)?
        matrix.withUnsafeBufferPointer { m in
            embedding.withUnsafeBufferPointer { x in
                guard let rows = m.baseAddress, let query = x.baseAddress else {
                    // No embedding values at all: every cosine is 0; the first exemplar of the side.
                    if let i = exemplars.indices.first(where: { exemplars[$0].violating == violating }) { best = (i, 0) }
                    return
                }
                for i in exemplars.indices where exemplars[i].violating == violating {
                    // Both are unit length: the dot product is the cosine.
                    let dot = Double(Self.dot(rows + i * dimension, query, count))
                    if dot > (best?.1 ?? -2) { best = (i, dot) }
                }
            }
        }
        return best.map { (exemplars[$0.0], $0.1) }
    }

    /// The dot product of `count` floats, 16 at a time in two independent sums (a single running
    /// sum waits on each addition: with 143 exemplars of 512 values that was 4.6% of
    /// `scan --model full`).
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var s0 = SIMD8<Float>()
        var s1 = SIMD8<Float>()
        var j = 0
        while j + 16 <= count {
            s0 += ra.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: 4 * j + 32, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * j + 32, as: SIMD8<Float>.self)
            j += 16
        }
        var sum = (s0 + s1).sum()
        while j < count {
            sum += a[j] * b[j]
            j += 1
        }
        return sum
    }
}
