public import BulwarkCore

/// A change to a bank set: what a store records, in order, and replays.
public enum BankEvent: Sendable, Hashable {
    /// A bank created, or its settings changed.
    case putBank(Bank)
    /// An entry added (its id assigned by the set).
    case add(BankEntry)
    /// An entry's labels replaced (a re-import that brought new labels).
    case relabel(entryID: UInt64, labels: [String])
    /// An entry marked removed.
    case remove(entryID: UInt64, at: Int64)
}

/// Every bank, every entry and the indexes that match against them: the pure state a
/// store loads, changes and saves. Each change returns the events to record.
public struct BankSet: Sendable {
    public private(set) var banks: [String: Bank] = [:]
    /// Entry id i is `entries[i - 1]`.
    public private(set) var entries = BankEntries()
    /// The active entry of each (bank, signal); MD5 and SHA-256 signals are matched here.
    private var active = ActiveTable()
    /// Each bank's number in `active`'s keys, in the order the banks were made in this set.
    private var bankNumbers: [String: UInt32] = [:]
    /// Active PDQ entries.
    public private(set) var pdqIndex = PDQIndex()
    /// The frames of active vPDQ entries that are compared (``VPDQHash/compared``), each by the
    /// id ``videoFrameID(entry:frame:)`` gives. Not saved in a snapshot: built as it loads.
    public private(set) var videoIndex = PDQIndex()
    /// While loading a snapshot: entries are recorded, the PDQ index is left alone.
    var skipIndex = false
    /// Within ``batch(_:)``: the PDQ index's tables are rebuilt once, at its end.
    private var rebuildsDeferred = false
    /// The bank names, sources and label lists the entries share.
    private var shared = SharedValues()

    /// A signal in a bank: its bits, the bank's number (hashed) and name (compared with the
    /// entry's).
    private struct ActiveKey {
        var signal: SignalBits
        var bank: UInt32
        var bankName: String
    }

    /// The position of each active entry in `entries`, found by its bank and signal: 256 open
    /// tables (linear probing, at most half full, a removal shifting back the slots after it)
    /// chosen by the key's hash, so that a change copies only the tables it writes. A slot is 8
    /// bytes (the entry's position and 32 bits of the key's hash); the key itself is the entry's,
    /// compared there. A table of keys (the signal's 33 bytes and the bank's number) to ids took
    /// 48 bytes an entry, in tables at most three-quarters full that grow by doubling: 100 MB for
    /// a million entries, where these take 17 MB.
    private struct ActiveTable: Sendable {
        struct Slot: Sendable {
            /// The entry's position plus one; 0: empty.
            var position: UInt32
            var hash: UInt32
        }

        private var tables = [[Slot]](repeating: [], count: 256)
        private var counts = [Int](repeating: 0, count: 256)
        private(set) var count = 0

        /// The table (the top 8 bits) and the slot's hash (the low 32) of a key; seeded per
        /// process (`Hasher`), so that no list of hashes can be made to crowd one place.
        private static func hash(_ key: ActiveKey) -> (table: Int, hash: UInt32) {
            var hasher = Hasher()
            hasher.combine(key.signal)
            hasher.combine(key.bank)
            let h = UInt64(bitPattern: Int64(hasher.finalize()))
            return (Int(h >> 56), UInt32(truncatingIfNeeded: h))
        }

        /// The active entry's id, if the bank has the signal.
        func find(_ key: ActiveKey, in entries: BankEntries) -> UInt64? {
            let (t, h) = Self.hash(key)
            return tables[t].withUnsafeBufferPointer { slots in Self.probe(slots, key, h, entries).found }
        }

        /// Records the entry `id` as the key's active one, unless `entries` has one already
        /// (then false, and nothing changes but perhaps the table's room).
        mutating func insert(_ key: ActiveKey, id: UInt64, unlessIn entries: BankEntries) -> Bool {
            precondition(id <= UInt64(UInt32.max), "entry id \(id) beyond the active table's 32-bit positions")
            let (t, h) = Self.hash(key)
            if (counts[t] + 1) * 2 > tables[t].count { grow(t, toHold: counts[t] + 1) }
            let placed = tables[t].withUnsafeMutableBufferPointer { slots -> Bool in
                let (found, empty) = Self.probe(UnsafeBufferPointer(slots), key, h, entries)
                guard found == nil else { return false }
                slots[empty] = Slot(position: UInt32(id), hash: h)
                return true
            }
            guard placed else { return false }
            counts[t] += 1
            count += 1
            return true
        }

