/// A transparency report (Regulation (EU) 2021/784, Article 7; Regulation (EU) 2022/2065,
/// Articles 15 and 24) for a period, with its renderings: JSON, Markdown and HTML with inline SVG
/// charts (no scripts, no external resources). Pure: the figures come in, text goes out.
public struct TransparencyReport: Sendable, Hashable {
    public struct Orders: Sendable, Hashable {
        /// Removal orders received in the period.
        public var received = 0
        /// Orders with at least one item removed.
        public var executed = 0
        /// Executed orders the platform confirmed within the hour.
        public var metInTime = 0
        /// Executed orders confirmed after the hour.
        public var metLate = 0
        /// Executed orders not yet confirmed.
        public var unconfirmed = 0
        /// Orders of which nothing could be executed.
        public var notExecutable = 0
        /// Targets (items or URLs) that could not be executed, with a reason sent back.
        public var targetsNotExecuted = 0
        /// Orders received in the 12 months before the period's end: two or more make the
        /// platform "exposed to terrorist content" (TCO Article 5(4)).
        public var lastTwelveMonths = 0

        public init() {}
        public var exposed: Bool { lastTwelveMonths >= 2 }
    }

    /// Indicators of the accuracy of automated detection (DSA Article 15(1)(e)): the cases it
    /// opened whose first decision by a person (other than an escalation) falls in the period,
    /// by the engine's verdict on arrival and by language, and whether the person restricted the
    /// item. Automated detection never restricts on its own, so an item not restricted is its
    /// error; a restriction reinstated on appeal is counted too.
    public struct AutomatedAccuracy: Sendable, Hashable {
        public struct Outcomes: Sendable, Hashable {
            public var restricted = 0
            public var notRestricted = 0
            public init(restricted: Int = 0, notRestricted: Int = 0) {
                self.restricted = restricted
                self.notRestricted = notRestricted
            }
            public var reviewed: Int { restricted + notRestricted }
            /// The share restricted (the precision of the automated flag), nil when none.
            public var restrictedShare: Double? { reviewed == 0 ? nil : Double(restricted) / Double(reviewed) }
        }

        /// By the engine's verdict on arrival: `violating`, `review`.
        public var byVerdict: [String: Outcomes]
        /// By the language the engine found.
        public var byLanguage: [String: Outcomes]
        /// Restricted, then reinstated on appeal by the period's end.
        public var reversed: Int

        /// From counts keyed "KEY/restricted" and "KEY/not_restricted".
        public init(byVerdict: [String: Int] = [:], byLanguage: [String: Int] = [:], reversed: Int = 0) {
            func outcomes(_ counts: [String: Int]) -> [String: Outcomes] {
                var out: [String: Outcomes] = [:]
                for (key, n) in counts {
                    guard let slash = key.lastIndex(of: "/") else { continue }
                    let name = String(key[..<slash])
                    switch key[key.index(after: slash)...] {
                    case "restricted": out[name, default: Outcomes()].restricted += n
                    case "not_restricted": out[name, default: Outcomes()].notRestricted += n
                    default: continue
                    }
                }
                return out
            }
            self.byVerdict = outcomes(byVerdict)
            self.byLanguage = outcomes(byLanguage)
            self.reversed = reversed
        }

        public var total: Outcomes {
            byVerdict.values.reduce(into: Outcomes()) {
                $0.restricted += $1.restricted
                $0.notRestricted += $1.notRestricted
            }
        }

        var json: String {
            func score(_ share: Double?) -> String {
                guard let share else { return "null" }
                var out: [UInt8] = []
                appendScore(share, to: &out)
                return String(decoding: out, as: UTF8.self)
            }
            func entry(_ o: Outcomes) -> String {
                let share = score(o.restrictedShare)
                return #"{"reviewed":\#(o.reviewed),"restricted":\#(o.restricted),"not_restricted":\#(o.notRestricted),"restricted_share":\#(share)}"#
            }
            func map(_ m: [String: Outcomes]) -> String {
                "{" + m.keys.sorted().map { k -> String in
                    var out: [UInt8] = []
                    appendJSONString(k, to: &out)
                    return String(decoding: out, as: UTF8.self) + ":" + entry(m[k]!)
                }.joined(separator: ",") + "}"
            }
            let t = total
            return #"{"reviewed":\#(t.reviewed),"restricted":\#(t.restricted),"not_restricted":\#(t.notRestricted),"restricted_share":\#(score(t.restrictedShare)),"reversed_on_appeal":\#(reversed),"by_verdict":\#(map(byVerdict)),"by_language":\#(map(byLanguage))}"#
        }

