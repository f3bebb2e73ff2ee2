import BulwarkStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// The storage backends the end-to-end test runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

struct PostgresUnavailable: Error, CustomStringConvertible {
    var description: String
}

/// Runs `body` with a fresh, migrated store of `backend`. For PostgreSQL: a database of its own
/// on the server of `BULWARK_TEST_POSTGRES_URL` (default the one scripts/postgres.sh starts),
/// dropped afterwards; the client runs for the body's duration. An unreachable server fails
/// the test, saying so.
func withServerStore(_ backend: Backend, _ name: String, _ body: (any ModerationStore) async throws -> Void)
    async throws
{
    switch backend {
    case .sqlite:
        let path = ServerFixtures.temporaryDatabase(name)
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        try await body(store)
    case .postgres:
        var logger = Logger(label: "bulwark.test.postgres")
        logger.logLevel = .warning
        let url =
            ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"]
            ?? "postgres://bulwark:bulwark@127.0.0.1:5432/bulwark_test"
        let server = try PostgresURL(url)
        do {
            try await server.checkConnection(logger: logger)
        } catch {
            throw PostgresUnavailable(
                description: "PostgreSQL is not reachable for the tests: \(error). Start it with scripts/postgres.sh, "
                    + "or point BULWARK_TEST_POSTGRES_URL at a server where the user may create databases.")
        }
        // Only [a-z0-9_], so the name can stand in the statement as an identifier.
        let database =
            "bulwark_t_" + String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }) + "_"
            + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await admin(server, "CREATE DATABASE \(database)", logger: logger)
        var location = server
        location.database = database
        location.maximumConnections = 4
        do {
            try await PostgresStore.withStore(location, logger: logger) { store in
                try await store.migrate()
                try await body(store)
            }
        } catch {
            try? await admin(server, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)", logger: logger)
            throw error
        }
        try await admin(server, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)", logger: logger)
    }
}

/// One statement on the server's own database, over a connection of its own.
private func admin(_ server: PostgresURL, _ sql: String, logger: Logger) async throws {
    let connection = try await PostgresConnection.connect(
        configuration: server.connectionConfiguration(), id: 1, logger: logger)
    do {
        _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
    } catch {
        try? await connection.close()
        throw error
    }
    try await connection.close()
}
