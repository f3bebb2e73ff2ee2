import BulwarkCore
import Testing

/// Each moderation action's label, the exemptions' kinds, and the line read back by the data
/// contract's decoder with the text intact.
struct ReviewLabelTests {
    func label(_ action: ModerationAction, category: Category? = .threat, exemption: String? = nil, text: String = "t",
               hint: String? = nil, detected: String? = "de") -> ReviewLabel? {
        ReviewLabel(
            caseID: 7, text: text, type: "comment", languageHint: hint, detectedLanguage: detected, action: action,
            category: category, exemption: exemption, decidedAt: 1_800_000_000)
    }

    @Test func everyActionHasItsLabel() {
        for action in ModerationAction.allCases {
            let made = label(action, exemption: "counter_speech")
            switch action {
            case .remove, .restrictVisibility, .geoBlock:
                #expect(made?.label == .violating && made?.category == .threat && made?.kind == nil, "\(action)")
            case .noViolation, .reinstate:
                #expect(made?.label == Label.none && made?.category == nil && made?.kind == "counter_speech", "\(action)")
            case .escalate, .suspend:
                #expect(made == nil, "\(action)")
            }
        }
        #expect(label(.remove, text: "") == nil, "a purged text gives no line")
    }

    @Test func exemptionsAreHardNegativeKinds() {
        let kinds = Exemption.allCases.map { label(.noViolation, exemption: $0.rawValue)?.kind }
        #expect(kinds == ["news", "research", "research", "artistic", "counter_speech"])
        #expect(label(.noViolation, exemption: nil)?.kind == nil)
        #expect(label(.noViolation, exemption: "not-an-exemption")?.kind == nil)
    }

    @Test func theHintComesBeforeTheDetectedLanguage() {
        #expect(label(.remove, hint: "fr")?.language == "fr")
        #expect(label(.remove, hint: "")?.language == "de")
        #expect(label(.remove, detected: "und")?.language == nil)
        #expect(label(.remove, detected: nil)?.language == nil)
    }

    @Test func theLineReadsBackThroughTheDataContract() throws {
        let text = "quote \" backslash \\ newline\n tab\t control \u{1} emoji 😀 عربي"
        for made in [label(.remove, text: text, hint: "ar"), label(.reinstate, exemption: "journalistic", text: text, detected: "und")] {
            let line = try #require(made).jsonLine
            #expect(!line.contains("\n"))
            let item = try TextItemDecoder().decode(Array(line.utf8))
            #expect(item.id == "case-7" && item.text == text && item.type == .comment)
            #expect(item.label == made?.label && item.category == made?.category && item.kind == made?.kind)
            #expect(item.lang == made?.language)
        }
    }
}
