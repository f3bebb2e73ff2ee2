public import BulwarkStore
import Foundation
import GRDB
public import Logging
import PostgresNIO

// What the storage and server tests share: a fresh store of each backend. (A library target of
// its own, so both test targets use one copy; it does not import Testing.)

/// The storage backends every storage test runs against.
public enum Backend: String, CaseIterable, Sendable {
    case sqlite
    case postgres
}

/// A store on a fresh, migrated database, with raw SQL for the tests that tamper with rows.
public struct TestStore: Sendable {
    public let store: any ModerationStore
    /// Runs one SQL statement on the store's database, around the store.
    public let execute: @Sendable (String) async throws -> Void
    /// The column names of a table.
    public let columns: @Sendable (String) async throws -> [String]
    /// The integer a one-value query returns (a `SELECT COUNT(*) ...`).
    public let integer: @Sendable (String) async throws -> Int
}

/// The PostgreSQL server the tests use; each test gets a database of its own on it, dropped afterwards.
public let testPostgresURL =
    ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"]
    ?? "postgres://bulwark:bulwark@127.0.0.1:5432/bulwark_test"

public struct PostgresUnavailable: Error, CustomStringConvertible {
    public var description: String
}

/// Runs `body` with a fresh store of `backend`. For PostgreSQL a new database is created on the
/// server of `BULWARK_TEST_POSTGRES_URL`; if that server cannot be reached the test fails (it is
/// not skipped), saying so.
public func withTestStore(
    _ backend: Backend, _ name: String, migrate: Bool = true, _ body: (TestStore) async throws -> Void
) async throws {
    switch backend {
    case .sqlite:
        let path = NSTemporaryDirectory() + "bulwark-store-\(name)-\(UInt32.random(in: 0...UInt32.max)).db"
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try SQLiteStore(path: path)
        if migrate { try await store.migrate() }
        try await body(
            TestStore(
                store: store,
                execute: { sql in try await store.writer.write { db in try db.execute(sql: sql) } },
                columns: { table in try await store.writer.read { db in try db.columns(in: table).map(\.name) } },
                integer: { sql in try await store.writer.read { db in try Int.fetchOne(db, sql: sql) ?? 0 } }))
    case .postgres:
        try await TestPostgres.withDatabase(name) { location, logger in
            try await PostgresStore.withStore(location, logger: logger) { store in
                if migrate { try await store.migrate() }
                try await body(
                    TestStore(
                        store: store,
                        execute: { sql in _ = try await store.client.query(PostgresQuery(unsafeSQL: sql)).collect() },
                        columns: { table in
                            try await store.client.query(
                                """
                                SELECT column_name::TEXT FROM information_schema.columns
                                WHERE table_schema = current_schema() AND table_name = \(table)
                                ORDER BY ordinal_position
                                """
                            ).collect().map { try $0.decode(String.self) }
                        },
                        integer: { sql in
                            try await store.client.query(PostgresQuery(unsafeSQL: sql)).collect().first?.decode(Int.self) ?? 0
                        }))
            }
        }
    }
}

public enum TestPostgres {
    public static var logger: Logger {
        var logger = Logger(label: "bulwark.test.postgres")
        logger.logLevel = .warning
        return logger
    }

    /// Creates a database named after the test on the test server, calls `body` with its
    /// location, and drops it afterwards (also when `body` throws).
    public static func withDatabase(
        _ name: String, _ body: (PostgresURL, Logger) async throws -> Void
    ) async throws {
        let server: PostgresURL
        do {
            server = try PostgresURL(testPostgresURL)
        } catch {
            throw PostgresUnavailable(description: "BULWARK_TEST_POSTGRES_URL: \(error)")
        }
        do {
            try await server.checkConnection(logger: logger)
        } catch {
            throw PostgresUnavailable(
                description: "PostgreSQL is not reachable for the tests: \(error). Start it with scripts/postgres.sh, "
                    + "or point BULWARK_TEST_POSTGRES_URL at a server where the user may create databases.")
        }
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        // Only [a-z0-9_], so the name can stand in the statement as an identifier.
        let database =
            "bulwark_t_" + String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }) + "_" + suffix
        try await admin(server, "CREATE DATABASE \(database)")
        var location = server
        location.database = database
        location.maximumConnections = 4
        do {
            try await body(location, logger)
        } catch {
            await drop(database, on: server)
            throw error
        }
        await drop(database, on: server)
    }

    /// Drops a test's database. `WITH (FORCE)` ends the test's own leftover connections, but
    /// PostgreSQL refuses it (for a role without pg_signal_backend) while an autovacuum worker
    /// is in that database: that is transient, so the drop is tried again, and a database that
    /// still cannot be dropped is left behind with a warning rather than failing a test that
    /// passed (its name is unique, so it is in nobody's way).
    static func drop(_ database: String, on server: PostgresURL) async {
        var lastError: (any Error)?
        for attempt in 0..<10 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(200 * attempt)) }
            do {
                try await admin(server, "DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
                return
            } catch {
                lastError = error
            }
        }
        FileHandle.standardError.write(
            Data("warning: test database \(database) left behind: \(String(reflecting: lastError!))\n".utf8))
    }

    /// One statement on the server's own database (`bulwark_test`), over a connection of its own.
    public static func admin(_ server: PostgresURL, _ sql: String) async throws {
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
}
