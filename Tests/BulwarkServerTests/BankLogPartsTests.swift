import BulwarkBanks
import BulwarkCore
import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import Foundation
import Synchronization
import Testing

/// SQLite appends a long bank change (an import) in parts, a transaction each, so that the one
/// writer every ingest waits for is not held for seconds; readers see the change whole or not at
/// all, another append waits for one under way, and the parts of one a process left midway are
/// deleted once none was written for a minute.
struct BankLogPartsTests {
    /// A long change's lines are made a part at a time, as each part is written (a million
    /// events' lines at once were about 270 MB more at an import's peak): both stores ask for
    /// each part once, in order, and store every line under its number.
    @Test(arguments: Backend.allCases) func aLongChangesLinesAreMadeAPartAtATime(_ backend: Backend) async throws {
        try await withTestStore(backend, "banklines") { t in
            let store = t.store
            #expect(try await store.appendBankEvents(after: 0, now: 1) { _ in ["first"] } == 1)
            let part = backend == .sqlite ? SQLiteStore.bankAppendPart : PostgresStore.bankAppendStatementLines
            let count = 2 * part + part / 2
            let asked = Mutex<[Range<Int>]>([])
            let through = try await store.appendBankEvents(after: 1, now: 2) { newer in
                #expect(newer.isEmpty)
                return BankLogLines(count: count) { range in
                    asked.withLock { $0.append(range) }
                    return range.map { "line-\($0)" }
                }
            }
            #expect(through == Int64(count) + 1)
            #expect(asked.withLock { $0 } == [0..<part, part..<2 * part, 2 * part..<count])
            let stored = try await store.bankEvents(after: 0, limit: count + 10)
            #expect(stored.count == count + 1)
            #expect(stored.map(\.seq) == Array(1...Int64(count + 1)))
            #expect(stored.first?.event == "first")
            #expect(stored.dropFirst().map(\.event) == (0..<count).map { "line-\($0)" })
        }
    }

    /// The log is numbered without gaps: a change made on events it does not have (a process
    /// that read past its end) is refused, on both stores, and nothing is written.
    @Test(arguments: Backend.allCases) func aChangeMadeOnEventsTheLogLacksIsRefused(_ backend: Backend) async throws {
        try await withTestStore(backend, "bankgap") { t in
            let store = t.store
            let first = try await store.appendBankEvents(after: 0, now: 1) { _ in ["a", "b"] }
            #expect(first == 2)
            do {
                _ = try await store.appendBankEvents(after: 5, now: 2) { _ in ["c"] }
                Issue.record("a change made on events 3 to 5, which the log lacks, was appended")
            } catch let error as BankLogError {
                #expect(error.description.contains("ends at 2, before the 5 events"), "\(error)")
            }
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_events") == 2)
            let next = try await store.appendBankEvents(after: 2, now: 3) { _ in ["c"] }
            #expect(next == 3)
            #expect(try await store.bankEvents(after: 0, limit: 10).map(\.event) == ["a", "b", "c"])
        }
    }

