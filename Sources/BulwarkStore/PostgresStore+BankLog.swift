import PostgresNIO

/// The shared hash-bank log on PostgreSQL: appends are serialised by a transaction-scoped
/// advisory lock, so the log is one gapless sequence whoever writes it.
extension PostgresStore {
    static let bankLogLock: Int64 = 0x4257_4B00_0000_0003

    public func appendBankEvents(after: Int64, _ events: [String], now: Int64) async throws -> Bool {
        guard !events.isEmpty else { return true }
        let seqs = (1...Int64(events.count)).map { after + $0 }
        return try await transaction { db in
            try await execute(db, "SELECT pg_advisory_xact_lock(\(Self.bankLogLock))")
            let last = try await rows(db, "SELECT COALESCE(MAX(seq), 0) FROM bank_events").first?.decode(Int64.self) ?? 0
            guard last == after else { return false }
            // One statement for the whole batch (a bulk import is thousands of events).
            try await execute(
                db,
                "INSERT INTO bank_events (seq, event, at) SELECT s, e, \(now) FROM unnest(\(seqs)::BIGINT[], \(events)::TEXT[]) AS t(s, e)")
            return true
        }
    }

    public func bankEvents(after: Int64, limit: Int) async throws -> [BankLogEntry] {
        try await read("SELECT seq, event FROM bank_events WHERE seq > \(after) ORDER BY seq LIMIT \(limit)").map { row in
            let (seq, event) = try row.decode((Int64, String).self)
            return BankLogEntry(seq: seq, event: event)
        }
    }
}
