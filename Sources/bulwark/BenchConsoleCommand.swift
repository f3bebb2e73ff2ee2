import ArgumentParser
import AsyncHTTPClient
import BulwarkCore
import BulwarkServer
import BulwarkStore
import BulwarkText
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// `bulwark bench console`: how long the reviewer console takes to render a heavy case page.
struct BenchConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Time the console's case page with N evidence spans, over loopback HTTP.",
        discussion: """
            Starts the service on a fresh SQLite file on 127.0.0.1 (a free port) with the real engine, \
            ingests through the real path one post naming listed organisations --spans times (the \
            engine's evidence limit raised to match), with an author and a container, signs a reviewer \
            in, then requests the post's case page --requests times one after another. Reports the \
            server time (the Server-Timing header: until the page is rendered, database reads \
            included) and the round trip seen by the client, p50, p99 and max. Build with -c release.
            """
    )

    @Option(help: "Evidence spans on the case page.") var spans = 100
    @Option(help: "Timed requests (after 20 untimed).") var requests = 500

    func validate() throws {
        guard (1...2_000).contains(spans), requests > 0 else {
            throw ValidationError("--spans must be 1-2000 and --requests more than 0")
        }
    }

    /// A post naming the first `count` entries of the lexicon, one sentence each (the engine
    /// gives one evidence span per entry).
    static func post(naming count: Int, _ engine: TextEngine) -> String {
        let entries = engine.indicators?.lexicon.entries ?? []
        return entries.prefix(count).map { "Follow \($0.patterns.first ?? $0.name) now, brothers." }.joined(separator: " ")
    }

    func run() async throws {
        var engine = try EngineOptions.parse([]).loadEngine()
        engine.configuration.maxEvidence = spans + 10
        let path = NSTemporaryDirectory() + "bulwark-bench-console-\(UInt32.random(in: 0...UInt32.max)).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let service = BulwarkService(store: store, engine: engine, configuration: ServerConfiguration(port: 0))

        // Enough lexicon entries for --spans marked spans (a few patterns only match in context).
        let available = engine.indicators?.lexicon.entries.count ?? 0
        var named = min(spans, available)
        var text = Self.post(naming: named, engine)
        while named < available, Self.spans(engine, text) < spans {
            named += 1
            text = Self.post(naming: named, engine)
        }
        _ = try await service.ingestNew([
            NewItem(
                platform: "bench", externalID: "heavy-1", type: "post", text: text, author: "acct-1",
                containerID: "room-1", containerTitle: "Supporters of the Islamic State", containerReach: 25_000)
        ])
        let now = Int64(Date().timeIntervalSince1970)
        guard let item = try await store.item(platform: "bench", externalID: "heavy-1"),
            let caseID = try await store.cases(CaseFilter(limit: 10), now: now).first(where: { $0.itemID == item.id })?.id
        else { throw CommandFailure("the post opened no case") }
        let marked = Self.spanCount(item.verdictJSON)

        let user = try await store.createUser(name: "bench", role: .reviewer, passwordHash: "unused", now: now)
        let token = hexString((0..<32).map { _ in UInt8.random(in: 0...255) })
        try await store.startSession(
            userID: user.id, tokenHash: SHA256.hex(Array(token.utf8)), csrfToken: token, expiresAt: now + 3600, now: now)

        try await withLoopbackServer(service, logger: logger) { port in
            let url = "http://127.0.0.1:\(port)/console/cases/\(caseID)"
            var serverMS: [Double] = []
            var roundTripMS: [Double] = []
            var bytes = 0
            let clock = ContinuousClock()
            for i in 0..<(requests + 20) {
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: "Cookie", value: "__Host-bulwark_session=\(token)")
                let began = clock.now
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 64 << 20)
                let elapsed = clock.now - began
                guard response.status == .ok else { throw CommandFailure("the case page answered \(response.status)") }
                guard i >= 20 else { continue }
                bytes = body.readableBytes
                roundTripMS.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
                let timing = response.headers.first(name: "Server-Timing") ?? ""
                guard let dur = timing.split(separator: "=").last.flatMap({ Double($0) }) else {
                    throw CommandFailure("no Server-Timing header")
                }
                serverMS.append(dur)
            }
            func summary(_ values: [Double]) -> String {
                let sorted = values.sorted()
                func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
                return String(format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms", at(0.5), at(0.99), sorted.last ?? 0)
            }
            print("case page with \(marked) evidence spans (\(bytes) bytes of HTML), \(requests) requests one at a time:")
            print("  server time (Server-Timing): \(summary(serverMS))")
            print("  round trip on loopback:      \(summary(roundTripMS))")
            print("  peak RSS: \((peakRSSKiB() ?? 0) / 1024) MiB")
        }
    }

    static func spans(_ engine: TextEngine, _ text: String) -> Int {
        var scratch = EngineScratch()
        return engine.scan(TextItem(id: "x", text: text), scratch: &scratch).evidence.count { $0.start != nil }
    }

    /// Evidence entries with a position in the stored verdict.
    static func spanCount(_ json: String) -> Int {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return 0 }
        return (object["evidence"] as? [[String: Any]] ?? []).count { $0["start"] is NSNumber }
    }
}

/// Runs the service on a free port of 127.0.0.1 while `body` runs, which gets the port; the
/// server is stopped when `body` returns (the bench commands' HTTP timings).
func withLoopbackServer(_ service: BulwarkService, logger: Logger, _ body: (Int) async throws -> Void) async throws {
    let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = service.application(logger: logger, onServerRunning: { port in portContinuation.yield(port) })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var ports = portStream.makeAsyncIterator()
        guard let port = await ports.next() else { throw CommandFailure("the server did not start") }
        try await body(port)
        group.cancelAll()
    }
}
