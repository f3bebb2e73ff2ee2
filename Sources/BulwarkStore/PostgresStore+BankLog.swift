import PostgresNIO

/// The shared hash-bank log on PostgreSQL: appends are serialised by a transaction-scoped
/// advisory lock, so the log is one gapless sequence whoever writes it, and a change is made on
/// the set with every earlier change (no retries, so no process is starved by a busier one).
extension PostgresStore {
    static let bankLogLock: Int64 = 0x4257_4B00_0000_0003
    /// Held (tried, never waited for) by the one process storing a bank snapshot.
    static let bankSnapshotLock: Int64 = 0x4257_4B00_0000_0004
    /// Events inserted by one statement of an append (all in one transaction).
    public static let bankAppendStatementLines = 10_000

    public func appendBankEvents(
        after: Int64, now: Int64, making make: ([BankLogEntry]) throws -> BankLogLines
    ) async throws -> Int64 {
        try await transaction { db in
            try await execute(db, "SELECT pg_advisory_xact_lock(\(Self.bankLogLock))")
            let newer = try await rows(db, "SELECT seq, event FROM bank_events WHERE seq > \(after) ORDER BY seq").map {
                row in
                let (seq, event) = try row.decode((Int64, String).self)
                return BankLogEntry(seq: seq, event: event)
            }
            if newer.isEmpty, after > 0 {
                // Numbered without gaps: a change made on events the log does not have is refused.
                let top = try await rows(db, "SELECT COALESCE(MAX(seq), 0) FROM bank_events").first?.decode(Int64.self) ?? 0
                guard top >= after else {
                    throw BankLogError("the bank log ends at \(top), before the \(after) events this change was made on")
                }
            }
            let last = newer.last?.seq ?? after
            let events = try make(newer)
            guard !events.isEmpty else { return last }
            // One statement a part of the batch (a bulk import is thousands of events), its lines
            // made just before: all in one, the lines and the parameter holding them were each
            // about 270 MB for a million events.
            for part in events.parts(of: Self.bankAppendStatementLines) {
                let seqs = part.map { last + Int64($0) + 1 }
                let lines = events.lines(part)
                try await execute(
                    db,
                    "INSERT INTO bank_events (seq, event, at) SELECT s, e, \(now) FROM unnest(\(seqs)::BIGINT[], \(lines)::TEXT[]) AS t(s, e)")
            }
            return last + Int64(events.count)
        }
    }

    public func bankEvents(after: Int64, limit: Int) async throws -> [BankLogEntry] {
        try await read("SELECT seq, event FROM bank_events WHERE seq > \(after) ORDER BY seq LIMIT \(limit)").map { row in
            let (seq, event) = try row.decode((Int64, String).self)
            return BankLogEntry(seq: seq, event: event)
        }
    }

    public func latestBankSnapshot() async throws -> BankSnapshotRecord? {
        // A part at a time, so that only one part's row is held besides the joined bytes (all the
        // rows at once were another 250 MB for a million entries), in one repeatable-read
        // transaction, so that every statement sees the same snapshot even while another process
        // stores a newer one and deletes this.
        try await transaction { db in
            try await execute(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            let newest = try await rows(db, "SELECT MAX(seq) FROM bank_snapshots WHERE part = 0").first?.decode(Int64?.self)
            guard let newest = newest ?? nil else { return nil }
            var joiner = BankSnapshotRecord.Joiner()
            repeat {
                guard
                    let row = try await rows(
                        db,
                        """
                        SELECT seq, part, parts, bytes FROM bank_snapshots
                        WHERE seq = \(newest) AND part >= \(joiner.next) ORDER BY part LIMIT 1
                        """
                    ).first
                else { break }
                let (seq, part, parts, buffer) = try row.decode((Int64, Int64, Int64, ByteBuffer).self)
                try joiner.add(seq: seq, part: part, parts: parts, bytes: buffer.readableBytesView)
            } while joiner.next < joiner.count
            return try joiner.finish()
        }
    }

    public func bankSnapshotSequence() async throws -> Int64 {
        try await read("SELECT COALESCE(MAX(seq), 0) FROM bank_snapshots WHERE part = 0").first?.decode(Int64.self) ?? 0
    }

    public func saveBankSnapshot(
        sequence: Int64, now: Int64, replacing: Bool, parts make: @Sendable () async -> BankSnapshotParts
    ) async throws -> Int {
        if !replacing, try await bankSnapshotSequence() >= sequence { return 0 }
        return try await transaction { db -> Int in
            // One process at a time stores a snapshot; the others do not wait and make none.
            guard try await rows(db, "SELECT pg_try_advisory_xact_lock(\(Self.bankSnapshotLock))").first?.decode(Bool.self) == true
            else { return 0 }
            if replacing { try await execute(db, "DELETE FROM bank_snapshots") }
            let newest = try await rows(db, "SELECT COALESCE(MAX(seq), 0) FROM bank_snapshots WHERE part = 0").first?.decode(Int64.self) ?? 0
            guard newest < sequence else { return 0 }
            let last = try await rows(db, "SELECT COALESCE(MAX(seq), 0) FROM bank_events").first?.decode(Int64.self) ?? 0
            guard sequence <= last else {
                throw BankSnapshotError("a bank snapshot at \(sequence) would cover more than the bank log's \(last) events")
            }
            // Each part is made as it is inserted: the snapshot is never held whole.
            let parts = await make()
            var made = 0
            for i in 0..<parts.partCount {
                let part = try await parts.next(i, of: sequence)
                made += part.count
                try await execute(
                    db,
                    """
                    INSERT INTO bank_snapshots (seq, part, parts, bytes, at)
                    VALUES (\(sequence), \(i), \(parts.partCount), \(ByteBuffer(bytes: part)), \(now))
                    """)
            }
            try await parts.checkEnd(made: made, of: sequence)
            try await execute(db, "DELETE FROM bank_snapshots WHERE seq < \(sequence)")
            return made
        }
    }
}
