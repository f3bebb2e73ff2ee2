import BulwarkBanks
import BulwarkCore
import Foundation
import Testing

func bruteForce(_ entries: [(PDQHash, UInt64)], _ query: PDQHash, radius: Int) -> [PDQIndex.Match] {
    entries.compactMap { h, id in
        let d = h.distance(to: query)
        return d <= radius ? PDQIndex.Match(id: id, distance: d) : nil
    }.sorted { ($0.distance, $0.id) < ($1.distance, $1.id) }
}

/// The shared data's PDQ hash lists (from the reference implementation's tests).
func sharedHashes(_ name: String) throws -> [PDQHash] {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    let path = url.deletingLastPathComponent().path + "/shared/data/pdq/reg-test-input/" + name
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try #require(PDQHash(hex: line.trimmingCharacters(in: .whitespaces)), "\(name): \(line)")
    }
}

struct PDQHashTests {
    @Test func hexLayoutIsTheReferences() throws {
        // The first hex digit holds bits 255 ... 252, the last bits 3 ... 0.
        let top = try #require(PDQHash(hex: "8" + String(repeating: "0", count: 63)))
        #expect(top[bit: 255])
        #expect(top.popcount == 1)
        let low = try #require(PDQHash(hex: String(repeating: "0", count: 63) + "1"))
        #expect(low[bit: 0])
        #expect(low.words[0] == 1)
        let sample = "f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95"
        #expect(PDQHash(hex: sample)?.hex == sample)
        #expect(PDQHash(hex: sample.uppercased())?.hex == sample)
        #expect(PDQHash(hex: String(sample.dropLast())) == nil)
        #expect(PDQHash(hex: "g" + sample.dropFirst()) == nil)
    }

    @Test func distanceCountsDifferingBits() throws {
        var rng = SplitMix64(seed: 1)
        let a = rng.pdqHash()
        for d in [0, 1, 7, 31, 32, 128, 256] {
            let b = rng.flipping(a, bits: d)
            #expect(a.distance(to: b) == d)
            #expect(b.distance(to: a) == d)
        }
    }
}

extension PDQHashTests {
    /// Swift 6.3 lays out an async function's frame wrongly when a vector that LLVM aligns above
    /// 16 bytes (a `SIMD4<UInt64>` is a 32-byte `<4 x i64>`, though Swift reports 16) lives
    /// across an `await` (swiftlang/swift#91639): the frame's tail then overwrites the task
    /// allocator's memory. Hashes are held across awaits all over the server, so a hash, and
    /// what carries one, stores plain words, no vector.
    @Test func hashesAndWhatCarriesThemStoreNoVector() throws {
        var rng = SplitMix64(seed: 3)
        let hash = rng.pdqHash()
        #expect(MemoryLayout<PDQHash>.size == 32)
        #expect(!storesVector(hash))
        #expect(!storesVector(MediaHashes(pdq: hash, pdqQuality: 90, pdqVariants: [rng.pdqHash()])))
        #expect(!storesVector(Signal(pdq: hash)))
        // The check itself finds a vector wherever it is stored.
        #expect(storesVector(SIMD4<UInt64>(1, 2, 3, 4)))
        #expect(storesVector([(1, Optional(SIMD2<Float>(1, 2)))]))
    }

    @Test func wordsBitsFlipsAndOrderAgree() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let h = rng.pdqHash()
            let w = h.words
            for i in 0..<4 { #expect(h[word: i] == w[i]) }
            #expect(PDQHash(words: w) == h)
            #expect(PDQHash(w[0], w[1], w[2], w[3]) == h)
            for k in stride(from: 0, to: 256, by: 11) {
                #expect(h[bit: k] == ((w[k / 64] >> UInt64(k % 64)) & 1 == 1))
                var changed = h
                changed[bit: k] = !h[bit: k]
                #expect(changed == h.flipping(bit: k))
                #expect(changed.distance(to: h) == 1)
                changed[bit: k] = h[bit: k]
                #expect(changed == h)
            }
            var viaWords = h
            viaWords.words.z ^= 0b101
            #expect(viaWords.distance(to: h) == 2 && viaWords[word: 2] == h[word: 2] ^ 0b101)
            // Ordered as the hex form is (fixed length, lowercase).
            let other = rng.pdqHash()
            #expect((h < other) == (h.hex < other.hex))
        }
    }
}

/// Whether `value`, or anything stored in it (fields, optionals, tuples, array elements), is a
/// SIMD vector.
func storesVector(_ value: Any) -> Bool {
    if value is any SIMD { return true }
    return Mirror(reflecting: value).children.contains { storesVector($0.value) }
}

struct PDQIndexTests {
    /// Random hashes with near-duplicates planted around some queries.
    func fixture(count: Int, queries: Int, seed: UInt64) -> (entries: [(PDQHash, UInt64)], queries: [PDQHash]) {
        var rng = SplitMix64(seed: seed)
        var entries: [(PDQHash, UInt64)] = (0..<count).map { (rng.pdqHash(), UInt64($0 + 1)) }
        var qs: [PDQHash] = []
        for q in 0..<queries {
            let query = rng.pdqHash()
            qs.append(query)
            for d in [0, 1, q % 32, 15, 16, 30, 31, 32, 33, 40, 47, 48, 64] {
                entries.append((rng.flipping(query, bits: d), UInt64(entries.count + 1)))
            }
        }
        return (entries, qs)
    }

