import BulwarkCore
import BulwarkEntities
import PostgresNIO

/// The console's reads on PostgreSQL: the same as SQLite's.
extension PostgresStore {
    public func queueCounts() async throws -> QueueCounts {
        let groups = try await read(
            """
            SELECT source, language, category, COUNT(*) FROM cases
            WHERE status IN ('open', 'claimed', 'escalated') GROUP BY source, language, category
            """
        ).map { row in
            let (source, language, category, count) = try row.decode((String, String?, String?, Int64).self)
            return (source: source, language: language, category: category, count: Int(count))
        }
        return QueueCounts(groups: groups)
    }

    public func entityTimeline(entityID: Int64, limit: Int) async throws -> [EntityTimelineEntry] {
        guard let kind = try await read("SELECT kind FROM entities WHERE id = \(entityID)").first?.decode(String.self)
        else { return [] }
        let limit = Int64(max(1, min(limit, 500)))
        let query: PostgresQuery
        if EntityKind(rawValue: kind) == .account {
            query = """
                SELECT i.*, c.id AS case_id, c.status AS case_status,
                    (SELECT d.action FROM decisions d WHERE d.case_id = c.id ORDER BY d.id DESC LIMIT 1) AS last_action
                FROM items i LEFT JOIN cases c ON c.item_id = i.id
                WHERE i.author_entity_id = \(entityID)
                ORDER BY COALESCE(i.posted_at, i.received_at) DESC, i.id DESC LIMIT \(limit)
                """
        } else {
            query = """
                SELECT i.*, c.id AS case_id, c.status AS case_status,
                    (SELECT d.action FROM decisions d WHERE d.case_id = c.id ORDER BY d.id DESC LIMIT 1) AS last_action
                FROM items i LEFT JOIN cases c ON c.item_id = i.id
                WHERE i.container_entity_id = \(entityID)
                ORDER BY COALESCE(i.posted_at, i.received_at) DESC, i.id DESC LIMIT \(limit)
                """
        }
        return try await read(query).map { row in
            let c = Cells(row)
            return EntityTimelineEntry(
                item: try Self.item(row), caseID: try c["case_id"],
                caseStatus: (try c["case_status"] as String?).flatMap(CaseStatus.init(rawValue:)),
                lastAction: (try c["last_action"] as String?).flatMap(ModerationAction.init(rawValue:)))
        }
    }

    public func itemContext(itemID: Int64) async throws -> ItemContext? {
        // One transaction, so the parts agree with each other.
        try await transaction { db in
            guard
                let item = try await rows(
                    db, "SELECT urls, author_entity_id, container_entity_id FROM items WHERE id = \(itemID)"
                ).first?.decode((String?, Int64?, Int64?).self)
            else { return nil }
            var author: EntityRecord?
            var container: EntityRecord?
            for e in try await rows(
                db,
                """
                SELECT * FROM entities WHERE id = \(item.1 ?? -1) OR id = \(item.2 ?? -1)
                """
            ).map(Self.entity) {
                if e.id == item.1 { author = e } else { container = e }
            }
            let media = try await rows(
                db,
                """
                SELECT id, status, pdq, quality, frames, matched_at, match_evidence, octet_length(bytes) = 0 AS hashes_only
                FROM media WHERE item_id = \(itemID) ORDER BY id
                """
            ).map { row in
                let (id, status, pdq, quality, frames, matchedAt, evidence, hashesOnly) = try row.decode(
                    (Int64, String, String?, Int64?, String?, Int64?, String?, Bool).self)
                return MediaPartRecord(
                    id: id, status: status, pdq: pdq, quality: quality.map(Int.init), frames: try FramePDQ.parse(frames),
                    matchedAt: matchedAt,
                    matchEvidence: evidence, hashesOnly: hashesOnly)
            }
            return ItemContext(urls: ItemContext.urls(item.0), author: author, container: container, media: media)
        }
    }
}
