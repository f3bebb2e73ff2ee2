public import BulwarkCore
import GRDB

/// Appeals on SQLite.
extension SQLiteStore {
    public func fileAppeal(
        decisionID: Int64?, platform: String?, externalID: String?, appellant: String, reason: String, now: Int64
    ) async throws -> FileAppealOutcome {
        try await writer.write { db in
            var id = decisionID
            if id == nil, let platform, let externalID {
                id = try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT d.id FROM decisions d JOIN cases c ON c.id = d.case_id JOIN items i ON i.id = c.item_id
                        WHERE i.platform = ? AND i.external_id = ? AND d.action IN ('remove', 'restrict_visibility', 'geo_block')
                        ORDER BY d.id DESC LIMIT 1
                        """,
                    arguments: [platform, externalID])
            }
            guard let id,
                let row = try Row.fetchOne(
                    db, sql: "SELECT d.*, c.item_id AS case_item, c.entity_id AS case_entity FROM decisions d JOIN cases c ON c.id = d.case_id WHERE d.id = ?",
                    arguments: [id])
            else { return .notFound }
            if let existing = try Row.fetchOne(db, sql: "SELECT * FROM appeals WHERE decision_id = ?", arguments: [id]) {
                return .duplicate(try Self.appeal(db, existing))
            }
            let decision = Self.decision(row)
            if let reason = AppealRules.notAppealable(action: decision.action) {
                return .notAppealable(reason)
            }
            try db.execute(
                sql: """
                    INSERT INTO appeals (decision_id, case_id, item_id, appellant, reason, status, filed_at, deadline_at)
                    VALUES (?, ?, ?, ?, ?, 'open', ?, ?)
                    """,
                arguments: [id, decision.caseID, row["case_item"] as Int64?, appellant, reason, now, now + DueProcess.appealSeconds])
            let appealID = db.lastInsertedRowID
            try Self.audit(
                db, actor: appellant, action: "appeal.file", subject: "appeal:\(appealID)", detail: "{\"decision\":\(id)}", now: now)
            return .filed(try Self.appeal(db, try Row.fetchOne(db, sql: "SELECT * FROM appeals WHERE id = ?", arguments: [appealID])!))
        }
    }

    public func appeal(id: Int64) async throws -> AppealRecord? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM appeals WHERE id = ?", arguments: [id]).map { try Self.appeal(db, $0) }
        }
    }

    public func appeals(status: AppealRecord.Status?, afterID: Int64?, limit: Int) async throws -> [AppealRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM appeals WHERE (? IS NULL OR status = ?)
                    AND (? IS NULL OR (deadline_at, id) > (SELECT deadline_at, id FROM appeals WHERE id = ?))
                    ORDER BY deadline_at, id LIMIT ?
                    """,
                arguments: [status?.rawValue, status?.rawValue, afterID, afterID, limit]
            ).map { try Self.appeal(db, $0) }
        }
    }

    public func decideAppeal(
        id: Int64, reviewer: String, reverse: Bool, exemption: Exemption?, note: String?,
        webhookBody: @Sendable (DecisionRecord, ItemRecord, Int64) -> String,
        entityWebhookBody: @Sendable (DecisionRecord, EntityRecord, [ItemRecord], Int64) -> String, now: Int64
    ) async throws -> DecideAppealOutcome {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM appeals WHERE id = ?", arguments: [id]) else { return .notFound }
            var appeal = try Self.appeal(db, row)
            guard appeal.status == .open else { return .alreadyDecided }
            guard appeal.originalReviewer != reviewer else { return .sameReviewer }
            var deliveryID: String? = nil
            if reverse {
                let reinstate = NewDecision(action: .reinstate, exemption: exemption?.rawValue, note: note)
                if let entityID = try Int64.fetchOne(db, sql: "SELECT entity_id FROM cases WHERE id = ?", arguments: [appeal.caseID]) {
                    let outcome = try Self.decideEntity(
                        db, entityID: entityID, reviewer: reviewer, decision: reinstate,
                        webhookBody: { d, e, evidence in entityWebhookBody(d, e, evidence, id) }, now: now)
                    guard case .decided(let decision, let delivery, _) = outcome else { return .notFound }
                    appeal.reinstatementDecisionID = decision.id
                    deliveryID = delivery
                } else {
                    let decision = try Self.recordDecision(db, caseID: appeal.caseID, reviewer: reviewer, decision: reinstate, now: now)
                    appeal.reinstatementDecisionID = decision.id
                    if let itemID = appeal.itemID, let itemRow = try Row.fetchOne(db, sql: "SELECT * FROM items WHERE id = ?", arguments: [itemID]) {
                        deliveryID = try Self.enqueueDelivery(db, event: "decision", body: webhookBody(decision, Self.item(itemRow), id), now: now)
                    }
                }
            }
            appeal.status = reverse ? .reversed : .upheld
            appeal.decidedBy = reviewer
            appeal.decidedAt = now
            appeal.exemption = exemption
            appeal.note = note
            try db.execute(
                sql: """
                    UPDATE appeals SET status = ?, decided_by = ?, decided_at = ?, exemption = ?, note = ?, reinstatement_decision_id = ?
                    WHERE id = ?
                    """,
                arguments: [appeal.status.rawValue, reviewer, now, exemption?.rawValue, note, appeal.reinstatementDecisionID, id])
            try Self.audit(
                db, actor: reviewer, action: reverse ? "appeal.reverse" : "appeal.uphold", subject: "appeal:\(id)",
                detail: "{\"decision\":\(appeal.decisionID),\"reinstatement\":\(appeal.reinstatementDecisionID.map(String.init) ?? "null")}",
                now: now)
            return .decided(appeal, deliveryID: deliveryID)
        }
    }

    static func appeal(_ db: Database, _ row: Row) throws -> AppealRecord {
        let original = try String.fetchOne(db, sql: "SELECT reviewer FROM decisions WHERE id = ?", arguments: [row["decision_id"] as Int64]) ?? ""
        return AppealRecord(
            id: row["id"], decisionID: row["decision_id"], caseID: row["case_id"], itemID: row["item_id"], appellant: row["appellant"],
            reason: row["reason"], status: AppealRecord.Status(rawValue: row["status"]) ?? .open, filedAt: row["filed_at"],
            deadlineAt: row["deadline_at"], originalReviewer: original, decidedBy: row["decided_by"], decidedAt: row["decided_at"],
            exemption: (row["exemption"] as String?).flatMap(Exemption.init(rawValue:)), note: row["note"],
            reinstatementDecisionID: row["reinstatement_decision_id"])
    }
}
