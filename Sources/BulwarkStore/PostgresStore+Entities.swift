import BulwarkCore
public import BulwarkEntities
import Foundation
import PostgresNIO

/// Entities on PostgreSQL. Ingest upserts a batch's entity rows in one statement, in key order,
/// which also locks them until the transaction ends: concurrent ingests (from this process or
/// another) that touch one entity take turns on its signals, and always lock in the same order.
/// Batches of rows go through `json_to_recordset`, so a batch costs a few statements whatever
/// its size.
extension PostgresStore {
    // MARK: Reading

    public func entities(_ filter: EntityFilter) async throws -> [EntityRecord] {
        let kind = filter.kind?.rawValue
        let status = filter.status?.rawValue
        let limit = max(1, min(filter.limit, 500))
        return try await read(
            """
            SELECT * FROM entities
            WHERE (\(kind)::TEXT IS NULL OR kind = \(kind))
            AND (\(status)::TEXT IS NULL OR status = \(status))
            AND (\(filter.minRisk)::DOUBLE PRECISION IS NULL OR risk >= \(filter.minRisk))
            ORDER BY risk DESC, id ASC LIMIT \(limit)
            """
        ).map(Self.entity)
    }

    public func entity(id: Int64) async throws -> EntityRecord? {
        try await read("SELECT * FROM entities WHERE id = \(id)").first.map(Self.entity)
    }

    public func entityDetail(id: Int64, itemLimit: Int) async throws -> EntityDetail? {
        try await transaction { db in
            guard let row = try await rows(db, "SELECT * FROM entities WHERE id = \(id)").first else { return nil }
            let record = try Self.entity(row)
            let limit = Int64(itemLimit)
            let recent: [ItemRecord]
            let top: [ItemRecord]
            if record.kind == .account {
                recent = try await rows(db, "SELECT * FROM items WHERE author_entity_id = \(id) ORDER BY id DESC LIMIT \(limit)")
                    .map(Self.item)
                top = try await rows(
                    db, "SELECT * FROM items WHERE author_entity_id = \(id) ORDER BY score DESC, id DESC LIMIT \(limit)"
                ).map(Self.item)
            } else {
                recent = try await rows(
                    db, "SELECT * FROM items WHERE container_entity_id = \(id) ORDER BY id DESC LIMIT \(limit)"
                ).map(Self.item)
                top = try await rows(
                    db, "SELECT * FROM items WHERE container_entity_id = \(id) ORDER BY score DESC, id DESC LIMIT \(limit)"
                ).map(Self.item)
            }
            let decisions = try await rows(
                db,
                "SELECT d.* FROM decisions d JOIN cases c ON c.id = d.case_id WHERE c.entity_id = \(id) ORDER BY d.id"
            ).map(Self.decision)
            let open = try await rows(
                db, "SELECT *, base_priority AS priority FROM cases WHERE entity_id = \(id) AND status <> 'decided'"
            ).first.map(Self.caseRecord)
            return EntityDetail(record: record, recentItems: recent, topItems: top, decisions: decisions, openCase: open)
        }
    }

    public func entityFingerprints(ids: [Int64], maxItemCount: Int?) async throws -> [EntityFingerprintSource] {
        guard !ids.isEmpty else { return [] }
        let max = maxItemCount.map(Int64.init)
        return try await fingerprintSources(
            read(
                """
                SELECT * FROM entities WHERE id = ANY(\(ids)) AND (\(max)::BIGINT IS NULL OR item_count <= \(max))
                ORDER BY id
                """
            ).map(Self.entity))
    }

    public func entityStatusChanges(since: Int64) async throws -> [EntityFingerprintSource] {
        try await fingerprintSources(
            read("SELECT * FROM entities WHERE status_at >= \(since) ORDER BY status_at, id").map(Self.entity))
    }

