import AsyncHTTPClient
import BulwarkStore
import BulwarkTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `bulwark serve` on PostgreSQL while the database server restarts under ingest load.
///
/// Opt-in, because it restarts a PostgreSQL cluster: set `BULWARK_TEST_RESTART_CLUSTER` to the
/// cluster's version and name (`"15 restart"`, restarted with `pg_ctlcluster`) and
/// `BULWARK_TEST_POSTGRES_URL` to that cluster. Use a cluster of its own, not one that other
/// test runs share (`scripts/postgres-restart-test.sh` makes one on port 5439 and runs this).
struct PostgresRestartTests {
    static let cluster = ProcessInfo.processInfo.environment["BULWARK_TEST_RESTART_CLUSTER"]

    @Test(.enabled(if: cluster != nil, "set BULWARK_TEST_RESTART_CLUSTER to a cluster this test may restart"))
    func everyAcknowledgedItemSurvivesADatabaseRestartAndIngestResumes() async throws {
        try await TestPostgres.withDatabase("pgrestart") { location, logger in
            try await restart(url: WorkerProcessTests.url(database: location.database), location: location)
        }
    }

    func pgctl(_ action: String) async throws -> Int32 {
        let parts = (Self.cluster ?? "").split(separator: " ").map(String.init)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pg_ctlcluster")
        process.arguments = parts + [action]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(nanoseconds: 50_000_000) }
        return process.terminationStatus
    }

    func restart(url: String, location: PostgresURL) async throws {
        let created = try CLI.run(["keys", "create", "--database", url, "--name", "platform", "--role", "ingest"])
        #expect(created.status == 0, "\(created.stderr)")
        let key = try #require(created.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let port = Int.random(in: 20_000...40_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CLI.binary)
        server.arguments = ["serve", "--database", url, "--port", String(port), "--no-sample"]
        server.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var up = false
        for _ in 0..<600 where !up {
            up = (try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(1)))?.status == .ok
            if !up { try await Task.sleep(nanoseconds: 50_000_000) }
        }
        #expect(up, "the server did not come up")

        let acknowledged = Counter<Set<String>>([])
        let afterRestart = Counter(0)
        let failed = Counter(0)
        let restarted = Counter(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<4 {
                group.addTask {
                    var n = 0
                    // Send until the database is back and 200 more items were acknowledged after it.
                    while afterRestart.value < 200 {
                        n += 1
                        let id = "s\(sender)-\(n)"
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/items")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(key)")
                        request.body = .bytes(ByteBuffer(string: #"{"id":"\#(id)","text":"item \#(id)"}"#))
                        guard let r = try? await client.execute(request, timeout: .seconds(10)) else {
                            failed.update { $0 += 1 }
                            try await Task.sleep(nanoseconds: 50_000_000)
                            continue
                        }
                        _ = try? await r.body.collect(upTo: 1 << 20)
                        if r.status == .ok {
                            acknowledged.update { _ = $0.insert(id) }
                            if restarted.value { afterRestart.update { $0 += 1 } }
                        } else {
                            failed.update { $0 += 1 }
                            try await Task.sleep(nanoseconds: 50_000_000)
                        }
                        if n > 200_000 { return }
                    }
                }
            }
            group.addTask {
                while acknowledged.value.count < 300 { try await Task.sleep(nanoseconds: 10_000_000) }
                let status = try await pgctl("restart")
                #expect(status == 0, "pg_ctlcluster restart failed")
                restarted.update { $0 = true }
            }
            try await group.waitForAll()
        }
        #expect(afterRestart.value >= 200, "ingest did not resume after the restart")
        // Every acknowledged item is stored, once (the key is unique), after the restart.
        try await PostgresStore.withStore(location, logger: TestPostgres.logger) { store in
            var missing: [String] = []
            for id in acknowledged.value where try await store.item(platform: "platform", externalID: id) == nil {
                missing.append(id)
            }
            #expect(missing.isEmpty, "acknowledged items missing after the restart: \(missing.prefix(10))")
            #expect(try await store.itemCount() >= acknowledged.value.count)
        }
        try await client.shutdown()
        kill(server.processIdentifier, SIGTERM)
        for _ in 0..<200 where server.isRunning { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(!server.isRunning)
    }
}
