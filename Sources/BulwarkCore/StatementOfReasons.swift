/// A statement of reasons (DSA Article 17, TCO Article 11) for one restricting decision, in the
/// form the EU DSA Transparency Database accepts (docs/schemas/dsa-statement-of-reasons.schema.json).
///
/// What it says and how each field is chosen:
/// - the restriction: removal → `DECISION_VISIBILITY_CONTENT_REMOVED`, restricted visibility →
///   `..._CONTENT_DEMOTED`, geo-block → `..._CONTENT_DISABLED` (access disabled in the given
///   countries), account suspension → `DECISION_ACCOUNT_SUSPENDED`; no end date (permanent);
/// - the ground: a removal order is illegal content under Regulation (EU) 2021/784 Article 3
///   with the order's reference; any other decision is content incompatible with the platform's
///   terms (its terrorist-content policy, `policyURL`), marked illegal as well, because every
///   Bulwark category is a TCO Article 2(7) category;
/// - the category `STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY` with keyword
///   `KEYWORD_TERRORIST_CONTENT`;
/// - the source: proactive detection → `SOURCE_VOLUNTARY`, a user's notice → `SOURCE_ARTICLE_16`,
///   a trusted flagger → `SOURCE_TRUSTED_FLAGGER`, a removal order → `SOURCE_TYPE_OTHER_NOTIFICATION`;
/// - automated detection: yes when Bulwark's scan found it (proactive); the decision itself is a
///   person's (`AUTOMATED_DECISION_NOT_AUTOMATED`), or, for a removal order, the authority's;
/// - the facts: the policy category, what matched (without quoting the content or naming any
///   person) and the redress available.
///
/// No author identifier, text or personal data goes into the statement: the database is public.
public struct StatementOfReasons: Sendable, Hashable {
    public enum Restriction: Sendable, Hashable {
        case removed
        case demoted
        case disabled
        case accountSuspended
    }

    public enum Ground: Sendable, Hashable {
        /// A removal order (TCO Article 3), with the issuing authority's reference.
        case removalOrder(reference: String)
        /// The platform's terms and conditions.
        case termsAndConditions
    }

    /// The platform's unique id of the statement: letters, digits, `-` and `_`.
    public var puid: String
    public var restriction: Restriction
    public var ground: Ground
    public var category: Category?
    public var source: CaseSource
    public var automatedDetection: Bool
    /// Content kinds: "text", "image" (as the item had them).
    public var contentTypes: [String]
    /// ISO 639-1 language of the content, when known.
    public var language: String?
    /// When the content was posted (or received) and when the decision applied.
    public var contentDate: Int64
    public var applicationDate: Int64
    /// EU/EEA country codes the restriction applies in (all of them for removal).
    public var territorialScope: [String]
    /// What the decision relied on, in a sentence or two (no personal data).
    public var facts: String
    /// The platform's terrorist-content policy page.
    public var policyURL: String?

    public init(
        puid: String, restriction: Restriction, ground: Ground, category: Category?, source: CaseSource,
        automatedDetection: Bool, contentTypes: [String], language: String?, contentDate: Int64, applicationDate: Int64,
        territorialScope: [String] = StatementOfReasons.allCountries, facts: String, policyURL: String? = nil
    ) {
        self.puid = puid
        self.restriction = restriction
        self.ground = ground
        self.category = category
        self.source = source
        self.automatedDetection = automatedDetection
        self.contentTypes = contentTypes
        self.language = language
        self.contentDate = contentDate
        self.applicationDate = applicationDate
        self.territorialScope = territorialScope
        self.facts = facts
        self.policyURL = policyURL
    }

    /// The countries the database knows (EU and EEA), for a removal that applies everywhere.
    public static let allCountries = [
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI",
        "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
    ]

    /// The countries a decision names as where it applies (a geo-block's, or a visibility
    /// restriction's), checked: at least one, each an EU/EEA code of `allCountries` in capitals;
    /// returned sorted, each once. Nil with the reason otherwise.
    public static func territorialScope(_ codes: [String]) -> (countries: [String]?, problem: String?) {
        guard !codes.isEmpty else { return (nil, "countries is empty: name at least one EU/EEA country code") }
        var seen = Set<String>()
        for code in codes {
            guard allCountries.contains(code) else {
                let shown = code.count > 16 ? String(code.prefix(16)) + "…" : code
                return (nil, "countries: \"\(shown)\" is not an EU/EEA country code (two capitals, as AT, DE, NO)")
            }
            seen.insert(code)
        }
        return (seen.sorted(), nil)
    }

    /// The earliest content date the Transparency Database takes (2000-01-01).
    public static let earliestContentDate: Int64 = 946_684_800

    /// The content date as the statement gives it: not before the database's earliest (a
    /// platform's older date is given as 2000-01-01) and not after the decision (a `posted_at`
    /// from a clock ahead of ours).
    public var shownContentDate: Int64 { max(Self.earliestContentDate, min(contentDate, applicationDate)) }

    /// The restriction an action makes, or nil when it restricts nothing.
    public static func restriction(for action: ModerationAction) -> Restriction? {
        switch action {
        case .remove: .removed
        case .restrictVisibility: .demoted
        case .geoBlock: .disabled
        case .suspend: .accountSuspended
        case .noViolation, .escalate, .reinstate: nil
        }
    }