        /// The rows of the Markdown and HTML tables: all, then each verdict, then each language.
        var rows: [(String, Outcomes)] {
            [("all", total)] + byVerdict.sorted { $0.key > $1.key }.map { ("verdict \($0.key)", $0.value) }
                + byLanguage.sorted { ($1.value.reviewed, $0.key) < ($0.value.reviewed, $1.key) }.map { ("language \($0.key)", $0.value) }
        }
    }

    public var from: Int64
    public var to: Int64
    public var itemsReceived: Int
    /// Items flagged by Bulwark's automated detection on arrival (the specific measure).
    public var itemsFlagged: Int
    public var decisionsByAction: [String: Int]
    public var restrictionsByCategory: [String: Int]
    public var restrictionsByLanguage: [String: Int]
    public var restrictionsBySource: [String: Int]
    public var orders: Orders
    public var appealsByStatus: [String: Int]
    public var appealsLate: Int
    public var reversalsByExemption: [String: Int]
    /// Referrals to law enforcement of content involving an imminent threat to life (TCO Article
    /// 14(5)), by the Member State informed ("none": none given, as for Europol).
    public var referralsByMemberState: [String: Int]
    /// How long cases waited for their first decision (whatever it was), from the case's opening:
    /// the cases first decided in the period, by what brought them to review (DSA Article
    /// 15(1)(b) asks for the median time to act on notices; the product's aim is the hour).
    public var timeToFirstDecision: [String: DecisionTimes]
    /// How long the appeals decided in the period took, from filing (DSA Article 15(1)(d)).
    public var appealDecisionTimes: DecisionTimes?
    public var automatedAccuracy: AutomatedAccuracy

    public init(
        from: Int64, to: Int64, itemsReceived: Int, itemsFlagged: Int, decisionsByAction: [String: Int],
        restrictionsByCategory: [String: Int], restrictionsByLanguage: [String: Int], restrictionsBySource: [String: Int],
        orders: Orders, appealsByStatus: [String: Int], appealsLate: Int, reversalsByExemption: [String: Int],
        referralsByMemberState: [String: Int] = [:], timeToFirstDecision: [String: DecisionTimes] = [:],
        appealDecisionTimes: DecisionTimes? = nil, automatedAccuracy: AutomatedAccuracy = AutomatedAccuracy()
    ) {
        self.automatedAccuracy = automatedAccuracy
        self.timeToFirstDecision = timeToFirstDecision
        self.appealDecisionTimes = appealDecisionTimes
        self.from = from
        self.to = to
        self.itemsReceived = itemsReceived
        self.itemsFlagged = itemsFlagged
        self.decisionsByAction = decisionsByAction
        self.restrictionsByCategory = restrictionsByCategory
        self.restrictionsByLanguage = restrictionsByLanguage
        self.restrictionsBySource = restrictionsBySource
        self.orders = orders
        self.appealsByStatus = appealsByStatus
        self.appealsLate = appealsLate
        self.reversalsByExemption = reversalsByExemption
        self.referralsByMemberState = referralsByMemberState
    }

    public var restrictions: Int { restrictionsBySource.values.reduce(0, +) }
    public var reinstatements: Int { decisionsByAction["reinstate"] ?? 0 }
    public var appealsFiled: Int { appealsByStatus.values.reduce(0, +) }
    public var referrals: Int { referralsByMemberState.values.reduce(0, +) }
    /// Restrictions decided by a person (every decision except the execution of a removal order,
    /// which the authority decided). Bulwark takes no fully automated restriction.
    public var humanDecisions: Int { restrictions - (restrictionsBySource["removal_order"] ?? 0) }
    /// Restrictions of content that automated detection brought to review.
    public var automatedDetections: Int { restrictionsBySource["proactive"] ?? 0 }

