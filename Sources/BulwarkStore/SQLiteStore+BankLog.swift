import GRDB

/// The shared hash-bank log on SQLite (one write transaction at a time: the check that the log
/// has not moved and the append cannot interleave with another process's).
extension SQLiteStore {
    public func appendBankEvents(
        after: Int64, now: Int64, making make: ([BankLogEntry]) throws -> [String]
    ) async throws -> Int64 {
        // `make` cannot run inside GRDB's write (which takes a Sendable, escaping closure), so:
        // read the newer events, make the change, and append it only if the log has not moved
        // since (checked in the write); else again. Within a process changes take turns, so
        // this repeats only when another process shares the SQLite file.
        var end = after
        var newer: [BankLogEntry] = []
        while true {
            let more = try await bankEvents(after: end, limit: Int.max)
            newer += more
            end = newer.last?.seq ?? after
            let events = try make(newer)
            guard !events.isEmpty else { return end }
            let from = end
            let appended = try await writer.write { db -> Bool in
                let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM bank_events") ?? 0
                guard last == from else { return false }
                let insert = try db.cachedStatement(sql: "INSERT INTO bank_events (seq, event, at) VALUES (?, ?, ?)")
                for (i, event) in events.enumerated() {
                    try insert.execute(arguments: [from + Int64(i) + 1, event, now])
                }
                return true
            }
            if appended { return from + Int64(events.count) }
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
