public import BulwarkCore
public import BulwarkEntities
import Synchronization

/// One item as the platform sends it, after validation.
public struct NewItem: Sendable, Hashable {
    public var platform: String
    public var externalID: String
    public var type: String?
    public var text: String
    public var langHint: String?
    public var urls: [String]
    public var author: String?
    public var containerID: String?
    public var containerTitle: String?
    /// What the container is, when the platform says (a container first seen without it is a `room`).
    public var containerKind: EntityKind?
    /// The container's and the author's avatar as PDQ hex (64 digits), when the platform sends
    /// them: a banned entity's avatar on a new one is re-appearance evidence.
    public var containerAvatarPDQ: String?
    public var authorAvatarPDQ: String?
    public var containerReach: Int?
    public var postedAt: Int64?
    public var media: [[UInt8]]
    /// Media parts the platform hashed itself and sends as hashes only (a video too large to
    /// send, say): matched like parts sent whole, with no bytes kept.
    public var givenMedia: [StoredMediaHashes]

    public init(
        platform: String, externalID: String, type: String? = nil, text: String, langHint: String? = nil,
        urls: [String] = [], author: String? = nil, containerID: String? = nil, containerTitle: String? = nil,
        containerKind: EntityKind? = nil, containerReach: Int? = nil, postedAt: Int64? = nil, media: [[UInt8]] = [],
        containerAvatarPDQ: String? = nil, authorAvatarPDQ: String? = nil, givenMedia: [StoredMediaHashes] = []
    ) {
        self.givenMedia = givenMedia
        self.containerAvatarPDQ = containerAvatarPDQ
        self.authorAvatarPDQ = authorAvatarPDQ
        self.platform = platform
        self.externalID = externalID
        self.type = type
        self.text = text
        self.langHint = langHint
        self.urls = urls
        self.author = author
        self.containerID = containerID
        self.containerTitle = containerTitle
        self.containerKind = containerKind
        self.containerReach = containerReach
        self.postedAt = postedAt
        self.media = media
    }
}

/// A media part's hashes as text, lower-case hex: as the platform sent them for a part it did
/// not send whole (checked by the caller, at least one), or as the media job took them.
public struct StoredMediaHashes: Sendable, Hashable {
    public var pdq: String?
    public var quality: Int?
    public var md5: String?
    public var sha256: String?
    /// An animation's later frames that show another picture (`pdq` is the first frame's).
    public var frames: [FramePDQ]
    /// A still image turned by its orientation metadata: the hash of its pixels as stored.
    public var storedPixels: StoredPixelsPDQ?

    public init(
        pdq: String? = nil, quality: Int? = nil, md5: String? = nil, sha256: String? = nil, frames: [FramePDQ] = [],
        storedPixels: StoredPixelsPDQ? = nil
    ) {
        self.pdq = pdq
        self.quality = quality
        self.md5 = md5
        self.sha256 = sha256
        self.frames = frames
        self.storedPixels = storedPixels
    }
}

/// An item with the engine's verdict, ready to store: what `ingest` records in one transaction.
public struct ScannedItem: Sendable {
    public var item: NewItem
    public var decision: Decision
    public var score: Double
    public var category: Category?
    public var context: String?
    public var language: String
    /// The verdict as the data contract's JSON object.
    public var verdictJSON: String
    /// Open a case (decision `violating` or `review`) with this base priority; the store adds the
    /// entity part (`ReviewPriority.entityRiskWeight` × the higher risk of the item's author and
    /// container, as updated by the same ingest).
    public var casePriority: Double?
    /// The content key of the item's case (a hash of the normalised text; nil: none): the open
    /// cases that share it are copies a reviewer may decide together (``ModerationStore/openCopies(ofCase:limit:)``).
    public var contentKey: String?

    public init(
        item: NewItem, decision: Decision, score: Double, category: Category?, context: String?, language: String,
        verdictJSON: String, casePriority: Double?, contentKey: String? = nil
    ) {
        self.contentKey = contentKey
        self.item = item
        self.decision = decision
        self.score = score
        self.category = category
        self.context = context
        self.language = language
        self.verdictJSON = verdictJSON
        self.casePriority = casePriority
    }
}

public struct IngestOutcome: Sendable, Hashable {
    public var itemID: Int64
    /// False when (platform, external id) was already stored: nothing changed.
    public var created: Bool
    public var caseID: Int64?
    public var verdictJSON: String
    /// The entity rows of the item's author and container (also for an item stored before).
    public var authorEntityID: Int64?
    public var containerEntityID: Int64?

    public init(
        itemID: Int64, created: Bool, caseID: Int64?, verdictJSON: String, authorEntityID: Int64? = nil,
        containerEntityID: Int64? = nil
    ) {
        self.itemID = itemID
        self.created = created
        self.caseID = caseID
        self.verdictJSON = verdictJSON
        self.authorEntityID = authorEntityID
        self.containerEntityID = containerEntityID
    }
}

public struct CaseFilter: Sendable, Hashable {
    public var source: CaseSource?
    public var language: String?
    public var category: Category?
    public var status: CaseStatus?
    public var limit: Int

    public init(
        source: CaseSource? = nil, language: String? = nil, category: Category? = nil, status: CaseStatus? = nil,
        limit: Int = 50
    ) {
        self.source = source
        self.language = language
        self.category = category
        self.status = status
        self.limit = limit
    }
}

public struct CaseRecord: Sendable, Hashable, Codable {
    public var id: Int64
    /// An item case names its item, an entity case its entity: exactly one of the two is set.
    public var itemID: Int64?
    public var entityID: Int64?
    public var source: CaseSource
    public var status: CaseStatus
    public var basePriority: Double
    /// Base priority plus the waiting term at the time of reading.
    public var priority: Double
    public var category: Category?
    public var language: String?
    public var userReports: Int
    public var trustedReports: Int
    public var claimedBy: String?
    public var claimUntil: Int64?
    public var createdAt: Int64
    public var updatedAt: Int64
}

public struct ItemRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var platform: String
    public var externalID: String
    public var type: String?
    public var text: String
    public var author: String?
    public var containerID: String?
    public var containerTitle: String?
    public var containerReach: Int?
    public var postedAt: Int64?
    public var receivedAt: Int64
    public var decision: Decision
    public var score: Double
    public var language: String
    public var verdictJSON: String
}

public struct ReportRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var itemID: Int64
    public var caseID: Int64?
    public var reporter: String
    public var trusted: Bool
    public var reason: String
    public var text: String?
    public var status: String
    public var createdAt: Int64
}

