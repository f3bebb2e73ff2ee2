public import BulwarkCore

/// A content provider's complaint against a restricting decision.
public struct AppealRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case open
        /// The decision stands.
        case upheld
        /// The decision is reversed: the content is reinstated.
        case reversed
    }

    public var id: Int64
    public var decisionID: Int64
    public var caseID: Int64
    public var itemID: Int64?
    /// The pseudonymous id of the content provider who complained.
    public var appellant: String
    public var reason: String
    public var status: Status
    public var filedAt: Int64
    /// Filing time + two weeks.
    public var deadlineAt: Int64
    /// Who decided the appealed decision (who may not decide the appeal).
    public var originalReviewer: String
    public var decidedBy: String?
    public var decidedAt: Int64?
    public var exemption: Exemption?
    public var note: String?
    /// The reinstating decision, when reversed.
    public var reinstatementDecisionID: Int64?
}

public enum FileAppealOutcome: Sendable, Hashable {
    case filed(AppealRecord)
    /// The decision already has an appeal: it is returned.
    case duplicate(AppealRecord)
    /// The decision cannot be appealed (it restricts nothing).
    case notAppealable(String)
    case notFound
}

public enum DecideAppealOutcome: Sendable, Hashable {
    case decided(AppealRecord, deliveryID: String?)
    /// The reviewer who decided the appealed decision may not decide the appeal.
    case sameReviewer
    case alreadyDecided
    case notFound
}

/// Both stores' checks, in one place.
enum AppealRules {
    static func notAppealable(action: ModerationAction) -> String? {
        action.restricts ? nil : "decision restricts nothing (\(action.rawValue)): there is nothing to appeal"
    }
}
