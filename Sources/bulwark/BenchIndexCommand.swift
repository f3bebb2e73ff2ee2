import ArgumentParser
import BulwarkBanks
import BulwarkCore
import Foundation

/// `bulwark bench index`: the PDQ index on a million random hashes with planted
/// near-duplicates: recall against brute force, query latency, memory per hash.
struct BenchIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Benchmark PDQ matching: random hashes plus planted near-duplicates, one core.",
        discussion: """
            Builds an index of --hashes random hashes (seeded) plus, for each of --queries query \
            hashes, --planted near-duplicates at distances spread over 0 ... radius and decoys \
            just beyond it. Every query's answer is checked: every planted hash within the radius \
            found, no decoy returned, and for --verify queries the whole answer equal to a \
            brute-force scan. Prints build time, latency (p50, p99, max), queries/s, memory per \
            hash, and the time to save and load the index. --write-dataset writes the hashes and \
            queries for scripts/bench-faiss.py, which runs faiss's binary multi-hash index on \
            the same data.
            """
    )

    @Option(help: "Random hashes in the index.") var hashes = 1_000_000
    @Option(help: "Queries.") var queries = 10_000
    @Option(help: "Near-duplicates planted per query.") var planted = 2
    @Option(help: "Match radius (Hamming distance).") var radius = 31
    @Option(help: "Queries whose whole answer is compared with a brute-force scan.") var verify = 200
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(
        help: """
            Hashes added one at a time after the tables are built, as additions through the API are \
            (the last ones made, planted ones first): they go to the recent tables and the pending slots.
            """)
    var added = 0
    @Option(help: "Write hashes.hex and queries.hex to this directory and exit.") var writeDataset: String?

    func validate() throws {
        guard hashes >= 0, queries > 0, planted >= 0, (0...256).contains(radius), added >= 0 else {
            throw ValidationError("--hashes >= 0, --queries > 0, --planted >= 0, --radius 0...256, --added >= 0")
        }
    }

    func run() throws {
        var rng = SplitMix64(seed: seed)
        var entries: [PDQHash] = []
        entries.reserveCapacity(hashes + queries * (planted + 1))
        for _ in 0..<hashes { entries.append(rng.pdqHash()) }
        var queryHashes: [PDQHash] = []
        var plantedIDs: [[(UInt64, Int)]] = []
        var decoyIDs: [[UInt64]] = []
        for q in 0..<queries {
            let query = rng.pdqHash()
            queryHashes.append(query)
            var mine: [(UInt64, Int)] = []
            for k in 0..<planted {
                // Spread over 0 ... radius, the radius itself included.
                let d = planted == 1 ? radius : (k * radius) / max(planted - 1, 1)
                let distance = (q + k * 7) % 3 == 0 ? radius : d
                entries.append(rng.flipping(query, bits: distance))
                mine.append((UInt64(entries.count), distance))
            }
            plantedIDs.append(mine)
            if radius < 256 {
                entries.append(rng.flipping(query, bits: radius + 1))
                decoyIDs.append([UInt64(entries.count)])
            } else {
                decoyIDs.append([])
            }
        }
        if let dir = writeDataset {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try (entries.map(\.hex).joined(separator: "\n") + "\n").write(toFile: dir + "/hashes.hex", atomically: true, encoding: .utf8)
            try (queryHashes.map(\.hex).joined(separator: "\n") + "\n").write(toFile: dir + "/queries.hex", atomically: true, encoding: .utf8)
            var planted = ""
            for (q, list) in plantedIDs.enumerated() {
                for (id, d) in list { planted += "\(q),\(id - 1),\(d)\n" }  // 0-based row in hashes.hex
            }
            try planted.write(toFile: dir + "/planted.csv", atomically: true, encoding: .utf8)
            print("wrote \(entries.count) hashes, \(queryHashes.count) queries and the planted pairs to \(dir)")
            return
        }

        let clock = ContinuousClock()
        var index = PDQIndex()
        let buildStart = clock.now
        let built = max(entries.count - added, 0)
        index.insert(contentsOf: entries.prefix(built).enumerated().map { ($0.element, UInt64($0.offset + 1)) })
        index.rebuild()
        let buildTime = clock.now - buildStart
        let addStart = clock.now
        for (i, hash) in entries.enumerated().dropFirst(built) { index.insert(hash, id: UInt64(i + 1)) }
        let addTime = clock.now - addStart

        // Warm-up, then timed queries one at a time.
        for q in queryHashes.prefix(100) { _ = index.search(q, radius: radius) }
        var latencies: [Duration] = []
        latencies.reserveCapacity(queries)
        var answers: [[PDQIndex.Match]] = []
        answers.reserveCapacity(queries)
        let allStart = clock.now
        for q in queryHashes {
            let t0 = clock.now
            let found = index.search(q, radius: radius)
            latencies.append(clock.now - t0)
            answers.append(found)
        }
        let allTime = clock.now - allStart

        // Recall: planted within the radius all found, decoys never.
        var missing = 0
        var decoysReturned = 0
        var plantedTotal = 0
        for q in 0..<queries {
            let ids = Set(answers[q].map(\.id))
            for (id, _) in plantedIDs[q] {
                plantedTotal += 1
                if !ids.contains(id) { missing += 1 }
            }
            for id in decoyIDs[q] where ids.contains(id) { decoysReturned += 1 }
        }
        // Whole answers against brute force.
        var bruteMismatches = 0
        let checked = min(verify, queries)
        for q in 0..<checked {
            var expected: [PDQIndex.Match] = []
            for (i, h) in entries.enumerated() {
                let d = h.distance(to: queryHashes[q])
                if d <= radius { expected.append(PDQIndex.Match(id: UInt64(i + 1), distance: d)) }
            }
            expected.sort { ($0.distance, $0.id) < ($1.distance, $1.id) }
            if expected != answers[q] { bruteMismatches += 1 }
        }

        // Persistence.
        let saveStart = clock.now
        let bytes = index.serialized()
        let saveTime = clock.now - saveStart
        let loadStart = clock.now
        let loaded = try PDQIndex(serialized: bytes)
        let loadTime = clock.now - loadStart
        let sameAfterLoad = loaded.search(queryHashes[0], radius: radius) == answers[0]

        latencies.sort()
        func µs(_ d: Duration) -> String {
            let v = Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
            return String(format: "%.1f", v)
        }
        let seconds = Double(allTime.components.seconds) + Double(allTime.components.attoseconds) / 1e18
        let returned = answers.reduce(0) { $0 + $1.count }
        print("index: \(entries.count) hashes (\(hashes) random, \(queries * planted) planted, \(decoyIDs.joined().count) decoys), radius \(radius)")
        print("build: \(µs(buildTime)) µs (\(index.scansLinearly(radius: radius) ? "linear scan at this radius" : "multi-index: 16 x 16-bit substrings"))")
        if added > 0 {
            print(
                "added one at a time: \(entries.count - built) in \(µs(addTime)) µs; runs: \(index.slotCount - index.recentCount - index.pendingCount) base, \(index.recentCount) recent, \(index.pendingCount) pending"
            )
        }
        print("memory: \(index.memoryBytes / max(entries.count, 1)) bytes per hash (\(index.memoryBytes / 1_048_576) MiB), peak RSS \((peakRSSKiB() ?? 0) / 1024) MiB")
        print("queries: \(queries), \(Int(Double(queries) / seconds)) per second on one thread, \(returned) matches returned")
        print("latency: p50 \(µs(latencies[latencies.count / 2])) µs, p99 \(µs(latencies[min(latencies.count - 1, latencies.count * 99 / 100)])) µs, max \(µs(latencies[latencies.count - 1])) µs")
        print("recall: \(plantedTotal - missing)/\(plantedTotal) planted near-duplicates found (\(missing) missed), \(decoysReturned) decoys at distance \(radius + 1) returned")
        print("brute force: \(checked - bruteMismatches)/\(checked) answers identical to a linear scan")
        print("save: \(µs(saveTime)) µs (\(bytes.count / 1_048_576) MiB), load: \(µs(loadTime)) µs, answers after load \(sameAfterLoad ? "identical" : "DIFFER")")
        if missing > 0 || decoysReturned > 0 || bruteMismatches > 0 || !sameAfterLoad { throw ExitCode(1) }
    }
}