    /// The entities with their first posts, read in one statement.
    func fingerprintSources(_ entities: [EntityRecord]) async throws -> [EntityFingerprintSource] {
        guard !entities.isEmpty else { return [] }
        let ids = entities.map(\.id)
        let max = Int64(ReappearanceIndex.maxPosts)
        var posts: [Int64: [String]] = [:]
        for row in try await read(
            """
            SELECT e.id, p.text FROM unnest(\(ids)::BIGINT[]) AS e(id)
            CROSS JOIN LATERAL (
                SELECT id, text FROM items WHERE author_entity_id = e.id OR container_entity_id = e.id
                ORDER BY id LIMIT \(max)) AS p
            ORDER BY e.id, p.id
            """)
        {
            let (id, text) = try row.decode((Int64, String).self)
            posts[id, default: []].append(text)
        }
        return entities.map { e in
            EntityFingerprintSource(
                entityID: e.id, kind: e.kind, status: e.status, name: e.name, description: e.description,
                avatarPDQ: e.avatarPDQ, itemCount: e.itemCount, earlyPosts: posts[e.id] ?? [])
        }
    }

    public func mediaHashes(afterID: Int64, limit: Int) async throws -> [MediaHashRecord] {
        try await read(
            """
            SELECT id, item_id, pdq, quality, md5, sha256, frames, stored_pdq FROM media WHERE status = 'hashed' AND id > \(afterID)
            ORDER BY id LIMIT \(Int64(limit))
            """
        ).map { row in
            let (id, itemID, pdq, quality, md5, sha256, frames, stored) = try row.decode(
                (Int64, Int64, String?, Int64?, String?, String?, String?, String?).self)
            return MediaHashRecord(
                mediaID: id, itemID: itemID, pdq: pdq, quality: quality.map(Int.init), md5: md5, sha256: sha256,
                frames: try FramePDQ.parse(frames), storedPixels: try StoredPixelsPDQ.parse(stored))
        }
    }

    // MARK: Writing

    public func decideEntity(
        entityID: Int64, reviewer: String, decision: NewDecision,
        webhookBody: @Sendable (DecisionRecord, EntityRecord, [ItemRecord]) -> String?, now: Int64
    ) async throws -> EntityDecideOutcome {
        try await transaction { db in
            try await decideEntity(db, entityID: entityID, reviewer: reviewer, decision: decision, webhookBody: webhookBody, now: now)
        }
    }

    /// An entity decision inside a transaction (the API's, or an appeal's reinstatement).
    func decideEntity(
        _ db: PostgresConnection, entityID: Int64, reviewer: String, decision: NewDecision,
        webhookBody: (DecisionRecord, EntityRecord, [ItemRecord]) -> String?, now: Int64
    ) async throws -> EntityDecideOutcome {
        // The entity's row lock orders this against ingests and other decisions on it.
        guard let state = try await lockedEntityStates(db, ids: [entityID]).first else { return .notFound }
        let caseID: Int64
        if let open = state.openCaseID {
            if let row = try await rows(db, "SELECT claimed_by, claim_until FROM cases WHERE id = \(open) FOR UPDATE")
                .first
            {
                let (holder, holdUntil) = try row.decode((String?, Int64?).self)
                if let holder, let holdUntil, holder != reviewer, holdUntil > now { return .heldBy(holder) }
            }
            caseID = open
        } else {
            // A decision without a case in the queue (from the entity's page) gets a case of its own.
            caseID = try await insertedID(
                db,
                """
                INSERT INTO cases (entity_id, source, status, base_priority, category, user_reports,
                    trusted_reports, created_at, updated_at)
                VALUES (\(entityID), 'proactive', 'open', \(EntityLedger.casePriority(state)),
                    \(state.signals.topCategory?.rawValue), 0, 0, \(now), \(now))
                RETURNING id
                """)
        }
        let record = try await recordDecision(db, caseID: caseID, reviewer: reviewer, decision: decision, now: now)
        if let status = EntityLedger.status(after: decision.action) {
            let reviewedRisk = decision.action == .noViolation ? state.risk : state.reviewedRisk
            try await execute(
                db,
                """
                UPDATE entities SET status = \(status.rawValue),
                    status_at = CASE WHEN status = \(status.rawValue) THEN status_at ELSE \(now) END,
                    reviewed_risk = \(reviewedRisk), updated_at = \(now)
                WHERE id = \(entityID)
                """)
        }
        guard let entityRow = try await rows(db, "SELECT * FROM entities WHERE id = \(entityID)").first else {
            return .notFound
        }
        let entity = try Self.entity(entityRow)
        let limit = Int64(EntityLedger.maxEvidenceItems)
        // Entity ids are unique across kinds: an account's id is never an item's container_entity_id.
        let evidence = try await rows(
            db,
            """
            SELECT * FROM items
            WHERE (author_entity_id = \(entityID) OR container_entity_id = \(entityID))
                AND decision IN ('violating', 'review')
            ORDER BY id DESC LIMIT \(limit)
            """
        ).map(Self.item)
        var deliveryID: String? = nil
        if let body = webhookBody(record, entity, evidence) {
            deliveryID = try await enqueueDelivery(db, event: "entity_decision", body: body, now: now)
        }
        try await audit(
            db, actor: reviewer, action: "entity.decide", subject: "entity:\(entityID)",
            detail:
                "{\"action\":\"\(decision.action.rawValue)\",\"decision\":\(record.id),\"case\":\(caseID),\"evidence\":\(evidence.count)}",
            now: now)
        return .decided(record, deliveryID: deliveryID, entity: entity)
    }

