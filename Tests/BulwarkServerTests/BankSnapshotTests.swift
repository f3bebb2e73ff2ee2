import BulwarkBanks
import BulwarkCore
import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// Snapshots of the shared banks in the database: a process starting reads the newest one and
/// replays only the bank-log events after it; a snapshot it cannot use is said and the whole log
/// replayed; each backend.
struct BankSnapshotTests {
    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    static func randomPDQ() -> PDQHash {
        PDQHash(.random(in: 0...UInt64.max), .random(in: 0...UInt64.max), .random(in: 0...UInt64.max), .random(in: 0...UInt64.max))
    }

    /// Makes `count` changes through `registry`, one each: a PDQ entry added to `bank`.
    static func add(_ count: Int, to bank: String, through registry: BankRegistry) async throws -> [PDQHash] {
        var hashes: [PDQHash] = []
        for _ in 0..<count {
            let hash = randomPDQ()
            hashes.append(hash)
            try await registry.change { set throws(BulwarkError) in
                ((), try set.add(bank: bank, signal: Signal(pdq: hash), labels: ["category:dissemination"], at: 10).1)
            }
        }
        return hashes
    }

    static func matched(_ hash: PDQHash, _ registry: BankRegistry) -> Bool {
        registry.banks.match(MediaHashes(pdq: hash, pdqQuality: 100)).decision == .violating
    }

