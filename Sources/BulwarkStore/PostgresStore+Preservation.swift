import BulwarkCore
import PostgresNIO

/// Preservation of removed content on PostgreSQL: the same steps as SQLite's; a purge locks the
/// rows it erases, so two processes purging at once erase each item once.
extension PostgresStore {
    public func preservation(itemID: Int64) async throws -> PreservationRecord? {
        try await preservation(itemID: itemID) { try await self.read($0) }
    }

    public func extendPreservation(itemID: Int64, months: Int, actor: String, reason: String, now: Int64) async throws -> PreservationRecord? {
        try await transaction { db in
            guard let row = try await rows(db, "SELECT expires_at, purged_at FROM preservations WHERE item_id = \(itemID) FOR UPDATE").first
            else { return nil }
            let (expiresAt, purgedAt) = try row.decode((Int64, Int64?).self)
            guard purgedAt == nil else { return nil }
            let until = CivilDate.adding(months: months, to: expiresAt)
            try await execute(db, "UPDATE preservations SET expires_at = \(until), extensions = extensions + 1 WHERE item_id = \(itemID)")
            try await audit(
                db, actor: actor, action: "preservation.extend", subject: "item:\(itemID)",
                detail: "{\"from\":\(expiresAt),\"until\":\(until),\"reason\":\(JSONText.encode(reason))}", now: now)
            return try await preservation(itemID: itemID) { try await self.rows(db, $0) }
        }
    }

    public func purgeExpiredPreservations(now: Int64, limit: Int) async throws -> Int {
        try await transaction { db in
            let due = try await rows(
                db,
                """
                SELECT item_id FROM preservations WHERE purged_at IS NULL AND expires_at <= \(now)
                ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """
            ).map { try $0.decode(Int64.self) }
            for itemID in due {
                let (media, bytes) = try await rows(
                    db, "SELECT COUNT(*), COALESCE(SUM(LENGTH(bytes)), 0)::BIGINT FROM media WHERE item_id = \(itemID)"
                ).first!.decode((Int64, Int64).self)
                try await execute(
                    db, "UPDATE items SET text = '', urls = '[]', author = NULL, container_title = NULL, verdict = '{}' WHERE id = \(itemID)")
                try await execute(db, "UPDATE media SET bytes = ''::BYTEA WHERE item_id = \(itemID)")
                try await execute(db, "UPDATE reports SET text = NULL WHERE item_id = \(itemID)")
                try await execute(db, "UPDATE preservations SET purged_at = \(now) WHERE item_id = \(itemID)")
                try await audit(
                    db, actor: "bulwark", action: "preservation.purge", subject: "item:\(itemID)",
                    detail: "{\"media_parts\":\(media),\"media_bytes\":\(bytes)}", now: now)
            }
            return due.count
        }
    }

    func preservation(itemID: Int64, query: (PostgresQuery) async throws -> [PostgresRow]) async throws -> PreservationRecord? {
        guard let row = try await query("SELECT * FROM preservations WHERE item_id = \(itemID)").first,
            let item = try await query("SELECT * FROM items WHERE id = \(itemID)").first
        else { return nil }
        let media = try await query("SELECT COUNT(*) FROM media WHERE item_id = \(itemID) AND LENGTH(bytes) > 0").first?.decode(Int64.self) ?? 0
        let c = Cells(row)
        return try PreservationRecord(
            itemID: itemID, decisionID: c["decision_id"], preservedAt: c["preserved_at"], expiresAt: c["expires_at"],
            extensions: Int(c["extensions"] as Int64), purgedAt: c["purged_at"], item: Self.item(item), mediaParts: Int(media))
    }
}