    public func recordReappearance(entityID: Int64, match: ReappearanceMatch, now: Int64) async throws -> Bool {
        guard let bannedID = Int64(match.bannedEntityID), bannedID != entityID else { return false }
        return try await transaction { db in
            // The banned entity's status as the store has it now (another process may have reinstated it).
            let banned = try await rows(db, "SELECT status FROM entities WHERE id = \(bannedID) FOR SHARE").first?
                .decode(String.self)
            guard banned.flatMap(EntityStatus.init(rawValue:))?.isBanned == true,
                var state = try await lockedEntityStates(db, ids: [entityID]).first,
                match.similarity > state.reappearanceSimilarity
            else { return false }
            state.reappearanceSimilarity = match.similarity
            try await execute(
                db,
                """
                UPDATE entities SET reappearance_of = \(bannedID), reappearance_similarity = \(match.similarity),
                    reappearance_evidence = \(match.explanation)
                WHERE id = \(entityID)
                """)
            _ = try await saveEntities(db, [state], now: now)
            try await audit(
                db, actor: "worker", action: "entity.reappearance", subject: "entity:\(entityID)",
                detail:
                    "{\"banned\":\(bannedID),\"similarity\":\(match.similarity),\"evidence\":\(JSONText.encode(match.explanation))}",
                now: now)
            return true
        }
    }

    public func recordRetroMatch(mediaID: Int64, match: MediaResult, now: Int64) async throws -> Bool {
        try await transaction { db in
            try await recordMatch(db, mediaID: mediaID, result: match, now: now, auditAction: "media.retro_match")
        }
    }

    // MARK: Shared with ingest and media jobs

