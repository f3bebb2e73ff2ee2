import BulwarkSemantic
import Synchronization

/// The sentence encoder's workspaces kept between requests (`--model full` only), so the pieces
/// a workspace keeps (`PieceCache`, up to 52 MiB once full) serve later requests instead of
/// each request starting with none kept and paying for a fresh table.
///
/// A request takes a workspace (or gets a new one when none is free), scans with it on its own
/// thread, and gives it back; at most `limit` are kept, so the memory they hold is bounded.
/// Only the workspace is kept: each request still makes its own text-engine scratch space.
///
/// Every workspace uses one cache of whole embeddings (`embeddings`, `SharedEmbeddingCache`),
/// so a text routed again finds its embedding whichever workspace encoded it first.
final class EncoderWorkspaces: Sendable {
    /// A workspace between two requests. A workspace is a class with mutable buffers, not
    /// `Sendable` by itself; this type only ever holds one that no request is using (taken out
    /// under the lock before use, put back after), so no two threads use one at once.
    private struct Parked: @unchecked Sendable {
        let workspace: SentenceEncoder.Workspace
    }

    private let free = Mutex<[Parked]>([])
    /// Workspaces kept at most.
    let limit: Int
    /// Workspaces made because none was free (the first of each, and those over `limit`).
    private let madeCount = Atomic<Int>(0)

    /// The whole embeddings every workspace of the pool keeps.
    let embeddings: SharedEmbeddingCache

    /// Embeddings the pool keeps unless told otherwise (`ServerConfiguration.cachedEmbeddings`):
    /// 4,096 (8 MiB and their ids once full), four times a lone workspace's, for the texts of
    /// every core's requests.
    static let standardCachedEmbeddings = ServerConfiguration(port: 0).cachedEmbeddings

    init(limit: Int, cachedEmbeddings: Int = EncoderWorkspaces.standardCachedEmbeddings) {
        self.limit = max(limit, 0)
        embeddings = SharedEmbeddingCache(capacity: cachedEmbeddings)
    }

    /// The pool a service with `configuration` keeps: one workspace per core, 8 at most, and
    /// `cachedEmbeddings` embeddings (taken into 0...`maxCachedEmbeddings`).
    convenience init(configuration: ServerConfiguration, cores: Int) {
        self.init(
            limit: min(cores, 8),
            cachedEmbeddings: min(max(0, configuration.cachedEmbeddings), ServerConfiguration.maxCachedEmbeddings))
    }

    /// A free workspace, or a new one when none is free.
    func take() -> SentenceEncoder.Workspace {
        if let parked = free.withLock({ $0.popLast() }) { return parked.workspace }
        madeCount.add(1, ordering: .relaxed)
        return SentenceEncoder.Workspace(sharedEmbeddings: embeddings)
    }

    /// Gives a workspace back (dropped when `limit` are kept already). The caller must not use
    /// it afterwards.
    func give(_ workspace: SentenceEncoder.Workspace) {
        let parked = Parked(workspace: workspace)
        free.withLock { spaces in
            if spaces.count < limit { spaces.append(parked) }
        }
    }

    /// Workspaces kept now.
    var count: Int { free.withLock { $0.count } }
    /// Workspaces made so far.
    var made: Int { madeCount.load(ordering: .relaxed) }
}
