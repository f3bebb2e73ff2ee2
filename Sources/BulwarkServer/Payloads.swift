import BulwarkCore
import BulwarkStore
import Foundation

/// `POST /v1/items` accepts one item or `{"items": [...]}`.
struct ItemPayload: Decodable, Sendable, Equatable {
    struct Container: Decodable, Sendable, Equatable {
        var id: String?
        var title: String?
        var kind: String?
        /// Its avatar as PDQ hex (64 digits).
        var avatar_pdq: String?
        var followers: Int?
        var members: Int?
    }

    /// Followers and members: 0 ... 10 billion (more than there are people). A larger or negative
    /// figure is a 400: it would otherwise reach the priority and the entity's risk.
    static let maxReach = 10_000_000_000
    /// `posted_at`: from 1970 to the end of the year 9999 (Unix seconds), so that the entity
    /// signals' time arithmetic cannot overflow.
    static let postedAtRange: ClosedRange<Int64> = 0...253_402_300_799

    /// The latest time a frame sent as a hash may name (`frames[].second`): a week, in seconds.
    static let maxFrameSecond = 604_800

    /// A media part: its bytes (`data`), or, for a part the platform hashed itself (a video
    /// too large to send, say), its hashes only: `md5`, `sha256`, `pdq` (hex), `pdq_quality`, and
    /// `frames`, the PDQ hashes of later frames (a video's keyframes, an animation's frames); or
    /// `vpdq`, a video's vPDQ hash, for the same.
    struct Media: Decodable, Sendable, Equatable {
        /// Base64 of the media bytes.
        var data: String?
        var content_type: String?
        var md5: String?
        var sha256: String?
        var pdq: String?
        var pdq_quality: Int?
        var frames: [Frame]?
        /// A video's vPDQ hash as HMA holds it (a JSON array of "hex,quality,seconds" strings, as
        /// text), in place of `pdq`, `pdq_quality` and `frames`.
        var vpdq: String?
    }

    /// A later frame's PDQ hash as the platform took it: `pdq` (hex) and `quality` (0 ... 100)
    /// required; `frame`, its number (1 or more; the first frame is the part's own `pdq`),
    /// defaults to its place in the list (1, 2, ...); `second`, a video frame's time from the
    /// start in whole seconds, optional.
    struct Frame: Decodable, Sendable, Equatable {
        var pdq: String?
        var quality: Int?
        var frame: Int?
        var second: Int?
    }

    var platform: String?
    var id: String
    var type: String?
    var text: String
    var urls: [String]?
    var lang: String?
    var author: String?
    /// The author's avatar as PDQ hex (64 digits).
    var author_avatar_pdq: String?
    var container: Container?
    var media: [Media]?
    /// Unix seconds.
    var posted_at: Int64?
}

/// The body of `POST /v1/items`, decoded once: a batch when it has `items`, else one item.
enum IngestBody: Decodable, Sendable, Equatable {
    case one(ItemPayload)
    case many([ItemPayload])

    private enum Key: String, CodingKey { case items }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        if container.contains(.items) {
            self = .many(try container.decode([ItemPayload].self, forKey: .items))
        } else {
            self = .one(try ItemPayload(from: decoder))
        }
    }

    var items: [ItemPayload] {
        switch self {
        case .one(let item): [item]
        case .many(let items): items
        }
    }
}

struct ReportPayload: Decodable, Sendable {
    var platform: String?
    /// The reported item's external id; it must have been sent to `/v1/items`, or `text`
    /// must be given so that it can be stored now.
    var item_id: String
    var text: String?
    var reporter: String
    var trusted_flagger: Bool?
    var reason: String
    var note: String?
}

struct DecisionPayload: Decodable, Sendable {
    var action: ModerationAction
    var category: Category?
    var exemption: String?
    var note: String?
    /// EU/EEA country codes where a `geo_block` (required) or a `restrict_visibility` (optional;
    /// everywhere without it) applies.
    var countries: [String]?
    /// Decide the case's open copies too (the open cases of the same text, ``ContentKey``), each
    /// with a decision of its own: same action, category, exemption and countries, the note
    /// naming the case they were decided with.
    var copies: Bool?

