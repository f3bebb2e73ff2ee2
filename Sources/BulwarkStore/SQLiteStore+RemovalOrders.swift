import BulwarkCore
import GRDB

/// Removal orders and statements of reasons on SQLite.
extension SQLiteStore {
    public func receiveRemovalOrder(
        _ order: NewRemovalOrder, webhookBody: @Sendable (DecisionRecord, ItemRecord, Int64) -> String,
        contentKey: @Sendable (String) -> String?, now: Int64
    ) async throws -> ReceiveOrderOutcome {
        try await writer.write { db in
            if let existing = try Row.fetchOne(
                db, sql: "SELECT * FROM removal_orders WHERE authority = ? AND reference = ?",
                arguments: [order.authority, order.reference])
            {
                return .duplicate(try Self.removalOrder(db, existing))
            }
            try db.execute(
                sql: """
                    INSERT INTO removal_orders (authority, reference, received_by, legal_basis, reasons, category, issued_at,
                        received_at, deadline_at, targets, outcome)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]')
                    """,
                arguments: [
                    order.authority, order.reference, order.receivedBy, order.legalBasis, order.reasons,
                    order.category?.rawValue, order.issuedAt, now, now + DueProcess.removalOrderSeconds,
                    RemovalOrderText.encode(order.targets),
                ])
            let orderID = db.lastInsertedRowID
            var outcomes: [RemovalTargetOutcome] = []
            for target in order.targets {
                var outcome = RemovalTargetOutcome(target: target)
                if let failure = RemovalOrderText.failure(for: target) {
                    outcome.failure = failure
                } else if let itemRow = try Row.fetchOne(
                    db, sql: "SELECT * FROM items WHERE platform = ? AND external_id = ?",
                    arguments: [target.platform, target.id])
                {
                    let item = Self.item(itemRow)
                    outcome.itemID = item.id
                    if outcomes.contains(where: { $0.itemID == item.id && $0.decisionID != nil }) {
                        outcome.failure = "named twice in this order: executed once"
                    } else {
                        let hasMedia = (itemRow["media_count"] as Int64? ?? 0) > 0
                        let key = hasMedia ? nil : contentKey(item.text)
                        var caseID = try Int64.fetchOne(db, sql: "SELECT id FROM cases WHERE item_id = ?", arguments: [item.id])
                        if let caseID {
                            // A case from before keys were kept, or one without: the removal reaches the copies.
                            try db.execute(
                                sql: "UPDATE cases SET content_key = ? WHERE id = ? AND content_key IS NULL", arguments: [key, caseID])
                        } else {
                            try db.execute(
                                sql: """
                                    INSERT INTO cases (item_id, source, status, base_priority, category, language, user_reports,
                                        trusted_reports, created_at, updated_at, content_key)
                                    VALUES (?, 'removal_order', 'open', ?, ?, ?, 0, 0, ?, ?, ?)
                                    """,
                                arguments: [
                                    item.id, ReviewPriority.base(score: 1, category: order.category ?? .dissemination, reach: 0, userReports: 0, trustedReports: 0, removalOrder: true),
                                    order.category?.rawValue, item.language, now, now, key,
                                ])
                            caseID = db.lastInsertedRowID
                        }
                        let decision = try Self.recordDecision(
                            db, caseID: caseID!, reviewer: order.receivedBy,
                            decision: NewDecision(
                                action: .remove, category: order.category, exemption: nil,
                                note: "removal order \(order.reference) from \(order.authority)"),
                            now: now)
                        try db.execute(sql: "UPDATE decisions SET removal_order_id = ? WHERE id = ?", arguments: [orderID, decision.id])
                        try db.execute(sql: "UPDATE reports SET status = 'actioned' WHERE case_id = ?", arguments: [caseID!])
                        outcome.decisionID = decision.id
                        outcome.deliveryID = try Self.enqueueDelivery(
                            db, event: "decision", body: webhookBody(decision, item, orderID), now: now)
                        try Self.audit(
                            db, actor: order.receivedBy, action: "removal_order.execute", subject: "item:\(item.id)",
                            detail: "{\"order\":\(orderID),\"decision\":\(decision.id)}", now: now)
                    }
                } else {
                    outcome.failure = "no item \(target.platform!)/\(target.id!): the platform never sent it to Bulwark"
                }
                outcomes.append(outcome)
            }
            let executed = outcomes.contains { $0.decisionID != nil }
            try db.execute(
                sql: "UPDATE removal_orders SET outcome = ?, actioned_at = ? WHERE id = ?",
                arguments: [RemovalOrderText.encode(outcomes), executed ? now : nil, orderID])
            try Self.audit(
                db, actor: order.receivedBy, action: "removal_order.receive", subject: "removal_order:\(orderID)",
                detail: "{\"targets\":\(order.targets.count),\"executed\":\(outcomes.count { $0.decisionID != nil })}", now: now)
            let row = try Row.fetchOne(db, sql: "SELECT * FROM removal_orders WHERE id = ?", arguments: [orderID])!
            return .received(try Self.removalOrder(db, row))
        }
    }

