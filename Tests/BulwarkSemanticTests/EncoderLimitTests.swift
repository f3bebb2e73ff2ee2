import BulwarkCore
import Testing

@testable import BulwarkSemantic

/// The encoder reads at most `SentenceEncoder.maxPieces` pieces of a sentence and takes at most
/// `maxBatchPieces` tokens through its products at once, so that one long text can neither grow
/// a workspace without bound nor take seconds.
struct EncoderLimitTests {
    /// A text of single-letter pieces, about 3,000 of them.
    static let long = String(repeating: "a.b.c.d.e.f ", count: 250)

    @Test func aLongTextIsReadAsItsFirstPieces() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let ids = embedder.tokenizer.encode(Self.long)
        #expect(ids.count > 2 * SentenceEncoder.maxPieces)
        let workspace = SentenceEncoder.Workspace()
        let whole = embedder.embed(ids: ids, workspace: workspace)
        let cut = Array(ids.prefix(SentenceEncoder.maxPieces - 1)) + [2]
        let sameAsCut = embedder.embed(ids: cut, workspace: SentenceEncoder.Workspace(cachedPieces: 0)) == whole
        #expect(sameAsCut)
        // Not the same as a text cut shorter: the limit is where it says.
        let shorter = Array(ids.prefix(SentenceEncoder.maxPieces - 2)) + [2]
        let sameAsShorter = embedder.embed(ids: shorter, workspace: SentenceEncoder.Workspace(cachedPieces: 0)) == whole
        #expect(!sameAsShorter)
        #expect(workspace.capacity <= SentenceEncoder.maxBatchPieces)
    }

    @Test func aBatchOfMoreTokensThanTheLimitIsEncodedInParts() throws {
        let embedder = try SemanticFixtures.embedder.get()
        // Three long texts (1,024 pieces each once cut) and short ones between them.
        let texts = [Self.long, "La policía detuvo a tres hombres.", Self.long + " x", "ok", Self.long + " y"]
        let workspace = SentenceEncoder.Workspace()
        let batch = embedder.embed(batch: texts, workspace: workspace)
        #expect(workspace.capacity <= SentenceEncoder.maxBatchPieces)
        #expect(batch.count == texts.count)
        for (text, embedding) in zip(texts, batch) {
            let alone = embedder.embed(text, workspace: SentenceEncoder.Workspace(cachedPieces: 0))
            let sameBits = embedding == alone
            #expect(sameBits)
        }
    }

    /// A batch is cut twice: the per-token steps into parts of at most `partPieces` tokens, the
    /// sentence-level steps into groups of at most `maxTailSentences` sentences. The parts do
    /// not change an embedding by a single float, and neither does a text alone (no kept pieces,
    /// products of one row).
    @Test func howABatchIsCutDoesNotChangeTheEmbeddings() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let words = [
            "the", "police", "arrested", "three", "men", "la", "policía", "detuvo", "a", "hombres", "الشرطة",
            "اعتقلت", "ثلاثة", "die", "Polizei", "nahm", "Männer", "fest", "🙂", "#news",
        ]
        var generator = SplitMix64(seed: 7)
        let texts = (0..<(SentenceEncoder.maxTailSentences + 44)).map { _ in
            (0..<Int(generator.next() % 30 + 1)).map { _ in words[Int(generator.next() % UInt64(words.count))] }
                .joined(separator: " ")
        }
        let whole = embedder.embedCountingPieces(batch: texts, workspace: SentenceEncoder.Workspace()).embeddings
        let smallParts = SentenceEncoder.Workspace()
        let cut = embedder.embedCountingPieces(batch: texts, workspace: smallParts, partPieces: 64).embeddings
        #expect(smallParts.capacity <= 2 * 64)  // grown by doubling, to parts of at most 64 tokens
        let same = cut == whole
        #expect(same)
        for k in [0, 1, SentenceEncoder.maxTailSentences - 1, SentenceEncoder.maxTailSentences, texts.count - 1] {
            let alone = embedder.embed(texts[k], workspace: SentenceEncoder.Workspace(cachedPieces: 0))
            let sameBits = alone == whole[k]
            #expect(sameBits, "text \(k)")
        }
    }
}
