import BulwarkCore
import BulwarkEntities
import GRDB

/// The console's reads on SQLite.
extension SQLiteStore {
    /// Grouped by status as well, in the order of the queue's index (schema version 21), so the
    /// groups come from the index without a sort (`QueueCounts` adds up a group's statuses).
    static let queueCountsSQL = """
        SELECT source, language, category, COUNT(*) AS n FROM cases
        WHERE status IN ('open', 'claimed', 'escalated') GROUP BY status, source, language, category
        """

    public func queueCounts() async throws -> QueueCounts {
        try await writer.read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: Self.queueCountsSQL))
            return QueueCounts(
                groups: rows.map {
                    (source: $0["source"], language: $0["language"], category: $0["category"], count: $0["n"])
                })
        }
    }

    public func entityTimeline(entityID: Int64, limit: Int) async throws -> [EntityTimelineEntry] {
        try await writer.read { db in
            guard
                let kind = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT kind FROM entities WHERE id = ?"), arguments: [entityID])
            else { return [] }
            let column = Self.itemColumn(EntityKind(rawValue: kind) ?? .room)
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT i.*, c.id AS case_id, c.status AS case_status,
                        (SELECT d.action FROM decisions d WHERE d.case_id = c.id ORDER BY d.id DESC LIMIT 1) AS last_action
                    FROM items i LEFT JOIN cases c ON c.item_id = i.id
                    WHERE i.\(column) = ?
                    ORDER BY COALESCE(i.posted_at, i.received_at) DESC, i.id DESC LIMIT ?
                    """,
                arguments: [entityID, max(1, min(limit, 500))]
            ).map { row in
                EntityTimelineEntry(
                    item: Self.item(row), caseID: row["case_id"],
                    caseStatus: (row["case_status"] as String?).flatMap(CaseStatus.init(rawValue:)),
                    lastAction: (row["last_action"] as String?).flatMap(ModerationAction.init(rawValue:)))
            }
        }
    }

    public func itemContext(itemID: Int64) async throws -> ItemContext? {
        try await writer.read { db in
            guard
                let item = try Row.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT urls, author_entity_id, container_entity_id FROM items WHERE id = ?"),
                    arguments: [itemID])
            else { return nil }
            func entity(_ id: Int64?) throws -> EntityRecord? {
                guard let id else { return nil }
                return try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM entities WHERE id = ?"), arguments: [id])
                    .map(Self.entity)
            }
            let media = try Row.fetchAll(
                db.cachedStatement(
                    sql:
                        "SELECT id, status, pdq, quality, frames, matched_at, match_evidence, length(bytes) = 0 AS hashes_only FROM media WHERE item_id = ? ORDER BY id"
                ),
                arguments: [itemID]
            ).map {
                MediaPartRecord(
                    id: $0["id"], status: $0["status"], pdq: $0["pdq"], quality: $0["quality"],
                    frames: try FramePDQ.parse($0["frames"]), matchedAt: $0["matched_at"],
                    matchEvidence: $0["match_evidence"], hashesOnly: $0["hashes_only"])
            }
            return ItemContext(
                urls: ItemContext.urls(item["urls"]), author: try entity(item["author_entity_id"]),
                container: try entity(item["container_entity_id"]), media: media)
        }
    }
}
