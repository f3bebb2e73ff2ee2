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
///   their next ``sync()`` (``BankSync`` runs it every second), without a restart. A change
///   locks the log (``ModerationStore/appendBankEvents(after:now:making:)``), applies the events
///   other processes appended since this set's, makes the change on top of them and appends it,
///   so it is made once, on the latest banks. Within a process changes also take turns
///   (``ChangeTurns``). (They used to be optimistic, appended only if the log had not moved, else
///   made again: with 16 concurrent additions in each of two processes, one process lost almost
///   every race and refused most of its requests after 100 attempts.)
///
/// `@unchecked Sendable`: the directory (a non-Sendable class) is only touched while `lock`
/// is held; the current set is a value behind its own mutex.
public final class BankRegistry: @unchecked Sendable {
    private let directory: BankDirectory?
    private let store: (any ModerationStore)?
    private let lock = Mutex(())
    private let current: Mutex<(set: BankSet, sequence: Int64)>
    private let turns = ChangeTurns()

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
    /// log), then publishes the new set. With the database's log, `body` runs on the latest
    /// banks, other processes' changes included, while the log is locked.
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
        await turns.take()
        defer { turns.pass() }
        let (set, sequence) = current.withLock { $0 }
        var made: (result: T, set: BankSet)?
        let last = try await store.appendBankEvents(after: sequence, now: Int64(Date().timeIntervalSince1970)) {
            newer throws -> [String] in
            // The changes other processes made since this set's, first; then this one on top.
            var copy = set
            try copy.apply(contentsOf: try Self.decode(newer, after: sequence))
            let (result, events) = try body(&copy)
            made = (result, copy)
            let start = UInt64(newer.last?.seq ?? sequence)
            return events.enumerated().map { i, event in BankEventLine.encode(event, sequence: start + UInt64(i) + 1) }
        }
        guard let made else { throw BulwarkError(.invalidData, "the bank change was not made") }
        // Unless a concurrent sync already read these events from the log, publish the set as the
        // body made it (the same as replaying the log up to `last`).
        current.withLock { if $0.sequence < last { $0 = (made.set, last) } }
        return made.result
    }

    /// Reads the events other processes appended to the shared bank log since this set's and
    /// applies them; returns how many. Does nothing for a bank directory.
    @discardableResult
    public func sync() async throws -> Int {
        guard let store else { return 0 }
        var applied = 0
        while true {
            let (set, sequence) = current.withLock { $0 }
            // Read in pages, applied in batches of up to `syncBatch` events: each application
            // copies the set once and may rebuild the PDQ index, so a process loading a long log
            // (a million entries) does that a few times, not once per page.
            var page = try await store.bankEvents(after: sequence, limit: Self.syncPage)
            while page.count < Self.syncBatch, page.count % Self.syncPage == 0, let end = page.last {
                let more = try await store.bankEvents(after: end.seq, limit: Self.syncPage)
                if more.isEmpty { break }
                page += more
            }
            guard let last = page.last else { return applied }
            let events = try Self.decode(page, after: sequence)
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

extension BankRegistry {
    /// Bank-log events read at a time, and applied at a time, by ``sync()``.
    static let syncPage = 10_000
    static let syncBatch = 200_000

    /// The events of consecutive log entries that follow `after`.
    static func decode(_ entries: [BankLogEntry], after: Int64) throws(BulwarkError) -> [BankEvent] {
        var events: [BankEvent] = []
        events.reserveCapacity(entries.count)
        var expected = after + 1
        for entry in entries {
            let (seq, event) = try BankEventLine.decode(entry.event)
            guard entry.seq == expected, Int64(seq) == entry.seq else {
                throw BulwarkError(.invalidData, "bank log event \(entry.seq) is out of sequence (expected \(expected))")
            }
            events.append(event)
            expected += 1
        }
        return events
    }
}

/// Turns for the shared bank changes of one process: one at a time, in order of arrival,
/// without holding a thread while waiting.
final class ChangeTurns: Sendable {
    private let state = Mutex<(busy: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    /// Waits for this caller's turn.
    func take() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.busy {
                    s.waiting.append(continuation)
                    return false
                }
                s.busy = true
                return true
            }
            if now { continuation.resume() }
        }
    }

    /// Ends the caller's turn: the next waiting caller's begins.
    func pass() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiting.isEmpty {
                s.busy = false
                return nil
            }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}
