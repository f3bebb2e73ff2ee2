public import BulwarkCore

/// Counts for a transparency report over [from, to), each a map from a key (an action, a
/// category, a language...) to a count. Both stores run the same SQL (integers only are
/// interpolated: the bounds), but for how the query of decisions groups its rows
/// (``TransparencyQueries/decisions(from:to:dialect:)``).
public struct TransparencyCounts: Sendable, Hashable {
    public var itemsReceived = 0
    /// Items the engine flagged (violating or review) on arrival: the automated detection.
    public var itemsFlagged = 0
    /// Every decision in the period by action (reinstate included).
    public var decisionsByAction: [String: Int] = [:]
    /// Restricting decisions by policy category ("none" when the decision gave none).
    public var restrictionsByCategory: [String: Int] = [:]
    /// Restricting decisions by the item's detected language ("und" when unknown or not an item).
    public var restrictionsByLanguage: [String: Int] = [:]
    /// Restricting decisions by what brought the content to review: proactive (automated
    /// detection), user_report, trusted_flagger, removal_order.
    public var restrictionsBySource: [String: Int] = [:]
    /// Appeals filed in the period by status now (open, upheld, reversed).
    public var appealsByStatus: [String: Int] = [:]
    /// Appeals filed in the period decided after their deadline, or still open past it at `to`.
    public var appealsLate = 0
    /// Reversals by exemption ("none" without one).
    public var reversalsByExemption: [String: Int] = [:]
    /// Referrals to law enforcement made in the period (TCO Article 14(5)) by the Member State
    /// informed ("none" when none was given, as for Europol).
    public var referralsByMemberState: [String: Int] = [:]
    /// For each case first decided in the period, the seconds from its opening to that decision,
    /// by what brought it to review (as `restrictionsBySource`).
    public var firstDecisionSeconds: [String: [Int64]] = [:]
    /// For each appeal decided in the period, the seconds from its filing to its decision.
    public var appealDecisionSeconds: [Int64] = []
    /// The cases automated detection opened (source `proactive`) whose first decision other than
    /// an escalation falls in the period, keyed "VERDICT/OUTCOME": the engine's decision on
    /// arrival (`violating`, `review`) and whether the person restricted the item (`restricted`,
    /// `not_restricted`).
    public var automatedOutcomesByVerdict: [String: Int] = [:]
    /// The same cases keyed "LANGUAGE/OUTCOME" (the language the engine found).
    public var automatedOutcomesByLanguage: [String: Int] = [:]
    /// Of those restricted, how many were reinstated on appeal by the period's end.
    public var automatedReversed = 0

    public init() {}
}

enum TransparencyQueries {
    /// The actions that restrict content or an account (`ModerationAction.restricts`), as SQL's
    /// list.
    static let restricting =
        "(" + ModerationAction.allCases.filter(\.restricts).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    /// (name, SQL returning rows of (key TEXT, n integer)).
    static func all(from: Int64, to: Int64, dialect: Schema.Dialect) -> [(String, String)] {
        let d = decidedIn(from: from, to: to)
        return [
            ("items", """
                SELECT 'received', COUNT(*) FROM items WHERE received_at >= \(from) AND received_at < \(to)
                UNION ALL
                SELECT 'flagged', COUNT(*) FROM items WHERE received_at >= \(from) AND received_at < \(to) AND decision IN ('violating', 'review')
                """),
            ("decisions", decisions(from: from, to: to, dialect: dialect)),
            ("appeal", "SELECT status, COUNT(*) FROM appeals WHERE filed_at >= \(from) AND filed_at < \(to) GROUP BY status"),
            ("late", """
                SELECT 'late', COUNT(*) FROM appeals WHERE filed_at >= \(from) AND filed_at < \(to)
                AND ((decided_at IS NOT NULL AND decided_at > deadline_at) OR (decided_at IS NULL AND deadline_at < \(to)))
                """),
            ("exemption", """
                SELECT COALESCE(exemption, 'none'), COUNT(*) FROM appeals
                WHERE filed_at >= \(from) AND filed_at < \(to) AND status = 'reversed' GROUP BY 1
                """),
            ("referral", """
                SELECT COALESCE(member_state, 'none'), COUNT(*) FROM referrals
                WHERE referred_at >= \(from) AND referred_at < \(to) GROUP BY 1
                """),
            // One row per case whose first decision falls in the period: (source, seconds). The
            // first decisions are marked when written (schema version 19) and read by time.
            ("first_decision", """
                SELECT CASE WHEN d.removal_order_id IS NOT NULL THEN 'removal_order' ELSE c.source END, d.created_at - c.created_at
                FROM decisions d JOIN cases c ON c.id = d.case_id
                WHERE \(d) AND d.first_of_case
                """),
            // One row per appeal decided in the period.
            ("appeal_decision", """
                SELECT 'appeal', decided_at - filed_at FROM appeals
                WHERE decided_at IS NOT NULL AND decided_at >= \(from) AND decided_at < \(to)
                """),
        ]
    }

