public import BulwarkCore

/// What an entity is: an account that posts, or a container that gathers an audience.
public enum EntityKind: String, Sendable, Hashable, Codable, CaseIterable {
    case account, page, group, channel, room, thread
}

/// Where an entity stands after review.
public enum EntityStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active, restricted, suspended, removed

    /// Whether the platform has taken the entity down (a re-appearance of it is ban evasion).
    public var isBanned: Bool { self == .suspended || self == .removed }
}

/// What one item contributes to its entities' signals.
public struct ItemSignal: Sendable, Hashable {
    public var time: Int64
    public var decision: Decision
    public var score: Double
    public var category: Category?
    /// The item matched known content (a bank entry or a known text).
    public var knownContent: Bool

    public init(time: Int64, decision: Decision, score: Double, category: Category? = nil, knownContent: Bool = false) {
        self.time = time
        self.decision = decision
        self.score = score
        self.category = category
        self.knownContent = knownContent
    }
}

/// An entity's running signals: every field is updated in O(1) per item or reach change, so
/// the signals (and the risk computed from them) stay current without rescanning items.
public struct EntitySignals: Sendable, Hashable, Codable {
    public var items = 0
    public var violating = 0
    public var review = 0
    public var knownContent = 0
    /// The highest engine score among its violating and review items.
    public var maxScore = 0.0
    /// Violating and review items per policy category.
    public var categories: [String: Int] = [:]
    /// Followers or members, the latest figure, and the largest seen.
    public var reach = 0
    public var peakReach = 0
    /// Reach at up to ``maxReachHistory`` moments, oldest first (a figure is kept when it
    /// changes by 10% or more, so the history shows growth, not noise).
    public var reachHistory: [ReachSample] = []
    public var firstSeen: Int64 = 0
    public var lastSeen: Int64 = 0
    /// Distinct days (UTC) with a violating or review item: persistence.
    public var activeDays = 0
    public var lastActiveDay: Int64 = -1
    /// Σ over violating items of the reach at the time (review items count half): the audience
    /// the entity's violating content has had.
    public var exposure = 0.0
    /// Violating (1) and review (0.5) items, decayed with a half-life of ``velocityHalfLife``:
    /// recent activity, i.e. velocity, as of ``velocityTime``.
    public var velocity = 0.0
    public var velocityTime: Int64 = 0

    public static let maxReachHistory = 32
    public static let velocityHalfLife: Int64 = 86_400

    public struct ReachSample: Sendable, Hashable, Codable {
        public var time: Int64
        public var reach: Int
    }

    public init() {}

    /// Folds in one item.
    public mutating func record(_ item: ItemSignal) {
        if items == 0 || item.time < firstSeen { firstSeen = item.time }
        lastSeen = max(lastSeen, item.time)
        items += 1
        if item.knownContent { knownContent += 1 }
        countHarm(item, recordedAs: .none)
    }

    /// Counts a known-content match found after the item was recorded (its media matched a bank
    /// in the background, or a retro-hunt did): the item is known content, and counts as
    /// `item.decision` rather than the milder decision it was recorded with.
    public mutating func recordKnownContent(_ item: ItemSignal, recordedAs previous: Decision) {
        knownContent += 1
        guard item.decision > previous else { return }
        countHarm(item, recordedAs: previous)
    }

    /// Counts a violating or review item that was recorded as `previous` (`none` for a new item).
    private mutating func countHarm(_ item: ItemSignal, recordedAs previous: Decision) {
        let weight: Double
        switch item.decision {
        case .violating:
            violating += 1
            weight = 1
        case .review:
            review += 1
            weight = 0.5
        case .none:
            return
        }
        var previousWeight = 0.0
        if previous == .review {
            review -= 1
            previousWeight = 0.5
        } else if let category = item.category {
            categories[category.rawValue, default: 0] += 1
        }
        maxScore = max(maxScore, item.score)
        exposure += (weight - previousWeight) * Double(reach)
        // Floor division without overflow at the extremes of Int64.
        let day = item.time >= 0 ? item.time / 86_400 : -((-(item.time + 1)) / 86_400) - 1
        if day > lastActiveDay {
            activeDays += 1
            lastActiveDay = day
        }
        velocity = decayedVelocity(at: max(item.time, velocityTime)) + weight - previousWeight
        velocityTime = max(item.time, velocityTime)
    }

    /// Records a reach figure (followers, members) seen at `time`.
    public mutating func observeReach(_ value: Int, at time: Int64) {
        let value = max(0, value)
        if items == 0 && reachHistory.isEmpty && firstSeen == 0 { firstSeen = time }
        lastSeen = max(lastSeen, time)
        peakReach = max(peakReach, value)
        let last = reachHistory.last?.reach
        if last == nil || Double(abs(value - last!)) * 10 >= Double(max(last!, 1)) {
            reachHistory.append(ReachSample(time: time, reach: value))
            if reachHistory.count > Self.maxReachHistory { reachHistory.removeFirst() }
        }
        reach = value
    }

    /// Velocity decayed to `time`.
    public func decayedVelocity(at time: Int64) -> Double {
        guard time > velocityTime, velocity > 0 else { return velocity }
        let halfLives = (Double(time) - Double(velocityTime)) / Double(Self.velocityHalfLife)
        return velocity * exp2Approx(-halfLives)
    }

    /// Share of items that are violating (review items count half), smoothed towards zero for
    /// entities with few items: (v + r/2) / (items + 2).
    public var violatingShare: Double {
        (Double(violating) + 0.5 * Double(review)) / Double(items + 2)
    }

    /// The category with the most violating and review items.
    public var topCategory: Category? {
        categories.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }
            .flatMap { Category(rawValue: $0.key) }
    }
}

/// 2^x for x ≤ 0 without Foundation.
func exp2Approx(_ x: Double) -> Double {
    guard x > -1_000 else { return 0 }
    let whole = x.rounded(.down)
    let f = x - whole  // [0, 1)
    // 2^f = e^(f ln 2), a short series is exact to ~1e-12 on [0, 1).
    let y = f * 0.693_147_180_559_945_3
    var term = 1.0
    var sum = 1.0
    for k in 1...14 {
        term *= y / Double(k)
        sum += term
    }
    return Double(sign: .plus, exponent: Int(whole), significand: sum)
}
