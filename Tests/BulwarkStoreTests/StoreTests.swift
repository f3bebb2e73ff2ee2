import BulwarkCore
import BulwarkStore
import BulwarkTestSupport
import Foundation
import Testing

func scanned(_ id: String, decision: Decision = .review, priority: Double? = 50, reach: Int? = nil) -> ScannedItem {
    ScannedItem(
        item: NewItem(platform: "p", externalID: id, text: "text of \(id)", containerID: "c", containerReach: reach),
        decision: decision, score: 0.7, category: .recruitment, context: nil, language: "en",
        verdictJSON: #"{"id":"\#(id)"}"#, casePriority: decision == .none ? nil : priority)
}

/// The storage contract, run against SQLite and PostgreSQL alike.
struct StoreTests {
    @Test(arguments: Backend.allCases) func ingestIsIdempotentAndOpensCasesInPriorityOrder(_ backend: Backend) async throws {
        try await withTestStore(backend, "ingest") { t in
            let store = t.store
            let first = try await store.ingest([scanned("a", priority: 10), scanned("b", priority: 90), scanned("c", decision: .none)], now: 100)
            #expect(first.map(\.created) == [true, true, true])
            #expect(first[2].caseID == nil)
            let again = try await store.ingest([scanned("a", priority: 99)], now: 200)
            #expect(again.first?.created == false)
            #expect(again.first?.itemID == first[0].itemID)
            #expect(again.first?.caseID == first[0].caseID)
            #expect(try await store.itemCount() == 3)
            let queue = try await store.cases(CaseFilter(), now: 100)
            #expect(queue.map(\.itemID) == [first[1].itemID, first[0].itemID])
            // Waiting raises priority, for six hours at most: an old low case (10 + 36) passes a
            // new one of 30, never a new one of 60.
            let now: Int64 = 100 + 600 * 100
            let later = try await store.ingest([scanned("d", priority: 30), scanned("e", priority: 60)], now: now)
            let reordered = try await store.cases(CaseFilter(), now: now)
            #expect(reordered.map(\.itemID) == [first[1].itemID, later[1].itemID, first[0].itemID, later[0].itemID])
            // Once all have waited six hours, base priority alone orders them, and more waiting
            // changes nothing.
            let muchLater = try await store.cases(CaseFilter(), now: now + 1_000_000)
            #expect(muchLater.map(\.itemID) == [first[1].itemID, later[1].itemID, later[0].itemID, first[0].itemID])
            #expect(abs((muchLater.first?.priority ?? 0) - (reordered.first?.priority ?? 0)) < 1e-6)
            #expect(try await store.cases(CaseFilter(category: .threat), now: 1).isEmpty)
        }
    }

    /// The queue's page is the first cases by priority (base plus waiting, capped) and then id,
    /// among many whose order waiting changes, with and without a filter; its counts are over
    /// every open, claimed or escalated case, whatever their statuses.
    @Test(arguments: Backend.allCases) func theQueuesPageIsTheFirstCasesByPriorityAmongMany(_ backend: Backend) async throws {
        try await withTestStore(backend, "queue-page") { t in
            let store = t.store
            // 240 cases of items opened over 12 hours, base priorities 20-79 (ties among them), in
            // two languages; one in ten claimed, one in twenty decided.
            var items: [ScannedItem] = []
            for i in 0..<240 {
                var item = scanned("q\(i)", priority: Double(20 + (i * 37) % 60))
                item.language = i % 3 == 0 ? "ar" : "en"
                item.item.containerID = nil  // no container, so no case of its own
                items.append(item)
            }
            var opened: [(caseID: Int64, at: Int64, language: String)] = []
            for (i, item) in items.enumerated() {
                let at = Int64(1_000 + i * 180)
                let result = try #require(try await store.ingest([item], now: at).first)
                opened.append((try #require(result.caseID), at, item.language))
            }
            for (i, c) in opened.enumerated() where i % 10 == 5 {
                #expect(try await store.claim(caseID: c.caseID, reviewer: "r", until: 10_000_000, now: c.at) == .claimed(until: 10_000_000))
            }
            var decided: Set<Int64> = []
            for (i, c) in opened.enumerated() where i % 20 == 7 {
                let outcome = try await store.decide(
                    caseID: c.caseID, reviewer: "r", decision: NewDecision(action: .noViolation), webhookBody: { _, _ in nil }, now: c.at + 1)
                guard case .decided = outcome else {
                    Issue.record("case \(c.caseID): \(outcome)")
                    return
                }
                decided.insert(c.caseID)
            }
            let now = opened.last!.at
            // Each case's base priority and opening as the store holds them, one case at a time.
            var held: [(id: Int64, base: Double, at: Int64, language: String?)] = []
            for c in opened where !decided.contains(c.caseID) {
                let record = try #require(try await store.caseDetail(id: c.caseID, now: now)).record
                held.append((record.id, record.basePriority, record.createdAt, record.language))
            }
            #expect(held.map(\.at) == opened.filter { !decided.contains($0.caseID) }.map(\.at))
            func expected(_ language: String?, _ limit: Int) -> [Int64] {
                held.filter { language == nil || $0.language == language }
                    .map { (id: $0.id, priority: $0.base + min(ReviewPriority.maxWaitingPoints, Double(now - $0.at) * ReviewPriority.waitingWeight)) }
                    .sorted { ($0.priority, -$0.id) > ($1.priority, -$1.id) }
                    .prefix(limit).map(\.id)
            }
            for (language, limit) in [(nil, 50), (nil, 500), ("ar", 20)] as [(String?, Int)] {
                let page = try await store.cases(CaseFilter(language: language, limit: limit), now: now)
                #expect(page.map(\.id) == expected(language, limit), "language \(language ?? "any"), limit \(limit)")
            }
            let counts = try await store.queueCounts()
            #expect(counts.total == 240 - decided.count)
            #expect(counts.languages.first { $0.name == "ar" }?.count == opened.filter { !decided.contains($0.caseID) && $0.language == "ar" }.count)
        }
    }

    /// What `/readyz` asks on every probe: the items table answers, without being counted.
    @Test(arguments: Backend.allCases) func aPingReadsTheItemsTableAndFailsWithoutIt(_ backend: Backend) async throws {
        try await withTestStore(backend, "ping-unmigrated", migrate: false) { t in
            await #expect(throws: (any Error).self) { try await t.store.ping() }
            try await t.store.migrate()
            try await t.store.ping()
            _ = try await t.store.ingest([scanned("a")], now: 1)
            try await t.store.ping()
            try await t.execute("ALTER TABLE items RENAME TO items_elsewhere")
            await #expect(throws: (any Error).self) { try await t.store.ping() }
        }
    }

    /// A server's index of removed texts asks again about up to a thousand ranges of ids it
    /// passed over (``RemovedTexts``); more than SQLite takes in one expression, so they are
    /// asked in several statements, and the decisions come back once each, in id order.
    @Test(arguments: Backend.allCases) func keyedDecisionsAreFoundInMoreRangesThanOneStatementTakes(_ backend: Backend) async throws {
        try await withTestStore(backend, "ranges") { t in
            let n = 1_500
            let items = (1...n).map { "(\($0), 'p', 'i-\($0)', 't', '[]', 1, 'review', 0.5, 'en', '{}', 0)" }
            try await t.execute(
                "INSERT INTO items (id, platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count) VALUES "
                    + items.joined(separator: ", "))
            // Every third case has no key.
            let cases = (1...n).map { i in
                "(\(i), \(i), 'engine', 'closed', 0.5, 1, 1, \(i % 3 == 0 ? "NULL" : "'" + String(format: "%032x", i) + "'"))"
            }
            try await t.execute(
                "INSERT INTO cases (id, item_id, source, status, base_priority, created_at, updated_at, content_key) VALUES "
                    + cases.joined(separator: ", "))
            // Decision 2i on case i.
            let decisions = (1...n).map { "(\(2 * $0), \($0), 'r', 'remove', 'recruitment', 2)" }
            try await t.execute(
                "INSERT INTO decisions (id, case_id, reviewer, action, category, created_at) VALUES " + decisions.joined(separator: ", "))
            // A range for each decision id, and one for each odd id between (none there), in an
            // order of their own.
            let ranges = (1...2 * n).map { Int64($0)...Int64($0) }.reversed().map { $0 }
            let found = try await t.store.contentKeyDecisions(inRanges: ranges)
            let keyed = (1...n).filter { $0 % 3 != 0 }
            #expect(found.map(\.decisionID) == keyed.map { Int64(2 * $0) })
            #expect(found.map(\.caseID) == keyed.map(Int64.init))
            #expect(found.allSatisfy { $0.contentKey != nil && $0.action == "remove" && $0.category == .recruitment })
            #expect(try await t.store.contentKeyDecisions(inRanges: [4...10, 300...304]).map(\.decisionID) == [4, 8, 10, 302, 304])
        }
    }

    @Test(arguments: Backend.allCases) func aMixedBatchStoresEachKeyOnceAndKeepsEveryField(_ backend: Backend) async throws {
        try await withTestStore(backend, "batch") { t in
            let store = t.store
            let before = try await store.ingest([scanned("old", priority: 20)], now: 1)
            var full = scanned("full", priority: 30, reach: 32_000)
            full.item.text = "نص \"مقتبس\"\n\\ and \u{1F600} tab\t"
            full.item.type = "post"
            full.item.langHint = "ar"
            full.item.urls = ["https://example.org/a?b=\"c\""]
            full.item.author = "u-1"
            full.item.containerTitle = "Room «x»"
            full.item.postedAt = 1_700_000_000
            full.score = 0.125e-3
            full.context = "news"
            let batch = [scanned("new", decision: .none), full, scanned("old", priority: 99), scanned("new", priority: 70)]
            let out = try await store.ingest(batch, now: 5)
            #expect(out.map(\.created) == [true, true, false, false])
            #expect(out[2].itemID == before[0].itemID && out[2].caseID == before[0].caseID)
            #expect(out[3].itemID == out[0].itemID && out[3].caseID == nil)
            #expect(out[0].caseID == nil && out[1].caseID != nil)
            #expect(try await store.itemCount() == 3)
            let stored = try #require(try await store.item(platform: "p", externalID: "full"))
            #expect(stored.text == full.item.text)
            #expect(stored.type == "post" && stored.author == "u-1")
            #expect(stored.containerTitle == "Room «x»" && stored.containerReach == 32_000)
            #expect(stored.postedAt == 1_700_000_000 && stored.receivedAt == 5)
            #expect(stored.score == 0.125e-3 && stored.verdictJSON == full.verdictJSON)
            let plain = try #require(try await store.item(platform: "p", externalID: "new"))
            #expect(plain.type == nil && plain.author == nil && plain.postedAt == nil && plain.containerTitle == nil)
        }
    }

    @Test(arguments: Backend.allCases) func claimsLockACaseToOneReviewerUntilTheyExpire(_ backend: Backend) async throws {
        try await withTestStore(backend, "claim") { t in
            let store = t.store
            let caseID = try #require(try await store.ingest([scanned("a")], now: 1).first?.caseID)
            #expect(try await store.claim(caseID: caseID, reviewer: "ana", until: 100, now: 10) == .claimed(until: 100))
            #expect(try await store.claim(caseID: caseID, reviewer: "ben", until: 200, now: 20) == .heldBy("ana", until: 100))
            let blocked = try await store.decide(caseID: caseID, reviewer: "ben", decision: NewDecision(action: .noViolation), webhookBody: { _, _ in nil }, now: 30)
            #expect(blocked == .heldBy("ana"))
            #expect(try await store.claim(caseID: caseID, reviewer: "ben", until: 300, now: 101) == .claimed(until: 300))
            let decided = try await store.decide(
                caseID: caseID, reviewer: "ben", decision: NewDecision(action: .remove, category: .recruitment),
                webhookBody: { d, item in "{\"decision\":\(d.id),\"item\":\"\(item.externalID)\"}" }, now: 150)
            guard case .decided(let record, let deliveryID) = decided else {
                Issue.record("not decided: \(decided)")
                return
            }
            #expect(record.action == .remove)
            #expect(deliveryID != nil)
            #expect(try await store.claim(caseID: caseID, reviewer: "ana", until: 400, now: 160) == .closed)
            #expect(try await store.claim(caseID: 999, reviewer: "ana", until: 400, now: 160) == .notFound)
            let detail = try #require(try await store.caseDetail(id: caseID, now: 200))
            #expect(detail.record.status == .decided)
            #expect(detail.decisions.map(\.reviewer) == ["ben"])
        }
    }

    @Test(arguments: Backend.allCases) func reportsMergeRaisePriorityAndOpenCases(_ backend: Backend) async throws {
        try await withTestStore(backend, "reports") { t in
            let store = t.store
            let items = try await store.ingest([scanned("quiet", decision: .none), scanned("flagged", priority: 40)], now: 1)
            let r1 = try await store.report(itemID: items[0].itemID, reporter: "u1", trusted: false, reason: "terrorism", text: nil, basePriority: 20, now: 5)
            #expect(!r1.duplicate)
            let caseID = try #require(r1.report.caseID)
            let again = try await store.report(itemID: items[0].itemID, reporter: "u1", trusted: false, reason: "terrorism", text: "again", basePriority: 20, now: 6)
            #expect(again.duplicate && again.report.id == r1.report.id)
            _ = try await store.report(itemID: items[0].itemID, reporter: "tf", trusted: true, reason: "terrorism", text: nil, basePriority: 20, now: 7)
            let detail = try #require(try await store.caseDetail(id: caseID, now: 7))
            #expect(detail.record.source == .userReport)
            #expect(detail.record.userReports == 1 && detail.record.trustedReports == 1)
            #expect(detail.record.basePriority == 45)
            #expect(detail.reports.count == 2)
            // A report on an item with a proactive case raises that case (whose base is 40 plus the
            // entity part of its container's risk).
            let opened = try #require(try await store.caseDetail(id: items[1].caseID!, now: 8))
            let risk = try #require(opened.entity).risk
            #expect(risk > 0 && abs(opened.record.basePriority - (40 + ReviewPriority.entityRiskWeight * risk)) < 1e-9)
            _ = try await store.report(itemID: items[1].itemID, reporter: "u2", trusted: false, reason: "x", text: nil, basePriority: 0, now: 8)
            let proactive = try #require(try await store.caseDetail(id: items[1].caseID!, now: 8))
            #expect(proactive.record.basePriority == opened.record.basePriority + 8 && proactive.record.source == .proactive)
        }
    }

    @Test(arguments: Backend.allCases) func deliveriesAreLeasedRetriedAndDeadLettered(_ backend: Backend) async throws {
        try await withTestStore(backend, "deliveries") { t in
            let store = t.store
            let caseID = try #require(try await store.ingest([scanned("a")], now: 1).first?.caseID)
            _ = try await store.decide(caseID: caseID, reviewer: "r", decision: NewDecision(action: .remove, category: .recruitment), webhookBody: { _, _ in "{}" }, now: 2)
            let claimed = try await store.claimDeliveries(owner: "w1", now: 10, lease: 30, limit: 10)
            #expect(claimed.count == 1)
            // Leased: another worker gets nothing until the lease expires.
            #expect(try await store.claimDeliveries(owner: "w2", now: 20, lease: 30, limit: 10).isEmpty)
            #expect(try await store.claimDeliveries(owner: "w2", now: 41, lease: 30, limit: 10).count == 1)
            try await store.deliveryFailed(id: claimed[0].id, error: "HTTP 500", nextAttemptAt: 100, now: 42)
            #expect(try await store.claimDeliveries(owner: "w1", now: 50, lease: 30, limit: 10).isEmpty)
            let retry = try await store.claimDeliveries(owner: "w1", now: 100, lease: 30, limit: 10)
            #expect(retry.first?.attempts == 1)
            try await store.deliveryFailed(id: claimed[0].id, error: "timeout", nextAttemptAt: nil, now: 101)
            #expect(try await store.deliveries(status: "dead").count == 1)
            #expect(try await store.claimDeliveries(owner: "w1", now: 10_000, lease: 30, limit: 10).isEmpty)
            #expect(try await store.redeliver(deliveryID: claimed[0].deliveryID, now: 200))
            let again = try await store.claimDeliveries(owner: "w1", now: 200, lease: 30, limit: 10)
            #expect(again.first?.deliveryID == claimed[0].deliveryID)
            try await store.deliverySucceeded(id: again[0].id, now: 201)
            #expect(try await store.deliveries(status: "delivered").first?.attempts == 3)
            #expect(try await store.redeliver(deliveryID: "nope", now: 1) == false)
        }
    }

    /// A job's attempt counts when its worker starts it, which renews its lease: an attempt that
    /// ended its worker (the lease ran out) is counted, a job that only waited in a batch is not,
    /// a start by a worker that lost the job fails, and a job handed back at shutdown gets its
    /// attempt back.
    @Test(arguments: Backend.allCases) func jobAttemptsCountWhenStartedAndNotWhileTheyWait(_ backend: Backend) async throws {
        try await withTestStore(backend, "job-attempts") { t in
            let store = t.store
            #expect(try await store.enqueueRetroHunt(firstEntryID: 5, now: 100))
            #expect(try await store.enqueueRetroHunt(firstEntryID: 3, now: 100))
            let batch = try await store.claimJobs(owner: "w1", now: 100, lease: 10, limit: 10)
            #expect(batch.map(\.attempts) == [0, 0])
            let (first, second) = (batch[0].id, batch[1].id)
            // w1 starts the first: counted, its lease renewed to 120. Only w1 can start it.
            #expect(try await store.startJob(jobID: first, owner: "w1", until: 120) == StartedJob(mediaBytes: nil))
            #expect(try await store.startJob(jobID: first, owner: "w2", until: 120) == nil)
            func attempts(_ id: Int64) async throws -> Int { try await t.integer("SELECT attempts FROM jobs WHERE id = \(id)") }
            #expect(try await attempts(first) == 1)
            #expect(try await attempts(second) == 0)

            // w1 dies. At 115 the second's lease (110) has run out, the first's (120) has not:
            // w2 takes the second, which was never started, and w1 can no longer start it.
            let taken = try await store.claimJobs(owner: "w2", now: 115, lease: 10, limit: 10)
            #expect(taken.map(\.id) == [second])
            #expect(taken.map(\.attempts) == [0])
            #expect(try await store.startJob(jobID: second, owner: "w1", until: 130) == nil)
            #expect(try await attempts(second) == 0)
            try await store.finishJob(jobID: second, now: 2_000)
            #expect(try await attempts(second) == 0)

            // At 125 w3 takes the first up: one attempt started and never ended.
            let again = try await store.claimJobs(owner: "w3", now: 125, lease: 10, limit: 10)
            #expect(again.map(\.id) == [first])
            #expect(again.map(\.attempts) == [1])
            #expect(try await store.startJob(jobID: first, owner: "w3", until: 135) == StartedJob(mediaBytes: nil))
            #expect(try await attempts(first) == 2)
            // w3 shuts down and hands it back: the attempt is taken back.
            #expect(try await store.releaseJob(jobID: first, owner: "w3", started: true))
            #expect(try await store.releaseJob(jobID: first, owner: "w3", started: true) == false)
            #expect(try await attempts(first) == 1)
            // w4 starts it and it fails, to be tried again at 140: counted once, not twice.
            let fourth = try await store.claimJobs(owner: "w4", now: 126, lease: 10, limit: 10)
            #expect(fourth.map(\.attempts) == [1])
            #expect(try await store.startJob(jobID: first, owner: "w4", until: 136) == StartedJob(mediaBytes: nil))
            try await store.failJob(jobID: first, error: "timeout", retryAt: 140, now: 127)
            #expect(try await attempts(first) == 2)
            #expect(try await store.claimJobs(owner: "w5", now: 139, lease: 10, limit: 10).isEmpty)
            #expect(try await store.claimJobs(owner: "w5", now: 140, lease: 10, limit: 10).map(\.attempts) == [2])
            #expect(try await store.startJob(jobID: first, owner: "w5", until: 150) == StartedJob(mediaBytes: nil))
            try await store.finishJob(jobID: first, now: 2_000)
            #expect(try await attempts(first) == 3)
            #expect(try await store.pendingJobCount() == 0)
        }
    }

    @Test(arguments: Backend.allCases) func theAuditChainDetectsEditsInsertionsAndDeletions(_ backend: Backend) async throws {
        try await withTestStore(backend, "audit") { t in
            let store = t.store
            for i in 0..<5 { try await store.appendAudit(actor: "a", action: "x", subject: "s\(i)", detail: "{}", now: Int64(i)) }
            #expect(try await store.verifyAudit().brokenAt == nil)
            #expect(try await store.verifyAudit().checked == 5)
            // An edit.
            try await t.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
            var result = try await store.verifyAudit()
            #expect(result.brokenAt == 3)
            try await t.execute("UPDATE audit_log SET actor = 'a' WHERE seq = 3")
            #expect(try await store.verifyAudit().brokenAt == nil)
            // A deletion in the middle, then at the end.
            try await t.execute("DELETE FROM audit_log WHERE seq = 2")
            result = try await store.verifyAudit()
            #expect(result.brokenAt == 3)
        }
        try await withTestStore(backend, "audit-tail") { t in
            let fresh = t.store
            for i in 0..<4 { try await fresh.appendAudit(actor: "a", action: "x", subject: "s\(i)", detail: "{}", now: Int64(i)) }
            try await t.execute("DELETE FROM audit_log WHERE seq = 4")
            #expect(try await fresh.verifyAudit().brokenAt == 4)
        }
    }

    @Test(arguments: Backend.allCases) func keysAreStoredHashedAndRevocable(_ backend: Backend) async throws {
        try await withTestStore(backend, "keys") { t in
            let store = t.store
            let record = try await store.createKey(name: "platform", role: .ingest, prefix: "bwk_123456", hash: "h1", now: 1)
            #expect(try await store.key(hash: "h1")?.role == .ingest)
            #expect(try await store.key(hash: "h2") == nil)
            #expect(try await store.revokeKey(id: record.id, actor: "admin", now: 2))
            #expect(try await store.revokeKey(id: record.id, actor: "admin", now: 3) == false)
            #expect(try await store.key(hash: "h1")?.revokedAt == 2)
            // The hash is stored, not the key.
            let columns = try await t.columns("api_keys")
            #expect(columns.contains("hash") && !columns.contains("key"))
        }
    }

    @Test(arguments: Backend.allCases) func concurrentAuditAppendsFormOneStrictChain(_ backend: Backend) async throws {
        try await withTestStore(backend, "audit-concurrent") { t in
            let store = t.store
            // Key and setting changes write audit entries too, inside their own transactions.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        switch i % 4 {
                        case 0: _ = try await store.createKey(name: "k\(i)", role: .reviewer, prefix: "p\(i)", hash: "h\(i)", now: Int64(i))
                        case 1: try await store.setSetting("s\(i)", "v", actor: "a", now: Int64(i))
                        default: try await store.appendAudit(actor: "a", action: "x", subject: "s\(i)", detail: "{}", now: Int64(i))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let result = try await store.verifyAudit()
            #expect(result.brokenAt == nil, "\(result.reason ?? "")")
            #expect(result.checked == 40)
        }
    }

    @Test(arguments: Backend.allCases) func concurrentWorkersClaimDisjointDeliveries(_ backend: Backend) async throws {
        try await withTestStore(backend, "claims-concurrent") { t in
            let store = t.store
            let outcomes = try await store.ingest((0..<24).map { scanned("i\($0)") }, now: 1)
            for outcome in outcomes {
                let caseID = try #require(outcome.caseID)
                _ = try await store.decide(
                    caseID: caseID, reviewer: "r", decision: NewDecision(action: .remove), webhookBody: { _, _ in "{}" }, now: 2)
            }
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await store.claimDeliveries(owner: "w\(worker)", now: 10, lease: 60, limit: 5)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                var all: [Int64] = []
                for try await ids in group { all += ids }
                return all
            }
            // Every delivery went to exactly one worker.
            #expect(claimed.count == 24)
            #expect(Set(claimed).count == 24)
        }
    }

    /// More migrations at once than Swift's cooperative pool has threads, with reads among them:
    /// each migration waits for the readers without holding a thread the reads need. (GRDB's
    /// synchronous `migrate` held one, and the whole test process hung, its time limits
    /// included: they run on that pool too. A watchdog on a thread of its own ends it instead,
    /// after 600 s: in a full parallel run on two cores, other tests' long synchronous work can
    /// hold both of the pool's threads for over a minute, which is not a hang.)
    @Test(arguments: Backend.allCases) func migrationIsIdempotentWhenSeveralStartAtOnce(_ backend: Backend) async throws {
        let finished = DispatchSemaphore(value: 0)
        defer { finished.signal() }
        Thread.detachNewThread {
            if finished.wait(timeout: .now() + 600) == .timedOut {
                fatalError("migrationIsIdempotentWhenSeveralStartAtOnce(\(backend)): the migrations at once hung for 600 s")
            }
        }
        try await withTestStore(backend, "migrate", migrate: false) { t in
            let store = t.store
            let atOnce = max(3, ProcessInfo.processInfo.activeProcessorCount + 2)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<atOnce {
                    group.addTask { try await store.migrate() }
                    group.addTask { _ = try await t.integer("SELECT 1") }
                }
                try await group.waitForAll()
            }
            try await store.migrate()
            #expect(try await store.ingest([scanned("a")], now: 1).first?.created == true)
            #expect(try await t.columns("items").contains("external_id"))
        }
    }

    /// A database a newer bulwark upgraded (a version this one does not know) is refused, said,
    /// and left as it was.
    @Test(arguments: Backend.allCases) func aSchemaFromANewerVersionIsRefused(_ backend: Backend) async throws {
        try await withTestStore(backend, "newer") { t in
            try await t.execute(
                backend == .sqlite
                    ? "INSERT INTO grdb_migrations (identifier) VALUES ('v99')"
                    : "INSERT INTO schema_migrations (version, applied_at) VALUES ('v99', 1)")
            let error = await #expect(throws: SchemaTooNew.self) { try await t.store.migrate() }
            #expect(error?.versions == ["v99"])
            #expect(error?.description.contains("(v99): a newer bulwark upgraded it") == true, "\(String(describing: error))")
            #expect(try await t.store.ingest([scanned("a")], now: 1).first?.created == true, "the data is untouched")
        }
    }
}

struct PostgresURLTests {
    @Test func parsesTheURL() throws {
        let url = try PostgresURL("postgres://bul%40wark:p%3Ass@db.example:6543/moderation?sslmode=require")
        #expect(url.username == "bul@wark" && url.password == "p:ss")
        #expect(url.host == "db.example" && url.port == 6543 && url.database == "moderation" && url.tls == .require)
        #expect(!url.description.contains("p:ss"))
        let short = try PostgresURL("postgresql://me@localhost")
        #expect(short.port == 5432 && short.database == "me" && short.tls == .prefer && short.password == nil)
        #expect(throws: PostgresStoreError.self) { try PostgresURL("mysql://me@localhost/db") }
        #expect(throws: PostgresStoreError.self) { try PostgresURL("postgres://localhost/db") }
        #expect(throws: PostgresStoreError.self) { try PostgresURL("postgres://me@localhost/db?sslmode=sometimes") }
    }

    @Test func anUnreachableServerIsAClearError() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let url = try PostgresURL("postgres://bulwark:bulwark@127.0.0.1:1/bulwark_test?sslmode=disable")
        let error = await #expect(throws: PostgresStoreError.self) {
            try await PostgresStore.withStore(url, logger: TestPostgres.logger) { _ in }
        }
        #expect(error?.code == .unreachable)
        #expect(error?.description.contains("127.0.0.1:1") == true)
    }
}