    /// The decisions `d` made in [from, to), read through their index by time (schema version 18).
    static func decidedIn(from: Int64, to: Int64) -> String {
        "d.created_at >= \(from) AND d.created_at < \(to)"
    }

    /// Every decision of the period in one pass, keyed
    /// "ACTION/CATEGORY/SOURCE/VERDICT/REVERSED/LANGUAGE" (the language last: the one part that
    /// may hold the separator):
    /// - by action; the restricting ones by category, by what brought the content to review and
    ///   by language (CATEGORY and SOURCE empty for the others);
    /// - the accuracy of automated detection: each case it opened whose first decision other than
    ///   an escalation falls in the period (marked when written, schema version 19), with the
    ///   engine's verdict on arrival and, for a restriction, whether it was reinstated by the
    ///   period's end (VERDICT and REVERSED empty for other decisions).
    ///
    /// The rows and the key are the same SQL on both stores; how they are grouped is not.
    /// SQLite groups the rows by the key. PostgreSQL first groups them by the key's columns,
    /// which it counts in a hash table: grouped by the key itself, whose number of values it
    /// cannot estimate, it sorted every row on disk. A year of a million cases (`EXPLAIN ANALYZE`
    /// and python's `sqlite3`, 2026-12-06): until then these were two queries, each joining the
    /// period's decisions to their cases and items, 3.6-4.0 s on PostgreSQL and 3.8-5.6 s on
    /// SQLite; this one 2.7-3.3 s on PostgreSQL (3.6-4.0 s grouped by the key) and 3.1-3.3 s
    /// on SQLite (5.4-5.8 s grouped by the columns first).
    static func decisions(from: Int64, to: Int64, dialect: Schema.Dialect) -> String {
        let columns = """
            d.action AS action, d.category AS category, d.removal_order_id IS NOT NULL AS ordered,
                c.source AS source, i.language AS language,
                d.first_ruling AND c.source = 'proactive' AND d.removal_order_id IS NULL AND i.id IS NOT NULL AS automated,
                i.decision AS verdict,
                d.action IN \(restricting) AND d.first_ruling AND EXISTS (
                    SELECT 1 FROM decisions r WHERE r.case_id = d.case_id AND r.action = 'reinstate' AND r.created_at < \(to)
                ) AS reversed
            """
        let rows = """
            FROM decisions d JOIN cases c ON c.id = d.case_id LEFT JOIN items i ON i.id = c.item_id
            WHERE \(decidedIn(from: from, to: to))
            """
        let key = """
            action || '/'
                || CASE WHEN action IN \(restricting) THEN COALESCE(category, 'none') || '/'
                    || CASE WHEN ordered THEN 'removal_order' ELSE source END
                    ELSE '/' END || '/'
                || CASE WHEN automated THEN verdict || '/' || CASE WHEN reversed THEN 'reversed' ELSE 'kept' END
                    ELSE '/' END || '/'
                || COALESCE(language, 'und')
            """
        switch dialect {
        case .sqlite:
            return "SELECT \(key), COUNT(*) FROM (SELECT \(columns) \(rows)) GROUP BY 1"
        case .postgres:
            return """
                SELECT \(key), SUM(n)::BIGINT
                FROM (SELECT \(columns), COUNT(*) AS n \(rows) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) AS g
                GROUP BY 1
                """
        }
    }

