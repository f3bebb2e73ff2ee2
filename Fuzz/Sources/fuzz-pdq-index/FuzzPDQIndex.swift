internal import BulwarkBanks
internal import BulwarkCore
internal import FuzzDriver
internal import FuzzSupport

// PDQIndex(serialized:) on untrusted bytes. The first byte picks how the rest becomes a file:
//   0 (even): the bytes as they are, then again with the trailing checksum made right;
//   1 (odd): a real index built from the input (up to 40 hashes, some removed, the bucket tables
//      built or not), serialized, then changed at places the input names (each change 5 bytes:
//      a u32 choosing the part of the file and the offset in it, and a byte to xor in), checksum
//      made right. Files with bucket tables are over 4 MiB, far beyond what libFuzzer grows by
//      mutation, so this is how the checks of bucket offsets and postings get exercised.
// An index that loads must serialize back to the same bytes, and its searches must find exactly
// what a brute-force scan of its live entries finds (so a crafted file cannot hide entries).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] & 1 == 0 {
        load(rest)
        if let fixed = Fuzz.withChecksum(rest), fixed != rest { load(fixed) }
    } else {
        load(structured(rest))
    }
    return 0
}

func load(_ bytes: [UInt8]) {
    let index: PDQIndex
    do {
        index = try PDQIndex(serialized: bytes)
    } catch {
        guard error.code == .invalidData, error.offset != nil else { Fuzz.fail("unexpected error \(error)") }
        return
    }
    guard index.serialized() == bytes else { Fuzz.fail("a loaded index serializes to other bytes") }
    check(index)
    // Changes after loading must not trip over what was loaded.
    var changed = index
    var live: [(UInt64, PDQHash)] = []
    changed.forEachLive { live.append(($0, $1)) }
    if let (id, hash) = live.first {
        guard changed.remove(hash, id: id) else { Fuzz.fail("a live entry of the loaded index cannot be removed") }
    }
    changed.insert(PDQHash(words: SIMD4(1, 2, 3, 4)), id: 99)
    // A rebuild is the same code whatever was loaded; with bucket tables (4 MiB) it is also slow.
    if bytes.count < 1 << 20 {
        changed.rebuild()
    }
    check(changed)
    // Hashes added after the tables were built: the recent tables (`indexPending`, or a rebuild
    // when the base is small), searched, saved and loaded again.
    var grown = changed
    for k in 0..<3 {
        let near = live.isEmpty ? PDQHash(words: SIMD4(5, 6, 7, UInt64(k))) : live[k % live.count].1.flipping(bit: 7 * k + 1)
        grown.insert(near, id: 200 + UInt64(k), deferringRebuild: true)
    }
    grown.indexPending()
    check(grown)
    let saved = grown.serialized()
    do {
        let again = try PDQIndex(serialized: saved)
        guard again.serialized() == saved else { Fuzz.fail("an index with recent tables serializes to other bytes once loaded") }
        check(again)
    } catch {
        Fuzz.fail("an index with recent tables does not load again: \(error)")
    }
}

/// Searches against a brute-force scan, from each live hash (up to 8), near ones and zero.
func check(_ index: PDQIndex) {
    var live: [(UInt64, PDQHash)] = []
    index.forEachLive { live.append(($0, $1)) }
    guard live.count == index.count else { Fuzz.fail("\(live.count) live entries, count \(index.count)") }
    var queries = live.prefix(8).map { ($0.1, [0, 17, 31, 64]) }
    queries.append((.zero, [0, 31, 64]))
    // Within 31 bits through one bucket table only: 2 bits flipped in each of the other 15
    // substrings (30 bits), so only table j holds the entry within 1 bit. A posting missing from
    // table j shows here, where the 15 other tables would otherwise cover for it.
    for (_, hash) in live.prefix(3) {
        for j in 0..<PDQIndex.substrings {
            var query = hash
            for k in 0..<PDQIndex.substrings where k != j {
                query = query.flipping(bit: 16 * k + 2).flipping(bit: 16 * k + 9)
            }
            queries.append((query, [31]))
        }
    }
    for (query, radii) in queries {
        for radius in radii {
            let expected = live.compactMap { id, h -> PDQIndex.Match? in
                let d = h.distance(to: query)
                return d <= radius ? PDQIndex.Match(id: id, distance: d) : nil
            }.sorted { ($0.distance, $0.id) < ($1.distance, $1.id) }
            let found = index.search(query, radius: radius)
            guard found == expected else {
                Fuzz.fail("search at radius \(radius) found \(found.count), a scan \(expected.count)")
            }
        }
    }
}

/// Input byte reader that gives zeros once the input is used up.
struct Input {
    let bytes: [UInt8]
    var at = 0
    mutating func u8() -> UInt8 {
        defer { at += 1 }
        return at < bytes.count ? bytes[at] : 0
    }
    mutating func u32() -> UInt32 { (0..<4).reduce(0) { v, k in v | UInt32(u8()) << UInt32(8 * k) } }
    mutating func u64() -> UInt64 { (0..<8).reduce(0) { v, k in v | UInt64(u8()) << UInt64(8 * k) } }
    var remaining: Int { max(0, bytes.count - at) }
}

