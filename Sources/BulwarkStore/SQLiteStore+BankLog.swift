import GRDB

/// The shared hash-bank log on SQLite (one write transaction at a time: the check and the
/// append cannot interleave with another process's).
extension SQLiteStore {
    public func appendBankEvents(after: Int64, _ events: [String], now: Int64) async throws -> Bool {
        guard !events.isEmpty else { return true }
        return try await writer.write { db in
            let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM bank_events") ?? 0
            guard last == after else { return false }
            let insert = try db.cachedStatement(sql: "INSERT INTO bank_events (seq, event, at) VALUES (?, ?, ?)")
            for (i, event) in events.enumerated() {
                try insert.execute(arguments: [after + Int64(i) + 1, event, now])
            }
            return true
        }
    }

    public func bankEvents(after: Int64, limit: Int) async throws -> [BankLogEntry] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT seq, event FROM bank_events WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [after, limit]
            ).map { BankLogEntry(seq: $0["seq"], event: $0["event"]) }
        }
    }
}