        /// The key's entry id, if a slot holds it, else the empty slot where the search ended
        /// (the table is never full: at most half).
        private static func probe(
            _ slots: UnsafeBufferPointer<Slot>, _ key: ActiveKey, _ h: UInt32, _ entries: BankEntries
        ) -> (found: UInt64?, empty: Int) {
            guard !slots.isEmpty else { return (nil, 0) }
            let mask = slots.count - 1
            var i = Int(h) & mask
            while slots[i].position != 0 {
                if slots[i].hash == h {
                    let position = Int(slots[i].position - 1)
                    if entries.hasSignal(key.signal, bank: key.bankName, at: position) { return (UInt64(position + 1), i) }
                }
                i = (i + 1) & mask
            }
            return (nil, i)
        }

        /// Forgets the key's active entry `id`; false when it was not there.
        @discardableResult
        mutating func remove(_ key: ActiveKey, id: UInt64) -> Bool {
            let (t, h) = Self.hash(key)
            let removed = tables[t].withUnsafeMutableBufferPointer { slots -> Bool in
                guard !slots.isEmpty else { return false }
                let mask = slots.count - 1
                var i = Int(h) & mask
                while slots[i].position != 0 {
                    if slots[i].position == UInt32(truncatingIfNeeded: id) && slots[i].hash == h {
                        // Shift back the slots after it that would not be found past the hole.
                        var hole = i
                        var j = (i + 1) & mask
                        while slots[j].position != 0 {
                            let home = Int(slots[j].hash) & mask
                            // Movable unless its home lies cyclically in (hole, j].
                            let between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j)
                            if !between {
                                slots[hole] = slots[j]
                                hole = j
                            }
                            j = (j + 1) & mask
                        }
                        slots[hole] = Slot(position: 0, hash: 0)
                        return true
                    }
                    i = (i + 1) & mask
                }
                return false
            }
            if removed {
                counts[t] -= 1
                count -= 1
            }
            return removed
        }

        private static func place(_ slot: Slot, in slots: inout [Slot]) {
            let mask = slots.count - 1
            var i = Int(slot.hash) & mask
            while slots[i].position != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }

        /// Table `t` with room for `n` keys at most half full: a power of two slots, at least 16.
        private mutating func grow(_ t: Int, toHold n: Int) {
            var size = max(16, tables[t].count)
            while size < 2 * n { size *= 2 }
            guard size > tables[t].count else { return }
            var larger = [Slot](repeating: Slot(position: 0, hash: 0), count: size)
            for slot in tables[t] where slot.position != 0 { Self.place(slot, in: &larger) }
            tables[t] = larger
        }

