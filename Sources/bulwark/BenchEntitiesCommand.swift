import ArgumentParser
import BulwarkCore
import BulwarkSemantic
import BulwarkStore
import Foundation

/// `--items`, shared by `bench` and `bench entities` (ArgumentParser parses a name once for the
/// whole command stack, so a parent and a subcommand share the option rather than both declaring it).
struct BenchItemsOption: ParsableArguments {
    @Option(help: "Items: in the corpus (bench, default 200000), in the store before the timed ingest (bench entities, default 1000000), texts embedded (bench semantic, default 2000).")
    var items: Int?
}

/// `--max-text-bytes`, shared by `bench` and `bench semantic` (see `BenchItemsOption`).
struct BenchMaxTextBytesOption: ParsableArguments {
    @Option(help: "Longest text used, in bytes (short posts: 280).")
    var maxTextBytes = 280
}

/// `--cached-pieces`, shared by `bench` (with --model full) and `bench semantic` (see
/// `BenchItemsOption`).
struct BenchCachedPiecesOption: ParsableArguments {
    /// The most pieces kept: 65,536 entries of 13 KB, about 830 MiB once full (the tokenizer
    /// has about 128,000 pieces; 4,096 are the default).
    static let maximum = 65_536

    @Option(help: "Pieces whose per-token values the sentence encoder keeps (0: none, its cost on words it has never met; at most \(Self.maximum); rounded down to a power of two). The bench mix repeats its texts, so there most pieces are kept after the first pass.")
    var cachedPieces = SentenceEncoder.Workspace.standardCachedPieces

    func validate() throws {
        guard (0...Self.maximum).contains(cachedPieces) else {
            throw ValidationError("--cached-pieces \(cachedPieces): give 0 (keep none) to \(Self.maximum)")
        }
    }
}

/// `--iterations`, shared by `bench` and `bench semantic` (see `BenchItemsOption`).
struct BenchIterationsOption: ParsableArguments {
    @Option(help: "Timed iterations (passes) over the corpus. (default: 3)")
    var iterations: Int?
}

/// `bulwark bench entities`: how long entity signals and risk take to be current as items
/// arrive, on a store the size of a real platform's.
struct BenchEntitiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entities",
        abstract: "Time ingest with entity updates on a SQLite store of N items.",
        discussion: """
            Builds (or reuses, adding what is missing) a SQLite store of --items synthetic items spread \
            over 20,000 accounts and 5,000 containers (2% of containers and 1% of accounts post mostly \
            violating content), through the store's real ingest path in batches of 1,000 with \
            pre-computed verdicts. Then times ingesting --add more items the same way: entity signals, \
            risk and cases are updated in the same transaction as the items, so the time until the \
            scores are current is the ingest time. Build with -c release for real figures.
            """
    )

    @Option(help: "SQLite file to build or reuse.") var database = "bench-entities.db"
    @OptionGroup var count: BenchItemsOption
    /// Items in the store before the timed ingest.
    var items: Int { count.items ?? 1_000_000 }
    @Option(help: "Items ingested while timed.") var add = 10_000

    static let accounts = 20_000
    static let containers = 5_000
    static let batch = 1_000
    /// Synthetic time: one item every 30 seconds from this moment.
    static let start: Int64 = 1_700_000_000

    func validate() throws {
        guard items >= 0, add > 0 else { throw ValidationError("--items must be 0 or more and --add more than 0") }
    }

    func run() async throws {
        let store = try SQLiteStore(path: database)
        try await store.migrate()
        var have = try await store.itemCount()
        if have < items {
            print("building \(database): \(have) items stored, adding \(items - have)")
            let clock = ContinuousClock()
            let began = clock.now
            while have < items {
                let n = min(Self.batch, items - have)
                _ = try await store.ingest((have..<have + n).map(Self.item), now: Self.time(have + n - 1))
                have += n
                if have % 100_000 == 0 || have == items {
                    print("  \(have) items (\(String(format: "%.0f", seconds(clock.now - began))) s)")
                }
            }
        }
        let entities = try await store.entities(EntityFilter(limit: 1))
        print("store: \(have) items; riskiest entity before: \(entities.first.map { "\($0.id) risk \(String(format: "%.1f", $0.risk))" } ?? "none")")
        let clock = ContinuousClock()
        let began = clock.now
        var done = 0
        while done < add {
            let n = min(Self.batch, add - done)
            let first = have + done
            _ = try await store.ingest((first..<first + n).map(Self.item), now: Self.time(first + n - 1))
            done += n
        }
        let elapsed = seconds(clock.now - began)
        let open = try await store.depths().openCases
        print("ingested \(add) items with entity updates in \(String(format: "%.2f", elapsed)) s: \(String(format: "%.0f", Double(add) / elapsed)) items/s")
        print("entity scores current after: \(String(format: "%.2f", elapsed)) s (updated in the ingest transaction)")
        print("open cases: \(open); peak RSS: \((peakRSSKiB() ?? 0) / 1024) MiB")
    }

    static func time(_ n: Int) -> Int64 { start + Int64(n) * 30 }

    /// Item `n`: its author and container drawn from a fixed hash of `n`, its verdict from how
    /// violating they are.
    static func item(_ n: Int) -> ScannedItem {
        var x = UInt64(n) &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            x ^= x >> 29
            x = x &* 0xBF58_476D_1CE4_E5B9
            x ^= x >> 32
            return x
        }
        let account = Int(next() % UInt64(accounts))
        let container = Int(next() % UInt64(containers))
        let bad = container < containers / 50 || account < accounts / 100
        let roll = Double(next() % 10_000) / 10_000
        let decision: Decision = roll < (bad ? 0.5 : 0.01) ? .violating : roll < (bad ? 0.6 : 0.02) ? .review : .none
        let score = decision == .violating ? 0.9 : decision == .review ? 0.6 : 0.05
        let category: Category? = decision == .none ? nil : .dissemination
        let reach = 10 + (container * 7_919) % 200_000
        let item = NewItem(
            platform: "bench", externalID: "i\(n)", type: "post", text: "bench post \(n)", author: "a\(account)",
            containerID: "c\(container)", containerTitle: "container \(container)", containerReach: reach,
            postedAt: time(n))
        let priority: Double? =
            decision == .none
            ? nil
            : ReviewPriority.base(score: score, category: category, reach: reach, userReports: 0, trustedReports: 0)
        return ScannedItem(
            item: item, decision: decision, score: score, category: category, context: nil, language: "en",
            verdictJSON: "{\"id\":\"i\(n)\"}", casePriority: priority)
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
