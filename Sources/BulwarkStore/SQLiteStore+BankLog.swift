import Foundation
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

    public func latestBankSnapshot() async throws -> BankSnapshotRecord? {
        try await writer.read { db in
            // One statement, in one read transaction: the rows of one snapshot, even while
            // another process stores a newer one and deletes this. A snapshot is there once its
            // part 0 is (``saveBankSnapshot(sequence:partBytes:now:replacing:making:)``).
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, part, parts, bytes FROM bank_snapshots
                    WHERE seq = (SELECT MAX(seq) FROM bank_snapshots WHERE part = 0) ORDER BY part
                    """)
            var joiner = BankSnapshotRecord.Joiner()
            while let row = try rows.next() {
                let bytes: Data = row["bytes"]
                try joiner.add(seq: row["seq"], part: row["part"], parts: row["parts"], bytes: bytes)
            }
            return try joiner.finish()
        }
    }

    public func bankSnapshotSequence() async throws -> Int64 {
        try await writer.read { db in try Self.newestBankSnapshot(db) }
    }

    /// The sequence of the newest snapshot whose part 0 is stored (0: none).
    private static func newestBankSnapshot(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM bank_snapshots WHERE part = 0") ?? 0
    }

    /// The snapshots being written (parts stored, part 0 not yet) and when each last had a part
    /// stored: its lowest part's time, as parts are written last to first. Found from the
    /// primary key's index alone; only their own rows are read (`at` comes after the 4 MiB of
    /// `bytes` in a row: reading it from every row of a whole snapshot took 70-190 ms).
    private static func bankSnapshotsBeingWritten(_ db: Database) throws -> [(seq: Int64, at: Int64)] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT s.seq, (SELECT b.at FROM bank_snapshots b WHERE b.seq = s.seq ORDER BY b.part LIMIT 1) AS at
                FROM (SELECT seq FROM bank_snapshots GROUP BY seq HAVING MIN(part) > 0) s
                """
        ).map { ($0["seq"], $0["at"]) }
    }

    /// Deletes the snapshot rows `condition` selects, one row (one part, up to 4 MiB) a
    /// transaction, so that deleting a large snapshot does not hold the writer either. Part 0
    /// goes first: what is left of a snapshot is never taken for a whole one.
    private func deleteBankSnapshotRows(_ condition: String, _ arguments: StatementArguments = []) async throws {
        let keys = try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, part FROM bank_snapshots WHERE \(condition) ORDER BY seq, part", arguments: arguments)
                .map { (seq: $0["seq"] as Int64, part: $0["part"] as Int64) }
        }
        for key in keys {
            try await writer.write { db in
                try db.execute(sql: "DELETE FROM bank_snapshots WHERE seq = ? AND part = ?", arguments: [key.seq, key.part])
            }
        }
    }

    public func saveBankSnapshot(
        sequence: Int64, partBytes: Int, now: Int64, replacing: Bool, making make: @Sendable () async -> [UInt8]
    ) async throws -> Int {
        // A million entries make 250 MB of snapshot: stored in one transaction, they held the
        // database's one writer, and so every ingest, for 5 s (measured 2026-12-04). So each part
        // is a transaction of its own, written last to first, and the snapshot is there for
        // readers once its part 0 is. Parts without a part 0 are a snapshot being written: by
        // another process, which this one leaves to finish, unless no part of it was stored for
        // ``BankSnapshotRecord/abandonedAfterSeconds`` (a process that stopped midway): then
        // they are deleted. The bytes are made outside any transaction.
        if replacing { try await deleteBankSnapshotRows("1 = 1") }
        let (newest, writing) = try await writer.read { db in
            (try Self.newestBankSnapshot(db), try Self.bankSnapshotsBeingWritten(db))
        }
        if !replacing, newest >= sequence { return 0 }
        let abandoned = writing.filter { now - $0.at >= BankSnapshotRecord.abandonedAfterSeconds }
        guard abandoned.count == writing.count else { return 0 }
        for snapshot in abandoned { try await deleteBankSnapshotRows("seq = ?", [snapshot.seq]) }

        let bytes = await make()
        let parts = BankSnapshotRecord.parts(of: bytes, size: partBytes)
        @Sendable func insert(_ db: Database, _ i: Int) throws {
            try db.execute(
                sql: "INSERT INTO bank_snapshots (seq, part, parts, bytes, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [sequence, i, parts.count, Data(parts[i]), now])
        }
        // The last part, when nothing newer is stored or being written and the log reaches
        // `sequence`.
        let claimed = try await writer.write { db -> Bool in
            guard try Self.newestBankSnapshot(db) < sequence, try Self.bankSnapshotsBeingWritten(db).isEmpty else { return false }
            let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM bank_events") ?? 0
            guard sequence <= last else {
                throw BankSnapshotError("a bank snapshot at \(sequence) would cover more than the bank log's \(last) events")
            }
            try insert(db, parts.count - 1)
            return true
        }
        guard claimed else { return 0 }
        if parts.count > 1 {
            for i in (1..<(parts.count - 1)).reversed() {
                try await writer.write { db in try insert(db, i) }
            }
            try await writer.write { db in
                let stored = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bank_snapshots WHERE seq = ?", arguments: [sequence]) ?? 0
                guard stored == parts.count - 1 else {
                    throw BankSnapshotError(
                        "the bank snapshot at \(sequence) lost parts while it was written (\(stored) of \(parts.count - 1) left)")
                }
                try insert(db, 0)
            }
        }
        try await deleteBankSnapshotRows("seq < ?", [sequence])
        return bytes.count
    }
}