        mutating func reserveCapacity(_ total: Int) {
            for t in tables.indices { grow(t, toHold: counts[t] + total / 256 + total / 2048) }
        }
    }

    /// The key of `signal` in `bank`, nil when there is no such bank.
    private func key(_ bank: String, _ signal: Signal) -> ActiveKey? {
        bankNumbers[bank].map { ActiveKey(signal: signal.bits, bank: $0, bankName: bank) }
    }

    /// The id of the active entry of `key`, if any.
    private func activeID(_ key: ActiveKey) -> UInt64? { active.find(key, in: entries) }

    public init() {}

    public var nextEntryID: UInt64 { UInt64(entries.count) + 1 }

    public func entry(_ id: UInt64) -> BankEntry? {
        id >= 1 && id <= UInt64(entries.count) ? entries[Int(id - 1)] : nil
    }

    /// Active entries of a bank, or of every bank.
    public func activeEntries(bank: String? = nil) -> [BankEntry] {
        entries.filter { $0.isActive && (bank == nil || $0.bank == bank) }
    }

    /// Entries active in every bank together.
    public var activeEntryCount: Int { active.count }

    public func activeCount(bank: String) -> Int {
        entries.reduce(0) { $0 + ($1.isActive && $1.bank == bank ? 1 : 0) }
    }

    // MARK: Changes

    /// Creates a bank. Creating one that exists with the same settings changes nothing.
    public mutating func create(_ bank: Bank) throws(BulwarkError) -> [BankEvent] {
        if let existing = banks[bank.name] {
            var same = existing
            same.createdAt = bank.createdAt
            guard same == bank else {
                throw BulwarkError(
                    .invalidField, "bank \"\(bank.name)\" exists with other settings (change them with update)",
                    field: "bank")
            }
            return []
        }
        let event = BankEvent.putBank(bank)
        try apply(event)
        return [event]
    }

    /// Changes a bank's settings (not its name or kind).
    public mutating func update(_ bank: Bank) throws(BulwarkError) -> [BankEvent] {
        guard let existing = banks[bank.name] else { throw Self.noBank(bank.name) }
        guard existing.kind == bank.kind else {
            throw BulwarkError(.invalidField, "a bank's kind cannot change (\"\(bank.name)\" is \(existing.kind.rawValue))", field: "kind")
        }
        var updated = bank
        updated.createdAt = existing.createdAt
        guard updated != existing else { return [] }
        let event = BankEvent.putBank(updated)
        try apply(event)
        return [event]
    }

    public enum AddOutcome: Sendable, Hashable {
        case added(BankEntry)
        /// Already active in the bank; labels merged if new ones came.
        case unchanged(BankEntry)
    }

    /// What ``add(bank:_:source:at:)`` of many signals did.
    public struct Additions: Sendable {
        public var added = 0
        /// Already active in the bank (labels merged if new ones came).
        public var unchanged = 0
        /// The ids of the entries made.
        public var newEntries: Set<UInt64> = []
        /// The events to record.
        public var events: [BankEvent] = []
    }

    /// Adds many signals to a bank from one source (an import, or an API request's values), each
    /// as ``add(bank:signal:labels:source:provenance:at:)`` does, in one ``batch(_:)``.
    public mutating func add(
        bank: String, _ signals: some Sequence<(signal: Signal, labels: [String], provenance: String)>, source: String,
        at: Int64
    ) throws(BulwarkError) -> Additions {
        var made = Additions()
        made.events.reserveCapacity(signals.underestimatedCount)
        try batch { (set: inout BankSet) throws(BulwarkError) in
            for s in signals {
                let (outcome, events) = try set.add(
                    bank: bank, signal: s.signal, labels: s.labels, source: source, provenance: s.provenance, at: at)
                if case .added(let entry) = outcome {
                    made.added += 1
                    made.newEntries.insert(entry.id)
                } else {
                    made.unchanged += 1
                }
                made.events += events
            }
        }
        return made
    }

    /// Adds a signal to a bank, idempotently: a signal already active in the bank is
    /// left as it is, its labels merged with any new ones.
    public mutating func add(
        bank: String, signal: Signal, labels: [String] = [], source: String = "", provenance: String = "", at: Int64
    ) throws(BulwarkError) -> (AddOutcome, [BankEvent]) {
        guard banks[bank] != nil else { throw Self.noBank(bank) }
        // Shared now, so that the event returned holds the same list as the entry.
        let labels = shared.list(try Label.canonical(labels))
        if let key = key(bank, signal), let id = activeID(key) {
            let existing = entries[Int(id - 1)]
            let merged = try Label.canonical(existing.labels + labels)
            guard merged != existing.labels else { return (.unchanged(existing), []) }
            let event = BankEvent.relabel(entryID: id, labels: merged)
            try apply(event)
            return (.unchanged(entries[Int(id - 1)]), [event])
        }
        let entry = BankEntry(
            id: nextEntryID, bank: bank, signal: signal, labels: labels, source: source, provenance: provenance,
            addedAt: at)
        let event = BankEvent.add(entry)
        try apply(event)
        return (.added(entry), [event])
    }

    /// Marks a signal removed from a bank. Returns the entry, or nil if it was not active.
    public mutating func remove(bank: String, signal: Signal, at: Int64) throws(BulwarkError) -> (
        BankEntry?, [BankEvent]
    ) {
        guard banks[bank] != nil else { throw Self.noBank(bank) }
        guard let key = key(bank, signal), let id = activeID(key) else { return (nil, []) }
        let event = BankEvent.remove(entryID: id, at: at)
        try apply(event)
        return (entries[Int(id - 1)], [event])
    }

    /// Applies one part of a long replay (a whole log read in pages) to a set nothing else reads
    /// yet. The PDQ index's tables are rebuilt after the part only when its pending slots pass
    /// both ``PDQIndex/pendingLimit`` and the number in the tables (a log of a million
    /// additions read in pages of 10,000 would build them after each page up to 640,000
    /// entries, when due at a sixty-fourth; this way, 7 times), and before a part
    /// that removes entries when they are due (a removal searches every pending slot). Call
    /// ``rebuildIndexIfDue()`` after the last part.
    public mutating func replay(part events: [BankEvent]) throws(BulwarkError) {
        if events.contains(where: { if case .remove = $0 { true } else { false } }) { rebuildIndexIfDue() }
        for event in events { try apply(event, deferringRebuild: true) }
        let indexed = pdqIndex.slotCount - pdqIndex.pendingCount
        if pdqIndex.pendingCount > max(pdqIndex.pendingLimit, indexed) { pdqIndex.rebuild() }
    }

    /// Applies recorded events (a replay); then rebuilds the PDQ index's tables when due.
    public mutating func apply(contentsOf events: some Sequence<BankEvent>) throws(BulwarkError) {
        defer { if !rebuildsDeferred { rebuildIndexIfDue() } }
        for event in events { try apply(event, deferringRebuild: true) }
    }

    /// Applies a recorded event (replay) or a new one.
    public mutating func apply(_ event: BankEvent) throws(BulwarkError) {
        try apply(event, deferringRebuild: rebuildsDeferred)
    }

    /// Runs `body`, a bulk change (an import), with the PDQ index's tables rebuilt once at its
    /// end, when due, instead of each time the slots added pass ``PDQIndex/pendingLimit``
    /// (a sixty-fourth of the indexed ones): a million rows imported into an empty bank rebuilt
    /// them about 150 times, and 110,000 added to a million 7 times, each a new copy of the
    /// tables (120 MB). Matching within `body` stays exact (slots not in the tables are
    /// compared one by one); it is the caller's own copy of the set, not yet published.
    public mutating func batch<T>(_ body: (inout BankSet) throws(BulwarkError) -> T) throws(BulwarkError) -> T {
        let outer = rebuildsDeferred
        rebuildsDeferred = true
        defer {
            rebuildsDeferred = outer
            if !outer { rebuildIndexIfDue() }
        }
        return try body(&self)
    }

    /// Builds the index's tables when too many slots are pending (``PDQIndex/indexPending()``:
    /// the recent tables, or all of them when the recent slots would pass a quarter of the
    /// base ones) or rebuilds them all when too many are removed.
    public mutating func rebuildIndexIfDue() {
        Self.rebuildIfDue(&pdqIndex)
        Self.rebuildIfDue(&videoIndex)
    }

    private static func rebuildIfDue(_ index: inout PDQIndex) {
        if index.slotCount - index.count > index.count / 4 {
            index.rebuild()
        } else if index.pendingCount > index.pendingLimit {
            index.indexPending()
        }
    }

    /// The id of an entry's frame in ``videoIndex``: the entry's id, then the frame's position
    /// in its hash's ``VPDQHash/compared`` (below 2^16, ``VPDQHash/maxFeatures`` being less).
    static func videoFrameID(entry: UInt64, frame: Int) -> UInt64 { entry << 16 | UInt64(frame) }

    private mutating func apply(_ event: BankEvent, deferringRebuild: Bool) throws(BulwarkError) {
        switch event {
        case .putBank(let bank):
            try Bank.validate(name: bank.name)
            if let existing = banks[bank.name], existing.kind != bank.kind {
                throw BulwarkError(.invalidData, "bank \"\(bank.name)\" changes kind", field: "kind")
            }
            banks[bank.name] = bank
            if bankNumbers[bank.name] == nil { bankNumbers[bank.name] = UInt32(bankNumbers.count) }
        case .add(let entry):
            guard entry.id == nextEntryID else {
                throw BulwarkError(.invalidData, "entry id \(entry.id) out of sequence (next is \(nextEntryID))", field: "id")
            }
            guard let key = key(entry.bank, entry.signal) else { throw Self.noBank(entry.bank) }
            // Recorded as the key's active entry unless the bank has one: one search, not two.
            guard active.insert(key, id: entry.id, unlessIn: entries) else {
                throw BulwarkError(.invalidData, "entry \(entry.id) duplicates an active entry of \(entry.bank)", field: "id")
            }
            var entry = entry
            entry.removedAt = nil
            entry.bank = shared.string(entry.bank)
            entry.source = shared.string(entry.source)
            entry.labels = shared.list(entry.labels)
            entry.storedProvenance = entry.storedProvenance.sharing(&shared)
            entries.append(entry)
            if !skipIndex, let hash = entry.signal.pdq { pdqIndex.insert(hash, id: entry.id, deferringRebuild: deferringRebuild) }
            if let video = entry.signal.video {
                for (i, k) in video.comparedPositions.enumerated() {
                    videoIndex.insert(
                        video.features[Int(k)].hash, id: Self.videoFrameID(entry: entry.id, frame: i),
                        deferringRebuild: deferringRebuild || skipIndex)
                }
            }
        case .relabel(let id, let labels):
            guard let entry = entry(id), entry.isActive else {
                throw BulwarkError(.invalidData, "relabel of entry \(id), which is not active", field: "id")
            }
            entries[Int(id - 1)].labels = shared.list(labels)
        case .remove(let id, let at):
            guard let entry = entry(id), entry.isActive else {
                throw BulwarkError(.invalidData, "removal of entry \(id), which is not active", field: "id")
            }
            entries[Int(id - 1)].removedAt = at
            if let key = key(entry.bank, entry.signal) { active.remove(key, id: id) }
            if !skipIndex, let hash = entry.signal.pdq { pdqIndex.remove(hash, id: id, deferringRebuild: deferringRebuild) }
            if let video = entry.signal.video {
                for (i, k) in video.comparedPositions.enumerated() {
                    videoIndex.remove(
                        video.features[Int(k)].hash, id: Self.videoFrameID(entry: id, frame: i), deferringRebuild: deferringRebuild || skipIndex)
                }
            }
        }
    }

    /// Room for `count` more entries without growing the tables one doubling at a time (a
    /// snapshot of a million entries grew them twenty times; an import of a million rows, too).
    public mutating func reserveCapacity(entries count: Int) {
        entries.reserveCapacity(entries.count + count)
        active.reserveCapacity(count)
    }

    /// Builds the vPDQ frames' tables (after a snapshot's entries are read).
    mutating func rebuildVideoIndex() {
        if videoIndex.slotCount > 0 { videoIndex.rebuild() }
    }

    /// Builds the PDQ index's tables now (after a bulk load).
    public mutating func compactIndex() {
        pdqIndex.rebuild()
        videoIndex.rebuild()
    }

    /// Replaces the PDQ index with a saved one, after checking that it holds exactly
    /// the active PDQ entries (else the saved index is stale and is not used).
    public mutating func adoptIndex(_ index: PDQIndex) -> Bool {
        // Entry i is at position i - 1: each live slot is checked against its entry, and a bit
        // per entry marks the ids already met. (A table of the expected hashes by id was 84 MB
        // for a million, held beside the new index at a process's start.)
        // (A PDQ signal is 64 hex digits, checked when it was made: its hash is there.)
        var count = 0
        for entry in entries where entry.isActive && entry.signal.type == .pdq { count += 1 }
        guard index.count == count else { return false }
        var met = [UInt64](repeating: 0, count: (entries.count + 63) / 64)
        var consistent = true
        index.forEachLive { id, hash in
            guard consistent, id >= 1, id <= UInt64(entries.count) else {
                consistent = false
                return
            }
            let position = Int(id - 1)
            let bit = UInt64(1) << UInt64(position % 64)
            let entry = entries[position]
            // Each entry once: an id listed twice must not stand in for a missing one.
            guard met[position / 64] & bit == 0, entry.isActive, entry.signal.type == .pdq, entry.signal.pdq == hash else {
                consistent = false
                return
            }
            met[position / 64] |= bit
        }
        guard consistent else { return false }
        pdqIndex = index
        return true
    }

    private static func noBank(_ name: String) -> BulwarkError {
        BulwarkError(.invalidField, "no bank named \"\(name)\"", field: "bank")
    }

    // MARK: Matching

    /// PDQ hashes below this quality are not matched (PDQ's recommendation: too flat
    /// an image to hash reliably).
    public static let minimumPDQQuality = 50

    /// Matches a media item's hashes against the banks (all, or those named).
    public func match(_ hashes: MediaHashes, banks names: Set<String>? = nil) -> MatchOutcome {
        let selected = banks.values.filter { names == nil || names!.contains($0.name) }
        var found: [BankMatch] = []
        var lowQuality = false
        if let pdq = hashes.pdq {
            // The hash and its variants (rotations, mirror images), unless its quality is too low;
            // an animation's later frames of enough quality, each named by its frame.
            // The variants' place, and the stored pixels' hash (`storedPixels`), in a query.
            typealias Query = (hash: PDQHash, frame: Int?, variant: Int?, storedPixels: Bool)
            var queries: [Query] = []
            if let quality = hashes.pdqQuality, quality < Self.minimumPDQQuality { lowQuality = true }
            if !lowQuality { queries.append((pdq, nil, nil, false)) }
            // A turned image's pixels as stored, by their own quality, before the variants: a
            // turn of the shown picture can come as near to a bank hash as they do.
            if let stored = hashes.storedPixels, stored.quality >= Self.minimumPDQQuality {
                queries.append((stored.hash, nil, nil, true))
            }
            if !lowQuality { queries += hashes.pdqVariants.enumerated().map { ($0.element, nil, $0.offset, false) } }
            queries += hashes.frames.filter { $0.quality >= Self.minimumPDQQuality }.map { ($0.hash, $0.frame, nil, false) }
            if !queries.isEmpty, let radius = selected.map(\.pdqThreshold).max() {
                // Each entry once, nearest (the earliest query among equals: the hash before its
                // variants and its stored pixels, the earliest frame).
                var nearest: [UInt64: (distance: Int, query: Query)] = [:]
                for query in queries {
                    for m in pdqIndex.search(query.hash, radius: radius) where m.distance < nearest[m.id]?.distance ?? Int.max {
                        nearest[m.id] = (m.distance, query)
                    }
                }
                for (id, near) in nearest {
                    guard let entry = entry(id), let bank = self.banks[entry.bank],
                        names == nil || names!.contains(bank.name), near.distance <= bank.pdqThreshold
                    else { continue }
                    found.append(
                        BankMatch(
                            entry: entry, bank: bank, distance: near.distance, frame: near.query.frame, variant: near.query.variant,
                            storedPixels: near.query.storedPixels))
                }
            }
        }
        if let pdq = hashes.pdq, videoIndex.count > 0 {
            found += videoMatches(first: (pdq, hashes.pdqQuality), frames: hashes.frames, banks: selected)
        }
        // MD5 and SHA-256: the active entry of the signal in each bank selected.
        for signal in [hashes.md5.map { try? Signal(.md5, $0) }, hashes.sha256.map { try? Signal(.sha256, $0) }] {
            guard let signal = signal ?? nil else { continue }
            let bits = signal.bits
            for bank in selected {
                guard let number = bankNumbers[bank.name], let id = activeID(ActiveKey(signal: bits, bank: number, bankName: bank.name)),
                    let entry = entry(id)
                else { continue }
                found.append(BankMatch(entry: entry, bank: bank, distance: 0))
            }
        }
        found.sort { ($0.distance, $0.entry.id) < ($1.distance, $1.entry.id) }
        return MatchOutcome(matches: found, lowQualityPDQ: lowQuality)
    }

    /// The vPDQ entries of the banks selected whose frames and the media's are found in each
    /// other (``VideoMatch/matches``). The media's frames compared are its first frame and its
    /// later ones, as a vPDQ hash's are: those of quality at least ``VPDQHash/minimumQuality``,
    /// each distinct hash once. A frame is found in another's when within the entry's bank's PDQ
    /// threshold. A still image is one frame: found when it is a frame of a banked video.
    private func videoMatches(first: (hash: PDQHash, quality: Int?), frames: [FramePDQ], banks selected: [Bank]) -> [BankMatch] {
        var queries: [(hash: PDQHash, frame: Int)] = []
        var seen = Set<PDQHash>()
        if (first.quality ?? 100) >= VPDQHash.minimumQuality, seen.insert(first.hash).inserted { queries.append((first.hash, 0)) }
        for f in frames where f.quality >= VPDQHash.minimumQuality && seen.insert(f.hash).inserted { queries.append((f.hash, f.frame)) }
        guard !queries.isEmpty, let radius = selected.map(\.pdqThreshold).max() else { return [] }
        struct Found {
            var bank: Bank
            var queries: Set<Int> = []
            var entryFrames: Set<Int> = []
            var nearest = (distance: Int.max, query: 0)
        }
        var byEntry: [UInt64: Found] = [:]
        var outside = Set<UInt64>()
        let selectedNames = Set(selected.map(\.name))
        for (q, query) in queries.enumerated() {
            for m in videoIndex.search(query.hash, radius: radius) {
                let id = m.id >> 16
                if outside.contains(id) { continue }
                if byEntry[id] == nil {
                    guard let entry = entry(id), selectedNames.contains(entry.bank), let bank = banks[entry.bank] else {
                        outside.insert(id)
                        continue
                    }
                    byEntry[id] = Found(bank: bank)
                }
                guard m.distance <= byEntry[id]!.bank.pdqThreshold else { continue }
                byEntry[id]!.queries.insert(q)
                byEntry[id]!.entryFrames.insert(Int(m.id & 0xFFFF))
                if m.distance < byEntry[id]!.nearest.distance { byEntry[id]!.nearest = (m.distance, q) }
            }
        }
        var found: [BankMatch] = []
        for (id, f) in byEntry where !f.queries.isEmpty {
            guard let entry = entry(id), let video = entry.signal.video else { continue }
            let match = VideoMatch(
                frames: queries.count, framesMatched: f.queries.count, entryFrames: video.comparedPositions.count,
                entryFramesMatched: f.entryFrames.count, matchedFrames: f.queries.sorted().map { queries[$0].frame })
            guard match.matches else { continue }
            let frame = queries[f.nearest.query].frame
            found.append(BankMatch(entry: entry, bank: f.bank, distance: f.nearest.distance, frame: frame == 0 ? nil : frame, video: match))
        }
        return found
    }
}

