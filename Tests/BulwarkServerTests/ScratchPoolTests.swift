import BulwarkCascade
import Testing

@testable import BulwarkServer

/// Ingest takes the cascade's scratch space from a pool and gives it back, so the encoder's
/// kept pieces outlive a request.
struct ScratchPoolTests {
    @Test func aScratchGivenBackIsTakenAgainAndThePoolKeepsAtMostItsLimit() {
        let pool = ScratchPool(limit: 2)
        var made = 0
        func make() -> CascadeScratch {
            made += 1
            return CascadeScratch()
        }
        var first = pool.take(orMake: make)
        #expect(made == 1 && pool.count == 0)
        first.encoded = 42
        pool.give(first)
        #expect(pool.count == 1)
        let again = pool.take(orMake: make)
        #expect(made == 1, "the scratch given back is reused, not a new one made")
        #expect(again.encoded == 42 && pool.count == 0)
        _ = pool.take(orMake: make)
        #expect(made == 2, "an empty pool makes one")
        for _ in 0..<3 { pool.give(CascadeScratch()) }
        #expect(pool.count == 2)
    }
}