    // MARK: JSON

    public var json: String {
        func map(_ m: [String: Int]) -> String {
            "{" + m.keys.sorted().map { k -> String in
                var out: [UInt8] = []
                appendJSONString(k, to: &out)
                return String(decoding: out, as: UTF8.self) + ":\(m[k]!)"
            }.joined(separator: ",") + "}"
        }
        return """
            {"period":{"from":"\(CivilDate.isoDate(from))","to":"\(CivilDate.isoDate(to))","from_unix":\(from),"to_unix":\(to)},\
            "items":{"received":\(itemsReceived),"flagged_by_automated_detection":\(itemsFlagged)},\
            "restrictions":{"total":\(restrictions),"by_action":\(map(decisionsByAction.filter { $0.key != "reinstate" && $0.key != "no_violation" && $0.key != "escalate" })),\
            "by_category":\(map(restrictionsByCategory)),"by_language":\(map(restrictionsByLanguage)),"by_source":\(map(restrictionsBySource)),\
            "decided_by_a_person":\(humanDecisions),"executing_removal_orders":\(restrictionsBySource["removal_order"] ?? 0),\
            "detected_by_automated_means":\(automatedDetections),"decided_by_automated_means":0},\
            "decisions_by_action":\(map(decisionsByAction)),\
            "removal_orders":{"received":\(orders.received),"executed":\(orders.executed),"confirmed_within_one_hour":\(orders.metInTime),\
            "confirmed_late":\(orders.metLate),"unconfirmed":\(orders.unconfirmed),"not_executable":\(orders.notExecutable),\
            "targets_not_executed":\(orders.targetsNotExecuted),"received_in_last_12_months":\(orders.lastTwelveMonths),"exposed":\(orders.exposed)},\
            "appeals":{"filed":\(appealsFiled),"by_status":\(map(appealsByStatus)),"decided_or_open_past_deadline":\(appealsLate),\
            "reinstatements":\(reinstatements),"reversals_by_exemption":\(map(reversalsByExemption)),"decision_time":\(appealDecisionTimes?.json ?? "null")},\
            "referrals_to_law_enforcement":{"total":\(referrals),"by_member_state":\(map(referralsByMemberState))},\
            "time_to_first_decision":{"by_source":{\(timeToFirstDecision.keys.sorted().map { "\"\($0)\":\(timeToFirstDecision[$0]!.json)" }.joined(separator: ","))}},\
            "automated_detection_accuracy":\(automatedAccuracy.json)}
            """
    }

    // MARK: Markdown

