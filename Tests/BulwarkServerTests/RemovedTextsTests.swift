import BulwarkCore
@testable import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import BulwarkText
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing

/// The server's index of removed texts: held compactly, read as the server starts, and
/// `/readyz` waiting for it.
struct RemovedTextsTests {
    /// Posts `text` as item `id`, reports it (which opens its case) and removes it; returns the
    /// case id.
    static func removal(_ client: some TestClientProtocol, _ keys: [Role: String], _ id: String, _ text: String) async throws -> Int {
        _ = try await call(client, keys, .post, "/v1/items", .ingest, CopiesTests.item(id, text))
        let (_, report) = try await call(
            client, keys, .post, "/v1/reports", .ingest,
            #"{"platform":"example","item_id":"\#(id)","reporter":"user-1","reason":"terrorism"}"#)
        let caseID = try #require(report["case_id"] as? Int, "\(report)")
        let (status, _) = try await call(
            client, keys, .post, "/v1/cases/\(caseID)/decisions", .reviewer, #"{"action":"remove","category":"recruitment"}"#)
        #expect(status == .created)
        return caseID
    }

    static func readiness(_ client: some TestClientProtocol) async throws -> (HTTPResponse.Status, String) {
        let r = try await client.execute(uri: "/readyz", method: .get)
        return (r.status, String(buffer: r.body))
    }

    /// The index holds a content key as its 128 bits: the same text the same key, another text
    /// another; anything but 32 hexadecimal digits is no key.
    @Test func aContentKeyIsHeldAsItsBits() throws {
        let normalizer = try ServerFixtures.engine.get().normalizer
        let text = CopiesTests.text
        let a = try #require(ContentKey.of(text, normalizer: normalizer))
        let b = try #require(ContentKey.of(text.uppercased(), normalizer: normalizer))
        let other = try #require(ContentKey.of(text + " and more", normalizer: normalizer))
        #expect(RemovedTexts.Key(a) == RemovedTexts.Key(b))
        #expect(RemovedTexts.Key(a) != RemovedTexts.Key(other))
        let key = try #require(RemovedTexts.Key("0123456789abcdef" + "FEDCBA9876543210"))
        #expect(key.high == 0x0123_4567_89ab_cdef && key.low == 0xfedc_ba98_7654_3210)
        for bad in ["", String(a.dropLast()), a + "0", "g" + a.dropFirst(), String(a.dropLast()) + " ", "é" + a.dropFirst(2)] {
            #expect(RemovedTexts.Key(bad) == nil, "\(bad)")
            #expect(bad.utf8.withContiguousStorageIfAvailable { ContentKeyBits(hex: UnsafeRawBufferPointer($0)) } == .some(nil))
        }
        // Read from raw bytes (as PostgreSQL's rows are) as from a String.
        #expect(Array(a.utf8).withUnsafeBytes { ContentKeyBits(hex: $0) } == RemovedTexts.Key(a))
        // Hashed by the low 64 bits: keys that differ only in the high ones share a hash, and a
        // table still tells them apart.
        let twin = ContentKeyBits(high: key.high ^ 1, low: key.low)
        #expect(twin._rawHashValue(seed: 7) == key._rawHashValue(seed: 7) && twin.hashValue == key.hashValue)
        #expect(ContentKeyBits(high: key.high, low: key.low ^ 1)._rawHashValue(seed: 7) != key._rawHashValue(seed: 7))
        let table = [key: 1, twin: 2]
        #expect(table.count == 2 && table[key] == 1 && table[twin] == 2)
    }

    /// Items 1, 2, … and their closed cases of the same ids, each case with its key (nil: none).
    static func closedCases(_ t: TestStore, keys: [String?]) async throws {
        for (i, key) in keys.enumerated() {
            let n = i + 1
            try await t.execute(
                """
                INSERT INTO items (id, platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)
                VALUES (\(n), 'p', 'i-\(n)', 'text \(n)', '[]', 1790000000, 'review', 0.5, 'en', '{}', 0)
                """)
            try await t.execute(
                """
                INSERT INTO cases (id, item_id, source, status, base_priority, created_at, updated_at, content_key)
                VALUES (\(n), \(n), 'engine', 'closed', 0.5, 1790000000, 1790000000, \(key.map { "'\($0)'" } ?? "NULL"))
                """)
        }
    }

    /// The index read in pages, each asked for while the one before is applied, is the index
    /// read in one query: every decision read once, the latest on each key standing, the ids
    /// passed over kept as gaps, decisions on cases without a key read and skipped.
    @Test(arguments: Backend.allCases)
    func anIndexReadInPagesIsTheIndexReadAtOnce(_ backend: Backend) async throws {
        try await withTestStore(backend, "removedpages") { t in
            let key = (1...5).map { String(repeating: "0", count: 31) + String($0) }
            try await Self.closedCases(t, keys: key + [nil])
            // (decision id, case, action): ids 4, 7 and 8 unused; case 1 removed then restored,
            // case 2 restored then removed; case 6 has no key.
            let decisions: [(Int, Int, String)] = [
                (1, 1, "remove"), (2, 2, "no_violation"), (3, 3, "remove"), (5, 1, "no_violation"),
                (6, 4, "remove"), (9, 5, "remove"), (10, 2, "remove"), (11, 6, "remove"),
            ]
            for (id, caseID, action) in decisions {
                let category = action == "remove" ? "'recruitment'" : "NULL"
                try await t.execute(
                    """
                    INSERT INTO decisions (id, case_id, reviewer, action, category, created_at)
                    VALUES (\(id), \(caseID), 'r', '\(action)', \(category), 1790000100)
                    """)
            }
            let asked = key + ["f" + String(repeating: "0", count: 31)]
            let expected: [RemovedText?] = [
                nil,
                RemovedText(caseID: 2, decisionID: 10, category: .recruitment),
                RemovedText(caseID: 3, decisionID: 3, category: .recruitment),
                RemovedText(caseID: 4, decisionID: 6, category: .recruitment),
                RemovedText(caseID: 5, decisionID: 9, category: .recruitment),
                nil,
            ]
            for page in [1, 2, 3, 8, 10_000] {
                let index = RemovedTexts(page: page)
                #expect(try await index.removals(asked, store: t.store, now: 1_790_000_200) == expected, "pages of \(page)")
                #expect(await index.decisionsRead == 8, "pages of \(page)")
                #expect(await index.gapCount == 2, "ids 4, and 7 to 8; pages of \(page)")
                #expect(await index.count == 5, "pages of \(page)")
            }
            // Read 300 s after those decisions were taken: the ids they passed over are holes of
            // long ago. SQLite (one writer, commits in id order) lets them go at once; PostgreSQL
            // keeps them until the next refresh finds no transaction under way at the read still
            // under way (none here), reading them once more.
            let later = RemovedTexts(page: 2)
            let then = 1_790_000_100 + RemovedTexts.gapSeconds
            #expect(try await later.removals(asked, store: t.store, now: then) == expected)
            #expect(await later.gapCount == (backend == .postgres ? 2 : 0))
            #expect(await later.decisionsRead == 8)
            // (Other tests write to the same server meanwhile, each in transactions of a few
            // milliseconds: a refresh may find one of them still under way.)
            #expect(try await Self.refreshUntilNoGaps(later, asked, store: t.store, from: then + RemovedTexts.refreshSeconds) == expected)
            #expect(await later.decisionsRead == 8)
        }
    }

    /// The entries of a first read, sorted, and those of later refreshes, merged into them as
    /// they grow: lookups see the latest decision on each key, a decision found in a gap replaces
    /// only an older one, and the index ends as one that reads everything at once.
    @Test(arguments: Backend.allCases)
    func laterDecisionsMergedIntoTheSortedEntriesAreTheIndexReadAtOnce(_ backend: Backend) async throws {
        try await withTestStore(backend, "removedmerge") { t in
            let key = (1...6).map { String(format: "%032x", 0x9e37_79b9 &* UInt64($0 * 7919)) }
            try await Self.closedCases(t, keys: key)
            func decide(_ id: Int, _ caseID: Int, _ action: String) async throws {
                let category = action == "remove" ? "'threat'" : "NULL"
                try await t.execute(
                    """
                    INSERT INTO decisions (id, case_id, reviewer, action, category, created_at)
                    VALUES (\(id), \(caseID), 'r', '\(action)', \(category), 1790000000)
                    """)
            }
            func removed(_ caseID: Int64, _ decisionID: Int64) -> RemovedText {
                RemovedText(caseID: caseID, decisionID: decisionID, category: .threat)
            }
            let index = RemovedTexts(page: 2, mergeAt: 2)
            var now: Int64 = 1_790_000_010
            func removals() async throws -> [RemovedText?] {
                now += RemovedTexts.refreshSeconds
                return try await index.removals(key, store: t.store, now: now)
            }
            try await decide(1, 1, "remove")
            try await decide(2, 2, "remove")
            #expect(try await removals() == [removed(1, 1), removed(2, 2), nil, nil, nil, nil])
            // Case 1 restored, cases 3 and 4 removed: merged once there are two recent entries.
            try await decide(3, 1, "no_violation")
            try await decide(4, 3, "remove")
            try await decide(5, 4, "remove")
            #expect(try await removals() == [nil, removed(2, 2), removed(3, 4), removed(4, 5), nil, nil])
            #expect(await index.count == 4)
            // Case 4 restored by decision 8, with ids 6 and 7 passed over; then 6 removes case 4
            // again (older than 8: it does not stand) and 7 removes case 5.
            try await decide(8, 4, "no_violation")
            #expect(try await removals() == [nil, removed(2, 2), removed(3, 4), nil, nil, nil])
            try await decide(6, 4, "remove")
            try await decide(7, 5, "remove")
            try await decide(9, 6, "remove")
            try await decide(10, 2, "no_violation")
            let expected = [nil, nil, removed(3, 4), nil, removed(5, 7), removed(6, 9)]
            #expect(try await removals() == expected)
            #expect(await index.count == 6)
            #expect(await index.decisionsRead == 10)
            let atOnce = RemovedTexts()
            #expect(try await atOnce.removals(key, store: t.store, now: now) == expected)
            #expect(await atOnce.count == 6)
        }
    }

    /// On PostgreSQL a decision whose transaction commits long after the decision numbered above
    /// it (more than `gapSeconds`: a transaction held up by a lock, or a slow client) is still
    /// read: the gap stays while a transaction under way when the gap was found is under way.
    /// One that rolls back leaves a gap that is let go once it has ended.
    @Test func aDecisionCommittedAfterGapSecondsIsReadOnPostgreSQL() async throws {
        try await withTestStore(.postgres, "removedlate") { t in
            let store = try #require(t.store as? PostgresStore)
            let key = (1...3).map { String(repeating: "a", count: 31) + String($0) }
            try await Self.closedCases(t, keys: key)
            func decide(_ caseID: Int, at time: Int64) -> PostgresQuery {
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO decisions (case_id, reviewer, action, category, created_at)
                        VALUES (\(caseID), 'r', 'remove', 'recruitment', \(time))
                        """)
            }
            func removed(_ caseID: Int64, _ decisionID: Int64) -> RemovedText {
                RemovedText(caseID: caseID, decisionID: decisionID, category: .recruitment)
            }
            let logger = TestPostgres.logger
            let start: Int64 = 1_790_000_000
            let index = RemovedTexts()
            // Case 1's decision takes id 1 in a transaction left open; case 2's takes id 2 and
            // commits; the index reads 2 and passes over 1.
            try await store.client.withConnection { held in
                _ = try await held.query("BEGIN", logger: logger)
                _ = try await held.query(decide(1, at: start), logger: logger)
                _ = try await store.client.query(decide(2, at: start + 1), logger: logger).collect()
                #expect(try await index.removals(key, store: store, now: start + 2) == [nil, removed(2, 2), nil])
                #expect(await index.gapCount == 1)
                // Long past gapSeconds, the transaction is still under way: the gap stays.
                for later in [start + 2 + RemovedTexts.gapSeconds, start + 3 + 2 * RemovedTexts.gapSeconds] {
                    #expect(try await index.removals(key, store: store, now: later) == [nil, removed(2, 2), nil])
                    #expect(await index.gapCount == 1, "\(later - start) s on")
                }
                // A gap that old is read every staleGapSeconds, not every second: the next refresh
                // leaves it, the one staleGapSeconds after the last read reads it again. (Asked
                // while the transaction is under way: once it has ended, a gap past gapSeconds is
                // read one last time by the next refresh, and then let go.)
                let lastRead = start + 3 + 2 * RemovedTexts.gapSeconds
                let gapsRead = await index.gapsRead
                #expect(try await index.removals(key, store: store, now: lastRead + 1) == [nil, removed(2, 2), nil])
                #expect(await index.gapsRead == gapsRead)
                #expect(
                    try await index.removals(key, store: store, now: lastRead + RemovedTexts.staleGapSeconds)
                        == [nil, removed(2, 2), nil])
                #expect(await index.gapsRead == gapsRead + 1)
                _ = try await held.query("COMMIT", logger: logger)
            }
            // Committed 600 s after decision 2: the next refresh due reads the gap and finds it.
            let committed = start + 3 + 2 * RemovedTexts.gapSeconds + 2 * RemovedTexts.staleGapSeconds
            #expect(try await index.removals(key, store: store, now: committed) == [removed(1, 1), removed(2, 2), nil])
            #expect(await index.gapCount == 0)
            #expect(await index.decisionsRead == 2)
            let afterRollback = committed + 4 + 2 * RemovedTexts.gapSeconds

            // Case 3's decision takes id 3 in a transaction that rolls back after 600 s; id 4
            // commits meanwhile. The gap stays while it is under way, and is let go after.
            try await store.client.withConnection { held in
                _ = try await held.query("BEGIN", logger: logger)
                _ = try await held.query(decide(3, at: committed), logger: logger)
                _ = try await store.client.query(decide(1, at: committed + 1), logger: logger).collect()
                #expect(try await index.removals(key, store: store, now: committed + 2)[0] == removed(1, 4))
                #expect(await index.gapCount == 1)
                #expect(try await index.removals(key, store: store, now: committed + 3 + 2 * RemovedTexts.gapSeconds)[2] == nil)
                #expect(await index.gapCount == 1)
                _ = try await held.query("ROLLBACK", logger: logger)
            }
            #expect(try await Self.refreshUntilNoGaps(index, key, store: store, from: afterRollback)[2] == nil)
            #expect(await index.decisionsRead == 3)
        }
    }

    /// Refreshes `index` a second of store time apart until it has no gaps (within 20 s of real
    /// time, then the test fails): the transactions under way on the test server must end first.
    static func refreshUntilNoGaps(_ index: RemovedTexts, _ keys: [String], store: any ModerationStore, from start: Int64)
        async throws -> [RemovedText?]
    {
        let deadline = ContinuousClock.now + .seconds(20)
        var now = start
        while true {
            let found = try await index.removals(keys, store: store, now: now)
            if await index.gapCount == 0 { return found }
            try #require(ContinuousClock.now < deadline, "gaps still kept after 20 s")
            try await Task.sleep(for: .milliseconds(50))
            now += RemovedTexts.refreshSeconds
        }
    }

    /// A decision committed after one numbered above it (PostgreSQL numbers a decision when it is
    /// inserted) is read by the next refresh, which reads only what is new and the ids it passed
    /// over, not the last decisions again; ids passed over are let go after `gapSeconds`.
    @Test(arguments: Backend.allCases)
    func aDecisionCommittedOutOfIdOrderIsReadAndARefreshReadsOnlyWhatIsNew(_ backend: Backend) async throws {
        try await withTestStore(backend, "removedgaps") { t in
            let store = t.store
            let keys = try await makeKeys(store, [.ingest, .reviewer])
            let (service, clock) = try clockedService(store, start: 1_790_000_000)
            let index = service.removedTexts
            try await Application(router: service.router()).test(.router) { client in
                func removal(_ id: String, _ text: String) async throws -> Int { try await Self.removal(client, keys, id, text) }
                let other = "A different post: the black banner rises, soldiers, come and fight for the state with us"
                let otherCase = try await removal("g-other", other)
                try await t.execute("UPDATE decisions SET id = 100 WHERE case_id = \(otherCase)")
                clock.set(1_790_000_001)
                _ = try await call(client, keys, .post, "/v1/items", .ingest, CopiesTests.item("g-probe-1", other + " again"))
                #expect(await index.decisionsRead == 1)
                #expect(await index.gapCount == 1, "ids 1 to 99 passed over")

                // Decided in the same second (no refresh), numbered inside the gap: as a
                // transaction that took its id before decision 100 and committed after it.
                let removed = try await removal("g-1", CopiesTests.text)
                try await t.execute("UPDATE decisions SET id = 50 WHERE case_id = \(removed)")
                clock.set(1_790_000_003)
                try await ContentKeyBackfillTests.laterCopyIsKnownContent(client, keys, removed: removed, id: "g-2")
                #expect(await index.decisionsRead == 2, "decision 50, from the gap; nothing read again")
                #expect(await index.gapCount == 2, "ids 1 to 49 and 51 to 99")
                clock.set(1_790_000_005)
                _ = try await call(client, keys, .post, "/v1/items", .ingest, CopiesTests.item("g-probe-2", other + " once more"))
                #expect(await index.decisionsRead == 2, "a refresh with nothing new reads nothing")

                clock.set(1_790_000_001 + RemovedTexts.gapSeconds)
                _ = try await call(client, keys, .post, "/v1/items", .ingest, CopiesTests.item("g-probe-3", other + " and again"))
                switch backend {
                case .sqlite: #expect(await index.gapCount == 0, "let go after gapSeconds")
                case .postgres:
                    // Let go after gapSeconds once the transactions under way when they were
                    // found have ended (other tests' among them, on the same server).
                    _ = try await Self.refreshUntilNoGaps(index, [], store: store, from: 1_790_000_002 + RemovedTexts.gapSeconds)
                }
            }
        }
    }

    /// A process reads the index as it starts, without an ingest request; `/readyz` answers 503
    /// until then. Routes alone (no warm-up) stay not ready until a request reads the index.
    @Test(arguments: Backend.allCases)
    func theIndexIsReadAsTheServerStartsAndReadinessWaitsForIt(_ backend: Backend) async throws {
        try await withTestStore(backend, "removedtexts") { t in
            let store = t.store
            let keys = try await makeKeys(store, [.ingest, .reviewer])
            let (first, _) = try clockedService(store, start: 1_790_000_000)
            let removed = try await first.application(logger: Logger(label: "test")).test(.router) { client -> Int in
                try await Self.removal(client, keys, "r-1", CopiesTests.text)
            }

            // The routes alone: not ready until an ingest request has read the index.
            let (second, _) = try clockedService(store, start: 1_790_000_100)
            try await Application(router: second.router()).test(.router) { client in
                let (status, body) = try await Self.readiness(client)
                #expect(status == .serviceUnavailable)
                #expect(body == "not ready: reading the index of removed texts\n")
                try await ContentKeyBackfillTests.laterCopyIsKnownContent(client, keys, removed: removed, id: "r-2")
                #expect(try await Self.readiness(client) == (.ok, "ready\n"))
            }

            // The application: ready without a request, the index read.
            let (third, _) = try clockedService(store, start: 1_790_000_200)
            try await third.application(logger: Logger(label: "test")).test(.live) { client in
                var (status, _) = try await Self.readiness(client)
                for _ in 0..<200 where status != .ok {
                    try await Task.sleep(for: .milliseconds(50))
                    (status, _) = try await Self.readiness(client)
                }
                #expect(status == .ok)
                #expect(await third.removedTexts.loads == 1)
                #expect(await third.removedTexts.count == 1, "one text decided")
                try await ContentKeyBackfillTests.laterCopyIsKnownContent(client, keys, removed: removed, id: "r-3")
            }
        }
    }
}
