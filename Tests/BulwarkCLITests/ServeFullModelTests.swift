import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `serve --model full`: the items of one request are scanned as a batch (their routed items go
/// through the encoder together), and each gets the verdict `scan --model full` gives it.
struct ServeFullModelTests {
    /// `--cached-embeddings` out of 0...65,536 is refused before anything starts.
    @Test func aCacheSizeOutOfRangeIsRefused() throws {
        for count in ["-1", "65537"] {
            let r = try CLI.run(["serve", "--model", "full", "--cached-embeddings=" + count])
            #expect(r.status == 64, "\(r.stderr)")
            #expect(r.stderr.contains("--cached-embeddings \(count)") && r.stderr.contains("65536"), "\(r.stderr)")
        }
    }

    @Test func aMultiItemRequestGetsTheVerdictsScanGives() async throws {
        let database = NSTemporaryDirectory() + "bulwark-full-\(UInt32.random(in: 0...UInt32.max)).db"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + s) } }
        let key = try CLI.createIngestKey(database: database)
        let items = [
            #"{"id":"room","type":"title","text":"Supporters of the Islamic State"}"#,
            #"{"id":"chat","text":"Anyone up for football on Saturday? Bring water, it will be hot."}"#,
            #"{"id":"news","text":"Police arrested three men suspected of planning attacks for the Islamic State, prosecutors said."}"#,
            #"{"id":"call","text":"Rejoignez les rangs du califat, frères, la victoire est proche 🏴"}"#,
            #"{"id":"title2","type":"title","text":"Daily news about the war in Syria"}"#,
        ]
        let scan = try CLI.run(["scan", "--model", "full"], stdin: items.joined(separator: "\n") + "\n")
        #expect(scan.status == 0, "\(scan.stderr)")
        let expected = try CLI.lines(scan.stdout)

        let port = CLI.listeningPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        // Banks of its own: the default directory is locked by any other `serve` the suite runs.
        let banks = database + ".banks"
        defer { try? FileManager.default.removeItem(atPath: banks) }
        process.arguments = [
            "serve", "--database", database, "--banks", banks, "--port", String(port), "--no-sample", "--model", "full",
        ]
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        let log = database + ".log"
        #expect(FileManager.default.createFile(atPath: log, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: log) }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let client = HTTPClient.shared  // shut down by the library, never by a test that fails early
        // Loading the encoder in a debug build, beside the rest of the suite, can take a while:
        // up to 5 minutes, unless the server exits.
        let up = await CLI.waitUntilServing(process, port: port, client: client, seconds: 300)
        let serverLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try #require(up, "the server did not come up: \(serverLog.suffix(2_000))")
        /// POSTs `lines` as one request; the answered items, in order.
        func ingest(_ lines: [String]) async throws -> [[String: Any]] {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/items")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
            request.body = .bytes(ByteBuffer(string: #"{"items":["# + lines.joined(separator: ",") + "]}"))
            let response = try await client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
            return try #require(json["items"] as? [[String: Any]])
        }
        let answered = try await ingest(items)
        #expect(answered.count == expected.count)
        var routed = 0
        for (a, e) in zip(answered, expected) {
            let verdict = try #require(a["verdict"] as? [String: Any])
            #expect(a["id"] as? String == e["id"] as? String)
            #expect(verdict["decision"] as? String == e["decision"] as? String, "\(e["id"] ?? "")")
            let score = try #require(verdict["score"] as? Double)
            let scanScore = try #require(e["score"] as? Double)
            #expect(abs(score - scanScore) < 1e-3, "\(e["id"] ?? "")")
            let kinds = ((verdict["evidence"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
            let scanKinds = ((e["evidence"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds == scanKinds, "\(e["id"] ?? "")")
            if kinds.contains("semantic") { routed += 1 }
        }
        // Both titles at least: more than one item went through the encoder in the batch.
        #expect(routed >= 2)

        // The encoder's workspace outlives the request: the same texts again (new ids) find
        // every embedding kept, so no piece is even looked up, and get the same verdicts.
        func encoderCounters() async throws -> [String: Int] {
            let response = try await client.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            var counters: [String: Int] = [:]
            for line in text.split(separator: "\n") where line.hasPrefix("bulwark_encoder_") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let value = Int(parts[1]) { counters[String(parts[0])] = value }
            }
            return counters
        }
        let before = try await encoderCounters()
        let keptKey = #"bulwark_encoder_pieces_total{result="kept"}"#
        let computedKey = #"bulwark_encoder_pieces_total{result="computed"}"#
        #expect(before["bulwark_encoder_items_total"] == routed)
        // Why they went: every routed item counted once, the two titles as titles.
        func route(_ name: String) -> String { #"bulwark_encoder_routes_total{route=""# + name + #""}"# }
        let names = ["title", "indicator", "band", "unfamiliar_band", "topic"]
        #expect(names.allSatisfy { before[route($0)] != nil }, "\(before)")
        #expect(names.reduce(0) { $0 + (before[route($1)] ?? 0) } == routed)
        #expect((before[route("title")] ?? 0) >= 2)
        #expect((before[computedKey] ?? 0) > 0, "the first request computes pieces: \(before)")
        let sentencesKeptKey = #"bulwark_encoder_sentences_total{result="kept"}"#
        let sentencesComputedKey = #"bulwark_encoder_sentences_total{result="computed"}"#
        #expect((before[sentencesKeptKey] ?? 0) + (before[sentencesComputedKey] ?? 0) == routed, "\(before)")
        let again = items.map { $0.replacingOccurrences(of: #"{"id":""#, with: #"{"id":"again-"#) }
        let secondItems = try await ingest(again)
        #expect(secondItems.count == expected.count)
        for (a, e) in zip(secondItems, expected) {
            let verdict = try #require(a["verdict"] as? [String: Any])
            #expect(verdict["decision"] as? String == e["decision"] as? String, "again \(e["id"] ?? "")")
        }
        let after = try await encoderCounters()
        #expect(after["bulwark_encoder_items_total"] == 2 * routed)
        #expect(after[computedKey] == before[computedKey], "no piece computed again: \(before) → \(after)")
        #expect(after[keptKey] == before[keptKey], "no piece looked up: \(before) → \(after)")
        #expect(after[sentencesComputedKey] == before[sentencesComputedKey], "\(before) → \(after)")
        #expect((after[sentencesKeptKey] ?? 0) == (before[sentencesKeptKey] ?? 0) + routed, "\(before) → \(after)")
    }
}
