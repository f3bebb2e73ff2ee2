@testable import BulwarkStore
import BulwarkTestSupport
import GRDB
import Testing

/// What SQLite does with statements that run on every request, on the migrated schema without
/// statistics (as a store runs: nothing runs ANALYZE).
struct SQLitePlanTests {
    static func plan(_ store: SQLiteStore, _ sql: String, _ arguments: StatementArguments = [1]) async throws -> String {
        try await store.writer.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
                .joined(separator: "; ")
        }
    }

    /// Each server process reads the status changes every second; ordered by id, SQLite scanned
    /// the whole entities table for them.
    @Test func statusChangesAreReadThroughTheirIndexNotAScanOfEveryEntity() async throws {
        try await withTestStore(.sqlite, "plan") { t in
            let store = try #require(t.store as? SQLiteStore)
            let plan = try await Self.plan(store, SQLiteStore.statusChangesSQL)
            #expect(plan.contains("entities_status_at"), "\(plan)")
            #expect(!plan.contains("SCAN entities"), "\(plan)")
            // The statement the store used before 2026-12-03 is the one that scanned: the check can fail.
            let before = try await Self.plan(store, "SELECT * FROM entities WHERE status_at >= ? ORDER BY id")
            #expect(before.contains("SCAN entities"), "\(before)")
        }
    }

    /// Ingest reads each item's author and container by key, with its open case, in one statement.
    @Test func anEntityIsReadByItsKeyWithItsOpenCaseThroughIndexes() async throws {
        try await withTestStore(.sqlite, "plan-entity") { t in
            let store = try #require(t.store as? SQLiteStore)
            let plan = try await Self.plan(
                store, SQLiteStore.entityStateSQL + "WHERE e.platform = ? AND e.is_account = ? AND e.external_id = ?",
                ["p", true, "u1"])
            #expect(plan.contains("SEARCH e USING INDEX sqlite_autoindex_entities_1"), "\(plan)")
            #expect(plan.contains("SEARCH c USING INDEX cases_open_entity"), "\(plan)")
            #expect(!plan.contains("SCAN"), "\(plan)")
        }
    }

    /// Version 8 drops the index of items by container id, which nothing reads, and keeps the one
    /// by container entity.
    @Test func itemsAreIndexedByContainerEntityOnly() async throws {
        try await withTestStore(.sqlite, "plan-indexes") { t in
            let store = try #require(t.store as? SQLiteStore)
            let indexes = try await store.writer.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'")
            }
            #expect(!indexes.contains("items_container") && indexes.contains("items_container_entity"), "\(indexes)")
        }
    }

    /// The transparency report's queries of decisions read the period's decisions through their
    /// index by time (version 18), not every case or decision ever made; those of first decisions
    /// only the period's first decisions, through the indexes of the marked ones (version 19).
    @Test func theTransparencyReportReadsThePeriodsDecisionsByTime() async throws {
        try await withTestStore(.sqlite, "plan-transparency") { t in
            let store = try #require(t.store as? SQLiteStore)
            let byPeriod = ["decisions": "decisions_created", "first_decision": "decisions_first_of_case"]
            let queries = TransparencyQueries.all(from: 1_790_035_200, to: 1_790_640_000, dialect: .sqlite).filter { byPeriod[$0.0] != nil }
            #expect(Set(queries.map(\.0)) == Set(byPeriod.keys))
            for (name, sql) in queries {
                let plan = try await Self.plan(store, sql, [])
                #expect(plan.contains("SEARCH d USING INDEX \(byPeriod[name]!) "), "\(name): \(plan)")
                #expect(!plan.contains("SCAN"), "\(name): \(plan)")
            }
        }
    }

    /// The report counts the period's items received and flagged from their index by time and
    /// decision alone (version 20), not by reading every item ever received.
    @Test func theTransparencyReportCountsThePeriodsItemsFromTheirIndex() async throws {
        try await withTestStore(.sqlite, "plan-transparency-items") { t in
            let store = try #require(t.store as? SQLiteStore)
            let sql = try #require(TransparencyQueries.all(from: 1_790_035_200, to: 1_790_640_000, dialect: .sqlite).first { $0.0 == "items" }?.1)
            let plan = try await Self.plan(store, sql, [])
            let searches = plan.split(separator: "; ").filter {
                $0.contains("SEARCH items USING COVERING INDEX items_received (received_at>? AND received_at<?)")
            }
            #expect(searches.count == 2, "\(plan)")
            #expect(!plan.contains("SCAN"), "\(plan)")
        }
    }

    /// The queue's page chooses its cases from the queue's index alone and reads only those
    /// whole, and its counts come from the same index in its order, without a sort (version 21).
    /// Before, every open case was read whole for each page, and the counts were sorted.
    @Test func theQueueChoosesItsPageAndCountsFromItsIndexAlone() async throws {
        try await withTestStore(.sqlite, "plan-queue") { t in
            let store = try #require(t.store as? SQLiteStore)
            let arguments: StatementArguments = ["maxWaiting": 36.0, "now": 1_000, "weight": 1.0 / 600, "limit": 50, "language": "ar"]
            for conditions in ["status IN ('open', 'claimed', 'escalated')", "status IN ('open', 'claimed', 'escalated') AND language = :language"] {
                let plan = try await Self.plan(store, SQLiteStore.casesSQL(conditions: conditions), arguments)
                #expect(plan.contains("SEARCH cases USING COVERING INDEX cases_queue (status=?)"), "\(conditions): \(plan)")
                #expect(plan.contains("SEARCH cases USING INTEGER PRIMARY KEY (rowid=?)"), "\(conditions): \(plan)")
                #expect(!plan.contains("SCAN"), "\(conditions): \(plan)")
            }
            let counts = try await Self.plan(store, SQLiteStore.queueCountsSQL, [])
            #expect(counts == "SEARCH cases USING COVERING INDEX cases_queue (status=?)", "\(counts)")
        }
    }
}