    @Test(arguments: Backend.allCases)
    func aProcessStartsFromTheNewestSnapshotAndReplaysOnlyTheEventsAfterIt(_ backend: Backend) async throws {
        try await withTestStore(backend, "banksnapshot") { t in
            let store = t.store
            let a = try await BankRegistry.shared(store: store)
            #expect(a.loaded?.snapshotSequence == 0)
            #expect(a.loaded?.replayedEvents == 0)
            try await a.change { set throws(BulwarkError) in ((), try set.create(Bank(name: "known"))) }
            var hashes = try await Self.add(30, to: "known", through: a)
            // Two removed, one relabelled: a snapshot keeps removed entries and labels.
            for hash in hashes.prefix(2) {
                try await a.change { set throws(BulwarkError) in
                    ((), try set.remove(bank: "known", signal: Signal(pdq: hash), at: 20).1)
                }
            }
            try await a.change { set throws(BulwarkError) in
                ((), try set.add(bank: "known", signal: Signal(pdq: hashes[2]), labels: ["source:own"], at: 30).1)
            }
            #expect(a.sequence == 34)

            // Not due below `every` events; due at 10, stored in parts of 1,000 bytes.
            #expect(try await a.snapshotIfDue(every: 1_000, now: 40) == 0)
            #expect(try await store.bankSnapshotSequence() == 0)
            let bytes = try await a.snapshotIfDue(every: 10, now: 40, partBytes: 1_000)
            #expect(bytes > 3_000, "a snapshot of 31 entries and their index")
            #expect(a.snapshotSequence == 34)
            let stored = try #require(try await store.latestBankSnapshot())
            #expect(stored.sequence == 34)
            #expect(stored.bytes.count == bytes)
            #expect(stored.parts == (bytes + 999) / 1_000)

            hashes += try await Self.add(5, to: "known", through: a)
            // A process starting now: the snapshot, then the five events after it.
            let b = try await BankRegistry.shared(store: store)
            let load = try #require(b.loaded)
            #expect(load.snapshotSequence == 34)
            #expect(load.snapshotBytes == bytes)
            #expect(load.replayedEvents == 5)
            #expect(load.notes.isEmpty)
            #expect(b.sequence == a.sequence)
            #expect(b.banks.entries == a.banks.entries)
            #expect(b.banks.banks == a.banks.banks)
            #expect(b.banks.entries.count == 35)
            #expect(b.banks.entry(3)?.labels == ["category:dissemination", "source:own"])
            #expect(!Self.matched(hashes[0], b) && !Self.matched(hashes[1], b), "removed entries match nothing")
            #expect(hashes.dropFirst(2).allSatisfy { Self.matched($0, b) })
            // Entries added after go on from the same ids in both.
            try await b.change { set throws(BulwarkError) in
                ((), try set.add(bank: "known", signal: Signal(pdq: Self.randomPDQ()), at: 50).1)
            }
            try await a.sync()
            #expect(a.banks.entries == b.banks.entries)
            #expect(a.banks.entries.last?.id == 36)

            // Not due again until the log has grown by `every` (6 < 10); at 5 it is, and the older
            // snapshot goes.
            #expect(try await a.snapshotIfDue(every: 10, now: 60) == 0)
            #expect(try await a.snapshotIfDue(every: 5, now: 60) > 0)
            #expect(try await store.latestBankSnapshot()?.sequence == 40)
            // B finds the snapshot A stored and stores none of its own.
            #expect(try await b.snapshotIfDue(every: 1, now: 60) == 0)
            #expect(b.snapshotSequence == 40)

            // The sync service stores one when due: 12 more changes, every 5.
            _ = try await Self.add(12, to: "known", through: a)
            let group = ServiceGroup(
                services: [BankSync(registry: b, intervalMilliseconds: 20, snapshotEvery: 5, logger: Self.logger)],
                logger: Self.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var sequence: Int64 = 0
                for _ in 0..<250 {
                    sequence = try await store.bankSnapshotSequence()
                    if sequence == 52 { break }
                    try await Task.sleep(nanoseconds: 20_000_000)
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                #expect(sequence == 52, "the sync service stored no snapshot of the 12 changes")
            }
            let c = try await BankRegistry.shared(store: store)
            #expect(c.loaded?.snapshotSequence == 52)
            #expect(c.loaded?.replayedEvents == 0)
            #expect(c.banks.entries == a.banks.entries)

            // /metrics says where the banks and the snapshot are: 48 entries, 2 of them removed.
            let service = BulwarkService(
                store: store, engine: try ServerFixtures.engine.get(), configuration: ServerConfiguration(port: 0), bankRegistry: c)
            try await service.application(logger: Self.logger, background: false).test(.router) { client in
                let metrics = try await client.execute(uri: "/metrics", method: .get)
                let text = String(buffer: metrics.body)
                for line in ["bulwark_bank_entries_active 46", "bulwark_bank_sequence 52", "bulwark_bank_snapshot_sequence 52"] {
                    #expect(text.split(separator: "\n").contains { $0 == line }, "\(line) not in /metrics")
                }
            }
        }
    }

    /// With no snapshot, a process starts from the whole log, read in pages of 10,000 and applied
    /// in place: removals, relabelling and additions across the pages make the set the writer
    /// has, and its PDQ index's tables are built by the end.
    @Test(arguments: Backend.allCases)
    func aStartFromAWholeLogOfManyPagesIsTheWritersSet(_ backend: Backend) async throws {
        try await withTestStore(backend, "wholebanklog") { t in
            let store = t.store
            let a = try await BankRegistry.shared(store: store)
            try await a.change { set throws(BulwarkError) in ((), try set.create(Bank(name: "known"))) }
            var rng = SplitMix64(seed: 8)
            let hashes = (0..<15_000).map { _ in rng.pdqHash() }
            let first = hashes.prefix(12_000).map { (signal: Signal(pdq: $0), labels: [String](), provenance: "import") }
            try await a.change { set throws(BulwarkError) in ((), try set.add(bank: "known", first, source: "test", at: 1).events) }
            // Removals and a relabelling, then more additions: the second page (the first is the
            // bank and 9,999 additions; its tables are built at its end).
            try await a.change { set throws(BulwarkError) in
                var events: [BankEvent] = []
                for h in hashes.prefix(100) { events += try set.remove(bank: "known", signal: Signal(pdq: h), at: 2).1 }
                events += try set.add(bank: "known", signal: Signal(pdq: hashes[200]), labels: ["source:own"], at: 3).1
                return ((), events)
            }
            let rest = hashes.dropFirst(12_000).map { (signal: Signal(pdq: $0), labels: [String](), provenance: "import") }
            try await a.change { set throws(BulwarkError) in ((), try set.add(bank: "known", rest, source: "test", at: 4).events) }
            #expect(a.sequence == 15_102)

            let b = try await BankRegistry.shared(store: store)
            let load = try #require(b.loaded)
            #expect(load.snapshotSequence == 0)
            #expect(load.replayedEvents == 15_102)
            #expect(b.sequence == a.sequence)
            #expect(b.banks.entries == a.banks.entries)
            #expect(b.banks.activeCount(bank: "known") == 14_900)
            #expect(b.banks.entry(201)?.labels == ["source:own"])
            // 5,001 slots were added after that: built at the end.
            #expect(b.banks.pdqIndex.pendingCount <= b.banks.pdqIndex.pendingLimit)
            #expect(b.banks.pdqIndex.count == 14_900)
            for h in hashes.prefix(3) { #expect(!Self.matched(h, b), "a removed entry matches") }
            for h in hashes.dropFirst(100).prefix(50) + hashes.suffix(50) {
                #expect(Self.matched(rng.flipping(h, bits: 10), b))
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func aSnapshotThatCannotBeUsedIsSaidAndTheWholeLogReplayed(_ backend: Backend) async throws {
        try await withTestStore(backend, "badbanksnapshot") { t in
            let store = t.store
            let a = try await BankRegistry.shared(store: store)
            try await a.change { set throws(BulwarkError) in ((), try set.create(Bank(name: "known"))) }
            _ = try await Self.add(9, to: "known", through: a)
            let good = a.banks.snapshot(sequence: 10)

            // A snapshot beyond the log's end is refused by the store.
            await #expect(throws: BankSnapshotError.self) {
                _ = try await store.saveBankSnapshot(sequence: 11, partBytes: 1_000, now: 1) { good }
            }
            #expect(try await store.bankSnapshotSequence() == 0)

            // Each damaged snapshot: noted, the whole log replayed, the same banks.
            func startsFromTheLog(_ what: String) async throws {
                let b = try await BankRegistry.shared(store: store)
                let load = try #require(b.loaded)
                #expect(load.snapshotSequence == 0, "\(what)")
                #expect(load.replayedEvents == Int(a.sequence), "\(what)")
                #expect(load.notes.count == 1 && load.notes[0].contains(what), "\(what): \(load.notes)")
                #expect(b.banks.entries == a.banks.entries, "\(what)")
                #expect(b.sequence == a.sequence, "\(what)")
            }
            // ... and the process that found it replaces it at once, though the log has not grown.
            func replacesIt(_ what: String) async throws {
                let b = try await BankRegistry.shared(store: store)
                #expect(try await b.snapshotIfDue(every: 10_000, now: 2) > 0, "\(what)")
                #expect(try await b.snapshotIfDue(every: 10_000, now: 2) == 0, "\(what): once")
                let c = try await BankRegistry.shared(store: store)
                #expect(c.loaded?.notes == [], "\(what)")
                #expect(c.loaded?.snapshotSequence == a.sequence, "\(what)")
                #expect(c.banks.entries == a.banks.entries, "\(what)")
                try await t.execute("DELETE FROM bank_snapshots")
            }
            let damaged = {
                var bytes = good
                bytes[bytes.count / 2] ^= 0x40
                return bytes
            }()
            #expect(try await store.saveBankSnapshot(sequence: 10, partBytes: 1_000, now: 1) { damaged } == good.count)
            try await startsFromTheLog("checksum mismatch")
            try await replacesIt("checksum mismatch")

            // Stored as covering 11 events, made of 10.
            _ = try await Self.add(1, to: "known", through: a)
            #expect(try await store.saveBankSnapshot(sequence: 11, partBytes: 1_000, now: 1) { good } == good.count)
            try await startsFromTheLog("says it covers 10 events but is stored as covering 11")

            // A part missing.
            _ = try await Self.add(1, to: "known", through: a)
            let twelve = a.banks.snapshot(sequence: 12)
            #expect(try await store.saveBankSnapshot(sequence: 12, partBytes: 500, now: 1) { twelve } == twelve.count)
            try await t.execute("DELETE FROM bank_snapshots WHERE part = 1")
            try await startsFromTheLog("has part 2 of")

            // The log shorter than the snapshot (the log is append-only; a database restored from
            // an older backup than its snapshots could be this).
            _ = try await Self.add(1, to: "known", through: a)
            let fourteen = a.banks.snapshot(sequence: 14)
            try await t.execute("DELETE FROM bank_snapshots")
            #expect(try await store.saveBankSnapshot(sequence: 13, partBytes: 1_000, now: 1) { fourteen } > 0)
            try await t.execute("UPDATE bank_snapshots SET seq = 14")
            try await startsFromTheLog("it covers 14 events but the bank log has fewer")
            try await replacesIt("it covers 14 events but the bank log has fewer")
            let thirteen = a.banks.snapshot(sequence: 13)

            // With an intact snapshot again, it is used.
            try await t.execute("DELETE FROM bank_snapshots")
            #expect(try await store.saveBankSnapshot(sequence: 13, partBytes: 1_000, now: 1) { thirteen } > 0)
            let c = try await BankRegistry.shared(store: store)
            #expect(c.loaded?.snapshotSequence == 13)
            #expect(c.loaded?.replayedEvents == 0)
            #expect(c.banks.entries == a.banks.entries)
            // A snapshot at a sequence already stored is not made again.
            #expect(try await store.saveBankSnapshot(sequence: 13, partBytes: 1_000, now: 1) { Issue.record("made"); return [] } == 0)
        }
    }
    /// SQLite stores a snapshot a part a transaction (so that a large one does not hold the one
    /// writer every ingest waits for), part 0 last: until then readers have the previous one and
    /// another process leaves it to finish; parts of one abandoned midway are deleted by the next
    /// process that stores a snapshot, after `abandonedAfterSeconds` without a part stored.
    @Test func aSnapshotBeingWrittenIsNotReadAndIsLeftToFinishUnlessAbandoned() async throws {
        try await withTestStore(.sqlite, "snapshotparts") { t in
            let store = t.store
            func rows(_ condition: String) async throws -> Int {
                try await t.integer("SELECT COUNT(*) FROM bank_snapshots WHERE \(condition)")
            }
            let a = try await BankRegistry.shared(store: store)
            try await a.change { set throws(BulwarkError) in ((), try set.create(Bank(name: "known"))) }
            _ = try await Self.add(9, to: "known", through: a)
            // Part 0 is stored after every other part: this trigger refuses it before.
            try await t.execute(
                """
                CREATE TRIGGER part_zero_last BEFORE INSERT ON bank_snapshots
                WHEN NEW.part = 0 AND (SELECT COUNT(*) FROM bank_snapshots WHERE seq = NEW.seq) < NEW.parts - 1
                BEGIN SELECT RAISE(ABORT, 'part 0 stored before the others'); END
                """)
            let ten = a.banks.snapshot(sequence: 10)
            #expect(try await store.saveBankSnapshot(sequence: 10, partBytes: 500, now: 1_000) { ten } == ten.count)
            #expect(try await rows("seq = 10") == (ten.count + 499) / 500)
            #expect(try await rows("seq = 10") > 3)

            // Another process's snapshot at 11, half written: parts 1 and 2 of 3, no part 0 (the
            // highest part is the one written last).
            _ = try await Self.add(1, to: "known", through: a)
            try await t.execute(
                "INSERT INTO bank_snapshots (seq, part, parts, bytes, at) VALUES (11, 1, 3, x'00', 1000), (11, 2, 3, x'00', 1010)")
            #expect(try await store.bankSnapshotSequence() == 10)
            #expect(try await store.latestBankSnapshot()?.sequence == 10)
            let b = try await BankRegistry.shared(store: store)
            #expect(b.loaded?.snapshotSequence == 10)
            #expect(b.loaded?.notes == [])
            #expect(b.loaded?.replayedEvents == 1)
            #expect(b.banks.entries == a.banks.entries)

            // Left to finish while a part of it was stored in the last 600 s; nothing is made.
            let eleven = a.banks.snapshot(sequence: 11)
            let made = try await store.saveBankSnapshot(sequence: 11, partBytes: 500, now: 1_010 + 599) {
                Issue.record("made while another process is storing one")
                return []
            }
            #expect(made == 0)
            #expect(try await rows("seq = 11") == 2)
            // After that, abandoned: its parts are deleted, this one stored, and the older one goes.
            #expect(try await store.saveBankSnapshot(sequence: 11, partBytes: 500, now: 1_010 + 600) { eleven } == eleven.count)
            #expect(try await rows("seq = 11") == (eleven.count + 499) / 500)
            #expect(try await rows("seq < 11") == 0)
            let stored = try #require(try await store.latestBankSnapshot())
            #expect(stored.sequence == 11)
            #expect(stored.bytes == eleven)
            let c = try await BankRegistry.shared(store: store)
            #expect(c.loaded?.snapshotSequence == 11)
            #expect(c.loaded?.replayedEvents == 0)
            #expect(c.banks.entries == a.banks.entries)
        }
    }

    /// A snapshot is made a part at a time as the store writes it, never whole: SQLite asks for a
    /// part once every part before it is stored (but part 0, made first and stored last), and
    /// neither store asks past the last. Parts that come to fewer or more bytes than were counted
    /// store nothing, and leave no row.
    @Test(arguments: Backend.allCases)
    func aSnapshotIsMadeAPartAtATimeAsItIsStored(_ backend: Backend) async throws {
        try await withTestStore(backend, "snapshotstream") { t in
            let store = t.store
            let a = try await BankRegistry.shared(store: store)
            try await a.change { set throws(BulwarkError) in ((), try set.create(Bank(name: "known"))) }
            _ = try await Self.add(9, to: "known", through: a)
            let ten = a.banks.snapshot(sequence: 10)
            let count = (ten.count + 499) / 500
            #expect(count > 3)
            @Sendable func part(_ i: Int) -> [UInt8] { Array(ten[(i * 500)..<min(ten.count, (i + 1) * 500)]) }
            // For each part asked for: the rows of the snapshot already stored (seen by SQLite's
            // other connections; PostgreSQL's transaction shows them to none).
            let asked = Mutex<[Int]>([])
            let stored = try await store.saveBankSnapshot(sequence: 10, now: 1, replacing: false) {
                BankSnapshotParts(byteCount: ten.count, partBytes: 500) {
                    let rows = try? await t.integer("SELECT COUNT(*) FROM bank_snapshots WHERE seq = 10")
                    let i = asked.withLock { asked in
                        asked.append(rows ?? -1)
                        return asked.count - 1
                    }
                    return i < count ? part(i) : nil
                }
            }
            #expect(stored == ten.count)
            let rowsWhenAsked = asked.withLock { $0 }
            #expect(rowsWhenAsked.count == count + 1, "each part, then the end")
            if backend == .sqlite {
                #expect(rowsWhenAsked == [0, 0] + Array(1..<count), "parts 1 ..< i stored when part i is asked for")
            }
            let read = try #require(try await store.latestBankSnapshot())
            #expect(read.sequence == 10 && read.parts == count)
            #expect(read.bytes == ten)

            // Fewer bytes than counted, or more: an error, and nothing of the snapshot stays.
            _ = try await Self.add(1, to: "known", through: a)
            let eleven = a.banks.snapshot(sequence: 11)
            for counted in [eleven.count + 1, eleven.count + 500, eleven.count - 1, eleven.count - 500] {
                await #expect(throws: BankSnapshotError.self, "\(counted) bytes counted, \(eleven.count) made") {
                    try await store.saveBankSnapshot(sequence: 11, now: 2, replacing: false) {
                        let whole = BankSnapshotParts(bytes: eleven, partBytes: 500)
                        return BankSnapshotParts(byteCount: counted, partBytes: 500) { await whole.next() }
                    }
                }
                #expect(try await t.integer("SELECT COUNT(*) FROM bank_snapshots WHERE seq = 11") == 0)
                #expect(try await store.latestBankSnapshot()?.sequence == 10)
            }
        }
    }

    /// A snapshot half written by a process of this machine that is gone is deleted by the next
    /// process that stores one at once; one whose process runs is left to finish.
    @Test func aSnapshotHalfWrittenByAProcessThatIsGoneIsDeletedAtOnce() async throws {
        try await withTestStore(.sqlite, "snapshotgone") { t in
            let store = t.store
            let a = try await BankRegistry.shared(store: store)
            try await a.change { set throws(BulwarkError) in ((), try set.create(Bank(name: "known"))) }
            _ = try await Self.add(9, to: "known", through: a)
            let ten = a.banks.snapshot(sequence: 10)
            #expect(try await store.saveBankSnapshot(sequence: 10, partBytes: 500, now: 1_000) { ten } == ten.count)
            #expect(try await t.integer("SELECT COUNT(*) FROM bank_snapshots WHERE writer LIKE '% \(getpid())'") > 3)
            // This machine's boot and namespace: the writer less its pid.
            try await t.execute(
                "CREATE TABLE ours AS SELECT rtrim(writer, '0123456789') AS prefix FROM bank_snapshots LIMIT 1")
            let ended = try BankLogPartsTests.pidOfAProcessThatEnded()

            // Parts 1 and 2 of 3 at 11, stored a second ago by this process's parent: left.
            _ = try await Self.add(1, to: "known", through: a)
            try await t.execute(
                """
                INSERT INTO bank_snapshots (seq, part, parts, bytes, at, writer) VALUES
                (11, 1, 3, x'00', 2000, (SELECT prefix FROM ours) || '\(getppid())'),
                (11, 2, 3, x'00', 2000, (SELECT prefix FROM ours) || '\(getppid())')
                """)
            let eleven = a.banks.snapshot(sequence: 11)
            #expect(try await store.saveBankSnapshot(sequence: 11, partBytes: 500, now: 2_001) { eleven } == 0)
            #expect(try await store.latestBankSnapshot()?.sequence == 10)
            // Stored by a process of another boot with a pid gone here: left too.
            try await t.execute("UPDATE bank_snapshots SET writer = 'another-boot pid:[1] \(ended)' WHERE seq = 11")
            #expect(try await store.saveBankSnapshot(sequence: 11, partBytes: 500, now: 2_001) { eleven } == 0)
            // Its last part stored by a process of this machine that is gone: deleted at once,
            // and this one stored.
            try await t.execute(
                "UPDATE bank_snapshots SET writer = (SELECT prefix FROM ours) || '\(ended)' WHERE seq = 11 AND part = 2")
            #expect(try await store.saveBankSnapshot(sequence: 11, partBytes: 500, now: 2_001) { eleven } == eleven.count)
            let stored = try #require(try await store.latestBankSnapshot())
            #expect(stored.sequence == 11)
            #expect(stored.bytes == eleven)
        }
    }
}
