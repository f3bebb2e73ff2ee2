import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

extension CLI {
    /// Waits until the `bulwark serve` in `process` answers `GET /healthz` with 200 on `port`:
    /// true once it does; false if the process exits first or `seconds` pass.
    static func waitUntilServing(_ process: Process, port: Int, client: HTTPClient, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            if let response = try? await client.execute(request, timeout: .seconds(1)), response.status == .ok {
                return true
            }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
        return false
    }

    /// A new ingest key named "platform" on `database` (a SQLite path or a PostgreSQL URL), as
    /// `bulwark keys create` prints it.
    static func createIngestKey(database: String) throws -> String {
        let created = try run(["keys", "create", "--database", database, "--name", "platform", "--role", "ingest"])
        #expect(created.status == 0, "\(created.stderr)")
        return try #require(created.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
    }
}
