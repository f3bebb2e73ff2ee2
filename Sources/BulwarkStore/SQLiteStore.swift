public import BulwarkCore
import BulwarkEntities
import Foundation
public import GRDB

/// The embedded store: one SQLite file through GRDB (WAL mode, a pool of readers).
public struct SQLiteStore: ModerationStore {
    public let writer: any DatabaseWriter

    /// Opens (creating if needed) the database file at `path`, or an in-memory one for ":memory:".
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        if path == ":memory:" {
            writer = try DatabaseQueue(configuration: configuration)
        } else {
            writer = try DatabasePool(path: path, configuration: configuration)
        }
    }

    public func migrate() async throws {
        var migrator = DatabaseMigrator()
        for migration in Schema.migrations(.sqlite) {
            migrator.registerMigration(migration.version) { db in
                for statement in migration.statements { try db.execute(sql: statement) }
            }
        }
        // A database a newer bulwark upgraded is not this one's to write (version 15, for one,
        // changed how the bank log is appended): said, instead of written in the older way.
        let known = migrator
        let unknown = try await writer.read { db in try known.appliedIdentifiers(db) }.subtracting(known.migrations)
        guard unknown.isEmpty else { throw SchemaTooNew(database: writer.path, versions: unknown) }
        // Not GRDB's synchronous `migrate`: it waits for every reader to be given back while it
        // holds a thread of Swift's cooperative pool, and a reader is given back on that pool.
        // With as many migrations at once as the pool has threads and a read between them, no
        // thread was left to give it back, and the process hung.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            known.asyncMigrate(writer) { result in continuation.resume(with: result.map { _ in () }) }
        }
    }

    // MARK: Items

    public func ingest(_ items: [ScannedItem], now: Int64) async throws -> [IngestOutcome] {
        try await writer.write { db in
            var outcomes: [IngestOutcome] = []
            // Entities of the new items, loaded (or created) once per batch, written after the items.
            var entities: [EntityKey: EntityState] = [:]
            var created: [(outcome: Int, scanned: ScannedItem, author: EntityKey?, container: EntityKey?)] = []
            func entity(_ key: EntityKey?, _ item: NewItem) throws -> Int64? {
                guard let key else { return nil }
                if let state = entities[key] { return state.id }
                let kind = key.isAccount ? EntityKind.account : item.containerKind ?? .room
                let state = try Self.entityState(db, key: key, kind: kind, time: item.postedAt ?? now, now: now)
                entities[key] = state
                return state.id
            }
            for scanned in items {
                let item = scanned.item
                if let existing = try Row.fetchOne(db.cachedStatement(sql: """
                        SELECT id, verdict, author_entity_id, container_entity_id FROM items
                        WHERE platform = ? AND external_id = ?
                        """), arguments: [item.platform, item.externalID])
                {
                    let id: Int64 = existing["id"]
                    let caseID = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM cases WHERE item_id = ?"), arguments: [id])
                    outcomes.append(
                        IngestOutcome(
                            itemID: id, created: false, caseID: caseID, verdictJSON: existing["verdict"],
                            authorEntityID: existing["author_entity_id"], containerEntityID: existing["container_entity_id"]))
                    continue
                }
                let authorKey = EntityKey.author(of: item)
                let containerKey = EntityKey.container(of: item)
                let authorID = try entity(authorKey, item)
                let containerID = try entity(containerKey, item)
                try db.cachedStatement(sql: """
                        INSERT INTO items (platform, external_id, type, text, lang_hint, urls, author, container_id,
                            container_title, container_reach, posted_at, received_at, decision, score, category, context,
                            language, verdict, media_count, author_entity_id, container_entity_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [
                        item.platform, item.externalID, item.type, item.text, item.langHint, JSONText.encode(item.urls),
                        item.author, item.containerID, item.containerTitle, item.containerReach, item.postedAt, now,
                        scanned.decision.rawValue, scanned.score, scanned.category?.rawValue, scanned.context,
                        scanned.language, scanned.verdictJSON, item.media.count + item.givenMedia.count, authorID, containerID,
                    ])
                let itemID = db.lastInsertedRowID
                for bytes in item.media {
                    try db.cachedStatement(sql: "INSERT INTO media (item_id, bytes, status) VALUES (?, ?, 'pending')").execute(arguments: [itemID, Data(bytes)])
                    try db.cachedStatement(sql: "INSERT INTO jobs (kind, ref, status, attempts, run_after) VALUES ('hash_media', ?, 'queued', 0, ?)").execute(arguments: [db.lastInsertedRowID, now])
                }
                // Parts sent as hashes: no bytes, the hashes kept; the same job matches them.
                for given in item.givenMedia {
                    try db.cachedStatement(sql: "INSERT INTO media (item_id, bytes, status, pdq, quality, md5, sha256, frames) VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)").execute(arguments: [itemID, Data(), given.pdq, given.quality, given.md5, given.sha256, FramePDQ.text(given.frames)])
                    try db.cachedStatement(sql: "INSERT INTO jobs (kind, ref, status, attempts, run_after) VALUES ('hash_media', ?, 'queued', 0, ?)").execute(arguments: [db.lastInsertedRowID, now])
                }
                var author = authorKey.flatMap { entities[$0] }
                var container = containerKey.flatMap { entities[$0] }
                EntityLedger.fold(scanned, receivedAt: now, author: &author, container: &container)
                if let authorKey { entities[authorKey] = author }
                if let containerKey { entities[containerKey] = container }
                created.append((outcomes.count, scanned, authorKey, containerKey))
                outcomes.append(
                    IngestOutcome(
                        itemID: itemID, created: true, caseID: nil, verdictJSON: scanned.verdictJSON,
                        authorEntityID: authorID, containerEntityID: containerID))
            }
            for key in entities.keys.sorted() {
                guard var state = entities[key] else { continue }
                try Self.save(db, &state, now: now)
                entities[key] = state
            }
            // Item cases, with the entity part of the risk as it now stands.
            for (index, scanned, authorKey, containerKey) in created {
                guard let priority = scanned.casePriority else { continue }
                let part = EntityLedger.itemCasePart(
                    author: authorKey.flatMap { entities[$0] }, container: containerKey.flatMap { entities[$0] })
                try db.cachedStatement(sql: """
                        INSERT INTO cases (item_id, source, status, base_priority, category, language, user_reports,
                            trusted_reports, created_at, updated_at, content_key)
                        VALUES (?, 'proactive', 'open', ?, ?, ?, 0, 0, ?, ?, ?)
                        """).execute(arguments: [
                        outcomes[index].itemID, priority + part, scanned.category?.rawValue, scanned.language, now, now,
                        scanned.contentKey,
                    ])
                outcomes[index].caseID = db.lastInsertedRowID
            }
            return outcomes
        }
    }

    public func item(id: Int64) async throws -> ItemRecord? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM items WHERE id = ?"), arguments: [id]).map(Self.item)
        }
    }

    public func item(platform: String, externalID: String) async throws -> ItemRecord? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM items WHERE platform = ? AND external_id = ?"), arguments: [platform, externalID]
            ).map(Self.item)
        }
    }

    public func caseID(ofItem itemID: Int64) async throws -> Int64? {
        try await writer.read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM cases WHERE item_id = ?"), arguments: [itemID])
        }
    }

    public func casesWithoutContentKey(after: Int64, limit: Int) async throws -> KeylessCases {
        try await writer.read { db in
            let cases = try Row.fetchAll(
                db, sql: "SELECT id, item_id FROM cases WHERE id > ? AND content_key IS NULL AND item_id IS NOT NULL ORDER BY id LIMIT ?",
                arguments: [after, limit]
            ).map { (id: $0[0] as Int64, item: $0[1] as Int64) }
            guard let last = cases.last else { return KeylessCases(cases: [], through: nil) }
            let text = try db.cachedStatement(sql: "SELECT text FROM items WHERE id = ? AND media_count = 0")
            let found = try cases.compactMap { c in
                try String.fetchOne(text, arguments: [c.item]).map { CaseText(caseID: c.id, text: $0) }
            }
            return KeylessCases(cases: found, through: last.id)
        }
    }

    public func setContentKeys(_ keys: [(caseID: Int64, key: String)]) async throws -> Int {
        try await writer.write { db in
            let update = try db.cachedStatement(sql: "UPDATE cases SET content_key = ? WHERE id = ? AND content_key IS NULL")
            var changed = 0
            for k in keys {
                try update.execute(arguments: [k.key, k.caseID])
                changed += db.changesCount
            }
            return changed
        }
    }

    public func recentPlatforms(items: Int) async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(
                db, sql: "SELECT DISTINCT platform FROM (SELECT platform FROM items ORDER BY id DESC LIMIT ?) ORDER BY platform",
                arguments: [items])
        }
    }

    public func itemCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") ?? 0 }
    }

    public func ping() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1 FROM items LIMIT 1") }
    }

    // MARK: Cases

    public func cases(_ filter: CaseFilter, now: Int64) async throws -> [CaseRecord] {
        try await writer.read { db in
            var conditions: [String] = []
            var arguments: [String: (any DatabaseValueConvertible)?] = [
                "maxWaiting": ReviewPriority.maxWaitingPoints, "now": now, "weight": ReviewPriority.waitingWeight,
                "limit": max(1, min(filter.limit, 500)),
            ]
            if let source = filter.source {
                conditions.append("source = :source")
                arguments["source"] = source.rawValue
            }
            if let language = filter.language {
                conditions.append("language = :language")
                arguments["language"] = language
            }
            if let category = filter.category {
                conditions.append("category = :category")
                arguments["category"] = category.rawValue
            }
            if let status = filter.status {
                conditions.append("status = :status")
                arguments["status"] = status.rawValue
            } else {
                conditions.append("status IN ('open', 'claimed', 'escalated')")
            }
            return try Row.fetchAll(
                db, sql: Self.casesSQL(conditions: conditions.joined(separator: " AND ")),
                arguments: StatementArguments(arguments)
            ).map(Self.caseRecord)
        }
    }

    /// The queue's page: the ids of the first cases by priority, chosen from the index of open
    /// cases alone (schema version 21: it holds every column the choice reads), then those cases
    /// read whole. Before, every open case was read whole to be sorted: with 200,000 open cases,
    /// a page of 200 through the API took 414 ms, against 51-56 ms (`scripts/bench-queue.sh`).
    static func casesSQL(conditions: String) -> String {
        """
        SELECT *, base_priority + MIN(:maxWaiting, (:now - created_at) * :weight) AS priority FROM cases
        WHERE id IN (
            SELECT id FROM cases WHERE \(conditions)
            ORDER BY base_priority + MIN(:maxWaiting, (:now - created_at) * :weight) DESC, id ASC LIMIT :limit
        )
        ORDER BY priority DESC, id ASC
        """
    }

    public func caseDetail(id: Int64, now: Int64) async throws -> CaseDetail? {
        try await writer.read { db in
            guard
                let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT *, base_priority + MIN(?, (? - created_at) * ?) AS priority FROM cases WHERE id = ?"), arguments: [ReviewPriority.maxWaitingPoints, now, ReviewPriority.waitingWeight, id])
            else { return nil }
            let record = Self.caseRecord(row)
            let decisions = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM decisions WHERE case_id = ? ORDER BY id"), arguments: [id])
                .map(Self.decision)
            if let entityID = record.entityID {
                let entity = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM entities WHERE id = ?"), arguments: [entityID])
                return CaseDetail(record: record, entity: entity.map(Self.entity), reports: [], decisions: decisions)
            }
            guard let item = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM items WHERE id = ?"), arguments: [record.itemID])
            else { return nil }
            let reports = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM reports WHERE item_id = ? ORDER BY id"), arguments: [record.itemID])
                .map(Self.report)
            let entity = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT e.* FROM items i JOIN entities e ON e.id IN (i.author_entity_id, i.container_entity_id)
                    WHERE i.id = ? ORDER BY e.risk DESC LIMIT 1
                    """), arguments: [record.itemID])
            return CaseDetail(
                record: record, item: Self.item(item), entity: entity.map(Self.entity), reports: reports,
                decisions: decisions)
        }
    }

    public func openCopies(ofCase caseID: Int64, limit: Int) async throws -> [Int64] {
        try await writer.read { db in
            try Int64.fetchAll(
                db.cachedStatement(sql: """
                    SELECT c.id FROM cases c JOIN cases o ON o.id = ? AND o.content_key IS NOT NULL
                    WHERE c.content_key = o.content_key AND c.id <> o.id AND c.status IN ('open', 'claimed')
                    ORDER BY c.id LIMIT ?
                    """), arguments: [caseID, limit])
        }
    }

    public func contentKeyDecisions(afterID: Int64, limit: Int) async throws -> [ContentKeyDecision] {
        try await writer.read { db in
            // A cursor: each row read in place, not copied first (the index reads every decision
            // as a server starts).
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: "\(ContentKeyDecisionQueries.select) WHERE d.id > ? ORDER BY d.id LIMIT ?"),
                arguments: [afterID, limit])
            var decisions: [ContentKeyDecision] = []
            decisions.reserveCapacity(min(limit, 10_000))
            while let row = try rows.next() { decisions.append(Self.contentKeyDecision(row)) }
            return decisions
        }
    }

    public func contentKeyDecisions(inRanges ranges: [ClosedRange<Int64>]) async throws -> [ContentKeyDecision] {
        guard !ranges.isEmpty else { return [] }
        // One range a statement: SQLite reads `d.id BETWEEN ? AND ?` from the primary key, but
        // statements of 100 ranges joined by OR each read every decision (a thousand gaps in a
        // million decisions: 12.6 s a refresh), and one of a thousand was refused ("Expression
        // tree is too large").
        return try await writer.read { db in
            let statement = try db.cachedStatement(
                sql: "\(ContentKeyDecisionQueries.select) WHERE d.id BETWEEN ? AND ? AND c.content_key IS NOT NULL ORDER BY d.id")
            var found: [ContentKeyDecision] = []
            for range in ranges {
                let rows = try Row.fetchCursor(statement, arguments: [range.lowerBound, range.upperBound])
                while let row = try rows.next() { found.append(Self.contentKeyDecision(row)) }
            }
            return found.sorted { $0.decisionID < $1.decisionID }
        }
    }

    /// Nil: SQLite has one writer at a time, so decisions commit in id order.
    public func writesUnderWay() async throws -> WritesUnderWay? { nil }

    private static func contentKeyDecision(_ row: Row) -> ContentKeyDecision {
        ContentKeyDecision(
            decisionID: row[0], contentKey: (row[1] as String?).flatMap(ContentKeyBits.init), caseID: row[2], action: row[3],
            category: (row[4] as String?).flatMap(Category.init(rawValue:)), createdAt: row[5])
    }

    public func openCopyCounts(ofCases caseIDs: [Int64]) async throws -> [Int64: Int] {
        guard !caseIDs.isEmpty else { return [:] }
        let list = caseIDs.map(String.init).joined(separator: ",")
        return try await writer.read { db in
            // Each key counted once (a page may hold hundreds of copies of one text), then each case's
            // count is its key's less itself when it is open or claimed.
            let cases = try Row.fetchAll(db, sql: "SELECT id, content_key, status FROM cases WHERE id IN (\(list)) AND content_key IS NOT NULL")
            var open: [String: Int] = [:]
            for key in Set(cases.map { $0[1] as String }) {
                open[key] = try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) FROM cases WHERE content_key = ? AND status IN ('open', 'claimed')"),
                    arguments: [key]) ?? 0
            }
            return Self.copyCounts(cases.map { ($0[0], $0[1], $0[2]) }, open: open)
        }
    }

    public func claim(caseID: Int64, reviewer: String, until: Int64, now: Int64) async throws -> ClaimOutcome {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT status, claimed_by, claim_until FROM cases WHERE id = ?"), arguments: [caseID])
            else { return .notFound }
            let status: String = row["status"]
            guard status != CaseStatus.decided.rawValue else { return .closed }
            let holder: String? = row["claimed_by"]
            let holdUntil: Int64? = row["claim_until"]
            if let holder, let holdUntil, holder != reviewer, holdUntil > now { return .heldBy(holder, until: holdUntil) }
            try db.cachedStatement(sql: "UPDATE cases SET status = 'claimed', claimed_by = ?, claim_until = ?, updated_at = ? WHERE id = ?").execute(arguments: [reviewer, until, now, caseID])
            try Self.audit(db, actor: reviewer, action: "case.claim", subject: "case:\(caseID)", detail: "{\"until\":\(until)}", now: now)
            return .claimed(until: until)
        }
    }

    public func decide(
        caseID: Int64, reviewer: String, decision: NewDecision,
        webhookBody: @Sendable (DecisionRecord, ItemRecord) -> String?, now: Int64
    ) async throws -> DecideOutcome {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM cases WHERE id = ?"), arguments: [caseID]) else {
                return .notFound
            }
            if let entityID = row["entity_id"] as Int64? { return .entityCase(entityID: entityID) }
            let status: String = row["status"]
            guard status != CaseStatus.decided.rawValue else { return .alreadyDecided }
            let holder: String? = row["claimed_by"]
            let holdUntil: Int64? = row["claim_until"]
            if let holder, let holdUntil, holder != reviewer, holdUntil > now { return .heldBy(holder) }
            let record = try Self.recordDecision(db, caseID: caseID, reviewer: reviewer, decision: decision, now: now)
            if decision.action != .escalate {
                try db.cachedStatement(sql: "UPDATE reports SET status = ? WHERE case_id = ?").execute(arguments: [decision.action == .noViolation ? "no_violation" : "actioned", caseID])
            }
            let itemID: Int64 = row["item_id"]
            guard let itemRow = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM items WHERE id = ?"), arguments: [itemID]) else {
                return .notFound
            }
            let deliveryID = try webhookBody(record, Self.item(itemRow)).map {
                try Self.enqueueDelivery(db, event: "decision", body: $0, now: now)
            }
            try Self.audit(
                db, actor: reviewer, action: "case.decide", subject: "case:\(caseID)",
                detail: "{\"action\":\"\(decision.action.rawValue)\",\"decision\":\(record.id)}", now: now)
            return .decided(record, deliveryID: deliveryID)
        }
    }

    /// Records a reviewer's decision on a case and closes the case (escalated, or decided). The
    /// decision is marked if it is the case's first, or its first other than an escalation
    /// (schema version 19).
    static func recordDecision(
        _ db: Database, caseID: Int64, reviewer: String, decision: NewDecision, now: Int64
    ) throws -> DecisionRecord {
        try db.cachedStatement(sql: """
                INSERT INTO decisions (case_id, reviewer, action, category, exemption, note, created_at, countries,
                    first_of_case, first_ruling)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NOT EXISTS (SELECT 1 FROM decisions WHERE case_id = ?),
                    ? AND NOT EXISTS (SELECT 1 FROM decisions WHERE case_id = ? AND action <> 'escalate'))
                """).execute(arguments: [
                caseID, reviewer, decision.action.rawValue, decision.category?.rawValue, decision.exemption,
                decision.note, now, DecisionRecord.storedCountries(decision.countries),
                caseID, decision.action != .escalate, caseID,
            ])
        let record = DecisionRecord(
            id: db.lastInsertedRowID, caseID: caseID, reviewer: reviewer, action: decision.action,
            category: decision.category, exemption: decision.exemption, note: decision.note, createdAt: now,
            countries: decision.countries)
        let status = decision.action == .escalate ? CaseStatus.escalated : CaseStatus.decided
        try db.cachedStatement(sql: "UPDATE cases SET status = ?, claimed_by = NULL, claim_until = NULL, updated_at = ? WHERE id = ?").execute(arguments: [status.rawValue, now, caseID])
        if Preservation.preserves(decision.action) {
            try db.cachedStatement(sql: """
                    INSERT INTO preservations (item_id, decision_id, preserved_at, expires_at)
                    SELECT item_id, ?, ?, ? FROM cases WHERE id = ? AND item_id IS NOT NULL
                    ON CONFLICT (item_id) DO NOTHING
                    """).execute(arguments: [record.id, now, Preservation.expiry(from: now), caseID])
        }
        return record
    }

    /// Queues a webhook delivery in the outbox; returns its delivery id.
    static func enqueueDelivery(_ db: Database, event: String, body: String, now: Int64) throws -> String {
        let id = UUID().uuidString.lowercased()
        try db.cachedStatement(sql: """
                INSERT INTO deliveries (delivery_id, event, body, status, attempts, next_attempt_at, created_at)
                VALUES (?, ?, ?, 'pending', 0, ?, ?)
                """).execute(arguments: [id, event, body, now, now])
        return id
    }

    // MARK: Reports

    public func report(
        itemID: Int64, reporter: String, trusted: Bool, reason: String, text: String?, basePriority: Double,
        contentKey: String?, now: Int64
    ) async throws -> ReportOutcome {
        try await writer.write { db in
            if let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM reports WHERE item_id = ? AND reporter = ?"), arguments: [itemID, reporter])
            {
                return ReportOutcome(report: Self.report(existing), duplicate: true)
            }
            var caseID = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM cases WHERE item_id = ?"), arguments: [itemID])
            let column = trusted ? "trusted_reports" : "user_reports"
            if let id = caseID {
                // More reports raise the priority; a decided case is reopened by a new report
                // only through an appeal (due process), so its status is kept.
                try db.execute(
                    sql: "UPDATE cases SET \(column) = \(column) + 1, base_priority = base_priority + ?, updated_at = ? WHERE id = ?",
                    arguments: [trusted ? ReviewPriority.trustedReportWeight : ReviewPriority.userReportWeight, now, id])
            } else {
                let item = try Row.fetchOne(db.cachedStatement(sql: "SELECT category, language FROM items WHERE id = ?"), arguments: [itemID])
                try db.cachedStatement(sql: """
                        INSERT INTO cases (item_id, source, status, base_priority, category, language, user_reports,
                            trusted_reports, created_at, updated_at, content_key)
                        VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [
                        itemID, trusted ? CaseSource.trustedFlagger.rawValue : CaseSource.userReport.rawValue,
                        basePriority, item?["category"] as String?, item?["language"] as String?, trusted ? 0 : 1,
                        trusted ? 1 : 0, now, now, contentKey,
                    ])
                caseID = db.lastInsertedRowID
            }
            try db.cachedStatement(sql: """
                    INSERT INTO reports (item_id, case_id, reporter, trusted, reason, text, status, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'open', ?)
                    """).execute(arguments: [itemID, caseID, reporter, trusted, reason, text, now])
            let report = ReportRecord(
                id: db.lastInsertedRowID, itemID: itemID, caseID: caseID, reporter: reporter, trusted: trusted,
                reason: reason, text: text, status: "open", createdAt: now)
            return ReportOutcome(report: report, duplicate: false)
        }
    }

    public func report(id: Int64) async throws -> ReportRecord? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM reports WHERE id = ?"), arguments: [id]).map(Self.report)
        }
    }

    // MARK: Jobs

    public func claimJobs(owner: String, now: Int64, lease: Int64, limit: Int) async throws -> [JobRecord] {
        try await writer.write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT * FROM jobs WHERE (status = 'queued' AND run_after <= ?)
                    OR (status = 'running' AND lease_until < ?) ORDER BY id LIMIT ?
                    """), arguments: [now, now, limit])
            for row in rows {
                try db.cachedStatement(sql: "UPDATE jobs SET status = 'running', lease_owner = ?, lease_until = ? WHERE id = ?").execute(arguments: [owner, now + lease, row["id"] as Int64])
            }
            return rows.map { JobRecord(id: $0["id"], kind: $0["kind"], ref: $0["ref"], attempts: $0["attempts"]) }
        }
    }

    public func mediaIDs(itemID: Int64) async throws -> [Int64] {
        try await writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM media WHERE item_id = ? AND length(bytes) > 0 ORDER BY id", arguments: [itemID])
        }
    }

    public func mediaWithoutStoredPixelsHash(after: Int64, through: Int64, limit: Int) async throws -> [Int64] {
        try await writer.read { db in
            try Int64.fetchAll(
                db,
                sql: """
                    SELECT id FROM media WHERE id > ? AND id <= ? AND status = 'hashed' AND pdq IS NOT NULL
                    AND stored_pdq IS NULL AND length(bytes) > 0 ORDER BY id LIMIT ?
                    """,
                arguments: [after, through, limit])
        }
    }

    public func highestMediaID() async throws -> Int64 {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM media") ?? 0 }
    }

    public func queueMediaHashing(mediaID: Int64, now: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO jobs (kind, ref, status, attempts, run_after) SELECT 'hash_media', ?, 'queued', 0, ?
                    WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = 'hash_media' AND ref = ? AND status IN ('queued', 'running'))
                    """,
                arguments: [mediaID, now, mediaID])
            return db.changesCount == 1
        }
    }

    public func mediaBytes(id: Int64) async throws -> [UInt8]? {
        try await writer.read { db in
            try Data.fetchOne(db, sql: "SELECT bytes FROM media WHERE id = ?", arguments: [id]).map { [UInt8]($0) }
        }
    }

    public func givenMediaHashes(id: Int64) async throws -> StoredMediaHashes? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT pdq, quality, md5, sha256, frames FROM media WHERE id = ?", arguments: [id]).map {
                StoredMediaHashes(
                    pdq: $0["pdq"], quality: $0["quality"], md5: $0["md5"], sha256: $0["sha256"],
                    frames: try FramePDQ.parse($0["frames"]))
            }
        }
    }

    public func completeMediaJob(jobID: Int64, mediaID: Int64, result: MediaResult, now: Int64) async throws {
        try await writer.write { db in
            guard try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM jobs WHERE id = ?"), arguments: [jobID]) != "done" else {
                return
            }
            try db.cachedStatement(sql: "UPDATE media SET status = 'hashed', pdq = ?, quality = ?, frames = ?, stored_pdq = ?, md5 = ?, sha256 = ?, error = ? WHERE id = ?").execute(arguments: [result.pdq, result.quality, FramePDQ.text(result.frames), result.storedPixels?.text, result.md5.isEmpty ? nil : result.md5, result.sha256.isEmpty ? nil : result.sha256, result.error.map { String($0.prefix(500)) }, mediaID])
            try db.cachedStatement(sql: "UPDATE jobs SET status = 'done', ended_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?").execute(arguments: [now, jobID])
            _ = try Self.recordMatch(db, mediaID: mediaID, result: result, now: now, auditAction: "media.match")
        }
    }

    public func failJob(jobID: Int64, error: String, retryAt: Int64?, now: Int64) async throws {
        try await writer.write { db in
            // A job another worker finished (after this one's lease expired) stays done.
            try db.cachedStatement(sql: """
                    UPDATE jobs SET status = ?, run_after = ?, last_error = ?, ended_at = ?,
                    lease_owner = NULL, lease_until = NULL WHERE id = ? AND status <> 'done'
                    """).execute(arguments: [retryAt == nil ? "failed" : "queued", retryAt ?? now, String(error.prefix(500)), retryAt == nil ? now : nil, jobID])
            if retryAt == nil && db.changesCount == 1 {
                try db.cachedStatement(sql: "UPDATE media SET status = 'failed', error = ? WHERE id = (SELECT ref FROM jobs WHERE id = ? AND kind = 'hash_media')").execute(arguments: [String(error.prefix(500)), jobID])
            }
        }
    }

    public func enqueueRetroHunt(firstEntryID: Int64, now: Int64) async throws -> Bool {
        try await writer.write { db in
            let covered = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = 'retro_hunt' AND status = 'queued' AND ref <= ?)",
                arguments: [firstEntryID]) ?? false
            guard !covered else { return false }
            try db.execute(
                sql: "INSERT INTO jobs (kind, ref, status, attempts, run_after) VALUES ('retro_hunt', ?, 'queued', 0, ?)",
                arguments: [firstEntryID, now])
            return true
        }
    }

    public func extendJobLease(jobID: Int64, owner: String, until: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE jobs SET lease_until = ? WHERE id = ? AND status = 'running' AND lease_owner = ?",
                arguments: [until, jobID, owner])
            return db.changesCount == 1
        }
    }

    public func startJob(jobID: Int64, owner: String, until: Int64) async throws -> StartedJob? {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE jobs SET attempts = attempts + 1, lease_until = ? WHERE id = ? AND status = 'running' AND lease_owner = ?")
                .execute(arguments: [until, jobID, owner])
            guard db.changesCount == 1 else { return nil }
            let bytes = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT bytes FROM media WHERE id = (SELECT ref FROM jobs WHERE id = ? AND kind = 'hash_media')"),
                arguments: [jobID])
            return StartedJob(mediaBytes: bytes.map { [UInt8]($0) })
        }
    }

    public func finishJob(jobID: Int64, now: Int64) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE jobs SET status = 'done', ended_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND status <> 'done'",
                arguments: [now, jobID])
        }
    }

    public func releaseJob(jobID: Int64, owner: String, started: Bool) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'queued', attempts = attempts - ?, lease_owner = NULL, lease_until = NULL
                    WHERE id = ? AND status = 'running' AND lease_owner = ?
                    """,
                arguments: [started ? 1 : 0, jobID, owner])
            return db.changesCount == 1
        }
    }

    public func releaseDelivery(id: Int64, owner: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'pending'",
                arguments: [id, owner])
        }
    }

    public func jobs(status: String?, afterID: Int64, limit: Int) async throws -> [JobStatusRecord] {
        try await writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT id, kind, ref, status, attempts, run_after, lease_until, last_error, ended_at FROM jobs
                    WHERE (?1 IS NULL OR status = ?1) AND id > ?2 ORDER BY id LIMIT ?3
                    """),
                arguments: [status, afterID, limit]
            ).map {
                JobStatusRecord(
                    id: $0["id"], kind: $0["kind"], ref: $0["ref"], status: $0["status"], attempts: $0["attempts"],
                    runAfter: $0["run_after"], leaseUntil: $0["lease_until"], lastError: $0["last_error"], endedAt: $0["ended_at"])
            }
        }
    }

    public func retryJob(jobID: Int64, now: Int64) async throws -> String? {
        try await writer.write { db in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM jobs WHERE id = ?", arguments: [jobID]) else { return nil }
            guard status == "failed" || status == "done" else { return status }
            try db.execute(
                sql: "UPDATE jobs SET status = 'queued', attempts = 0, run_after = ?, ended_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ?",
                arguments: [now, jobID])
            try db.execute(
                sql: "UPDATE media SET status = 'queued', error = NULL WHERE id = (SELECT ref FROM jobs WHERE id = ? AND kind = 'hash_media')",
                arguments: [jobID])
            return status
        }
    }

    public func deleteDoneJobs(endedBefore cutoff: Int64, after: DoneJobPlace?, limit: Int) async throws -> DoneJobsDeleted {
        try await writer.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, run_after,
                        (COALESCE(ended_at, run_after) >= ?1
                         OR kind = 'hash_media' AND EXISTS (SELECT 1 FROM media m WHERE m.id = j.ref AND m.error IS NOT NULL)) AS kept
                    FROM jobs j WHERE status = 'done' AND run_after < ?1 AND (run_after, id) > (?2, ?3)
                    ORDER BY run_after, id LIMIT ?4
                    """,
                arguments: [cutoff, after?.runAfter ?? Int64.min, after?.id ?? Int64.min, limit])
            let ids: [Int64] = rows.filter { !($0["kept"] as Bool) }.map { $0["id"] }
            for id in ids { try db.cachedStatement(sql: "DELETE FROM jobs WHERE id = ?").execute(arguments: [id]) }
            let last = rows.last.map { DoneJobPlace(runAfter: $0["run_after"], id: $0["id"]) }
            return DoneJobsDeleted(examined: rows.count, deleted: ids.count, last: last)
        }
    }

    public func pendingJobCount() async throws -> Int {
        try await writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')") ?? 0
        }
    }

    public func depths() async throws -> QueueDepths {
        try await writer.read { db in
            QueueDepths(
                openCases: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cases WHERE status IN ('open', 'claimed', 'escalated')") ?? 0,
                pendingJobs: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')") ?? 0,
                pendingDeliveries: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'") ?? 0,
                deadDeliveries: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries WHERE status = 'dead'") ?? 0,
                failedJobs: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE status = 'failed'") ?? 0)
        }
    }

    // MARK: Webhook deliveries

    public func claimDeliveries(owner: String, now: Int64, lease: Int64, limit: Int) async throws -> [DeliveryRecord] {
        try await writer.write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?
                    AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?
                    """), arguments: [now, now, limit])
            for row in rows {
                try db.cachedStatement(sql: "UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?").execute(arguments: [owner, now + lease, row["id"] as Int64])
            }
            return rows.map(Self.delivery)
        }
    }

    public func deliverySucceeded(id: Int64, now: Int64) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                    UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?,
                    lease_owner = NULL, lease_until = NULL, last_error = NULL WHERE id = ? AND status <> 'delivered'
                    """).execute(arguments: [now, id])
        }
    }

    public func deliveryFailed(id: Int64, error: String, nextAttemptAt: Int64?, now: Int64) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                    UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
                    lease_owner = NULL, lease_until = NULL WHERE id = ? AND status = 'pending'
                    """).execute(arguments: [nextAttemptAt == nil ? "dead" : "pending", nextAttemptAt ?? now, String(error.prefix(500)), id])
        }
    }

    public func redeliver(deliveryID: String, now: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                    UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL
                    WHERE delivery_id = ?
                    """).execute(arguments: [now, deliveryID])
            return db.changesCount > 0
        }
    }

    public func deliveries(status: String?, afterID: Int64, limit: Int) async throws -> [DeliveryRecord] {
        try await writer.read { db in
            if let status {
                return try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM deliveries WHERE status = ? AND id > ? ORDER BY id LIMIT ?"),
                    arguments: [status, afterID, limit]
                ).map(Self.delivery)
            }
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM deliveries WHERE id > ? ORDER BY id LIMIT ?"), arguments: [afterID, limit]
            ).map(Self.delivery)
        }
    }

    // MARK: Keys

    public func createKey(name: String, role: Role, prefix: String, hash: String, now: Int64) async throws -> APIKeyRecord {
        try await writer.write { db in
            try db.cachedStatement(sql: "INSERT INTO api_keys (name, role, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)").execute(arguments: [name, role.rawValue, prefix, hash, now])
            let record = APIKeyRecord(id: db.lastInsertedRowID, name: name, role: role, prefix: prefix, createdAt: now)
            try Self.audit(
                db, actor: "cli", action: "key.create", subject: "key:\(record.id)",
                detail: "{\"name\":\(JSONText.encode(name)),\"role\":\"\(role.rawValue)\"}", now: now)
            return record
        }
    }

    public func key(hash: String) async throws -> APIKeyRecord? {
        try await writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE hash = ?"), arguments: [hash]).map(Self.key)
        }
    }

    public func keys() async throws -> [APIKeyRecord] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY id").map(Self.key) }
    }

    public func revokeKey(id: Int64, actor: String, now: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").execute(arguments: [now, id])
            guard db.changesCount > 0 else { return false }
            try Self.audit(db, actor: actor, action: "key.revoke", subject: "key:\(id)", detail: "{}", now: now)
            return true
        }
    }

    // MARK: Audit and settings

    public func appendAudit(actor: String, action: String, subject: String, detail: String, now: Int64) async throws {
        try await writer.write { db in try Self.audit(db, actor: actor, action: action, subject: subject, detail: detail, now: now) }
    }

    public func auditLog(after seq: Int64, limit: Int) async throws -> [AuditRecord] {
        try await writer.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"), arguments: [seq, limit])
                .map { row in
                    AuditRecord(
                        seq: row["seq"], at: row["at"], actor: row["actor"], action: row["action"], subject: row["subject"],
                        detail: row["detail"], previousHash: row["prev_hash"], hash: row["hash"])
                }
        }
    }

    public func auditEntries(_ q: AuditQuery) async throws -> [AuditRecord] {
        let filter = "(? IS NULL OR actor = ?) AND (? IS NULL OR action = ?)"
        let sql =
            q.after != nil
            ? "SELECT * FROM audit_log WHERE seq > ? AND \(filter) ORDER BY seq LIMIT ?"
            : "SELECT * FROM audit_log WHERE seq < ? AND \(filter) ORDER BY seq DESC LIMIT ?"
        let bound = q.after ?? q.before ?? Int64.max
        return try await writer.read { db in
            try Row.fetchAll(db, sql: sql, arguments: [bound, q.actor, q.actor, q.action, q.action, q.limit]).map { row in
                AuditRecord(
                    seq: row["seq"], at: row["at"], actor: row["actor"], action: row["action"], subject: row["subject"],
                    detail: row["detail"], previousHash: row["prev_hash"], hash: row["hash"])
            }
        }
    }

    public func setting(_ key: String) async throws -> String? {
        try await writer.read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM settings WHERE key = ?"), arguments: [key]) }
    }

    public func setSetting(_ key: String, _ value: String, actor: String, now: Int64) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").execute(arguments: [key, value])
            // Secrets are not written to the audit log, only that they changed.
            let shown = key.contains("secret") ? "\"(changed)\"" : JSONText.encode(value)
            try Self.audit(db, actor: actor, action: "setting.change", subject: "setting:\(key)", detail: "{\"value\":\(shown)}", now: now)
        }
    }

    /// Appends one audit entry inside the caller's transaction (the write lock orders the chain).
    static func audit(_ db: Database, actor: String, action: String, subject: String, detail: String, now: Int64) throws {
        let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        let seq: Int64 = (last?["seq"] ?? 0) + 1
        let previous: String = last?["hash"] ?? AuditRecord.genesis
        let hash = AuditRecord.chainHash(
            previous: previous, seq: seq, at: now, actor: actor, action: action, subject: subject, detail: detail)
        try db.cachedStatement(sql: "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(arguments: [seq, now, actor, action, subject, detail, previous, hash])
        try db.cachedStatement(sql: "INSERT INTO settings (key, value) VALUES ('audit.head', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").execute(arguments: [hash])
    }

    // MARK: Rows


    static func item(_ row: Row) -> ItemRecord {
        ItemRecord(
            id: row["id"], platform: row["platform"], externalID: row["external_id"], type: row["type"], text: row["text"],
            author: row["author"], containerID: row["container_id"], containerTitle: row["container_title"],
            containerReach: row["container_reach"], postedAt: row["posted_at"], receivedAt: row["received_at"],
            decision: Decision(rawValue: row["decision"]) ?? .none, score: row["score"], language: row["language"],
            verdictJSON: row["verdict"])
    }

    static func caseRecord(_ row: Row) -> CaseRecord {
        CaseRecord(
            id: row["id"], itemID: row["item_id"], entityID: row["entity_id"], source: CaseSource(rawValue: row["source"]) ?? .proactive,
            status: CaseStatus(rawValue: row["status"]) ?? .open, basePriority: row["base_priority"],
            priority: row["priority"], category: (row["category"] as String?).flatMap(Category.init(rawValue:)),
            language: row["language"], userReports: row["user_reports"], trustedReports: row["trusted_reports"],
            claimedBy: row["claimed_by"], claimUntil: row["claim_until"], createdAt: row["created_at"],
            updatedAt: row["updated_at"])
    }

    static func report(_ row: Row) -> ReportRecord {
        ReportRecord(
            id: row["id"], itemID: row["item_id"], caseID: row["case_id"], reporter: row["reporter"], trusted: row["trusted"],
            reason: row["reason"], text: row["text"], status: row["status"], createdAt: row["created_at"])
    }

    static func decision(_ row: Row) -> DecisionRecord {
        DecisionRecord(
            id: row["id"], caseID: row["case_id"], reviewer: row["reviewer"],
            action: ModerationAction(rawValue: row["action"]) ?? .escalate,
            category: (row["category"] as String?).flatMap(Category.init(rawValue:)), exemption: row["exemption"],
            note: row["note"], createdAt: row["created_at"], countries: DecisionRecord.countries(stored: row["countries"]))
    }

    static func delivery(_ row: Row) -> DeliveryRecord {
        DeliveryRecord(
            id: row["id"], deliveryID: row["delivery_id"], event: row["event"], body: row["body"], status: row["status"],
            attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"], lastError: row["last_error"])
    }

    static func key(_ row: Row) -> APIKeyRecord {
        APIKeyRecord(
            id: row["id"], name: row["name"], role: Role(rawValue: row["role"]) ?? .ingest, prefix: row["prefix"],
            createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }
}
