public import BulwarkCore

/// Removed content kept, access-controlled, for six months after its removal (TCO Article 6),
/// longer when an authority or court asks, then erased.
public struct PreservationRecord: Sendable, Hashable {
    public var itemID: Int64
    public var decisionID: Int64
    public var preservedAt: Int64
    public var expiresAt: Int64
    public var extensions: Int
    public var purgedAt: Int64?
    /// The item as preserved (its text erased once purged).
    public var item: ItemRecord
    /// Media parts kept (0 once purged).
    public var mediaParts: Int
}

public enum Preservation {
    /// Removal and disabling access start preservation; other actions do not.
    public static func preserves(_ action: ModerationAction) -> Bool { action == .remove || action == .geoBlock }

    /// Six calendar months after `time`.
    public static func expiry(from time: Int64) -> Int64 { CivilDate.adding(months: DueProcess.preservationMonths, to: time) }

    /// Most months one extension adds.
    public static let maxExtensionMonths = 6
}
