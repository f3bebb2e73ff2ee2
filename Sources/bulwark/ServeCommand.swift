import ArgumentParser
import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
import BulwarkServer
import BulwarkStore
import Foundation
import Logging

/// Opens the store named by --database: a file path or sqlite://PATH for SQLite (the
/// default, ./bulwark.db), postgres://USER:PASSWORD@HOST:PORT/DB for PostgreSQL.
struct DatabaseOption: ParsableArguments {
    @Option(help: "SQLite file (or sqlite://PATH), or postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
    var database = "bulwark.db"

    func open() async throws -> any ModerationStore {
        if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            throw ValidationError("PostgreSQL is not wired into the CLI yet; use a SQLite file")
        }
        let path = database.hasPrefix("sqlite://") ? String(database.dropFirst("sqlite://".count)) : database
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        return store
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the moderation service: the HTTP API and the webhook worker.",
        discussion: """
            With no flags: SQLite in ./bulwark.db, http://127.0.0.1:8080. On a new database the \
            sample items of examples/sample.jsonl are ingested and an admin, a reviewer and an \
            ingest key are created and printed once, so the queue has work in it at once: \
            GET /v1/cases with the reviewer key.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 8080
    @OptionGroup var database: DatabaseOption
    @OptionGroup var engineOptions: EngineOptions
    @Option(help: "Where decisions are delivered (the platform's webhook URL).") var webhookURL: String?
    @Option(help: "Requests per second per API key (0: no limit).") var rateLimit: Double = 0
    @Flag(help: "Do not load the sample data into a new database.") var noSample = false
    @OptionGroup var banks: BankDirectoryOption

    func run() async throws {
        var logger = Logger(label: "bulwark")
        logger.logLevel = .info
        let store = try await database.open()
        let engine = try engineOptions.loadEngine()
        let config = ServerConfiguration(host: host, port: port, rateLimitPerKey: rateLimit, webhookURL: webhookURL)
        // The bank directory is held for writing while the server runs: banks change through the API.
        let registry = BankRegistry(directory: try banks.open(writable: true))
        let service = BulwarkService(store: store, engine: engine, configuration: config, bankRegistry: registry)
        if try await store.keys().isEmpty {
            var lines: [String] = []
            for (name, role) in [("admin", Role.admin), ("reviewer-1", .reviewer), ("platform", .ingest)] {
                let key = APIKeys.generate()
                _ = try await store.createKey(
                    name: name, role: role, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key),
                    now: Int64(Date().timeIntervalSince1970))
                lines.append("  \(role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(key)  (\(name))")
            }
            say("New database \(database.database): API keys (shown once; keep them):\n" + lines.joined(separator: "\n"))
            if !noSample, let sample = Resources.find("examples/sample.jsonl") {
                let count = try await loadSample(sample, service)
                say("Loaded \(count) sample items from \(sample).")
            }
        }
        let open = try await store.cases(CaseFilter(limit: 500), now: Int64(Date().timeIntervalSince1970)).count
        say("Bulwark is listening on http://\(host):\(port) (\(open) open cases). Try:")
        say("  curl -H 'Authorization: Bearer REVIEWER_KEY' http://\(host):\(port)/v1/cases")
        try await service.serve(logger: logger)
    }

    /// Ingests the valid lines of a JSON Lines sample through the same path as the API.
    func loadSample(_ path: String, _ service: BulwarkService) async throws -> Int {
        let data = try String(contentsOfFile: path, encoding: .utf8)
        var items: [NewItem] = []
        let decoder = TextItemDecoder()
        for line in data.split(separator: "\n") {
            guard let item = try? decoder.decode(Array(line.utf8)) else { continue }
            items.append(NewItem(platform: "sample", externalID: item.id, type: item.type?.rawValue, text: item.text, langHint: item.lang))
        }
        return try await service.ingestNew(items)
    }
}

/// Writes a line to standard output at once (print is buffered when stdout is a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
