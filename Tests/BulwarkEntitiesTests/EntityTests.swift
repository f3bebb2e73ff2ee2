import BulwarkCore
import BulwarkEntities
import Foundation
import Testing

struct EntitySignalsTests {
    @Test func signalsFoldItemsAndReachIncrementally() {
        var s = EntitySignals()
        let day: Int64 = 86_400
        s.observeReach(1_000, at: 0)
        s.record(ItemSignal(time: 10, decision: .violating, score: 0.9, category: .recruitment))
        s.record(ItemSignal(time: 20, decision: .none, score: 0.1))
        s.observeReach(1_050, at: 30)  // under 10%: not a new history point
        s.observeReach(5_000, at: 40)
        s.record(ItemSignal(time: day + 5, decision: .review, score: 0.6, category: .recruitment, knownContent: true))
        s.record(ItemSignal(time: day + 6, decision: .violating, score: 0.95, category: .incitement))
        #expect(s.items == 4 && s.violating == 2 && s.review == 1 && s.knownContent == 1)
        #expect(s.categories == ["recruitment": 2, "incitement": 1])
        #expect(s.topCategory == .recruitment)
        #expect(s.activeDays == 2)
        #expect(s.reach == 5_000 && s.peakReach == 5_000)
        #expect(s.reachHistory.map(\.reach) == [1_000, 5_000])
        // Exposure: reach at the time of each item, review items half.
        let expectedExposure: Double = 1_000 + 2_500 + 5_000
        #expect(s.exposure == expectedExposure)
        let expectedShare: Double = 2.5 / 6
        #expect(abs(s.violatingShare - expectedShare) < 1e-12)
        // Velocity halves every day without activity.
        let now = s.decayedVelocity(at: day + 6)
        #expect(abs(s.decayedVelocity(at: 2 * day + 6) - now / 2) < 1e-9)
        #expect(abs(s.decayedVelocity(at: 3 * day + 6) - now / 4) < 1e-9)
    }
}

struct EntityRiskTests {
    /// A platform's figure as large as an integer holds (or below zero) must not trap: it adds
    /// at most what a billion followers add, to the entity's risk and to a case's priority.
    @Test func anExtremeReachIsBoundedNotATrap() {
        var s = EntitySignals()
        s.observeReach(Int.max, at: 0)
        s.record(ItemSignal(time: 10, decision: .violating, score: 0.9, category: .recruitment))
        let risk = EntityRisk.score(s, at: 10)
        #expect(risk.isFinite && risk > 0 && risk <= 100)
        let top = ReviewPriority.base(score: 1, category: .incitement, reach: Int.max, userReports: 0, trustedReports: 0)
        let billion = ReviewPriority.base(score: 1, category: .incitement, reach: 1_000_000_000, userReports: 0, trustedReports: 0)
        #expect(top.isFinite && top >= billion && top - billion < 100)
        // The largest reach, then a small one, and items at the extremes of time.
        s.observeReach(5, at: 20)
        s.record(ItemSignal(time: Int64.min, decision: .review, score: 0.5, category: .recruitment))
        s.record(ItemSignal(time: Int64.max, decision: .violating, score: 0.9, category: .recruitment))
        let later = EntityRisk.score(s, at: Int64.max)
        #expect(later.isFinite && later > 0 && later <= 100)
        let negative = ReviewPriority.base(score: 1, category: .incitement, reach: Int.min, userReports: 0, trustedReports: 0)
        #expect(negative == ReviewPriority.base(score: 1, category: .incitement, reach: 0, userReports: 0, trustedReports: 0))
    }