/// A content key (``ScannedItem/contentKey``) as its 128 bits, as the index of removed texts holds
/// it, rather than its 32 hexadecimal digits in a String of their own.
public struct ContentKeyBits: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The key written as a content key is written, 32 hexadecimal digits (as UTF-8 bytes); nil
    /// for anything else (such a key was not made by this version and matches nothing).
    public init?(hex bytes: some Collection<UInt8>) {
        guard bytes.count == 32, let high = hexWord(bytes.prefix(16)), let low = hexWord(bytes.dropFirst(16)) else { return nil }
        self.high = high
        self.low = low
    }

    /// ``init(hex:)`` of the text's UTF-8.
    public init?(_ text: String) {
        self.init(hex: text.utf8)
    }

    /// Hashed by the low 64 bits alone: a key is part of a SHA-256, so they are as good as all
    /// 128.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(low)
    }

    /// A dictionary's hash, the same bits mixed with its per-process seed (a SplitMix64
    /// finaliser) so that which keys share a bucket is not known outside the process, without
    /// the standard library's `Hasher` (SipHash, set up for every key): it was 8% of the samples
    /// of the server's index reading a million decisions on PostgreSQL.
    public func _rawHashValue(seed: Int) -> Int {
        var z = low ^ UInt64(UInt(bitPattern: seed))
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int(truncatingIfNeeded: z ^ (z >> 31))
    }
}

/// A decision with its case's content key, nil when the case has none
/// (``ModerationStore/contentKeyDecisions(afterID:limit:)``).
public struct ContentKeyDecision: Sendable, Hashable {
    public var decisionID: Int64
    /// Nil also for a key that is not 32 hexadecimal digits (not made by this version: it matches
    /// nothing).
    public var contentKey: ContentKeyBits?
    public var caseID: Int64
    public var action: String
    public var category: Category?
    /// Store time of the decision (about when its id was taken).
    public var createdAt: Int64

    public init(
        decisionID: Int64, contentKey: ContentKeyBits?, caseID: Int64, action: String, category: Category?, createdAt: Int64
    ) {
        self.decisionID = decisionID
        self.contentKey = contentKey
        self.caseID = caseID
        self.action = action
        self.category = category
        self.createdAt = createdAt
    }
}

/// The SQL both stores read ``ContentKeyDecision``s with (columns: id, content key, case id,
/// action, category, time).
enum ContentKeyDecisionQueries {
    static let select =
        "SELECT d.id, c.content_key, d.case_id, d.action, d.category, d.created_at FROM decisions d JOIN cases c ON c.id = d.case_id"

    /// Ranges asked about in one statement (PostgreSQL; SQLite asks one range a statement): a
    /// bitmap of the primary key's ranges, a thousand gaps in a million decisions in 10–17 ms.
    static let rangesPerStatement = 100

    /// Statements for the keyed decisions whose ids are in `ranges`, each in id order, for
    /// ``rangesPerStatement`` ranges at most (the ranges' bounds are integers).
    static func keyed(inRanges ranges: [ClosedRange<Int64>]) -> [String] {
        stride(from: 0, to: ranges.count, by: rangesPerStatement).map { start in
            let within = ranges[start..<min(start + rangesPerStatement, ranges.count)]
                .map { "d.id BETWEEN \($0.lowerBound) AND \($0.upperBound)" }.joined(separator: " OR ")
            return "\(select) WHERE (\(within)) AND c.content_key IS NOT NULL ORDER BY d.id"
        }
    }
}

/// The write transactions under way in a PostgreSQL database (``ModerationStore/writesUnderWay()``):
/// the transaction ids of a snapshot (`pg_current_snapshot()`), 64 bits, so they never wrap.
public struct WritesUnderWay: Sendable, Hashable {
    /// The oldest transaction still under way (the snapshot's xmin): every transaction numbered
    /// below it has committed or rolled back.
    public var oldest: Int64
    /// The number the next transaction to write will get (the snapshot's xmax): every
    /// transaction under way at this snapshot is numbered below it.
    public var next: Int64

    public init(oldest: Int64, next: Int64) {
        self.oldest = oldest
        self.next = next
    }

    /// Whether a transaction under way at the snapshot `earlier` may still be: one numbered below
    /// its `next` has not ended yet.
    public func mayStillRun(from earlier: WritesUnderWay) -> Bool { oldest < earlier.next }
}

/// The removal that makes a text known content: the latest decision on its copies.
public struct RemovedText: Sendable, Hashable {
    public var caseID: Int64
    public var decisionID: Int64
    public var category: Category?

    public init(caseID: Int64, decisionID: Int64, category: Category?) {
        self.caseID = caseID
        self.decisionID = decisionID
        self.category = category
    }
}

public struct DecisionRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var caseID: Int64
    public var reviewer: String
    public var action: ModerationAction
    public var category: Category?
    public var exemption: String?
    public var note: String?
    public var createdAt: Int64
    /// The EU/EEA countries a geo-block or a visibility restriction applies in, sorted; nil:
    /// everywhere (every other action, and a restriction that names none).
    public var countries: [String]? = nil

    /// The countries as the decisions table stores them: "AT,DE", or NULL.
    public static func storedCountries(_ countries: [String]?) -> String? { countries?.joined(separator: ",") }
    /// The countries from the decisions table's text.
    public static func countries(stored: String?) -> [String]? {
        stored.flatMap { $0.isEmpty ? nil : $0.split(separator: ",").map(String.init) }
    }
}

public struct NewDecision: Sendable, Hashable {
    public var action: ModerationAction
    public var category: Category?
    public var exemption: String?
    public var note: String?
    /// Where it applies (a geo-block, a visibility restriction), checked by the caller; nil: everywhere.
    public var countries: [String]?

    public init(
        action: ModerationAction, category: Category? = nil, exemption: String? = nil, note: String? = nil,
        countries: [String]? = nil
    ) {
        self.action = action
        self.category = category
        self.exemption = exemption
        self.note = note
        self.countries = countries
    }
}

/// A webhook delivery waiting in the outbox.
public struct DeliveryRecord: Sendable, Hashable {
    public var id: Int64
    /// Stable across retries: the receiver deduplicates on it.
    public var deliveryID: String
    public var event: String
    public var body: String
    public var status: String
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastError: String?
}

public struct APIKeyRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var role: Role
    /// The first characters of the key, to tell keys apart in lists.
    public var prefix: String
    public var createdAt: Int64
    public var revokedAt: Int64?
}

public struct AuditRecord: Sendable, Hashable, Codable {
    public var seq: Int64
    public var at: Int64
    public var actor: String
    public var action: String
    public var subject: String
    public var detail: String
    public var previousHash: String
    public var hash: String

