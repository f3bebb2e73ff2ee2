/// One input item of the text data contract.
public struct TextItem: Sendable, Hashable {
    public var id: String
    public var text: String
    /// Language hint from the platform (ISO 639-1), if any.
    public var lang: String?
    public var type: ItemType?
    /// Links the platform extracted itself; links in the text are found by the engine.
    public var urls: [String]
    /// Pseudonymous author id, passed through.
    public var author: String?
    /// Container (page, channel, room) id, passed through.
    public var container: String?
    /// Ground truth for `eval` and `train`; ignored by `scan`.
    public var label: Label?
    public var category: Category?
    /// Hard-negative kind for evaluation (`news`, `research`, `counter_speech`, `religious`, ...).
    public var kind: String?
    /// Items that are versions of one text (translations) share a group, for splitting labelled data.
    public var group: String?

    public init(
        id: String,
        text: String,
        lang: String? = nil,
        type: ItemType? = nil,
        urls: [String] = [],
        author: String? = nil,
        container: String? = nil,
        label: Label? = nil,
        category: Category? = nil,
        kind: String? = nil,
        group: String? = nil
    ) {
        self.id = id
        self.text = text
        self.lang = lang
        self.type = type
        self.urls = urls
        self.author = author
        self.container = container
        self.label = label
        self.category = category
        self.kind = kind
        self.group = group
    }
}