    @Test func aPropagandaRoomOutranksALargeNewsPage() {
        let day: Int64 = 86_400
        var room = EntitySignals()
        room.observeReach(32_000, at: 0)
        for i in 0..<12 {
            room.record(ItemSignal(time: Int64(i) * day / 2, decision: i % 6 == 5 ? .none : .violating, score: 0.9, category: .recruitment))
        }
        var news = EntitySignals()
        news.observeReach(1_000_000, at: 0)
        for i in 0..<500 {
            news.record(ItemSignal(time: Int64(i) * 600, decision: i % 250 == 0 ? .review : .none, score: 0.3))
        }
        let now = 6 * day
        let roomRisk = EntityRisk.score(room, at: now)
        let newsRisk = EntityRisk.score(news, at: now)
        #expect(roomRisk >= EntityRisk.caseThreshold)
        #expect(newsRisk < 10)
        // The score is the sum of the parts shown.
        let parts = EntityRisk.parts(room, at: now)
        #expect(abs(parts.reduce(0) { $0 + $1.value } - roomRisk) < 1e-9)
        #expect(parts.contains { $0.name == "reach" && $0.value > 5 })
        // A single violating item in a small fresh room is not yet a case.
        var fresh = EntitySignals()
        fresh.observeReach(50, at: 0)
        fresh.record(ItemSignal(time: 1, decision: .violating, score: 0.9))
        #expect(EntityRisk.score(fresh, at: 1) < EntityRisk.caseThreshold)
        // Re-appearance adds its own part.
        #expect(EntityRisk.score(fresh, at: 1, reappearance: 0.9) > EntityRisk.score(fresh, at: 1) + 20)
    }
}

struct ReappearanceTests {
    func fp(_ id: String, _ kind: EntityKind = .room, name: String, description: String = "", avatar: PDQHash? = nil, posts: [String] = []) -> EntityFingerprint {
        EntityFingerprint(
            entityID: id, kind: kind, name: Array(name.utf8), description: Array(description.utf8), avatar: avatar,
            posts: posts.map { Shingles(Array($0.utf8), width: 5) })
    }

    @Test func aBannedRoomIsRecognisedByNameAvatarOrPostsAndNewsIsNot() {
        let avatar = PDQHash(words: SIMD4(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0x0F0F_0F0F_F0F0_F0F0, 0x1357_9BDF_2468_ACE0))
        var index = ReappearanceIndex()
        index.add(
            fp("room-1", name: "supporters of the islamic state", description: "official news of the state, join us",
               avatar: avatar, posts: ["the brothers have spoken, join the ranks today", "new release from the media office tonight"]))
        #expect(index.count == 1)

        // Same name with a suffix.
        let renamed = index.bestMatch(for: fp("room-2", name: "supporters of the islamic state 2"))
        #expect(renamed?.bannedEntityID == "room-1")
        #expect((renamed?.nameSimilarity ?? 0) > 0.7)
        // A different name but the same avatar, with a few bits flipped.
        var flipped = avatar
        flipped.words.x ^= 0b1011
        let byAvatar = index.bestMatch(for: fp("room-3", name: "the garden of light", avatar: flipped))
        #expect(byAvatar?.avatarDistance == 3)
        // A new name, no avatar, but its first posts repeat the banned room's.
        let byPosts = index.bestMatch(
            for: fp("room-4", name: "morning tea club",
                    posts: ["the brothers have spoken, join the ranks today!", "new release from the media office tonight", "hello"]))
        #expect(byPosts?.matchingPosts == 2)
        #expect(byPosts?.explanation.contains("room-1") == true)

        // News about the group, and a religious room: not re-appearances.
        #expect(index.bestMatch(for: fp("news-1", .page, name: "islamic state news and analysis")) == nil)
        #expect(index.bestMatch(for: fp("rel-1", name: "supporters of the mosque garden")) == nil)
        // Accounts are not compared with rooms.
        #expect(index.bestMatch(for: fp("acct-1", .account, name: "supporters of the islamic state")) == nil)
        // A reinstated entity is no longer matched.
        index.remove("room-1")
        #expect(index.bestMatch(for: fp("room-5", name: "supporters of the islamic state")) == nil)
    }