    /// The hash of an entry: SHA-256 over the previous hash and the entry's fields, each
    /// length-prefixed, so an edit, insertion or deletion anywhere breaks the chain after it.
    public static func chainHash(
        previous: String, seq: Int64, at: Int64, actor: String, action: String, subject: String, detail: String
    ) -> String {
        var bytes: [UInt8] = []
        for field in [previous, String(seq), String(at), actor, action, subject, detail] {
            let utf8 = Array(field.utf8)
            bytes += Array(String(utf8.count).utf8) + [0x3A] + utf8
        }
        return SHA256.hex(bytes)
    }

    public static let genesis = String(repeating: "0", count: 64)
}

/// A page of the audit log: entries of one actor and one action (each when given), either the
/// newest below `before` (newest first; from the end when nil), or, when `after` is given, the
/// oldest above it (oldest first).
public struct AuditQuery: Sendable, Hashable {
    public var after: Int64?
    public var before: Int64?
    public var actor: String?
    public var action: String?
    public var limit: Int

    public init(after: Int64? = nil, before: Int64? = nil, actor: String? = nil, action: String? = nil, limit: Int = 100) {
        self.after = after
        self.before = before
        self.actor = actor
        self.action = action
        self.limit = limit
    }
}

/// A case with everything a reviewer needs: its item, or for an entity case its entity.
public struct CaseDetail: Sendable {
    public var record: CaseRecord
    public var item: ItemRecord?
    /// An entity case's entity; for an item case, the riskier of the item's author and container.
    public var entity: EntityRecord?
    public var reports: [ReportRecord]
    public var decisions: [DecisionRecord]
}

public enum ClaimOutcome: Sendable, Hashable {
    case claimed(until: Int64)
    /// Held by another reviewer until the given time.
    case heldBy(String, until: Int64)
    case closed
    case notFound
}

public enum DecideOutcome: Sendable, Hashable {
    case decided(DecisionRecord, deliveryID: String?)
    case heldBy(String)
    case alreadyDecided
    case notFound
    /// The case is an entity's: decide it with `decideEntity`.
    case entityCase(entityID: Int64)
}

public struct ReportOutcome: Sendable, Hashable {
    public var report: ReportRecord
    /// True when the reporter had already reported this item: the earlier report is returned.
    public var duplicate: Bool
}

/// A background job claimed with a lease.
public struct JobRecord: Sendable, Hashable {
    public var id: Int64
    public var kind: String
    /// What the job works on: for `hash_media` the media id; for `retro_hunt` the first bank
    /// entry id of the hunt (every entry from it on is hunted).
    public var ref: Int64
    /// Attempts started before this claim (see ``ModerationStore/startJob(jobID:owner:until:)``).
    public var attempts: Int
}

/// A background job as `GET /v1/jobs` lists it.
public struct JobStatusRecord: Sendable, Hashable {
    public var id: Int64
    public var kind: String
    public var ref: Int64
    /// `queued`, `running`, `done` or `failed`.
    public var status: String
    /// Attempts started.
    public var attempts: Int
    /// When a queued job may be taken (a retry's time).
    public var runAfter: Int64
    /// Until when a running job's worker holds it.
    public var leaseUntil: Int64?
    public var lastError: String?
    /// When a done or failed job ended (nil while it is queued or running, and for a job that
    /// ended before schema version 24).
    public var endedAt: Int64?
}

/// One step of deleting old done jobs (``ModerationStore/deleteDoneJobs(endedBefore:after:limit:)``).
public struct DoneJobsDeleted: Sendable, Hashable {
    /// Done jobs looked at: those deleted and those kept.
    public var examined: Int
    public var deleted: Int
    /// The last job looked at, as `(run_after, id)`: where the next step starts.
    public var last: DoneJobPlace?

    public init(examined: Int, deleted: Int, last: DoneJobPlace?) {
        self.examined = examined
        self.deleted = deleted
        self.last = last
    }
}

/// A done job's place in the order old done jobs are deleted in: by `run_after`, then id.
public struct DoneJobPlace: Sendable, Hashable {
    public var runAfter: Int64
    public var id: Int64

    public init(runAfter: Int64, id: Int64) {
        self.runAfter = runAfter
        self.id = id
    }
}

/// A job its worker started (``ModerationStore/startJob(jobID:owner:until:)``).
public struct StartedJob: Sendable, Hashable {
    /// For a `hash_media` job, its part's bytes (empty for a part sent as hashes only; nil when
    /// the part is gone); nil for another kind.
    public var mediaBytes: [UInt8]?

    public init(mediaBytes: [UInt8]?) {
        self.mediaBytes = mediaBytes
    }
}

/// The kinds of background job, as stored in `jobs.kind`.
public enum JobKind {
    /// Hash one media part and match it against the banks (`ref`: media id).
    public static let hashMedia = "hash_media"
    /// Match stored media against bank entries added since `ref` (a bank entry id).
    public static let retroHunt = "retro_hunt"
}

/// A page of ``ModerationStore/casesWithoutContentKey(after:limit:)``: the cases whose item
/// has no media, with its text, and the id of the last case looked at (nil: none was left).
public struct KeylessCases: Sendable, Hashable {
    public var cases: [CaseText]
    public var through: Int64?

    public init(cases: [CaseText], through: Int64?) {
        self.cases = cases
        self.through = through
    }
}

/// A case and its item's text (``ModerationStore/casesWithoutContentKey(after:limit:)``).
public struct CaseText: Sendable, Hashable {
    public var caseID: Int64
    public var text: String

    public init(caseID: Int64, text: String) {
        self.caseID = caseID
        self.text = text
    }
}

/// What hashing one media part found.
public struct MediaResult: Sendable, Hashable {
    public var pdq: String?
    public var quality: Int?
    /// An animation's later frames that show another picture, stored beside `pdq` (the first
    /// frame's).
    public var frames: [FramePDQ] = []
    /// A still image turned by its orientation metadata: the hash of its pixels as stored,
    /// stored and matched beside `pdq` (the picture as shown).
    public var storedPixels: StoredPixelsPDQ?
    public var md5: String
    public var sha256: String
    /// When a bank matched: the decision and the base priority of the case to open or raise,
    /// and the evidence as JSON.
    public var matchDecision: Decision?
    public var matchCategory: Category?
    public var matchPriority: Double?
    public var matchEvidence: String?
    /// Why the part has no PDQ hash: it is not an image Bulwark decodes (a video, a damaged
    /// file), so only its exact hashes were matched.
    public var error: String?

