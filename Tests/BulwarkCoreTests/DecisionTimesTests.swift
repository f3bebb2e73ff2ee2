import BulwarkCore
import Testing

/// How long decisions took, as the transparency report gives it.
struct DecisionTimesTests {
    @Test func nothingDecidedIsNoFigure() {
        #expect(DecisionTimes(seconds: []) == nil)
    }

    @Test func theMedianAndThe90thPercentileAreNearestRanks() throws {
        let one = try #require(DecisionTimes(seconds: [42]))
        #expect(one.count == 1 && one.medianSeconds == 42 && one.p90Seconds == 42 && one.withinOneHour == 1)
        // Ten values, given out of order: the 5th and the 9th smallest.
        let ten = try #require(DecisionTimes(seconds: [900, 100, 3_601, 200, 800, 300, 700, 400, 600, 500]))
        #expect(ten.count == 10 && ten.medianSeconds == 500 && ten.p90Seconds == 900)
        #expect(ten.withinOneHour == 9, "an hour is within the hour; a second more is not")
        let three = try #require(DecisionTimes(seconds: [7_200, 60, 3_600]))
        #expect(three.medianSeconds == 3_600 && three.p90Seconds == 7_200 && three.withinOneHour == 2)
    }

    @Test func durationsReadAsTimes() {
        #expect(DecisionTimes.text(45) == "45 s")
        #expect(DecisionTimes.text(600) == "10 min")
        #expect(DecisionTimes.text(3_600 + 5 * 60) == "1 h 05 min")
        #expect(DecisionTimes.text(2 * 86_400 + 4 * 3_600 + 59) == "2 d 4 h")
    }

    @Test func theReportGivesThemBySourceAndForComplaints() throws {
        let report = TransparencyReport(
            from: 1_790_000_000, to: 1_790_086_400, itemsReceived: 3, itemsFlagged: 2, decisionsByAction: [:],
            restrictionsByCategory: [:], restrictionsByLanguage: [:], restrictionsBySource: [:], orders: .init(),
            appealsByStatus: [:], appealsLate: 0, reversalsByExemption: [:],
            timeToFirstDecision: ["proactive": try #require(DecisionTimes(seconds: [600, 7_200]))],
            appealDecisionTimes: DecisionTimes(seconds: [700]))
        #expect(report.json.contains(#""time_to_first_decision":{"by_source":{"proactive":{"decided":2,"median_seconds":600,"p90_seconds":7200,"within_one_hour":1}}}"#))
        #expect(report.json.contains(#""decision_time":{"decided":1,"median_seconds":700,"p90_seconds":700,"within_one_hour":1}"#))
        #expect(report.markdown.contains("| proactive | 2 | 10 min | 2 h 00 min | 1 |\n| complaints | 1 | 11 min | 11 min | 1 |"))
        #expect(report.htmlBody.contains("<tr><td>proactive</td><td class=\"n\">2</td><td class=\"n\">10 min</td>"))
        let none = TransparencyReport(
            from: 0, to: 86_400, itemsReceived: 0, itemsFlagged: 0, decisionsByAction: [:], restrictionsByCategory: [:],
            restrictionsByLanguage: [:], restrictionsBySource: [:], orders: .init(), appealsByStatus: [:], appealsLate: 0,
            reversalsByExemption: [:])
        #expect(none.json.contains(#""time_to_first_decision":{"by_source":{}}"#) && none.json.contains(#""decision_time":null"#))
        #expect(none.markdown.contains("## Time to the first decision\n\nFrom a case's opening"))
    }
}
