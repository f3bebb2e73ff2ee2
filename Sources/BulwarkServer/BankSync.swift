import BulwarkStore
import Foundation
public import Logging
public import ServiceLifecycle

/// Keeps a shared bank registry current: every `bankPollMilliseconds` it reads the bank
/// events other processes appended to the database's bank log and applies them, so a bank
/// change made through any process is matched by every process within about that time. When
/// the log has grown by `snapshotEvery` events (and a tenth) since the newest snapshot in the
/// database, it stores one (``BankRegistry/snapshotIfDue(every:now:partBytes:)``), so a process
/// starting later replays only what came after it.
public struct BankSync: Service, CustomStringConvertible {
    public var description: String { "BankSync" }
    let registry: BankRegistry
    let intervalMilliseconds: Int
    let snapshotEvery: Int
    let logger: Logger

    public init(registry: BankRegistry, intervalMilliseconds: Int, snapshotEvery: Int = BankRegistry.standardSnapshotEvery, logger: Logger) {
        self.registry = registry
        self.intervalMilliseconds = intervalMilliseconds
        self.snapshotEvery = snapshotEvery
        self.logger = logger
    }

    public func run() async throws {
        guard registry.isShared else { return }
        let interval = UInt64(max(10, intervalMilliseconds)) * 1_000_000
        // The sequence at the last trim: a change (this process's or another's) frees what the
        // set it replaced held, and the memory is given back once a round after it (and after
        // the first round, once the banks are loaded).
        var trimmedAt: Int64 = -1
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let began = ContinuousClock.now
                let applied = try await registry.sync()
                if applied > 0 {
                    let took = ContinuousClock.now - began
                    let milliseconds = took.components.seconds * 1_000 + took.components.attoseconds / 1_000_000_000_000_000
                    logger.info(
                        "bank changes applied",
                        metadata: [
                            "banks.events": "\(applied)", "banks.sequence": "\(registry.sequence)",
                            "banks.milliseconds": "\(milliseconds)",
                        ])
                }
            } catch {
                logger.warning("bank log read failed", metadata: ["error": "\(error)"])
            }
            do {
                let start = ContinuousClock.now
                let bytes = try await registry.snapshotIfDue(every: snapshotEvery, now: Int64(Date().timeIntervalSince1970))
                if bytes > 0 {
                    logger.info(
                        "bank snapshot stored",
                        metadata: [
                            "banks.sequence": "\(registry.snapshotSequence)", "banks.snapshot_bytes": "\(bytes)",
                            "duration": "\(ContinuousClock.now - start)",
                        ])
                }
            } catch {
                logger.warning("bank snapshot not stored", metadata: ["error": "\(error)"])
            }
            let sequence = registry.sequence
            if sequence != trimmedAt {
                trimmedAt = sequence
                MemoryTrim.giveBack()
            }
            await pause(nanoseconds: interval)
        }
    }
}
