/// A case's final decision as one line of labelled data, in the data contract `bulwark eval` and
/// `bulwark train` read (`{"id", "lang", "type", "text", "label", "category" | "kind"}`): what a
/// platform's reviewers decided becomes data to measure the engine on and to train it with.
///
/// - `remove`, `restrict_visibility` and `geo_block` are `violating`, with the decision's
///   category;
/// - `no_violation` and `reinstate` (an appeal granted) are `none`, with the exemption the
///   reviewer named as the hard-negative kind (`journalistic` → `news`, `educational` and
///   `research` → `research`, `artistic`, `counter_speech`);
/// - an escalation says nothing about the text, and a text purged once its preservation period
///   ended (empty) is gone: neither gives a line.
///
/// Nothing about the author or the container is written: the text, its type and language, the
/// decision. The id is the case's (`case-12`), so a line keeps its split (`DatasetSplit`) from one
/// export to the next.
public struct ReviewLabel: Sendable, Hashable {
    public var caseID: Int64
    public var text: String
    public var type: String?
    /// The platform's language hint, else the language the engine found (none when undetermined).
    public var language: String?
    public var label: Label
    public var category: Category?
    /// The hard-negative kind of a `none` label, from the decision's exemption.
    public var kind: String?
    /// Unix seconds.
    public var decidedAt: Int64

    public init?(
        caseID: Int64, text: String, type: String?, languageHint: String?, detectedLanguage: String?,
        action: ModerationAction, category: Category?, exemption: String?, decidedAt: Int64
    ) {
        guard !text.isEmpty else { return nil }
        switch action {
        case .remove, .restrictVisibility, .geoBlock:
            label = .violating
            self.category = category
            kind = nil
        case .noViolation, .reinstate:
            label = .none
            self.category = nil
            kind = exemption.flatMap(Exemption.init(rawValue:)).map(Self.kind(of:))
        case .escalate, .suspend:
            return nil
        }
        self.caseID = caseID
        self.text = text
        self.type = type
        let hint = languageHint.flatMap { $0.isEmpty ? nil : $0 }
        language = hint ?? detectedLanguage.flatMap { $0.isEmpty || $0 == "und" ? nil : $0 }
        self.decidedAt = decidedAt
    }

    /// The hard-negative kind of the data contract that an exemption (TCO Art. 1(3)) stands for.
    public static func kind(of exemption: Exemption) -> String {
        switch exemption {
        case .journalistic: "news"
        case .educational, .research: "research"
        case .artistic: "artistic"
        case .counterSpeech: "counter_speech"
        }
    }

    /// The line, without its newline.
    public var jsonLine: String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 160)
        out.append(contentsOf: #"{"id":"case-"#.utf8)
        out.append(contentsOf: String(caseID).utf8)
        out.append(UInt8(ascii: "\""))
        if let language {
            out.append(contentsOf: #","lang":"#.utf8)
            appendJSONString(language, to: &out)
        }
        if let type {
            out.append(contentsOf: #","type":"#.utf8)
            appendJSONString(type, to: &out)
        }
        out.append(contentsOf: #","text":"#.utf8)
        appendJSONString(text, to: &out)
        out.append(contentsOf: #","label":""#.utf8)
        out.append(contentsOf: label.rawValue.utf8)
        out.append(UInt8(ascii: "\""))
        if let category {
            out.append(contentsOf: #","category":""#.utf8)
            out.append(contentsOf: category.rawValue.utf8)
            out.append(UInt8(ascii: "\""))
        }
        if let kind {
            out.append(contentsOf: #","kind":""#.utf8)
            out.append(contentsOf: kind.utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: #","decided_at":"#.utf8)
        out.append(contentsOf: String(decidedAt).utf8)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
