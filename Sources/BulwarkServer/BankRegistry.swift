public import BulwarkBankFiles
public import BulwarkBanks
public import BulwarkCore
import Synchronization

/// The server's hash banks: a bank directory held open for writing, and the current bank
/// set, which matching reads without waiting for changes (a copy-on-write value swapped
/// after each change is durable).
///
/// `@unchecked Sendable`: the directory (a non-Sendable class) is only touched while `lock`
/// is held; the current set is a value behind its own mutex.
public final class BankRegistry: @unchecked Sendable {
    private let directory: BankDirectory
    private let lock = Mutex(())
    private let current: Mutex<BankSet>

    public init(directory: BankDirectory) {
        current = Mutex(directory.banks)
        self.directory = directory
    }

    /// The banks as they are now.
    public var banks: BankSet { current.withLock { $0 } }

    /// Makes a change durable (event log, fsync), then publishes the new set.
    public func change<T: Sendable>(_ body: (inout BankSet) throws(BulwarkError) -> (T, [BankEvent])) throws -> T {
        try lock.withLock { _ in
            let result = try directory.change(body)
            let updated = directory.banks
            current.withLock { $0 = updated }
            return result
        }
    }

    /// Writes a snapshot when many events have piled up since the last one.
    public func checkpoint() throws {
        try lock.withLock { _ in try directory.saveSnapshot() }
    }
}
