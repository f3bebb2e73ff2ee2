import BulwarkCore
import Foundation
import Testing

struct DueProcessClockTests {
    @Test func theRemovalOrderClockRunsOneHourAndAlertsInItsLastFifteenMinutes() {
        let open = RemovalOrderClock(receivedAt: 1_000, completedAt: nil)
        #expect(open.deadline == 4_600)
        #expect(open.state(now: 1_000) == .running && open.secondsLeft(now: 1_000) == 3_600)
        #expect(open.state(now: 3_699) == .running)
        #expect(open.state(now: 3_700) == .dueSoon && open.secondsLeft(now: 3_700) == 900)
        #expect(open.state(now: 4_600) == .dueSoon)
        #expect(open.state(now: 4_601) == .overdue && open.secondsLeft(now: 4_601) == -1)
        #expect(RemovalOrderClock(receivedAt: 1_000, completedAt: 4_600).state(now: 9_999) == .metInTime)
        #expect(RemovalOrderClock(receivedAt: 1_000, completedAt: 4_601).state(now: 4_601) == .metLate)
        #expect(RemovalOrderClock(receivedAt: 1_000, completedAt: 2_000).secondsLeft(now: 1_500) == nil)
    }

    @Test func theOtherClocksAreTwoWeeksAndSixMonths() {
        #expect(DueProcess.appealSeconds == 1_209_600)
        #expect(DueProcess.preservationMonths == 6)
    }

    @Test func civilDatesMatchFoundationsCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.timeZone = calendar.timeZone
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let t = Int64(rng.next() % 4_102_444_800)  // 1970 ... 2100
            #expect(CivilDate.isoDate(t) == formatter.string(from: Date(timeIntervalSince1970: Double(t))))
            let (y, m, d) = CivilDate.components(t)
            #expect(CivilDate.seconds(year: y, month: m, day: d) == t - t % 86_400)
        }
        #expect(CivilDate.isoDate(0) == "1970-01-01")
        #expect(CivilDate.isoDate(-1) == "1969-12-31")
    }

    @Test func calendarDatesAndTimes() {
        #expect(CivilDate.isoDate(0) == "1970-01-01")
        #expect(CivilDate.isoDateTime(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(CivilDate.isoDateTime(1_795_958_327) == "2026-11-29T13:18:47Z")
        #expect(CivilDate.isoDate(-1) == "1969-12-31")
    }

    @Test func sixMonthsLaterClampsToTheEndOfTheMonth() {
        let aug31 = CivilDate.seconds(year: 2026, month: 8, day: 31) + 3_600
        #expect(CivilDate.isoDate(CivilDate.adding(months: 6, to: aug31)) == "2027-02-28")
        #expect(CivilDate.adding(months: 6, to: aug31) % 86_400 == 3_600)
        let leap = CivilDate.seconds(year: 2027, month: 8, day: 31)
        #expect(CivilDate.isoDate(CivilDate.adding(months: 6, to: leap)) == "2028-02-29")
        let may15 = CivilDate.seconds(year: 2026, month: 5, day: 15)
        #expect(CivilDate.isoDate(CivilDate.adding(months: 6, to: may15)) == "2026-11-15")
        #expect(CivilDate.isoDate(CivilDate.adding(months: 12, to: may15)) == "2027-05-15")
    }

    @Test func statementPUIDsKeepOnlyTheAllowedCharacters() {
        #expect(StatementOfReasons.puid("bulwark-decision-12") == "bulwark-decision-12")
        #expect(StatementOfReasons.puid("a b/c:d_é") == "a-b-c-d_-")
        #expect(StatementOfReasons.puid("") == "-")
        #expect(StatementOfReasons.puid(String(repeating: "x", count: 900)).count == 500)
    }

    /// The Transparency Database refuses a content date before 2000: an older platform date is
    /// given as 2000-01-01, one after the decision as the decision's day.
    @Test func theContentDateStaysWhereTheDatabaseTakesIt() throws {
        let decided = CivilDate.seconds(year: 2026, month: 12, day: 3)
        func shown(_ posted: Int64) throws -> String? {
            let s = StatementOfReasons(
                puid: "p", restriction: .removed, ground: .termsAndConditions, category: .incitement, source: .proactive,
                automatedDetection: true, contentTypes: ["text"], language: "en", contentDate: posted, applicationDate: decided,
                facts: "f")
            let json = try JSONSerialization.jsonObject(with: Data(s.jsonBytes)) as? [String: Any]
            return json?["content_date"] as? String
        }
        #expect(try shown(0) == "2000-01-01")
        #expect(try shown(CivilDate.seconds(year: 2019, month: 4, day: 2)) == "2019-04-02")
        #expect(try shown(decided + 400 * 86_400) == "2026-12-03")
    }
}
