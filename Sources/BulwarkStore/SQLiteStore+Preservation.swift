import BulwarkCore
import GRDB

/// Preservation of removed content on SQLite.
extension SQLiteStore {
    public func preservation(itemID: Int64) async throws -> PreservationRecord? {
        try await writer.read { db in try Self.preservation(db, itemID: itemID) }
    }

    public func extendPreservation(itemID: Int64, months: Int, actor: String, reason: String, now: Int64) async throws -> PreservationRecord? {
        try await writer.write { db in
            guard let current = try Self.preservation(db, itemID: itemID), current.purgedAt == nil else { return nil }
            let until = CivilDate.adding(months: months, to: current.expiresAt)
            try db.execute(
                sql: "UPDATE preservations SET expires_at = ?, extensions = extensions + 1 WHERE item_id = ?", arguments: [until, itemID])
            try Self.audit(
                db, actor: actor, action: "preservation.extend", subject: "item:\(itemID)",
                detail: "{\"from\":\(current.expiresAt),\"until\":\(until),\"reason\":\(JSONText.encode(reason))}", now: now)
            return try Self.preservation(db, itemID: itemID)
        }
    }

    public func purgeExpiredPreservations(now: Int64, limit: Int) async throws -> Int {
        try await writer.write { db in
            let due = try Int64.fetchAll(
                db, sql: "SELECT item_id FROM preservations WHERE purged_at IS NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
                arguments: [now, limit])
            for itemID in due {
                let media = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM media WHERE item_id = ?", arguments: [itemID]) ?? 0
                let bytes = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(LENGTH(bytes)), 0) FROM media WHERE item_id = ?", arguments: [itemID]) ?? 0
                try db.execute(
                    sql: """
                        UPDATE items SET text = '', urls = '[]', author = NULL, container_title = NULL, verdict = '{}'
                        WHERE id = ?
                        """,
                    arguments: [itemID])
                try db.execute(sql: "UPDATE media SET bytes = x'' WHERE item_id = ?", arguments: [itemID])
                try db.execute(sql: "UPDATE reports SET text = NULL WHERE item_id = ?", arguments: [itemID])
                try db.execute(sql: "UPDATE preservations SET purged_at = ? WHERE item_id = ?", arguments: [now, itemID])
                try Self.audit(
                    db, actor: "bulwark", action: "preservation.purge", subject: "item:\(itemID)",
                    detail: "{\"media_parts\":\(media),\"media_bytes\":\(bytes)}", now: now)
            }
            return due.count
        }
    }

    static func preservation(_ db: Database, itemID: Int64) throws -> PreservationRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM preservations WHERE item_id = ?", arguments: [itemID]),
            let item = try Row.fetchOne(db, sql: "SELECT * FROM items WHERE id = ?", arguments: [itemID])
        else { return nil }
        let media = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM media WHERE item_id = ? AND LENGTH(bytes) > 0", arguments: [itemID]) ?? 0
        return PreservationRecord(
            itemID: itemID, decisionID: row["decision_id"], preservedAt: row["preserved_at"], expiresAt: row["expires_at"],
            extensions: row["extensions"], purgedAt: row["purged_at"], item: Self.item(item), mediaParts: media)
    }
}
