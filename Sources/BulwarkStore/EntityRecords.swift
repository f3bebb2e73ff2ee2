public import BulwarkCore
public import BulwarkEntities

/// An account or a container as stored: what it is, where it stands, its running signals and
/// its risk, kept current by every ingest that brings it an item.
public struct EntityRecord: Sendable, Hashable {
    public var id: Int64
    public var platform: String
    public var kind: EntityKind
    public var externalID: String
    public var name: String?
    public var description: String?
    /// PDQ of its avatar, hex.
    public var avatarPDQ: String?
    public var status: EntityStatus
    /// When the status last changed.
    public var statusAt: Int64
    public var signals: EntitySignals
    /// `EntityRisk.score` of the signals (with the re-appearance part), as of `updatedAt`.
    public var risk: Double
    /// Risk at the last `no_violation` decision: a new case opens only when the risk rises
    /// ``EntityLedger/reopenMargin`` above it.
    public var reviewedRisk: Double
    public var itemCount: Int
    /// The banned entity it resembles, how much, and why.
    public var reappearanceOf: Int64?
    public var reappearanceSimilarity: Double
    public var reappearanceEvidence: String?
    public var firstSeen: Int64
    public var lastSeen: Int64
    public var updatedAt: Int64

    /// The parts of the risk, as of `time`.
    public func riskParts(at time: Int64) -> [EntityRisk.Part] {
        EntityRisk.parts(signals, at: time, reappearance: reappearanceSimilarity)
    }
}

public struct EntityFilter: Sendable, Hashable {
    public var kind: EntityKind?
    public var status: EntityStatus?
    public var minRisk: Double?
    public var limit: Int

    public init(kind: EntityKind? = nil, status: EntityStatus? = nil, minRisk: Double? = nil, limit: Int = 50) {
        self.kind = kind
        self.status = status
        self.minRisk = minRisk
        self.limit = limit
    }
}

/// An entity with what a reviewer reads before deciding on it.
public struct EntityDetail: Sendable {
    public var record: EntityRecord
    public var recentItems: [ItemRecord]
    public var topItems: [ItemRecord]
    /// Decisions on its entity cases, oldest first.
    public var decisions: [DecisionRecord]
    /// Its open (or claimed, or escalated) entity case.
    public var openCase: CaseRecord?
}

public enum EntityDecideOutcome: Sendable, Hashable {
    case decided(DecisionRecord, deliveryID: String?, entity: EntityRecord)
    /// Its open case is claimed by another reviewer.
    case heldBy(String)
    case notFound
}

/// An entity's name, description, avatar and first posts, as stored: the server normalises the
/// texts and builds an `EntityFingerprint` from them.
public struct EntityFingerprintSource: Sendable, Hashable {
    public var entityID: Int64
    public var kind: EntityKind
    public var status: EntityStatus
    public var name: String?
    public var description: String?
    public var avatarPDQ: String?
    public var itemCount: Int
    /// Texts of its first ``ReappearanceIndex/maxPosts`` items, oldest first.
    public var earlyPosts: [String]

    public init(
        entityID: Int64, kind: EntityKind, status: EntityStatus, name: String?, description: String?, avatarPDQ: String?,
        itemCount: Int, earlyPosts: [String]
    ) {
        self.entityID = entityID
        self.kind = kind
        self.status = status
        self.name = name
        self.description = description
        self.avatarPDQ = avatarPDQ
        self.itemCount = itemCount
        self.earlyPosts = earlyPosts
    }
}

/// A hashed media part's PDQ, for a retro-hunt.
public struct MediaHashRecord: Sendable, Hashable {
    public var mediaID: Int64
    public var itemID: Int64
    /// Nil for a part that is not an image Bulwark decodes (its exact hashes only).
    public var pdq: String?
    public var quality: Int?
    public var md5: String?
    public var sha256: String?
    /// An animation's later frames that show another picture.
    public var frames: [FramePDQ]
    /// A still image turned by its orientation metadata: the hash of its pixels as stored.
    public var storedPixels: StoredPixelsPDQ?

    public init(
        mediaID: Int64, itemID: Int64, pdq: String?, quality: Int?, md5: String?, sha256: String?, frames: [FramePDQ] = [],
        storedPixels: StoredPixelsPDQ? = nil
    ) {
        self.mediaID = mediaID
        self.itemID = itemID
        self.pdq = pdq
        self.quality = quality
        self.md5 = md5
        self.sha256 = sha256
        self.frames = frames
        self.storedPixels = storedPixels
    }

    /// The part's hashes, to match.
    public var hashes: StoredMediaHashes {
        StoredMediaHashes(pdq: pdq, quality: quality, md5: md5, sha256: sha256, frames: frames, storedPixels: storedPixels)
    }
}
