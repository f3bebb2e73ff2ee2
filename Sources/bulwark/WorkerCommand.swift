import ArgumentParser
import BulwarkBanks
import BulwarkServer
import BulwarkStore
import Foundation
import Logging

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run background work only: media hashing, retro-hunts, webhook delivery, purges (no HTTP API).",
        discussion: """
            Any number of workers (and `bulwark serve --no-workers` API processes) share one \
            database: each job and delivery is claimed with a lease, so a crashed worker's work is \
            redone by another after the lease (--job-lease), and redoing it has no second effect. \
            The hash banks are the database's (as with `serve --banks-in-database`). On SIGTERM or \
            SIGINT the worker takes no more work, finishes what it has in hand, hands the rest back \
            and exits 0.
            """
    )

    @OptionGroup var database: DatabaseOption
    @OptionGroup var engineOptions: EngineOptions
    @Option(help: "Where decisions are delivered (the platform's webhook URL).") var webhookURL: String?
    @Option(help: "Seconds a webhook request may take.") var webhookTimeout: Int64 = 10
    @OptionGroup var work: WorkOptions
    @Option(help: "Log records as text or json (JSON Lines on standard error).") var logFormat: ServeCommand.LogFormat = .text
    @Option(help: "Least severe log level: trace, debug, info, notice, warning, error.")
    var logLevel: ServeCommand.LogLevel = .info

    func run() async throws {
        let logger = makeLogger(format: logFormat, level: logLevel)
        let engine = try engineOptions.loadEngine()
        try await database.withStore(logger: logger) { store in
            var config = ServerConfiguration(webhookURL: webhookURL, webhookTimeout: webhookTimeout)
            work.apply(to: &config)
            let registry = try await BankRegistry.shared(store: store)
            registry.loaded.map { logSharedBankLoad($0, logger: logger) }
            let service = BulwarkService(store: store, engine: engine, configuration: config, bankRegistry: registry)
            let running = "Bulwark worker running on \(database.displayName) (\(registry.banks.banks.count) banks); SIGTERM stops it."
            try await service.work(logger: logger) { say(running) }
            say("Bulwark worker stopped.")
        }
    }
}
