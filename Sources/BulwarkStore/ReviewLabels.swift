public import BulwarkCore

/// What a case's final decision gives `ReviewLabel`: the decision, and the item's text, type and
/// language as stored (a purged item's text is empty).
public struct LabelSource: Sendable, Hashable {
    public var decisionID: Int64
    public var caseID: Int64
    /// The hash of the item's normalised text (schema v13), nil for a case not keyed yet.
    public var contentKey: String?
    public var action: ModerationAction
    public var category: Category?
    public var exemption: String?
    public var decidedAt: Int64
    public var text: String
    public var type: String?
    public var languageHint: String?
    public var language: String?

    public var label: ReviewLabel? {
        ReviewLabel(
            caseID: caseID, text: text, type: type, languageHint: languageHint, detectedLanguage: language,
            action: action, category: category, exemption: exemption, decidedAt: decidedAt)
    }
}

/// The label-sources query, one text for both stores (only integers are interpolated): the latest
/// decision of each item case that is not an escalation, newest first. Entity cases have no item
/// and are left out by the join.
enum LabelQueries {
    static func sources(beforeDecisionID: Int64?, from: Int64?, to: Int64?, limit: Int) -> String {
        var conditions = ["d.action <> 'escalate'"]
        if let beforeDecisionID { conditions.append("d.id < \(beforeDecisionID)") }
        if let from { conditions.append("d.created_at >= \(from)") }
        if let to { conditions.append("d.created_at < \(to)") }
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM decisions l WHERE l.case_id = d.case_id AND l.id > d.id AND l.action <> 'escalate')")
        return """
            SELECT d.id AS decision_id, d.case_id, d.action, d.category, d.exemption, d.created_at, c.content_key,
                i.text, i.type, i.lang_hint, i.language
            FROM decisions d JOIN cases c ON c.id = d.case_id JOIN items i ON i.id = c.item_id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY d.id DESC LIMIT \(limit)
            """
    }
}

/// Writes the labels of a store's decided cases, newest decision first, one line per text: a
/// text decided on several copies (the same content key) is written once, with its latest
/// decision. Pages of `pageSize` decisions; memory is the content keys written so far.
public enum ReviewLabelExport {
    public struct Summary: Sendable, Hashable {
        public var decisions = 0
        public var written = 0
        public var violating = 0
        public var none = 0
        /// Decisions on a text already written (a copy decided too).
        public var copies = 0
        /// Decisions whose item's text was purged after its preservation period.
        public var purged = 0
        public init() {}
    }

    public static let defaultPageSize = 1_000

    public static func run(
        _ store: any ModerationStore, from: Int64?, to: Int64?, pageSize: Int = defaultPageSize,
        write: (ReviewLabel) throws -> Void
    ) async throws -> Summary {
        precondition(pageSize > 0)
        var summary = Summary()
        var keys = Set<String>()
        var before: Int64? = nil
        while true {
            let page = try await store.labelSources(beforeDecisionID: before, from: from, to: to, limit: pageSize)
            for source in page {
                summary.decisions += 1
                guard let label = source.label else {
                    summary.purged += 1
                    continue
                }
                if let key = source.contentKey, !keys.insert(key).inserted {
                    summary.copies += 1
                    continue
                }
                try write(label)
                summary.written += 1
                if label.label == .violating { summary.violating += 1 } else { summary.none += 1 }
            }
            guard page.count == pageSize, let last = page.last else { return summary }
            before = last.decisionID
        }
    }
}
