public import BulwarkCore
import Foundation

/// What the reviewer console reads besides cases and entities: the size of the whole queue, an
/// entity's items with their cases, and what surrounds an item (its links, its author and
/// container, its images and their bank matches).

/// One value and how many open cases have it.
public struct QueueCount: Sendable, Hashable {
    /// The source, language or category; "" for cases without a language or category.
    public var name: String
    public var count: Int

    public init(name: String, count: Int) {
        self.name = name
        self.count = count
    }
}

/// Every open, claimed or escalated case counted by source, language and category: the whole
/// queue, however many cases a page lists. Each list is largest first, then by name.
public struct QueueCounts: Sendable, Hashable {
    public var total: Int
    public var sources: [QueueCount]
    public var languages: [QueueCount]
    public var categories: [QueueCount]

    public init(total: Int, sources: [QueueCount], languages: [QueueCount], categories: [QueueCount]) {
        self.total = total
        self.sources = sources
        self.languages = languages
        self.categories = categories
    }

    /// Counts from (source, language, category, count) groups.
    init(groups: [(source: String, language: String?, category: String?, count: Int)]) {
        func tally(_ key: ((source: String, language: String?, category: String?, count: Int)) -> String)
            -> [QueueCount]
        {
            var counts: [String: Int] = [:]
            for g in groups { counts[key(g), default: 0] += g.count }
            return counts.map { QueueCount(name: $0.key, count: $0.value) }
                .sorted { ($0.count, $1.name) > ($1.count, $0.name) }
        }
        self.init(
            total: groups.reduce(0) { $0 + $1.count }, sources: tally(\.source), languages: tally { $0.language ?? "" },
            categories: tally { $0.category ?? "" })
    }
}

/// An item of an entity, with its case (if it has one) and the case's latest decision.
public struct EntityTimelineEntry: Sendable, Hashable {
    public var item: ItemRecord
    public var caseID: Int64?
    public var caseStatus: CaseStatus?
    public var lastAction: ModerationAction?
}

/// A media part of an item: its hashes as far as they are known, and its bank match.
public struct MediaPartRecord: Sendable, Hashable {
    public var id: Int64
    /// `queued`, `hashed` or `failed`.
    public var status: String
    public var pdq: String?
    public var quality: Int?
    /// An animation's later frames that show another picture, hashed and matched beside `pdq`.
    public var frames: [FramePDQ] = []
    /// When a bank match of the part was counted.
    public var matchedAt: Int64?
    /// The match as the worker recorded it: a JSON object with `bank`, `entry`, `type` and
    /// `distance` (nil for a match recorded before schema version 5).
    public var matchEvidence: String?
    /// Sent as the platform's hashes only, with no bytes.
    public var hashesOnly = false

    public init(
        id: Int64, status: String, pdq: String?, quality: Int?, frames: [FramePDQ] = [], matchedAt: Int64?,
        matchEvidence: String?, hashesOnly: Bool = false
    ) {
        self.id = id
        self.status = status
        self.pdq = pdq
        self.quality = quality
        self.frames = frames
        self.matchedAt = matchedAt
        self.matchEvidence = matchEvidence
        self.hashesOnly = hashesOnly
    }
}

/// What the console shows beside an item.
public struct ItemContext: Sendable, Hashable {
    /// The links the platform sent with the item (those in its text are found in the text).
    public var urls: [String]
    public var author: EntityRecord?
    public var container: EntityRecord?
    public var media: [MediaPartRecord]
}

extension ItemContext {
    /// The `items.urls` column (a JSON array of strings); empty when it cannot be read.
    static func urls(_ text: String?) -> [String] {
        guard let text, let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { return [] }
        return list
    }
}
