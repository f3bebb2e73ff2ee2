public import BulwarkCore
import PostgresNIO

/// Appeals on PostgreSQL: the same steps as SQLite's; the appeal row is locked while it is decided.
extension PostgresStore {
    public func fileAppeal(
        decisionID: Int64?, platform: String?, externalID: String?, appellant: String, reason: String, now: Int64
    ) async throws -> FileAppealOutcome {
        try await transaction { db in
            var id = decisionID
            if id == nil, let platform, let externalID {
                id = try await rows(
                    db,
                    """
                    SELECT d.id FROM decisions d JOIN cases c ON c.id = d.case_id JOIN items i ON i.id = c.item_id
                    WHERE i.platform = \(platform) AND i.external_id = \(externalID)
                        AND d.action IN ('remove', 'restrict_visibility', 'geo_block')
                    ORDER BY d.id DESC LIMIT 1
                    """
                ).first?.decode(Int64.self)
            }
            guard let id,
                let row = try await rows(
                    db,
                    "SELECT d.*, c.item_id AS case_item, c.entity_id AS case_entity FROM decisions d JOIN cases c ON c.id = d.case_id WHERE d.id = \(id)"
                ).first
            else { return .notFound }
            if let existing = try await rows(db, "SELECT * FROM appeals WHERE decision_id = \(id)").first {
                return .duplicate(try await appeal(existing) { try await self.rows(db, $0) })
            }
            let decision = try Self.decision(row)
            let c = Cells(row)
            let caseItem: Int64? = try c["case_item"]
            if let reason = AppealRules.notAppealable(action: decision.action) {
                return .notAppealable(reason)
            }
            let inserted = try await rows(
                db,
                """
                INSERT INTO appeals (decision_id, case_id, item_id, appellant, reason, status, filed_at, deadline_at)
                VALUES (\(id), \(decision.caseID), \(caseItem), \(appellant), \(reason), 'open', \(now), \(now + DueProcess.appealSeconds))
                ON CONFLICT (decision_id) DO NOTHING
                RETURNING *
                """
            ).first
            guard let inserted else {
                // A concurrent filing for the same decision won.
                let existing = try await rows(db, "SELECT * FROM appeals WHERE decision_id = \(id)").first!
                return .duplicate(try await appeal(existing) { try await self.rows(db, $0) })
            }
            let record = try await appeal(inserted) { try await self.rows(db, $0) }
            try await audit(db, actor: appellant, action: "appeal.file", subject: "appeal:\(record.id)", detail: "{\"decision\":\(id)}", now: now)
            return .filed(record)
        }
    }

    public func appeal(id: Int64) async throws -> AppealRecord? {
        guard let row = try await read("SELECT * FROM appeals WHERE id = \(id)").first else { return nil }
        return try await appeal(row) { try await self.read($0) }
    }

    public func appeals(status: AppealRecord.Status?, afterID: Int64?, limit: Int) async throws -> [AppealRecord] {
        let status = status?.rawValue
        var records: [AppealRecord] = []
        for row in try await read(
            """
            SELECT * FROM appeals WHERE (\(status)::TEXT IS NULL OR status = \(status))
            AND (\(afterID)::BIGINT IS NULL OR (deadline_at, id) > (SELECT deadline_at, id FROM appeals WHERE id = \(afterID)))
            ORDER BY deadline_at, id LIMIT \(limit)
            """)
        {
            records.append(try await appeal(row) { try await self.read($0) })
        }
        return records
    }

    public func decideAppeal(
        id: Int64, reviewer: String, reverse: Bool, exemption: Exemption?, note: String?,
        webhookBody: @Sendable (DecisionRecord, ItemRecord, Int64) -> String,
        entityWebhookBody: @Sendable (DecisionRecord, EntityRecord, [ItemRecord], Int64) -> String, now: Int64
    ) async throws -> DecideAppealOutcome {
        try await transaction { db in
            guard let row = try await rows(db, "SELECT * FROM appeals WHERE id = \(id) FOR UPDATE").first else { return .notFound }
            var appeal = try await appeal(row) { try await self.rows(db, $0) }
            guard appeal.status == .open else { return .alreadyDecided }
            guard appeal.originalReviewer != reviewer else { return .sameReviewer }
            var deliveryID: String? = nil
            if reverse {
                let reinstate = NewDecision(action: .reinstate, exemption: exemption?.rawValue, note: note)
                let entityID = try await rows(db, "SELECT entity_id FROM cases WHERE id = \(appeal.caseID)").first?.decode(Int64?.self)
                if let entityID {
                    let outcome = try await decideEntity(
                        db, entityID: entityID, reviewer: reviewer, decision: reinstate,
                        webhookBody: { d, e, evidence in entityWebhookBody(d, e, evidence, id) }, now: now)
                    guard case .decided(let decision, let delivery, _) = outcome else { return .notFound }
                    appeal.reinstatementDecisionID = decision.id
                    deliveryID = delivery
                } else {
                    let decision = try await recordDecision(db, caseID: appeal.caseID, reviewer: reviewer, decision: reinstate, now: now)
                    appeal.reinstatementDecisionID = decision.id
                    if let itemID = appeal.itemID, let itemRow = try await rows(db, "SELECT * FROM items WHERE id = \(itemID)").first {
                        deliveryID = try await enqueueDelivery(
                            db, event: "decision", body: webhookBody(decision, try Self.item(itemRow), id), now: now)
                    }
                }
            }
            appeal.status = reverse ? .reversed : .upheld
            appeal.decidedBy = reviewer
            appeal.decidedAt = now
            appeal.exemption = exemption
            appeal.note = note
            try await execute(
                db,
                """
                UPDATE appeals SET status = \(appeal.status.rawValue), decided_by = \(reviewer), decided_at = \(now),
                    exemption = \(exemption?.rawValue), note = \(note), reinstatement_decision_id = \(appeal.reinstatementDecisionID)
                WHERE id = \(id)
                """)
            try await audit(
                db, actor: reviewer, action: reverse ? "appeal.reverse" : "appeal.uphold", subject: "appeal:\(id)",
                detail: "{\"decision\":\(appeal.decisionID),\"reinstatement\":\(appeal.reinstatementDecisionID.map(String.init) ?? "null")}",
                now: now)
            return .decided(appeal, deliveryID: deliveryID)
        }
    }

    func appeal(_ row: PostgresRow, query: (PostgresQuery) async throws -> [PostgresRow]) async throws -> AppealRecord {
        let c = Cells(row)
        let decisionID: Int64 = try c["decision_id"]
        let original = try await query("SELECT reviewer FROM decisions WHERE id = \(decisionID)").first?.decode(String.self) ?? ""
        return try AppealRecord(
            id: c["id"], decisionID: decisionID, caseID: c["case_id"], itemID: c["item_id"], appellant: c["appellant"],
            reason: c["reason"], status: AppealRecord.Status(rawValue: c["status"]) ?? .open, filedAt: c["filed_at"],
            deadlineAt: c["deadline_at"], originalReviewer: original, decidedBy: c["decided_by"], decidedAt: c["decided_at"],
            exemption: (c["exemption"] as String?).flatMap(Exemption.init(rawValue:)), note: c["note"],
            reinstatementDecisionID: c["reinstatement_decision_id"])
    }
}
