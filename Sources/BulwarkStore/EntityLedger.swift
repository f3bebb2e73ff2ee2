import BulwarkCore
import BulwarkEntities
import Foundation

/// Names an entity row: an account and a container may share an external id without colliding.
struct EntityKey: Hashable, Comparable {
    var platform: String
    var isAccount: Bool
    var externalID: String

    static func < (a: EntityKey, b: EntityKey) -> Bool {
        (a.platform, a.isAccount ? 0 : 1, a.externalID) < (b.platform, b.isAccount ? 0 : 1, b.externalID)
    }

    static func author(of item: NewItem) -> EntityKey? {
        item.author.map { EntityKey(platform: item.platform, isAccount: true, externalID: $0) }
    }

    static func container(of item: NewItem) -> EntityKey? {
        item.containerID.map { EntityKey(platform: item.platform, isAccount: false, externalID: $0) }
    }
}

/// The part of an entity row that ingest reads and writes.
struct EntityState {
    var id: Int64
    var kind: EntityKind
    var name: String?
    var description: String?
    var avatarPDQ: String? = nil
    var status: EntityStatus
    var signals: EntitySignals
    var risk: Double
    var reviewedRisk: Double
    var reappearanceSimilarity: Double
    var itemCount: Int
    var firstSeen: Int64
    var lastSeen: Int64
    /// Its open entity case and that case's base priority.
    var openCaseID: Int64?
    var openCasePriority: Double?
}

/// What ingest does to entities, in one place for both stores: the rows it upserts, how an
/// item folds into its entities' signals, and when an entity case opens or rises.
///
/// Rules:
/// - an item's author is an `account`; its container is of the kind the item says, else a `room`
///   (a later item that names the kind changes it);
/// - the container's title names it; an item of type `title` names its container (or, with no
///   container, its author) when no title is given; an item of type `profile` describes its
///   author (or, with no author, its container);
/// - each new item is recorded at `posted_at`, else the time it was received; the container's
///   reach is observed at the same time;
/// - an entity's case opens when its risk reaches `EntityRisk.caseThreshold` or it resembles a
///   banned entity (re-appearance), it has no open case, it is not already suspended or
///   removed, and its risk is at least ``reopenMargin`` above the risk at its last
///   `no_violation` decision; an open case's base priority is raised as the risk rises.
enum EntityLedger {
    /// Points of risk above the last cleared risk before a case opens again.
    static let reopenMargin = 10.0
    /// Most items named as evidence in an entity decision's webhook.
    static let maxEvidenceItems = 100

    /// The entities the items name, sorted (both stores lock rows in this order).
    static func keys(of items: some Sequence<NewItem>) -> [EntityKey] {
        var set: Set<EntityKey> = []
        for item in items {
            if let k = EntityKey.author(of: item) { set.insert(k) }
            if let k = EntityKey.container(of: item) { set.insert(k) }
        }
        return set.sorted()
    }

    /// The kind of a new row for `key`, from the first item of the batch that names it.
    static func initialKind(_ key: EntityKey, in items: some Sequence<NewItem>) -> EntityKind {
        if key.isAccount { return .account }
        for item in items where item.containerID == key.externalID && item.platform == key.platform {
            if let kind = item.containerKind { return kind }
        }
        return .room
    }

    /// Folds one new item into its author's and container's states.
    static func fold(
        _ scanned: ScannedItem, receivedAt: Int64, author: inout EntityState?, container: inout EntityState?
    ) {
        let item = scanned.item
        let time = item.postedAt ?? receivedAt
        let signal = ItemSignal(
            time: time, decision: scanned.decision, score: scanned.score, category: scanned.category,
            knownContent: false)
        if var c = container {
            if let kind = item.containerKind, kind != .account { c.kind = kind }
            if let title = item.containerTitle, !title.isEmpty {
                c.name = title
            } else if item.type == "title" {
                c.name = item.text
            }
            if item.type == "profile" && author == nil { c.description = item.text }
            if let avatar = item.containerAvatarPDQ { c.avatarPDQ = avatar }
            if let reach = item.containerReach { c.signals.observeReach(reach, at: time) }
            c.signals.record(signal)
            c.itemCount += 1
            c.firstSeen = min(c.firstSeen, time)
            c.lastSeen = max(c.lastSeen, time)
            container = c
        }
        if var a = author {
            if item.type == "title" && container == nil { a.name = item.text }
            if item.type == "profile" { a.description = item.text }
            if let avatar = item.authorAvatarPDQ { a.avatarPDQ = avatar }
            a.signals.record(signal)
            a.itemCount += 1
            a.firstSeen = min(a.firstSeen, time)
            a.lastSeen = max(a.lastSeen, time)
            author = a
        }
    }

    /// The risk of the state's signals as of `now`, with its re-appearance part.
    static func rescore(_ state: inout EntityState, now: Int64) {
        state.risk = EntityRisk.score(state.signals, at: now, reappearance: state.reappearanceSimilarity)
    }

    /// What to do about an entity's case after its risk changed.
    enum CaseAction: Equatable {
        case none
        case open(priority: Double)
        case raise(caseID: Int64, priority: Double)
    }

    static func caseAction(_ state: EntityState) -> CaseAction {
        let priority = casePriority(state)
        if let caseID = state.openCaseID {
            return priority > (state.openCasePriority ?? 0) + 1e-9 ? .raise(caseID: caseID, priority: priority) : .none
        }
        guard !state.status.isBanned, state.risk >= EntityRisk.caseThreshold || state.reappearanceSimilarity > 0,
            state.reviewedRisk == 0 || state.risk >= state.reviewedRisk + reopenMargin
        else { return .none }
        return .open(priority: priority)
    }

    /// An entity case's base priority: its strongest item's score and top category, its reach, and
    /// its risk at the entity-case weight (so it outranks its own items' cases).
    static func casePriority(_ state: EntityState) -> Double {
        ReviewPriority.base(
            score: state.signals.maxScore, category: state.signals.topCategory, reach: state.signals.reach,
            userReports: 0, trustedReports: 0, entityRisk: state.risk, entityCase: true)
    }

    /// The entity part of an item case's priority.
    static func itemCasePart(author: EntityState?, container: EntityState?) -> Double {
        ReviewPriority.entityRiskWeight * min(max(author?.risk ?? 0, container?.risk ?? 0), 100)
    }

    static func encode(_ signals: EntitySignals) -> String { signals.jsonText }

    static func decode(_ text: String) -> EntitySignals { EntitySignals(jsonText: text) ?? EntitySignals() }

    /// The entity status an action leaves: nil when the action does not change it.
    static func status(after action: ModerationAction) -> EntityStatus? {
        switch action {
        case .remove: .removed
        case .suspend: .suspended
        case .restrictVisibility: .restricted
        case .noViolation, .reinstate: .active
        case .geoBlock, .escalate: nil
        }
    }
}
