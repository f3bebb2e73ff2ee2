public import BulwarkBankFiles
public import BulwarkBanks
public import BulwarkCore
public import BulwarkStore
import Foundation
import Synchronization

/// The server's hash banks: the current bank set, which matching reads without waiting for
/// changes (a copy-on-write value swapped after each change is durable), kept in one of two
/// places:
///
/// - a bank directory held open for writing (one process owns the banks); or
/// - the bank log in the database (``shared(store:)``), which every `bulwark` process on that
///   database appends to and reads: a change made through one process is in the others after
///   their next ``sync()`` (``BankSync`` runs it every second), without a restart. Changes are
///   optimistic: a process appends its events only if the log still ends where its set does,
///   otherwise it reads the new events and makes its change again on top of them.
///
/// `@unchecked Sendable`: the directory (a non-Sendable class) is only touched while `lock`
/// is held; the current set is a value behind its own mutex.
public final class BankRegistry: @unchecked Sendable {
    private let directory: BankDirectory?
    private let store: (any ModerationStore)?
    private let lock = Mutex(())
    private let current: Mutex<(set: BankSet, sequence: Int64)>

    public init(directory: BankDirectory) {
        current = Mutex((directory.banks, Int64(directory.sequence)))
        self.directory = directory
        self.store = nil
    }

    private init(store: any ModerationStore) {
        current = Mutex((BankSet(), 0))
        self.directory = nil
        self.store = store
    }

    /// A registry over the database's shared bank log, loaded.
    public static func shared(store: any ModerationStore) async throws -> BankRegistry {
        let registry = BankRegistry(store: store)
        _ = try await registry.sync()
        return registry
    }

    /// The banks as they are now.
    public var banks: BankSet { current.withLock { $0.set } }
    /// The sequence number of the last event in `banks`.
    public var sequence: Int64 { current.withLock { $0.sequence } }
    /// Whether the banks live in the database, shared by every process on it.
    public var isShared: Bool { store != nil }

    /// Makes a change durable (the directory's event log with fsync, or the database's bank
    /// log), then publishes the new set. `body` may run more than once: when another process
    /// changed the banks in the meantime, it runs again on the set with that change.
    public func change<T: Sendable>(
        _ body: (inout BankSet) throws(BulwarkError) -> (T, [BankEvent])
    ) async throws -> T {
        guard let store else {
            return try lock.withLock { _ in
                guard let directory else { throw BulwarkError(.invalidData, "no bank directory") }
                let result = try directory.change(body)
                let updated = (directory.banks, Int64(directory.sequence))
                current.withLock { $0 = updated }
                return result
            }
        }
        for _ in 0..<100 {
            let (set, sequence) = current.withLock { $0 }
            var copy = set
            let (result, events) = try body(&copy)
            if events.isEmpty { return result }
            let lines = events.enumerated().map { i, event in
                BankEventLine.encode(event, sequence: UInt64(sequence) + UInt64(i) + 1)
            }
            if try await store.appendBankEvents(after: sequence, lines, now: Int64(Date().timeIntervalSince1970)) {
                // Unless a concurrent sync already read these events from the log, publish the set
                // as the body made it (the same as replaying them).
                let last = sequence + Int64(events.count)
                current.withLock { if $0.sequence == sequence { $0 = (copy, last) } }
                _ = try await sync()
                return result
            }
            _ = try await sync()
        }
        throw BulwarkError(.invalidData, "the bank log kept changing under this change: try again")
    }

    /// Reads the events other processes appended to the shared bank log since this set's and
    /// applies them; returns how many. Does nothing for a bank directory.
    @discardableResult
    public func sync() async throws -> Int {
        guard let store else { return 0 }
        var applied = 0
        while true {
            let (set, sequence) = current.withLock { $0 }
            let page = try await store.bankEvents(after: sequence, limit: 10_000)
            guard let last = page.last else { return applied }
            var events: [BankEvent] = []
            events.reserveCapacity(page.count)
            var expected = sequence + 1
            for entry in page {
                let (seq, event) = try BankEventLine.decode(entry.event)
                guard entry.seq == expected, Int64(seq) == entry.seq else {
                    throw BulwarkError(.invalidData, "bank log event \(entry.seq) is out of sequence (expected \(expected))")
                }
                events.append(event)
                expected += 1
            }
            var updated = set
            try updated.apply(contentsOf: events)
            let published = current.withLock { c in
                guard c.sequence == sequence else { return false }
                c = (updated, last.seq)
                return true
            }
            if published { applied += page.count }
        }
    }

    /// Writes a snapshot when many events have piled up since the last one (a bank directory's).
    public func checkpoint() throws {
        guard let directory else { return }
        try lock.withLock { _ in try directory.saveSnapshot() }
    }
}
