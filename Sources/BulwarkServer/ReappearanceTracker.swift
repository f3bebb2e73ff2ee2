import BulwarkCore
import BulwarkEntities
import BulwarkStore
import BulwarkText

/// The server's index of banned entities (suspended or removed), for recognising one that comes
/// back under a new identifier.
///
/// The store is the truth: the index is loaded from it when first used and brought up to date
/// with the store's status changes (`entityStatusChanges`) at most every ``refreshSeconds``,
/// so bans and reinstatements decided by another process sharing a PostgreSQL database reach
/// this one within that time; a decision taken here updates it at once. A match is recorded
/// only if the store still has the resembled entity banned.
actor ReappearanceTracker {
    private var index = ReappearanceIndex()
    /// Store time of the last refresh (nil: never loaded).
    private var refreshedAt: Int64?
    /// The refresh under way, if any.
    private var refreshing: Task<Void, any Error>?
    /// How many times the index was read from the store.
    private(set) var loads = 0
    let normalizer: TextNormalizer
    /// Seconds between refreshes from the store.
    static let refreshSeconds: Int64 = 1
    /// Status changes are re-read this far back at each refresh, so clocks of processes that
    /// differ by up to this much still miss nothing (re-reading is idempotent).
    static let overlapSeconds: Int64 = 300

    init(normalizer: TextNormalizer) {
        self.normalizer = normalizer
    }

    /// Brings the index up to date with the store if it is due. One read at a time: a call that
    /// finds a refresh under way waits for it and returns with its result (every ingest request
    /// calls this, and each used to start a read of its own while the first was still waiting
    /// for the store).
    func refresh(_ store: any ModerationStore, now: Int64) async throws {
        if let refreshing { return try await refreshing.value }
        if let at = refreshedAt, now - at < Self.refreshSeconds { return }
        let since = refreshedAt.map { max(1, $0 - Self.overlapSeconds) } ?? 1
        let load = Task { try await self.load(store, since: since, now: now) }
        refreshing = load
        defer { refreshing = nil }
        try await load.value
    }

    /// Reads the status changes since `since` and applies them.
    private func load(_ store: any ModerationStore, since: Int64, now: Int64) async throws {
        let changes = try await store.entityStatusChanges(since: since)
        for source in changes { apply(source) }
        refreshedAt = now
        loads += 1
    }

    /// Adds a banned entity's fingerprint, or forgets one no longer banned.
    func apply(_ source: EntityFingerprintSource) {
        if source.status.isBanned {
            index.add(fingerprint(source))
        } else {
            index.remove(String(source.entityID))
        }
    }

    /// The index as it stands, to match against outside the actor: a copy (copied on write), so
    /// requests match in parallel instead of one at a time on the actor.
    var snapshot: ReappearanceIndex { index }

    /// The best match for an entity among the banned ones in `index`, if any reaches the
    /// threshold. Not isolated: it normalises and shingles the entity's texts on the caller's
    /// thread (on the actor, with banned entities in the store, it was the limit of ingest).
    nonisolated func match(_ source: EntityFingerprintSource, in index: ReappearanceIndex) -> ReappearanceMatch? {
        guard index.count > 0, !source.status.isBanned else { return nil }
        return index.bestMatch(for: fingerprint(source))
    }

    /// Name (the container's title, or the account's name), description and early posts,
    /// normalised by the text engine's normaliser.
    nonisolated func fingerprint(_ s: EntityFingerprintSource) -> EntityFingerprint {
        EntityFingerprint(
            entityID: String(s.entityID), kind: s.kind, name: normalizer.normalize(s.name ?? "").bytes,
            description: normalizer.normalize(s.description ?? "").bytes,
            avatar: s.avatarPDQ.flatMap { PDQHash(hex: $0) },
            posts: s.earlyPosts.prefix(ReappearanceIndex.maxPosts).map {
                Shingles(normalizer.normalize($0).bytes, width: 5)
            })
    }
}
