/// Who may do what through the API. Each route names the roles it admits.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// The platform's systems: send items and reports, read verdicts.
    case ingest
    /// Works cases: claims and decides them.
    case reviewer
    /// A reviewer who also manages banks and escalations.
    case lead
    /// A competent authority: issues removal orders.
    case authority
    /// Reads the audit log and transparency figures; changes nothing.
    case auditor
    /// Manages keys and configuration.
    case admin
}

/// Where a case came from.
public enum CaseSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// Found by Bulwark's own scan of ingested content.
    case proactive
    /// Reported by a user.
    case userReport = "user_report"
    /// Reported by a trusted flagger (DSA Article 22).
    case trustedFlagger = "trusted_flagger"
    /// Named in a removal order (TCO Article 3).
    case removalOrder = "removal_order"
}

public enum CaseStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case open
    /// Claimed by a reviewer; the claim expires.
    case claimed
    case decided
    /// Sent up to a lead.
    case escalated
}

/// What a reviewer decides to do with an item, an account or a container.
public enum ModerationAction: String, Sendable, Hashable, Codable, CaseIterable {
    case remove
    case restrictVisibility = "restrict_visibility"
    case geoBlock = "geo_block"
    case noViolation = "no_violation"
    case escalate
    /// Suspends an account (entity decisions only).
    case suspend
    /// Undoes a restriction after an appeal is granted (only through `POST /v1/appeals/{id}/decision`).
    case reinstate

    /// Whether the action restricts the content (and so needs a statement of reasons).
    public var restricts: Bool {
        switch self {
        case .remove, .restrictVisibility, .geoBlock, .suspend: true
        case .noViolation, .escalate, .reinstate: false
        }
    }
}

/// Where an item stands after the decisions on it: what the platform should be showing now.
/// The latest decision that says so counts: a removal, a restriction or a geo-block; a
/// `no_violation` or a `reinstate` (an appeal granted) makes it `active` again; an escalation
/// changes nothing.
public enum ItemStanding: String, Sendable, Hashable, Codable, CaseIterable {
    case active
    case removed
    case visibilityRestricted = "visibility_restricted"
    case geoBlocked = "geo_blocked"

    /// The standing after `actions`, oldest first.
    public init(after actions: some Sequence<ModerationAction>) {
        var standing = ItemStanding.active
        for action in actions {
            switch action {
            case .remove: standing = .removed
            case .restrictVisibility: standing = .visibilityRestricted
            case .geoBlock: standing = .geoBlocked
            case .noViolation, .reinstate: standing = .active
            case .escalate, .suspend: break
            }
        }
        self = standing
    }
}

/// Why terrorist-related material is not terrorist content (Regulation (EU) 2021/784, Article
/// 1(3)): material disseminated for educational, journalistic, artistic or research purposes, or
/// to prevent or counter terrorism. A decision or an appeal may give one as its reason.
public enum Exemption: String, Sendable, Hashable, Codable, CaseIterable {
    case journalistic
    case educational
    case research
    case artistic
    case counterSpeech = "counter_speech"
}

/// The order of review work, in one place.
///
/// priority = 100 × severity × score (severity of the top category, 0.5 when none; score the
/// engine's 0-1)
///          + 10 × log10(1 + reach) (followers or members of the container)
///          + 8 × user reports + 25 × trusted-flagger reports
///          + 1 per 10 minutes waited (computed when the queue is read, so old cases rise).
/// A removal order puts its case above all others (+ 10,000).
public enum ReviewPriority {
    /// Points per user report and per trusted-flagger report (the stores add them when a
    /// report raises an existing case).
    public static let userReportWeight = 8.0
    public static let trustedReportWeight = 25.0
    /// Points per second waited.
    public static let waitingWeight = 1.0 / 600
    /// Waiting stops raising a case after 6 hours (36 points): enough for old routine cases to
    /// pass fresh low ones, never enough for a backlog of them to bury a fresh severe case or a
    /// growing propaganda channel (with uncapped aging a backlogged queue turns into FIFO; see the
    /// simulation in the README).
    public static let maxWaitingSeconds: Int64 = 21_600
    /// The waiting part's ceiling, in points.
    public static var maxWaitingPoints: Double { Double(maxWaitingSeconds) * waitingWeight }

    /// Points per point of the entity's risk (0–100; `EntityRisk` in BulwarkEntities): the
    /// risk of the item's container or author, whichever is higher, or of the entity itself for
    /// an entity case. It carries the entity's reach, velocity, persistence and re-appearance.
    public static let entityRiskWeight = 0.6
    /// The same for an entity case (acting on the whole container or account): higher, because
    /// one decision stops all of the entity's items, so its case outranks its items' cases.
    public static let entityCaseRiskWeight = 1.5

    public static func base(
        score: Double, category: Category?, reach: Int, userReports: Int, trustedReports: Int,
        entityRisk: Double = 0, entityCase: Bool = false, removalOrder: Bool = false
    ) -> Double {
        let p = parts(
            score: score, category: category, reach: reach, userReports: userReports, trustedReports: trustedReports,
            entityRisk: entityRisk, entityCase: entityCase, waitedSeconds: 0
        ).reduce(0) { $0 + $1.value }
        return removalOrder ? p + 10_000 : p
    }

    /// The parts of a case's priority, for showing on the case; `base` is their sum at no wait.
    public static func parts(
        score: Double, category: Category?, reach: Int, userReports: Int, trustedReports: Int,
        entityRisk: Double = 0, entityCase: Bool = false, waitedSeconds: Int64
    ) -> [(name: String, value: Double)] {
        [
            ("severity x score", 100 * (category?.severity ?? 0.5) * min(max(score, 0), 1)),
            ("reach", 10 * log10Approx(1 + Double(max(reach, 0)))),
            ("user reports", userReportWeight * Double(max(userReports, 0))),
            ("trusted flagger reports", trustedReportWeight * Double(max(trustedReports, 0))),
            ("entity risk", (entityCase ? entityCaseRiskWeight : entityRiskWeight) * min(max(entityRisk, 0), 100)),
            ("waiting", Double(min(max(waitedSeconds, 0), maxWaitingSeconds)) * waitingWeight),
        ]
    }

    /// log10 without Foundation (ln via the binary exponent and a series).
    public static func log10Approx(_ x: Double) -> Double {
        guard x > 0 else { return 0 }
        let e = Double(x.exponent)
        let m = x.significand  // [1, 2)
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var term = t
        var sum = 0.0
        var k = 1.0
        for _ in 0..<12 {
            sum += term / k
            term *= t2
            k += 2
        }
        return (2 * sum + e * 0.693_147_180_559_945_3) / 2.302_585_092_994_046
    }
}