    public init(
        pdq: String?, quality: Int?, md5: String, sha256: String, matchDecision: Decision? = nil,
        matchCategory: Category? = nil, matchPriority: Double? = nil, matchEvidence: String? = nil, error: String? = nil
    ) {
        self.error = error
        self.pdq = pdq
        self.quality = quality
        self.md5 = md5
        self.sha256 = sha256
        self.matchDecision = matchDecision
        self.matchCategory = matchCategory
        self.matchPriority = matchPriority
        self.matchEvidence = matchEvidence
    }
}

public struct QueueDepths: Sendable, Hashable {
    public var openCases: Int
    public var pendingJobs: Int
    public var pendingDeliveries: Int
    public var deadDeliveries: Int
    /// Background jobs failed, waiting to be done again (`POST /v1/jobs/{id}/retry`).
    public var failedJobs: Int

    public init(openCases: Int, pendingJobs: Int, pendingDeliveries: Int, deadDeliveries: Int, failedJobs: Int = 0) {
        self.openCases = openCases
        self.pendingJobs = pendingJobs
        self.pendingDeliveries = pendingDeliveries
        self.deadDeliveries = deadDeliveries
        self.failedJobs = failedJobs
    }
}

/// Bulwark's storage: one interface, a SQLite (GRDB) and a PostgreSQL (postgres-nio)
/// implementation with the same schema. Each method is one transaction.
public protocol ModerationStore: Sendable {
    /// Creates or upgrades the schema.
    func migrate() async throws

    /// Stores items idempotently on (platform, external id); opens cases as the scans say.
    func ingest(_ items: [ScannedItem], now: Int64) async throws -> [IngestOutcome]
    func item(id: Int64) async throws -> ItemRecord?
    func item(platform: String, externalID: String) async throws -> ItemRecord?
    /// The case of an item (an item has at most one), if one was opened.
    func caseID(ofItem itemID: Int64) async throws -> Int64?
    /// Of the next `limit` cases of items after case id `after`, in id order, that have no
    /// content key (the cases opened before schema version 13, and those of items with media or
    /// too short a text), those whose item has no media, with the item's text; and the id of
    /// the last of the `limit` (nil: none is left).
    func casesWithoutContentKey(after: Int64, limit: Int) async throws -> KeylessCases
    /// Gives cases their content keys, each only if it has none; returns how many were given.
    func setContentKeys(_ keys: [(caseID: Int64, key: String)]) async throws -> Int
    /// The platforms of the last `items` items received, each once, sorted.
    func recentPlatforms(items: Int) async throws -> [String]
    func itemCount() async throws -> Int
    /// Throws unless the database answers a read of the items table: what `/readyz` asks on
    /// every probe. It reads at most one row, where ``itemCount()`` counts them all (a full
    /// scan on PostgreSQL).
    func ping() async throws

    func cases(_ filter: CaseFilter, now: Int64) async throws -> [CaseRecord]
    func caseDetail(id: Int64, now: Int64) async throws -> CaseDetail?
    func claim(caseID: Int64, reviewer: String, until: Int64, now: Int64) async throws -> ClaimOutcome
    /// The open or claimed cases, other than `caseID`, whose content key is that case's: copies
    /// of its text (``ScannedItem/contentKey``), oldest first, at most `limit`. None when the
    /// case has no key.
    func openCopies(ofCase caseID: Int64, limit: Int) async throws -> [Int64]
    /// The decisions after decision `afterID`, in id order, at most `limit`, each with its case's
    /// content key (nil when it has none, so that a reader can tell an id no decision holds yet
    /// from one on a case without a key): what a server's index of removed texts is kept up to
    /// date from (the latest decision on a text's copies says whether it stands removed).
    func contentKeyDecisions(afterID: Int64, limit: Int) async throws -> [ContentKeyDecision]
    /// The decisions on cases with a content key whose ids are in `ranges`, in id order: the ids
    /// a read after them did not find, looked at again (PostgreSQL numbers a decision when it is
    /// inserted, and transactions commit in any order).
    func contentKeyDecisions(inRanges ranges: [ClosedRange<Int64>]) async throws -> [ContentKeyDecision]
    /// The database's write transactions under way, as one snapshot sees them: whether a
    /// transaction that had begun writing at an earlier snapshot may still commit. Nil when the
    /// store commits its decisions in id order (SQLite: one writer at a time, so an id passed
    /// over is never filled).
    func writesUnderWay() async throws -> WritesUnderWay?
    /// How many open copies each of `caseIDs` has (``openCopies(ofCase:limit:)``, counted);
    /// cases with none are left out.
    func openCopyCounts(ofCases caseIDs: [Int64]) async throws -> [Int64: Int]
    /// Records the decision, enqueues the webhook delivery (for every action) and the audit entry.
    func decide(
        caseID: Int64, reviewer: String, decision: NewDecision, webhookBody: @Sendable (DecisionRecord, ItemRecord) -> String?,
        now: Int64
    ) async throws -> DecideOutcome

    /// Entities ranked by risk, highest first.
    func entities(_ filter: EntityFilter) async throws -> [EntityRecord]
    func entity(id: Int64) async throws -> EntityRecord?
    /// An entity with its most recent and highest-scoring items, its cases' decisions and its open case.
    func entityDetail(id: Int64, itemLimit: Int) async throws -> EntityDetail?
    /// Records a decision on an entity: sets its status, closes its open entity case (opening a
    /// decided one if it had none), enqueues the webhook delivery and the audit entry.
    /// `webhookBody` gets the decision, the entity and the ids of its violating and review items.
    func decideEntity(
        entityID: Int64, reviewer: String, decision: NewDecision,
        webhookBody: @Sendable (DecisionRecord, EntityRecord, [ItemRecord]) -> String?, now: Int64
    ) async throws -> EntityDecideOutcome
    /// What re-appearance fingerprints are made of, for those of the given entities that have at
    /// most `maxItemCount` items (all of them when nil).
    func entityFingerprints(ids: [Int64], maxItemCount: Int?) async throws -> [EntityFingerprintSource]
    /// Entities whose status changed at or after `since` (bans and reinstatements), for keeping
    /// a re-appearance index current.
    func entityStatusChanges(since: Int64) async throws -> [EntityFingerprintSource]
    /// Records that an entity resembles a banned one: only if the banned entity is still banned
    /// in the store and the similarity is higher than any recorded; re-scores the entity and
    /// opens or raises its case. Returns whether anything changed.
    func recordReappearance(entityID: Int64, match: ReappearanceMatch, now: Int64) async throws -> Bool

    /// Hashed media with a PDQ hash, in id order after `afterID` (for retro-hunts).
    func mediaHashes(afterID: Int64, limit: Int) async throws -> [MediaHashRecord]
    /// Records a bank match found after the media was hashed: raises the item's verdict, opens or
    /// raises its case, counts known content in its entities' signals and re-scores them. Once
    /// per media part: a second call for the same part changes nothing and returns false.
    func recordRetroMatch(mediaID: Int64, match: MediaResult, now: Int64) async throws -> Bool

