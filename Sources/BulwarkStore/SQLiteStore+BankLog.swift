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
            // another process stores a newer one and deletes this.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, part, parts, bytes FROM bank_snapshots
                    WHERE seq = (SELECT MAX(seq) FROM bank_snapshots) ORDER BY part
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
        try await writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM bank_snapshots") ?? 0
        }
    }

    public func saveBankSnapshot(
        sequence: Int64, partBytes: Int, now: Int64, replacing: Bool, making make: @Sendable () -> [UInt8]
    ) async throws -> Int {
        // The bytes are made outside the write transaction (a large set takes a second or more,
        // which would hold every ingest write), and stored only if no process stored a snapshot
        // at or after `sequence` meanwhile.
        if !replacing, try await bankSnapshotSequence() >= sequence { return 0 }
        let bytes = make()
        let parts = BankSnapshotRecord.parts(of: bytes, size: partBytes)
        return try await writer.write { db -> Int in
            if replacing { try db.execute(sql: "DELETE FROM bank_snapshots") }
            let newest = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM bank_snapshots") ?? 0
            guard newest < sequence else { return 0 }
            let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM bank_events") ?? 0
            guard sequence <= last else {
                throw BankSnapshotError("a bank snapshot at \(sequence) would cover more than the bank log's \(last) events")
            }
            let insert = try db.cachedStatement(
                sql: "INSERT INTO bank_snapshots (seq, part, parts, bytes, at) VALUES (?, ?, ?, ?, ?)")
            for (i, part) in parts.enumerated() {
                try insert.execute(arguments: [sequence, i, parts.count, Data(part), now])
            }
            try db.execute(sql: "DELETE FROM bank_snapshots WHERE seq < ?", arguments: [sequence])
            return bytes.count
        }
    }
}
