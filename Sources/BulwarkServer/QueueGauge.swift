import BulwarkStore
import Synchronization

/// The depth of the background queue (jobs queued or running) for back-pressure, read from
/// the store at most once per `refresh` whatever the request rate: one request refreshes it
/// while the others use the value read before (at most that old).
final class QueueGauge: Sendable {
    let bound: Int
    let refresh: Duration
    private struct State {
        var depth = 0
        var readAt: ContinuousClock.Instant? = nil
        var refreshing = false
    }
    private let state = Mutex(State())

    init(bound: Int, refresh: Duration = .milliseconds(100)) {
        self.bound = bound
        self.refresh = refresh
    }

    /// The last depth read (0 before the first read).
    var lastDepth: Int { state.withLock { $0.depth } }

    /// The queue's depth, at most `refresh` old.
    func depth(_ store: any ModerationStore) async throws -> Int {
        let now = ContinuousClock.now
        let (cached, mustRead) = state.withLock { s -> (Int, Bool) in
            if let at = s.readAt, now - at < refresh { return (s.depth, false) }
            // Someone is reading it now: use the last value, unless there is none yet.
            if s.refreshing && s.readAt != nil { return (s.depth, false) }
            s.refreshing = true
            return (s.depth, true)
        }
        guard mustRead else { return cached }
        do {
            let depth = try await store.pendingJobCount()
            state.withLock { s in
                s.depth = depth
                s.readAt = ContinuousClock.now
                s.refreshing = false
            }
            return depth
        } catch {
            state.withLock { $0.refreshing = false }
            throw error
        }
    }

    /// Nil when the queue is under the bound (or there is none), else its depth.
    func overBound(_ store: any ModerationStore) async throws -> Int? {
        guard bound > 0 else { return nil }
        let depth = try await depth(store)
        return depth >= bound ? depth : nil
    }
}
