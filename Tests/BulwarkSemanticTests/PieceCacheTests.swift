import BulwarkCore
import Testing

@testable import BulwarkSemantic

/// The encoder keeps each piece's projection and first-product shares (`PieceCache`): what
/// it computes with entries kept from earlier batches must be what it computes afresh. Its
/// workspaces here keep no whole embeddings (`EmbeddingCacheTests`), which would answer a text
/// read again before any piece is looked up.
struct PieceCacheTests {
    /// Texts that share pieces with one another, in several languages and lengths, with
    /// repeated words (a piece twice in one sentence, and in several sentences of a batch).
    static func texts() throws -> [String] {
        var texts = try SemanticFixtures.reference.get().items.map(\.text)
        texts += ["ok", "", "hola hola hola amigo", "amigo, hola", "die die die Stadt", "la ville et la ville"]
        return texts
    }

    /// Embeddings of `texts` in groups of `group`, in order.
    static func embed(_ texts: [String], group: Int, workspace: SentenceEncoder.Workspace) throws -> [[Float]] {
        let embedder = try SemanticFixtures.embedder.get()
        var out: [[Float]] = []
        for start in stride(from: 0, to: texts.count, by: group) {
            out += embedder.embed(batch: Array(texts[start..<min(start + group, texts.count)]), workspace: workspace)
        }
        return out
    }

    /// With integer products each entry is the same bits however it was computed (each row is
    /// rounded to its own scale and summed exactly), so the embeddings are equal bit for bit to
    /// those of a workspace that keeps nothing, batched the same way (a batch's sentence-level
    /// sums are taken in another order than one sentence's): with a table of 8 entries
    /// (evictions in nearly every batch, and pieces computed outside the table when both ways
    /// of their set are in use) and with the standard table, warm from the passes before.
    @Test(arguments: EncoderTests.kernels)
    func keptEntriesGiveTheEmbeddingsComputedAfresh(_ kernel: GemmKernel) throws {
        let texts = try Self.texts()
        let nothingKept = SentenceEncoder.Workspace(kernel: kernel, products: .int16, cachedPieces: 0, cachedEmbeddings: 0)
        let small = SentenceEncoder.Workspace(kernel: kernel, products: .int16, cachedPieces: 8, cachedEmbeddings: 0)
        let standard = SentenceEncoder.Workspace(kernel: kernel, products: .int16, cachedEmbeddings: 0)
        #expect(small.cachedPieces == 8 && standard.cachedPieces == SentenceEncoder.Workspace.standardCachedPieces)
        for group in [16, 3, 1] {
            let afresh = try Self.embed(texts, group: group, workspace: nothingKept)
            for workspace in [small, standard] {
                let kept = try Self.embed(texts, group: group, workspace: workspace)
                #expect(afresh.count == kept.count)
                let differing = afresh.indices.filter { afresh[$0] != kept[$0] }
                #expect(differing.isEmpty, "groups of \(group), \(workspace.cachedPieces) entries: texts \(differing) differ")
            }
        }
        // The standard table found most tokens in later passes; the small one far fewer.
        #expect(standard.pieceHits * 10 > standard.pieceLookups * 6, "\(standard.pieceHits) of \(standard.pieceLookups)")
        #expect(small.pieceHits < standard.pieceHits)
    }

    /// With float products a kernel may sum a row in another order depending on where it falls
    /// in a tile: equal to rounding.
    @Test(arguments: EncoderTests.kernels)
    func floatProductsAgreeWithAndWithoutKeptEntries(_ kernel: GemmKernel) throws {
        let texts = try Self.texts()
        let nothingKept = SentenceEncoder.Workspace(kernel: kernel, products: .float32, cachedPieces: 0, cachedEmbeddings: 0)
        let workspace = SentenceEncoder.Workspace(kernel: kernel, products: .float32, cachedPieces: 16, cachedEmbeddings: 0)
        for group in [5, 1] {
            let afresh = try Self.embed(texts, group: group, workspace: nothingKept)
            for (text, (a, b)) in zip(texts, zip(afresh, try Self.embed(texts, group: group, workspace: workspace))) {
                let cosine = Embedder.cosine(a, b)
                #expect(cosine >= 1 - 1e-6, "\(text): cosine \(cosine)")
            }
        }
    }

    @Test func aTextEmbeddedAgainFindsEveryPieceKept() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let text = try SemanticFixtures.item("de-3").text
        let pieces = embedder.tokenizer.encode(text).count
        let workspace = SentenceEncoder.Workspace(cachedEmbeddings: 0)
        let first = embedder.embed(text, workspace: workspace)
        #expect(workspace.pieceLookups == pieces)
        let hitsBefore = workspace.pieceHits
        #expect(hitsBefore < pieces)
        #expect(embedder.embed(text, workspace: workspace) == first)
        #expect(workspace.pieceLookups == 2 * pieces)
        #expect(workspace.pieceHits == hitsBefore + pieces)
        // A workspace that keeps nothing finds nothing.
        let none = SentenceEncoder.Workspace(cachedPieces: 0, cachedEmbeddings: 0)
        #expect(embedder.embed(text, workspace: none) == first)
        #expect(embedder.embed(text, workspace: none) == first)
        #expect(none.cachedPieces == 0 && none.pieceHits == 0 && none.pieceLookups == 2 * pieces)
    }

    @Test func theTableHoldsAPowerOfTwoAndNeverEvictsAnEntryItsBatchUses() {
        #expect(PieceCache(capacity: 0).capacity == 0)
        #expect(PieceCache(capacity: 1).capacity == 0)
        #expect(PieceCache(capacity: 5).capacity == 4)
        #expect(PieceCache(capacity: 4096).capacity == 4096)
        // Two entries: one set of two ways.
        let cache = PieceCache(capacity: 2)
        cache.beginBatch()
        guard case .reserved(let a) = cache.slot(for: 10), case .reserved(let b) = cache.slot(for: 11) else {
            Issue.record("the first two pieces should get the two ways")
            return
        }
        #expect(a != b)
        guard case .hit(a) = cache.slot(for: 10) else {
            Issue.record("a piece reserved in this batch is found again")
            return
        }
        // Both ways are in use by this batch: a third piece is computed outside the table.
        guard case .none = cache.slot(for: 12) else {
            Issue.record("an entry in use by the batch was evicted")
            return
        }
        // In the next batch the way used least recently (piece 11's) is the one replaced.
        cache.beginBatch()
        guard case .reserved(b) = cache.slot(for: 12), case .hit(a) = cache.slot(for: 10) else {
            Issue.record("the least recently used way should be replaced")
            return
        }
        #expect(cache.lookups == 6 && cache.hits == 2)
    }
}
