import BulwarkCore
import PostgresNIO

/// Removal orders and statements of reasons on PostgreSQL: the same steps as SQLite's, in one
/// transaction; a concurrent second order with the same reference is answered as a duplicate.
extension PostgresStore {
    public func receiveRemovalOrder(
        _ order: NewRemovalOrder, webhookBody: @Sendable (DecisionRecord, ItemRecord, Int64) -> String,
        contentKey: @Sendable (String) -> String?, now: Int64
    ) async throws -> ReceiveOrderOutcome {
        try await transaction { db in
            let inserted = try await rows(
                db,
                """
                INSERT INTO removal_orders (authority, reference, received_by, legal_basis, reasons, category, issued_at,
                    received_at, deadline_at, targets, outcome)
                VALUES (\(order.authority), \(order.reference), \(order.receivedBy), \(order.legalBasis), \(order.reasons),
                    \(order.category?.rawValue), \(order.issuedAt), \(now), \(now + DueProcess.removalOrderSeconds),
                    \(RemovalOrderText.encode(order.targets)), '[]')
                ON CONFLICT (authority, reference) DO NOTHING
                RETURNING id
                """
            ).first
            guard let orderID = try inserted?.decode(Int64.self) else {
                let existing = try await rows(
                    db, "SELECT * FROM removal_orders WHERE authority = \(order.authority) AND reference = \(order.reference)")
                guard let row = existing.first else { throw PostgresStoreError(.unexpectedResult, "removal order vanished") }
                return .duplicate(try await removalOrder(row) { try await self.rows(db, $0) })
            }
            var outcomes: [RemovalTargetOutcome] = []
            for target in order.targets {
                var outcome = RemovalTargetOutcome(target: target)
                if let failure = RemovalOrderText.failure(for: target) {
                    outcome.failure = failure
                } else if let itemRow = try await rows(
                    db, "SELECT * FROM items WHERE platform = \(target.platform!) AND external_id = \(target.id!)"
                ).first {
                    let item = try Self.item(itemRow)
                    outcome.itemID = item.id
                    if outcomes.contains(where: { $0.itemID == item.id && $0.decisionID != nil }) {
                        outcome.failure = "named twice in this order: executed once"
                    } else {
                        let mediaCount: Int64 = try Cells(itemRow)["media_count"]
                        let hasMedia = mediaCount > 0
                        let key = hasMedia ? nil : contentKey(item.text)
                        var caseID = try await rows(db, "SELECT id FROM cases WHERE item_id = \(item.id) FOR UPDATE").first?.decode(Int64.self)
                        if let caseID {
                            // A case from before keys were kept, or one without: the removal reaches the copies.
                            try await execute(db, "UPDATE cases SET content_key = \(key) WHERE id = \(caseID) AND content_key IS NULL")
                        } else {
                            let priority = ReviewPriority.base(
                                score: 1, category: order.category ?? .dissemination, reach: 0, userReports: 0, trustedReports: 0,
                                removalOrder: true)
                            caseID = try await insertedID(
                                db,
                                """
                                INSERT INTO cases (item_id, source, status, base_priority, category, language, user_reports,
                                    trusted_reports, created_at, updated_at, content_key)
                                VALUES (\(item.id), 'removal_order', 'open', \(priority), \(order.category?.rawValue), \(item.language),
                                    0, 0, \(now), \(now), \(key))
                                RETURNING id
                                """)
                        }
                        let decision = try await recordDecision(
                            db, caseID: caseID!, reviewer: order.receivedBy,
                            decision: NewDecision(
                                action: .remove, category: order.category, exemption: nil,
                                note: "removal order \(order.reference) from \(order.authority)"),
                            now: now)
                        try await execute(db, "UPDATE decisions SET removal_order_id = \(orderID) WHERE id = \(decision.id)")
                        try await execute(db, "UPDATE reports SET status = 'actioned' WHERE case_id = \(caseID!)")
                        outcome.decisionID = decision.id
                        outcome.deliveryID = try await enqueueDelivery(
                            db, event: "decision", body: webhookBody(decision, item, orderID), now: now)
                        try await audit(
                            db, actor: order.receivedBy, action: "removal_order.execute", subject: "item:\(item.id)",
                            detail: "{\"order\":\(orderID),\"decision\":\(decision.id)}", now: now)
                    }
                } else {
                    outcome.failure = "no item \(target.platform!)/\(target.id!): the platform never sent it to Bulwark"
                }
                outcomes.append(outcome)
            }
            let executed = outcomes.count { $0.decisionID != nil }
            let actionedAt: Int64? = executed > 0 ? now : nil
            try await execute(
                db,
                "UPDATE removal_orders SET outcome = \(RemovalOrderText.encode(outcomes)), actioned_at = \(actionedAt) WHERE id = \(orderID)")
            try await audit(
                db, actor: order.receivedBy, action: "removal_order.receive", subject: "removal_order:\(orderID)",
                detail: "{\"targets\":\(order.targets.count),\"executed\":\(executed)}", now: now)
            let row = try await rows(db, "SELECT * FROM removal_orders WHERE id = \(orderID)").first!
            return .received(try await removalOrder(row) { try await self.rows(db, $0) })
        }
    }

