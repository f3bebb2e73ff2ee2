import ArgumentParser
import BulwarkBanks
import BulwarkCore
import Foundation

/// `bulwark bench vpdq`: matching videos against a bank of vPDQ entries, as the media job does:
/// the bank built, copies of banked videos (every frame a few bits off, a tenth of them dropped,
/// inside a longer video) and unrelated videos matched one at a time; every copy must be found
/// and no unrelated video matched.
struct BenchVPDQCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vpdq",
        abstract: "Benchmark vPDQ matching: a bank of videos' frame hashes, copies and unrelated videos matched, one core.",
        discussion: """
            Builds a bank of --videos vPDQ entries of --frames random frames each (seeded; \
            quality 100, a frame a second), then matches --queries videos one at a time with \
            BankSet.match, as the media job matches a video's first and later frames: a third \
            copies of a banked video (each frame up to --noise bits off, every tenth frame \
            dropped), a third the same copies with as many unrelated frames again before and \
            after (found by the banked video's share), a third unrelated videos. Prints the time \
            to build the bank and to load its snapshot, the frames' index's memory, the latency \
            of a match (p50, p99, max) and matches per second, and checks every copy found with \
            its entry and no unrelated video matched (exit 1 otherwise).
            """
    )

    @Option(help: "vPDQ entries in the bank.") var videos = 10_000
    @Option(help: "Frames of each entry (a frame a second).") var frames = 60
    @Option(help: "Videos matched.") var queries = 3_000
    @Option(help: "Bits each frame of a copy is off its banked frame (at most; 0 ... this).") var noise = 16
    @Option(help: "Random seed.") var seed: UInt64 = 42

    func validate() throws {
        guard videos > 0, (1...VPDQHash.maxFeatures).contains(frames), queries >= 3, (0...31).contains(noise) else {
            throw ValidationError("--videos > 0, --frames 1...\(VPDQHash.maxFeatures), --queries >= 3, --noise 0...31")
        }
    }

    func run() throws {
        var rng = SplitMix64(seed: seed)
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        let rssBefore = residentKiB() ?? 0

        var banked: [[PDQHash]] = []
        banked.reserveCapacity(videos)
        for _ in 0..<videos { banked.append((0..<frames).map { _ in rng.pdqHash() }) }
        var set = BankSet()
        _ = try set.create(Bank(name: "videos", createdAt: 0))
        let buildStart = clock.now
        let signals = try banked.map { hashes in
            Signal(video: try VPDQHash(features: hashes.enumerated().map { .init(hash: $0.element, quality: 100, milliseconds: Int64($0.offset) * 1000) }))
        }
        _ = try set.add(bank: "videos", signals.lazy.map { ($0, [], "bench") }, source: "bench", at: 1)
        let buildTime = clock.now - buildStart
        // The bank alone: its entries and the frames' index, less the hashes the bench keeps.
        let signalsKiB = residentKiB() ?? 0
        let snapshot = set.snapshot(sequence: 1)
        let loadStart = clock.now
        let (loaded, _) = try BankSet.load(snapshot: snapshot)
        let loadTime = clock.now - loadStart
        guard loaded.videoIndex.count == set.videoIndex.count else { throw CommandFailure("the loaded bank's index differs") }

        // Queries: copies, copies inside a longer video, unrelated videos.
        enum Kind { case copy, inside, unrelated }
        var work: [(kind: Kind, entry: UInt64, hashes: MediaHashes)] = []
        for q in 0..<queries {
            let kind: Kind = [.copy, .inside, .unrelated][q % 3]
            let entry = Int(rng.next() % UInt64(videos))
            var shown: [PDQHash]
            if kind == .unrelated {
                shown = (0..<frames).map { _ in rng.pdqHash() }
            } else {
                shown = banked[entry].enumerated().filter { $0.offset % 10 != 3 }.map {
                    rng.flipping($0.element, bits: Int(rng.next() % UInt64(noise + 1)))
                }
                if shown.isEmpty { shown = [banked[entry][0]] }
                if kind == .inside { shown = (0..<shown.count).map { _ in rng.pdqHash() } + shown + (0..<shown.count).map { _ in rng.pdqHash() } }
            }
            let media = MediaHashes(
                pdq: shown[0], pdqQuality: 100,
                frames: shown.dropFirst().enumerated().map { FramePDQ(frame: $0.offset + 1, hash: $0.element, quality: 100, second: $0.offset + 1) })
            work.append((kind, UInt64(entry + 1), media))
        }
        for w in work.prefix(50) { _ = set.match(w.hashes) }
        var latencies: [Duration] = []
        latencies.reserveCapacity(queries)
        var missed = 0, wrong = 0
        var framesMatched = 0
        let allStart = clock.now
        for w in work {
            let t0 = clock.now
            let outcome = set.match(w.hashes)
            latencies.append(clock.now - t0)
            let ids = outcome.matches.map(\.entry.id)
            switch w.kind {
            case .unrelated: if !ids.isEmpty { wrong += 1 }
            case .copy, .inside:
                if !ids.contains(w.entry) { missed += 1 }
                if ids.contains(where: { $0 != w.entry }) { wrong += 1 }
            }
            framesMatched += 1 + w.hashes.frames.count
        }
        let allTime = clock.now - allStart
        latencies.sort()
        func µs(_ d: Duration) -> String { String(format: "%.0f", seconds(d) * 1e6) }
        let slots = set.videoIndex.count
        print("bank: \(videos) vPDQ entries of \(frames) frames (\(slots) frames indexed), built in \(String(format: "%.2f", seconds(buildTime))) s; its snapshot (\(snapshot.count / 1_048_576) MiB) loaded in \(String(format: "%.2f", seconds(loadTime))) s")
        print(
            "memory: frames' index \(set.videoIndex.memoryBytes / 1_048_576) MiB (\(set.videoIndex.memoryBytes / max(slots, 1)) bytes a frame); resident \(rssBefore / 1024) MiB at the start, \(signalsKiB / 1024) MiB with the bank built (its videos' hashes held once more by the bench); peak RSS \((peakRSSKiB() ?? 0) / 1024) MiB (a second copy loaded from the snapshot, the queries)"
        )
        print("matches: \(queries) videos (\(framesMatched) frames), \(Int(Double(queries) / seconds(allTime))) a second on one thread; latency p50 \(µs(latencies[latencies.count / 2])) µs, p99 \(µs(latencies[min(latencies.count - 1, latencies.count * 99 / 100)])) µs, max \(µs(latencies[latencies.count - 1])) µs")
        print("found: \(queries * 2 / 3 - missed) of the copies and copies inside longer videos (\(missed) missed), \(wrong) matches of another entry or an unrelated video")
        if missed > 0 || wrong > 0 { throw ExitCode(1) }
    }
}
