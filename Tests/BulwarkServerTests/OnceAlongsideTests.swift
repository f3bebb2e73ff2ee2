@testable import BulwarkServer
import BulwarkTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// The service that does a process's work once, alongside the server (the backfills and the
/// removed texts' warm-up): a failure is logged and tried again; a graceful shutdown stops the
/// work or the wait; and once the work is done the service waits for the shutdown rather than
/// ending the application.
struct OnceAlongsideTests {
    struct Failed: Error, CustomStringConvertible {
        var description: String { "the store is away" }
    }

    /// A value the service's work and the test share.
    final class Shared<Value: Sendable>: Sendable {
        let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
        var now: Value { value.withLock { $0 } }
        func set(_ new: Value) { value.withLock { $0 = new } }
    }

    /// The warnings a logger was given, with their metadata.
    final class Warnings: Sendable {
        let lines = Mutex<[(message: String, metadata: Logger.Metadata)]>([])
        var count: Int { lines.withLock { $0.count } }

        var logger: Logger {
            Logger(label: "test") { _ in Handler(warnings: self) }
        }

        struct Handler: LogHandler {
            let warnings: Warnings
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .warning
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                guard event.level >= .warning else { return }
                warnings.lines.withLock { $0.append((event.message.description, event.metadata ?? [:])) }
            }
        }
    }

    /// Runs `service` in a group of its own; `body` is given a way to read whether the group has
    /// ended. Then shuts the group down gracefully and answers whether it ended within 10 s.
    func running(_ service: OnceAlongside, _ body: (@Sendable () -> Bool) async throws -> Void) async throws -> Bool {
        let group = ServiceGroup(services: [service], logger: Logger(label: "group"))
        let ended = Mutex(false)
        let run = Task {
            try? await group.run()
            ended.withLock { $0 = true }
        }
        try await body { ended.withLock { $0 } }
        await group.triggerGracefulShutdown()
        for _ in 0..<200 where !ended.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
        let endedInTime = ended.withLock { $0 }
        run.cancel()
        return endedInTime
    }

    @Test func aFailureIsLoggedAndTriedAgainUntilTheWorkIsDoneThenItWaitsForTheShutdown() async throws {
        let warnings = Warnings()
        let runs = Shared(0)
        let service = OnceAlongside("Test", logger: warnings.logger, failed: "test work not done; trying again", retrySeconds: 0) {
            if runs.value.withLock({ $0 += 1; return $0 }) <= 2 { throw Failed() }
        }
        let ended = try await running(service) { ended in
            _ = try await eventually(every: .milliseconds(25)) { runs.now == 3 }
            #expect(runs.now == 3, "two failures, then the run that did the work")
            // Done, it keeps the group running: a service that returned would end the application.
            try await Task.sleep(for: .milliseconds(300))
            #expect(!ended(), "the group ended before the shutdown")
            #expect(runs.now == 3, "not run again once done")
        }
        #expect(ended)
        let lines = warnings.lines.withLock { $0 }
        #expect(lines.map(\.message) == ["test work not done; trying again", "test work not done; trying again"])
        #expect(lines.allSatisfy { $0.metadata["error"]?.description == "the store is away" && $0.metadata["retry_seconds"]?.description == "0" })
    }

    @Test func aGracefulShutdownEndsTheWaitBeforeTheNextTry() async throws {
        let warnings = Warnings()
        let runs = Shared(0)
        let service = OnceAlongside("Test", logger: warnings.logger, failed: "failed", retrySeconds: 3_600) {
            runs.value.withLock { $0 += 1 }
            throw Failed()
        }
        let ended = try await running(service) { _ in
            _ = try await eventually(every: .milliseconds(25)) { warnings.count == 1 }
            #expect(warnings.count == 1)
        }
        #expect(ended, "the hour's wait outlived the shutdown")
        #expect(runs.now == 1)
        #expect(warnings.lines.withLock { $0.first?.metadata["retry_seconds"]?.description } == "3600")
    }

    @Test func aGracefulShutdownCancelsTheWorkWhichIsNotAFailure() async throws {
        let warnings = Warnings()
        let started = Shared(false)
        let cancelled = Shared(false)
        let service = OnceAlongside("Test", logger: warnings.logger, failed: "failed", retrySeconds: 0) {
            started.set(true)
            do {
                try await Task.sleep(for: .seconds(3_600))
            } catch {
                cancelled.set(error is CancellationError)
                throw error
            }
        }
        let ended = try await running(service) { _ in
            _ = try await eventually(every: .milliseconds(25)) { started.now }
        }
        #expect(ended, "the work outlived the shutdown")
        #expect(cancelled.now)
        #expect(warnings.count == 0, "a cancelled work is not logged as failed nor tried again")
    }

}