    /// Records a report; a second report of one item by one reporter is merged into the first.
    /// Opens a case (or raises the open one's priority).
    /// `contentKey`: the key of the case the report opens, if it opens one (``ScannedItem/contentKey``).
    func report(
        itemID: Int64, reporter: String, trusted: Bool, reason: String, text: String?, basePriority: Double,
        contentKey: String?, now: Int64
    ) async throws -> ReportOutcome
    func report(id: Int64) async throws -> ReportRecord?

    /// Receives a removal order and executes it at once, in one transaction: each item it names
    /// that the store knows gets a removal decision (on its case, opened with source
    /// `removal_order` if it had none), a webhook (`webhookBody(decision, item, orderID)`) and an
    /// audit entry; each target that cannot be executed is recorded with the reason. A second
    /// order with the same authority and reference changes nothing. The case of an item without
    /// media gets the item's content key (`contentKey(text)`) when it has none, so that the
    /// removal reaches the text's copies: open ones are listed with it, and later ones are known
    /// content.
    func receiveRemovalOrder(
        _ order: NewRemovalOrder, webhookBody: @Sendable (DecisionRecord, ItemRecord, Int64) -> String,
        contentKey: @Sendable (String) -> String?, now: Int64
    ) async throws -> ReceiveOrderOutcome
    func removalOrder(id: Int64) async throws -> RemovalOrderRecord?
    /// Orders received in [from, to) with an id below `beforeID` (nil: any), newest first.
    func removalOrders(receivedFrom from: Int64, to: Int64, beforeID: Int64?, limit: Int) async throws -> [RemovalOrderRecord]
    /// Records a referral to law enforcement (TCO Article 14(5)), its webhook to the platform
    /// (event `referral`, `webhookBody(referral, item)`) and its audit entry (`referral.create`),
    /// in one transaction; returns the referral with the item as read in it, nil when the item is
    /// unknown.
    func refer(
        _ referral: NewReferral, webhookBody: @Sendable (ReferralRecord, ItemRecord) -> String, now: Int64
    ) async throws -> (referral: ReferralRecord, item: ItemRecord)?
    func referral(id: Int64) async throws -> ReferralRecord?
    /// Referrals with an id below `beforeID` (all when nil), of one item when `itemID` is given,
    /// newest first.
    func referrals(itemID: Int64?, beforeID: Int64?, limit: Int) async throws -> [ReferralRecord]
    /// Restricting decisions after `afterDecisionID`, in id order, with what their statements of
    /// reasons need.
    func statementSources(afterDecisionID: Int64, limit: Int) async throws -> [StatementSource]
    /// The latest decision of each item case that is not an escalation (`LabelQueries`), with an
    /// id below `beforeDecisionID` (all when nil), decided from `from` (inclusive) to `to`
    /// (exclusive) when given, newest first: what `ReviewLabelExport` writes.
    func labelSources(beforeDecisionID: Int64?, from: Int64?, to: Int64?, limit: Int) async throws -> [LabelSource]

    /// Files an appeal against a restricting decision (by decision id, or the latest restricting
    /// decision on the item `platform`/`externalID`); its two-week clock starts now.
    func fileAppeal(
        decisionID: Int64?, platform: String?, externalID: String?, appellant: String, reason: String, now: Int64
    ) async throws -> FileAppealOutcome
    func appeal(id: Int64) async throws -> AppealRecord?
    /// Appeals in the given status (nil: any), nearest deadline first (then by id), after the
    /// appeal `afterID` in that order (nil: from the first; an unknown id: none).
    func appeals(status: AppealRecord.Status?, afterID: Int64?, limit: Int) async throws -> [AppealRecord]
    /// Decides an appeal, by a reviewer other than the one who made the appealed decision.
    /// Reversing it, in the same transaction, records a `reinstate` decision and queues its webhook:
    /// for an item, on the item's case (`webhookBody(decision, item, appealID)`); for an account or
    /// container, through the entity decision path (the entity becomes active again;
    /// `entityWebhookBody(decision, entity, evidence, appealID)`). Both outcomes are audited.
    func decideAppeal(
        id: Int64, reviewer: String, reverse: Bool, exemption: Exemption?, note: String?,
        webhookBody: @Sendable (DecisionRecord, ItemRecord, Int64) -> String,
        entityWebhookBody: @Sendable (DecisionRecord, EntityRecord, [ItemRecord], Int64) -> String, now: Int64
    ) async throws -> DecideAppealOutcome

    /// The counts of a transparency report over [from, to).
    func transparencyCounts(from: Int64, to: Int64) async throws -> TransparencyCounts

    /// The preserved copy of a removed item, or nil when the item was never removed.
    func preservation(itemID: Int64) async throws -> PreservationRecord?
    /// Extends a preservation by `months` from its current expiry (not once purged); audited.
    func extendPreservation(itemID: Int64, months: Int, actor: String, reason: String, now: Int64) async throws -> PreservationRecord?
    /// Erases the content of preservations expired at `now` (item text, links, author and
    /// container names, verdict and evidence, report texts, media bytes), up to `limit` of them,
    /// each with an audit entry; returns how many were purged.
    func purgeExpiredPreservations(now: Int64, limit: Int) async throws -> Int