    @Test(arguments: [0, 1, 15, 16, 31, 32, 47, 48, 63, 64, 100])
    func answersEqualBruteForce(radius: Int) {
        let (entries, queries) = fixture(count: 30_000, queries: 40, seed: UInt64(radius) + 7)
        var index = PDQIndex()
        index.insert(contentsOf: entries)
        index.rebuild()
        #expect(index.pendingCount == 0)
        for q in queries {
            #expect(index.search(q, radius: radius) == bruteForce(entries, q, radius: radius), "radius \(radius)")
        }
    }

    @Test func theReferenceHaystackAndNeedles() throws {
        let haystack = try sharedHashes("haystack.txt")
        let needles = try sharedHashes("needles.txt")
        #expect(haystack.count == 1350 && needles.count == 100)
        let entries = haystack.enumerated().map { ($0.element, UInt64($0.offset)) }
        var index = PDQIndex()
        index.insert(contentsOf: entries)
        index.rebuild()
        var total = 0
        for needle in needles + haystack.prefix(50) {
            let expected = bruteForce(entries, needle, radius: 31)
            total += expected.count
            #expect(index.search(needle, radius: 31) == expected)
        }
        #expect(total >= 50)  // every haystack query finds at least itself
    }

    @Test func incrementalInsertAndRemoveWithoutRebuilding() {
        let (entries, queries) = fixture(count: 20_000, queries: 20, seed: 3)
        var index = PDQIndex()
        // Half built into the tables, the rest added one by one (pending, then rebuilt
        // automatically past the pending limit).
        index.insert(contentsOf: entries.prefix(10_000))
        index.rebuild()
        var live = Array(entries.prefix(10_000))
        for e in entries.dropFirst(10_000) {
            index.insert(e.0, id: e.1)
            live.append(e)
        }
        #expect(index.count == entries.count)
        for q in queries { #expect(index.search(q, radius: 31) == bruteForce(live, q, radius: 31)) }
        // Remove every third entry; answers follow.
        var removed = 0
        for (i, e) in entries.enumerated() where i % 3 == 0 {
            let wasThere = index.remove(e.0, id: e.1)
            #expect(wasThere)
            removed += 1
        }
        let gone = index.remove(entries[0].0, id: entries[0].1)  // already gone
        let wrongID = index.remove(entries[1].0, id: 999_999_999)
        #expect(!gone && !wrongID)
        live = entries.enumerated().filter { $0.offset % 3 != 0 }.map(\.element)
        #expect(index.count == entries.count - removed)
        for q in queries { #expect(index.search(q, radius: 31) == bruteForce(live, q, radius: 31)) }
        index.rebuild()
        #expect(index.slotCount == live.count)
        for q in queries { #expect(index.search(q, radius: 31) == bruteForce(live, q, radius: 31)) }
    }

    @Test func duplicateHashesUnderDifferentIds() {
        var rng = SplitMix64(seed: 9)
        let h = rng.pdqHash()
        var index = PDQIndex()
        let near = rng.flipping(h, bits: 3)
        let entries: [(PDQHash, UInt64)] = [(h, 1), (h, 2), (near, 3)]
        index.insert(contentsOf: entries)
        index.rebuild()
        #expect(index.search(h, radius: 0).map(\.id) == [1, 2])
        #expect(index.search(h, radius: 31).map(\.id) == [1, 2, 3])
        let removed = index.remove(h, id: 2)
        #expect(removed)
        #expect(index.search(h, radius: 31).map(\.id) == [1, 3])
    }

    @Test func savedIndexLoadsWithTheSameAnswers() throws {
        let (entries, queries) = fixture(count: 5_000, queries: 10, seed: 5)
        var index = PDQIndex()
        index.insert(contentsOf: entries)
        index.rebuild()
        index.insert(queries[0], id: 1_000_000)  // one pending slot
        let removed = index.remove(entries[3].0, id: entries[3].1)  // one dead slot
        #expect(removed)
        let bytes = index.serialized()
        let loaded = try PDQIndex(serialized: bytes)
        #expect(loaded.count == index.count)
        #expect(loaded.pendingCount == 1)
        for q in queries { #expect(loaded.search(q, radius: 31) == index.search(q, radius: 31)) }
        #expect(loaded.serialized() == bytes)
    }

    @Test func damagedIndexFilesAreErrors() throws {
        let (entries, _) = fixture(count: 2_000, queries: 2, seed: 6)
        var index = PDQIndex()
        index.insert(contentsOf: entries)
        index.rebuild()
        let bytes = index.serialized()
        for cut in [0, 7, 47, bytes.count / 2, bytes.count - 1] {
            #expect(throws: BulwarkError.self, "cut at \(cut)") { try PDQIndex(serialized: Array(bytes.prefix(cut))) }
        }
        var rng = SplitMix64(seed: 11)
        for _ in 0..<20 {
            var damaged = bytes
            let at = Int(rng.next() % UInt64(bytes.count))
            damaged[at] ^= UInt8(1 + rng.next() % 255)
            do {
                _ = try PDQIndex(serialized: damaged)
                Issue.record("a flipped byte at \(at) was accepted")
            } catch {
                #expect(error.code == .invalidData)
                #expect(error.offset != nil)
            }
        }
        #expect(throws: BulwarkError.self) { try PDQIndex(serialized: Array("not an index at all, just some text....!!!!!!!!!!".utf8)) }
    }

    @Test func emptyIndexAnswersNothing() throws {
        let index = PDQIndex()
        #expect(index.search(.zero, radius: 256).isEmpty)
        let loaded = try PDQIndex(serialized: index.serialized())
        #expect(loaded.count == 0)
    }
}
