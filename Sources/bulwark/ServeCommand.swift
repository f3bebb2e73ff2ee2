import ArgumentParser
import BulwarkBankFiles
import BulwarkBanks
import BulwarkCascade
import BulwarkCore
import BulwarkMediaProcess
import BulwarkServer
import BulwarkStore
import BulwarkText
import Foundation
import Logging

/// Opens the store named by --database: a file path or sqlite://PATH for SQLite (the
/// default, ./bulwark.db), postgres://USER:PASSWORD@HOST:PORT/DB for PostgreSQL.
struct DatabaseOption: ParsableArguments {
    @Option(help: "SQLite file (or sqlite://PATH), or postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=MODE].")
    var database = "bulwark.db"

    var isPostgres: Bool { database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") }

    /// The store, migrated, for the duration of `body`. For PostgreSQL the client (its pool of
    /// connections) runs in a task beside the body and is shut down when the body returns: for
    /// `serve`, the body is the whole life of the server and its webhook worker.
    func withStore<Result: Sendable>(
        logger: Logger, _ body: (any ModerationStore) async throws -> Result
    ) async throws -> Result {
        if isPostgres {
            return try await PostgresStore.withStore(location(), logger: logger) { store in
                try await store.migrate()
                return try await body(store)
            }
        }
        let store = try SQLiteStore(path: sqlitePath)
        try await store.migrate()
        return try await body(store)
    }

    /// The store, migrated, for a command that uses it until the process ends. For PostgreSQL
    /// the client runs in a task of its own from here until the process exits.
    func open(logger: Logger = Logger(label: "bulwark")) async throws -> any ModerationStore {
        if isPostgres {
            let location = try location()
            let store = PostgresStore(location, logger: logger)
            Task { await store.run() }
            try await location.checkConnection(logger: logger)
            try await store.migrate()
            return store
        }
        let store = try SQLiteStore(path: sqlitePath)
        try await store.migrate()
        return store
    }

    /// The database as shown to people: a PostgreSQL URL without its password.
    var displayName: String {
        isPostgres ? (try? location().description) ?? "(PostgreSQL)" : database
    }

    var sqlitePath: String {
        database.hasPrefix("sqlite://") ? String(database.dropFirst("sqlite://".count)) : database
    }

    func location() throws -> PostgresURL {
        do {
            return try PostgresURL(database)
        } catch {
            throw CommandFailure("--database: \(error)")
        }
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the moderation service: the HTTP API and the webhook worker.",
        discussion: """
            With no flags: SQLite in ./bulwark.db, http://127.0.0.1:8080. On a new database the \
            sample items of examples/sample.jsonl are ingested and an admin, a reviewer, an \
            ingest, an auditor and an authority key are created and printed once, with console \
            sign-ins for a reviewer, a lead and an auditor, so the queue has work in it at once: \
            http://HOST:PORT/console, or GET /v1/cases with the reviewer key.
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
    @Flag(
        help: """
            Keep the hash banks in the database (shared by every bulwark process on it; a change \
            reaches the others within --bank-poll) instead of the bank directory.
            """)
    var banksInDatabase = false
    @Flag(
        help: """
            Run the HTTP API only: leave media hashing, retro-hunts, webhooks and purges to \
            `bulwark worker` processes on the same database (needs --banks-in-database).
            """)
    var noWorkers = false
    @OptionGroup var work: WorkOptions
    @Option(
        help: """
            Decoder processes (threads with --decode-in-process) that make the console's still \
            images at once, each started when first needed.
            """)
    var stillDecoders = 2
    @Option(help: "Still images that wait for a decoder at most, beside those being made; past them the console answers 503.")
    var maxStillsWaiting = 16
    @Option(
        help: """
            With --model full: whole embeddings the sentence encoder keeps, for texts routed again \
            (reposts), shared by its workspaces (0: none; at most \(ServerConfiguration.maxCachedEmbeddings); \
            /metrics bulwark_encoder_sentences_total says how many were found).
            """)
    var cachedEmbeddings = ServerConfiguration(port: 0).cachedEmbeddings
    @Option(help: "Log records as text or json (JSON Lines on standard error).") var logFormat: LogFormat = .text
    @Option(help: "Least severe log level: trace, debug (one record per request), info, notice, warning, error.")
    var logLevel: LogLevel = .info

    func validate() throws {
        if noWorkers && !banksInDatabase {
            throw ValidationError(
                "--no-workers leaves media matching to `bulwark worker` processes, which read the banks from the database: add --banks-in-database")
        }
        guard (0...ServerConfiguration.maxCachedEmbeddings).contains(cachedEmbeddings) else {
            throw ValidationError("--cached-embeddings \(cachedEmbeddings): give 0 (keep none) to \(ServerConfiguration.maxCachedEmbeddings)")
        }
    }

    enum LogFormat: String, ExpressibleByArgument, CaseIterable { case text, json }
    struct LogLevel: ExpressibleByArgument {
        let level: Logger.Level
        init?(argument: String) {
            guard let level = Logger.Level(rawValue: argument) else { return nil }
            self.level = level
        }
        static let info = LogLevel(argument: "info")!
        var defaultValueDescription: String { level.rawValue }
    }

    func run() async throws {
        let logger = makeLogger(format: logFormat, level: logLevel)
        if let arenas = limitMallocArenas() { logger.debug("malloc arenas limited", metadata: ["arenas": "\(arenas)"]) }
        let engine = try engineOptions.loadEngine()
        let semantic = try engineOptions.loadSemanticModel()
        // For PostgreSQL, the client runs exactly as long as this: set-up, then the server and its worker.
        try await database.withStore(logger: logger) { store in try await serve(store, engine: engine, semantic: semantic, logger: logger) }
    }

    func serve(_ store: any ModerationStore, engine: TextEngine, semantic: SemanticModel?, logger: Logger) async throws {
        var config = ServerConfiguration(host: host, port: port, rateLimitPerKey: rateLimit, webhookURL: webhookURL)
        work.apply(to: &config)
        config.stillDecoders = stillDecoders  // ConsoleStills takes at least 1
        config.maxStillsWaiting = maxStillsWaiting
        config.cachedEmbeddings = cachedEmbeddings
        // The bank directory is held for writing while the server runs: banks change through the
        // API. Or the banks are the database's, shared with every other process on it.
        let registry =
            banksInDatabase
            ? try await BankRegistry.shared(store: store) : BankRegistry(directory: try banks.open(writable: true))
        registry.loaded.map { logSharedBankLoad($0, logger: logger) }
        let service = BulwarkService(store: store, engine: engine, configuration: config, bankRegistry: registry, semantic: semantic)
        if try await store.keys().isEmpty {
            var lines: [String] = []
            for (name, role) in [
                ("admin-key", Role.admin), ("reviewer-key", .reviewer), ("platform", .ingest), ("auditor-key", .auditor),
                ("authority", .authority),
            ] {
                let key = APIKeys.generate()
                _ = try await store.createKey(
                    name: name, role: role, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key),
                    now: Int64(Date().timeIntervalSince1970))
                lines.append("  \(role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(key)  (\(name))")
            }
            say("New database \(database.displayName): API keys (shown once; keep them):\n" + lines.joined(separator: "\n"))
            // People for the reviewer console, so a newcomer can sign in at once.
            var people: [String] = []
            for (name, role) in [("reviewer", Role.reviewer), ("lead", .lead), ("auditor", .auditor)] {
                let password = Self.newPassword()
                _ = try await store.createUser(
                    name: name, role: role, passwordHash: try Passwords.hash(password),
                    now: Int64(Date().timeIntervalSince1970))
                people.append("  \(name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(password)")
            }
            say(
                "Console sign-ins at http://\(host):\(port)/console (shown once; `bulwark users create` adds more):\n"
                    + people.joined(separator: "\n"))
            if !noSample, let sample = Resources.find("examples/sample.jsonl") {
                let count = try await loadSample(sample, service)
                say("Loaded \(count) sample items from \(sample).")
            }
        }
        let open = try await store.cases(CaseFilter(limit: 500), now: Int64(Date().timeIntervalSince1970)).count
        say("Bulwark is listening on http://\(host):\(port) (\(open) open cases). The console: http://\(host):\(port)/console. Try:")
        say("  curl -H 'Authorization: Bearer REVIEWER_KEY' http://\(host):\(port)/v1/cases")
        let today = Int64(Date().timeIntervalSince1970)
        say(
            "  curl -H 'Authorization: Bearer AUDITOR_KEY' 'http://\(host):\(port)/v1/reports/transparency?from="
                + "\(CivilDate.isoDate(today - 30 * 86_400))&to=\(CivilDate.isoDate(today + 86_400))&format=markdown'")
        try await service.serve(logger: logger, background: !noWorkers)
    }

    /// 20 random letters and digits (about 103 bits), from the system's secure generator.
    static func newPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
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

/// What `serve` and `worker` share about background work.
struct WorkOptions: ParsableArguments {
    @Option(help: "Background jobs queued or running at which POST /v1/items answers 503 with Retry-After (0: no bound).")
    var maxQueueDepth = 100_000
    @Option(help: "Seconds a claimed job stays with its worker; a crashed worker's job is redone after this.")
    var jobLease: Int64 = 60
    @Option(
        help: """
            Days a done background job is kept after it was last queued, then deleted by the hourly \
            purge (0: kept for ever); a media job whose part was not decoded stays.
            """)
    var keepDoneJobsDays = 30
    @Option(help: "Milliseconds between reads of bank changes made through other processes (--banks-in-database).")
    var bankPoll = 1_000
    @Option(
        help: """
            Store a snapshot of the banks in the database when its bank log has grown by this many \
            events, and by a tenth, since the newest snapshot; a process starting reads it and \
            replays only the events after it (--banks-in-database; 0: never).
            """)
    var bankSnapshotEvery = BankRegistry.standardSnapshotEvery
    @Flag(
        inversion: .prefixedNo,
        help: """
            Hash a still image that an orientation tag turns also as its pixels are stored, which \
            hashers that apply no orientation (HMA's) put in shared banks: one more PDQ of each \
            tagged photo. Turned on again after --no-stored-pixels-hash, the photos hashed in \
            between are queued to be hashed again in the background.
            """)
    var storedPixelsHash = true
    @Option(help: "Milliseconds a worker loop waits when it found no work.")
    var workerPollMs = 200
    @Option(help: ArgumentHelp("Fault-injection tests: hold each claimed job this many milliseconds first.", visibility: .hidden))
    var jobHoldMs = 0
    @OptionGroup var decoding: DecoderProcessOptions

    func apply(to config: inout ServerConfiguration) {
        config.maxQueueDepth = maxQueueDepth
        config.jobLeaseSeconds = jobLease
        config.keepDoneJobsDays = max(0, keepDoneJobsDays)
        config.bankPollMilliseconds = bankPoll
        config.bankSnapshotEvery = bankSnapshotEvery
        config.jobHoldMilliseconds = jobHoldMs
        config.workerPollMilliseconds = workerPollMs
        config.hashesStoredPixels = storedPixelsHash
        if let settings = decoding.settings(maxTimeout: max(1, Double(jobLease) / 2)) { config.mediaDecoder = settings }
    }
}

func makeLogger(format: ServeCommand.LogFormat, level: ServeCommand.LogLevel) -> Logger {
    var logger =
        format == .json
        ? Logger(label: "bulwark") { label in JSONLogHandler(label: label) }
        : Logger(label: "bulwark")
    logger.logLevel = level.level
    return logger
}

/// How the shared banks were loaded, in the process's log: a snapshot that could not be used is
/// a warning (the start took the whole log's time).
func logSharedBankLoad(_ load: SharedBankLoad, logger: Logger) {
    for note in load.notes { logger.warning("\(note)") }
    logger.info(
        "\(load.summary)",
        metadata: [
            "banks.snapshot_sequence": "\(load.snapshotSequence)", "banks.replayed": "\(load.replayedEvents)",
            "duration_ms": "\(load.milliseconds)",
        ])
}

/// Writes a line to standard output at once (print is buffered when stdout is a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