/// The hashes of one media item.
public struct MediaHashes: Sendable, Hashable {
    public var pdq: PDQHash?
    public var pdqQuality: Int?
    /// More PDQ hashes of the same media to match, under the same quality as `pdq`: the rotations
    /// and mirror images (`bulwark match --dihedral`).
    public var pdqVariants: [PDQHash]
    /// A still image its orientation metadata turns: the hash of its pixels as stored, matched
    /// as the same picture as `pdq` (which is of the picture as shown), by its own quality.
    public var storedPixels: StoredPixelsPDQ?
    /// The PDQ hashes of an animation's later frames (`pdq` is the first frame's). Each is matched
    /// when its own quality is at least ``BankSet/minimumPDQQuality``, whatever the first frame's.
    public var frames: [FramePDQ]
    public var md5: String?
    public var sha256: String?

    public init(
        pdq: PDQHash? = nil, pdqQuality: Int? = nil, pdqVariants: [PDQHash] = [], storedPixels: StoredPixelsPDQ? = nil,
        frames: [FramePDQ] = [], md5: String? = nil, sha256: String? = nil
    ) {
        self.pdq = pdq
        self.pdqQuality = pdqQuality
        self.pdqVariants = pdqVariants
        self.storedPixels = storedPixels
        self.frames = frames
        self.md5 = md5
        self.sha256 = sha256
    }
}

