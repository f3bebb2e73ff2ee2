import AsyncHTTPClient
import BulwarkStore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Runs `bulwark serve` as a real process, kills it with SIGKILL under load, restarts it.
struct ServeDurabilityTests {
    func start(_ database: String, port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["serve", "--database", database, "--port", String(port), "--no-sample"]
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func waitUntilUp(_ server: Process, _ client: HTTPClient, port: Int) async throws {
        try #require(await CLI.waitUntilServing(server, port: port, client: client, seconds: 30), "the server did not come up")
    }

    @Test func everyAcknowledgedItemSurvivesAKillExactlyOnceAndQueuedWorkCompletes() async throws {
        let database = NSTemporaryDirectory() + "bulwark-kill-\(UInt32.random(in: 0...UInt32.max)).db"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + s) } }
        let key = try CLI.createIngestKey(database: database)
        let port = CLI.listeningPort()
        let image = try #require(FileManager.default.contents(atPath: CLI.root + "/../shared/data/pdq/misc-images/wee.jpg"))
        // The client is shut down whatever happens: one left running traps in its deinit and
        // takes the whole test process down with it, hiding the failure that left it running.
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await killAndRestart(database: database, key: key, port: port, image: image, client: client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func killAndRestart(database: String, key: String, port: Int, image: Data, client: HTTPClient) async throws {
        var server = try start(database, port: port)
        do {
            try await waitUntilUp(server, client, port: port)
        } catch {
            server.terminate()
            server.waitUntilExit()
            throw error
        }

        let acknowledged = Counter<Set<String>>([])
        let sent = Counter(0)
        let serverPID = server.processIdentifier
        // Four senders; every tenth item carries an image (background work).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<4 {
                group.addTask {
                    for n in 0..<100_000 {
                        let id = "s\(sender)-\(n)"
                        let media = n % 10 == 0 ? #","media":[{"data":"\#(image.base64EncodedString())"}]"# : ""
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/items")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(key)")
                        request.body = .bytes(ByteBuffer(string: #"{"id":"\#(id)","text":"item \#(id)"\#(media)}"#))
                        sent.update { $0 += 1 }
                        guard let r = try? await client.execute(request, timeout: .seconds(5)) else { return }
                        _ = try? await r.body.collect(upTo: 1 << 20)
                        if r.status == .ok { acknowledged.update { _ = $0.insert(id) } }
                    }
                }
            }
            // Kill the server in the middle of the load.
            group.addTask {
                while acknowledged.value.count < 300 { try await Task.sleep(nanoseconds: 10_000_000) }
                kill(serverPID, SIGKILL)
            }
            try await group.waitForAll()
        }
        server.waitUntilExit()
        #expect(server.terminationReason == .uncaughtSignal)
        let acked = acknowledged.value
        #expect(acked.count >= 300)

        // Restart: every acknowledged item is there once; the queued media work completes.
        server = try start(database, port: port)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        try await waitUntilUp(server, client, port: port)
        let store = try SQLiteStore(path: database)
        for id in acked {
            let item = try await store.item(platform: "platform", externalID: id)
            #expect(item != nil, "acknowledged item \(id) is missing")
        }
        let stored = try await store.itemCount()
        #expect(stored >= acked.count)
        #expect(stored <= sent.value)
        // A job the killed process was running is taken up again when its lease expires
        // (--job-lease, 60 s by default): wait past it.
        var pending = -1
        for _ in 0..<1_800 {
            pending = try await store.pendingJobCount()
            if pending == 0 { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(pending == 0, "background jobs left after the restart: \(pending)")
        // Sending an acknowledged item again changes nothing.
        let again = try #require(acked.first)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/items")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.body = .bytes(ByteBuffer(string: #"{"id":"\#(again)","text":"item \#(again)"}"#))
        let r = try await client.execute(request, timeout: .seconds(5))
        let body = try await r.body.collect(upTo: 1 << 20)
        #expect(String(buffer: body).contains("\"created\":false"))
        #expect(try await store.itemCount() == stored)
    }
}

/// Shared state for the sender tasks.
final class Counter<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value { state.withLock { $0 } }
    func update(_ body: (inout Value) -> Void) { state.withLock { body(&$0) } }
}
