import BulwarkBanks
import Foundation
import BulwarkCore
import Testing

func pdq(_ h: PDQHash) -> Signal { Signal(pdq: h) }

struct BankSetTests {
    func banks() throws -> BankSet {
        var set = BankSet()
        _ = try set.create(Bank(name: "gifct", labels: ["category:dissemination"], createdAt: 1))
        _ = try set.create(Bank(name: "noisy", quarantined: true, createdAt: 1))
        _ = try set.create(Bank(name: "strict", pdqThreshold: 8, createdAt: 1))
        _ = try set.create(Bank(name: "fp", kind: .allow, createdAt: 1))
        return set
    }

    @Test func addIsIdempotentAndMergesLabels() throws {
        var set = try banks()
        var rng = SplitMix64(seed: 1)
        let h = rng.pdqHash()
        let (first, e1) = try set.add(bank: "gifct", signal: pdq(h), labels: ["group:a"], at: 10)
        guard case .added(let entry) = first else { Issue.record("not added"); return }
        #expect(e1.count == 1)
        let (again, e2) = try set.add(bank: "gifct", signal: pdq(h), labels: ["group:a"], at: 11)
        #expect(again == .unchanged(entry))
        #expect(e2.isEmpty)
        let (relabelled, e3) = try set.add(bank: "gifct", signal: pdq(h), labels: ["group:b"], at: 12)
        #expect(e3.count == 1)
        if case .unchanged(let e) = relabelled { #expect(e.labels == ["group:a", "group:b"]) }
        #expect(set.activeCount(bank: "gifct") == 1)
        // The same hash in another bank is another entry.
        _ = try set.add(bank: "noisy", signal: pdq(h), at: 13)
        #expect(set.entries.count == 2)
    }

    /// A batch (an import) leaves the index's tables alone until its end, then builds them
    /// once; what it makes is what the same additions make one at a time, and matching within it
    /// is exact.
    @Test func aBatchRebuildsTheIndexOnceAtItsEnd() throws {
        var plain = try banks()
        var batched = try banks()
        var rng = SplitMix64(seed: 21)
        let hashes = (0..<10_000).map { _ in rng.pdqHash() }
        for (i, h) in hashes.enumerated() { _ = try plain.add(bank: "gifct", signal: pdq(h), at: Int64(i)) }
        var pendingWithin = 0
        var matchedWithin: [UInt64] = []
        try batched.batch { (set: inout BankSet) throws(BulwarkError) in
            for (i, h) in hashes.enumerated() { _ = try set.add(bank: "gifct", signal: pdq(h), at: Int64(i)) }
            // A batch within it leaves the tables to the outer one.
            try set.batch { (_: inout BankSet) throws(BulwarkError) in }
            pendingWithin = set.pdqIndex.pendingCount
            matchedWithin = set.match(MediaHashes(pdq: hashes[9_999])).matches.map(\.entry.id)
        }
        #expect(pendingWithin == 10_000, "no table built within the batch (the limit is 4,096)")
        #expect(matchedWithin == [10_000])
        #expect(batched.pdqIndex.pendingCount == 0, "the tables built at its end")
        #expect(plain.pdqIndex.pendingCount <= plain.pdqIndex.pendingLimit)
        #expect(batched.entries == plain.entries)
        #expect(batched.pdqIndex.count == plain.pdqIndex.count)
        for h in hashes.prefix(40) + [rng.pdqHash()] {
            #expect(batched.match(MediaHashes(pdq: h)) == plain.match(MediaHashes(pdq: h)))
        }
        // After the batch, additions rebuild as before.
        for _ in 0..<5_000 { _ = try batched.add(bank: "gifct", signal: pdq(rng.pdqHash()), at: 1) }
        #expect(batched.pdqIndex.pendingCount <= batched.pdqIndex.pendingLimit)
    }

    /// A log replayed in parts (a start-up reading the whole log in pages) makes what it makes
    /// applied whole. The tables are built only when the pending slots pass the limit and
    /// outnumber the tables', not at every part, and before a part with removals when due.
    @Test func aLogReplayedInPartsIsTheLogAppliedWhole() throws {
        var made = try banks()
        var events: [BankEvent] = []
        for bank in made.banks.values.sorted(by: { $0.name < $1.name }) { events.append(.putBank(bank)) }
        var rng = SplitMix64(seed: 31)
        var hashes: [PDQHash] = []
        for i in 0..<26_000 {
            let h = rng.pdqHash()
            hashes.append(h)
            events += try made.add(bank: "gifct", signal: pdq(h), at: Int64(i)).1
        }
        // Removals and a relabelling in the last part but one; more additions after them.
        for h in hashes.prefix(300) { events += try made.remove(bank: "gifct", signal: pdq(h), at: 30_000).1 }
        events += try made.add(bank: "gifct", signal: pdq(hashes[500]), labels: ["source:own"], at: 30_001).1
        for _ in 0..<700 { events += try made.add(bank: "gifct", signal: pdq(rng.pdqHash()), at: 30_002).1 }
        let parts = stride(from: 0, to: events.count, by: 1_000).map { Array(events[$0..<min(events.count, $0 + 1_000)]) }
        #expect(parts.count == 28)

        var replayed = BankSet()
        var rebuilds = 0
        for (k, part) in parts.enumerated() {
            let indexedBefore = replayed.pdqIndex.slotCount - replayed.pdqIndex.pendingCount
            let pendingBefore = replayed.pdqIndex.pendingCount
            try replayed.replay(part: part)
            let pending = replayed.pdqIndex.pendingCount
            let indexed = replayed.pdqIndex.slotCount - pending
            if indexed != indexedBefore { rebuilds += 1 }
            #expect(pending <= max(indexed, replayed.pdqIndex.pendingLimit), "part \(k): too many slots pending")
            if k == 26 {
                // Its removals searched tables built just before it: what is pending came in it.
                #expect(pendingBefore > replayed.pdqIndex.pendingLimit)
                #expect(pending == part.filter { if case .add = $0 { true } else { false } }.count)
            }
        }
        // Built past the limit (4,096) and then as they doubled (5, 10 and 20 thousand), and
        // before the removals.
        #expect(rebuilds == 4)
        #expect(replayed.pdqIndex.pendingCount == 704)

        var whole = BankSet()
        try whole.apply(contentsOf: events)
        #expect(replayed.entries == made.entries)
        #expect(whole.entries == made.entries)
        #expect(replayed.pdqIndex.count == made.pdqIndex.count)
        #expect(replayed.activeCount(bank: "gifct") == 26_400)
        for h in hashes.prefix(310) + hashes.suffix(10) + [rng.pdqHash()] {
            let query = MediaHashes(pdq: rng.flipping(h, bits: 12))
            #expect(replayed.match(query) == made.match(query))
        }
    }

    /// The active entries are found by bank and signal through any order of additions and
    /// removals (the open tables shift slots back on removal): checked against a plain model
    /// after every step, a signal in up to three banks at once, removed and added again.
    @Test func activeEntriesAreFoundThroughAdditionsAndRemovals() throws {
        var set = try banks()
        var rng = SplitMix64(seed: 41)
        let names = ["gifct", "noisy", "strict"]
        let values = (0..<3_000).map { _ in String(format: "%016llx%016llx", rng.next(), rng.next()) }
        var model: [String: [String: UInt64]] = [:]  // bank -> value -> id
        func check(_ value: String) {
            let found = Set(set.match(MediaHashes(md5: value)).matches.map { "\($0.bank.name):\($0.entry.id)" })
            var expected: Set<String> = []
            for name in names { if let id = model[name]?[value] { expected.insert("\(name):\(id)") } }
            #expect(found == expected, "\(value)")
        }
        for step in 0..<30_000 {
            let value = values[Int(rng.next() % UInt64(values.count))]
            let name = names[Int(rng.next() % 3)]
            let signal = try Signal(.md5, value)
            if model[name]?[value] != nil, rng.next() % 2 == 0 {
                let (removed, _) = try set.remove(bank: name, signal: signal, at: Int64(step))
                #expect(removed?.id == model[name]?[value])
                model[name]?[value] = nil
            } else {
                let (outcome, _) = try set.add(bank: name, signal: signal, at: Int64(step))
                switch outcome {
                case .added(let entry):
                    #expect(model[name]?[value] == nil)
                    model[name, default: [:]][value] = entry.id
                case .unchanged(let entry):
                    #expect(model[name]?[value] == entry.id)
                }
            }
            if step % 10 == 0 { check(value) }
        }
        #expect(set.activeEntryCount == model.values.reduce(0) { $0 + $1.count })
        for value in values { check(value) }
        // A snapshot loaded finds the same.
        let (loaded, _) = try BankSet.load(snapshot: set.snapshot(sequence: 1))
        #expect(loaded.activeEntryCount == set.activeEntryCount)
        for value in values.prefix(500) {
            #expect(loaded.match(MediaHashes(md5: value)) == set.match(MediaHashes(md5: value)))
        }
    }

    @Test func decisionsFollowTheBanksPolicies() throws {
        var set = try banks()
        var rng = SplitMix64(seed: 2)
        let verified = rng.pdqHash(), noisy = rng.pdqHash(), allowed = rng.pdqHash(), far = rng.pdqHash()
        _ = try set.add(bank: "gifct", signal: pdq(verified), at: 1)
        _ = try set.add(bank: "noisy", signal: pdq(noisy), at: 1)
        _ = try set.add(bank: "gifct", signal: pdq(allowed), at: 1)
        _ = try set.add(bank: "fp", signal: pdq(allowed), at: 1)
        _ = try set.add(bank: "strict", signal: pdq(far), at: 1)

        let v = set.match(MediaHashes(pdq: rng.flipping(verified, bits: 20), pdqQuality: 90))
        #expect(v.decision == .violating)
        #expect(v.matches.map(\.distance) == [20])
        #expect(v.matches.first?.labels == ["category:dissemination"])

        #expect(set.match(MediaHashes(pdq: rng.flipping(noisy, bits: 5), pdqQuality: 90)).decision == .review)
        // A known false positive: the block match is reported, not acted on.
        let a = set.match(MediaHashes(pdq: rng.flipping(allowed, bits: 2), pdqQuality: 90))
        #expect(a.decision == .none)
        #expect(a.allowedBy.count == 1)
        #expect(a.blockMatches.count == 1)
        // Per-bank thresholds: 8 for "strict".
        #expect(set.match(MediaHashes(pdq: rng.flipping(far, bits: 8), pdqQuality: 90)).decision == .violating)
        #expect(set.match(MediaHashes(pdq: rng.flipping(far, bits: 9), pdqQuality: 90)).decision == .none)
        // The radius: 31 matches, 32 does not.
        #expect(set.match(MediaHashes(pdq: rng.flipping(verified, bits: 31))).decision == .violating)
        #expect(set.match(MediaHashes(pdq: rng.flipping(verified, bits: 32))).decision == .none)
        // Low-quality hashes are not matched.
        let low = set.match(MediaHashes(pdq: verified, pdqQuality: 20))
        #expect(low.decision == .none && low.lowQualityPDQ)
        // Only the banks asked for.
        #expect(set.match(MediaHashes(pdq: verified), banks: ["noisy"]).matches.isEmpty)
    }

    /// An animation is matched by its later frames too, each of enough quality whatever the first
    /// frame's, and a match names its frame. An allow match by PDQ answers the block matches of
    /// the same picture only, so an allowed (or blank) first frame does not clear the rest; an
    /// allow match by an exact hash answers them all.
    @Test func laterFramesAreMatchedAndAllowedPictureByPicture() throws {
        var set = try banks()
        var rng = SplitMix64(seed: 9)
        let card = rng.pdqHash(), propaganda = rng.pdqHash(), other = rng.pdqHash(), dull = rng.pdqHash()
        _ = try set.add(bank: "gifct", signal: pdq(propaganda), at: 1)
        _ = try set.add(bank: "gifct", signal: pdq(card), at: 1)
        _ = try set.add(bank: "fp", signal: pdq(card), at: 1)
        _ = try set.add(bank: "gifct", signal: pdq(dull), at: 1)
        let frames = [
            FramePDQ(frame: 4, hash: rng.flipping(other, bits: 3), quality: 90),
            FramePDQ(frame: 7, hash: rng.flipping(propaganda, bits: 12), quality: 80),
            FramePDQ(frame: 9, hash: rng.flipping(propaganda, bits: 5), quality: 80),
            FramePDQ(frame: 11, hash: dull, quality: 30),
        ]
        // A first frame of too low a quality to match: the frames are matched anyway.
        let blank = set.match(MediaHashes(pdq: rng.pdqHash(), pdqQuality: 10, frames: frames))
        #expect(blank.lowQualityPDQ && blank.decision == .violating)
        #expect(blank.matches.map(\.frame) == [9] && blank.matches.map(\.distance) == [5])
        // The first frame is allowed (a known false positive of "gifct"): frame 9 still stands.
        let allowedCard = set.match(MediaHashes(pdq: card, pdqQuality: 100, frames: frames))
        #expect(allowedCard.allowedBy.map(\.frame) == [nil])
        #expect(allowedCard.standingBlockMatches.map(\.frame) == [9] && allowedCard.decision == .violating)
        // Without the later frames, the allowed first frame clears the media, as for a still.
        #expect(set.match(MediaHashes(pdq: card, pdqQuality: 100)).decision == .none)
        // An allowed later frame answers only its own picture.
        let allowedFrame = set.match(MediaHashes(pdq: rng.pdqHash(), pdqQuality: 100, frames: [
            FramePDQ(frame: 2, hash: card, quality: 100), FramePDQ(frame: 3, hash: propaganda, quality: 100),
        ]))
        #expect(allowedFrame.standingBlockMatches.map(\.frame) == [3] && allowedFrame.decision == .violating)
        // An allow match by exact hash answers every block match.
        let md5 = try Signal(.md5, String(repeating: "0f", count: 16))
        _ = try set.add(bank: "fp", signal: md5, at: 2)
        let exact = set.match(MediaHashes(pdq: card, pdqQuality: 100, frames: frames, md5: md5.value))
        #expect(exact.standingBlockMatches.isEmpty && exact.decision == .none)
    }

    /// A turned photo's pixels as stored are matched by their own quality, whatever the shown
    /// picture's, and a match says so; they are the same picture as the shown one, so an allow
    /// match of either answers a block match of the other.
    @Test func storedPixelsAreMatchedByTheirOwnQualityAsTheSamePicture() throws {
        var set = try banks()
        var rng = SplitMix64(seed: 21)
        let shown = rng.pdqHash(), stored = rng.pdqHash(), other = rng.pdqHash()
        _ = try set.add(bank: "gifct", signal: pdq(stored), at: 1)
        func hashes(shownQuality: Int, storedQuality: Int) -> MediaHashes {
            MediaHashes(
                pdq: shown, pdqQuality: shownQuality,
                storedPixels: StoredPixelsPDQ(orientation: 6, hash: rng.flipping(stored, bits: 4), quality: storedQuality))
        }
        let found = set.match(hashes(shownQuality: 100, storedQuality: 90))
        #expect(found.decision == .violating && found.matches.map(\.storedPixels) == [true])
        #expect(found.matches.map(\.distance) == [4] && found.matches.map(\.variant) == [nil] && found.matches.map(\.frame) == [nil])
        // The shown picture too flat to match: the stored pixels still are, by their own quality.
        let flatShown = set.match(hashes(shownQuality: 20, storedQuality: 60))
        #expect(flatShown.lowQualityPDQ && flatShown.decision == .violating)
        // The stored pixels too flat: not matched, whatever the shown picture's quality.
        #expect(set.match(hashes(shownQuality: 100, storedQuality: 40)).matches.isEmpty)
        // Without stored pixels, nothing.
        #expect(set.match(MediaHashes(pdq: shown, pdqQuality: 100)).matches.isEmpty)
        // An allow match of the shown picture answers the block match of the stored pixels.
        _ = try set.add(bank: "fp", signal: pdq(shown), at: 2)
        let allowed = set.match(hashes(shownQuality: 100, storedQuality: 90))
        #expect(allowed.allowedBy.count == 1 && allowed.standingBlockMatches.isEmpty && allowed.decision == .none)
        // The shown picture's own match is not taken for the stored pixels'.
        _ = try set.add(bank: "gifct", signal: pdq(other), at: 3)
        let both = set.match(MediaHashes(
            pdq: other, pdqQuality: 100, storedPixels: StoredPixelsPDQ(orientation: 8, hash: stored, quality: 100)))
        #expect(Set(both.blockMatches.map { "\($0.entry.signal.value == other.hex) \($0.storedPixels)" }) == ["true false", "false true"])
    }

    @Test func quarantiningAndUnquarantining() throws {
        var set = try banks()
        var rng = SplitMix64(seed: 3)
        let h = rng.pdqHash()
        _ = try set.add(bank: "gifct", signal: pdq(h), at: 1)
        #expect(set.match(MediaHashes(pdq: h)).decision == .violating)
        var bank = try #require(set.banks["gifct"])
        bank.quarantined = true
        let events = try set.update(bank)
        #expect(events.count == 1)
        #expect(set.match(MediaHashes(pdq: h)).decision == .review)
        bank.kind = .allow
        do {
            _ = try set.update(bank)
            Issue.record("a bank's kind changed")
        } catch {
            #expect(error.field == "kind")
        }
    }

    @Test func exactHashesAndRemoval() throws {
        var set = try banks()
        let md5 = try Signal(.md5, "D41D8CD98F00B204E9800998ECF8427E")
        #expect(md5.value == "d41d8cd98f00b204e9800998ecf8427e")
        let sha = try Signal(.sha256, String(repeating: "ab", count: 32))
        _ = try set.add(bank: "gifct", signal: md5, at: 1)
        _ = try set.add(bank: "gifct", signal: sha, at: 1)
        #expect(set.match(MediaHashes(md5: md5.value)).decision == .violating)
        #expect(set.match(MediaHashes(sha256: sha.value)).decision == .violating)
        let (removed, events) = try set.remove(bank: "gifct", signal: md5, at: 5)
        #expect(removed?.removedAt == 5)
        #expect(events.count == 1)
        #expect(set.match(MediaHashes(md5: md5.value)).decision == .none)
        let again = try set.remove(bank: "gifct", signal: md5, at: 6)
        #expect(again.0 == nil)
        // History is kept; re-adding makes a new entry.
        _ = try set.add(bank: "gifct", signal: md5, at: 7)
        #expect(set.entries.filter { $0.signal == md5 }.count == 2)
        #expect(set.match(MediaHashes(md5: md5.value)).decision == .violating)
    }

    @Test func invalidInputIsRefused() throws {
        var set = try banks()
        #expect(throws: BulwarkError.self) { try Bank(name: "") }
        #expect(throws: BulwarkError.self) { try Bank(name: "has space") }
        #expect(throws: BulwarkError.self) { try Bank(name: "x", pdqThreshold: 200) }
        #expect(throws: BulwarkError.self) { try Signal(.md5, "abc") }
        #expect(throws: BulwarkError.self) { try Signal(.pdq, String(repeating: "z", count: 64)) }
        let zero = try Signal(.md5, String(repeating: "0", count: 32))
        do {
            _ = try set.add(bank: "missing", signal: zero, at: 1)
            Issue.record("added to a missing bank")
        } catch { #expect(error.field == "bank") }
        do {
            _ = try set.add(bank: "gifct", signal: zero, labels: ["two words"], at: 1)
            Issue.record("a label with a space was accepted")
        } catch { #expect(error.field == "labels") }
    }

    @Test func snapshotRoundTrip() throws {
        var set = try banks()
        var rng = SplitMix64(seed: 4)
        var hashes: [PDQHash] = []
        for i in 0..<3000 {
            let h = rng.pdqHash()
            hashes.append(h)
            _ = try set.add(bank: i % 2 == 0 ? "gifct" : "noisy", signal: pdq(h), labels: ["n:\(i % 7)"], source: "list", provenance: "line \(i)", at: Int64(i))
        }
        _ = try set.add(bank: "gifct", signal: Signal(.md5, String(repeating: "1", count: 32)), at: 1)
        for h in hashes.prefix(100) { _ = try set.remove(bank: "gifct", signal: pdq(h), at: 99) }
        let bytes = set.snapshot(sequence: 1234)
        let (loaded, sequence) = try BankSet.load(snapshot: bytes)
        #expect(sequence == 1234)
        #expect(loaded.banks == set.banks)
        #expect(loaded.entries == set.entries)
        for h in hashes.prefix(300) {
            #expect(loaded.match(MediaHashes(pdq: h)) == set.match(MediaHashes(pdq: h)))
        }
        var damaged = bytes
        damaged[damaged.count / 3] ^= 0x40
        #expect(throws: BulwarkError.self) { try BankSet.load(snapshot: damaged) }
        #expect(throws: BulwarkError.self) { try BankSet.load(snapshot: Array(bytes.prefix(100))) }
    }

    /// A snapshot written a part at a time is the snapshot, whatever the part size: every part as
    /// long as asked but the last, the index's checksum and the whole's summed across parts, and
    /// no part made once `emit` says stop.
    @Test func aSnapshotWrittenInPartsIsTheSnapshot() throws {
        var set = try banks()
        var rng = SplitMix64(seed: 9)
        // More than 4,096 PDQ entries: the index's bucket tables are built, and written too.
        for i in 0..<4_500 {
            _ = try set.add(bank: "gifct", signal: pdq(rng.pdqHash()), labels: ["n:\(i % 5)"], provenance: "line \(i)", at: Int64(i))
        }
        _ = try set.remove(bank: "gifct", signal: set.entries[3].signal, at: 9)
        let whole = set.snapshot(sequence: 7)
        #expect(set.snapshotByteCount == whole.count)
        #expect(whole.count > 4_000_000, "the bucket tables are in it")
        for size in [4_096, 65_536, 1_000_003, whole.count - 1, whole.count, whole.count + 1, Int.max] {
            var parts: [[UInt8]] = []
            set.writeSnapshot(sequence: 7, partBytes: size) {
                parts.append($0)
                return true
            }
            #expect(parts.count == (whole.count - 1) / size + 1, "parts of \(size)")
            #expect(parts.dropLast().allSatisfy { $0.count == size }, "parts of \(size)")
            let joined = Array(parts.joined())
            #expect(joined.count == whole.count && joined == whole, "parts of \(size) joined are the snapshot")
            // Read back from the parts, not joined: the same set; each part let go (and said)
            // once read past, up to the one holding the last byte before the checksum (whose 8
            // bytes are summed, not read as a field).
            var letGo = 0
            let (loaded, sequence) = try BankSet.load(snapshotParts: parts) { letGo += 1 }
            #expect(sequence == 7 && loaded.entries == set.entries, "read from parts of \(size)")
            #expect(letGo == (whole.count - 9) / size, "parts of \(size): \(letGo) let go of \(parts.count)")
            #expect(loaded.pdqIndex.count == set.pdqIndex.count)
            for entry in set.entries.prefix(20) {
                let hashes = MediaHashes(pdq: entry.signal.pdq)
                #expect(loaded.match(hashes) == set.match(hashes))
            }
            if parts.count > 2 {
                var damaged = parts
                damaged[1][damaged[1].count / 2] ^= 0x10
                #expect(throws: BulwarkError.self, "a damaged middle part") { try BankSet.load(snapshotParts: damaged) }
                #expect(throws: BulwarkError.self, "a part missing") { try BankSet.load(snapshotParts: Array(parts.dropLast())) }
            }
        }
        // A small set in parts of 1 and 3 bytes.
        var small = try banks()
        _ = try small.add(bank: "gifct", signal: pdq(rng.pdqHash()), at: 1)
        let smallWhole = small.snapshot(sequence: 2)
        for size in [1, 3] {
            var parts: [[UInt8]] = []
            small.writeSnapshot(sequence: 2, partBytes: size) {
                parts.append($0)
                return true
            }
            #expect(parts.count == (smallWhole.count - 1) / size + 1)
            #expect(Array(parts.joined()) == smallWhole)
            #expect(try BankSet.load(snapshot: Array(parts.joined())).sequence == 2)
            let (loaded, _) = try BankSet.load(snapshotParts: parts)
            #expect(loaded.entries == small.entries, "read from parts of \(size) bytes")
        }
        var made = 0
        set.writeSnapshot(sequence: 7, partBytes: 4_096) { _ in
            made += 1
            return made < 3
        }
        #expect(made == 3, "no part after the one emit said stop to")
    }

    /// A set copied and changed leaves the copy it came from as it was, in every chunk of its
    /// entries (a chunk holds 4,096): the change copies the chunk it touches, not the others.
    @Test func aChangedCopyLeavesTheOriginalAsItWas() throws {
        var set = try banks()
        var rng = SplitMix64(seed: 21)
        var hashes: [PDQHash] = []
        for i in 0..<9_000 {
            let h = rng.pdqHash()
            hashes.append(h)
            _ = try set.add(bank: "gifct", signal: pdq(h), labels: ["n:\(i % 3)"], at: Int64(i))
        }
        let md5 = try Signal(.md5, String(repeating: "7", count: 32))
        _ = try set.add(bank: "gifct", signal: md5, at: 1)
        let original = set
        let before = Array(set.entries)
        #expect(set.entries.count == 9_001)
        #expect(set.entry(4_097)?.signal == pdq(hashes[4_096]), "the first entry of the second chunk")
        #expect(set.entry(8_192)?.signal == pdq(hashes[8_191]), "the last entry of the second chunk")

        var copy = set
        _ = try copy.remove(bank: "gifct", signal: pdq(hashes[4_096]), at: 50)
        _ = try copy.add(bank: "gifct", signal: pdq(hashes[10]), labels: ["n:9"], at: 51)
        _ = try copy.remove(bank: "gifct", signal: md5, at: 52)
        _ = try copy.add(bank: "noisy", signal: pdq(rng.pdqHash()), at: 53)
        #expect(copy.entry(4_097)?.isActive == false)
        #expect(copy.entry(11)?.labels == ["n:1", "n:9"])
        #expect(copy.entries.count == 9_002)
        #expect(copy.match(MediaHashes(md5: md5.value)).matches.isEmpty)

        #expect(original.entries.count == 9_001)
        #expect(Array(original.entries) == before)
        #expect(original.entries == set.entries)
        #expect(original.entry(4_097)?.isActive == true)
        #expect(original.entry(11)?.labels == ["n:1"])
        #expect(original.match(MediaHashes(pdq: hashes[4_096])).matches.map(\.entry.id) == [4_097])
        #expect(original.match(MediaHashes(md5: md5.value)).matches.map(\.entry.id) == [9_001])
        #expect(original.activeEntryCount == 9_001)
        #expect(copy.activeEntryCount == 9_000)
    }

    /// An MD5 or SHA-256 value matches the active entry of that signal in each bank asked (and
    /// only of that type: a PDQ hash with the same 64 hex digits as a SHA-256 is not it).
    @Test func exactSignalsMatchTheirActiveEntryInEachBank() throws {
        var set = try banks()
        let digits = String(repeating: "ab", count: 32)
        let sha = try Signal(.sha256, digits)
        let pdqOfTheSameDigits = try Signal(.pdq, digits)
        _ = try set.add(bank: "gifct", signal: sha, at: 1)
        _ = try set.add(bank: "noisy", signal: sha, at: 2)
        _ = try set.add(bank: "strict", signal: pdqOfTheSameDigits, at: 3)
        #expect(set.match(MediaHashes(sha256: digits)).matches.map(\.entry.id) == [1, 2])
        #expect(set.match(MediaHashes(sha256: digits), banks: ["noisy"]).matches.map(\.entry.id) == [2])
        #expect(set.match(MediaHashes(sha256: digits.uppercased())).matches.count == 2, "hex read in either case")
        #expect(set.match(MediaHashes(md5: String(digits.prefix(32)))).matches.isEmpty)
        _ = try set.remove(bank: "gifct", signal: sha, at: 4)
        #expect(set.match(MediaHashes(sha256: digits)).matches.map(\.entry.id) == [2])
        // Added again: a new entry, matched in place of the removed one.
        _ = try set.add(bank: "gifct", signal: sha, at: 5)
        #expect(set.match(MediaHashes(sha256: digits)).matches.map(\.entry.id) == [2, 4])
        #expect(set.match(MediaHashes(pdq: pdqOfTheSameDigits.pdq)).matches.map(\.entry.id) == [3])
    }
}
