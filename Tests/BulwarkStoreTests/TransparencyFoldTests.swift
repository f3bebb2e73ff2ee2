@testable import BulwarkStore
import Testing

/// The accuracy of automated detection comes from one query whose rows are keyed
/// "VERDICT/LANGUAGE/OUTCOME/REVERSED"; folding them gives the three counts of the report.
struct TransparencyFoldTests {
    @Test func automatedRowsFoldIntoVerdictLanguageAndReversals() {
        var counts = TransparencyCounts()
        let rows: [(String, Int)] = [
            ("violating/en/restricted/reversed", 2),
            ("violating/en/restricted/kept", 5),
            ("review/en/not_restricted/kept", 7),
            ("review/ar/restricted/kept", 3),
            ("review/und/not_restricted/kept", 1),
            ("review/x/y/restricted/reversed", 4),  // a language holding the separator
            ("broken/key", 100),  // not four parts: ignored
        ]
        for (key, n) in rows { TransparencyQueries.fold("automated", key, n, into: &counts) }
        #expect(counts.automatedOutcomesByVerdict == [
            "violating/restricted": 7, "review/not_restricted": 8, "review/restricted": 7,
        ])
        #expect(counts.automatedOutcomesByLanguage == [
            "en/restricted": 7, "en/not_restricted": 7, "ar/restricted": 3, "und/not_restricted": 1, "x/y/restricted": 4,
        ])
        #expect(counts.automatedReversed == 6)
    }
}
