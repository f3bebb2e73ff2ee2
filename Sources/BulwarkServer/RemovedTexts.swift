import BulwarkCore
import BulwarkStore

/// The server's index of removed texts: for each content key (``ContentKey``) that a decision
/// was taken on, whether the latest decision on its copies is a removal (by a reviewer or a
/// removal order). A new item with the key of a removed text is known content.
///
/// The store is the truth: the index reads every decision on a keyed case when first used, then
/// the decisions after the last it read, at most every ``refreshSeconds`` (so a removal decided
/// in another process reaches this one within that time). Transactions can commit out of id
/// order (PostgreSQL numbers a decision when it is inserted), so the ids a read passed over are
/// gaps, looked at again (until 2026-12-04 each refresh read the last 10,000 decisions again
/// instead: 25–30 ms of one ingest request a second with a million decided texts), by every
/// refresh for ``freshGapSeconds``, then every ``staleGapSeconds``:
/// - for ``gapSeconds`` from the decision after them (SQLite, whose one writer commits in id
///   order, keeps only the gaps of the last ``gapSeconds``, holes left by rollbacks);
/// - on PostgreSQL also for as long as a write transaction under way when the read found them is
///   still under way (``ModerationStore/writesUnderWay()``): a decision whose transaction takes
///   longer than ``gapSeconds`` to commit is still read. A first read keeps its holes of long ago
///   too, for the same reason, until the next refresh finds those transactions ended.
///
/// A decision only replaces a key's state when it is newer than the one that set it.
///
/// One entry per decided text, kept compact (a platform may have decided millions): the key's
/// 128 bits (``ContentKeyBits``) rather than its 32 hex digits in a String of their own, and the
/// latest decision's ids and category, 40 bytes. A read from the first decision makes one array
/// of them sorted by key (looked up by binary search); later decisions go into a dictionary,
/// merged into the array once it holds a quarter as many (``mergeAt``). A dictionary of every
/// entry took twice the memory (its table a power of two, at most three quarters full).
/// `scripts/bench-removed-texts.sh` measures it.
actor RemovedTexts {
    /// A content key as the index holds it: its 128 bits.
    typealias Key = ContentKeyBits

    /// Ids a read passed over.
    private struct Gap {
        var ids: ClosedRange<Int64>
        /// Store time of the decision after them (their ids were taken before it), or of the read
        /// if that is earlier.
        var since: Int64
        /// The write transactions under way just after the read that found them (nil: the store
        /// commits in id order, or that was not known).
        var writes: WritesUnderWay?
        /// Store time they were last read again (nil: not yet).
        var askedAt: Int64? = nil

        /// Whether a refresh at `now` reads them again: every refresh for ``freshGapSeconds``
        /// from `since`, then every ``staleGapSeconds``.
        func isDue(_ now: Int64) -> Bool {
            guard let askedAt else { return true }
            return now - since < RemovedTexts.freshGapSeconds || now - askedAt >= RemovedTexts.staleGapSeconds
        }

        /// Whether they are let go at `now`: past ``gapSeconds``, and no write transaction under
        /// way when they were found may still be (`writes`, as of now; nil: not known).
        func isDone(_ now: Int64, writes: WritesUnderWay?) -> Bool {
            guard now - since >= RemovedTexts.gapSeconds else { return false }
            guard let writes, let then = self.writes else { return true }
            return !writes.mayStillRun(from: then)
        }
    }

    /// The latest decision on a key's copies: a removal when `removed`.
    private struct State {
        var decisionID: Int64
        var caseID: Int64
        var removed: Bool
        var category: Category?

        var removal: RemovedText? { removed ? RemovedText(caseID: caseID, decisionID: decisionID, category: category) : nil }

        init(_ d: ContentKeyDecision) {
            decisionID = d.decisionID
            caseID = d.caseID
            removed = d.action == ModerationAction.remove.rawValue
            category = removed ? d.category : nil
        }
    }

    /// A key and the latest decision on its copies.
    private struct Entry {
        var key: Key
        var state: State

        /// The order of ``RemovedTexts/sorted``: by the key's bits, low then high.
        static func precedes(_ a: Key, _ b: Key) -> Bool { a.low != b.low ? a.low < b.low : a.high < b.high }
    }

    /// Entries sorted by key, one per key: made by a read from the first decision, and by merges.
    private var sorted: [Entry] = []
    /// Entries of decisions read since `sorted` was made, newer than its entry for the same key.
    private var recent: [Key: State] = [:]
    /// The highest decision id read.
    private var readThrough: Int64 = 0
    /// Ids a read passed over (no decision held them yet), with the store time of the decision
    /// after them (their ids were taken before it), or of the read if that is earlier.
    private var gaps: [Gap] = []
    /// Decisions read from the store, gaps included.
    private(set) var decisionsRead = 0
    /// Gaps read again (each counted once a refresh).
    private(set) var gapsRead = 0
    /// Store time of the last refresh (nil: never loaded).
    private var refreshedAt: Int64?
    private var refreshing: Task<Void, any Error>?
    /// Set when the next read must start from the first decision (``readAgainFromTheStart()``).
    private var fromStart = false
    /// How many times decisions were read from the store.
    private(set) var loads = 0

    static let refreshSeconds: Int64 = 1
    /// How long ids passed over are looked at again at least, from the time of the decision after
    /// them: a decision's transaction commits within seconds (a thousand copies decided at once,
    /// or a removal order's thousand targets). On SQLite no longer, so the holes in the ids of
    /// long ago that a first read passes over are not looked at again; on PostgreSQL, until the
    /// transactions under way when they were found have ended too.
    static let gapSeconds: Int64 = 300
    /// For how long from the decision after them gaps are read again by every refresh: a
    /// decision's transaction commits within a second or two.
    static let freshGapSeconds: Int64 = 10
    /// How often gaps older than ``freshGapSeconds`` are read again: a transaction that commits
    /// that late has its decision read within this time, not within a second. (While a write
    /// transaction stays open on a PostgreSQL server, a thousand gaps read every second took
    /// 15–20 ms of an ingest request each time.)
    static let staleGapSeconds: Int64 = 10
    /// Gaps kept at most (the oldest are let go first).
    static let maxGaps = 1_000
    /// Decisions read in one query.
    let page: Int
    /// Entries in ``recent`` at which they are merged into ``sorted``: a quarter of its count, at
    /// least 65,536 (a merge copies every entry once, about 10 ms a million).
    static func mergeAt(sorted: Int) -> Int { max(65_536, sorted / 4) }
    /// For tests: merge when ``recent`` holds this many instead.
    let mergeAtLeast: Int?

    init(page: Int = 10_000, mergeAt: Int? = nil) {
        self.page = page
        self.mergeAtLeast = mergeAt
    }

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
        if whole {
            readThrough = 0
            gaps = []
        }
        // A read from the first decision makes the sorted entries anew (the ones before are kept
        // until it is done, and if it fails).
        let fromFirst = readThrough == 0
        var made: [Entry]? = fromFirst ? [] : nil
        // Holes this read passes over, kept once the writes under way after it are known.
        var holes: [Gap] = []
        do {
            // Gaps past their time are let go once no transaction that could fill them is still
            // under way; the writes are asked before the gaps are read once more, so a transaction
            // that has ended by then has its decision read.
            let writes = gaps.contains { now - $0.since >= Self.gapSeconds } ? try await store.writesUnderWay() : nil
            // Those due, and those let go after this refresh (read one last time).
            var asked: [ClosedRange<Int64>] = []
            for i in gaps.indices where gaps[i].isDue(now) || gaps[i].isDone(now, writes: writes) {
                asked.append(gaps[i].ids)
                gaps[i].askedAt = now
            }
            if !asked.isEmpty {
                gapsRead += asked.count
                let found = try await store.contentKeyDecisions(inRanges: asked)
                decisionsRead += found.count
                for d in found {
                    apply(d)
                    fill(d.decisionID)
                }
            }
            gaps.removeAll { $0.isDone(now, writes: writes) }
            // Each next page is asked for as soon as the one before has arrived, so the store
            // reads and decodes it while this actor applies the one before.
            let limit = page, first = readThrough
            var next = Task { try await store.contentKeyDecisions(afterID: first, limit: limit) }
            while true {
                let page = try await next.value
                let full = page.count == limit
                if full, let last = page.last?.decisionID {
                    next = Task { try await store.contentKeyDecisions(afterID: last, limit: limit) }
                }
                decisionsRead += page.count
                for d in page {
                    if d.decisionID > readThrough + 1 {
                        holes.append(Gap(ids: readThrough + 1...d.decisionID - 1, since: min(now, d.createdAt), writes: nil))
                    }
                    if made != nil {
                        readThrough = max(readThrough, d.decisionID)
                        if let key = d.contentKey { made!.append(Entry(key: key, state: State(d))) }
                    } else {
                        apply(d)
                    }
                }
                if holes.count > 2 * Self.maxGaps { holes.removeFirst(holes.count - Self.maxGaps) }
                guard full else { break }
            }
            let writesAfter = holes.isEmpty ? nil : try await store.writesUnderWay()
            if let entries = made.take() {
                sorted = Self.latestByKey(entries)
                recent = [:]
            }
            keep(holes, writes: writesAfter, now: now)
        } catch {
            keep(holes, writes: nil, now: now)
            if whole || fromFirst { fromStart = true }
            throw error
        }
        // Asked to read from the start while this read was under way: due again at once.
        refreshedAt = fromStart ? nil : now
        loads += 1
    }

    /// Keeps the holes a read passed over as gaps: all of them when the writes under way after
    /// the read are known (a transaction among them may have taken one of their ids, however long
    /// ago), otherwise those of the last ``gapSeconds``; at most ``maxGaps`` in all, the latest.
    private func keep(_ holes: [Gap], writes: WritesUnderWay?, now: Int64) {
        for var hole in holes where writes != nil || now - hole.since < Self.gapSeconds {
            hole.writes = writes
            gaps.append(hole)
        }
        if gaps.count > Self.maxGaps { gaps.removeFirst(gaps.count - Self.maxGaps) }
    }

    /// Takes a decision found in a gap out of it.
    private func fill(_ id: Int64) {
        guard let i = gaps.firstIndex(where: { $0.ids.contains(id) }) else { return }
        let gap = gaps.remove(at: i)
        if id < gap.ids.upperBound {
            gaps.insert(Gap(ids: id + 1...gap.ids.upperBound, since: gap.since, writes: gap.writes, askedAt: gap.askedAt), at: i)
        }
        if gap.ids.lowerBound < id {
            gaps.insert(Gap(ids: gap.ids.lowerBound...id - 1, since: gap.since, writes: gap.writes, askedAt: gap.askedAt), at: i)
        }
    }

    /// Gaps being looked at again.
    var gapCount: Int { gaps.count }

    /// Makes the next use read every decision again, from the first: after cases decided long
    /// ago were given content keys (``BulwarkService/giveOlderCasesContentKeys(logger:page:)``),
    /// their decisions were read before they had keys, and a refresh reads only later ones and
    /// the gaps. A read under way when this is called is not enough (it may have read before the
    /// keys were written): the next one starts from the first decision.
    func readAgainFromTheStart() {
        fromStart = true
        refreshedAt = nil
    }

    func apply(_ d: ContentKeyDecision) {
        readThrough = max(readThrough, d.decisionID)
        // A key that is not one ``ContentKey`` makes (nil) matches nothing.
        guard let key = d.contentKey else { return }
        if let state = state(of: key), state.decisionID >= d.decisionID { return }
        recent[key] = State(d)
        if recent.count >= mergeAtLeast ?? Self.mergeAt(sorted: sorted.count) { merge() }
    }

    /// The latest decision read on a key's copies.
    private func state(of key: Key) -> State? {
        if let state = recent[key] { return state }
        return Self.position(of: key, in: sorted).map { sorted[$0].state }
    }

    /// Where `key` is in `sorted` (binary search), nil when it is not.
    private static func position(of key: Key, in sorted: [Entry]) -> Int? {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if Entry.precedes(sorted[middle].key, key) { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count && sorted[low].key == key ? low : nil
    }

    /// Entries sorted by key, the one of the latest decision for each.
    private static func latestByKey(_ entries: consuming [Entry]) -> [Entry] {
        var entries = entries
        entries.sort { a, b in a.key != b.key ? Entry.precedes(a.key, b.key) : a.state.decisionID < b.state.decisionID }
        var kept = 0
        // By index, so that no iterator holds the array while it is written.
        for i in entries.indices {
            let entry = entries[i]
            if kept > 0, entries[kept - 1].key == entry.key {
                entries[kept - 1] = entry
            } else {
                entries[kept] = entry
                kept += 1
            }
        }
        // At its count (the array grew by doubling as the pages came).
        return Array(entries[..<kept])
    }

    /// Moves the recent entries into the sorted ones (a recent entry replaces the sorted one of
    /// its key: it was read later, so it is newer).
    private func merge() {
        let newer = recent.map { Entry(key: $0.key, state: $0.value) }.sorted { Entry.precedes($0.key, $1.key) }
        var merged: [Entry] = []
        merged.reserveCapacity(sorted.count + newer.count)
        var i = 0
        for entry in newer {
            while i < sorted.count, Entry.precedes(sorted[i].key, entry.key) {
                merged.append(sorted[i])
                i += 1
            }
            if i < sorted.count, sorted[i].key == entry.key { i += 1 }
            merged.append(entry)
        }
        merged.append(contentsOf: sorted[i...])
        sorted = merged
        recent = [:]
    }

    /// The removal each key stands under (nil: none, or no key), the index brought up to date
    /// first if it is due (one call per ingest request).
    func removals(_ keys: [String?], store: any ModerationStore, now: Int64) async throws -> [RemovedText?] {
        try await refresh(store, now: now)
        return keys.map { key in key.flatMap(Key.init).flatMap { state(of: $0)?.removal } }
    }

    /// Keys a decision was taken on.
    var count: Int { sorted.count + recent.keys.count { Self.position(of: $0, in: sorted) == nil } }

    /// Whether the decisions were read once (until then an ingest request waits for the read).
    var hasLoaded: Bool { loads > 0 }
}
