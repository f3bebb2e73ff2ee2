import BulwarkCore
import PostgresNIO

/// Referrals to law enforcement on PostgreSQL: the same steps as SQLite's.
extension PostgresStore {
    public func refer(
        _ referral: NewReferral, webhookBody: @Sendable (ReferralRecord, ItemRecord) -> String, now: Int64
    ) async throws -> (referral: ReferralRecord, item: ItemRecord)? {
        try await transaction { db in
            guard let row = try await rows(db, "SELECT * FROM items WHERE id = \(referral.itemID)").first else { return nil }
            let item = try Self.item(row)
            let id = try await rows(db, "SELECT nextval(pg_get_serial_sequence('referrals', 'id'))").first!.decode(Int64.self)
            var record = ReferralRecord(
                id: id, itemID: referral.itemID, authority: referral.authority, memberState: referral.memberState,
                grounds: referral.grounds, referredBy: referral.referredBy, referredAt: now, deliveryID: "")
            record.deliveryID = try await enqueueDelivery(db, event: "referral", body: webhookBody(record, item), now: now)
            try await execute(
                db,
                """
                INSERT INTO referrals (id, item_id, authority, member_state, grounds, referred_by, referred_at, delivery_id)
                VALUES (\(id), \(referral.itemID), \(referral.authority), \(referral.memberState), \(referral.grounds),
                        \(referral.referredBy), \(now), \(record.deliveryID))
                """)
            try await audit(
                db, actor: referral.referredBy, action: "referral.create", subject: "item:\(referral.itemID)",
                detail: record.auditDetail, now: now)
            return (record, item)
        }
    }

    public func referral(id: Int64) async throws -> ReferralRecord? {
        try await read("SELECT * FROM referrals WHERE id = \(id)").first.map(Self.referral)
    }

    public func referrals(itemID: Int64?, beforeID: Int64?, limit: Int) async throws -> [ReferralRecord] {
        let before = beforeID ?? Int64.max
        if let itemID {
            return try await read(
                "SELECT * FROM referrals WHERE item_id = \(itemID) AND id < \(before) ORDER BY id DESC LIMIT \(limit)"
            ).map(Self.referral)
        }
        return try await read("SELECT * FROM referrals WHERE id < \(before) ORDER BY id DESC LIMIT \(limit)").map(Self.referral)
    }

    static func referral(_ row: PostgresRow) throws -> ReferralRecord {
        let c = Cells(row)
        return try ReferralRecord(
            id: c["id"], itemID: c["item_id"], authority: c["authority"], memberState: c["member_state"],
            grounds: c["grounds"], referredBy: c["referred_by"], referredAt: c["referred_at"], deliveryID: c["delivery_id"])
    }
}