    /// Claims ready jobs (leased; an expired lease makes a job claimable again).
    func claimJobs(owner: String, now: Int64, lease: Int64, limit: Int) async throws -> [JobRecord]
    func mediaBytes(id: Int64) async throws -> [UInt8]?
    /// Of the media parts with bytes hashed with a PDQ hash and no stored pixels' hash, with ids
    /// after `after` and at most `through`, the next `limit` ids in order: those a part hashed
    /// before schema version 25 may lack.
    func mediaWithoutStoredPixelsHash(after: Int64, through: Int64, limit: Int) async throws -> [Int64]
    /// The highest media part id there is (0: none).
    func highestMediaID() async throws -> Int64
    /// Queues media part `mediaID` to be hashed again, unless a hashing job of it is queued or
    /// running already; returns whether one was queued.
    func queueMediaHashing(mediaID: Int64, now: Int64) async throws -> Bool
    /// The hashes a part was given with, for a part sent as hashes only (nil: an unknown part).
    func givenMediaHashes(id: Int64) async throws -> StoredMediaHashes?
    /// The ids of an item's media parts that have bytes (not those sent as hashes only), in the order they were sent.
    func mediaIDs(itemID: Int64) async throws -> [Int64]
    /// Records a media part's hashes and finishes its job; a bank match opens or raises the
    /// item's case. Idempotent: a job already done changes nothing.
    func completeMediaJob(jobID: Int64, mediaID: Int64, result: MediaResult, now: Int64) async throws
    /// Fails a job (`retryAt` nil) or puts it back for a retry; a failed `hash_media` job marks
    /// its media part failed.
    func failJob(jobID: Int64, error: String, retryAt: Int64?, now: Int64) async throws
    /// Queues a retro-hunt for the bank entries from `firstEntryID` on, unless a queued (not yet
    /// started) retro-hunt already starts at or before it. Returns whether a job was queued.
    func enqueueRetroHunt(firstEntryID: Int64, now: Int64) async throws -> Bool
    /// Extends a running job's lease while its owner still holds it; false when the lease was
    /// lost (expired and taken by another worker, or the job finished).
    func extendJobLease(jobID: Int64, owner: String, until: Int64) async throws -> Bool
    /// Counts an attempt at a job its owner is about to work on and renews its lease to
    /// `until`, and reads what the job works on, in one statement; nil when the owner no longer
    /// holds it (its lease ran out and another worker took it). An attempt is counted when it
    /// starts, not when it ends, so that a job whose every attempt ends its worker (a crash, a
    /// kill, a lease that runs out) still runs out of attempts; and a job that waited in its
    /// worker's batch is not counted.
    func startJob(jobID: Int64, owner: String, until: Int64) async throws -> StartedJob?
    /// Marks a job done at `now` (a no-op when it already is).
    func finishJob(jobID: Int64, now: Int64) async throws
    /// Puts a job its owner claimed but will not finish (a worker shutting down) back in the
    /// queue at once, taking back the attempt it counted when `started`; false when the owner
    /// no longer holds it.
    func releaseJob(jobID: Int64, owner: String, started: Bool) async throws -> Bool
    func pendingJobCount() async throws -> Int
    /// Background jobs (of `status` when given), oldest first, those with ids after `afterID`,
    /// at most `limit`.
    func jobs(status: String?, afterID: Int64, limit: Int) async throws -> [JobStatusRecord]
    /// Queues a job that ended (failed, or done) to be done again at `now`, its attempts counted
    /// from 0; a `hash_media` job's part goes back to queued. Returns the job's status before:
    /// nil when there is no such job; `queued` or `running` when nothing was changed.
    func retryJob(jobID: Int64, now: Int64) async throws -> String?
    /// Looks at the next `limit` done jobs last queued before `cutoff` (their `run_after`), in
    /// the order of `(run_after, id)`, after `after` when given, and deletes those that ended
    /// before `cutoff` too (a job without an end time, done before schema version 24, by when it
    /// was last queued; a job that waited in a backlog past `cutoff` and ended since stays), but for a
    /// `hash_media` job whose part was not decoded (an error kept on the part): it stays, to be
    /// done again once the decoders are mended. (The step after starts after the last one looked
    /// at, so kept jobs are passed over once per sweep, not once per step.)
    func deleteDoneJobs(endedBefore cutoff: Int64, after: DoneJobPlace?, limit: Int) async throws -> DoneJobsDeleted
    /// Queue depths for metrics: open cases, pending and failed jobs, pending and dead deliveries.
    func depths() async throws -> QueueDepths
    /// The whole review queue (open, claimed and escalated cases) counted by source, language and category.
    func queueCounts() async throws -> QueueCounts
    /// An entity's items, newest first, each with its case and that case's latest decision.
    func entityTimeline(entityID: Int64, limit: Int) async throws -> [EntityTimelineEntry]
    /// An item's links as sent, its author and container entities, and its media parts with
    /// their bank matches; nil when there is no such item.
    func itemContext(itemID: Int64) async throws -> ItemContext?

    func claimDeliveries(owner: String, now: Int64, lease: Int64, limit: Int) async throws -> [DeliveryRecord]
    /// Records a delivery's success (a no-op when it was already recorded delivered).
    func deliverySucceeded(id: Int64, now: Int64) async throws
    /// Records a failed attempt of a pending delivery (a no-op when another worker, whose lease
    /// came after an expired one, already delivered it).
    func deliveryFailed(id: Int64, error: String, nextAttemptAt: Int64?, now: Int64) async throws
    /// Gives up a delivery's lease without an attempt (a worker shutting down), so another
    /// worker can take it at once.
    func releaseDelivery(id: Int64, owner: String) async throws
    func redeliver(deliveryID: String, now: Int64) async throws -> Bool
    /// Deliveries with an id above `afterID`, in the given status (nil: any), oldest first.
    func deliveries(status: String?, afterID: Int64, limit: Int) async throws -> [DeliveryRecord]

    func createKey(name: String, role: Role, prefix: String, hash: String, now: Int64) async throws -> APIKeyRecord
    func key(hash: String) async throws -> APIKeyRecord?
    func keys() async throws -> [APIKeyRecord]
    func revokeKey(id: Int64, actor: String, now: Int64) async throws -> Bool

    /// Console accounts. Creating one is audited; a duplicate name throws.
    func createUser(name: String, role: Role, passwordHash: String, now: Int64) async throws -> UserRecord
    func user(name: String) async throws -> UserRecord?
    /// Counts a failed sign-in; at `maxAttempts` the account is locked until `now + lockSeconds`
    /// and the count starts again. Returns the account as it now is.
    func recordFailedSignIn(userID: Int64, maxAttempts: Int, lockSeconds: Int64, now: Int64) async throws -> UserRecord?
    /// A successful sign-in: clears the failures and the lock, stores the session, audits.
    func startSession(userID: Int64, tokenHash: String, csrfToken: String, expiresAt: Int64, now: Int64) async throws
    /// The unexpired session with this token hash, of an account not disabled.
    func session(tokenHash: String, now: Int64) async throws -> SessionRecord?
    func endSession(tokenHash: String, now: Int64) async throws -> Bool
    /// Stores a person's media settings (audited); false when there is no such account.
    func setMediaPreference(userID: Int64, _ preference: MediaPreference, now: Int64) async throws -> Bool

    func appendAudit(actor: String, action: String, subject: String, detail: String, now: Int64) async throws
    func auditLog(after seq: Int64, limit: Int) async throws -> [AuditRecord]
    /// A page of the audit log for reading (the console's): see `AuditQuery`.
    func auditEntries(_ query: AuditQuery) async throws -> [AuditRecord]

    func setting(_ key: String) async throws -> String?
    func setSetting(_ key: String, _ value: String, actor: String, now: Int64) async throws

