import BulwarkCore
import BulwarkEntities
import BulwarkStore
import BulwarkTestSupport
import Foundation
import Testing

/// A post in a container, by its own author (so only the container gathers risk).
func post(
    _ id: String, container: String = "room-1", decision: Decision = .violating, at time: Int64, reach: Int? = 32_000,
    kind: EntityKind? = nil, author: String? = nil, type: String? = "post", text: String? = nil
) -> ScannedItem {
    ScannedItem(
        item: NewItem(
            platform: "p", externalID: id, type: type, text: text ?? "text of \(id)", author: author ?? "u-\(id)",
            containerID: container, containerTitle: nil, containerKind: kind, containerReach: reach, postedAt: time),
        decision: decision, score: decision == .violating ? 0.9 : 0.1, category: decision == .none ? nil : .recruitment,
        context: nil, language: "en", verdictJSON: #"{"id":"\#(id)"}"#, casePriority: decision == .none ? nil : 50)
}

/// Entities in the store, run against SQLite and PostgreSQL alike.
struct EntityStoreTests {
    static let day: Int64 = 86_400

    @Test(arguments: Backend.allCases) func ingestKeepsEntitySignalsAndRiskCurrentAndOpensAnEntityCase(
        _ backend: Backend
    ) async throws {
        try await withTestStore(backend, "entities") { t in
            let store = t.store
            // Two violating posts: the room is not yet a case.
            let first = try await store.ingest(
                [post("a", at: 0, kind: .channel), post("b", at: Self.day / 2)], now: Self.day / 2)
            let roomID = try #require(first[0].containerEntityID)
            #expect(first[1].containerEntityID == roomID)
            #expect(first[0].authorEntityID != nil && first[0].authorEntityID != first[1].authorEntityID)
            var room = try #require(try await store.entity(id: roomID))
            #expect(room.kind == .channel && room.externalID == "room-1" && room.itemCount == 2)
            #expect(room.signals.violating == 2 && room.signals.reach == 32_000)
            #expect(abs(room.risk - EntityRisk.score(room.signals, at: Self.day / 2)) < 1e-9)
            #expect(room.risk > 0 && room.risk < EntityRisk.caseThreshold)
            #expect(try await store.cases(CaseFilter(), now: Self.day).allSatisfy { $0.entityID == nil })
            // An item case carries the entity part of its container's risk.
            let itemCaseID = try #require(first[1].caseID)
            let itemCase = try #require(try await store.caseDetail(id: itemCaseID, now: Self.day))
            #expect(abs(itemCase.record.basePriority - (50 + ReviewPriority.entityRiskWeight * room.risk)) < 1e-6)

            // A third and fourth: the risk passes the threshold, an entity case opens, once.
            _ = try await store.ingest([post("c", at: Self.day)], now: Self.day)
            _ = try await store.ingest([post("d", at: Self.day + 10), post("e", decision: .none, at: Self.day + 20)], now: Self.day + 20)
            room = try #require(try await store.entity(id: roomID))
            #expect(room.risk >= EntityRisk.caseThreshold)
            #expect(room.itemCount == 5 && room.signals.items == 5)
            var entityCases = try await store.cases(CaseFilter(), now: Self.day + 20).filter { $0.entityID != nil }
            #expect(entityCases.count == 1 && entityCases.first?.entityID == roomID)
            let opened = try #require(entityCases.first)
            #expect(opened.itemID == nil && opened.source == .proactive && opened.category == .recruitment)

            // More violating posts raise the open case's priority; no second case.
            _ = try await store.ingest((0..<6).map { post("f\($0)", at: 2 * Self.day + Int64($0)) }, now: 2 * Self.day + 6)
            entityCases = try await store.cases(CaseFilter(), now: Self.day + 20).filter { $0.entityID != nil }
            #expect(entityCases.count == 1)
            #expect(try #require(entityCases.first).basePriority > opened.basePriority)

            // An account and a container with one external id are two entities.
            let same = try await store.ingest([post("g", container: "x", decision: .none, at: 3 * Self.day, author: "x")], now: 3 * Self.day)
            #expect(same[0].authorEntityID != nil && same[0].containerEntityID != nil)
            #expect(same[0].authorEntityID != same[0].containerEntityID)
            #expect(try await store.entity(id: try #require(same[0].authorEntityID))?.kind == .account)
            #expect(try await store.entity(id: try #require(same[0].containerEntityID))?.kind == .room)

            // Ranked by risk; filters.
            let ranked = try await store.entities(EntityFilter())
            #expect(ranked.first?.id == roomID)
            #expect(zip(ranked, ranked.dropFirst()).allSatisfy { $0.risk >= $1.risk })
            #expect(try await store.entities(EntityFilter(kind: .account, minRisk: 30)).isEmpty)
            #expect(try await store.entities(EntityFilter(kind: .channel)).map(\.id) == [roomID])

            // Re-sending an item changes nothing.
            let before = try #require(try await store.entity(id: roomID))
            _ = try await store.ingest([post("a", at: 0)], now: 4 * Self.day)
            #expect(try await store.entity(id: roomID)?.signals == before.signals)
        }
    }

    @Test(arguments: Backend.allCases) func anEntityDecisionSetsItsStatusClosesItsCaseAndSendsItsEvidence(
        _ backend: Backend
    ) async throws {
        try await withTestStore(backend, "entity-decision") { t in
            let store = t.store
            let out = try await store.ingest(
                (0..<6).map { post("v\($0)", at: Int64($0) * 3_600) } + [post("ok", decision: .none, at: 30_000)],
                now: 30_000)
            let roomID = try #require(out[0].containerEntityID)
            let caseID = try #require(try await store.cases(CaseFilter(), now: 30_000).first { $0.entityID == roomID }?.id)
            // The item decision route does not decide entity cases.
            #expect(
                try await store.decide(
                    caseID: caseID, reviewer: "ana", decision: NewDecision(action: .remove), webhookBody: { _, _ in nil },
                    now: 30_001) == .entityCase(entityID: roomID))
            // A claim by another reviewer holds it.
            _ = try await store.claim(caseID: caseID, reviewer: "ben", until: 40_000, now: 30_002)
            let held = try await store.decideEntity(
                entityID: roomID, reviewer: "ana", decision: NewDecision(action: .remove, category: .recruitment),
                webhookBody: { _, _, _ in "{}" }, now: 30_003)
            #expect(held == .heldBy("ben"))
            let outcome = try await store.decideEntity(
                entityID: roomID, reviewer: "ben", decision: NewDecision(action: .remove, category: .recruitment, note: "propaganda room"),
                webhookBody: { d, e, evidence in
                    "{\"entity\":\"\(e.externalID)\",\"status\":\"\(e.status.rawValue)\",\"items\":[\(evidence.map { "\"\($0.externalID)\"" }.joined(separator: ","))]}"
                }, now: 30_004)
            guard case .decided(let decision, let deliveryID, let entity) = outcome else {
                Issue.record("not decided: \(outcome)")
                return
            }
            #expect(decision.caseID == caseID && entity.status == .removed && entity.statusAt == 30_004)
            let delivery = try #require(try await store.deliveries(status: "pending").first { $0.deliveryID == deliveryID })
            #expect(delivery.event == "entity_decision")
            #expect(delivery.body.contains("\"status\":\"removed\""))
            // Evidence: the six violating posts, not the harmless one.
            for i in 0..<6 { #expect(delivery.body.contains("\"v\(i)\"")) }
            #expect(!delivery.body.contains("\"ok\""))
            #expect(try await store.caseDetail(id: caseID, now: 30_005)?.record.status == .decided)
            let audit = try await store.auditLog(after: 0, limit: 100)
            #expect(audit.contains { $0.action == "entity.decide" && $0.subject == "entity:\(roomID)" && $0.actor == "ben" })
            #expect(try await store.verifyAudit().brokenAt == nil)
            let detail = try #require(try await store.entityDetail(id: roomID, itemLimit: 3))
            #expect(detail.decisions.map(\.action) == [.remove] && detail.openCase == nil)
            #expect(detail.recentItems.map(\.externalID) == ["ok", "v5", "v4"])
            #expect(detail.topItems.count == 3 && detail.topItems.allSatisfy { $0.decision == .violating })
            // A removed entity opens no new case, however risky.
            _ = try await store.ingest((0..<3).map { post("w\($0)", at: 40_000 + Int64($0)) }, now: 40_010)
            #expect(try await store.cases(CaseFilter(), now: 40_010).allSatisfy { $0.entityID != roomID })
            // Its status change is visible to other processes' re-appearance indexes.
            let changes = try await store.entityStatusChanges(since: 30_000)
            #expect(changes.map(\.entityID) == [roomID] && changes.first?.status == .removed)
            #expect(changes.first?.earlyPosts.first == "text of v0" && changes.first?.earlyPosts.count == 10)
        }
    }

    /// SQLite's store writes an entity's risk only when it changed (its index is not rewritten for
    /// nothing); the rest of the row is written every time, and a changed risk reaches the index.
    @Test(arguments: Backend.allCases) func anEntityWhoseRiskStaysTheSameHasItsRowWrittenAndAChangedRiskIsFound(
        _ backend: Backend
    ) async throws {
        try await withTestStore(backend, "entity-risk-unchanged") { t in
            let store = t.store
            let first = try await store.ingest(
                [post("e0", container: "room-2", decision: .none, at: 0), post("e1", container: "room-2", decision: .none, at: 60)],
                now: 100)
            let roomID = try #require(first[0].containerEntityID)
            var room = try #require(try await store.entity(id: roomID))
            #expect(room.risk == 0 && room.itemCount == 2 && room.lastSeen == 60)
            _ = try await store.ingest([post("e2", container: "room-2", decision: .none, at: 120)], now: 130)
            room = try #require(try await store.entity(id: roomID))
            #expect(room.risk == 0 && room.itemCount == 3 && room.lastSeen == 120 && room.updatedAt == 130)
            #expect(try await store.entities(EntityFilter(minRisk: 0.001)).allSatisfy { $0.id != roomID })
            _ = try await store.ingest([post("v0", container: "room-2", at: 180)], now: 190)
            room = try #require(try await store.entity(id: roomID))
            #expect(room.itemCount == 4 && room.risk > 0)
            #expect(abs(room.risk - EntityRisk.score(room.signals, at: 190)) < 1e-9)
            let risky = try await store.entities(EntityFilter(minRisk: room.risk / 2))
            #expect(risky.contains { $0.id == roomID })
        }
    }

    @Test(arguments: Backend.allCases) func noViolationClearsTheCaseUntilTheRiskRisesAgain(_ backend: Backend) async throws {
        try await withTestStore(backend, "entity-cleared") { t in
            let store = t.store
            let out = try await store.ingest((0..<4).map { post("v\($0)", at: Int64($0) * 60) }, now: 300)
            let roomID = try #require(out[0].containerEntityID)
            // Its case, opened by the ingest, is closed as no violation.
            let decided = try await store.decideEntity(
                entityID: roomID, reviewer: "ana", decision: NewDecision(action: .noViolation),
                webhookBody: { _, _, _ in nil }, now: 400)
            guard case .decided(_, let deliveryID, let entity) = decided else {
                Issue.record("not decided: \(decided)")
                return
            }
            #expect(deliveryID == nil && entity.status == .active && entity.reviewedRisk == entity.risk)
            #expect(try await store.cases(CaseFilter(), now: 400).allSatisfy { $0.entityID != roomID })
            // One more harmless post: the risk does not rise 10 points, no case.
            _ = try await store.ingest([post("n", decision: .none, at: 500)], now: 500)
            #expect(try await store.cases(CaseFilter(), now: 500).allSatisfy { $0.entityID != roomID })
            // Many more violating posts: it does, and a case opens again.
            _ = try await store.ingest((0..<8).map { post("x\($0)", at: 600 + Int64($0)) }, now: 610)
            let risk = try #require(try await store.entity(id: roomID)).risk
            #expect(risk >= entity.reviewedRisk + 10)
            #expect(try await store.cases(CaseFilter(), now: 610).contains { $0.entityID == roomID })
        }
    }

    @Test(arguments: Backend.allCases) func aReappearanceIsRecordedOnlyAgainstAnEntityStillBanned(_ backend: Backend) async throws {
        try await withTestStore(backend, "entity-reappearance") { t in
            let store = t.store
            let out = try await store.ingest(
                [post("a", container: "old", decision: .none, at: 1), post("b", container: "new", decision: .none, at: 2)],
                now: 2)
            let oldID = try #require(out[0].containerEntityID)
            let newID = try #require(out[1].containerEntityID)
            let match = ReappearanceMatch(
                bannedEntityID: String(oldID), similarity: 0.9, nameSimilarity: 0.9, descriptionSimilarity: 0,
                avatarDistance: nil, matchingPosts: 0)
            // Not banned (yet): nothing is recorded.
            #expect(try await store.recordReappearance(entityID: newID, match: match, now: 3) == false)
            _ = try await store.decideEntity(
                entityID: oldID, reviewer: "ana", decision: NewDecision(action: .remove, category: .dissemination),
                webhookBody: { _, _, _ in nil }, now: 4)
            #expect(try await store.recordReappearance(entityID: newID, match: match, now: 5))
            let entity = try #require(try await store.entity(id: newID))
            #expect(try await store.entityDetail(id: oldID, itemLimit: 1)?.decisions.count == 1)  // a case made for it
            #expect(entity.reappearanceOf == oldID && entity.reappearanceSimilarity == 0.9)
            #expect(entity.reappearanceEvidence == match.explanation)
            #expect(abs(entity.risk - 27) < 1e-9)  // 30 × 0.9; its one post is harmless
            #expect(entity.riskParts(at: 5).contains { $0.name == "re-appearance" })
            // Ban evasion is a case of its own, below the risk threshold too.
            #expect(try await store.cases(CaseFilter(), now: 5).contains { $0.entityID == newID })
            // A weaker match changes nothing.
            var weaker = match
            weaker.similarity = 0.8
            #expect(try await store.recordReappearance(entityID: newID, match: weaker, now: 6) == false)
        }
    }
}
