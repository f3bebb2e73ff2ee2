@testable import BulwarkServer
import BulwarkCore
import BulwarkEntities
import BulwarkStore
import BulwarkTestSupport
import BulwarkText
import Testing

/// The server's index of banned entities, read from a real store.
struct ReappearanceTrackerTests {
    /// Every ingest request asks for a refresh. Requests that arrive while a read is under way
    /// wait for that read (each used to start its own, and those reads were ingest's latency tail)
    /// and return with the banned entity in the index.
    @Test func concurrentRefreshesShareOneReadAndAllSeeItsResult() async throws {
        try await withTestStore(.sqlite, "tracker") { t in
            let store = t.store
            let items = (0..<3).map { i in
                ScannedItem(
                    item: NewItem(
                        platform: "p", externalID: "v\(i)", type: "post", text: "text \(i)", author: "u\(i)",
                        containerID: "room", containerTitle: "The room", containerKind: .channel, containerReach: 100,
                        postedAt: Int64(i)),
                    decision: .violating, score: 0.9, category: .recruitment, context: nil, language: "en",
                    verdictJSON: "{}", casePriority: 50)
            }
            let out = try await store.ingest(items, now: 10)
            let roomID = try #require(out[0].containerEntityID)
            let decided = try await store.decideEntity(
                entityID: roomID, reviewer: "ana", decision: NewDecision(action: .remove), webhookBody: { _, _, _ in nil },
                now: 20)
            guard case .decided = decided else {
                Issue.record("not decided: \(decided)")
                return
            }
            let tracker = ReappearanceTracker(normalizer: TextNormalizer())
            let seen = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        try await tracker.refresh(store, now: 30)
                        return await tracker.snapshot.count
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(seen.count == 32 && seen.allSatisfy { $0 == 1 }, "\(seen)")
            #expect(await tracker.loads == 1)
            // Within the refresh interval nothing is read; after it, one more read.
            try await tracker.refresh(store, now: 30)
            #expect(await tracker.loads == 1)
            try await tracker.refresh(store, now: 30 + ReappearanceTracker.refreshSeconds)
            #expect(await tracker.loads == 2)
            #expect(await tracker.snapshot.count == 1)
            // Matching runs on a copy of the index, outside the actor.
            let index = await tracker.snapshot
            func source(_ id: Int64, _ name: String, _ posts: [String], status: EntityStatus = .active) -> EntityFingerprintSource {
                EntityFingerprintSource(
                    entityID: id, kind: .channel, status: status, name: name, description: nil, avatarPDQ: nil,
                    itemCount: posts.count, earlyPosts: posts)
            }
            let lookalike = tracker.match(source(99, "The room", ["text 0", "text 1"]), in: index)
            #expect(lookalike?.bannedEntityID == String(roomID), "\(String(describing: lookalike))")
            #expect(tracker.match(source(98, "Gardening tips", ["tomatoes in july"]), in: index) == nil)
            #expect(tracker.match(source(97, "The room", ["text 0"], status: .removed), in: index) == nil)
            #expect(tracker.match(source(99, "The room", ["text 0"]), in: ReappearanceIndex()) == nil)
        }
    }
}