/// A serialized index and where its parts are.
struct Built {
    var file: [UInt8]
    /// (slot, substring) → byte offset of that slot's bucket offset entry, for bucket tables.
    var bucketEntries: [Int]
    var slots: Int
    var indexed: Int
}

/// Built files by (settings, count, seed): libFuzzer mutates the tail of an input far more often
/// than its first bytes, and building and serializing a 4 MiB index is most of an execution.
nonisolated(unsafe) var built: [[UInt8]: Built] = [:]

func build(settings: UInt8, count: Int, seed: UInt64) -> Built {
    let key = [settings & 0x1F, UInt8(count)] + (0..<8).map { UInt8(truncatingIfNeeded: seed >> UInt64(8 * $0)) }
    if let cached = built[key] { return cached }
    var rng = SplitMix(seed)
    var index = PDQIndex()
    var hashes: [(PDQHash, UInt64)] = []
    for i in 0..<count {
        // Every fourth hash near the previous one, so that buckets are shared.
        var hash = PDQHash(words: SIMD4(rng.next(), rng.next(), rng.next(), rng.next()))
        if i % 4 == 3, let previous = hashes.last?.0 { hash = previous.flipping(bit: Int(rng.next() % 256)) }
        let id = settings & 2 != 0 ? UInt64(i % 5) : UInt64(i + 1)
        hashes.append((hash, id))
        index.insert(hash, id: id, deferringRebuild: true)
    }
    if settings & 4 != 0 { index.rebuild() }
    for (i, (hash, id)) in hashes.enumerated() where settings & 8 != 0 && i % 3 == 1 {
        index.remove(hash, id: id, deferringRebuild: true)
    }
    if settings & 16 != 0 { index.insert(.zero, id: 1000, deferringRebuild: true) }
    let slots = index.slotCount
    let indexed = slots - index.pendingCount
    var entries: [Int] = []
    if indexed > 0 {
        let tables = 40 + 8 * (5 * slots + (slots + 63) / 64)
        var words: [SIMD4<UInt64>] = []
        index.forEachLive { _, hash in words.append(hash.words) }
        for w in words {
            for j in 0..<PDQIndex.substrings {
                let key = Int(UInt16(truncatingIfNeeded: w[j / 4] >> UInt64(16 * (j % 4))))
                entries.append(tables + 4 * (j * (65_536 + 1) + key))
            }
        }
    }
    if built.count >= 16 { built.removeAll() }
    let result = Built(file: index.serialized(), bucketEntries: entries, slots: slots, indexed: indexed)
    built[key] = result
    return result
}

/// A real index from the input's first bytes, changed where the rest of the input says.
func structured(_ bytes: [UInt8]) -> [UInt8] {
    var input = Input(bytes: bytes)
    let settings = input.u8()
    let count = Int(input.u8() % 41)
    let base = build(settings: settings, count: count, seed: input.u64())
    var file = base.file
    let front = 40 + 40 * base.slots + 8 * ((base.slots + 63) / 64)
    let postings = 4 * PDQIndex.substrings * base.indexed
    while input.remaining >= 5 {
        let selector = Int(input.u32())
        let value = input.u8()
        // Where: the header, hashes, ids and live bits; the postings; a bucket offset next to a
        // hash's bucket (moving a bucket's bounds); or anywhere.
        let pick = selector >> 2
        var at: Int
        switch selector & 3 {
        case 0: at = pick % front
        case 1: at = postings > 0 ? file.count - 8 - postings + pick % postings : pick % front
        case 2 where !base.bucketEntries.isEmpty:
            at = base.bucketEntries[(pick >> 3) % base.bucketEntries.count] + (pick & 7)
        default: at = pick % file.count
        }
        at = min(at, file.count - 1)
        file[at] ^= value
    }
    if settings & 32 != 0 { file.removeLast(min(file.count, Int(settings >> 6) * 4 + 8)) }
    return Fuzz.withChecksum(file) ?? file
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked(seeds)
    return 0
}

/// Small serialized indexes (no bucket tables: those are 4 MiB) and a few structured inputs.
func seeds() -> [(name: String, bytes: [UInt8])] {
    var out: [(String, [UInt8])] = []
    var rng = SplitMix(2)
    for n in [0, 1, 3, 9] {
        var index = PDQIndex()
        for i in 0..<n {
            index.insert(PDQHash(words: SIMD4(rng.next(), rng.next(), rng.next(), rng.next())), id: UInt64(i + 1))
        }
        if n == 9 {
            var live: [(UInt64, PDQHash)] = []
            index.forEachLive { live.append(($0, $1)) }
            index.remove(live[4].1, id: live[4].0)
        }
        let bytes = index.serialized()
        if (try? PDQIndex(serialized: bytes)) == nil {
            Fuzz.fail("seed raw-\(n), written by serialized(), does not load")
        }
        out.append(("raw-\(n)", [0] + bytes))
    }
    for (i, settings) in [0, 4, 4 | 8, 4 | 8 | 16, 2 | 4, 4 | 32].enumerated() {
        var bytes: [UInt8] = [1, UInt8(settings), UInt8(5 + 7 * i)]
        bytes += (0..<8).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        bytes += i % 2 == 0 ? [] : (0..<10).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        out.append(("structured-\(i)", bytes))
    }
    return out
}

@_cdecl("fuzz_pdq_index_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