    /// Records a bank match of a media part once (the media row is locked): raises the item's
    /// verdict, counts known content in its entities, opens or raises its case.
    func recordMatch(_ db: PostgresConnection, mediaID: Int64, result: MediaResult, now: Int64, auditAction: String)
        async throws -> Bool
    {
        guard let decision = result.matchDecision, let priority = result.matchPriority,
            let media = try await rows(db, "SELECT item_id, matched_at FROM media WHERE id = \(mediaID) FOR UPDATE")
                .first?.decode((Int64, Int64?).self),
            media.1 == nil,
            let item = try await rows(
                db,
                """
                SELECT decision, score, language, COALESCE(posted_at, received_at), author_entity_id, container_entity_id
                FROM items WHERE id = \(media.0) FOR NO KEY UPDATE
                """
            ).first?.decode((String, Double, String, Int64, Int64?, Int64?).self)
        else { return false }
        let itemID = media.0
        try await execute(
            db, "UPDATE media SET matched_at = \(now), match_evidence = \(result.matchEvidence) WHERE id = \(mediaID)")
        let previous = Decision(rawValue: item.0) ?? .none
        if previous < decision {
            try await execute(
                db,
                """
                UPDATE items SET decision = \(decision.rawValue),
                    category = COALESCE(\(result.matchCategory?.rawValue), category)
                WHERE id = \(itemID)
                """)
        }
        let signal = ItemSignal(
            time: item.3, decision: max(previous, decision), score: max(item.1, decision == .violating ? 1 : 0.7),
            category: result.matchCategory, knownContent: true)
        var states = try await lockedEntityStates(db, ids: [item.4, item.5].compactMap { $0 })
        for i in states.indices { states[i].signals.recordKnownContent(signal, recordedAs: previous) }
        states = try await saveEntities(db, states, now: now)
        let risk = states.map(\.risk).max() ?? 0
        let withEntity = priority + ReviewPriority.entityRiskWeight * min(risk, 100)
        try await execute(
            db,
            """
            INSERT INTO cases (item_id, source, status, base_priority, category, language, user_reports,
                trusted_reports, created_at, updated_at)
            VALUES (\(itemID), 'proactive', 'open', \(withEntity), \(result.matchCategory?.rawValue), \(item.2),
                0, 0, \(now), \(now))
            ON CONFLICT (item_id) DO UPDATE SET base_priority = GREATEST(cases.base_priority, EXCLUDED.base_priority),
                category = COALESCE(cases.category, EXCLUDED.category), updated_at = EXCLUDED.updated_at
            """)
        try await audit(
            db, actor: "worker", action: auditAction, subject: "item:\(itemID)", detail: result.matchEvidence ?? "{}",
            now: now)
        return true
    }

    /// Creates the rows of `keys` that do not exist and locks all of them, in key order; returns
    /// their states with their open cases.
    func upsertEntities(_ db: PostgresConnection, _ keys: [EntityKey], items: [NewItem], now: Int64) async throws
        -> [EntityKey: EntityState]
    {
        guard !keys.isEmpty else { return [:] }
        var firstTime: [EntityKey: Int64] = [:]
        for item in items {
            for key in [EntityKey.author(of: item), EntityKey.container(of: item)].compactMap({ $0 })
            where firstTime[key] == nil {
                firstTime[key] = item.postedAt ?? now
            }
        }
        var json: [UInt8] = [UInt8(ascii: "[")]
        for (n, key) in keys.enumerated() {
            if n > 0 { json.append(UInt8(ascii: ",")) }
            JSONRecord.append(to: &json) { record in
                record.field("platform", key.platform)
                record.field("is_account", key.isAccount)
                record.field("external_id", key.externalID)
                record.field("kind", EntityLedger.initialKind(key, in: items).rawValue)
                record.field("first_seen", firstTime[key] ?? now)
            }
        }
        json.append(UInt8(ascii: "]"))
        // DO UPDATE (a no-op) rather than DO NOTHING: it locks existing rows too and returns them,
        // as the latest committed version.
        var states: [EntityKey: EntityState] = [:]
        for row in try await rows(
            db,
            """
            INSERT INTO entities (platform, kind, is_account, external_id, status, status_at, signals, risk,
                first_seen, last_seen, updated_at)
            SELECT platform, kind, is_account, external_id, 'active', 0, \(EntityLedger.encode(EntitySignals())), 0,
                first_seen, first_seen, \(now)
            FROM json_to_recordset(\(String(decoding: json, as: UTF8.self))::json)
                AS r(platform TEXT, is_account BOOLEAN, external_id TEXT, kind TEXT, first_seen BIGINT)
            ON CONFLICT (platform, is_account, external_id) DO UPDATE SET status = entities.status
            RETURNING \(unescaped: Self.stateColumns), platform, is_account, external_id
            """)
        {
            let c = Cells(row)
            let key = try EntityKey(platform: c["platform"], isAccount: c["is_account"], externalID: c["external_id"])
            states[key] = try Self.entityState(row)
        }
        return try await withOpenCases(db, states)
    }

