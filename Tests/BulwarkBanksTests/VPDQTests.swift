import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
import Foundation
import Testing

/// vPDQ signals: HMA's text read and written canonically, refused with where it goes wrong, and
/// matched by the share of frames found in each other, as HMA's brute-force matcher counts them.
struct VPDQTests {
    /// `hash` with `bits` of its bits flipped (the first `bits` of a shuffled order).
    static func near(_ hash: PDQHash, _ bits: Int, _ rng: inout SplitMix64) -> PDQHash {
        var order = Array(0..<256)
        for i in stride(from: 255, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return order.prefix(bits).reduce(hash) { $0.flipping(bit: $1) }
    }

    /// HMA's text for frames: `["hex,quality,seconds", ...]` as `json.dumps` writes it.
    static func hmaText(_ frames: [(PDQHash, Int, Double)]) -> String {
        "[" + frames.map { "\"\($0.0.hex),\($0.1),\($0.2)\"" }.joined(separator: ", ") + "]"
    }

    @Test func readsHMAsTextAndWritesItCanonically() throws {
        var rng = SplitMix64(seed: 1)
        let a = rng.pdqHash(), b = rng.pdqHash()
        let video = try VPDQHash("[\"\(a.hex),100,0.0\", \"\(b.hex.uppercased()), 98 ,1.50\",\n \"\(a.hex),12,1.23e+02\"]")
        #expect(video.features.map(\.quality) == [100, 98, 12])
        #expect(video.features.map(\.milliseconds) == [0, 1_500, 123_000])
        #expect(video.text == "[\"\(a.hex),100,0\",\"\(b.hex),98,1.5\",\"\(a.hex),12,123\"]")
        // The frame of quality 12 is not compared, nor would a repeat be.
        #expect(video.compared.map(\.hash) == [a, b])
        // The same list written otherwise is the same signal; another time is another.
        let same = try Signal(.vpdq, video.text)
        #expect(same == Signal(video: video))
        #expect(same.value == video.text)
        #expect(same.valueByteCount == video.text.utf8.count)
        #expect(try Signal(.vpdq, "[\"\(a.hex),100,0.0004\",\"\(b.hex),98,1.5\",\"\(a.hex),12,123\"]") == same)
        #expect(try Signal(.vpdq, "[\"\(a.hex),100,0.001\",\"\(b.hex),98,1.5\",\"\(a.hex),12,123\"]") != same)
        #expect(same.pdq == nil)
        #expect(SignalType(name: "VIDEO_VPDQ") == .vpdq)
        #expect(try VPDQHash("[\"\(a.hex),100,2\"]").features[0].text == "\(a.hex),100,2")
        #expect(try VPDQHash("[\"\(a.hex),100,2.05\"]").features[0].text == "\(a.hex),100,2.05")
        // Any time and quality: the text is the seconds to three places less the trailing zeros,
        // its length counted without writing it, and it reads back as the same frames.
        let features = (0..<500).map { _ in
            VPDQHash.Feature(hash: rng.pdqHash(), quality: Int(rng.next() % 101), milliseconds: Int64(rng.next() % 2_000_000_000))
        }
        let many = try VPDQHash(features: features)
        for f in features {
            var seconds = String(format: "%.3f", Double(f.milliseconds) / 1000)
            while seconds.hasSuffix("0") { seconds.removeLast() }
            if seconds.hasSuffix(".") { seconds.removeLast() }
            #expect(f.text == "\(f.hash.hex),\(f.quality),\(seconds)")
        }
        #expect(many.textByteCount == many.text.utf8.count)
        #expect(Signal(video: many).valueByteCount == many.text.utf8.count)
        #expect(try VPDQHash(many.text).features == features)
    }

    @Test func badTextIsRefusedSayingWhere() throws {
        let h = String(repeating: "ab", count: 32)
        func refusal(_ text: String) -> BulwarkError? {
            do {
                _ = try Signal(.vpdq, text)
                return nil
            } catch { return error }
        }
        let cases: [(String, String, Int?)] = [
            ("\(h),100,0", "expected [", 0),
            ("[\"\(h),100,0\"", "unterminated array", 2 + h.count + 7),
            ("[\"\(h),100,0\" \"x\"]", "expected , or ]", 2 + h.count + 8),
            ("[\"\(h),100,0\"] x", "unexpected bytes after the array", 2 + h.count + 9),
            ("[\"\(h),100,0", "unterminated string", 1),
            ("[\"\(h),100,\\u0030\"]", "unexpected byte in a string", 2 + h.count + 5),
            ("[1]", "expected a string", 1),
            ("[\"\(h),100,0\",\"\(h.dropLast()),100,1\"]", "vpdq frame 2", 2 + h.count + 9),
            ("[\"\(h),101,0\"]", "frame 1 (\"\(h),101,0\"): the quality is not a whole number from 0 to 100", 2),
            ("[\"\(h),100,-1\"]", "the time is not a number of seconds", 2),
            ("[\"\(h),100,inf\"]", "the time is not a number of seconds", 2),
            ("[\"\(h),100\"]", "expected hex,quality,seconds", 2),
            ("[]", "vpdq value has no frames", nil),
        ]
        for (text, message, offset) in cases {
            let error = try #require(refusal(text), "\(text) was read")
            #expect(error.message.contains(message), "\(text): \(error.message)")
            #expect(error.offset == offset, "\(text): \(error)")
            #expect(error.field == "value")
        }
        // The limits: frames, then bytes.
        let many = "[" + Array(repeating: "\"\(h),100,0\"", count: VPDQHash.maxFeatures + 1).joined(separator: ",") + "]"
        #expect(refusal(many)?.message == "vpdq value has more than 10000 frames")
        #expect(refusal(many)?.code == .limitExceeded)
        let wide = "[\"\(h),100,0\"" + String(repeating: " ", count: VPDQHash.maxTextBytes) + "]"
        #expect(refusal(wide)?.message.hasPrefix("vpdq value is 1048") == true)
        let most = "[" + Array(repeating: "\"\(h),100,0\"", count: VPDQHash.maxFeatures).joined(separator: ",") + "]"
        #expect(try VPDQHash(most).compared.count == 1)
    }

    /// HMA's brute-force rule, written out plainly: the frames of quality 50 or more, each
    /// distinct hash once; a frame found when within `threshold` of some frame of the other.
    static func brute(_ media: [(PDQHash, Int)], _ entry: VPDQHash, threshold: Int) -> (Int, Int, Int, Int) {
        var seen = Set<PDQHash>()
        let q = media.filter { $0.1 >= 50 && seen.insert($0.0).inserted }.map(\.0)
        seen = []
        let e = entry.features.filter { $0.quality >= 50 && seen.insert($0.hash).inserted }.map(\.hash)
        let qFound = q.filter { h in e.contains { $0.distance(to: h) <= threshold } }.count
        let eFound = e.filter { h in q.contains { $0.distance(to: h) <= threshold } }.count
        return (q.count, qFound, e.count, eFound)
    }

    /// On random videos made of frames near each other's, the counts of every match equal the
    /// brute force's, and an entry is matched exactly when 80% of either side's frames are found.
    @Test func matchesCountFramesAsHMAsBruteForceDoes() throws {
        var rng = SplitMix64(seed: 7)
        var set = BankSet()
        _ = try set.create(Bank(name: "videos", createdAt: 1))
        _ = try set.create(Bank(name: "strict", pdqThreshold: 12, createdAt: 1))
        let pictures = (0..<40).map { _ in rng.pdqHash() }
        var entries: [(bank: String, video: VPDQHash)] = []
        for i in 0..<60 {
            let count = 1 + Int(rng.next() % 12)
            let features = (0..<count).map { k in
                VPDQHash.Feature(
                    hash: Self.near(pictures[Int(rng.next() % 40)], Int(rng.next() % 40), &rng),
                    quality: rng.next() % 5 == 0 ? 30 : 100, milliseconds: Int64(k) * 1000)
            }
            let bank = i % 3 == 0 ? "strict" : "videos"
            let video = try VPDQHash(features: features)
            _ = try set.add(bank: bank, signal: Signal(video: video), at: 2)
            entries.append((bank, video))
        }
        var matched = 0, notMatched = 0
        for _ in 0..<300 {
            let count = 1 + Int(rng.next() % 10)
            let media = (0..<count).map { _ in
                (Self.near(pictures[Int(rng.next() % 40)], Int(rng.next() % 40), &rng), rng.next() % 6 == 0 ? 20 : 90)
            }
            let hashes = MediaHashes(
                pdq: media[0].0, pdqQuality: media[0].1,
                frames: media.dropFirst().enumerated().map { FramePDQ(frame: $0.offset + 1, hash: $0.element.0, quality: $0.element.1) })
            let found = Dictionary(
                uniqueKeysWithValues: set.match(hashes).matches.compactMap { m in m.video.map { (m.entry.id, (m, $0)) } })
            for (i, entry) in entries.enumerated() {
                let (q, qFound, e, eFound) = Self.brute(media, entry.video, threshold: entry.bank == "strict" ? 12 : 31)
                let expected = (q > 0 && qFound * 100 >= 80 * q) || (e > 0 && eFound * 100 >= 80 * e)
                guard let (m, video) = found[UInt64(i + 1)] else {
                    #expect(!expected, "entry \(i + 1) not matched: \(q) \(qFound) \(e) \(eFound)")
                    notMatched += 1
                    continue
                }
                #expect(expected)
                let counts: [Int] = [video.frames, video.framesMatched, video.entryFrames, video.entryFramesMatched]
                let bruteCounts: [Int] = [q, qFound, e, eFound]
                #expect(counts == bruteCounts)
                #expect(video.matchedFrames.count == qFound)
                #expect(m.distance <= (entry.bank == "strict" ? 12 : 31))
                matched += 1
            }
        }
        // Both outcomes were met often enough to mean something.
        #expect(matched > 100)
        #expect(notMatched > 1_000)
    }

    /// The rule's edges: 8 of 10 frames found match, 7 do not; a banked video inside a longer one
    /// is found by the entry's share; frames too flat to hash are left out of both counts.
    @Test func eightyPercentOfEitherVideoMatches() throws {
        var rng = SplitMix64(seed: 3)
        var set = BankSet()
        _ = try set.create(Bank(name: "videos", labels: ["category:dissemination"], createdAt: 1))
        let banked = (0..<10).map { _ in rng.pdqHash() }
        let entry = try VPDQHash(
            features: banked.enumerated().map { .init(hash: $0.element, quality: 100, milliseconds: Int64($0.offset) * 1000) }
                + [.init(hash: rng.pdqHash(), quality: 10, milliseconds: 10_000)])
        _ = try set.add(bank: "videos", signal: Signal(video: entry), at: 2)
        func media(_ hashes: [PDQHash], flat: Int = 0) -> MediaHashes {
            MediaHashes(
                pdq: hashes[0], pdqQuality: 100,
                frames: hashes.dropFirst().enumerated().map {
                    FramePDQ(frame: $0.offset + 1, hash: $0.element, quality: $0.offset < flat ? 0 : 100, second: $0.offset + 1)
                })
        }
        // 8 of the banked frames a few bits off, then 2 others: 80%.
        let eight = banked.prefix(8).map { Self.near($0, 20, &rng) } + [rng.pdqHash(), rng.pdqHash()]
        let m8 = try #require(set.match(media(eight)).matches.first)
        #expect(m8.video == VideoMatch(frames: 10, framesMatched: 8, entryFrames: 10, entryFramesMatched: 8, matchedFrames: Array(0..<8)))
        #expect(set.match(media(eight)).decision == .violating)
        // 7 of 10: neither side reaches 80%.
        let seven = banked.prefix(7).map { Self.near($0, 20, &rng) } + (0..<3).map { _ in rng.pdqHash() }
        #expect(set.match(media(seven)).matches.isEmpty)
        // Three frames too flat to hash leave 7 of 7: matched.
        let flatThree = [seven[0]] + (0..<3).map { _ in rng.pdqHash() } + seven[1..<7]
        #expect(set.match(media(flatThree, flat: 3)).matches.first?.video?.frames == 7)
        // The whole banked video inside a video three times as long: 33% of the media, 100% of the entry.
        let inside = (0..<10).map { _ in rng.pdqHash() } + banked.map { Self.near($0, 5, &rng) } + (0..<10).map { _ in rng.pdqHash() }
        let m = try #require(set.match(media(inside)).matches.first?.video)
        #expect(m.frames == 30 && m.framesMatched == 10 && m.entryPercent == 100)
        #expect(m.json == "{\"frames\":30,\"frames_matched\":10,\"percent\":33.3,\"entry_frames\":10,\"entry_frames_matched\":10,\"entry_percent\":100.0}")
        // A still of one banked frame: one frame of one, found.
        #expect(set.match(MediaHashes(pdq: banked[4], pdqQuality: 100)).matches.first?.frame == nil)
        #expect(set.match(MediaHashes(pdq: banked[4], pdqQuality: 100)).matches.first?.video?.framesMatched == 1)
        #expect(set.match(MediaHashes(pdq: banked[4], pdqQuality: 40)).matches.isEmpty)
        // Only the banks asked for.
        _ = try set.create(Bank(name: "other", createdAt: 1))
        #expect(set.match(media(eight), banks: ["other"]).matches.isEmpty)
        // Removed: no longer matched, and its frames leave the index.
        _ = try set.remove(bank: "videos", signal: Signal(video: entry), at: 3)
        #expect(set.match(media(eight)).matches.isEmpty)
        #expect(set.videoIndex.count == 0)
    }

    /// A known video in an allow bank answers the block matches, by vPDQ or PDQ, of the frames it
    /// found; a banked video or picture on another frame still stands, so a known video put in
    /// front of a banked one does not clear it.
    @Test func aKnownVideoInAnAllowBankAnswersItsOwnFrames() throws {
        var rng = SplitMix64(seed: 4)
        var set = BankSet()
        _ = try set.create(Bank(name: "block", createdAt: 1))
        _ = try set.create(Bank(name: "fp", kind: .allow, createdAt: 1))
        let frames = (0..<6).map { _ in rng.pdqHash() }
        let video = try VPDQHash(features: frames.enumerated().map { .init(hash: $0.element, quality: 100, milliseconds: Int64($0.offset) * 1000) })
        _ = try set.add(bank: "block", signal: Signal(video: video), at: 2)
        _ = try set.add(bank: "block", signal: Signal(pdq: frames[2]), at: 2)
        let media = MediaHashes(
            pdq: frames[0], pdqQuality: 100, frames: frames.dropFirst().enumerated().map { FramePDQ(frame: $0.offset + 1, hash: $0.element, quality: 100) })
        #expect(set.match(media).standingBlockMatches.count == 2)
        // The allow bank knows the same video: both answered.
        _ = try set.add(bank: "fp", signal: Signal(video: video), at: 3)
        #expect(set.match(media).standingBlockMatches.isEmpty)
        #expect(set.match(media).decision == .none)
        // It knows the first five frames only; a banked picture put at a sixth frame still stands.
        _ = try set.remove(bank: "fp", signal: Signal(video: video), at: 4)
        let firstFive = try VPDQHash(features: Array(video.features.prefix(5)))
        _ = try set.add(bank: "fp", signal: Signal(video: firstFive), at: 5)
        let other = rng.pdqHash()
        _ = try set.add(bank: "block", signal: Signal(pdq: other), at: 5)
        var longer = media
        longer.frames.append(FramePDQ(frame: 6, hash: other, quality: 100))
        // The banked video's sixth frame is not in the known one: it stands, as does the picture.
        let standing = set.match(longer).standingBlockMatches
        #expect(Set(standing.map(\.entry.signal)) == [Signal(video: video), Signal(pdq: other)])
        // Its frame 2, banked as a picture, is in the known video: answered.
        #expect(!standing.contains { $0.entry.signal == Signal(pdq: frames[2]) })
        // The known video in front of the banked one, as a longer upload: the banked one stands.
        _ = try set.remove(bank: "block", signal: Signal(pdq: other), at: 6)
        _ = try set.remove(bank: "block", signal: Signal(pdq: frames[2]), at: 6)
        let known = (0..<10).map { _ in rng.pdqHash() }
        _ = try set.add(bank: "fp", signal: Signal(video: try VPDQHash(features: known.enumerated().map { .init(hash: $0.element, quality: 100, milliseconds: Int64($0.offset) * 1000) })), at: 7)
        let spliced = known + frames
        let upload = MediaHashes(
            pdq: spliced[0], pdqQuality: 100, frames: spliced.dropFirst().enumerated().map { FramePDQ(frame: $0.offset + 1, hash: $0.element, quality: 100) })
        let outcome = set.match(upload)
        // Both known videos are found whole in it (the first five frames of the banked one too),
        // but the banked one's sixth frame is in neither.
        #expect(outcome.allowedBy.count == 2 && outcome.allowedBy.allSatisfy { $0.video?.entryPercent == 100 })
        #expect(outcome.standingBlockMatches.map(\.entry.signal) == [Signal(video: video)])
        #expect(outcome.decision == .violating)
    }

    /// vPDQ entries survive a snapshot and the bank log's lines, and are matched after as before.
    @Test func entriesSurviveASnapshotAndTheLog() throws {
        var rng = SplitMix64(seed: 9)
        var set = BankSet()
        _ = try set.create(Bank(name: "videos", createdAt: 1))
        var videos: [VPDQHash] = []
        for i in 0..<200 {
            let features = (0..<(1 + i % 30)).map { k in VPDQHash.Feature(hash: rng.pdqHash(), quality: 60 + k % 40, milliseconds: Int64(k) * 1500) }
            videos.append(try VPDQHash(features: features))
            _ = try set.add(bank: "videos", signal: Signal(video: videos[i]), labels: ["group:x"], at: Int64(i))
        }
        _ = try set.add(bank: "videos", signal: Signal(pdq: rng.pdqHash()), at: 300)
        _ = try set.remove(bank: "videos", signal: Signal(video: videos[7]), at: 301)
        let (loaded, sequence) = try BankSet.load(snapshot: set.snapshot(sequence: 42))
        #expect(sequence == 42)
        #expect(loaded.entries == set.entries)
        #expect(loaded.videoIndex.count == set.videoIndex.count)
        #expect(loaded.videoIndex.pendingCount == 0)
        for i in [0, 7, 100, 199] {
            let v = videos[i].features
            let media = MediaHashes(
                pdq: v[0].hash, pdqQuality: v[0].quality, frames: v.dropFirst().enumerated().map { FramePDQ(frame: $0.offset + 1, hash: $0.element.hash, quality: $0.element.quality) })
            #expect(loaded.match(media) == set.match(media))
            #expect(loaded.match(media).matches.map(\.entry.id) == (i == 7 ? [] : [UInt64(i + 1)]))
        }
        // The log's lines: each addition reads back as written.
        for entry in set.entries.prefix(5) {
            let line = BankEventLine.encode(.add(entry), sequence: entry.id)
            let (_, event) = try BankEventLine.decode(line)
            #expect(event == .add(entry))
        }
        // Replayed from the events alone.
        var replayed = BankSet()
        _ = try replayed.create(Bank(name: "videos", createdAt: 1))
        try replayed.apply(contentsOf: set.entries.map { BankEvent.add({ var e = $0; e.removedAt = nil; return e }($0)) })
        _ = try replayed.remove(bank: "videos", signal: Signal(video: videos[7]), at: 301)
        #expect(replayed.videoIndex.count == set.videoIndex.count)
    }

    /// Hash-list files carry vPDQ values: HMA's lines (`vpdq [...]`), and CSV fields quoted, the
    /// type told by the value when not given; a vPDQ value on line 1 is no header.
    @Test func hashListFilesCarryVPDQValues() throws {
        var rng = SplitMix64(seed: 11)
        let video = try VPDQHash(features: (0..<3).map { .init(hash: rng.pdqHash(), quality: 100, milliseconds: Int64($0) * 1000) })
        let entry = BankEntry(id: 4, bank: "v", signal: Signal(video: video), labels: ["group:x", "kind:y"], addedAt: 1_800_000_000)
        for format in SignalFileFormat.allCases {
            let line = SignalFileWriter(format: format).line(entry)
            let typed = try #require(try SignalFileReader(format: format, type: .vpdq).read(line.dropLast(), number: 1))
            #expect(typed.signal == entry.signal)
            let told = try #require(try SignalFileReader(format: format).read(line.dropLast(), number: 1))
            #expect(told.signal == entry.signal)
            if format != .hma { #expect(told.labels == entry.labels) }
        }
        // HMA's own text (spaces after the commas, seconds as floats) reads as the same signal.
        let hma = "vpdq " + Self.hmaText(video.features.map { ($0.hash, $0.quality, Double($0.milliseconds) / 1000) })
        #expect(try SignalFileReader(format: .hma).read(hma, number: 3)?.signal == entry.signal)
        // A bad frame is refused with its line.
        let bad = "vpdq [\"\(video.features[0].hash.hex),100,0\",\"zz,100,1\"]"
        #expect(throws: BulwarkError.self) { try SignalFileReader(format: .hma).read(bad, number: 5) }
        do {
            _ = try SignalFileReader(format: .hma).read(bad, number: 5)
        } catch {
            #expect(error.line == 5 && error.message.contains("vpdq frame 2"))
        }
    }
}
