import BulwarkCore
@testable import BulwarkStore
import BulwarkTestSupport
import Testing

/// The transparency report's first counts, the items received in its period [from, to) and
/// those the engine flagged (`violating` or `review`), read through the index of items by time
/// (schema version 20: a B-tree on SQLite, BRIN on PostgreSQL).
struct TransparencyItemCountTests {
    @Test(arguments: Backend.allCases) func itemsAreCountedByTheTimeTheyWereReceived(_ backend: Backend) async throws {
        try await withTestStore(backend, "transparency-items") { t in
            _ = try await t.store.ingest([scanned("a"), scanned("b", decision: .violating), scanned("c", decision: .none)], now: 100)
            _ = try await t.store.ingest([scanned("d", decision: .none)], now: 999)
            _ = try await t.store.ingest([scanned("e", decision: .violating)], now: 1_000)
            // The same item again is no new item.
            _ = try await t.store.ingest([scanned("a")], now: 1_001)
            func counts(_ from: Int64, _ to: Int64) async throws -> [Int] {
                let c = try await t.store.transparencyCounts(from: from, to: to)
                return [c.itemsReceived, c.itemsFlagged]
            }
            #expect(try await counts(0, 100) == [0, 0])
            #expect(try await counts(100, 101) == [3, 2])
            #expect(try await counts(0, 1_000) == [4, 2])
            #expect(try await counts(999, 2_000) == [2, 1])
            #expect(try await counts(1_000, 2_000) == [1, 1])
            #expect(try await counts(1_001, 10_000) == [0, 0])
        }
    }
}