    /// A valid puid from any text: characters outside `[A-Za-z0-9_-]` become `-`, at most 500.
    public static func puid(_ text: String) -> String {
        let mapped = text.unicodeScalars.prefix(500).map { s -> Character in
            switch s.value {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x5F: Character(s)
            default: "-"
            }
        }
        return mapped.isEmpty ? "-" : String(mapped)
    }

    /// The plain-language description of a category used in facts.
    public static func describe(_ category: Category?) -> String {
        switch category {
        case .incitement: "incitement to terrorist offences, including glorification of attacks or attackers"
        case .solicitation: "soliciting a terrorist offence or its funding"
        case .recruitment: "soliciting participation in the activities of a terrorist group"
        case .instruction: "instruction on making or using weapons or explosives for a terrorist offence"
        case .threat: "a threat to commit a terrorist offence"
        case .dissemination: "redistribution of a terrorist group's official media"
        case nil: "terrorist content"
        }
    }

    /// The statement as one JSON object (UTF-8), fields in the database's names.
    public var jsonBytes: [UInt8] {
        var out = Array("{\"puid\":".utf8)
        appendJSONString(puid, to: &out)
        switch restriction {
        case .removed: out += Array(",\"decision_visibility\":[\"DECISION_VISIBILITY_CONTENT_REMOVED\"]".utf8)
        case .demoted: out += Array(",\"decision_visibility\":[\"DECISION_VISIBILITY_CONTENT_DEMOTED\"]".utf8)
        case .disabled: out += Array(",\"decision_visibility\":[\"DECISION_VISIBILITY_CONTENT_DISABLED\"]".utf8)
        case .accountSuspended:
            out += Array(",\"decision_account\":\"DECISION_ACCOUNT_SUSPENDED\",\"end_date_account_restriction\":null".utf8)
        }
        if restriction != .accountSuspended { out += Array(",\"end_date_visibility_restriction\":null".utf8) }
        switch ground {
        case .removalOrder(let reference):
            out += Array(",\"decision_ground\":\"DECISION_GROUND_ILLEGAL_CONTENT\",\"illegal_content_legal_ground\":".utf8)
            appendJSONString(String("Regulation (EU) 2021/784, Article 3: removal order \(reference)".prefix(500)), to: &out)
            out += Array(",\"illegal_content_explanation\":".utf8)
            appendJSONString(
                String(("The competent authority's removal order identifies this content as terrorist content ("
                    + Self.describe(category) + ").").prefix(2000)), to: &out)
        case .termsAndConditions:
            out += Array(",\"decision_ground\":\"DECISION_GROUND_INCOMPATIBLE_CONTENT\",\"incompatible_content_ground\":".utf8)
            appendJSONString("Terms of service: terrorist and violent extremist content policy", to: &out)
            out += Array(",\"incompatible_content_explanation\":".utf8)
            appendJSONString(
                String(("The content was found to be " + Self.describe(category)
                    + ", which the policy prohibits; it is also terrorist content within Regulation (EU) 2021/784, Article 2(7).").prefix(2000)),
                to: &out)
            out += Array(",\"incompatible_content_illegal\":\"Yes\"".utf8)
            if let policyURL {
                out += Array(",\"decision_ground_reference_url\":".utf8)
                appendJSONString(String(policyURL.prefix(500)), to: &out)
            }
        }
        out += Array(",\"category\":\"STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY\",\"category_specification\":[\"KEYWORD_TERRORIST_CONTENT\"]".utf8)
        out += Array(",\"content_type\":[".utf8)
        let types = contentTypes.isEmpty ? ["text"] : contentTypes
        for (i, type) in types.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array((type == "image" ? "\"CONTENT_TYPE_IMAGE\"" : type == "video" ? "\"CONTENT_TYPE_VIDEO\"" : "\"CONTENT_TYPE_TEXT\"").utf8)
        }
        out += Array("],\"territorial_scope\":[".utf8)
        for (i, code) in territorialScope.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(code, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        if let language, language.utf8.count == 2, language.utf8.allSatisfy({ (0x61...0x7A).contains($0) }) {
            out += Array(",\"content_language\":\"\(language.uppercased())\"".utf8)
        }
        out += Array(",\"content_date\":\"\(CivilDate.isoDate(shownContentDate))\",\"application_date\":\"\(CivilDate.isoDate(applicationDate))\"".utf8)
        out += Array(",\"decision_facts\":".utf8)
        appendJSONString(String(facts.prefix(5000)), to: &out)
        let sourceType: String =
            switch source {
            case .proactive: "SOURCE_VOLUNTARY"
            case .userReport: "SOURCE_ARTICLE_16"
            case .trustedFlagger: "SOURCE_TRUSTED_FLAGGER"
            case .removalOrder: "SOURCE_TYPE_OTHER_NOTIFICATION"
            }
        out += Array(",\"source_type\":\"\(sourceType)\"".utf8)
        out += Array(",\"automated_detection\":\"\(automatedDetection ? "Yes" : "No")\",\"automated_decision\":\"AUTOMATED_DECISION_NOT_AUTOMATED\"}".utf8)
        return out
    }
}
