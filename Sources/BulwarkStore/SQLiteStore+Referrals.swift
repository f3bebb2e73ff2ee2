import BulwarkCore
import GRDB

/// Referrals to law enforcement on SQLite.
extension SQLiteStore {
    public func refer(
        _ referral: NewReferral, webhookBody: @Sendable (ReferralRecord, ItemRecord) -> String, now: Int64
    ) async throws -> (referral: ReferralRecord, item: ItemRecord)? {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM items WHERE id = ?", arguments: [referral.itemID])
            else { return nil }
            let item = Self.item(row)
            // Inserted first for its id, which the webhook names; the delivery id is set after.
            try db.execute(
                sql: """
                    INSERT INTO referrals (item_id, authority, member_state, grounds, referred_by, referred_at, delivery_id)
                    VALUES (?, ?, ?, ?, ?, ?, '')
                    """,
                arguments: [
                    referral.itemID, referral.authority, referral.memberState, referral.grounds, referral.referredBy, now,
                ])
            var record = ReferralRecord(
                id: db.lastInsertedRowID, itemID: referral.itemID, authority: referral.authority,
                memberState: referral.memberState, grounds: referral.grounds, referredBy: referral.referredBy, referredAt: now,
                deliveryID: "")
            record.deliveryID = try Self.enqueueDelivery(db, event: "referral", body: webhookBody(record, item), now: now)
            try db.execute(sql: "UPDATE referrals SET delivery_id = ? WHERE id = ?", arguments: [record.deliveryID, record.id])
            try Self.audit(
                db, actor: referral.referredBy, action: "referral.create", subject: "item:\(referral.itemID)",
                detail: record.auditDetail, now: now)
            return (record, item)
        }
    }

    public func referral(id: Int64) async throws -> ReferralRecord? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM referrals WHERE id = ?", arguments: [id]).map(Self.referral)
        }
    }

    public func referrals(itemID: Int64?, beforeID: Int64?, limit: Int) async throws -> [ReferralRecord] {
        try await writer.read { db in
            if let itemID {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM referrals WHERE item_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                    arguments: [itemID, beforeID ?? Int64.max, limit]
                ).map(Self.referral)
            }
            return try Row.fetchAll(
                db, sql: "SELECT * FROM referrals WHERE id < ? ORDER BY id DESC LIMIT ?",
                arguments: [beforeID ?? Int64.max, limit]
            ).map(Self.referral)
        }
    }

    static func referral(_ row: Row) -> ReferralRecord {
        ReferralRecord(
            id: row["id"], itemID: row["item_id"], authority: row["authority"], memberState: row["member_state"],
            grounds: row["grounds"], referredBy: row["referred_by"], referredAt: row["referred_at"],
            deliveryID: row["delivery_id"])
    }
}
