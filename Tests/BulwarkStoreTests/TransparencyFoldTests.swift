@testable import BulwarkStore
import Testing

/// One query of the report gives a row per group of the period's decisions, keyed
/// "ACTION/CATEGORY/SOURCE/VERDICT/REVERSED/LANGUAGE" (CATEGORY and SOURCE only for a restricting
/// action, VERDICT and REVERSED only for automated detection's first ruling, the language last:
/// the one part that may hold the separator), folded into the decisions by action, the
/// restrictions by category, source and language, and the accuracy of automated detection.
struct TransparencyFoldTests {
    /// The counts `rows` of the query `name` fold into.
    private func fold(_ name: String, _ rows: KeyValuePairs<String, Int>) -> TransparencyCounts {
        var counts = TransparencyCounts()
        for (key, n) in rows { TransparencyQueries.fold(name, key, n, into: &counts) }
        return counts
    }

    @Test func decisionRowsFoldIntoActionsAndRestrictionsByCategorySourceAndLanguage() {
        let counts = fold("decisions", [
            "no_violation/////en": 9,
            "escalate/////ar": 2,
            "remove/incitement/proactive///ar": 5,
            "remove/recruitment/user_report///en": 3,
            "suspend/none/removal_order///und": 1,
            "remove/incitement/trusted_flagger///x/y": 4,  // a language holding the separator
            "broken/key/three": 100,  // not six parts: ignored
        ])
        #expect(counts.decisionsByAction == ["no_violation": 9, "escalate": 2, "remove": 12, "suspend": 1])
        #expect(counts.restrictionsByCategory == ["incitement": 9, "recruitment": 3, "none": 1])
        #expect(counts.restrictionsBySource == [
            "proactive": 5, "user_report": 3, "removal_order": 1, "trusted_flagger": 4,
        ])
        #expect(counts.restrictionsByLanguage == ["ar": 5, "en": 3, "und": 1, "x/y": 4])
        #expect(counts.automatedOutcomesByVerdict.isEmpty, "no row is automated detection's")
        #expect(counts.automatedReversed == 0)
    }

    @Test func automatedRowsFoldIntoVerdictLanguageAndReversals() {
        let counts = fold("decisions", [
            "remove/incitement/proactive/violating/reversed/en": 2,
            "remove/incitement/proactive/violating/kept/en": 5,
            "no_violation///review/kept/en": 7,
            "geo_block/recruitment/proactive/review/kept/ar": 3,
            "no_violation///review/kept/und": 1,
            "restrict_visibility/none/proactive/review/reversed/x/y": 4,  // a language holding the separator
            "reinstate/////en": 6,  // not automated detection's: counted as a decision only
            "broken/key": 100,  // not six parts: ignored
        ])
        #expect(counts.automatedOutcomesByVerdict == [
            "violating/restricted": 7, "review/not_restricted": 8, "review/restricted": 7,
        ])
        #expect(counts.automatedOutcomesByLanguage == [
            "en/restricted": 7, "en/not_restricted": 7, "ar/restricted": 3, "und/not_restricted": 1, "x/y/restricted": 4,
        ])
        #expect(counts.automatedReversed == 6)
        #expect(counts.decisionsByAction == [
            "remove": 7, "no_violation": 8, "geo_block": 3, "restrict_visibility": 4, "reinstate": 6,
        ])
        #expect(counts.restrictionsByLanguage == ["en": 7, "ar": 3, "x/y": 4])
    }
}
