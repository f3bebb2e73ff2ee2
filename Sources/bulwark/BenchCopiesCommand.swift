import ArgumentParser
import AsyncHTTPClient
import BulwarkCore
import BulwarkServer
import BulwarkStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// `bulwark bench copies`: a text posted many times, its copies listed and decided with one
/// decision, timed over loopback HTTP.
struct BenchCopiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copies",
        abstract: "Time copies of one text: ingest, the queue and the case that count them, one decision that decides them.",
        discussion: """
            Starts the service on 127.0.0.1 (a free port) with the real engine, on a fresh SQLite \
            file or on --database (give an empty PostgreSQL database: the bench writes to it). \
            Ingests --copies posts of one flagged text (disguised: some upper-cased, some with \
            zero-width characters) and --others flagged posts of other texts, 1,000 a request, \
            then times the queue page of the API (GET /v1/cases?limit=200, each case with its \
            count of open copies) and the case (GET /v1/cases/{id}, its open copies listed), \
            --requests times each, and one POST /v1/cases/{id}/decisions with copies: true. \
            Build with -c release.
            """
    )

    @Option(help: "Copies of the one text.") var copies = 1_000
    @Option(help: "Flagged posts of other texts beside them.") var others = 1_000
    @Option(help: "Timed requests of each read (after 5 untimed).") var requests = 50
    @Option(help: "postgres://… of an empty database (default: a fresh SQLite file).") var database: String?

    func validate() throws {
        guard (2...100_000).contains(copies), (0...100_000).contains(others), requests > 0 else {
            throw ValidationError("--copies must be 2-100000, --others 0-100000 and --requests more than 0")
        }
    }

    static let text = "Soldiers of the Caliphate, join the Islamic State now: your brothers wait for you, make hijra and fight with them"

    /// The n-th copy: the text as it is, upper-cased, or with zero-width characters in two words.
    static func copy(_ n: Int) -> String {
        switch n % 3 {
        case 0: text
        case 1: text.uppercased()
        default: text.replacingOccurrences(of: "Caliphate", with: "Cali\u{200B}phate").replacingOccurrences(of: "hijra", with: "hi\u{200D}jra")
        }
    }

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let path = NSTemporaryDirectory() + "bulwark-bench-copies-\(UInt32.random(in: 0...UInt32.max)).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let option = try DatabaseOption.parse(["--database", database ?? path])
        let engine = try EngineOptions.parse([]).loadEngine()
        try await option.withStore(logger: logger) { store in
            let service = BulwarkService(store: store, engine: engine, configuration: ServerConfiguration(port: 0))
            let now = Int64(Date().timeIntervalSince1970)
            let key = APIKeys.generate()
            _ = try await store.createKey(name: "bench", role: .reviewer, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: now)
            let run = UInt32.random(in: 0...UInt32.max)
            var items = (0..<copies).map { n in
                NewItem(platform: "bench", externalID: "copy-\(run)-\(n)", type: "post", text: Self.copy(n), author: "acct-\(n % 97)")
            }
            // Other flagged texts: the copy text with a number woven in, so each is a text of its own.
            items += (0..<others).map { n in
                NewItem(
                    platform: "bench", externalID: "other-\(run)-\(n)", type: "post",
                    text: Self.text.replacingOccurrences(of: "now:", with: "now, group \(n):"), author: "acct-\(n % 97)")
            }
            // The first copy alone, into the empty database: the one case there is its case.
            _ = try await service.ingestNew([items[0]])
            let opened = try await store.cases(CaseFilter(limit: 2), now: now)
            guard opened.count == 1, let caseID = opened.first?.id else {
                throw CommandFailure("the first copy opened no case, or the database was not empty")
            }
            let clock = ContinuousClock()
            let began = clock.now
            for start in stride(from: 1, to: items.count, by: 1_000) {
                _ = try await service.ingestNew(Array(items[start..<min(items.count, start + 1_000)]))
            }
            let ingestSeconds = Self.seconds(clock.now - began)
            let listed = try await store.openCopies(ofCase: caseID, limit: BulwarkService.maxCopiesPerDecision)

            try await withLoopbackServer(service, logger: logger) { port in
                func send(_ method: HTTPMethod, _ uri: String, _ body: String? = nil) async throws -> (Double, ByteBuffer) {
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(uri)")
                    request.method = method
                    request.headers.add(name: "Authorization", value: "Bearer \(key)")
                    if let body {
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: body))
                    }
                    let start = clock.now
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
                    let bytes = try await response.body.collect(upTo: 64 << 20)
                    let elapsed = Self.seconds(clock.now - start) * 1_000
                    guard response.status == .ok || response.status == .created else {
                        throw CommandFailure("\(uri) answered \(response.status): \(String(buffer: bytes))")
                    }
                    return (elapsed, bytes)
                }
                func timed(_ uri: String) async throws -> String {
                    var ms: [Double] = []
                    for i in 0..<(requests + 5) {
                        let (elapsed, _) = try await send(.GET, uri)
                        if i >= 5 { ms.append(elapsed) }
                    }
                    ms.sort()
                    func at(_ q: Double) -> Double { ms[min(ms.count - 1, Int(Double(ms.count) * q))] }
                    return String(format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms", at(0.5), at(0.99), ms.last ?? 0)
                }
                let queue = try await timed("/v1/cases?limit=200")
                // The count alone, in process: what it adds to the queue page.
                let page = try await store.cases(CaseFilter(limit: 200), now: now).map(\.id)
                var countMS: [Double] = []
                for i in 0..<(requests + 5) {
                    let start = clock.now
                    _ = try await store.openCopyCounts(ofCases: page)
                    if i >= 5 { countMS.append(Self.seconds(clock.now - start) * 1_000) }
                }
                countMS.sort()
                let detail = try await timed("/v1/cases/\(caseID)")
                let (decideMS, reply) = try await send(
                    .POST, "/v1/cases/\(caseID)/decisions", #"{"action":"remove","category":"recruitment","copies":true}"#)
                let decided =
                    ((try? JSONSerialization.jsonObject(with: Data(reply.readableBytesView)) as? [String: Any])?["copies"] as? [String: Any])?["decided"]
                    as? [Any]
                print("\(option.isPostgres ? "PostgreSQL" : "SQLite"): \(copies) copies of one text and \(others) other flagged posts")
                print(String(format: "  ingest: %.1f s, %.0f items/s (1,000 a request, one after another)", ingestSeconds, Double(items.count - 1) / ingestSeconds))
                print("  the case lists \(listed.count) open copies")
                print("  GET /v1/cases?limit=200 (open copies counted), \(requests) requests: \(queue)")
                print(String(format: "    of which counting the copies of the page's 200 cases (in process): p50 %.2f ms, max %.2f ms",
                    countMS[countMS.count / 2], countMS.last ?? 0))
                print("  GET /v1/cases/{id} (open copies listed), \(requests) requests:      \(detail)")
                print(String(format: "  POST /v1/cases/{id}/decisions with copies: %d copies decided in %.0f ms (%.2f ms a copy)",
                    decided?.count ?? 0, decideMS, decideMS / Double(max(1, decided?.count ?? 0))))
                print("  peak RSS: \((peakRSSKiB() ?? 0) / 1024) MiB")
            }
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