    /// The states of entities by id, locked, with their open cases.
    func lockedEntityStates(_ db: PostgresConnection, ids: [Int64]) async throws -> [EntityState] {
        guard !ids.isEmpty else { return [] }
        var states: [Int64: EntityState] = [:]
        for row in try await rows(
            db,
            "SELECT \(unescaped: Self.stateColumns) FROM entities WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE")
        {
            let state = try Self.entityState(row)
            states[state.id] = state
        }
        return try await withOpenCases(db, states).values.sorted { $0.id < $1.id }
    }

    /// Adds each entity's open case (read after the rows are locked, so it is current).
    func withOpenCases<Key: Hashable>(_ db: PostgresConnection, _ states: [Key: EntityState]) async throws
        -> [Key: EntityState]
    {
        guard !states.isEmpty else { return states }
        var open: [Int64: (Int64, Double)] = [:]
        for row in try await rows(
            db,
            """
            SELECT entity_id, id, base_priority FROM cases
            WHERE entity_id = ANY(\(states.values.map(\.id))) AND status <> 'decided'
            """)
        {
            let (entityID, caseID, priority) = try row.decode((Int64, Int64, Double).self)
            open[entityID] = (caseID, priority)
        }
        return states.mapValues { state in
            var state = state
            state.openCaseID = open[state.id]?.0
            state.openCasePriority = open[state.id]?.1
            return state
        }
    }

    /// Re-scores entities, writes their rows and opens or raises their cases: three statements at
    /// most, whatever their number.
    func saveEntities(_ db: PostgresConnection, _ states: [EntityState], now: Int64) async throws -> [EntityState] {
        guard !states.isEmpty else { return [] }
        var states = states
        var rowsJSON: [UInt8] = [UInt8(ascii: "[")]
        var opens: [UInt8] = [UInt8(ascii: "[")]
        var raises: [UInt8] = [UInt8(ascii: "[")]
        var opened: [Int] = []
        var raised = 0
        for i in states.indices {
            EntityLedger.rescore(&states[i], now: now)
            let s = states[i]
            if i > 0 { rowsJSON.append(UInt8(ascii: ",")) }
            JSONRecord.append(to: &rowsJSON) { record in
                record.field("id", s.id)
                record.field("kind", s.kind.rawValue)
                record.field("name", s.name)
                record.field("description", s.description)
                record.field("avatar_pdq", s.avatarPDQ)
                record.field("signals", EntityLedger.encode(s.signals))
                record.field("risk", s.risk)
                record.field("item_count", Int64(s.itemCount))
                record.field("first_seen", s.firstSeen)
                record.field("last_seen", s.lastSeen)
            }
            switch EntityLedger.caseAction(s) {
            case .none:
                break
            case .open(let priority):
                if !opened.isEmpty { opens.append(UInt8(ascii: ",")) }
                JSONRecord.append(to: &opens) { record in
                    record.field("entity_id", s.id)
                    record.field("base_priority", priority)
                    record.field("category", s.signals.topCategory?.rawValue)
                }
                opened.append(i)
                states[i].openCasePriority = priority
            case .raise(let caseID, let priority):
                if raised > 0 { raises.append(UInt8(ascii: ",")) }
                JSONRecord.append(to: &raises) { record in
                    record.field("id", caseID)
                    record.field("base_priority", priority)
                    record.field("category", s.signals.topCategory?.rawValue)
                }
                raised += 1
                states[i].openCasePriority = priority
            }
        }
        rowsJSON.append(UInt8(ascii: "]"))
        opens.append(UInt8(ascii: "]"))
        raises.append(UInt8(ascii: "]"))
        try await execute(
            db,
            """
            UPDATE entities e SET kind = r.kind, name = r.name, description = r.description, avatar_pdq = r.avatar_pdq,
                signals = r.signals,
                risk = r.risk, item_count = r.item_count, first_seen = r.first_seen, last_seen = r.last_seen,
                updated_at = \(now)
            FROM json_to_recordset(\(String(decoding: rowsJSON, as: UTF8.self))::json)
                AS r(id BIGINT, kind TEXT, name TEXT, description TEXT, avatar_pdq TEXT, signals TEXT,
                    risk DOUBLE PRECISION,
                    item_count BIGINT, first_seen BIGINT, last_seen BIGINT)
            WHERE e.id = r.id
            """)
        if !opened.isEmpty {
            var ids: [Int64: Int64] = [:]
            for row in try await rows(
                db,
                """
                INSERT INTO cases (entity_id, source, status, base_priority, category, user_reports, trusted_reports,
                    created_at, updated_at)
                SELECT entity_id, 'proactive', 'open', base_priority, category, 0, 0, \(now), \(now)
                FROM json_to_recordset(\(String(decoding: opens, as: UTF8.self))::json)
                    AS r(entity_id BIGINT, base_priority DOUBLE PRECISION, category TEXT)
                RETURNING entity_id, id
                """)
            {
                let (entityID, caseID) = try row.decode((Int64, Int64).self)
                ids[entityID] = caseID
            }
            for i in opened { states[i].openCaseID = ids[states[i].id] }
        }
        if raised > 0 {
            try await execute(
                db,
                """
                UPDATE cases c SET base_priority = GREATEST(c.base_priority, r.base_priority),
                    category = COALESCE(r.category, c.category), updated_at = \(now)
                FROM json_to_recordset(\(String(decoding: raises, as: UTF8.self))::json)
                    AS r(id BIGINT, base_priority DOUBLE PRECISION, category TEXT)
                WHERE c.id = r.id
                """)
        }
        return states
    }