    /// The countries checked against the action: required for a geo-block, allowed for a
    /// visibility restriction, refused for anything else; sorted, each once.
    func checkedCountries() throws -> [String]? {
        guard let countries else {
            if action == .geoBlock {
                throw APIError.invalid("a geo_block names the EU/EEA countries it applies in (countries, as [\"DE\", \"AT\"])", field: "countries")
            }
            return nil
        }
        guard action == .geoBlock || action == .restrictVisibility else {
            throw APIError.invalid("countries is for geo_block and restrict_visibility only, not \(action.rawValue)", field: "countries")
        }
        let scope = StatementOfReasons.territorialScope(countries)
        guard let checked = scope.countries else { throw APIError.invalid(scope.problem ?? "countries is not valid", field: "countries") }
        return checked
    }
}

/// A page of a list: `{"<name>": [...], "<cursor>": id | null}`, the cursor (`next_before`,
/// `next_after`) being the id to pass (as `before`, `after`) for the next page, null on the last.
struct ListPage<Row: Encodable & Sendable>: Encodable, Sendable {
    var name: String
    var rows: [Row]
    var cursor: String
    var next: Int64?

    /// The page, whose next goes on from its last row's id when it is full (`limit` rows).
    init(_ name: String, _ rows: [Row], limit: Int, cursor: String, id: (Row) -> Int64) {
        self.name = name
        self.rows = rows
        self.cursor = cursor
        next = rows.count == limit ? rows.last.map(id) : nil
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(rows, forKey: Key(name))
        try container.encode(next, forKey: Key(cursor))  // null on the last page
    }
}

/// A webhook delivery as `GET /v1/deliveries` lists it (not its body: that is the platform's).
struct DeliveryView: Encodable, Sendable {
    var id: Int64
    var delivery_id: String
    var event: String
    var status: String
    var attempts: Int
    var next_attempt_at: Int64
    var last_error: String?

    init(_ d: DeliveryRecord) {
        id = d.id
        delivery_id = d.deliveryID
        event = d.event
        status = d.status
        attempts = d.attempts
        next_attempt_at = d.nextAttemptAt
        last_error = d.lastError
    }
}

struct JobView: Encodable, Sendable {
    var id: Int64
    var kind: String
    var ref: Int64
    var status: String
    var attempts: Int
    var run_after: Int64
    var lease_until: Int64?
    var last_error: String?
    /// When a done or failed job ended; null while queued or running (and for a job that ended
    /// before the column was added).
    var ended_at: Int64?

    init(_ j: JobStatusRecord) {
        id = j.id
        kind = j.kind
        ref = j.ref
        status = j.status
        attempts = j.attempts
        run_after = j.runAfter
        lease_until = j.leaseUntil
        last_error = j.lastError
        ended_at = j.endedAt
    }
}

struct CaseSummary: Encodable, Sendable {
    var id: Int64
    /// `item` or `entity`: what the case is about (`item_id` or `entity_id`).
    var subject: String
    var item_id: Int64?
    var entity_id: Int64?
    var external_id: String?
    var source: String
    var status: String
    var priority: Double
    var category: String?
    var language: String?
    var user_reports: Int
    var trusted_reports: Int
    var claimed_by: String?
    var claim_until: Int64?
    var created_at: Int64
    /// In a list: how many open copies of its text the case has (absent: none).
    var open_copies: Int? = nil
}

struct ReportStatus: Encodable, Sendable {
    var id: Int64
    var status: String
    var case_id: Int64?
    var duplicate: Bool?
    var created_at: Int64
}

extension CaseSummary {
    init(_ r: CaseRecord, externalID: String? = nil, openCopies: Int? = nil) {
        self.init(
            id: r.id, subject: r.entityID == nil ? "item" : "entity", item_id: r.itemID, entity_id: r.entityID,
            external_id: externalID, source: r.source.rawValue, status: r.status.rawValue,
            priority: (r.priority * 100).rounded() / 100, category: r.category?.rawValue, language: r.language,
            user_reports: r.userReports, trusted_reports: r.trustedReports, claimed_by: r.claimedBy,
            claim_until: r.claimUntil, created_at: r.createdAt, open_copies: openCopies)
    }
}
