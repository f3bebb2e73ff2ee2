import BulwarkSemantic
import Synchronization
import Testing

@testable import BulwarkServer

/// With `--model full`, ingest takes the encoder's workspace from `EncoderWorkspaces` and gives
/// it back, so the pieces it keeps outlive a request; at most `limit` are kept.
struct EncoderWorkspacesTests {
    @Test func aWorkspaceGivenBackIsTakenAgainAndAtMostTheLimitAreKept() {
        let pool = EncoderWorkspaces(limit: 2)
        let first = pool.take()
        #expect(pool.made == 1 && pool.count == 0)
        pool.give(first)
        #expect(pool.count == 1)
        let again = pool.take()
        #expect(again === first, "the workspace given back is the one taken next")
        #expect(pool.made == 1 && pool.count == 0)
        let other = pool.take()
        #expect(other !== first && pool.made == 2, "an empty pool makes a new one")
        pool.give(again)
        pool.give(other)
        pool.give(SentenceEncoder.Workspace(cachedPieces: 0))
        #expect(pool.count == 2, "the third is dropped")
        #expect(pool.take() === other && pool.take() === first, "last given, first taken")
        // Every workspace the pool makes keeps its whole embeddings in the pool's one cache.
        #expect(first.sharedEmbeddings === pool.embeddings && other.sharedEmbeddings === pool.embeddings)
        #expect(first.cachedEmbeddings == EncoderWorkspaces.standardCachedEmbeddings)
    }

    /// `serve --cached-embeddings` reaches the pool's one cache, within its bounds; the pool
    /// keeps one workspace per core, 8 at most.
    @Test func theConfigurationSetsThePoolsCache() {
        var configuration = ServerConfiguration(port: 0)
        #expect(EncoderWorkspaces(configuration: configuration, cores: 2).embeddings.capacity == 4_096)
        for (asked, kept) in [(0, 0), (100, 100), (-5, 0), (1_000_000, ServerConfiguration.maxCachedEmbeddings)] {
            configuration.cachedEmbeddings = asked
            let pool = EncoderWorkspaces(configuration: configuration, cores: 16)
            #expect(pool.embeddings.capacity == kept, "\(asked)")
            #expect(pool.take().cachedEmbeddings == kept && pool.limit == 8, "\(asked)")
        }
    }

    @Test func concurrentRequestsNeverShareAWorkspace() async {
        let pool = EncoderWorkspaces(limit: 4)
        // Each task takes a workspace, checks that no other task holds it, and gives it back.
        let held = HeldWorkspaces()
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var clean = true
                    for _ in 0..<200 {
                        let workspace = pool.take()
                        if !held.enter(workspace) { clean = false }
                        held.leave(workspace)
                        pool.give(workspace)
                    }
                    return clean
                }
            }
            for await clean in group { #expect(clean, "two tasks held the same workspace at once") }
        }
        #expect(pool.count <= 4)
    }
}

/// The workspaces tasks hold now, by identity.
private final class HeldWorkspaces: Sendable {
    private let held = Mutex<Set<ObjectIdentifier>>([])

    /// False when another task holds `w` already.
    func enter(_ w: SentenceEncoder.Workspace) -> Bool {
        let id = ObjectIdentifier(w)
        return held.withLock { $0.insert(id).inserted }
    }

    func leave(_ w: SentenceEncoder.Workspace) {
        let id = ObjectIdentifier(w)
        held.withLock { _ = $0.remove(id) }
    }
}