    // MARK: Rows

    /// The columns ``entityState(_:)`` reads, in its order.
    static let stateColumns = """
        id, kind, name, description, avatar_pdq, status, signals, risk, reviewed_risk, reappearance_similarity,
        item_count, first_seen, last_seen
        """

    static func entityState(_ row: PostgresRow) throws -> EntityState {
        let c = Cells(row)
        return try EntityState(
            id: c["id"], kind: EntityKind(rawValue: c["kind"]) ?? .room, name: c["name"], description: c["description"],
            avatarPDQ: c["avatar_pdq"], status: EntityStatus(rawValue: c["status"]) ?? .active,
            signals: EntityLedger.decode(c["signals"]),
            risk: c["risk"], reviewedRisk: c["reviewed_risk"], reappearanceSimilarity: c["reappearance_similarity"],
            itemCount: Int(c["item_count"] as Int64), firstSeen: c["first_seen"], lastSeen: c["last_seen"])
    }

    static func entity(_ row: PostgresRow) throws -> EntityRecord {
        let c = Cells(row)
        return try EntityRecord(
            id: c["id"], platform: c["platform"], kind: EntityKind(rawValue: c["kind"]) ?? .room,
            externalID: c["external_id"], name: c["name"], description: c["description"], avatarPDQ: c["avatar_pdq"],
            status: EntityStatus(rawValue: c["status"]) ?? .active, statusAt: c["status_at"],
            signals: EntityLedger.decode(c["signals"]), risk: c["risk"], reviewedRisk: c["reviewed_risk"],
            itemCount: Int(c["item_count"] as Int64), reappearanceOf: c["reappearance_of"],
            reappearanceSimilarity: c["reappearance_similarity"], reappearanceEvidence: c["reappearance_evidence"],
            firstSeen: c["first_seen"], lastSeen: c["last_seen"], updatedAt: c["updated_at"])
    }
}
