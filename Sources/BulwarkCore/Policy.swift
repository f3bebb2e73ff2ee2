/// The violating categories of the policy: EU Regulation 2021/784 (TCO), Article 2(7), ideology-neutral.
public enum Category: String, Sendable, CaseIterable, Codable, Hashable {
    /// Inciting terrorist offences, including glorifying attacks or perpetrators.
    case incitement
    /// Soliciting someone to commit or contribute to a terrorist offence (including funding).
    case solicitation
    /// Soliciting participation in a terrorist group's activities, or travel to join it.
    case recruitment
    /// Instructions for making or using weapons or explosives, or attack methods.
    case instruction
    /// Threatening to commit a terrorist offence.
    case threat
    /// Redistributing a terrorist group's official media (branded releases).
    case dissemination

    /// Relative severity used to order review work; documented in the README.
    public var severity: Double {
        switch self {
        case .threat, .instruction: 1.0
        case .solicitation, .recruitment: 0.9
        case .incitement: 0.8
        case .dissemination: 0.7
        }
    }
}

/// Non-violating contexts in which terrorism is discussed. The engine names them explicitly,
/// because these are where automated moderation historically over-removes.
public enum Context: String, Sendable, CaseIterable, Codable, Hashable {
    case news
    case research
    case counterSpeech = "counter_speech"
    case artistic
    case religious
}

/// What the engine decides about one item.
public enum Decision: String, Sendable, CaseIterable, Codable, Hashable, Comparable {
    /// High confidence. Automatic action only for matches of verified known content; otherwise a reviewer acts.
    case violating
    /// A person must look.
    case review
    /// Nothing to do.
    case none

    private var rank: Int {
        switch self {
        case .none: 0
        case .review: 1
        case .violating: 2
        }
    }

    public static func < (lhs: Decision, rhs: Decision) -> Bool { lhs.rank < rhs.rank }

    /// True for the decisions that count as positive in evaluation (`violating` or `review`).
    public var isPositive: Bool { self != .none }
}

/// The kind of text an item is. Titles and profiles are judged like any text.
public enum ItemType: String, Sendable, CaseIterable, Codable, Hashable {
    case post, comment, message, profile, title
}

/// Ground truth of a labelled item (for `eval` and `train`).
public enum Label: String, Sendable, CaseIterable, Codable, Hashable {
    case violating
    case none
}
