import BulwarkCore
import Testing

@testable import BulwarkSemantic

/// A workspace keeps whole embeddings by the ids the encoder read (`EmbeddingCache`): a text
/// read again gets the floats it got the first time, without being encoded again, and a text
/// that differs by a single piece is encoded.
struct EmbeddingCacheTests {
    /// The texts of `PieceCacheTests` and variants that differ by a piece or by a byte the
    /// tokenizer may read differently (a trailing space, another case, another digit).
    static func texts() throws -> [String] {
        try PieceCacheTests.texts() + ["hola amigo", "hola amigo ", "Hola amigo", "die Stadt 1", "die Stadt 2"]
    }

    /// The first pass over the texts computes each and gives the bits a workspace that keeps
    /// nothing gives with the same groups; later passes, in other groups, find every text kept
    /// and give the first pass's bits again, which are those of each text alone (a product of
    /// one row sums in the order of a tile of several).
    @Test func aTextReadAgainGetsTheEmbeddingItGotTheFirstTime() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let texts = try Self.texts()
        let distinct = Set(texts.map { embedder.tokenizer.encode($0) }).count
        let keeping = SentenceEncoder.Workspace()
        #expect(keeping.cachedEmbeddings == SentenceEncoder.Workspace.standardCachedEmbeddings)
        let nothingKept = SentenceEncoder.Workspace(cachedEmbeddings: 0)
        let first = try PieceCacheTests.embed(texts, group: 16, workspace: keeping)
        let computedAlike = first == (try PieceCacheTests.embed(texts, group: 16, workspace: nothingKept))
        #expect(computedAlike)
        #expect(keeping.embeddingLookups == texts.count)
        #expect(keeping.embeddingHits == texts.count - distinct)
        let piecesLooked = keeping.pieceLookups
        for group in [3, 1] {
            let again = try PieceCacheTests.embed(texts, group: group, workspace: keeping)
            let differing = texts.indices.filter { again[$0] != first[$0] }
            #expect(differing.isEmpty, "groups of \(group): texts \(differing) differ")
        }
        #expect(keeping.embeddingHits == texts.count - distinct + 2 * texts.count)
        #expect(keeping.pieceLookups == piecesLooked, "no piece looked up for a kept text")
        for (text, kept) in zip(texts, first) {
            let alone = embedder.embed(text, workspace: SentenceEncoder.Workspace(cachedEmbeddings: 0))
            let sameBits = alone == kept
            #expect(sameBits, "\(text)")
        }
        // A workspace that keeps none counts every text it was given and finds none.
        #expect(nothingKept.embeddingHits == 0 && nothingKept.cachedEmbeddings == 0)
        #expect(nothingKept.embeddingLookups == texts.count)
    }

    /// Texts whose pieces differ get their own embeddings, never a neighbour's.
    @Test func textsThatDifferByOnePieceAreEncodedApart() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let workspace = SentenceEncoder.Workspace()
        let pairs = [("die Stadt 1", "die Stadt 2"), ("hola amigo", "Hola amigo"), ("ok", "ok ok")]
        for (a, b) in pairs {
            #expect(embedder.tokenizer.encode(a) != embedder.tokenizer.encode(b))
            let ea = embedder.embed(a, workspace: workspace)
            let eb = embedder.embed(b, workspace: workspace)
            let apart = ea != eb
            #expect(apart, "\(a) / \(b)")
            let computedAlike = eb == embedder.embed(b, workspace: SentenceEncoder.Workspace(cachedEmbeddings: 0))
            #expect(computedAlike, "\(b)")
        }
        #expect(workspace.embeddingHits == 0)
    }

    /// A text twice in one batch is computed once; both places get the same floats, and the
    /// other texts of the batch are where they belong.
    @Test func aTextTwiceInABatchIsComputedOnce() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let texts = ["la ville et la ville", "ok", "la ville et la ville", "amigo, hola", "ok"]
        let workspace = SentenceEncoder.Workspace()
        let batch = embedder.embed(batch: texts, workspace: workspace)
        #expect(workspace.embeddingLookups == 5 && workspace.embeddingHits == 2)
        #expect(batch[0] == batch[2] && batch[1] == batch[4])
        let computed = embedder.embed(batch: texts, workspace: SentenceEncoder.Workspace(cachedEmbeddings: 0))
        for (k, (a, b)) in zip(batch, computed).enumerated() {
            let sameBits = a == b
            #expect(sameBits, "text \(k)")
        }
        #expect(Embedder.cosine(batch[0], batch[1]) < 0.99)
    }

    /// Full, the cache replaces an entry not read since the clock hand last passed it: a text
    /// read again and again stays, and a text evicted is computed again, to the same floats.
    @Test func aFullCacheKeepsTheTextsReadAgain() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let workspace = SentenceEncoder.Workspace(cachedEmbeddings: 2)
        let hot = embedder.embed("hola amigo", workspace: workspace)
        var hits = workspace.embeddingHits
        for text in ["ok", "die Stadt 1", "die Stadt 2", "la ville et la ville"] {
            let same = embedder.embed("hola amigo", workspace: workspace) == hot
            #expect(same)
            #expect(workspace.embeddingHits == hits + 1, "hola amigo kept before \(text)")
            hits = workspace.embeddingHits
            _ = embedder.embed(text, workspace: workspace)
        }
        // "ok" was replaced long ago: computed again, to its floats alone.
        let ok = embedder.embed("ok", workspace: workspace)
        #expect(workspace.embeddingHits == hits)
        let computedAlike = ok == embedder.embed("ok", workspace: SentenceEncoder.Workspace(cachedEmbeddings: 0))
        #expect(computedAlike)
    }

    /// Workspaces that share a cache (the server's) find what another computed: the second
    /// workspace looks no piece up for a text the first encoded, and gets its floats.
    @Test func aSharedCacheServesEveryWorkspace() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let shared = SharedEmbeddingCache(capacity: 64)
        let a = SentenceEncoder.Workspace(sharedEmbeddings: shared)
        let b = SentenceEncoder.Workspace(sharedEmbeddings: shared)
        #expect(a.cachedEmbeddings == 64 && b.cachedEmbeddings == 64)
        let fromA = embedder.embed(batch: ["hola amigo", "die Stadt 1"], workspace: a)
        let fromB = embedder.embed(batch: ["die Stadt 1", "ok", "hola amigo"], workspace: b)
        let same = fromB[0] == fromA[1] && fromB[2] == fromA[0]
        #expect(same)
        #expect(b.embeddingLookups == 3 && b.embeddingHits == 2)
        #expect(a.embeddingHits == 0)
        // Only "ok" was encoded in b: its pieces alone were looked up.
        #expect(b.pieceLookups == embedder.tokenizer.encode("ok").count)
        // A workspace of its own finds none of them.
        let own = SentenceEncoder.Workspace()
        _ = embedder.embed("hola amigo", workspace: own)
        #expect(own.embeddingHits == 0)
    }

    /// Several threads, each with its own workspace, reading and filling one shared cache at
    /// once: every embedding is the text's alone, bit for bit, whichever batch computed it, and
    /// the later rounds find the texts kept.
    @Test func threadsSharingACacheGetEachTextsOwnEmbedding() async throws {
        let embedder = try SemanticFixtures.embedder.get()
        let texts = try Self.texts()
        let alone = texts.map { embedder.embed($0, workspace: SentenceEncoder.Workspace(cachedEmbeddings: 0)) }
        let shared = SharedEmbeddingCache(capacity: 4 * texts.count)
        let worst = await withTaskGroup(of: (Int, Int).self) { group in
            for task in 0..<4 {
                group.addTask {
                    let workspace = SentenceEncoder.Workspace(sharedEmbeddings: shared)
                    var differing = 0
                    for round in 0..<3 {
                        // Each task in its own order (every text once a round) and groups.
                        let rotated = texts.indices.map { ($0 + task * 7 + round * 5) % texts.count }
                        let order = task % 2 == 0 ? rotated : rotated.reversed()
                        let group = 2 + task
                        for start in stride(from: 0, to: order.count, by: group) {
                            let part = Array(order[start..<min(start + group, order.count)])
                            for (k, e) in zip(part, embedder.embed(batch: part.map { texts[$0] }, workspace: workspace)) {
                                if e != alone[k] { differing += 1 }
                            }
                        }
                    }
                    return (differing, workspace.embeddingHits)
                }
            }
            var worst = (0, 0)
            for await (differing, hits) in group { worst = (worst.0 + differing, worst.1 + hits) }
            return worst
        }
        #expect(worst.0 == 0, "\(worst.0) embeddings differ from their text's alone")
        // At least the two later rounds of every task find every text kept.
        #expect(worst.1 >= 4 * 2 * texts.count, "\(worst.1) hits")
    }

    /// `forgetKeptEmbeddings` empties the cache: the next read of a text computes it again.
    @Test func forgettingComputesAgain() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let workspace = SentenceEncoder.Workspace()
        let a = embedder.embed("amigo, hola", workspace: workspace)
        workspace.forgetKeptEmbeddings()
        let lookedUp = workspace.pieceLookups
        let computedAgain = embedder.embed("amigo, hola", workspace: workspace) == a
        #expect(computedAgain)
        #expect(workspace.embeddingHits == 0 && workspace.pieceLookups > lookedUp)
        let keptAgain = embedder.embed("amigo, hola", workspace: workspace) == a
        #expect(keptAgain)
        #expect(workspace.embeddingHits == 1)
    }
}
