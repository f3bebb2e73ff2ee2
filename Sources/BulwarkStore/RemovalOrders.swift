public import BulwarkCore
import Foundation

/// One item a removal order names: by the platform's ids (what Bulwark can act on), or by URL
/// (recorded, answered as not executable: Bulwark keeps no permalinks).
public struct RemovalTarget: Sendable, Hashable, Codable {
    public var platform: String?
    public var id: String?
    public var url: String?

    public init(platform: String? = nil, id: String? = nil, url: String? = nil) {
        self.platform = platform
        self.id = id
        self.url = url
    }
}

/// A removal order as received (TCO Annex I: the authority, its reference, the content, the
/// reasons and legal basis).
public struct NewRemovalOrder: Sendable, Hashable {
    public var authority: String
    public var reference: String
    /// The API key that delivered it.
    public var receivedBy: String
    public var legalBasis: String
    public var reasons: String
    /// The TCO Article 2(7) kind the order gives, when it gives one.
    public var category: Category?
    public var issuedAt: Int64?
    public var targets: [RemovalTarget]

    public init(
        authority: String, reference: String, receivedBy: String, legalBasis: String, reasons: String,
        category: Category?, issuedAt: Int64?, targets: [RemovalTarget]
    ) {
        self.authority = authority
        self.reference = reference
        self.receivedBy = receivedBy
        self.legalBasis = legalBasis
        self.reasons = reasons
        self.category = category
        self.issuedAt = issuedAt
        self.targets = targets
    }
}

/// What became of one target: executed (the item, its decision and webhook delivery) or not,
/// with the reason the authority is told (TCO Article 3(7) and 3(8)).
public struct RemovalTargetOutcome: Sendable, Hashable, Codable {
    public var target: RemovalTarget
    public var itemID: Int64? = nil
    public var decisionID: Int64? = nil
    public var deliveryID: String? = nil
    public var failure: String? = nil
}

public struct RemovalOrderRecord: Sendable, Hashable {
    public var id: Int64
    public var authority: String
    public var reference: String
    public var receivedBy: String
    public var legalBasis: String
    public var reasons: String
    public var category: Category?
    public var issuedAt: Int64?
    public var receivedAt: Int64
    public var deadlineAt: Int64
    /// When the ordered items were disabled (the decisions recorded and webhooks queued).
    public var actionedAt: Int64?
    public var outcomes: [RemovalTargetOutcome]
    /// When the platform confirmed the last executed item's removal (its webhook delivered);
    /// nil while any is pending, or when nothing could be executed.
    public var confirmedAt: Int64?
    /// Webhooks of this order not yet delivered.
    public var pendingDeliveries: Int

    public var executedCount: Int { outcomes.count { $0.decisionID != nil } }

    /// The one-hour clock: complete once every executed item's removal is confirmed.
    public var clock: RemovalOrderClock { RemovalOrderClock(receivedAt: receivedAt, completedAt: confirmedAt) }
}

public enum ReceiveOrderOutcome: Sendable, Hashable {
    case received(RemovalOrderRecord)
    /// The authority already sent an order with this reference: the first is returned.
    case duplicate(RemovalOrderRecord)
}

/// A restricting decision with what its statement of reasons needs.
public struct StatementSource: Sendable, Hashable {
    public var decision: DecisionRecord
    public var source: CaseSource
    public var itemID: Int64?
    public var entityID: Int64?
    /// When the content was posted (or received; for an entity, when it was first seen).
    public var contentTime: Int64
    public var language: String?
    public var mediaCount: Int
    public var removalOrderReference: String?
}

/// Shared by both stores: the outcome list as stored (JSON text).
enum RemovalOrderText {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    static func outcomes(_ text: String) -> [RemovalTargetOutcome] {
        (try? JSONDecoder().decode([RemovalTargetOutcome].self, from: Data(text.utf8))) ?? []
    }

    static func failure(for target: RemovalTarget) -> String? {
        if target.platform == nil || target.id == nil {
            return target.url != nil
                ? "a URL alone cannot be executed: Bulwark knows content by the platform's item id; send platform and id"
                : "the target names no item (platform and id are required)"
        }
        return nil
    }
}

/// The statement-sources query, one text for both stores (only integers are interpolated).
enum StatementQueries {
    static func sources(afterDecisionID: Int64, limit: Int) -> String {
        """
        SELECT d.*, c.source AS case_source, c.item_id AS case_item, c.entity_id AS case_entity,
            COALESCE(i.posted_at, i.received_at, e.first_seen, d.created_at) AS content_time,
            i.language AS item_language, COALESCE(i.media_count, 0) AS item_media, o.reference AS order_reference
        FROM decisions d JOIN cases c ON c.id = d.case_id
        LEFT JOIN items i ON i.id = c.item_id
        LEFT JOIN entities e ON e.id = c.entity_id
        LEFT JOIN removal_orders o ON o.id = d.removal_order_id
        WHERE d.id > \(afterDecisionID) AND d.action IN \(TransparencyQueries.restricting)
        ORDER BY d.id LIMIT \(limit)
        """
    }

    /// When the platform confirmed an order (its last webhook delivered), and how many are
    /// pending, from the deliveries' (status, delivered_at).
    static func confirmation(_ deliveries: [(status: String?, deliveredAt: Int64?)]) -> (confirmedAt: Int64?, pending: Int) {
        var pending = 0
        var last: Int64? = nil
        for d in deliveries {
            if d.status == "delivered", let at = d.deliveredAt { last = max(last ?? at, at) } else { pending += 1 }
        }
        return (pending == 0 ? last : nil, pending)
    }
}