    static func fold(_ name: String, _ key: String, _ n: Int, into c: inout TransparencyCounts) {
        switch name {
        case "items": if key == "received" { c.itemsReceived = n } else { c.itemsFlagged = n }
        case "decisions":
            // ACTION/CATEGORY/SOURCE/VERDICT/REVERSED/LANGUAGE; CATEGORY and SOURCE empty unless
            // the action restricts, VERDICT and REVERSED empty unless automated detection's.
            let parts = key.split(separator: "/", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6 else { break }
            let action = String(parts[0])
            let language = String(parts[5])
            c.decisionsByAction[action, default: 0] += n
            let restricting = ModerationAction(rawValue: action)?.restricts ?? false
            if restricting {
                c.restrictionsByCategory[String(parts[1]), default: 0] += n
                c.restrictionsBySource[String(parts[2]), default: 0] += n
                c.restrictionsByLanguage[language, default: 0] += n
            }
            guard !parts[3].isEmpty else { break }
            let outcome = restricting ? "restricted" : "not_restricted"
            c.automatedOutcomesByVerdict["\(parts[3])/\(outcome)", default: 0] += n
            c.automatedOutcomesByLanguage["\(language)/\(outcome)", default: 0] += n
            if parts[4] == "reversed" { c.automatedReversed += n }
        case "appeal": c.appealsByStatus[key] = n
        case "late": c.appealsLate = n
        case "exemption": c.reversalsByExemption[key] = n
        case "referral": c.referralsByMemberState[key] = n
        case "first_decision": c.firstDecisionSeconds[key, default: []].append(Int64(max(0, n)))
        case "appeal_decision": c.appealDecisionSeconds.append(Int64(max(0, n)))
        default: break
        }
    }
}

extension TransparencyReport {
    /// The report for [from, to) from a store: its counts, and the removal orders of the period
    /// (and of the 12 months before `to`) with their clocks.
    public static func build(from: Int64, to: Int64, store: any ModerationStore) async throws -> TransparencyReport {
        let c = try await store.transparencyCounts(from: from, to: to)
        var orders = Orders()
        for o in try await store.removalOrders(receivedFrom: from, to: to, limit: 1_000_000) {
            orders.received += 1
            orders.targetsNotExecuted += o.outcomes.count { $0.decisionID == nil }
            guard o.executedCount > 0 else {
                orders.notExecutable += 1
                continue
            }
            orders.executed += 1
            switch o.clock.state(now: to) {
            case .metInTime: orders.metInTime += 1
            case .metLate: orders.metLate += 1
            case .running, .dueSoon, .overdue: orders.unconfirmed += 1
            }
        }
        orders.lastTwelveMonths = try await store.removalOrders(receivedFrom: to - 365 * 86_400, to: to, limit: 1_000_000).count
        return TransparencyReport(
            from: from, to: to, itemsReceived: c.itemsReceived, itemsFlagged: c.itemsFlagged, decisionsByAction: c.decisionsByAction,
            restrictionsByCategory: c.restrictionsByCategory, restrictionsByLanguage: c.restrictionsByLanguage,
            restrictionsBySource: c.restrictionsBySource, orders: orders, appealsByStatus: c.appealsByStatus,
            appealsLate: c.appealsLate, reversalsByExemption: c.reversalsByExemption,
            referralsByMemberState: c.referralsByMemberState,
            timeToFirstDecision: c.firstDecisionSeconds.compactMapValues(DecisionTimes.init(seconds:)),
            appealDecisionTimes: DecisionTimes(seconds: c.appealDecisionSeconds),
            automatedAccuracy: AutomatedAccuracy(
                byVerdict: c.automatedOutcomesByVerdict, byLanguage: c.automatedOutcomesByLanguage, reversed: c.automatedReversed))
    }
}
