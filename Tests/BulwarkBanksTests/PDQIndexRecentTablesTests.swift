import BulwarkCore
import Testing

@testable import BulwarkBanks

/// The recent tables (``PDQIndex/indexPending()``): slots added to a large index get tables of
/// their own, the base ones stay shared with the copy matching reads, answers stay exact through
/// additions, removals, a save and a load, and everything is rebuilt once the recent slots pass a
/// quarter of the base ones.
struct PDQIndexRecentTablesTests {
    /// The address of an array's storage (to tell a shared one from a copy).
    func storage(_ words: [UInt64]) -> UnsafeRawPointer? { words.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }

    @Test func additionsGetTablesOfTheirOwnAndTheBaseTablesStayShared() throws {
        var rng = SplitMix64(seed: 41)
        var entries: [(PDQHash, UInt64)] = (0..<40_000).map { (rng.pdqHash(), UInt64($0 + 1)) }
        var index = PDQIndex()
        index.insert(contentsOf: entries)
        index.rebuild()
        #expect(index.recentCount == 0 && index.pendingCount == 0)
        let published = index  // the set matching reads while a change is made on a copy
        let baseBefore = (index.baseCount, index.hashWords, index.offsets, index.postings)
        // Additions, some near the base's hashes, past pendingLimit (4,096) twice.
        var queries: [PDQHash] = []
        for i in 0..<9_000 {
            let hash = i % 3 == 0 ? rng.flipping(entries[Int(rng.next() % 40_000)].0, bits: Int(rng.next() % 40)) : rng.pdqHash()
            if i % 50 == 0 { queries.append(rng.flipping(hash, bits: Int(rng.next() % 33))) }
            let id = UInt64(entries.count + 1)
            entries.append((hash, id))
            index.insert(hash, id: id)
        }
        // 9,000 added to 40,000: each time past the limit, the pending joined the recent tables.
        #expect(index.recentCount == 8_194 && index.pendingCount == 806, "recent \(index.recentCount), pending \(index.pendingCount)")
        #expect(index.count == 49_000 && index.slotCount == 49_000)
        // The base tables were not copied: the published index and this one share them.
        #expect(index.baseCount == baseBefore.0 && index.hashWords == baseBefore.1)
        #expect(index.offsets == baseBefore.2 && index.postings == baseBefore.3)
        #expect(storage(published.hashWords) == storage(index.hashWords))
        #expect(published.postings.withUnsafeBufferPointer { $0.baseAddress } == index.postings.withUnsafeBufferPointer { $0.baseAddress })
        #expect(published.count == 40_000)
        // Answers exact at every radius, in every run (base, recent, pending).
        for q in queries + entries.suffix(5).map(\.0) {
            for radius in [0, 16, 31, 32, 64] {
                #expect(index.search(q, radius: radius) == bruteForce(entries, q, radius: radius))
            }
        }
        // Removals in every run; answers follow, and the removed slots stay until a rebuild.
        var live = entries
        for k in [7, 20_000, 40_001, 45_000, 48_990] {
            let (hash, id) = entries[k]
            let removed = index.remove(hash, id: id)
            #expect(removed)
            live.removeAll { $0.1 == id }
        }
        for q in queries { #expect(index.search(q, radius: 31) == bruteForce(live, q, radius: 31)) }
        #expect(index.slotCount == 49_000 && index.count == 48_995)
        // Saved and loaded: the recent slots are written with the pending ones, and their tables
        // built again on loading; the same answers, the same bytes.
        let bytes = index.serialized()
        let loaded = try PDQIndex(serialized: bytes)
        #expect(loaded.recentCount == 9_000 && loaded.pendingCount == 0)
        #expect(loaded.serialized() == bytes)
        for q in queries { #expect(loaded.search(q, radius: 31) == bruteForce(live, q, radius: 31)) }
    }

    @Test func everythingIsRebuiltWhenTheRecentSlotsPassAQuarterOfTheBase() {
        var rng = SplitMix64(seed: 43)
        var entries: [(PDQHash, UInt64)] = (0..<20_000).map { (rng.pdqHash(), UInt64($0 + 1)) }
        var index = PDQIndex()
        index.insert(contentsOf: entries)
        index.rebuild()
        var largestRecent = 0
        var rebuilds = 0
        for i in 0..<30_000 {
            let hash = rng.pdqHash()
            let id = UInt64(20_001 + i)
            entries.append((hash, id))
            let recentBefore = index.recentCount
            index.insert(hash, id: id)
            largestRecent = max(largestRecent, index.recentCount)
            if recentBefore > 0 && index.recentCount == 0 { rebuilds += 1 }
            // Never more recent slots than a quarter of the base ones.
            let base = index.slotCount - index.recentCount - index.pendingCount
            #expect(4 * index.recentCount <= base, "at \(i): \(index.recentCount) recent, \(base) base")
            if 4 * index.recentCount > base { break }
        }
        #expect(largestRecent > 4_096 && rebuilds >= 1, "largest \(largestRecent), rebuilds \(rebuilds)")
        var rng2 = SplitMix64(seed: 44)
        for _ in 0..<20 {
            let q = rng2.flipping(entries[Int(rng2.next() % UInt64(entries.count))].0, bits: Int(rng2.next() % 32))
            #expect(index.search(q, radius: 31) == bruteForce(entries, q, radius: 31))
        }
    }
}