    public var markdown: String {
        var s = "# Transparency report: terrorist content\n\n"
        s += "Period: \(CivilDate.isoDate(from)) to \(CivilDate.isoDate(to)) (UTC, end exclusive).\n\n"
        s += "## Content and measures\n\n| measure | count |\n|---|---|\n"
        s += "| items received | \(itemsReceived) |\n| items flagged by automated detection (specific measure) | \(itemsFlagged) |\n"
        s += "| items removed or access disabled | \(restrictions) |\n| of which decided by a person | \(humanDecisions) |\n"
        s += "| of which executing a removal order | \(restrictionsBySource["removal_order"] ?? 0) |\n"
        s += "| of which detected by automated means | \(automatedDetections) |\n| decided by automated means alone | 0 |\n\n"
        s += Self.table("Restrictions by category", restrictionsByCategory)
        s += Self.table("Restrictions by language", restrictionsByLanguage)
        s += Self.table("Restrictions by source", restrictionsBySource)
        s += "## Removal orders (TCO Article 3)\n\n| measure | count |\n|---|---|\n"
        s += "| received | \(orders.received) |\n| executed | \(orders.executed) |\n"
        s += "| confirmed within one hour | \(orders.metInTime) |\n| confirmed after one hour | \(orders.metLate) |\n"
        s += "| not yet confirmed | \(orders.unconfirmed) |\n| not executable | \(orders.notExecutable) |\n"
        s += "| targets not executed (reason sent back) | \(orders.targetsNotExecuted) |\n"
        s += "| received in the 12 months to the period's end | \(orders.lastTwelveMonths) (\(orders.exposed ? "exposed: specific measures required" : "not exposed")) |\n\n"
        s += "## Complaints (TCO Article 10, DSA Article 20)\n\n| measure | count |\n|---|---|\n"
        s += "| filed | \(appealsFiled) |\n| open | \(appealsByStatus["open"] ?? 0) |\n| upheld | \(appealsByStatus["upheld"] ?? 0) |\n"
        s += "| reversed | \(appealsByStatus["reversed"] ?? 0) |\n| decided after (or open past) two weeks | \(appealsLate) |\n"
        s += "| reinstatements | \(reinstatements) |\n\n"
        s += Self.table("Reversals by exemption", reversalsByExemption)
        s += "## \(Self.accuracyTitle)\n\n\(Self.accuracyNote)\n\n"
        if automatedAccuracy.total.reviewed == 0 {
            s += "None.\n\n"
        } else {
            s += "| | reviewed | restricted | not restricted | restricted share |\n|---|---|---|---|---|\n"
            for (name, o) in automatedAccuracy.rows {
                s += "| \(name) | \(o.reviewed) | \(o.restricted) | \(o.notRestricted) | \(Self.percent(o.restrictedShare)) |\n"
            }
            s += "\nRestricted, then reinstated on appeal: \(automatedAccuracy.reversed).\n\n"
        }
        s += "## \(Self.referralsTitle)\n\n\(referrals) in the period.\n\n"
        s += Self.table("Referrals by Member State informed", referralsByMemberState)
        s += "## \(Self.timesTitle)\n\n\(Self.timesNote)\n\n"
        let times = timeRows
        if times.isEmpty {
            s += "None.\n\n"
        } else {
            s += "| source | decided | median | 90th percentile | within one hour |\n|---|---|---|---|---|\n"
            for (name, t) in times {
                s += "| \(name) | \(t.count) | \(DecisionTimes.text(t.medianSeconds)) | \(DecisionTimes.text(t.p90Seconds)) | \(t.withinOneHour) |\n"
            }
            s += "\n"
        }
        return s
    }

    /// The rows of the time tables: each source, then complaints.
    var timeRows: [(String, DecisionTimes)] {
        timeToFirstDecision.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            + (appealDecisionTimes.map { [("complaints", $0)] } ?? [])
    }

