import BulwarkCore
public import BulwarkEntities
import Foundation
import GRDB

/// Entities on SQLite: the rows ingest keeps current, entity decisions, re-appearance and
/// retro-hunt matches. Every write runs inside the caller's transaction.
extension SQLiteStore {
    // MARK: Reading

    public func entities(_ filter: EntityFilter) async throws -> [EntityRecord] {
        try await writer.read { db in
            var conditions = ["1 = 1"]
            var arguments: StatementArguments = []
            if let kind = filter.kind {
                conditions.append("kind = ?")
                _ = arguments.append(contentsOf: [kind.rawValue])
            }
            if let status = filter.status {
                conditions.append("status = ?")
                _ = arguments.append(contentsOf: [status.rawValue])
            }
            if let minRisk = filter.minRisk {
                conditions.append("risk >= ?")
                _ = arguments.append(contentsOf: [minRisk])
            }
            _ = arguments.append(contentsOf: [max(1, min(filter.limit, 500))])
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM entities WHERE \(conditions.joined(separator: " AND "))
                    ORDER BY risk DESC, id ASC LIMIT ?
                    """,
                arguments: arguments
            ).map(Self.entity)
        }
    }

    public func entity(id: Int64) async throws -> EntityRecord? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM entities WHERE id = ?"), arguments: [id]).map(Self.entity)
        }
    }

    public func entityDetail(id: Int64, itemLimit: Int) async throws -> EntityDetail? {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM entities WHERE id = ?"), arguments: [id]) else {
                return nil
            }
            let record = Self.entity(row)
            let column = Self.itemColumn(record.kind)
            let recent = try Row.fetchAll(
                db, sql: "SELECT * FROM items WHERE \(column) = ? ORDER BY id DESC LIMIT ?", arguments: [id, itemLimit]
            ).map(Self.item)
            let top = try Row.fetchAll(
                db, sql: "SELECT * FROM items WHERE \(column) = ? ORDER BY score DESC, id DESC LIMIT ?",
                arguments: [id, itemLimit]
            ).map(Self.item)
            let decisions = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT d.* FROM decisions d JOIN cases c ON c.id = d.case_id
                    WHERE c.entity_id = ? ORDER BY d.id
                    """), arguments: [id]
            ).map(Self.decision)
            let open = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT *, base_priority AS priority FROM cases WHERE entity_id = ? AND status <> 'decided'
                    """), arguments: [id]
            ).map(Self.caseRecord)
            return EntityDetail(record: record, recentItems: recent, topItems: top, decisions: decisions, openCase: open)
        }
    }

    public func entityFingerprints(ids: [Int64], maxItemCount: Int?) async throws -> [EntityFingerprintSource] {
        try await writer.read { db in
            // Only the columns a fingerprint needs: every ingest request reads its new entities
            // here while any entity is banned, and decoding the signals cost more than the query.
            try ids.compactMap { id in
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(sql: """
                            SELECT kind, status, name, description, avatar_pdq, item_count FROM entities WHERE id = ?
                            """), arguments: [id])
                else { return nil }
                let itemCount: Int = row[5]
                guard itemCount <= maxItemCount ?? Int.max else { return nil }
                return try Self.fingerprintSource(
                    db, id: id, kind: EntityKind(rawValue: row[0]) ?? .room, status: EntityStatus(rawValue: row[1]) ?? .active,
                    name: row[2], description: row[3], avatarPDQ: row[4], itemCount: itemCount)
            }
        }
    }

    /// Ordered by `status_at` so that SQLite reads `entities_status_at`: ordered by id alone it
    /// chose to scan the whole table, which every server process does each second (until
    /// 2026-12-03 it did, and those scans were the long tail of ingest's latency).
    static let statusChangesSQL = "SELECT * FROM entities WHERE status_at >= ? ORDER BY status_at, id"

    public func entityStatusChanges(since: Int64) async throws -> [EntityFingerprintSource] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: Self.statusChangesSQL), arguments: [since])
                .map { try Self.fingerprintSource(db, Self.entity($0)) }
        }
    }

    static func fingerprintSource(_ db: Database, _ e: EntityRecord) throws -> EntityFingerprintSource {
        try fingerprintSource(
            db, id: e.id, kind: e.kind, status: e.status, name: e.name, description: e.description,
            avatarPDQ: e.avatarPDQ, itemCount: e.itemCount)
    }

    static func fingerprintSource(
        _ db: Database, id: Int64, kind: EntityKind, status: EntityStatus, name: String?, description: String?,
        avatarPDQ: String?, itemCount: Int
    ) throws -> EntityFingerprintSource {
        let posts = try String.fetchAll(
            db.cachedStatement(sql: "SELECT text FROM items WHERE \(itemColumn(kind)) = ? ORDER BY id LIMIT ?"),
            arguments: [id, ReappearanceIndex.maxPosts])
        return EntityFingerprintSource(
            entityID: id, kind: kind, status: status, name: name, description: description, avatarPDQ: avatarPDQ,
            itemCount: itemCount, earlyPosts: posts)
    }

    public func mediaHashes(afterID: Int64, limit: Int) async throws -> [MediaHashRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT id, item_id, pdq, quality, md5, sha256, frames, stored_pdq FROM media WHERE status = 'hashed' AND id > ? ORDER BY id LIMIT ?"),
                arguments: [afterID, limit]
            ).map {
                MediaHashRecord(
                    mediaID: $0["id"], itemID: $0["item_id"], pdq: $0["pdq"], quality: $0["quality"], md5: $0["md5"], sha256: $0["sha256"],
                    frames: try FramePDQ.parse($0["frames"]), storedPixels: try StoredPixelsPDQ.parse($0["stored_pdq"]))
            }
        }
    }

    // MARK: Writing

    public func decideEntity(
        entityID: Int64, reviewer: String, decision: NewDecision,
        webhookBody: @Sendable (DecisionRecord, EntityRecord, [ItemRecord]) -> String?, now: Int64
    ) async throws -> EntityDecideOutcome {
        try await writer.write { db in
            try Self.decideEntity(db, entityID: entityID, reviewer: reviewer, decision: decision, webhookBody: webhookBody, now: now)
        }
    }

    /// An entity decision inside a transaction (the API's, or an appeal's reinstatement).
    static func decideEntity(
        _ db: Database, entityID: Int64, reviewer: String, decision: NewDecision,
        webhookBody: (DecisionRecord, EntityRecord, [ItemRecord]) -> String?, now: Int64
    ) throws -> EntityDecideOutcome {
        guard var state = try Self.entityState(db, id: entityID) else { return .notFound }
        let caseID: Int64
        if let open = state.openCaseID {
            if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT claimed_by, claim_until FROM cases WHERE id = ?"), arguments: [open])
            {
                let holder: String? = row["claimed_by"]
                let holdUntil: Int64? = row["claim_until"]
                if let holder, let holdUntil, holder != reviewer, holdUntil > now { return .heldBy(holder) }
            }
            caseID = open
        } else {
            // A decision without a case in the queue (from the entity's page) gets a case of its own.
            try db.cachedStatement(sql: """
                    INSERT INTO cases (entity_id, source, status, base_priority, category, user_reports,
                        trusted_reports, created_at, updated_at)
                    VALUES (?, 'proactive', 'open', ?, ?, 0, 0, ?, ?)
                    """).execute(arguments: [
                    entityID, EntityLedger.casePriority(state), state.signals.topCategory?.rawValue, now, now,
                ])
            caseID = db.lastInsertedRowID
        }
        let record = try Self.recordDecision(db, caseID: caseID, reviewer: reviewer, decision: decision, now: now)
        if let status = EntityLedger.status(after: decision.action) {
            if decision.action == .noViolation { state.reviewedRisk = state.risk }
            try db.cachedStatement(sql: """
                    UPDATE entities SET status = ?, status_at = CASE WHEN status = ? THEN status_at ELSE ? END,
                        reviewed_risk = ?, updated_at = ?
                    WHERE id = ?
                    """).execute(arguments: [status.rawValue, status.rawValue, now, state.reviewedRisk, now, entityID])
        }
        guard let entityRow = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM entities WHERE id = ?"), arguments: [entityID])
        else { return .notFound }
        let entity = Self.entity(entityRow)
        let evidence = try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM items WHERE \(Self.itemColumn(entity.kind)) = ? AND decision IN ('violating', 'review')
                ORDER BY id DESC LIMIT ?
                """,
            arguments: [entityID, EntityLedger.maxEvidenceItems]
        ).map(Self.item)
        let deliveryID = try webhookBody(record, entity, evidence).map {
            try Self.enqueueDelivery(db, event: "entity_decision", body: $0, now: now)
        }
        try Self.audit(
            db, actor: reviewer, action: "entity.decide", subject: "entity:\(entityID)",
            detail: "{\"action\":\"\(decision.action.rawValue)\",\"decision\":\(record.id),\"case\":\(caseID),\"evidence\":\(evidence.count)}",
            now: now)
        return .decided(record, deliveryID: deliveryID, entity: entity)
    }

    public func recordReappearance(entityID: Int64, match: ReappearanceMatch, now: Int64) async throws -> Bool {
        try await writer.write { db in
            guard let bannedID = Int64(match.bannedEntityID), bannedID != entityID,
                let banned = try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM entities WHERE id = ?"), arguments: [bannedID]),
                EntityStatus(rawValue: banned)?.isBanned == true,
                var state = try Self.entityState(db, id: entityID),
                match.similarity > state.reappearanceSimilarity
            else { return false }
            state.reappearanceSimilarity = match.similarity
            try db.cachedStatement(sql: """
                    UPDATE entities SET reappearance_of = ?, reappearance_similarity = ?, reappearance_evidence = ?
                    WHERE id = ?
                    """).execute(arguments: [bannedID, match.similarity, match.explanation, entityID])
            try Self.save(db, &state, now: now)
            try Self.audit(
                db, actor: "worker", action: "entity.reappearance", subject: "entity:\(entityID)",
                detail: "{\"banned\":\(bannedID),\"similarity\":\(match.similarity),\"evidence\":\(JSONText.encode(match.explanation))}",
                now: now)
            return true
        }
    }

    public func recordRetroMatch(mediaID: Int64, match: MediaResult, now: Int64) async throws -> Bool {
        try await writer.write { db in
            try Self.recordMatch(db, mediaID: mediaID, result: match, now: now, auditAction: "media.retro_match")
        }
    }

    // MARK: Shared with ingest and media jobs

    /// The items column that links an item to an entity of `kind`.
    static func itemColumn(_ kind: EntityKind) -> String {
        kind == .account ? "author_entity_id" : "container_entity_id"
    }

    /// Records a bank match of a media part once: raises the item's verdict, counts known
    /// content in its entities, opens or raises its case. False when the part's match was
    /// already recorded.
    static func recordMatch(_ db: Database, mediaID: Int64, result: MediaResult, now: Int64, auditAction: String)
        throws -> Bool
    {
        guard let decision = result.matchDecision, let priority = result.matchPriority,
            let media = try Row.fetchOne(db.cachedStatement(sql: "SELECT item_id, matched_at FROM media WHERE id = ?"), arguments: [mediaID]),
            (media["matched_at"] as Int64?) == nil,
            let item = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT id, decision, score, language, posted_at, received_at, author_entity_id, container_entity_id
                    FROM items WHERE id = ?
                    """), arguments: [media["item_id"] as Int64])
        else { return false }
        let itemID: Int64 = item["id"]
        try db.cachedStatement(sql: "UPDATE media SET matched_at = ?, match_evidence = ? WHERE id = ?").execute(arguments: [now, result.matchEvidence, mediaID])
        // A bank match is a stronger verdict than the text's: raise the item's.
        let previous = Decision(rawValue: item["decision"]) ?? .none
        if previous < decision {
            try db.cachedStatement(sql: "UPDATE items SET decision = ?, category = COALESCE(?, category) WHERE id = ?").execute(arguments: [decision.rawValue, result.matchCategory?.rawValue, itemID])
        }
        // Known content in the item's entities.
        let signal = ItemSignal(
            time: (item["posted_at"] as Int64?) ?? (item["received_at"] as Int64), decision: max(previous, decision),
            score: max(item["score"] as Double, decision == .violating ? 1 : 0.7), category: result.matchCategory,
            knownContent: true)
        var risk = 0.0
        for column in ["author_entity_id", "container_entity_id"] {
            guard let id = item[column] as Int64?, var state = try entityState(db, id: id) else { continue }
            state.signals.recordKnownContent(signal, recordedAs: previous)
            try save(db, &state, now: now)
            risk = max(risk, state.risk)
        }
        let withEntity = priority + ReviewPriority.entityRiskWeight * min(risk, 100)
        if let caseID = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM cases WHERE item_id = ?"), arguments: [itemID]) {
            try db.cachedStatement(sql: """
                    UPDATE cases SET base_priority = MAX(base_priority, ?), category = COALESCE(category, ?), updated_at = ?
                    WHERE id = ?
                    """).execute(arguments: [withEntity, result.matchCategory?.rawValue, now, caseID])
        } else {
            try db.cachedStatement(sql: """
                    INSERT INTO cases (item_id, source, status, base_priority, category, language, user_reports,
                        trusted_reports, created_at, updated_at)
                    VALUES (?, 'proactive', 'open', ?, ?, ?, 0, 0, ?, ?)
                    """).execute(arguments: [itemID, withEntity, result.matchCategory?.rawValue, item["language"] as String, now, now])
        }
        try audit(
            db, actor: "worker", action: auditAction, subject: "item:\(itemID)", detail: result.matchEvidence ?? "{}",
            now: now)
        return true
    }

    /// The entity row for `key`, created (empty, first seen at `time`) if it does not exist.
    static func entityState(_ db: Database, key: EntityKey, kind: EntityKind, time: Int64, now: Int64) throws
        -> EntityState
    {
        if let state = try Row.fetchOne(
            db.cachedStatement(sql: Self.entityStateSQL + "WHERE e.platform = ? AND e.is_account = ? AND e.external_id = ?"),
            arguments: [key.platform, key.isAccount, key.externalID]
        ).map(Self.entityState) {
            return state
        }
        try db.cachedStatement(sql: """
                INSERT INTO entities (platform, kind, is_account, external_id, status, status_at, signals, risk,
                    first_seen, last_seen, updated_at)
                VALUES (?, ?, ?, ?, 'active', 0, ?, 0, ?, ?, ?)
                """).execute(arguments: [
                key.platform, kind.rawValue, key.isAccount, key.externalID, EntityLedger.encode(EntitySignals()), time,
                time, now,
            ])
        return EntityState(
            id: db.lastInsertedRowID, kind: kind, status: .active, signals: EntitySignals(), risk: 0, reviewedRisk: 0,
            reappearanceSimilarity: 0, itemCount: 0, firstSeen: time, lastSeen: time)
    }

    static func entityState(_ db: Database, id: Int64) throws -> EntityState? {
        try Row.fetchOne(db.cachedStatement(sql: Self.entityStateSQL + "WHERE e.id = ?"), arguments: [id]).map(Self.entityState)
    }

    /// An entity with its open case, its columns in the order `entityState(_ row:)` reads them
    /// (by position: ingest reads two entities an item, and looking each column up by name cost
    /// more than the query). A statement adds its own `WHERE`.
    static let entityStateSQL = """
        SELECT e.id, e.kind, e.name, e.description, e.avatar_pdq, e.status, e.signals, e.risk, e.reviewed_risk,
            e.reappearance_similarity, e.item_count, e.first_seen, e.last_seen, c.id, c.base_priority
        FROM entities e LEFT JOIN cases c ON c.entity_id = e.id AND c.status <> 'decided'

        """

    static func entityState(_ row: Row) -> EntityState {
        EntityState(
            id: row[0], kind: EntityKind(rawValue: row[1]) ?? .room, name: row[2], description: row[3], avatarPDQ: row[4],
            status: EntityStatus(rawValue: row[5]) ?? .active, signals: EntityLedger.decode(row[6]), risk: row[7],
            reviewedRisk: row[8], reappearanceSimilarity: row[9], itemCount: row[10], firstSeen: row[11],
            lastSeen: row[12], openCaseID: row[13], openCasePriority: row[14])
    }

    /// What `save` writes of an entity's row, in its arguments' order; the risk only when it
    /// changed (then after these, before the id).
    static let savedColumns =
        "kind = ?, name = ?, description = ?, avatar_pdq = ?, signals = ?, item_count = ?, first_seen = ?, last_seen = ?, updated_at = ?"
    static let saveSQL = "UPDATE entities SET \(savedColumns) WHERE id = ?"
    static let saveWithRiskSQL = "UPDATE entities SET \(savedColumns), risk = ? WHERE id = ?"

    /// Re-scores an entity, writes its row, and opens or raises its case.
    ///
    /// The risk is written only when it changed: SQLite rewrites an index entry for every column
    /// an UPDATE sets, changed or not, and `entities_risk` would cost a page at a random place for
    /// each entity an ingest touches (most entities' risk stays 0). `state.risk` is the row's until
    /// this rescoring: `EntityLedger.rescore` is the only thing that sets it.
    static func save(_ db: Database, _ state: inout EntityState, now: Int64) throws {
        let storedRisk = state.risk
        EntityLedger.rescore(&state, now: now)
        var arguments: StatementArguments = [
            state.kind.rawValue, state.name, state.description, state.avatarPDQ, EntityLedger.encode(state.signals),
            state.itemCount, state.firstSeen, state.lastSeen, now,
        ]
        if state.risk == storedRisk {
            _ = arguments.append(contentsOf: [state.id])
            try db.cachedStatement(sql: Self.saveSQL).execute(arguments: arguments)
        } else {
            _ = arguments.append(contentsOf: [state.risk, state.id])
            try db.cachedStatement(sql: Self.saveWithRiskSQL).execute(arguments: arguments)
        }
        switch EntityLedger.caseAction(state) {
        case .none:
            break
        case .open(let priority):
            try db.cachedStatement(sql: """
                    INSERT INTO cases (entity_id, source, status, base_priority, category, user_reports,
                        trusted_reports, created_at, updated_at)
                    VALUES (?, 'proactive', 'open', ?, ?, 0, 0, ?, ?)
                    """).execute(arguments: [state.id, priority, state.signals.topCategory?.rawValue, now, now])
            state.openCaseID = db.lastInsertedRowID
            state.openCasePriority = priority
        case .raise(let caseID, let priority):
            try db.cachedStatement(sql: """
                    UPDATE cases SET base_priority = MAX(base_priority, ?), category = COALESCE(?, category),
                        updated_at = ?
                    WHERE id = ?
                    """).execute(arguments: [priority, state.signals.topCategory?.rawValue, now, caseID])
            state.openCasePriority = priority
        }
    }

    static func entity(_ row: Row) -> EntityRecord {
        EntityRecord(
            id: row["id"], platform: row["platform"], kind: EntityKind(rawValue: row["kind"]) ?? .room,
            externalID: row["external_id"], name: row["name"], description: row["description"],
            avatarPDQ: row["avatar_pdq"], status: EntityStatus(rawValue: row["status"]) ?? .active,
            statusAt: row["status_at"], signals: EntityLedger.decode(row["signals"]), risk: row["risk"],
            reviewedRisk: row["reviewed_risk"], itemCount: row["item_count"], reappearanceOf: row["reappearance_of"],
            reappearanceSimilarity: row["reappearance_similarity"], reappearanceEvidence: row["reappearance_evidence"],
            firstSeen: row["first_seen"], lastSeen: row["last_seen"], updatedAt: row["updated_at"])
    }
}