    @Test func aLongAppendIsWrittenInPartsAndSeenWholeOrNotAtAll() async throws {
        try await withTestStore(.sqlite, "bankparts") { t in
            let store = t.store
            // Every write of the head, recorded: one per part, and the last moves it.
            try await t.execute("CREATE TABLE head_writes (n INTEGER PRIMARY KEY, seq INTEGER NOT NULL)")
            try await t.execute(
                "CREATE TRIGGER head_written AFTER UPDATE ON bank_log_head BEGIN INSERT INTO head_writes (seq) VALUES (NEW.seq); END")
            let a = try await BankRegistry.shared(store: store)
            try await a.change { set throws(BulwarkError) in ((), try set.create(Bank(name: "known"))) }
            let part = SQLiteStore.bankAppendPart
            let hashes = (0..<(2 * part + part / 2)).map { _ in BankSnapshotTests.randomPDQ() }
            try await a.change { set throws(BulwarkError) in
                var events: [BankEvent] = []
                for hash in hashes {
                    events += try set.add(bank: "known", signal: Signal(pdq: hash), labels: ["category:dissemination"], at: 10).1
                }
                return ((), events)
            }
            let through = 1 + hashes.count
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_events") == through)
            #expect(try await t.integer("SELECT seq FROM bank_log_head") == through)
            var writes: [Int] = []
            for n in 1...4 { writes.append(try await t.integer("SELECT seq FROM head_writes WHERE n = \(n)")) }
            #expect(writes == [1, 1, 1, through], "the creation; then three parts, the head moved by the last")
            #expect(try await t.integer("SELECT COUNT(*) FROM head_writes") == 4)
            let b = try await BankRegistry.shared(store: store)
            #expect(b.banks.entries == a.banks.entries)
            #expect(b.banks.entries.count == hashes.count)

            // Another process's append, two parts of three written: past the head, not read.
            let start = Int64(through)
            try await t.execute(
                "INSERT INTO bank_events (seq, event, at) VALUES (\(start + 1), 'other-1', 1000), (\(start + 2), 'other-2', 1000)")
            try await t.execute("UPDATE bank_log_head SET written_at = 1000")
            #expect(try await store.bankEvents(after: start - 1, limit: 10).map(\.seq) == [start])
            let c = try await BankRegistry.shared(store: store)
            #expect(c.banks.entries == a.banks.entries)

            // An append waits for it, then is made on top of it.
            let seen = Mutex<[String]>([])
            let waiting = Task {
                try await store.appendBankEvents(after: start, now: 1_000 + 59) { newer in
                    seen.withLock { $0 = newer.map(\.event) }
                    return ["mine-1", "mine-2"]
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_events WHERE event LIKE 'mine-%'") == 0, "waits")
            try await t.execute(
                "INSERT INTO bank_events (seq, event, at) VALUES (\(start + 3), 'other-3', 1000)")
            try await t.execute("UPDATE bank_log_head SET seq = \(start + 3)")
            #expect(try await waiting.value == start + 5)
            #expect(seen.withLock { $0 } == ["other-1", "other-2", "other-3"])
            #expect(try await store.bankEvents(after: start, limit: 10).map(\.event) == ["other-1", "other-2", "other-3", "mine-1", "mine-2"])

            // Parts left past the head by a process that stopped: after a minute with none
            // written, the next append deletes them and appends in their place.
            let head = start + 5
            try await t.execute(
                "INSERT INTO bank_events (seq, event, at) VALUES (\(head + 1), 'lost-1', 2000), (\(head + 2), 'lost-2', 2000)")
            try await t.execute("UPDATE bank_log_head SET written_at = 2000")
            #expect(try await store.appendBankEvents(after: head, now: 2_000 + 60) { _ in ["after-1"] } == head + 1)
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_events WHERE event LIKE 'lost-%'") == 0)
            #expect(try await store.bankEvents(after: head, limit: 10).map(\.event) == ["after-1"])
            #expect(try await t.integer("SELECT MAX(seq) FROM bank_events") == Int(head + 1))

            // An append that fails in a later part takes back the parts it wrote: the next one
            // starts at once, not a minute later.
            try await t.execute(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON bank_events WHEN NEW.event = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END")
            let long = (0..<(part + part / 2)).map { $0 == part + 1 ? "poison" : "long-\($0)" }
            await #expect(throws: (any Error).self) { try await store.appendBankEvents(after: head + 1, now: 3_000) { _ in BankLogLines(long) } }
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_events WHERE seq > \(head + 1)") == 0, "the first part taken back")
            #expect(try await t.integer("SELECT seq FROM bank_log_head") == Int(head + 1))
            #expect(try await store.appendBankEvents(after: head + 1, now: 3_001) { _ in ["next"] } == head + 2)
            #expect(try await store.bankEvents(after: head + 1, limit: 10).map(\.event) == ["next"])
        }
    }

    /// The pid of a process that ran and ended (`/bin/true`, waited for): a writer that is gone.
    static func pidOfAProcessThatEnded() throws -> Int32 {
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        return ended.processIdentifier
    }

    /// The head names the process that wrote it last. Parts past the head whose process is gone
    /// (of this machine's boot and pid namespace, no longer running) are deleted by the next
    /// append at once; while that process runs, or when it is of another boot or namespace (it
    /// cannot be looked for), the append waits, as for any append under way.
    @Test func partsLeftByAProcessThatIsGoneAreDeletedAtOnce() async throws {
        try await withTestStore(.sqlite, "bankgone") { t in
            let store = t.store
            #expect(try await store.appendBankEvents(after: 0, now: 1_000) { _ in ["a"] } == 1)
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_log_head WHERE writer LIKE '% \(getpid())'") == 1)
            let ended = try Self.pidOfAProcessThatEnded()
            // This machine's boot and namespace: the writer less its pid.
            try await t.execute("CREATE TABLE ours AS SELECT rtrim(writer, '0123456789') AS prefix FROM bank_log_head")
            let ours = "(SELECT prefix FROM ours)"
            try await t.execute(
                "INSERT INTO bank_events (seq, event, at) VALUES (2, 'lost-1', 1000), (3, 'lost-2', 1000)")
            try await t.execute("UPDATE bank_log_head SET written_at = 1000, writer = \(ours) || '\(getppid())'")

            // Written a second ago by a process that runs (this one's parent): waited for.
            let append = Task { try await store.appendBankEvents(after: 1, now: 1_001) { _ in ["after-1"] } }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_events WHERE event = 'after-1'") == 0, "waits while it runs")
            // By a process of another boot, with the pid of one gone here: waited for.
            try await t.execute("UPDATE bank_log_head SET writer = 'another-boot pid:[1] \(ended)'")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_events WHERE event = 'after-1'") == 0, "waits: cannot be looked for")
            // By the process that is gone: its parts are deleted and the append made in their
            // place, well within the minute otherwise waited.
            try await t.execute("UPDATE bank_log_head SET writer = \(ours) || '\(ended)'")
            let watchdog = Task {
                try await Task.sleep(for: .seconds(20))
                append.cancel()
            }
            defer { watchdog.cancel() }
            let head = try await append.value
            #expect(head == 2)
            #expect(try await store.bankEvents(after: 0, limit: 10).map(\.event) == ["a", "after-1"])
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_events WHERE event LIKE 'lost-%'") == 0)
        }
    }
}