/// One entry that matched.
public struct BankMatch: Sendable, Hashable {
    public var entry: BankEntry
    public var bank: Bank
    /// PDQ Hamming distance (0 for exact hashes).
    public var distance: Int
    /// The animation's later frame whose hash matched; nil for the media's own hash (a still
    /// image, an animation's first frame) and for exact hashes.
    public var frame: Int?
    /// The media's variant hash that matched (its position in ``MediaHashes/pdqVariants``); nil
    /// when it was the media's own hash, a frame's or an exact hash.
    public var variant: Int?
    /// Whether it was a turned still image's pixels as stored that matched
    /// (``MediaHashes/storedPixels``).
    public var storedPixels: Bool
    /// A vPDQ entry's match: how many frames were found in each other (`distance` and `frame`
    /// are of the nearest pair).
    public var video: VideoMatch?

    public init(
        entry: BankEntry, bank: Bank, distance: Int, frame: Int? = nil, variant: Int? = nil, storedPixels: Bool = false,
        video: VideoMatch? = nil
    ) {
        self.entry = entry
        self.bank = bank
        self.distance = distance
        self.frame = frame
        self.variant = variant
        self.storedPixels = storedPixels
        self.video = video
    }

    /// The labels of the entry and its bank.
    public var labels: [String] { Array(Set(entry.labels + bank.labels)).sorted() }
}

