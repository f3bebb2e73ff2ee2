import BulwarkCascade
import Synchronization

/// The cascade's scratch spaces kept between requests: a request takes one (or makes one when
/// none is free) and gives it back, so the sentence encoder's kept pieces (`PieceCache`,
/// 52 MiB once full) carry over from request to request instead of starting empty each time.
/// At most `limit` are kept (one per request scanned at once is enough).
final class ScratchPool: Sendable {
    /// A scratch space between two requests. It holds the encoder's workspace (a class), so it
    /// is not `Sendable` by itself; the pool hands each one to a single request at a time and
    /// the request gives it back when done with it, so no two threads ever use one at once.
    private struct Parked: @unchecked Sendable {
        var scratch: CascadeScratch
    }

    private let free = Mutex<[Parked]>([])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// A free scratch space, or `make()`'s when none is free.
    func take(orMake make: () -> CascadeScratch) -> CascadeScratch {
        free.withLock { $0.popLast() }?.scratch ?? make()
    }

    /// Gives a scratch space back (dropped when `limit` are kept already). The caller must not
    /// use it afterwards.
    func give(_ scratch: CascadeScratch) {
        let parked = Parked(scratch: scratch)
        free.withLock { spaces in
            if spaces.count < limit { spaces.append(parked) }
        }
    }

    /// Scratch spaces kept now.
    var count: Int { free.withLock { $0.count } }
}
