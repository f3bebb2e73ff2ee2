import BulwarkCore
import BulwarkStore

/// The server's index of removed texts: for each content key (``ContentKey``) that a decision
/// was taken on, whether the latest decision on its copies is a removal (by a reviewer or a
/// removal order). A new item with the key of a removed text is known content.
///
/// The store is the truth: the index reads every decision on a keyed case when first used, then
/// the decisions after the last it read, at most every ``refreshSeconds`` (so a removal decided
/// in another process reaches this one within that time). Each refresh re-reads the last
/// ``overlap`` decision ids, which transactions can commit out of order; a decision only
/// replaces a key's state when it is newer than the one that set it.
actor RemovedTexts {
    private struct State {
        var decisionID: Int64
        var removed: RemovedText?
    }

    private var byKey: [String: State] = [:]
    /// The highest decision id read.
    private var readThrough: Int64 = 0
    /// Store time of the last refresh (nil: never loaded).
    private var refreshedAt: Int64?
    private var refreshing: Task<Void, any Error>?
    /// Set when the next read must start from the first decision (``readAgainFromTheStart()``).
    private var fromStart = false
    /// How many times decisions were read from the store.
    private(set) var loads = 0

    static let refreshSeconds: Int64 = 1
    static let overlap: Int64 = 10_000
    static let page = 10_000

    /// Brings the index up to date with the store if it is due; one read at a time (callers that
    /// find one under way wait for it).
    func refresh(_ store: any ModerationStore, now: Int64) async throws {
        if let refreshing { return try await refreshing.value }
        if let at = refreshedAt, now - at < Self.refreshSeconds { return }
        let load = Task { try await self.load(store, now: now) }
        refreshing = load
        defer { refreshing = nil }
        try await load.value
    }

    private func load(_ store: any ModerationStore, now: Int64) async throws {
        let whole = fromStart
        fromStart = false
        var after = whole ? 0 : max(0, readThrough - Self.overlap)
        do {
            while true {
                let page = try await store.contentKeyDecisions(afterID: after, limit: Self.page)
                for d in page { apply(d) }
                guard let last = page.last, page.count == Self.page else { break }
                after = last.decisionID
            }
        } catch {
            if whole { fromStart = true }
            throw error
        }
        // Asked to read from the start while this read was under way: due again at once.
        refreshedAt = fromStart ? nil : now
        loads += 1
    }

    /// Makes the next use read every decision again, from the first: after cases decided long
    /// ago were given content keys (``BulwarkService/giveOlderCasesContentKeys(logger:page:)``),
    /// their decisions are older than the overlap a refresh reads again. A read under way when
    /// this is called is not enough (it may have read before the keys were written): the next
    /// one starts from the first decision.
    func readAgainFromTheStart() {
        fromStart = true
        refreshedAt = nil
    }

    func apply(_ d: ContentKeyDecision) {
        readThrough = max(readThrough, d.decisionID)
        if let state = byKey[d.contentKey], state.decisionID >= d.decisionID { return }
        let removed =
            d.action == ModerationAction.remove.rawValue
            ? RemovedText(caseID: d.caseID, decisionID: d.decisionID, category: d.category) : nil
        byKey[d.contentKey] = State(decisionID: d.decisionID, removed: removed)
    }

    /// The removal each key stands under (nil: none, or no key), the index brought up to date
    /// first if it is due (one call per ingest request).
    func removals(_ keys: [String?], store: any ModerationStore, now: Int64) async throws -> [RemovedText?] {
        try await refresh(store, now: now)
        return keys.map { key in key.flatMap { byKey[$0]?.removed } }
    }

    /// Keys a decision was taken on.
    var count: Int { byKey.count }
}
