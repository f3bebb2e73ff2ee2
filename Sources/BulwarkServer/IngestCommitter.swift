import BulwarkStore
import Synchronization

/// Group commit for ingest: requests that arrive while a write is in progress are stored together
/// in the next transaction, so concurrent single-item requests share one commit (one WAL sync on
/// SQLite, one COMMIT round trip on PostgreSQL) instead of queueing for one each.
///
/// Every caller still gets its answer only after the transaction that holds its items has
/// committed, so a 2xx still means "stored". A group that fails is retried one request at a time,
/// so one request's bad item never fails another's.
actor IngestCommitter {
    private struct Waiter {
        var items: [ScannedItem]
        var continuation: CheckedContinuation<[IngestOutcome], any Error>
    }

    private let store: any ModerationStore
    private let clock: @Sendable () -> Int64
    /// Most items written in one transaction (a request's batch is never split).
    let maxGroupItems: Int
    /// How long one write may take before its requests are answered with an error and the
    /// committer goes on with the next group. Without it, a transaction that never finishes (seen
    /// when PostgreSQL restarted under load: a write on a dropped connection never returned) held
    /// every later request forever. An item whose request timed out may still have been stored
    /// (the client sends it again; ingest is idempotent), never the other way round.
    let writeTimeout: Duration
    private var waiting: [Waiter] = []
    private var writing = false

    init(
        store: any ModerationStore, clock: @escaping @Sendable () -> Int64, maxGroupItems: Int = 1_000,
        writeTimeout: Duration = .seconds(30)
    ) {
        self.store = store
        self.clock = clock
        self.maxGroupItems = maxGroupItems
        self.writeTimeout = writeTimeout
    }

    /// Stores `items` (in one transaction, possibly shared with other requests' items) and
    /// returns their outcomes in order.
    func ingest(_ items: [ScannedItem]) async throws -> [IngestOutcome] {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Waiter(items: items, continuation: continuation))
            if !writing {
                writing = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !waiting.isEmpty {
            var count = 0
            var take = 0
            while take < waiting.count && (take == 0 || count + waiting[take].items.count <= maxGroupItems) {
                count += waiting[take].items.count
                take += 1
            }
            let group = Array(waiting.prefix(take))
            waiting.removeFirst(take)
            await write(group)
        }
        writing = false
    }

    private func write(_ group: [Waiter]) async {
        do {
            let outcomes = try await store(group.flatMap(\.items))
            var start = 0
            for waiter in group {
                waiter.continuation.resume(returning: Array(outcomes[start..<start + waiter.items.count]))
                start += waiter.items.count
            }
        } catch {
            guard group.count > 1 else {
                group[0].continuation.resume(throwing: error)
                return
            }
            for waiter in group {
                do {
                    waiter.continuation.resume(returning: try await store(waiter.items))
                } catch {
                    waiter.continuation.resume(throwing: error)
                }
            }
        }
    }

    /// One write, given up after `writeTimeout` (the write's task is cancelled and left to end).
    private func store(_ items: [ScannedItem]) async throws -> [IngestOutcome] {
        let store = self.store
        let now = clock()
        let timeout = writeTimeout
        return try await withCheckedThrowingContinuation { continuation in
            let once = ResumeOnce(continuation)
            let write = Task {
                do { once.resume(.success(try await store.ingest(items, now: now))) } catch { once.resume(.failure(error)) }
            }
            // The timer ends as soon as the write does (no sleeping task per write left behind).
            once.setTimer(
                Task {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    if once.resume(.failure(IngestTimeout(seconds: timeout.components.seconds))) { write.cancel() }
                })
        }
    }
}

/// A write that did not finish in time: a 500 to the client, which sends the items again.
struct IngestTimeout: Error, CustomStringConvertible {
    var seconds: Int64
    var description: String { "the ingest transaction did not finish within \(seconds) s" }
}

/// Resumes a continuation once, whoever comes first, and then cancels the timer.
final class ResumeOnce<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var timer: Task<Void, Never>?
    }
    private let state: Mutex<State>

    init(_ continuation: CheckedContinuation<T, any Error>) { state = Mutex(State(continuation: continuation)) }

    func setTimer(_ timer: Task<Void, Never>) {
        let done = state.withLock { s -> Bool in
            s.timer = timer
            return s.continuation == nil
        }
        if done { timer.cancel() }
    }

    /// Whether this call resumed it.
    @discardableResult
    func resume(_ result: Result<T, any Error>) -> Bool {
        let (continuation, timer) = state.withLock { s -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?) in
            defer { s.continuation = nil }
            return (s.continuation, s.timer)
        }
        guard let continuation else { return false }
        continuation.resume(with: result)
        timer?.cancel()
        return true
    }
}
