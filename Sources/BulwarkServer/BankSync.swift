import BulwarkStore
public import Logging
public import ServiceLifecycle

/// Keeps a shared bank registry current: every `bankPollMilliseconds` it reads the bank
/// events other processes appended to the database's bank log and applies them, so a bank
/// change made through any process is matched by every process within about that time.
public struct BankSync: Service, CustomStringConvertible {
    public var description: String { "BankSync" }
    let registry: BankRegistry
    let intervalMilliseconds: Int
    let logger: Logger

    public init(registry: BankRegistry, intervalMilliseconds: Int, logger: Logger) {
        self.registry = registry
        self.intervalMilliseconds = intervalMilliseconds
        self.logger = logger
    }

    public func run() async throws {
        guard registry.isShared else { return }
        let interval = UInt64(max(10, intervalMilliseconds)) * 1_000_000
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let applied = try await registry.sync()
                if applied > 0 {
                    logger.info(
                        "bank changes applied", metadata: ["banks.events": "\(applied)", "banks.sequence": "\(registry.sequence)"])
                }
            } catch {
                logger.warning("bank log read failed", metadata: ["error": "\(error)"])
            }
            await pause(nanoseconds: interval)
        }
    }
}
