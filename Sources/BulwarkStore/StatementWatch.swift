import Synchronization
import PostgresNIO

/// The statements waiting for an answer on one connection, failed all at once when the
/// connection closes.
///
/// postgres-nio writes a query to its connection's channel without a write promise. A query
/// written just as the connection drops (a database restart) reaches a channel that is already
/// closed: it is lost without an error, and whoever awaits it waits for ever. Checking that the
/// connection is open before the write narrows that window but cannot close it (the check and
/// the write are not one step on the connection's event loop). So each statement also waits here,
/// and when the connection closes, every statement still waiting fails with
/// ``PostgresConnectionDropped``: postgres-nio fails the queries it did receive by then, so an
/// unanswered one can only be lost.
///
/// One watch per connection, told of the close once (one callback on the connection's close
/// future, not one per statement, whose callbacks would be kept until the connection closes).
final class StatementWatch: Sendable {
    private struct State {
        var closed = false
        var nextToken = 0
        var waiting: [Int: @Sendable (PostgresConnectionDropped) -> Void] = [:]
    }
    private let state = Mutex(State())

    /// How many statements are waiting for an answer.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Runs `statement` in a task of its own and returns its result, or throws
    /// ``PostgresConnectionDropped`` as soon as the connection closes (at once if it has), without
    /// waiting for a statement that will never answer; that task is then left behind.
    func run<T: Sendable>(_ statement: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let token = state.withLock { s -> Int? in
                guard !s.closed else { return nil }
                s.nextToken += 1
                s.waiting[s.nextToken] = { continuation.resume(throwing: $0) }
                return s.nextToken
            }
            guard let token else {
                continuation.resume(throwing: PostgresConnectionDropped())
                return
            }
            Task {
                let result: Result<T, any Error>
                do { result = .success(try await statement()) } catch { result = .failure(error) }
                // Resumed here only if the close has not resumed it first.
                if state.withLock({ $0.waiting.removeValue(forKey: token) }) != nil {
                    continuation.resume(with: result)
                }
            }
        }
    }

    /// The connection closed: every statement still waiting fails, and so does every later one.
    func connectionClosed() {
        let waiting = state.withLock { s in
            s.closed = true
            defer { s.waiting = [:] }
            return s.waiting
        }
        for fail in waiting.values { fail(PostgresConnectionDropped()) }
    }
}

/// One ``StatementWatch`` per open connection of a store's pool, each dropped when its
/// connection closes.
final class StatementWatches: Sendable {
    private let watches = Mutex<[PostgresConnection.ID: StatementWatch]>([:])

    /// How many connections are watched (those open and used at least once).
    var count: Int { watches.withLock { $0.count } }

    /// The watch for `connection`, made (and tied to its close) on first use.
    func watch(_ connection: PostgresConnection) -> StatementWatch {
        let (watch, isNew) = watches.withLock { w -> (StatementWatch, Bool) in
            if let watch = w[connection.id] { return (watch, false) }
            let watch = StatementWatch()
            w[connection.id] = watch
            return (watch, true)
        }
        if isNew {
            let id = connection.id
            connection.closeFuture.whenComplete { [weak self] _ in
                _ = self?.watches.withLock { $0.removeValue(forKey: id) }
                watch.connectionClosed()
            }
        }
        return watch
    }
}
