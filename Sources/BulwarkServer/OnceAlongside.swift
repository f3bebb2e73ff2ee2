import Logging
import ServiceLifecycle

/// Work a process does once, alongside the server, without holding up its start: `work` is run
/// until it returns. A failure is logged as a warning (`failed`, with the error and the wait) and
/// tried again after `retrySeconds`; a graceful shutdown cancels the work or the wait. Then the
/// service waits for the shutdown, since a service that returned would end the application.
///
/// The server's three such services (``contentKeyBackfill(_:logger:retrySeconds:)``,
/// ``removedTextsWarmUp(_:logger:retrySeconds:)`` and
/// ``storedPixelsBackfill(_:logger:retrySeconds:)``) are made below.
struct OnceAlongside: Service, CustomStringConvertible {
    /// How service-lifecycle names it in logs.
    let description: String
    let logger: Logger
    let failed: Logger.Message
    let retrySeconds: UInt64
    let work: @Sendable () async throws -> Void

    init(
        _ name: String, logger: Logger, failed: Logger.Message, retrySeconds: UInt64,
        work: @escaping @Sendable () async throws -> Void
    ) {
        self.description = name
        self.logger = logger
        self.failed = failed
        self.retrySeconds = retrySeconds
        self.work = work
    }

    func run() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown(work)
                break
            } catch is CancellationError {
                break
            } catch {
                logger.warning(failed, metadata: ["error": "\(error)", "retry_seconds": "\(retrySeconds)"])
                await pause(nanoseconds: retrySeconds * 1_000_000_000)
            }
        }
        try? await gracefulShutdown()
    }
}

extension OnceAlongside {
    /// Runs ``BulwarkService/giveOlderCasesContentKeys(logger:page:)`` alongside the server, so
    /// that a process upgraded on a large database listens at once (595 ms with a million cases
    /// to key, which took 45.5 s, on SQLite) instead of after it. Until it is done, a copy of a
    /// text removed on a case opened before schema version 13 is not yet known content, and such
    /// a case's open copies are not yet listed with it. A graceful shutdown stops it between
    /// pages (the keys given are kept; the next process goes on).
    static func contentKeyBackfill(_ service: BulwarkService, logger: Logger, retrySeconds: UInt64 = 30) -> OnceAlongside {
        OnceAlongside("ContentKeyBackfill", logger: logger, failed: "content keys not given; trying again", retrySeconds: retrySeconds) {
            _ = try await service.giveOlderCasesContentKeys(logger: logger)
        }
    }

    /// Reads the index of removed texts as the server starts, so that the first ingest requests
    /// do not wait for it (0.8–1.3 s for a million decided texts on SQLite, 3.9–4.3 s on
    /// PostgreSQL, `scripts/bench-removed-texts.sh`), and `/readyz` answers 503 until it is read:
    /// a load balancer that waits for readiness sends ingest to a process whose index is ready.
    /// An ingest request while a failed read waits to be tried again reads it itself.
    static func removedTextsWarmUp(_ service: BulwarkService, logger: Logger, retrySeconds: UInt64 = 5) -> OnceAlongside {
        OnceAlongside("RemovedTextsWarmUp", logger: logger, failed: "index of removed texts not read; trying again", retrySeconds: retrySeconds) {
            let index = service.removedTexts
            guard await !index.hasLoaded else { return }  // an ingest request read it first
            let start = ContinuousClock.now
            try await index.refresh(service.store, now: service.clock())
            let texts = await index.count
            logger.info("index of removed texts read", metadata: ["texts": "\(texts)", "duration": "\(ContinuousClock.now - start)"])
            // The read's pages and the entries sorted on their way to the index are freed now.
            MemoryTrim.giveBack()
        }
    }

    /// Runs ``BulwarkService/hashTurnedPhotosAgain(logger:page:queueLimit:)`` alongside the
    /// server, so that a process upgraded on a database with much media listens at once. Until
    /// the parts it queues are hashed, a bank hash of a turned photo's stored pixels does not find
    /// those stored before schema version 25. A graceful shutdown stops it between parts.
    static func storedPixelsBackfill(_ service: BulwarkService, logger: Logger, retrySeconds: UInt64 = 30) -> OnceAlongside {
        OnceAlongside("StoredPixelsBackfill", logger: logger, failed: "turned photos not queued; trying again", retrySeconds: retrySeconds) {
            _ = try await service.hashTurnedPhotosAgain(logger: logger)
        }
    }
}