/// What the banks say about one media item.
public struct MatchOutcome: Sendable, Hashable {
    /// Every match, nearest first, from block and allow banks alike.
    public var matches: [BankMatch]
    /// The PDQ hash was not matched because its quality is below `BankSet.minimumPDQQuality`.
    public var lowQualityPDQ: Bool

    /// Matches of allow banks that are not quarantined.
    public var allowedBy: [BankMatch] { matches.filter { $0.bank.kind == .allow && !$0.bank.quarantined } }
    /// Matches of block banks.
    public var blockMatches: [BankMatch] { matches.filter { $0.bank.kind == .block } }

    /// Block matches that no allow bank answers (an allow match is a known false positive). An
    /// allow match by an exact hash (MD5, SHA-256) answers every block match; one by PDQ answers
    /// those of the same picture: the media's own hash, or the same later frame of an animation.
    /// So an allowed first frame does not clear what the animation goes on to show. One by vPDQ
    /// (a known video) answers those of the frames it found in the known video. A block match by
    /// vPDQ stands unless every frame of the media it found is answered so: a known video put in
    /// front of a banked one does not clear it.
    public var standingBlockMatches: [BankMatch] {
        let allowed = allowedBy
        if allowed.contains(where: { $0.entry.signal.type == .md5 || $0.entry.signal.type == .sha256 }) { return [] }
        // The media's frames allowed (0: the first, which a PDQ match names nil).
        var frames = Set<Int>()
        for m in allowed {
            if let video = m.video { frames.formUnion(video.matchedFrames) } else { frames.insert(m.frame ?? 0) }
        }
        return blockMatches.filter { m in
            if let video = m.video { return !video.matchedFrames.allSatisfy(frames.contains) }
            return !frames.contains(m.frame ?? 0)
        }
    }

    /// `none` when allow banks answer every block match (see ``standingBlockMatches``) or nothing
    /// matched; `violating` for a standing match of a block bank that is not quarantined (verified
    /// known content); `review` when only quarantined block banks' matches stand.
    public var decision: Decision {
        let block = standingBlockMatches
        if block.contains(where: { !$0.bank.quarantined }) { return .violating }
        return block.isEmpty ? .none : .review
    }
}

extension PDQIndex {
    /// Calls `body(id, hash)` for every live entry.
    public func forEachLive(_ body: (UInt64, PDQHash) -> Void) {
        for slot in 0..<slotCount where (live[slot / 64] >> UInt64(slot % 64)) & 1 == 1 {
            body(id(slot), hash(slot))
        }
    }
}
