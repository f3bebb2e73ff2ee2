public import BulwarkCore
import BulwarkEntities
import Foundation
public import PostgresNIO

/// The shared store: PostgreSQL through postgres-nio's `PostgresClient` (a connection pool).
///
/// The client only serves queries while its `run()` is running. Either run it for as long as
/// the store is used, as a swift-service-lifecycle `Service` (`store.client` is one) in the
/// application's `ServiceGroup`, or let ``withStore(_:logger:_:)`` run it in a task group for the
/// duration of a closure. Several processes can share one database: the schema is migrated
/// under an advisory lock, webhook deliveries are claimed with leases (`FOR UPDATE SKIP
/// LOCKED`), and audit entries are appended under a transaction-scoped advisory lock, so the
/// hash chain stays one strict sequence.
public struct PostgresStore: ModerationStore {
    public let client: PostgresClient
    let logger: Logger
    /// The statements awaiting an answer on each connection (see ``rows(_:_:)``).
    let watches = StatementWatches()

    /// A store over a client that the caller runs.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// A store with its own client for the database at `location`; run `client` as a `Service`.
    public init(_ location: PostgresURL, logger: Logger) {
        self.init(
            client: PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger),
            logger: logger)
    }

    /// A store for `postgres://USER:PASSWORD@HOST:PORT/DATABASE`; run `client` as a `Service`.
    public init(url: String, logger: Logger) throws {
        self.init(try PostgresURL(url), logger: logger)
    }

    /// Runs the client (its pool of connections) until the task is cancelled, or until graceful
    /// shutdown when called from a swift-service-lifecycle `ServiceGroup`: the store serves queries
    /// only while this runs. The same as `client.run()`, for callers that do not import PostgresNIO.
    public func run() async {
        await client.run()
    }

    /// Runs a store's client for the duration of `body` and shuts it down afterwards. Before the
    /// body, one connection is opened and closed, so that a wrong address, password or database
    /// name fails at once, with the server's message, rather than after the pool's retries.
    ///
    /// The shutdown waits at most `closeDeadline` for the client to close its connections. The
    /// client waits for every connection lent out to come back, and postgres-nio can leave a query
    /// unanswered for ever: it writes each query to the connection's channel without a write
    /// promise, so a query written just as the connection drops (a database restart) is never
    /// failed, and its connection never comes back. Nothing acknowledged depends on such a
    /// query (its caller timed out), so after the deadline the store logs it and returns, leaving
    /// the client's task behind, rather than keeping the process from exiting.
    public static func withStore<Result: Sendable>(
        _ location: PostgresURL, logger: Logger, closeDeadline: Duration = .seconds(10),
        _ body: (PostgresStore) async throws -> Result
    ) async throws -> Result {
        let store = PostgresStore(location, logger: logger)
        let client = Task { await store.run() }
        func close() async {
            client.cancel()
            if await !finishes(client, within: closeDeadline) {
                logger.warning(
                    "PostgreSQL client did not close within the deadline; a query on a dropped connection is still unanswered",
                    metadata: ["deadline_s": "\(closeDeadline.components.seconds)"])
            }
        }
        do {
            // (Checked after the client's task is started, which it then is by the time the body uses it.)
            try await location.checkConnection(logger: logger)
            let result = try await body(store)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }

    /// ``withStore(_:logger:_:)`` for a `postgres://` URL.
    public static func withStore<Result: Sendable>(
        url: String, logger: Logger, _ body: (PostgresStore) async throws -> Result
    ) async throws -> Result {
        try await withStore(try PostgresURL(url), logger: logger, body)
    }

    // MARK: Schema

    /// Advisory lock keys (one 64-bit space per database): taken with `pg_advisory_xact_lock`,
    /// held until the transaction ends.
    static let migrationLock: Int64 = 0x4257_4B00_0000_0001
    static let auditLock: Int64 = 0x4257_4B00_0000_0002

    /// The migrations in order: the same schema as SQLite's, in PostgreSQL's types.
    static let migrations = Schema.migrations(.postgres)

    /// Creates or upgrades the schema, recording each version in `schema_migrations`. Idempotent,
    /// and safe when several processes start at once: the first to take the lock migrates, the
    /// others then find the versions recorded.
    public func migrate() async throws {
        try await transaction { db in
            try await execute(db, "SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try await execute(
                db,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let applied = Set(
                try await rows(db, "SELECT version FROM schema_migrations").map { try $0.decode(String.self) })
            let unknown = applied.subtracting(Self.migrations.map(\.version))
            guard unknown.isEmpty else { throw SchemaTooNew(database: "PostgreSQL", versions: unknown) }
            for migration in Self.migrations where !applied.contains(migration.version) {
                // The schema's text is constant: no value is put into it.
                for statement in migration.statements {
                    try await execute(db, PostgresQuery(unsafeSQL: statement))
                }
                try await execute(
                    db,
                    """
                    INSERT INTO schema_migrations (version, applied_at)
                    VALUES (\(migration.version), EXTRACT(EPOCH FROM now())::BIGINT)
                    """)
            }
        }
    }

    // MARK: Items

    /// Stores a batch in one transaction with one statement for the items and one for their cases
    /// (rows passed as a JSON array through `json_to_recordset`), so a batch of a thousand items,
    /// or a group of concurrent single-item requests, costs a few round trips, not thousands. The
    /// items' entities take three more: one upserts and locks their rows, one reads their open
    /// cases, one writes their signals and risk (and, when an entity case opens or rises, one each).
    public func ingest(_ items: [ScannedItem], now: Int64) async throws -> [IngestOutcome] {
        struct Key: Hashable {
            var platform: String
            var externalID: String
        }
        // The first occurrence of a key in the batch is the one stored; later ones report it.
        var first: [Key: Int] = [:]
        var unique: [Int] = []
        for (i, scanned) in items.enumerated() {
            let key = Key(platform: scanned.item.platform, externalID: scanned.item.externalID)
            if first[key] == nil {
                first[key] = i
                unique.append(i)
            }
        }
        let newItems = unique.map { items[$0].item }
        let entityKeys = EntityLedger.keys(of: newItems)

        return try await transaction { db in
            var entities = try await upsertEntities(db, entityKeys, items: newItems, now: now)
            var rowsJSON: [UInt8] = [UInt8(ascii: "[")]
            for (n, i) in unique.enumerated() {
                let scanned = items[i]
                let item = scanned.item
                if n > 0 { rowsJSON.append(UInt8(ascii: ",")) }
                JSONRecord.append(to: &rowsJSON) { record in
                    record.field("platform", item.platform)
                    record.field("external_id", item.externalID)
                    record.field("type", item.type)
                    record.field("text", item.text)
                    record.field("lang_hint", item.langHint)
                    record.field("urls", JSONText.encode(item.urls))
                    record.field("author", item.author)
                    record.field("container_id", item.containerID)
                    record.field("container_title", item.containerTitle)
                    record.field("container_reach", item.containerReach.map(Int64.init))
                    record.field("posted_at", item.postedAt)
                    record.field("decision", scanned.decision.rawValue)
                    record.field("score", scanned.score)
                    record.field("category", scanned.category?.rawValue)
                    record.field("context", scanned.context)
                    record.field("language", scanned.language)
                    record.field("verdict", scanned.verdictJSON)
                    record.field("media_count", Int64(item.media.count + item.givenMedia.count))
                    record.field("author_entity_id", EntityKey.author(of: item).flatMap { entities[$0]?.id })
                    record.field("container_entity_id", EntityKey.container(of: item).flatMap { entities[$0]?.id })
                }
            }
            rowsJSON.append(UInt8(ascii: "]"))
            let rowsText = String(decoding: rowsJSON, as: UTF8.self)

            // ON CONFLICT rather than look-then-insert: two processes ingesting the same item at
            // once both succeed, and both report the one row.
            var created: [Key: Int64] = [:]
            for row in try await rows(
                db,
                """
                INSERT INTO items (platform, external_id, type, text, lang_hint, urls, author, container_id,
                    container_title, container_reach, posted_at, received_at, decision, score, category, context,
                    language, verdict, media_count, author_entity_id, container_entity_id)
                SELECT platform, external_id, type, text, lang_hint, urls, author, container_id, container_title,
                    container_reach, posted_at, \(now), decision, score, category, context, language, verdict,
                    media_count, author_entity_id, container_entity_id
                FROM json_to_recordset(\(rowsText)::json) AS r(platform TEXT, external_id TEXT, type TEXT, text TEXT,
                    lang_hint TEXT, urls TEXT, author TEXT, container_id TEXT, container_title TEXT,
                    container_reach BIGINT, posted_at BIGINT, decision TEXT, score DOUBLE PRECISION, category TEXT,
                    context TEXT, language TEXT, verdict TEXT, media_count BIGINT, author_entity_id BIGINT,
                    container_entity_id BIGINT)
                ON CONFLICT (platform, external_id) DO NOTHING
                RETURNING id, platform, external_id
                """)
            {
                let (id, platform, externalID) = try row.decode((Int64, String, String).self)
                created[Key(platform: platform, externalID: externalID)] = id
            }

            // Items stored before this batch: their row, verdict and case.
            var existing: [Key: (id: Int64, verdict: String, caseID: Int64?, author: Int64?, container: Int64?)] = [:]
            let missing = unique.filter {
                created[Key(platform: items[$0].item.platform, externalID: items[$0].item.externalID)] == nil
            }
            if !missing.isEmpty {
                var keysJSON: [UInt8] = [UInt8(ascii: "[")]
                for (n, i) in missing.enumerated() {
                    if n > 0 { keysJSON.append(UInt8(ascii: ",")) }
                    JSONRecord.append(to: &keysJSON) { record in
                        record.field("platform", items[i].item.platform)
                        record.field("external_id", items[i].item.externalID)
                    }
                }
                keysJSON.append(UInt8(ascii: "]"))
                for row in try await rows(
                    db,
                    """
                    SELECT i.id, i.platform, i.external_id, i.verdict, c.id, i.author_entity_id, i.container_entity_id
                    FROM items i
                    JOIN json_to_recordset(\(String(decoding: keysJSON, as: UTF8.self))::json)
                        AS k(platform TEXT, external_id TEXT)
                        ON i.platform = k.platform AND i.external_id = k.external_id
                    LEFT JOIN cases c ON c.item_id = i.id
                    """)
                {
                    let (id, platform, externalID, verdict, caseID, author, container) = try row.decode(
                        (Int64, String, String, String, Int64?, Int64?, Int64?).self)
                    existing[Key(platform: platform, externalID: externalID)] = (id, verdict, caseID, author, container)
                }
            }

            // Media of new items, each with its hashing job.
            for i in unique {
                let item = items[i].item
                guard !item.media.isEmpty || !item.givenMedia.isEmpty,
                    let itemID = created[Key(platform: item.platform, externalID: item.externalID)]
                else { continue }
                for bytes in item.media {
                    let mediaID = try await insertedID(
                        db,
                        """
                        INSERT INTO media (item_id, bytes, status)
                        VALUES (\(itemID), \(ByteBuffer(bytes: bytes)), 'pending')
                        RETURNING id
                        """)
                    try await execute(
                        db,
                        """
                        INSERT INTO jobs (kind, ref, status, attempts, run_after)
                        VALUES ('hash_media', \(mediaID), 'queued', 0, \(now))
                        """)
                }
                // Parts sent as hashes: no bytes, the hashes kept; the same job matches them.
                for given in item.givenMedia {
                    let mediaID = try await insertedID(
                        db,
                        """
                        INSERT INTO media (item_id, bytes, status, pdq, quality, md5, sha256, frames)
                        VALUES (\(itemID), \(ByteBuffer()), 'pending', \(given.pdq), \(given.quality.map(Int64.init)), \(given.md5), \(given.sha256), \(FramePDQ.text(given.frames)))
                        RETURNING id
                        """)
                    try await execute(
                        db,
                        """
                        INSERT INTO jobs (kind, ref, status, attempts, run_after)
                        VALUES ('hash_media', \(mediaID), 'queued', 0, \(now))
                        """)
                }
            }

            // The new items folded into their entities' signals, which are then written back.
            var touched: Set<EntityKey> = []
            for i in unique where created[Key(platform: items[i].item.platform, externalID: items[i].item.externalID)] != nil {
                let authorKey = EntityKey.author(of: items[i].item)
                let containerKey = EntityKey.container(of: items[i].item)
                var author = authorKey.flatMap { entities[$0] }
                var container = containerKey.flatMap { entities[$0] }
                EntityLedger.fold(items[i], receivedAt: now, author: &author, container: &container)
                if let authorKey {
                    entities[authorKey] = author
                    touched.insert(authorKey)
                }
                if let containerKey {
                    entities[containerKey] = container
                    touched.insert(containerKey)
                }
            }
            let touchedKeys = touched.sorted()
            let saved = try await saveEntities(db, touchedKeys.compactMap { entities[$0] }, now: now)
            for (key, state) in zip(touchedKeys, saved) { entities[key] = state }

            // Cases of new items that need one, in one statement.
            var caseIDs: [Int64: Int64] = [:]
            var casesJSON: [UInt8] = [UInt8(ascii: "[")]
            var caseCount = 0
            for i in unique {
                let scanned = items[i]
                guard let priority = scanned.casePriority,
                    let itemID = created[Key(platform: scanned.item.platform, externalID: scanned.item.externalID)]
                else { continue }
                if caseCount > 0 { casesJSON.append(UInt8(ascii: ",")) }
                let part = EntityLedger.itemCasePart(
                    author: EntityKey.author(of: scanned.item).flatMap { entities[$0] },
                    container: EntityKey.container(of: scanned.item).flatMap { entities[$0] })
                JSONRecord.append(to: &casesJSON) { record in
                    record.field("item_id", itemID)
                    record.field("base_priority", priority + part)
                    record.field("category", scanned.category?.rawValue)
                    record.field("language", scanned.language)
                    record.field("content_key", scanned.contentKey)
                }
                caseCount += 1
            }
            casesJSON.append(UInt8(ascii: "]"))
            if caseCount > 0 {
                for row in try await rows(
                    db,
                    """
                    INSERT INTO cases (item_id, source, status, base_priority, category, language, user_reports,
                        trusted_reports, created_at, updated_at, content_key)
                    SELECT item_id, 'proactive', 'open', base_priority, category, language, 0, 0, \(now), \(now), content_key
                    FROM json_to_recordset(\(String(decoding: casesJSON, as: UTF8.self))::json)
                        AS r(item_id BIGINT, base_priority DOUBLE PRECISION, category TEXT, language TEXT, content_key TEXT)
                    RETURNING id, item_id
                    """)
                {
                    let (caseID, itemID) = try row.decode((Int64, Int64).self)
                    caseIDs[itemID] = caseID
                }
            }

            var outcomes: [IngestOutcome] = []
            outcomes.reserveCapacity(items.count)
            for (i, scanned) in items.enumerated() {
                let key = Key(platform: scanned.item.platform, externalID: scanned.item.externalID)
                if let id = created[key] {
                    let isFirst = first[key] == i
                    outcomes.append(
                        IngestOutcome(
                            itemID: id, created: isFirst, caseID: caseIDs[id],
                            verdictJSON: items[first[key] ?? i].verdictJSON,
                            authorEntityID: EntityKey.author(of: scanned.item).flatMap { entities[$0]?.id },
                            containerEntityID: EntityKey.container(of: scanned.item).flatMap { entities[$0]?.id }))
                } else if let row = existing[key] {
                    outcomes.append(
                        IngestOutcome(
                            itemID: row.id, created: false, caseID: row.caseID, verdictJSON: row.verdict,
                            authorEntityID: row.author, containerEntityID: row.container))
                } else {
                    throw PostgresStoreError(.unexpectedResult, "item \(key.platform)/\(key.externalID) vanished")
                }
            }
            return outcomes
        }
    }

    public func item(id: Int64) async throws -> ItemRecord? {
        try await read("SELECT * FROM items WHERE id = \(id)").first.map(Self.item)
    }

    public func item(platform: String, externalID: String) async throws -> ItemRecord? {
        try await read("SELECT * FROM items WHERE platform = \(platform) AND external_id = \(externalID)").first
            .map(Self.item)
    }

    public func caseID(ofItem itemID: Int64) async throws -> Int64? {
        try await read("SELECT id FROM cases WHERE item_id = \(itemID)").first?.decode(Int64.self)
    }

    public func casesWithoutContentKey(after: Int64, limit: Int) async throws -> KeylessCases {
        // Plans that do not depend on the tables' statistics: the cases by primary key in order,
        // then their items by primary key. Just after a bulk load, with no statistics yet, one
        // join read every item for each page, and then the cases alone were read whole and
        // sorted for each page (200,000 cases: 58 s, then 30 s, against 9 s with statistics).
        let cases = try await transaction { db in
            try await execute(db, "SET LOCAL enable_seqscan = off")
            return try await rows(
                db,
                "SELECT id, item_id FROM cases WHERE id > \(after) AND content_key IS NULL AND item_id IS NOT NULL ORDER BY id LIMIT \(limit)"
            ).map { try $0.decode((Int64, Int64).self) }
        }
        guard let last = cases.last else { return KeylessCases(cases: [], through: nil) }
        let itemIDs = cases.map(\.1)
        var texts: [Int64: String] = [:]
        for row in try await read("SELECT id, text FROM items WHERE id = ANY(\(itemIDs)) AND media_count = 0") {
            let (id, text) = try row.decode((Int64, String).self)
            texts[id] = text
        }
        return KeylessCases(cases: cases.compactMap { c in texts[c.1].map { CaseText(caseID: c.0, text: $0) } }, through: last.0)
    }

    public func setContentKeys(_ keys: [(caseID: Int64, key: String)]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let ids = keys.map(\.caseID)
        let values = keys.map(\.key)
        return try await read(
            """
            UPDATE cases c SET content_key = k.key FROM unnest(\(ids)::BIGINT[], \(values)::TEXT[]) AS k(id, key)
            WHERE c.id = k.id AND c.content_key IS NULL RETURNING c.id
            """
        ).count
    }

    public func recentPlatforms(items: Int) async throws -> [String] {
        try await read("SELECT DISTINCT platform FROM (SELECT platform FROM items ORDER BY id DESC LIMIT \(items)) AS recent ORDER BY platform")
            .map { try $0.decode(String.self) }
    }

    public func itemCount() async throws -> Int {
        try await read("SELECT COUNT(*) FROM items").first?.decode(Int.self) ?? 0
    }

    public func ping() async throws {
        _ = try await read("SELECT 1 FROM items LIMIT 1")
    }

    // MARK: Cases

    public func cases(_ filter: CaseFilter, now: Int64) async throws -> [CaseRecord] {
        // A missing filter is a NULL parameter, so the statement's text never changes.
        let source = filter.source?.rawValue
        let language = filter.language
        let category = filter.category?.rawValue
        let status = filter.status?.rawValue
        let limit = max(1, min(filter.limit, 500))
        // The priority as SQLite's store computes it: base plus points per second waited, capped.
        // The page's ids are chosen first and only those cases read whole, as on SQLite: with
        // 200,000 open cases the server's time went from 130-150 to 74-80 ms (`EXPLAIN ANALYZE`),
        // a page of 200 through the API from 77 to 51 ms (`scripts/bench-queue.sh`).
        let weight = ReviewPriority.waitingWeight
        let now = Double(now)
        return try await read(
            """
            SELECT *, base_priority + LEAST(\(ReviewPriority.maxWaitingPoints), (\(now) - created_at) * \(weight)) AS priority
            FROM cases
            WHERE id IN (
                SELECT id FROM cases
                WHERE (\(source)::TEXT IS NULL OR source = \(source))
                AND (\(language)::TEXT IS NULL OR language = \(language))
                AND (\(category)::TEXT IS NULL OR category = \(category))
                AND ((\(status)::TEXT IS NULL AND status IN ('open', 'claimed', 'escalated')) OR status = \(status))
                ORDER BY base_priority + LEAST(\(ReviewPriority.maxWaitingPoints), (\(now) - created_at) * \(weight)) DESC, id ASC
                LIMIT \(limit)
            )
            ORDER BY priority DESC, id ASC
            """
        ).map(Self.caseRecord)
    }

    public func caseDetail(id: Int64, now: Int64) async throws -> CaseDetail? {
        let weight = ReviewPriority.waitingWeight
        let now = Double(now)
        // One transaction, so the parts agree with each other.
        return try await transaction { db in
            guard
                let row = try await rows(
                    db,
                    """
                    SELECT *, base_priority + LEAST(\(ReviewPriority.maxWaitingPoints), (\(now) - created_at) * \(weight)) AS priority
                    FROM cases WHERE id = \(id)
                    """
                ).first
            else { return nil }
            let record = try Self.caseRecord(row)
            let decisions = try await rows(db, "SELECT * FROM decisions WHERE case_id = \(id) ORDER BY id").map(
                Self.decision)
            if let entityID = record.entityID {
                let entity = try await rows(db, "SELECT * FROM entities WHERE id = \(entityID)").first
                return CaseDetail(record: record, entity: try entity.map(Self.entity), reports: [], decisions: decisions)
            }
            guard let item = try await rows(db, "SELECT * FROM items WHERE id = \(record.itemID)").first else {
                return nil
            }
            let reports = try await rows(db, "SELECT * FROM reports WHERE item_id = \(record.itemID) ORDER BY id")
                .map(Self.report)
            let entity = try await rows(
                db,
                """
                SELECT e.* FROM items i JOIN entities e ON e.id IN (i.author_entity_id, i.container_entity_id)
                WHERE i.id = \(record.itemID) ORDER BY e.risk DESC LIMIT 1
                """
            ).first
            return CaseDetail(
                record: record, item: try Self.item(item), entity: try entity.map(Self.entity), reports: reports,
                decisions: decisions)
        }
    }

    public func openCopies(ofCase caseID: Int64, limit: Int) async throws -> [Int64] {
        try await read(
            """
            SELECT c.id FROM cases c JOIN cases o ON o.id = \(caseID) AND o.content_key IS NOT NULL
            WHERE c.content_key = o.content_key AND c.id <> o.id AND c.status IN ('open', 'claimed')
            ORDER BY c.id LIMIT \(limit)
            """
        ).map { try $0.decode(Int64.self) }
    }

    public func contentKeyDecisions(afterID: Int64, limit: Int) async throws -> [ContentKeyDecision] {
        // Without parallel workers: the planner chose them for a page of 10,000 (a Gather Merge
        // over two workers), which took twice the time of one process reading the index in
        // order, 25 ms against 12.6 ms a page of a million decisions (`EXPLAIN ANALYZE`, the
        // Zen 3), and their CPU was taken from this process on a small machine.
        try await transaction { db in
            try await execute(db, "SET LOCAL max_parallel_workers_per_gather = 0")
            return try await rows(
                db, "\(unescaped: ContentKeyDecisionQueries.select) WHERE d.id > \(afterID) ORDER BY d.id LIMIT \(limit)",
                decoding: Self.contentKeyDecision)
        }
    }

    public func contentKeyDecisions(inRanges ranges: [ClosedRange<Int64>]) async throws -> [ContentKeyDecision] {
        guard !ranges.isEmpty else { return [] }
        var found: [ContentKeyDecision] = []
        for sql in ContentKeyDecisionQueries.keyed(inRanges: ranges) {
            found += try await read(PostgresQuery(unsafeSQL: sql)).map(Self.contentKeyDecision)
        }
        return found.sorted { $0.decisionID < $1.decisionID }
    }

    public func writesUnderWay() async throws -> WritesUnderWay? {
        // xid8 has no cast to bigint; through its text, a decimal integer below 2^63.
        let rows = try await read(
            """
            SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint
            FROM (SELECT pg_current_snapshot() AS s) AS snapshot
            """)
        guard let row = rows.first else { throw PostgresStoreError(.unexpectedResult, "pg_current_snapshot() returned no row") }
        let (oldest, next) = try row.decode((Int64, Int64).self)
        return WritesUnderWay(oldest: oldest, next: next)
    }

    private static func contentKeyDecision(_ row: PostgresRow) throws -> ContentKeyDecision {
        // Cell by cell, each with its own type: decoding the row as a tuple of six looked up the
        // tuple's type metadata for every row. The key's digits are read from the row's bytes,
        // not made into a String first.
        var cells = row.makeIterator()
        func next() throws -> PostgresCell {
            guard let cell = cells.next() else { throw PostgresStoreError(.unexpectedResult, "a decision row with fewer than 6 columns") }
            return cell
        }
        let id = try next().decode(Int64.self)
        let key = try next().bytes
        let caseID = try next().decode(Int64.self)
        let action = try next().decode(String.self)
        let category = try next().decode(String?.self)
        let createdAt = try next().decode(Int64.self)
        return ContentKeyDecision(
            decisionID: id, contentKey: key.flatMap { $0.withUnsafeReadableBytes { ContentKeyBits(hex: $0) } }, caseID: caseID,
            action: action, category: category.flatMap(Category.init(rawValue:)), createdAt: createdAt)
    }

    public func openCopyCounts(ofCases caseIDs: [Int64]) async throws -> [Int64: Int] {
        guard !caseIDs.isEmpty else { return [:] }
        let list = caseIDs.map(String.init).joined(separator: ",")
        // Each key counted once (a page may hold hundreds of copies of one text), then each case's
        // count is its key's less itself when it is open or claimed.
        let cases = try await read(
            PostgresQuery(unsafeSQL: "SELECT id, content_key, status FROM cases WHERE id IN (\(list)) AND content_key IS NOT NULL")
        ).map { try $0.decode((Int64, String, String).self) }
        let keys = Set(cases.map(\.1)).sorted()
        guard !keys.isEmpty else { return [:] }
        var open: [String: Int] = [:]
        for row in try await read(
            "SELECT content_key, COUNT(*) FROM cases WHERE content_key = ANY(\(keys)) AND status IN ('open', 'claimed') GROUP BY content_key")
        {
            let (key, n) = try row.decode((String, Int64).self)
            open[key] = Int(n)
        }
        return Self.copyCounts(cases, open: open)
    }

    public func claim(caseID: Int64, reviewer: String, until: Int64, now: Int64) async throws -> ClaimOutcome {
        try await transaction { db in
            // The row lock orders concurrent claims of one case.
            guard
                let row = try await rows(
                    db, "SELECT status, claimed_by, claim_until FROM cases WHERE id = \(caseID) FOR UPDATE"
                ).first
            else { return .notFound }
            let (status, holder, holdUntil) = try row.decode((String, String?, Int64?).self)
            guard status != CaseStatus.decided.rawValue else { return .closed }
            if let holder, let holdUntil, holder != reviewer, holdUntil > now {
                return .heldBy(holder, until: holdUntil)
            }
            try await execute(
                db,
                """
                UPDATE cases SET status = 'claimed', claimed_by = \(reviewer), claim_until = \(until),
                    updated_at = \(now)
                WHERE id = \(caseID)
                """)
            try await audit(
                db, actor: reviewer, action: "case.claim", subject: "case:\(caseID)", detail: "{\"until\":\(until)}",
                now: now)
            return .claimed(until: until)
        }
    }

    public func decide(
        caseID: Int64, reviewer: String, decision: NewDecision,
        webhookBody: @Sendable (DecisionRecord, ItemRecord) -> String?, now: Int64
    ) async throws -> DecideOutcome {
        try await transaction { db in
            guard let row = try await rows(db, "SELECT * FROM cases WHERE id = \(caseID) FOR UPDATE").first else {
                return .notFound
            }
            let cells = Cells(row)
            if let entityID: Int64 = try cells["entity_id"] { return .entityCase(entityID: entityID) }
            let status: String = try cells["status"]
            guard status != CaseStatus.decided.rawValue else { return .alreadyDecided }
            let holder: String? = try cells["claimed_by"]
            let holdUntil: Int64? = try cells["claim_until"]
            if let holder, let holdUntil, holder != reviewer, holdUntil > now { return .heldBy(holder) }
            let record = try await recordDecision(db, caseID: caseID, reviewer: reviewer, decision: decision, now: now)
            if decision.action != .escalate {
                let reportStatus = decision.action == .noViolation ? "no_violation" : "actioned"
                try await execute(db, "UPDATE reports SET status = \(reportStatus) WHERE case_id = \(caseID)")
            }
            let itemID: Int64 = try cells["item_id"]
            guard let itemRow = try await rows(db, "SELECT * FROM items WHERE id = \(itemID)").first else {
                return .notFound
            }
            var deliveryID: String? = nil
            if let body = webhookBody(record, try Self.item(itemRow)) {
                deliveryID = try await enqueueDelivery(db, event: "decision", body: body, now: now)
            }
            try await audit(
                db, actor: reviewer, action: "case.decide", subject: "case:\(caseID)",
                detail: "{\"action\":\"\(decision.action.rawValue)\",\"decision\":\(record.id)}", now: now)
            return .decided(record, deliveryID: deliveryID)
        }
    }

    /// Records a reviewer's decision on a case and closes the case (escalated, or decided), marked
    /// if it is the case's first, or its first other than an escalation (schema version 19).
    /// Callers lock or insert a row first (the case, the appeal, the entity, the removal order),
    /// so the transaction has its id before it takes the decision's: the index of removed texts
    /// keeps an id it passed over while a transaction under way at that read may still commit it
    /// (``ModerationStore/writesUnderWay()``), which a transaction without an id would not be.
    func recordDecision(
        _ db: PostgresConnection, caseID: Int64, reviewer: String, decision: NewDecision, now: Int64
    ) async throws -> DecisionRecord {
        let decisionID = try await insertedID(
            db,
            """
            INSERT INTO decisions (case_id, reviewer, action, category, exemption, note, created_at, countries,
                first_of_case, first_ruling)
            VALUES (\(caseID), \(reviewer), \(decision.action.rawValue), \(decision.category?.rawValue),
                \(decision.exemption), \(decision.note), \(now), \(DecisionRecord.storedCountries(decision.countries)),
                NOT EXISTS (SELECT 1 FROM decisions WHERE case_id = \(caseID)),
                \(decision.action != .escalate) AND NOT EXISTS (SELECT 1 FROM decisions WHERE case_id = \(caseID) AND action <> 'escalate'))
            RETURNING id
            """)
        let status = decision.action == .escalate ? CaseStatus.escalated : CaseStatus.decided
        try await execute(
            db,
            """
            UPDATE cases SET status = \(status.rawValue), claimed_by = NULL, claim_until = NULL, updated_at = \(now)
            WHERE id = \(caseID)
            """)
        if Preservation.preserves(decision.action) {
            try await execute(
                db,
                """
                INSERT INTO preservations (item_id, decision_id, preserved_at, expires_at)
                SELECT item_id, \(decisionID), \(now), \(Preservation.expiry(from: now)) FROM cases WHERE id = \(caseID) AND item_id IS NOT NULL
                ON CONFLICT (item_id) DO NOTHING
                """)
        }
        return DecisionRecord(
            id: decisionID, caseID: caseID, reviewer: reviewer, action: decision.action, category: decision.category,
            exemption: decision.exemption, note: decision.note, createdAt: now, countries: decision.countries)
    }

    /// Queues a webhook delivery in the outbox; returns its delivery id.
    func enqueueDelivery(_ db: PostgresConnection, event: String, body: String, now: Int64) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await execute(
            db,
            """
            INSERT INTO deliveries (delivery_id, event, body, status, attempts, next_attempt_at, created_at)
            VALUES (\(id), \(event), \(body), 'pending', 0, \(now), \(now))
            """)
        return id
    }

    // MARK: Reports

    public func report(
        itemID: Int64, reporter: String, trusted: Bool, reason: String, text: String?, basePriority: Double,
        contentKey: String?, now: Int64
    ) async throws -> ReportOutcome {
        try await transaction { db in
            // Reports of one item are serialised on the item's row: concurrent first reports open
            // one case, and a reporter's second report is merged, not a unique-key error.
            let item = try await rows(
                db, "SELECT category, language FROM items WHERE id = \(itemID) FOR NO KEY UPDATE"
            ).first?.decode((String?, String).self)
            if let existing = try await rows(
                db, "SELECT * FROM reports WHERE item_id = \(itemID) AND reporter = \(reporter)"
            ).first {
                return ReportOutcome(report: try Self.report(existing), duplicate: true)
            }
            var caseID = try await rows(db, "SELECT id FROM cases WHERE item_id = \(itemID)").first?.decode(Int64.self)
            if let id = caseID {
                // More reports raise the priority; a decided case is reopened by a new report
                // only through an appeal (due process), so its status is kept.
                try await execute(
                    db,
                    """
                    UPDATE cases SET user_reports = user_reports + \(trusted ? Int64(0) : 1),
                        trusted_reports = trusted_reports + \(trusted ? Int64(1) : 0),
                        base_priority = base_priority + \(trusted ? ReviewPriority.trustedReportWeight : ReviewPriority.userReportWeight), updated_at = \(now)
                    WHERE id = \(id)
                    """)
            } else {
                let source = trusted ? CaseSource.trustedFlagger.rawValue : CaseSource.userReport.rawValue
                caseID = try await insertedID(
                    db,
                    """
                    INSERT INTO cases (item_id, source, status, base_priority, category, language, user_reports,
                        trusted_reports, created_at, updated_at, content_key)
                    VALUES (\(itemID), \(source), 'open', \(basePriority), \(item?.0), \(item?.1),
                        \(trusted ? Int64(0) : 1), \(trusted ? Int64(1) : 0), \(now), \(now), \(contentKey))
                    RETURNING id
                    """)
            }
            let reportID = try await insertedID(
                db,
                """
                INSERT INTO reports (item_id, case_id, reporter, trusted, reason, text, status, created_at)
                VALUES (\(itemID), \(caseID), \(reporter), \(trusted), \(reason), \(text), 'open', \(now))
                RETURNING id
                """)
            let report = ReportRecord(
                id: reportID, itemID: itemID, caseID: caseID, reporter: reporter, trusted: trusted, reason: reason,
                text: text, status: "open", createdAt: now)
            return ReportOutcome(report: report, duplicate: false)
        }
    }

    public func report(id: Int64) async throws -> ReportRecord? {
        try await read("SELECT * FROM reports WHERE id = \(id)").first.map(Self.report)
    }

    // MARK: Webhook deliveries

    public func claimDeliveries(owner: String, now: Int64, lease: Int64, limit: Int) async throws -> [DeliveryRecord] {
        // One statement: rows another worker is claiming right now are skipped, not waited for.
        try await read(
            """
            UPDATE deliveries SET lease_owner = \(owner), lease_until = \(now + lease)
            WHERE id IN (
                SELECT id FROM deliveries
                WHERE status = 'pending' AND next_attempt_at <= \(now) AND (lease_until IS NULL OR lease_until < \(now))
                ORDER BY id LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING *
            """
        ).map(Self.delivery).sorted { $0.id < $1.id }
    }

    public func deliverySucceeded(id: Int64, now: Int64) async throws {
        _ = try await read(
            """
            UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = \(now),
                lease_owner = NULL, lease_until = NULL, last_error = NULL
            WHERE id = \(id) AND status <> 'delivered'
            """)
    }

    public func deliveryFailed(id: Int64, error: String, nextAttemptAt: Int64?, now: Int64) async throws {
        _ = try await read(
            """
            UPDATE deliveries SET status = \(nextAttemptAt == nil ? "dead" : "pending"), attempts = attempts + 1,
                next_attempt_at = \(nextAttemptAt ?? now), last_error = \(String(error.prefix(500))),
                lease_owner = NULL, lease_until = NULL
            WHERE id = \(id) AND status = 'pending'
            """)
    }

    public func releaseDelivery(id: Int64, owner: String) async throws {
        _ = try await read(
            """
            UPDATE deliveries SET lease_owner = NULL, lease_until = NULL
            WHERE id = \(id) AND lease_owner = \(owner) AND status = 'pending'
            """)
    }

    public func redeliver(deliveryID: String, now: Int64) async throws -> Bool {
        try await !read(
            """
            UPDATE deliveries SET status = 'pending', next_attempt_at = \(now), lease_owner = NULL, lease_until = NULL
            WHERE delivery_id = \(deliveryID)
            RETURNING id
            """
        ).isEmpty
    }

    public func deliveries(status: String?, afterID: Int64, limit: Int) async throws -> [DeliveryRecord] {
        if let status {
            return try await read("SELECT * FROM deliveries WHERE status = \(status) AND id > \(afterID) ORDER BY id LIMIT \(limit)")
                .map(Self.delivery)
        }
        return try await read("SELECT * FROM deliveries WHERE id > \(afterID) ORDER BY id LIMIT \(limit)").map(Self.delivery)
    }

    // MARK: Keys

    public func createKey(name: String, role: Role, prefix: String, hash: String, now: Int64) async throws
        -> APIKeyRecord
    {
        try await transaction { db in
            let id = try await insertedID(
                db,
                """
                INSERT INTO api_keys (name, role, prefix, hash, created_at)
                VALUES (\(name), \(role.rawValue), \(prefix), \(hash), \(now))
                RETURNING id
                """)
            let record = APIKeyRecord(id: id, name: name, role: role, prefix: prefix, createdAt: now)
            try await audit(
                db, actor: "cli", action: "key.create", subject: "key:\(record.id)",
                detail: "{\"name\":\(JSONText.encode(name)),\"role\":\"\(role.rawValue)\"}", now: now)
            return record
        }
    }

    public func key(hash: String) async throws -> APIKeyRecord? {
        try await read("SELECT * FROM api_keys WHERE hash = \(hash)").first.map(Self.key)
    }

    public func keys() async throws -> [APIKeyRecord] {
        try await read("SELECT * FROM api_keys ORDER BY id").map(Self.key)
    }

    public func revokeKey(id: Int64, actor: String, now: Int64) async throws -> Bool {
        try await transaction { db in
            let revoked = try await rows(
                db, "UPDATE api_keys SET revoked_at = \(now) WHERE id = \(id) AND revoked_at IS NULL RETURNING id")
            guard !revoked.isEmpty else { return false }
            try await audit(db, actor: actor, action: "key.revoke", subject: "key:\(id)", detail: "{}", now: now)
            return true
        }
    }

    // MARK: Audit and settings

    public func appendAudit(actor: String, action: String, subject: String, detail: String, now: Int64) async throws {
        try await transaction { db in
            try await audit(db, actor: actor, action: action, subject: subject, detail: detail, now: now)
        }
    }

    public func auditLog(after seq: Int64, limit: Int) async throws -> [AuditRecord] {
        try await read("SELECT * FROM audit_log WHERE seq > \(seq) ORDER BY seq LIMIT \(limit)").map { row in
            let c = Cells(row)
            return try AuditRecord(
                seq: c["seq"], at: c["at"], actor: c["actor"], action: c["action"], subject: c["subject"],
                detail: c["detail"], previousHash: c["prev_hash"], hash: c["hash"])
        }
    }

    public func auditEntries(_ q: AuditQuery) async throws -> [AuditRecord] {
        let rows: [PostgresRow]
        if let after = q.after {
            rows = try await read(
                """
                SELECT * FROM audit_log WHERE seq > \(after)
                    AND (\(q.actor)::TEXT IS NULL OR actor = \(q.actor)) AND (\(q.action)::TEXT IS NULL OR action = \(q.action))
                ORDER BY seq LIMIT \(q.limit)
                """)
        } else {
            rows = try await read(
                """
                SELECT * FROM audit_log WHERE seq < \(q.before ?? Int64.max)
                    AND (\(q.actor)::TEXT IS NULL OR actor = \(q.actor)) AND (\(q.action)::TEXT IS NULL OR action = \(q.action))
                ORDER BY seq DESC LIMIT \(q.limit)
                """)
        }
        return try rows.map { row in
            let c = Cells(row)
            return try AuditRecord(
                seq: c["seq"], at: c["at"], actor: c["actor"], action: c["action"], subject: c["subject"],
                detail: c["detail"], previousHash: c["prev_hash"], hash: c["hash"])
        }
    }

    public func setting(_ key: String) async throws -> String? {
        try await read("SELECT value FROM settings WHERE key = \(key)").first?.decode(String.self)
    }

    public func setSetting(_ key: String, _ value: String, actor: String, now: Int64) async throws {
        try await transaction { db in
            try await execute(
                db,
                """
                INSERT INTO settings (key, value) VALUES (\(key), \(value))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """)
            // Secrets are not written to the audit log, only that they changed.
            let shown = key.contains("secret") ? "\"(changed)\"" : JSONText.encode(value)
            try await audit(
                db, actor: actor, action: "setting.change", subject: "setting:\(key)", detail: "{\"value\":\(shown)}",
                now: now)
        }
    }

    /// Appends one audit entry inside the caller's transaction. The advisory lock, held until
    /// that transaction ends, orders the chain across connections and processes: a row lock on
    /// the head would not do, as an empty table has no row to lock.
    func audit(_ db: PostgresConnection, actor: String, action: String, subject: String, detail: String, now: Int64)
        async throws
    {
        try await execute(db, "SELECT pg_advisory_xact_lock(\(Self.auditLock))")
        let last = try await rows(db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").first?
            .decode((Int64, String).self)
        let seq = (last?.0 ?? 0) + 1
        let previous = last?.1 ?? AuditRecord.genesis
        let hash = AuditRecord.chainHash(
            previous: previous, seq: seq, at: now, actor: actor, action: action, subject: subject, detail: detail)
        try await execute(
            db,
            """
            INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
            VALUES (\(seq), \(now), \(actor), \(action), \(subject), \(detail), \(previous), \(hash))
            """)
        try await execute(
            db,
            """
            INSERT INTO settings (key, value) VALUES ('audit.head', \(hash))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """)
    }

    // MARK: Queries

    /// Runs `body` in one transaction on one connection; an error from the body is rethrown as
    /// it is (after the rollback), as SQLite's store does.
    ///
    /// Not postgres-nio's `withTransaction`: after a failed statement it sends ROLLBACK on the same
    /// connection, and when the failure was the connection dropping (a database restart), that
    /// ROLLBACK is written to a closed channel, lost without an error (postgres-nio writes queries
    /// with no write promise) and never answered, so the transaction, its caller and the pool's
    /// lease on the connection waited for ever (seen in the restart test: every later ingest
    /// waited behind it). Here no ROLLBACK, and no other statement, is sent on a closed
    /// connection (the server has rolled the transaction back already).
    func transaction<T>(_ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        try await client.withConnection { db in
            try await execute(db, "BEGIN")
            let value: T
            do {
                value = try await body(db)
            } catch {
                if !db.isClosed {
                    do { try await execute(db, "ROLLBACK") } catch { logger.debug("ROLLBACK failed: \(PostgresStoreError.reason(error))") }
                }
                throw error
            }
            try await execute(db, "COMMIT")
            return value
        }
    }

    /// One statement outside a transaction, all its rows read.
    func read(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await client.withConnection { db in try await rows(db, query) }
    }

    /// One statement on `db`, all its rows read. Not sent on a connection already closed, where
    /// it would be lost and never answered (see ``transaction(_:)``); and one sent just as the
    /// connection closes, which postgres-nio can lose as well, fails when the connection's close
    /// is seen (``StatementWatch``) instead of holding its caller, and the connection, for ever.
    func rows(_ db: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRow] {
        try await rows(db, query, decoding: { $0 })
    }

    /// ``rows(_:_:)``, each row decoded as it arrives: the rows of a large page are decoded
    /// while the server still sends the rest, instead of after the last.
    func rows<T: Sendable>(
        _ db: PostgresConnection, _ query: PostgresQuery, decoding decode: @escaping @Sendable (PostgresRow) throws -> T
    ) async throws -> [T] {
        try await fold(db, query, into: []) { decoded, row in decoded.append(try decode(row)) }
    }

    /// One statement on `db`, each row folded into `initial` as it arrives and then let go: a
    /// statement of a million rows holds no row longer than its step (as ``rows(_:_:)``, not
    /// sent on a closed connection, failed when the connection's close is seen).
    func fold<T: Sendable>(
        _ db: PostgresConnection, _ query: PostgresQuery, into initial: T,
        _ step: @escaping @Sendable (inout T, PostgresRow) throws -> Void
    ) async throws -> T {
        guard !db.isClosed else { throw PostgresConnectionDropped() }
        let logger = self.logger
        return try await watches.watch(db).run {
            var value = initial
            for try await row in try await db.query(query, logger: logger) { try step(&value, row) }
            return value
        }
    }

    /// A statement whose rows, if any, are not needed (they are read all the same, so the
    /// connection is free for the next statement).
    func execute(_ db: PostgresConnection, _ query: PostgresQuery) async throws {
        _ = try await rows(db, query)
    }

    /// The id of the row an `INSERT ... RETURNING id` made.
    func insertedID(_ db: PostgresConnection, _ query: PostgresQuery) async throws -> Int64 {
        guard let id = try await rows(db, query).first?.decode(Int64.self) else {
            throw PostgresStoreError(.unexpectedResult, "an insert returned no id")
        }
        return id
    }

    // MARK: Rows

    /// A row's cells by column name, each decoded to the type the context asks for.
    struct Cells {
        let row: PostgresRandomAccessRow

        init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

        subscript<T: PostgresDecodable>(_ column: String) -> T {
            get throws { try row[column].decode(T.self) }
        }
    }


    static func item(_ row: PostgresRow) throws -> ItemRecord {
        let c = Cells(row)
        return try ItemRecord(
            id: c["id"], platform: c["platform"], externalID: c["external_id"], type: c["type"], text: c["text"],
            author: c["author"], containerID: c["container_id"], containerTitle: c["container_title"],
            containerReach: c["container_reach"], postedAt: c["posted_at"], receivedAt: c["received_at"],
            decision: Decision(rawValue: c["decision"]) ?? .none, score: c["score"], language: c["language"],
            verdictJSON: c["verdict"])
    }

    static func caseRecord(_ row: PostgresRow) throws -> CaseRecord {
        let c = Cells(row)
        return try CaseRecord(
            id: c["id"], itemID: c["item_id"], entityID: c["entity_id"], source: CaseSource(rawValue: c["source"]) ?? .proactive,
            status: CaseStatus(rawValue: c["status"]) ?? .open, basePriority: c["base_priority"],
            priority: c["priority"], category: (c["category"] as String?).flatMap(Category.init(rawValue:)),
            language: c["language"], userReports: c["user_reports"], trustedReports: c["trusted_reports"],
            claimedBy: c["claimed_by"], claimUntil: c["claim_until"], createdAt: c["created_at"],
            updatedAt: c["updated_at"])
    }

    static func report(_ row: PostgresRow) throws -> ReportRecord {
        let c = Cells(row)
        return try ReportRecord(
            id: c["id"], itemID: c["item_id"], caseID: c["case_id"], reporter: c["reporter"], trusted: c["trusted"],
            reason: c["reason"], text: c["text"], status: c["status"], createdAt: c["created_at"])
    }

    static func decision(_ row: PostgresRow) throws -> DecisionRecord {
        let c = Cells(row)
        return try DecisionRecord(
            id: c["id"], caseID: c["case_id"], reviewer: c["reviewer"],
            action: ModerationAction(rawValue: c["action"]) ?? .escalate,
            category: (c["category"] as String?).flatMap(Category.init(rawValue:)), exemption: c["exemption"],
            note: c["note"], createdAt: c["created_at"], countries: DecisionRecord.countries(stored: c["countries"]))
    }

    static func delivery(_ row: PostgresRow) throws -> DeliveryRecord {
        let c = Cells(row)
        return try DeliveryRecord(
            id: c["id"], deliveryID: c["delivery_id"], event: c["event"], body: c["body"], status: c["status"],
            attempts: c["attempts"], nextAttemptAt: c["next_attempt_at"], lastError: c["last_error"])
    }

    static func key(_ row: PostgresRow) throws -> APIKeyRecord {
        let c = Cells(row)
        return try APIKeyRecord(
            id: c["id"], name: c["name"], role: Role(rawValue: c["role"]) ?? .ingest, prefix: c["prefix"],
            createdAt: c["created_at"], revokedAt: c["revoked_at"])
    }
}

/// Where a PostgreSQL database is and how to reach it, from a URL as libpq takes it:
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE` (or `postgresql://`). The port
/// defaults to 5432, the database to the user name; user and password are percent-decoded.
/// `sslmode` is `disable`, `prefer` (the default, as in libpq: TLS if the server offers it,
/// certificate not checked), `require` (TLS, certificate not checked) or `verify-full` (TLS
/// with the certificate checked against the system's roots and the host name).
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable {
        case disable
        case prefer
        case require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// The most connections the store's pool opens.
    public var maximumConnections = 20

    public init(_ url: String) throws {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"), let parts = URLComponents(string: url)
        else {
            throw PostgresStoreError(.invalidURL, "not a postgres://USER:PASSWORD@HOST:PORT/DATABASE URL")
        }
        guard let host = parts.host, !host.isEmpty else {
            throw PostgresStoreError(.invalidURL, "the URL names no host")
        }
        guard let username = parts.user, !username.isEmpty else {
            throw PostgresStoreError(.invalidURL, "the URL names no user (postgres://USER:PASSWORD@HOST/DATABASE)")
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = parts.port ?? 5432
        self.username = username
        self.password = parts.password
        let path = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        self.database = path.isEmpty ? username : path
        var tls = TLSMode.prefer
        for item in parts.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw PostgresStoreError(.invalidURL, "unknown URL parameter \(item.name) (sslmode is the one known)")
            }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                throw PostgresStoreError(
                    .invalidURL,
                    "sslmode must be disable, prefer, require or verify-full, not \(item.value ?? "nothing")")
            }
            tls = mode
        }
        self.tls = tls
    }

    /// The URL without the password.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)" }

    var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if tls != .verifyFull { configuration.certificateVerification = .none }
        return configuration
    }

    public var clientConfiguration: PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(tlsConfiguration)
            case .require, .verifyFull: .require(tlsConfiguration)
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: mode)
        configuration.options.maximumConnections = maximumConnections
        return configuration
    }

    /// For a single connection (`PostgresConnection.connect`), outside the store's pool.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration))
            case .require, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration))
            }
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: mode)
    }

    /// Opens one connection and closes it: throws `PostgresStoreError.unreachable` with the
    /// reason (refused, timed out, authentication failed, no such database).
    public func checkConnection(logger: Logger) async throws {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: connectionConfiguration(), id: 0, logger: logger)
        } catch {
            throw PostgresStoreError(.unreachable, "cannot connect to \(self): \(PostgresStoreError.reason(error))")
        }
        try? await connection.close()
    }
}