    public func removalOrder(id: Int64) async throws -> RemovalOrderRecord? {
        guard let row = try await read("SELECT * FROM removal_orders WHERE id = \(id)").first else { return nil }
        return try await removalOrder(row) { try await self.read($0) }
    }

    public func removalOrders(receivedFrom from: Int64, to: Int64, beforeID: Int64?, limit: Int) async throws -> [RemovalOrderRecord] {
        let before = beforeID ?? Int64.max
        var records: [RemovalOrderRecord] = []
        for row in try await read(
            "SELECT * FROM removal_orders WHERE received_at >= \(from) AND received_at < \(to) AND id < \(before) ORDER BY id DESC LIMIT \(limit)")
        {
            records.append(try await removalOrder(row) { try await self.read($0) })
        }
        return records
    }

    public func statementSources(afterDecisionID: Int64, limit: Int) async throws -> [StatementSource] {
        try await read(PostgresQuery(unsafeSQL: StatementQueries.sources(afterDecisionID: afterDecisionID, limit: limit))).map { row in
            let c = Cells(row)
            return try StatementSource(
                decision: Self.decision(row), source: CaseSource(rawValue: c["case_source"]) ?? .proactive,
                itemID: c["case_item"], entityID: c["case_entity"], contentTime: c["content_time"],
                language: c["item_language"], mediaCount: Int(c["item_media"] as Int64), removalOrderReference: c["order_reference"])
        }
    }

    public func labelSources(beforeDecisionID: Int64?, from: Int64?, to: Int64?, limit: Int) async throws -> [LabelSource] {
        let sql = LabelQueries.sources(beforeDecisionID: beforeDecisionID, from: from, to: to, limit: limit)
        return try await read(PostgresQuery(unsafeSQL: sql)).map { row in
            let c = Cells(row)
            return try LabelSource(
                decisionID: c["decision_id"], caseID: c["case_id"], contentKey: c["content_key"],
                action: ModerationAction(rawValue: c["action"]) ?? .escalate,
                category: (c["category"] as String?).flatMap(Category.init(rawValue:)), exemption: c["exemption"],
                decidedAt: c["created_at"], text: c["text"], type: c["type"], languageHint: c["lang_hint"],
                language: c["language"])
        }
    }

    func removalOrder(
        _ row: PostgresRow, query: (PostgresQuery) async throws -> [PostgresRow]
    ) async throws -> RemovalOrderRecord {
        let c = Cells(row)
        let outcomes = RemovalOrderText.outcomes(try c["outcome"])
        let ids = outcomes.compactMap(\.deliveryID)
        var deliveries: [String: (status: String?, deliveredAt: Int64?)] = [:]
        if !ids.isEmpty {
            // One query for the order's deliveries (metrics and the alert read every open order).
            for d in try await query("SELECT delivery_id, status, delivered_at FROM deliveries WHERE delivery_id = ANY(\(ids))") {
                let (id, status, at) = try d.decode((String, String, Int64?).self)
                deliveries[id] = (status, at)
            }
        }
        let (confirmedAt, pending) = StatementQueries.confirmation(ids.map { deliveries[$0] ?? (nil, nil) })
        return try RemovalOrderRecord(
            id: c["id"], authority: c["authority"], reference: c["reference"], receivedBy: c["received_by"],
            legalBasis: c["legal_basis"], reasons: c["reasons"],
            category: (c["category"] as String?).flatMap(Category.init(rawValue:)), issuedAt: c["issued_at"],
            receivedAt: c["received_at"], deadlineAt: c["deadline_at"], actionedAt: c["actioned_at"], outcomes: outcomes,
            confirmedAt: confirmedAt, pendingDeliveries: pending)
    }
}

extension PostgresStore {
    public func transparencyCounts(from: Int64, to: Int64) async throws -> TransparencyCounts {
        // Each row folded as it arrives: the decision-time queries give a row per case decided
        // in the period (a year's report held them all before they were counted).
        //
        // In one read-only transaction at REPEATABLE READ, so that every count is of the same
        // snapshot (a decision written between two of the queries counted in both or in
        // neither), as SQLite's store reads them in one transaction; and without JIT
        // compilation, which the planner chose for the query of automated detection from 30
        // days up (its cost estimate over 100,000) and which cost more than it saved on every
        // query of the report: 30 days of a million cases 1.17-1.22 -> 0.72-0.80 s.
        try await transaction { db in
            try await execute(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try await execute(db, "SET LOCAL jit = off")
            var counts = TransparencyCounts()
            for (name, sql) in TransparencyQueries.all(from: from, to: to, dialect: .postgres) {
                counts = try await fold(db, PostgresQuery(unsafeSQL: sql), into: counts) { counts, row in
                    let (key, n) = try row.decode((String?, Int64).self)
                    TransparencyQueries.fold(name, key ?? "none", Int(n), into: &counts)
                }
            }
            return counts
        }
    }
}
