import BulwarkCore
@testable import BulwarkStore
import BulwarkTestSupport
import Testing

/// Each case's first decision, and its first other than an escalation, are marked when they are
/// written (schema version 19); the transparency report's time to a first decision and its
/// accuracy of automated detection read only the marked ones. Decisions written before version
/// 19 are marked by its migration.
struct FirstDecisionMarkTests {
    /// Four cases the engine opened at 100, decided through the store:
    /// - a: escalated at 200, removed at 400, the removal reversed on appeal at 600;
    /// - b: no violation at 300;
    /// - c: escalated at 200 and again at 250, removed at 5,000;
    /// - d: escalated at 300, and no more.
    /// Returns the ids of the decisions that must be marked: (first of case, first ruling).
    private func decideFourCases(_ store: any ModerationStore) async throws -> (first: Set<Int64>, ruling: Set<Int64>) {
        let opened = try await store.ingest([scanned("a"), scanned("b"), scanned("c"), scanned("d")], now: 100)
        let cases = try opened.map { try #require($0.caseID) }
        func decide(_ index: Int, _ action: ModerationAction, at now: Int64) async throws -> Int64 {
            let category: Category? = action == .remove ? .recruitment : nil
            let outcome = try await store.decide(
                caseID: cases[index], reviewer: "r", decision: NewDecision(action: action, category: category),
                webhookBody: { _, _ in nil }, now: now)
            guard case .decided(let record, _) = outcome else {
                Issue.record("case \(index): \(outcome)")
                return -1
            }
            return record.id
        }
        let aEscalated = try await decide(0, .escalate, at: 200)
        let cEscalated = try await decide(2, .escalate, at: 200)
        _ = try await decide(2, .escalate, at: 250)
        let bDecided = try await decide(1, .noViolation, at: 300)
        let dEscalated = try await decide(3, .escalate, at: 300)
        let aRemoved = try await decide(0, .remove, at: 400)
        let filed = try await store.fileAppeal(
            decisionID: aRemoved, platform: nil, externalID: nil, appellant: "u", reason: "news", now: 500)
        let appealed: AppealRecord? = if case .filed(let appeal) = filed { appeal } else { nil }
        let appeal = try #require(appealed, "\(filed)")
        let reversed = try await store.decideAppeal(
            id: appeal.id, reviewer: "lead", reverse: true, exemption: .journalistic, note: nil,
            webhookBody: { _, _, _ in "{}" }, entityWebhookBody: { _, _, _, _ in "{}" }, now: 600)
        let wasReversed = if case .decided = reversed { true } else { false }
        #expect(wasReversed, "\(reversed)")
        let cRemoved = try await decide(2, .remove, at: 5_000)
        return ([aEscalated, bDecided, cEscalated, dEscalated], [aRemoved, bDecided, cRemoved])
    }

    private func marked(_ t: TestStore, _ column: String) async throws -> Set<Int64> {
        var ids: Set<Int64> = []
        let count = try await t.integer("SELECT COUNT(*) FROM decisions")
        for id in 1...count where try await t.integer("SELECT COUNT(*) FROM decisions WHERE id = \(id) AND \(column)") == 1 {
            ids.insert(Int64(id))
        }
        return ids
    }

    @Test(arguments: Backend.allCases) func theFirstDecisionsAreMarkedAndTheReportReadsThem(_ backend: Backend) async throws {
        try await withTestStore(backend, "first-decision-marks") { t in
            let expected = try await decideFourCases(t.store)
            #expect(try await t.integer("SELECT COUNT(*) FROM decisions") == 8)
            #expect(try await marked(t, "first_of_case") == expected.first)
            #expect(try await marked(t, "first_ruling") == expected.ruling)

            let early = try await t.store.transparencyCounts(from: 0, to: 1_000)
            // Each case's first decision, the escalations included: a and c at 200, b and d at 300.
            #expect(early.firstDecisionSeconds.mapValues { $0.sorted() } == ["proactive": [100, 100, 200, 200]])
            // The first decisions other than escalations: a's removal (reversed) and b's; c's
            // comes later, d's never. Neither the escalations nor the reinstatement are counted.
            #expect(early.automatedOutcomesByVerdict == ["review/restricted": 1, "review/not_restricted": 1])
            #expect(early.automatedReversed == 1)
            let late = try await t.store.transparencyCounts(from: 1_000, to: 6_000)
            #expect(late.firstDecisionSeconds.isEmpty)
            #expect(late.automatedOutcomesByVerdict == ["review/restricted": 1])
        }
    }

    @Test(arguments: Backend.allCases) func theMigrationMarksTheDecisionsWrittenBefore(_ backend: Backend) async throws {
        try await withTestStore(backend, "first-decision-migration") { t in
            let expected = try await decideFourCases(t.store)
            let before = try await [t.store.transparencyCounts(from: 0, to: 1_000), t.store.transparencyCounts(from: 1_000, to: 6_000)]
            // As a database written before version 19: no decision marked.
            try await t.execute("UPDATE decisions SET first_of_case = (1 = 0), first_ruling = (1 = 0)")
            #expect(try await marked(t, "first_of_case").isEmpty)
            #expect(try await marked(t, "first_ruling").isEmpty)
            #expect(try await t.store.transparencyCounts(from: 0, to: 1_000).firstDecisionSeconds.isEmpty)
            try await t.execute(Schema.firstDecisionMarks)
            #expect(try await marked(t, "first_of_case") == expected.first)
            #expect(try await marked(t, "first_ruling") == expected.ruling)
            let after = try await [t.store.transparencyCounts(from: 0, to: 1_000), t.store.transparencyCounts(from: 1_000, to: 6_000)]
            #expect(after == before)
        }
    }

    /// Version 22 drops the index of first rulings by time, which only the report's former query
    /// of automated detection read; the marks stay, and the index of first decisions and the one
    /// of every decision by time, which the report reads, stay too.
    @Test(arguments: Backend.allCases) func version22DropsTheIndexOfFirstRulingsAlone(_ backend: Backend) async throws {
        try await withTestStore(backend, "first-ruling-index") { t in
            let count =
                backend == .sqlite
                ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = "
                : "SELECT COUNT(*) FROM pg_indexes WHERE indexname = "
            let firstRuling = try await t.integer(count + "'decisions_first_ruling'")
            let firstOfCase = try await t.integer(count + "'decisions_first_of_case'")
            let created = try await t.integer(count + "'decisions_created'")
            #expect(firstRuling == 0)
            #expect(firstOfCase == 1)
            #expect(created == 1)
            #expect(try await t.columns("decisions").contains("first_ruling"))
        }
    }

    /// The report's counts of decisions are counts of rows, not of the groups the stores make of
    /// them (PostgreSQL counts the rows by their columns first, then adds those counts up by
    /// key): ten cases the engine opened, six `violating` in English and four `review` in
    /// Arabic, decided in groups of several alike.
    @Test(arguments: Backend.allCases) func theReportCountsEveryDecisionOfAGroup(_ backend: Backend) async throws {
        try await withTestStore(backend, "transparency-groups") { t in
            func item(_ id: String, _ decision: Decision, _ language: String) -> ScannedItem {
                ScannedItem(
                    item: NewItem(platform: "p", externalID: id, text: "text of \(id)"), decision: decision, score: 0.7,
                    category: .recruitment, context: nil, language: language, verdictJSON: #"{"id":"\#(id)"}"#,
                    casePriority: 50)
            }
            let english = (0..<6).map { item("en\($0)", .violating, "en") }
            let arabic = (0..<4).map { item("ar\($0)", .review, "ar") }
            let opened = try await t.store.ingest(english + arabic, now: 100)
            let cases = try opened.map { try #require($0.caseID) }
            let actions: [(ModerationAction, Category?)] =
                Array(repeating: (.remove, .incitement), count: 4) + Array(repeating: (.noViolation, nil), count: 2)
                + Array(repeating: (.remove, .recruitment), count: 3) + [(.escalate, nil)]
            for (caseID, (action, category)) in zip(cases, actions) {
                let outcome = try await t.store.decide(
                    caseID: caseID, reviewer: "r", decision: NewDecision(action: action, category: category),
                    webhookBody: { _, _ in nil }, now: 200)
                let decided = if case .decided = outcome { true } else { false }
                #expect(decided, "\(outcome)")
            }
            let counts = try await t.store.transparencyCounts(from: 0, to: 1_000)
            #expect(counts.decisionsByAction == ["remove": 7, "no_violation": 2, "escalate": 1])
            #expect(counts.restrictionsByCategory == ["incitement": 4, "recruitment": 3])
            #expect(counts.restrictionsBySource == ["proactive": 7])
            #expect(counts.restrictionsByLanguage == ["en": 4, "ar": 3])
            // The escalation is not a ruling: nine of the ten cases have one.
            #expect(counts.automatedOutcomesByVerdict == [
                "violating/restricted": 4, "violating/not_restricted": 2, "review/restricted": 3,
            ])
            #expect(counts.automatedOutcomesByLanguage == ["en/restricted": 4, "en/not_restricted": 2, "ar/restricted": 3])
            #expect(counts.automatedReversed == 0)
        }
    }
}
