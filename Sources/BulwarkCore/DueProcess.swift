/// The legal clocks of due process, in one place, and the pure logic that reads them. Times are
/// Unix seconds (UTC); the caller passes `now`, so tests drive the clocks.
public enum DueProcess {
    /// TCO Article 3(3): content named in a removal order is removed or disabled within one hour
    /// of receipt.
    public static let removalOrderSeconds: Int64 = 3_600
    /// An order still unconfirmed this close to its deadline raises the alert.
    public static let removalOrderAlertSeconds: Int64 = 900
    /// DSA Article 20 / TCO Article 10: a complaint is decided without undue delay; Bulwark
    /// tracks two weeks.
    public static let appealSeconds: Int64 = 14 * 86_400
    /// TCO Article 6: removed content and related data are preserved for six months.
    public static let preservationMonths = 6
}

/// Where a removal order stands against its one-hour clock.
public struct RemovalOrderClock: Sendable, Hashable {
    public var receivedAt: Int64
    /// When the platform confirmed the removal (every ordered item's action delivered); nil
    /// while it has not.
    public var completedAt: Int64?

    public init(receivedAt: Int64, completedAt: Int64?) {
        self.receivedAt = receivedAt
        self.completedAt = completedAt
    }

    public var deadline: Int64 { receivedAt + DueProcess.removalOrderSeconds }

    public enum State: String, Sendable, Hashable {
        /// Open, more than 15 minutes left.
        case running
        /// Open, 15 minutes or less left: the alert.
        case dueSoon = "due_soon"
        /// Open past the deadline.
        case overdue
        /// Completed before the deadline.
        case metInTime = "met_in_time"
        /// Completed after it.
        case metLate = "met_late"
    }

    public func state(now: Int64) -> State {
        if let completedAt { return completedAt <= deadline ? .metInTime : .metLate }
        let left = deadline - now
        if left < 0 { return .overdue }
        return left <= DueProcess.removalOrderAlertSeconds ? .dueSoon : .running
    }

    /// Seconds until the deadline (negative once passed); nil once completed.
    public func secondsLeft(now: Int64) -> Int64? {
        completedAt == nil ? deadline - now : nil
    }
}

/// Civil (proleptic Gregorian, UTC) dates from Unix seconds, without Foundation.
public enum CivilDate {
    /// "YYYY-MM-DD" of a Unix time in UTC.
    public static func isoDate(_ seconds: Int64) -> String {
        let (y, m, d) = components(seconds)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = y < 0 ? "\(y)" : String(repeating: "0", count: max(0, 4 - String(y).count)) + String(y)
        return "\(year)-\(two(m))-\(two(d))"
    }

    /// "YYYY-MM-DDTHH:MM:SSZ" of a Unix time in UTC.
    public static func isoDateTime(_ seconds: Int64) -> String {
        let rest = seconds - floorDiv(seconds, 86_400) * 86_400
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(isoDate(seconds))T\(two(rest / 3_600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    /// Year, month (1-12) and day (1-31) of a Unix time in UTC.
    public static func components(_ seconds: Int64) -> (year: Int, month: Int, day: Int) {
        let days = Int(floorDiv(seconds, 86_400))
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Unix seconds of midnight UTC on a civil date.
    public static func seconds(year: Int, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468) * 86_400
    }

    /// The same time of day `months` calendar months later; a day past the end of the target
    /// month is clamped to its last day (31 August + 6 months = 28 or 29 February).
    public static func adding(months: Int, to time: Int64) -> Int64 {
        let (y, m, d) = components(time)
        let timeOfDay = time - seconds(year: y, month: m, day: d)
        let index = (y * 12 + (m - 1)) + months
        let year = floorDiv(Int64(index), 12)
        let month = index - Int(year) * 12 + 1
        let day = min(d, daysIn(year: Int(year), month: month))
        return seconds(year: Int(year), month: month, day: day) + timeOfDay
    }

    /// Midnight UTC of "YYYY-MM-DD", or nil when the text is not such a date.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m),
            (1...daysIn(year: y, month: m)).contains(d)
        else { return nil }
        return seconds(year: y, month: m, day: d)
    }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
