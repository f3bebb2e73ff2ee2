@testable import BulwarkStore
import BulwarkTestSupport
import PostgresNIO
import Synchronization
import Testing

/// The watch that fails statements postgres-nio lost when their connection closed.
struct StatementWatchTests {
    /// A statement that is never answered (as a query written to a channel that had just closed).
    static func unanswered() async throws -> Int {
        try await withCheckedThrowingContinuation { (_: CheckedContinuation<Int, any Error>) in }
    }

    @Test func aStatementThatIsAnsweredReturnsItsResultAndStopsWaiting() async throws {
        let watch = StatementWatch()
        #expect(try await watch.run { 42 } == 42)
        #expect(watch.waitingCount == 0)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await watch.run { () async throws -> Int in throw Refused() } }
        #expect(watch.waitingCount == 0)
    }

    @Test func anUnansweredStatementFailsWhenItsConnectionCloses() async throws {
        let watch = StatementWatch()
        let waiting = Task { await Self.outcome(within: .seconds(5)) { try await watch.run { try await Self.unanswered() } } }
        while watch.waitingCount < 1 { await Task.yield() }
        watch.connectionClosed()
        let outcome = await waiting.value
        #expect(outcome != nil, "the statement was still waiting 5 s after the close")
        if case .failure(let error) = outcome { #expect(error is PostgresConnectionDropped) } else { Issue.record("no error") }
        #expect(watch.waitingCount == 0)
    }

    @Test func aStatementAfterTheCloseFailsAtOnceAndIsNotRun() async throws {
        let watch = StatementWatch()
        watch.connectionClosed()
        let ran = Mutex(false)
        await #expect(throws: PostgresConnectionDropped.self) {
            try await watch.run { () async throws -> Int in
                ran.withLock { $0 = true }
                return 1
            }
        }
        #expect(!ran.withLock { $0 })
    }

    /// On a real connection: the store's watch is made on first use and dropped, with every later
    /// statement failing, once the connection closes.
    @Test func aConnectionsWatchIsToldOfItsClose() async throws {
        try await TestPostgres.withDatabase("watch") { location, logger in
            let connection = try await PostgresConnection.connect(
                configuration: location.connectionConfiguration(), id: 7, logger: logger)
            let watches = StatementWatches()
            let watch = watches.watch(connection)
            #expect(watches.watch(connection) === watch, "one watch per connection")
            let one = try await watch.run { try await connection.query("SELECT 1", logger: logger).collect() }
            #expect(try one.first?.decode(Int.self) == 1)
            #expect(watches.count == 1)
            try await connection.close()
            for _ in 0..<200 where watches.count > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(watches.count == 0, "the closed connection's watch is dropped")
            // Sent to the closed channel, postgres-nio's query is never answered: the watch fails it.
            let outcome = await Self.outcome(within: .seconds(5)) {
                try await watch.run { try await connection.query("SELECT 1", logger: logger).collect() }
            }
            #expect(outcome != nil, "a statement on the closed connection was still waiting after 5 s")
            if case .failure(let error) = outcome { #expect(error is PostgresConnectionDropped) } else { Issue.record("no error") }
        }
    }

    /// What `operation` gives within `limit`, or nil (the operation is then left waiting), so a
    /// statement that would wait for ever fails the test instead of hanging it.
    static func outcome<T: Sendable>(
        within limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async -> Result<T, any Error>? {
        let (results, sink) = AsyncStream<Result<T, any Error>?>.makeStream()
        Task {
            do { sink.yield(.success(try await operation())) } catch { sink.yield(.failure(error)) }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            sink.yield(nil)
        }
        defer { timer.cancel() }
        for await result in results { return result }
        return nil
    }
}
