import PostgresNIO

/// The shared hash-bank log on PostgreSQL: appends are serialised by a transaction-scoped
/// advisory lock, so the log is one gapless sequence whoever writes it, and a change is made on
/// the set with every earlier change (no retries, so no process is starved by a busier one).
extension PostgresStore {
    static let bankLogLock: Int64 = 0x4257_4B00_0000_0003

    public func appendBankEvents(
        after: Int64, now: Int64, making make: ([BankLogEntry]) throws -> [String]
    ) async throws -> Int64 {
        try await transaction { db in
            try await execute(db, "SELECT pg_advisory_xact_lock(\(Self.bankLogLock))")
            let newer = try await rows(db, "SELECT seq, event FROM bank_events WHERE seq > \(after) ORDER BY seq").map {
                row in
                let (seq, event) = try row.decode((Int64, String).self)
                return BankLogEntry(seq: seq, event: event)
            }
            let last = newer.last?.seq ?? after
            let events = try make(newer)
            guard !events.isEmpty else { return last }
            let seqs = (1...Int64(events.count)).map { last + $0 }
            // One statement for the whole batch (a bulk import is thousands of events).
            try await execute(
                db,
                "INSERT INTO bank_events (seq, event, at) SELECT s, e, \(now) FROM unnest(\(seqs)::BIGINT[], \(events)::TEXT[]) AS t(s, e)")
            return last + Int64(events.count)
        }
    }

    public func bankEvents(after: Int64, limit: Int) async throws -> [BankLogEntry] {
        try await read("SELECT seq, event FROM bank_events WHERE seq > \(after) ORDER BY seq LIMIT \(limit)").map { row in
            let (seq, event) = try row.decode((Int64, String).self)
            return BankLogEntry(seq: seq, event: event)
        }
    }
}