    static func table(_ title: String, _ m: [String: Int]) -> String {
        var s = "## \(title)\n\n"
        guard !m.isEmpty else { return s + "None.\n\n" }
        s += "| | count |\n|---|---|\n"
        for (k, v) in m.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) { s += "| \(k) | \(v) |\n" }
        return s + "\n"
    }

    // MARK: HTML

    public var html: String {
        let s = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Transparency report \(CivilDate.isoDate(from)) to \(CivilDate.isoDate(to))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#111}
            table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #999;padding:.25rem .6rem;text-align:left}
            td.n{text-align:right}svg text{font-size:12px;fill:#111}</style></head><body>
            <h1>Transparency report: terrorist content</h1>

            """
        return s + htmlBody + "</body></html>\n"
    }

    /// The report's content under its title, for a page that brings its own (the console): the
    /// period, the tables and the charts, with no styles, scripts or external resources.
    public var htmlBody: String {
        var s = "<p>Period: \(CivilDate.isoDate(from)) to \(CivilDate.isoDate(to)) (UTC, end exclusive).</p>\n"
        s += Self.htmlTable("Content and measures", [
            ("items received", itemsReceived), ("items flagged by automated detection (specific measure)", itemsFlagged),
            ("items removed or access disabled", restrictions), ("of which decided by a person", humanDecisions),
            ("of which executing a removal order", restrictionsBySource["removal_order"] ?? 0),
            ("of which detected by automated means", automatedDetections), ("decided by automated means alone", 0),
        ])
        for (title, m) in [("Restrictions by category", restrictionsByCategory), ("Restrictions by language", restrictionsByLanguage),
            ("Restrictions by source", restrictionsBySource)]
        {
            s += "<h2>\(Self.escape(title))</h2>\n" + Self.barChart(m.sorted { ($1.value, $0.key) < ($0.value, $1.key) }, label: title)
        }
        s += Self.htmlTable("Removal orders (TCO Article 3)", [
            ("received", orders.received), ("executed", orders.executed), ("confirmed within one hour", orders.metInTime),
            ("confirmed after one hour", orders.metLate), ("not yet confirmed", orders.unconfirmed),
            ("not executable", orders.notExecutable), ("targets not executed (reason sent back)", orders.targetsNotExecuted),
            ("received in the 12 months to the period's end", orders.lastTwelveMonths),
        ])
        s += "<p>\(orders.exposed ? "Exposed to terrorist content (two or more removal orders in 12 months): specific measures required." : "Not exposed (fewer than two removal orders in 12 months).")</p>\n"
        s += "<h2>Removal orders against the one-hour clock</h2>\n"
            + Self.barChart([("within one hour", orders.metInTime), ("after one hour", orders.metLate), ("not yet confirmed", orders.unconfirmed)], label: "Removal orders against the one-hour clock")
        s += Self.htmlTable("Complaints (TCO Article 10, DSA Article 20)", [
            ("filed", appealsFiled), ("open", appealsByStatus["open"] ?? 0), ("upheld", appealsByStatus["upheld"] ?? 0),
            ("reversed", appealsByStatus["reversed"] ?? 0), ("decided after (or open past) two weeks", appealsLate),
            ("reinstatements", reinstatements),
        ])
        s += "<h2>Reversals by exemption</h2>\n" + Self.barChart(reversalsByExemption.sorted { $0.key < $1.key }, label: "Reversals by exemption")
        s += "<h2>\(Self.escape(Self.accuracyTitle))</h2>\n<p>\(Self.escape(Self.accuracyNote))</p>\n"
        if automatedAccuracy.total.reviewed == 0 {
            s += "<p>None.</p>\n"
        } else {
            s += "<table><thead><tr><th scope=\"col\"></th><th scope=\"col\">reviewed</th><th scope=\"col\">restricted</th><th scope=\"col\">not restricted</th><th scope=\"col\">restricted share</th></tr></thead><tbody>\n"
            for (name, o) in automatedAccuracy.rows {
                s += "<tr><td>\(Self.escape(name))</td><td class=\"n\">\(o.reviewed)</td><td class=\"n\">\(o.restricted)</td><td class=\"n\">\(o.notRestricted)</td><td class=\"n\">\(Self.percent(o.restrictedShare))</td></tr>\n"
            }
            s += "</tbody></table>\n<p>Restricted, then reinstated on appeal: \(automatedAccuracy.reversed).</p>\n"
        }
        s += "<h2>\(Self.escape(Self.referralsTitle))</h2>\n<p>\(referrals) in the period, by the Member State informed:</p>\n"
            + Self.barChart(referralsByMemberState.sorted { $0.key < $1.key }, label: "Referrals by Member State informed")
        s += "<h2>\(Self.escape(Self.timesTitle))</h2>\n<p>\(Self.escape(Self.timesNote))</p>\n"
        let times = timeRows
        if times.isEmpty {
            s += "<p>None.</p>\n"
        } else {
            s += "<table><thead><tr><th scope=\"col\">source</th><th scope=\"col\">decided</th><th scope=\"col\">median</th><th scope=\"col\">90th percentile</th><th scope=\"col\">within one hour</th></tr></thead><tbody>\n"
            for (name, t) in times {
                s += "<tr><td>\(Self.escape(name))</td><td class=\"n\">\(t.count)</td><td class=\"n\">\(DecisionTimes.text(t.medianSeconds))</td><td class=\"n\">\(DecisionTimes.text(t.p90Seconds))</td><td class=\"n\">\(t.withinOneHour)</td></tr>\n"
            }
            s += "</tbody></table>\n"
        }
        return s
    }

    static let timesTitle = "Time to the first decision"
    /// What the time tables measure, under their title in Markdown and HTML.
    static let timesNote = "From a case's opening (the item flagged, reported or named in an order) to its first decision, for the cases first decided in the period; complaints from filing to decision."

    static let accuracyTitle = "Accuracy of automated detection (DSA Article 15(1)(e))"
    /// What the accuracy table measures, under its title.
    static let accuracyNote = "The cases Bulwark's automated detection sent to review whose first decision by a person (other than an escalation) falls in the period, by the engine's verdict on arrival and by language: how many the person restricted. Automated detection never restricts on its own; an item it flagged and a person did not restrict is its error. Content it missed is found by reports and removal orders (restrictions by source)."

    /// A share as a percentage with one decimal, or a dash.
    static func percent(_ share: Double?) -> String {
        guard let share else { return "–" }
        let v = Int((share * 1000).rounded())
        return "\(v / 10).\(v % 10)%"
    }

    static let referralsTitle = "Referrals to law enforcement: imminent threats to life (TCO Article 14(5))"

    static func htmlTable(_ title: String, _ rows: [(String, Int)]) -> String {
        var s = "<h2>\(escape(title))</h2>\n<table><thead><tr><th scope=\"col\">measure</th><th scope=\"col\">count</th></tr></thead><tbody>\n"
        for (k, v) in rows { s += "<tr><td>\(escape(k))</td><td class=\"n\">\(v)</td></tr>\n" }
        return s + "</tbody></table>\n"
    }

    /// A horizontal bar chart as inline SVG, with its numbers as text (readable without the bars).
    static func barChart(_ rows: [(String, Int)], label: String) -> String {
        guard !rows.isEmpty else { return "<p>None.</p>\n" }
        let maxValue = max(1, rows.map(\.1).max() ?? 1)
        let rowHeight = 22, labelWidth = 180, barWidth = 360
        let height = rows.count * rowHeight + 4
        var s = "<svg role=\"img\" aria-label=\"\(escape(label))\" width=\"\(labelWidth + barWidth + 60)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        for (i, (k, v)) in rows.enumerated() {
            let y = i * rowHeight + 2
            let w = Int((Double(v) / Double(maxValue) * Double(barWidth)).rounded())
            s += "<text x=\"0\" y=\"\(y + 15)\">\(escape(String(k.prefix(28))))</text>"
            s += "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(w)\" height=\"16\" fill=\"#2b5797\"/>"
            s += "<text x=\"\(labelWidth + w + 6)\" y=\"\(y + 15)\">\(v)</text>\n"
        }
        return s + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// How long a set of decisions took, in seconds: the count, the median and the 90th percentile
/// (nearest rank: the smallest value with at least that share of the values at or below it), and
/// how many took an hour or less.
public struct DecisionTimes: Sendable, Hashable {
    public var count: Int
    public var medianSeconds: Int64
    public var p90Seconds: Int64
    public var withinOneHour: Int

    /// nil for no values.
    public init?(seconds: [Int64]) {
        guard !seconds.isEmpty else { return nil }
        let sorted = seconds.sorted()
        func rank(_ p: Double) -> Int64 {
            let r = Int((p * Double(sorted.count)).rounded(.up))
            return sorted[min(sorted.count, max(1, r)) - 1]
        }
        count = sorted.count
        medianSeconds = rank(0.5)
        p90Seconds = rank(0.9)
        withinOneHour = sorted.count { $0 <= 3_600 }
    }

    var json: String {
        "{\"decided\":\(count),\"median_seconds\":\(medianSeconds),\"p90_seconds\":\(p90Seconds),\"within_one_hour\":\(withinOneHour)}"
    }

    /// "45 s", "12 min", "3 h 05 min", "2 d 4 h".
    public static func text(_ seconds: Int64) -> String {
        switch seconds {
        case ..<60: "\(seconds) s"
        case ..<3_600: "\(seconds / 60) min"
        case ..<86_400: "\(seconds / 3_600) h \(seconds % 3_600 / 60 < 10 ? "0" : "")\(seconds % 3_600 / 60) min"
        default: "\(seconds / 86_400) d \(seconds % 86_400 / 3_600) h"
        }
    }
}
