/// One instance of each bank name, source and list of labels that a set's entries hold: a
/// million entries imported with two labels each held two million label strings and a million
/// lists of them, each its own (240 MB of a process's 710 MB), the same few values over and over.
/// Up to ``limit`` distinct values of each kind are kept; past it, values are held as given. A
/// value is taken from the table only when its UTF-8 bytes are the same as the one given
/// (`String`'s `==` is canonical equivalence, and a label's bytes are what it is). An import
/// reading a file's records first shares their labels the same way.
public struct SharedValues: Sendable {
    /// Most distinct strings, and lists, kept.
    public static let limit = 4_096

    public init() {}

    private var strings: [String: String] = [:]
    private var lists: [[String]: [String]] = [:]

    /// Strings of up to 15 UTF-8 bytes are held inline, with nothing to share.
    static let inlineBytes = 15

    /// `s`, or the instance kept of the same bytes.
    public mutating func string(_ s: String) -> String {
        if s.utf8.count <= Self.inlineBytes { return s }
        if let known = strings[s] { return known.utf8.elementsEqual(s.utf8) ? known : s }
        guard strings.count < Self.limit else { return s }
        strings[s] = s
        return s
    }

    /// `labels`, or the instance kept of the same list (its strings shared too).
    public mutating func list(_ labels: [String]) -> [String] {
        if labels.isEmpty { return labels }
        if let known = lists[labels] {
            return known.count == labels.count && zip(known, labels).allSatisfy({ $0.utf8.elementsEqual($1.utf8) }) ? known : labels
        }
        guard lists.count < Self.limit else { return labels }
        let kept = labels.map { string($0) }
        lists[kept] = kept
        return kept
    }
}
