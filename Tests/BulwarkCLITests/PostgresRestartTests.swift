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
        // Reaped here, not through `Process`: the PostgreSQL server that pg_ctlcluster starts
        // inherits the descriptor `Process` watches for the child's exit, so `isRunning` stays true.
        var status: Int32 = 0
        while waitpid(process.processIdentifier, &status, WNOHANG) == 0 { try await Task.sleep(nanoseconds: 50_000_000) }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }

    func restart(url: String, location: PostgresURL) async throws {
        let key = try CLI.createIngestKey(database: url)
        let port = CLI.listeningPort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CLI.binary)
        let banks = NSTemporaryDirectory() + "bulwark-pgrestart-banks-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: banks) }
        server.arguments = ["serve", "--database", url, "--port", String(port), "--no-sample", "--banks", banks]
        server.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        let log = NSTemporaryDirectory() + "bulwark-pgrestart-\(UInt32.random(in: 0...UInt32.max)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        server.standardOutput = logHandle
        server.standardError = logHandle
        try server.run()
        func fullLog() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        func serverLog() -> String { String(fullLog().suffix(3000)) }
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let up = await CLI.waitUntilServing(server, port: port, client: client, seconds: 30)
        do {
            try #require(up, "the server did not come up: \(serverLog())")
            try await load(client, port: port, key: key, location: location, serverLog: serverLog)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        // A graceful shutdown ends even if a query on a connection the restart dropped is still
        // unanswered (the store waits 10 s for its client at most).
        kill(server.processIdentifier, SIGTERM)
        for _ in 0..<600 where server.isRunning { try await Task.sleep(nanoseconds: 50_000_000) }
        #expect(!server.isRunning, "the server did not exit within 30 s of SIGTERM; its log ends: \(serverLog())")
        if !server.isRunning { #expect(server.terminationStatus == 0, "exit status; the log ends: \(serverLog())") }
        // No transaction was left waiting for an answer from a dropped connection. (Until the store
        // stopped sending ROLLBACK on a closed connection, one was, in about 3 restarts of 8, and
        // it held all ingest until the committer's 30 s timeout.)
        #expect(!fullLog().contains("did not finish within"), "an ingest transaction hung; the log ends: \(serverLog())")
        let stuck = fullLog().contains("did not close within the deadline")
        print("PostgresRestartTests: shutdown \(stuck ? "waited out a query left unanswered by the restart" : "closed every connection")")
    }

    /// Four senders through the restart; then every acknowledged item is looked up.
    func load(
        _ client: HTTPClient, port: Int, key: String, location: PostgresURL, serverLog: () -> String
    ) async throws {
        let acknowledged = Counter<Set<String>>([])
        let afterRestart = Counter(0)
        let failed = Counter(0)
        let restarted = Counter(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<4 {
                group.addTask {
                    var n = 0
                    // Send until the database is back and 200 more items were acknowledged after
                    // it (for five minutes at most).
                    let deadline = Date().addingTimeInterval(300)
                    while afterRestart.value < 200 && Date() < deadline {
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
                    }
                }
            }
            group.addTask {
                let deadline = Date().addingTimeInterval(120)
                while acknowledged.value.count < 300 && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
                try #require(acknowledged.value.count >= 300, "the server acknowledged too little before the restart")
                let status = try await pgctl("restart")
                #expect(status == 0, "pg_ctlcluster restart failed")
                restarted.update { $0 = true }
            }
            try await group.waitForAll()
        }
        print("PostgresRestartTests: \(acknowledged.value.count) items acknowledged, \(failed.value) requests failed or timed out")
        #expect(
            afterRestart.value >= 200,
            "ingest did not resume after the restart (\(failed.value) requests failed); the server's log ends: \(serverLog())")
        // Every acknowledged item is stored, once (the key is unique), after the restart.
        try await PostgresStore.withStore(location, logger: TestPostgres.logger) { store in
            var missing: [String] = []
            for id in acknowledged.value where try await store.item(platform: "platform", externalID: id) == nil {
                missing.append(id)
            }
            #expect(missing.isEmpty, "acknowledged items missing after the restart: \(missing.prefix(10))")
            #expect(try await store.itemCount() >= acknowledged.value.count)
        }
    }
}