    /// Appends hash-bank events (one JSON line each, the bank directory's event format) to the
    /// bank log every process shares, with the log locked against every other writer for the
    /// duration: `make` is given the events appended after `after` (which the caller's set lacks)
    /// and returns the lines to append after them (numbered from the last event's sequence + 1),
    /// which the store asks for a part at a time (``BankLogLines``).
    /// Returns the sequence number the log then ends at. If `make` throws, nothing is appended.
    /// Readers see the change whole or not at all: PostgreSQL appends it in one transaction;
    /// SQLite in parts behind the log's head, which its last part moves (``SQLiteStore/bankAppendPart``).
    func appendBankEvents(
        after: Int64, now: Int64, making make: ([BankLogEntry]) throws -> BankLogLines
    ) async throws -> Int64
    /// Up to `limit` bank-log events after `after`, in order.
    func bankEvents(after: Int64, limit: Int) async throws -> [BankLogEntry]
    /// The newest stored snapshot of the shared bank set, its parts joined; nil when there is
    /// none. A snapshot is stored once its part 0 is (see
    /// ``saveBankSnapshot(sequence:partBytes:now:replacing:making:)``); one whose parts do not
    /// run 0 ..< parts is an error naming the missing part.
    func latestBankSnapshot() async throws -> BankSnapshotRecord?
    /// The bank-log sequence number the newest stored snapshot covers (0: none).
    func bankSnapshotSequence() async throws -> Int64
    /// Stores a snapshot covering the bank log up to `sequence` (which the log must reach), a
    /// row a part, and deletes the older ones, unless a snapshot at or after `sequence` is
    /// stored or another process is storing one: then nothing is written and `make` is not
    /// called. PostgreSQL writes the parts in one transaction; SQLite, whose one writer every
    /// ingest waits for, one part a transaction, part 0 last, so the snapshot is there for
    /// readers only when whole (parts left by a process that stopped midway are deleted after
    /// ``BankSnapshotRecord/abandonedAfterSeconds``). With `replacing`, every stored snapshot is
    /// deleted and this one stored whatever their sequences (the newest could not be used).
    /// `make` gives the snapshot's parts, each made as it is asked for; it runs at most once, and
    /// only when this call will store them. Returns the bytes stored (0: none).
    func saveBankSnapshot(
        sequence: Int64, now: Int64, replacing: Bool, parts make: @Sendable () async -> BankSnapshotParts
    ) async throws -> Int
}

extension ModerationStore {
    /// ``report(itemID:reporter:trusted:reason:text:basePriority:contentKey:now:)``, the case it
    /// may open without a content key.
    public func report(
        itemID: Int64, reporter: String, trusted: Bool, reason: String, text: String?, basePriority: Double, now: Int64
    ) async throws -> ReportOutcome {
        try await report(
            itemID: itemID, reporter: reporter, trusted: trusted, reason: reason, text: text, basePriority: basePriority,
            contentKey: nil, now: now)
    }

    /// Each case's count of open copies from its key and status and the open cases of each key
    /// (itself among them when it is open or claimed); cases with none left out.
    static func copyCounts(_ cases: [(id: Int64, key: String, status: String)], open: [String: Int]) -> [Int64: Int] {
        var counts: [Int64: Int] = [:]
        for c in cases {
            let n = (open[c.key] ?? 0) - (c.status == "open" || c.status == "claimed" ? 1 : 0)
            if n > 0 { counts[c.id] = n }
        }
        return counts
    }

    /// ``saveBankSnapshot(sequence:now:replacing:parts:)`` of bytes made whole, in parts of
    /// `partBytes`.
    public func saveBankSnapshot(
        sequence: Int64, partBytes: Int, now: Int64, replacing: Bool = false, making make: @Sendable @escaping () async -> [UInt8]
    ) async throws -> Int {
        try await saveBankSnapshot(sequence: sequence, now: now, replacing: replacing) {
            BankSnapshotParts(bytes: await make(), partBytes: partBytes)
        }
    }
}

/// A bank snapshot as a store writes it: its length, known before it is made, then its parts,
/// in order, each made when ``next()`` asks for it (every part ``partBytes`` long but the last).
/// A million entries' snapshot is 260 MB: made whole, it was held in memory beside its parts
/// while they were written. Dropping it tells the maker to stop.
public final class BankSnapshotParts: Sendable {
    public let byteCount: Int
    public let partBytes: Int
    private let nextPart: @Sendable () async -> [UInt8]?
    private let stop: @Sendable () -> Void

    /// Parts that `next` makes (nil after the last); `stop` is called once the parts are let go.
    public init(
        byteCount: Int, partBytes: Int, next: @escaping @Sendable () async -> [UInt8]?,
        stop: @escaping @Sendable () -> Void = {}
    ) {
        self.byteCount = byteCount
        self.partBytes = max(1, partBytes)
        self.nextPart = next
        self.stop = stop
    }

    /// The parts of bytes already made.
    public convenience init(bytes: [UInt8], partBytes: Int) {
        let parts = BankSnapshotRecord.parts(of: bytes, size: partBytes)
        let taken = Mutex(0)
        self.init(byteCount: bytes.count, partBytes: partBytes) {
            taken.withLock { i -> [UInt8]? in
                guard i < parts.count else { return nil }
                defer { i += 1 }
                return Array(parts[i])
            }
        }
    }

    deinit { stop() }

    /// How many parts there are: one at least.
    public var partCount: Int { byteCount == 0 ? 1 : (byteCount - 1) / partBytes + 1 }

    /// The next part; nil after the last.
    public func next() async -> [UInt8]? { await nextPart() }

    /// The next part, which must be there: an error naming it when the maker gave fewer.
    func next(_ i: Int, of sequence: Int64) async throws -> [UInt8] {
        guard let part = await next() else {
            throw BankSnapshotError("the bank snapshot at \(sequence) was made with \(i) of its \(partCount) parts")
        }
        return part
    }

    /// Checks, after the last part, that the maker gave no more and the bytes counted.
    func checkEnd(made: Int, of sequence: Int64) async throws {
        guard await next() == nil, made == byteCount else {
            throw BankSnapshotError("the bank snapshot at \(sequence) was made with \(made) bytes, not the \(byteCount) counted")
        }
    }
}

/// A snapshot of the shared bank set as stored: the bank-log sequence number it covers and its
/// bytes (`BankSet.snapshot`), joined from its parts.
public struct BankSnapshotRecord: Sendable {
    public var sequence: Int64
    /// The snapshot's bytes as stored, a part each, in order (not joined: a loader reads them
    /// across their boundaries and lets each go once read past).
    public var partBytes: [[UInt8]]
    /// How many parts it was stored in.
    public var parts: Int { partBytes.count }
    /// Its length.
    public var byteCount: Int { partBytes.reduce(0) { $0 + $1.count } }
    /// Its bytes joined (a copy).
    public var bytes: [UInt8] { Array(partBytes.joined()) }