/// An error of the PostgreSQL store itself (errors from the server come as postgres-nio's `PSQLError`).
public struct PostgresStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidURL = "invalid database URL"
            case unreachable = "database unreachable"
            case unexpectedResult = "unexpected result"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let invalidURL = Code(.invalidURL)
        public static let unreachable = Code(.unreachable)
        public static let unexpectedResult = Code(.unexpectedResult)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// What went wrong, in words: the server's message if it sent one, else the network error.
    /// (`PSQLError`'s own description is deliberately generic.)
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

/// A statement not sent because its connection had closed.
struct PostgresConnectionDropped: Error, CustomStringConvertible {
    var description: String { "the connection to PostgreSQL had closed; the statement was not sent" }
}

/// Whether `task` finishes within `limit` (it is waited for no longer, and not cancelled).
func finishes(_ task: Task<Void, Never>, within limit: Duration) async -> Bool {
    let outcome = AsyncStream<Bool>.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
    let waiter = Task {
        await task.value
        outcome.continuation.yield(true)
    }
    let timer = Task {
        try? await Task.sleep(for: limit)
        outcome.continuation.yield(false)
    }
    var finished = false
    for await value in outcome.stream {
        finished = value
        break
    }
    timer.cancel()
    if !finished { waiter.cancel() }
    return finished
}