    @Test func shinglesIgnorePunctuationAndCase() {
        let a = Shingles(Array("Supporters -- of the ISLAMIC state!!".utf8), width: 3)
        let b = Shingles(Array("supporters of the islamic state".utf8), width: 3)
        #expect(a.jaccard(b) == 1)
        #expect(Shingles(Array("ab".utf8), width: 3).hashes.count == 1)
        #expect(Shingles([UInt8](), width: 3).jaccard(Shingles([UInt8](), width: 3)) == 0)
    }
}

struct EntitySignalsJSONTests {
    @Test func theHandWrittenJSONRoundTripsAndReadsTheCodableForm() throws {
        var s = EntitySignals()
        s.observeReach(32_000, at: 1_700_000_000)
        s.record(ItemSignal(time: 1_700_000_100, decision: .violating, score: 0.93, category: .recruitment))
        s.record(ItemSignal(time: 1_700_090_000, decision: .review, score: 0.61, category: .incitement, knownContent: true))
        s.observeReach(64_000, at: 1_700_090_500)
        let text = s.jsonText
        #expect(EntitySignals(jsonText: text) == s)
        // The Codable form (JSONEncoder) reads the same, and vice versa.
        let codable = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        #expect(EntitySignals(jsonText: codable) == s)
        #expect(try JSONDecoder().decode(EntitySignals.self, from: Data(text.utf8)) == s)
        #expect(EntitySignals(jsonText: "{\"items\":") == nil)
        #expect(EntitySignals(jsonText: "[1,2]") == nil)
        // Integers written digit by digit: the defaults (-1), zero and the extremes read back.
        var t = EntitySignals()
        #expect(t.jsonText.contains(#""lastActiveDay":-1,"#) && EntitySignals(jsonText: t.jsonText) == t)
        t.firstSeen = .min
        t.lastSeen = .max
        t.velocityTime = -10
        t.categories = ["threat": 123_456_789_012_345_678]
        #expect(t.jsonText.contains(#""firstSeen":-9223372036854775808,"lastSeen":9223372036854775807,"#))
        #expect(EntitySignals(jsonText: t.jsonText) == t)
    }

    /// What the signals' reader makes of other shapes: unknown fields skipped, a value of another
    /// type read as its field's default, a fraction where an integer is expected as its integral
    /// part, a repeated key's last value (a sample's first), and damaged text refused.
    @Test func otherShapesReadAsTheirDefaults() {
        let text = #"""
            { "items": 7, "extra": {"deep": [1, {"x": null}]}, "violating": 2.9, "review": "3", "knownContent": null,
              "maxScore": 1, "categories": {"recruitment": 4, "threat": 1.5, "odd": [1]}, "reach": 1e3,
              "peakReach": 99999999999999999999, "reachHistory": [{"time": 5, "reach": 6, "time": 7}, 3, {"reach": 8}],
              "firstSeen": -4, "lastSeen": 10, "activeDays": true, "lastActiveDay": "x", "exposure": 2,
              "velocity": -0.5e-1, "velocityTime": 11, "items": 8 }
            """#
        guard let s = EntitySignals(jsonText: text) else {
            Issue.record("not read")
            return
        }
        #expect(s.items == 8 && s.violating == 2 && s.review == 0 && s.knownContent == 0)
        #expect(s.maxScore == 1 && s.categories == ["recruitment": 4, "threat": 1, "odd": 0])
        #expect(s.reach == 1000 && s.peakReach == 0)
        #expect(s.reachHistory.map { [$0.time, Int64($0.reach)] } == [[5, 6], [0, 8]])
        #expect(s.firstSeen == -4 && s.lastSeen == 10 && s.activeDays == 0 && s.lastActiveDay == -1)
        #expect(s.exposure == 2 && s.velocity == -0.05 && s.velocityTime == 11)
        for damaged in ["", "{", "{\"items\": 1,}", "{\"items\": 1} {}", "{\"items\": 01}", "{\"categories\": {\"a\" 1}}", "null"] {
            #expect(EntitySignals(jsonText: damaged) == nil, "\(damaged)")
        }
    }
}