    /// Seconds after which the parts of a snapshot still being written, none of them stored
    /// since, are taken as left by a process that stopped midway, and deleted by the next
    /// process that stores one (SQLite).
    public static let abandonedAfterSeconds: Int64 = 600

    public init(sequence: Int64, partBytes: [[UInt8]]) {
        self.sequence = sequence
        self.partBytes = partBytes
    }

    /// Collects one snapshot's rows as they are read, in part order: each must carry the same
    /// sequence and part count, and the parts must run 0 ..< count.
    struct Joiner {
        var record: BankSnapshotRecord?
        /// The part count the rows say.
        var count: Int64 = 0
        var next: Int64 = 0

        mutating func add(seq: Int64, part: Int64, parts: Int64, bytes: some Collection<UInt8>) throws {
            let sequence = record?.sequence ?? seq
            let count = record == nil ? parts : self.count
            guard seq == sequence, parts == count, part == next, part < count else {
                throw BankSnapshotError(
                    "the bank snapshot at \(sequence) has part \(part) of \(parts) where part \(next) of \(count) was expected")
            }
            if record == nil {
                record = BankSnapshotRecord(sequence: sequence, partBytes: [])
                self.count = count
            }
            record!.partBytes.append(Array(bytes))
            next += 1
        }

        /// The snapshot, nil for no rows; an error when parts are missing at the end.
        func finish() throws -> BankSnapshotRecord? {
            if let record, next != count {
                throw BankSnapshotError("the bank snapshot at \(record.sequence) has \(next) of its \(count) parts")
            }
            return record
        }
    }

    /// `bytes` cut into parts of at most `size` bytes (one part at least, even for no bytes).
    static func parts(of bytes: [UInt8], size: Int) -> [ArraySlice<UInt8>] {
        let size = max(1, size)
        guard !bytes.isEmpty else { return [bytes[...]] }
        return stride(from: 0, to: bytes.count, by: size).map { bytes[$0..<min($0 + size, bytes.count)] }
    }
}

/// The shared bank log is not as an append expects: it ends before the events the change was
/// made on, or another process took an append's parts for abandoned.
public struct BankLogError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// A stored bank snapshot that cannot be read as one (a part missing or out of place), or one
/// that would cover more of the bank log than there is.
public struct BankSnapshotError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// The database's schema has versions this build does not know: a newer `bulwark` upgraded it.
/// Every process on one database runs the same version (stop the older ones, then start the
/// newer); an older process refuses to start rather than write in its older way.
public struct SchemaTooNew: Error, CustomStringConvertible {
    public let database: String
    public let versions: Set<String>

    public var description: String {
        "the schema of \(database) has versions this bulwark does not know (\(versions.sorted().joined(separator: ", "))): "
            + "a newer bulwark upgraded it; run that version"
    }
}

/// The lines a bank change appends to the log (``ModerationStore/appendBankEvents(after:now:making:)``),
/// made a part at a time as the store writes them: a million events' lines at once were about
/// 270 MB more at the peak of an import (and on PostgreSQL another copy, as one parameter).
public struct BankLogLines: ExpressibleByArrayLiteral {
    /// How many lines there are.
    public let count: Int
    private let make: (Range<Int>) -> [String]

    /// `count` lines, `make` giving those of a range of them (called once for each part, in order).
    public init(count: Int, making make: @escaping (Range<Int>) -> [String]) {
        self.count = count
        self.make = make
    }

    /// Lines made already.
    public init(_ lines: [String]) {
        self.init(count: lines.count) { Array(lines[$0]) }
    }

    public init(arrayLiteral lines: String...) {
        self.init(lines)
    }

    public var isEmpty: Bool { count == 0 }

    /// The lines of `range` (within `0..<count`).
    public func lines(_ range: Range<Int>) -> [String] {
        let made = make(range)
        precondition(made.count == range.count, "\(made.count) lines made for the \(range.count) of \(range)")
        return made
    }

    /// The ranges of parts of at most `size` lines, in order.
    public func parts(of size: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }
}

/// One event of the shared hash-bank log.
public struct BankLogEntry: Sendable, Hashable {
    public var seq: Int64
    /// The event as one JSON object (the bank directory's event-log line, without the newline).
    public var event: String

    public init(seq: Int64, event: String) {
        self.seq = seq
        self.event = event
    }
}

extension ModerationStore {
    /// The first `limit` appeals in the given status, nearest deadline first.
    public func appeals(status: AppealRecord.Status?, limit: Int) async throws -> [AppealRecord] {
        try await appeals(status: status, afterID: nil, limit: limit)
    }

    /// Orders received in [from, to), newest first.
    public func removalOrders(receivedFrom from: Int64, to: Int64, limit: Int) async throws -> [RemovalOrderRecord] {
        try await removalOrders(receivedFrom: from, to: to, beforeID: nil, limit: limit)
    }

    /// Every delivery in the given status (nil: any), oldest first: for tests and tools, not
    /// for a request (the API pages).
    public func deliveries(status: String?) async throws -> [DeliveryRecord] {
        try await deliveries(status: status, afterID: 0, limit: Int.max)
    }

    /// Checks the audit chain from the start: the first entry that does not follow
    /// (wrong previous hash, wrong hash, a gap in the sequence), or nil if all is intact.
    public func verifyAudit() async throws -> (checked: Int, brokenAt: Int64?, reason: String?) {
        var previous = AuditRecord.genesis
        var expectedSeq: Int64 = 1
        var checked = 0
        var after: Int64 = 0
        while true {
            let page = try await auditLog(after: after, limit: 1000)
            if page.isEmpty { break }
            for entry in page {
                if entry.seq != expectedSeq {
                    return (checked, entry.seq, "entry \(expectedSeq) is missing (next is \(entry.seq))")
                }
                if entry.previousHash != previous {
                    return (checked, entry.seq, "entry \(entry.seq) does not follow entry \(entry.seq - 1)")
                }
                let hash = AuditRecord.chainHash(
                    previous: previous, seq: entry.seq, at: entry.at, actor: entry.actor, action: entry.action,
                    subject: entry.subject, detail: entry.detail)
                if hash != entry.hash { return (checked, entry.seq, "entry \(entry.seq) was altered") }
                previous = entry.hash
                expectedSeq += 1
                checked += 1
                after = entry.seq
            }
        }
        // A deleted tail is caught by the head hash kept in settings.
        if let head = try await setting("audit.head"), head != previous {
            return (checked, expectedSeq, "entries after \(expectedSeq - 1) were deleted")
        }
        return (checked, nil, nil)
    }
}