    public func removalOrder(id: Int64) async throws -> RemovalOrderRecord? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM removal_orders WHERE id = ?", arguments: [id]).map { try Self.removalOrder(db, $0) }
        }
    }

    public func removalOrders(receivedFrom from: Int64, to: Int64, beforeID: Int64?, limit: Int) async throws -> [RemovalOrderRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM removal_orders WHERE received_at >= ? AND received_at < ? AND id < ? ORDER BY id DESC LIMIT ?",
                arguments: [from, to, beforeID ?? Int64.max, limit]
            ).map { try Self.removalOrder(db, $0) }
        }
    }

    public func statementSources(afterDecisionID: Int64, limit: Int) async throws -> [StatementSource] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: StatementQueries.sources(afterDecisionID: afterDecisionID, limit: limit)).map { row in
                StatementSource(
                    decision: Self.decision(row), source: CaseSource(rawValue: row["case_source"]) ?? .proactive,
                    itemID: row["case_item"], entityID: row["case_entity"], contentTime: row["content_time"],
                    language: row["item_language"], mediaCount: row["item_media"], removalOrderReference: row["order_reference"])
            }
        }
    }

    public func labelSources(beforeDecisionID: Int64?, from: Int64?, to: Int64?, limit: Int) async throws -> [LabelSource] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: LabelQueries.sources(beforeDecisionID: beforeDecisionID, from: from, to: to, limit: limit)).map { row in
                LabelSource(
                    decisionID: row["decision_id"], caseID: row["case_id"], contentKey: row["content_key"],
                    action: ModerationAction(rawValue: row["action"]) ?? .escalate,
                    category: (row["category"] as String?).flatMap(Category.init(rawValue:)), exemption: row["exemption"],
                    decidedAt: row["created_at"], text: row["text"], type: row["type"], languageHint: row["lang_hint"],
                    language: row["language"])
            }
        }
    }

    static func removalOrder(_ db: Database, _ row: Row) throws -> RemovalOrderRecord {
        let outcomes = RemovalOrderText.outcomes(row["outcome"])
        let ids = outcomes.compactMap(\.deliveryID)
        var deliveries: [String: (status: String?, deliveredAt: Int64?)] = [:]
        if !ids.isEmpty {
            // One query for the order's deliveries (metrics and the alert read every open order).
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            for d in try Row.fetchAll(
                db, sql: "SELECT delivery_id, status, delivered_at FROM deliveries WHERE delivery_id IN (\(marks))",
                arguments: StatementArguments(ids))
            {
                deliveries[d["delivery_id"]] = (d["status"], d["delivered_at"])
            }
        }
        let (confirmedAt, pending) = StatementQueries.confirmation(ids.map { deliveries[$0] ?? (nil, nil) })
        return RemovalOrderRecord(
            id: row["id"], authority: row["authority"], reference: row["reference"], receivedBy: row["received_by"],
            legalBasis: row["legal_basis"], reasons: row["reasons"],
            category: (row["category"] as String?).flatMap(Category.init(rawValue:)), issuedAt: row["issued_at"],
            receivedAt: row["received_at"], deadlineAt: row["deadline_at"], actionedAt: row["actioned_at"], outcomes: outcomes,
            confirmedAt: confirmedAt, pendingDeliveries: pending)
    }
}

extension SQLiteStore {
    public func transparencyCounts(from: Int64, to: Int64) async throws -> TransparencyCounts {
        try await writer.read { db in
            var counts = TransparencyCounts()
            // Through a cursor, each row folded and let go: the decision-time queries give a row
            // per case decided in the period (a year's report held them all as `Row`s before).
            for (name, sql) in TransparencyQueries.all(from: from, to: to, dialect: .sqlite) {
                let rows = try Row.fetchCursor(db, sql: sql)
                while let row = try rows.next() {
                    TransparencyQueries.fold(name, row[0] as String? ?? "none", Int(row[1] as Int64), into: &counts)
                }
            }
            return counts
        }
    }
}
