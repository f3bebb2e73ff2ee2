@testable import BulwarkStore
import Testing

/// Two queries of the report give rows keyed by several parts, folded into its counts: the
/// period's decisions ("ACTION/" or "ACTION/CATEGORY/SOURCE/LANGUAGE") and the accuracy of
/// automated detection ("VERDICT/OUTCOME/REVERSED/LANGUAGE"), the language last in both (the one
/// part that may hold the separator).
struct TransparencyFoldTests {
    /// The counts `rows` of the query `name` fold into.
    private func fold(_ name: String, _ rows: KeyValuePairs<String, Int>) -> TransparencyCounts {
        var counts = TransparencyCounts()
        for (key, n) in rows { TransparencyQueries.fold(name, key, n, into: &counts) }
        return counts
    }

    @Test func decisionRowsFoldIntoActionsAndRestrictionsByCategorySourceAndLanguage() {
        let counts = fold("decisions", [
            "no_violation/": 9,
            "escalate/": 2,
            "remove/incitement/proactive/ar": 5,
            "remove/recruitment/user_report/en": 3,
            "suspend/none/removal_order/und": 1,
            "remove/incitement/trusted_flagger/x/y": 4,  // a language holding the separator
            "broken/key/three": 100,  // neither two parts nor four: ignored
        ])
        #expect(counts.decisionsByAction == ["no_violation": 9, "escalate": 2, "remove": 12, "suspend": 1])
        #expect(counts.restrictionsByCategory == ["incitement": 9, "recruitment": 3, "none": 1])
        #expect(counts.restrictionsBySource == [
            "proactive": 5, "user_report": 3, "removal_order": 1, "trusted_flagger": 4,
        ])
        #expect(counts.restrictionsByLanguage == ["ar": 5, "en": 3, "und": 1, "x/y": 4])
    }

    @Test func automatedRowsFoldIntoVerdictLanguageAndReversals() {
        let counts = fold("automated", [
            "violating/restricted/reversed/en": 2,
            "violating/restricted/kept/en": 5,
            "review/not_restricted/kept/en": 7,
            "review/restricted/kept/ar": 3,
            "review/not_restricted/kept/und": 1,
            "review/restricted/reversed/x/y": 4,  // a language holding the separator
            "broken/key": 100,  // not four parts: ignored
        ])
        #expect(counts.automatedOutcomesByVerdict == [
            "violating/restricted": 7, "review/not_restricted": 8, "review/restricted": 7,
        ])
        #expect(counts.automatedOutcomesByLanguage == [
            "en/restricted": 7, "en/not_restricted": 7, "ar/restricted": 3, "und/not_restricted": 1, "x/y/restricted": 4,
        ])
        #expect(counts.automatedReversed == 6)
    }
}
