import BulwarkCore
@testable import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import BulwarkText
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The server's index of removed texts: held compactly, read as the server starts, and
/// `/readyz` waiting for it.
struct RemovedTextsTests {
    /// Posts `text` as item `id`, reports it (which opens its case) and removes it; returns the
    /// case id.
    static func removal(_ client: some TestClientProtocol, _ keys: [Role: String], _ id: String, _ text: String) async throws -> Int {
        _ = try await call(client, keys, .post, "/v1/items", .ingest, CopiesTests.item(id, text))
        let (_, report) = try await call(
            client, keys, .post, "/v1/reports", .ingest,
            #"{"platform":"example","item_id":"\#(id)","reporter":"user-1","reason":"terrorism"}"#)
        let caseID = try #require(report["case_id"] as? Int, "\(report)")
        let (status, _) = try await call(
            client, keys, .post, "/v1/cases/\(caseID)/decisions", .reviewer, #"{"action":"remove","category":"recruitment"}"#)
        #expect(status == .created)
        return caseID
    }

    static func readiness(_ client: some TestClientProtocol) async throws -> (HTTPResponse.Status, String) {
        let r = try await client.execute(uri: "/readyz", method: .get)
        return (r.status, String(buffer: r.body))
    }

    /// The index holds a content key as its 128 bits: the same text the same key, another text
    /// another; anything but 32 hexadecimal digits is no key.
    @Test func aContentKeyIsHeldAsItsBits() throws {
        let normalizer = try ServerFixtures.engine.get().normalizer
        let text = CopiesTests.text
        let a = try #require(ContentKey.of(text, normalizer: normalizer))
        let b = try #require(ContentKey.of(text.uppercased(), normalizer: normalizer))
        let other = try #require(ContentKey.of(text + " and more", normalizer: normalizer))
        #expect(RemovedTexts.Key(a) == RemovedTexts.Key(b))
        #expect(RemovedTexts.Key(a) != RemovedTexts.Key(other))
        let key = try #require(RemovedTexts.Key("0123456789abcdef" + "FEDCBA9876543210"))
        #expect(key.high == 0x0123_4567_89ab_cdef && key.low == 0xfedc_ba98_7654_3210)
        for bad in ["", String(a.dropLast()), a + "0", "g" + a.dropFirst(), String(a.dropLast()) + " ", "é" + a.dropFirst(2)] {
            #expect(RemovedTexts.Key(bad) == nil, "\(bad)")
        }
    }

    /// A decision committed after one numbered above it (PostgreSQL numbers a decision when it is
    /// inserted) is read by the next refresh, which reads only what is new and the ids it passed
    /// over, not the last decisions again; ids passed over are let go after `gapSeconds`.
    @Test(arguments: Backend.allCases)
    func aDecisionCommittedOutOfIdOrderIsReadAndARefreshReadsOnlyWhatIsNew(_ backend: Backend) async throws {
        try await withTestStore(backend, "removedgaps") { t in
            let store = t.store
            let keys = try await makeKeys(store, [.ingest, .reviewer])
            let (service, clock) = try clockedService(store, start: 1_790_000_000)
            let index = service.removedTexts
            try await Application(router: service.router()).test(.router) { client in
                func removal(_ id: String, _ text: String) async throws -> Int { try await Self.removal(client, keys, id, text) }
                let other = "A different post: the black banner rises, soldiers, come and fight for the state with us"
                let otherCase = try await removal("g-other", other)
                try await t.execute("UPDATE decisions SET id = 100 WHERE case_id = \(otherCase)")
                clock.set(1_790_000_001)
                _ = try await call(client, keys, .post, "/v1/items", .ingest, CopiesTests.item("g-probe-1", other + " again"))
                #expect(await index.decisionsRead == 1)
                #expect(await index.gapCount == 1, "ids 1 to 99 passed over")

                // Decided in the same second (no refresh), numbered inside the gap: as a
                // transaction that took its id before decision 100 and committed after it.
                let removed = try await removal("g-1", CopiesTests.text)
                try await t.execute("UPDATE decisions SET id = 50 WHERE case_id = \(removed)")
                clock.set(1_790_000_003)
                try await ContentKeyBackfillTests.laterCopyIsKnownContent(client, keys, removed: removed, id: "g-2")
                #expect(await index.decisionsRead == 2, "decision 50, from the gap; nothing read again")
                #expect(await index.gapCount == 2, "ids 1 to 49 and 51 to 99")
                clock.set(1_790_000_005)
                _ = try await call(client, keys, .post, "/v1/items", .ingest, CopiesTests.item("g-probe-2", other + " once more"))
                #expect(await index.decisionsRead == 2, "a refresh with nothing new reads nothing")

                clock.set(1_790_000_001 + RemovedTexts.gapSeconds)
                _ = try await call(client, keys, .post, "/v1/items", .ingest, CopiesTests.item("g-probe-3", other + " and again"))
                #expect(await index.gapCount == 0, "let go after gapSeconds")
            }
        }
    }

    /// A process reads the index as it starts, without an ingest request; `/readyz` answers 503
    /// until then. Routes alone (no warm-up) stay not ready until a request reads the index.
    @Test(arguments: Backend.allCases)
    func theIndexIsReadAsTheServerStartsAndReadinessWaitsForIt(_ backend: Backend) async throws {
        try await withTestStore(backend, "removedtexts") { t in
            let store = t.store
            let keys = try await makeKeys(store, [.ingest, .reviewer])
            let (first, _) = try clockedService(store, start: 1_790_000_000)
            let removed = try await first.application(logger: Logger(label: "test")).test(.router) { client -> Int in
                try await Self.removal(client, keys, "r-1", CopiesTests.text)
            }

            // The routes alone: not ready until an ingest request has read the index.
            let (second, _) = try clockedService(store, start: 1_790_000_100)
            try await Application(router: second.router()).test(.router) { client in
                let (status, body) = try await Self.readiness(client)
                #expect(status == .serviceUnavailable)
                #expect(body == "not ready: reading the index of removed texts\n")
                try await ContentKeyBackfillTests.laterCopyIsKnownContent(client, keys, removed: removed, id: "r-2")
                #expect(try await Self.readiness(client) == (.ok, "ready\n"))
            }

            // The application: ready without a request, the index read.
            let (third, _) = try clockedService(store, start: 1_790_000_200)
            try await third.application(logger: Logger(label: "test")).test(.live) { client in
                var (status, _) = try await Self.readiness(client)
                for _ in 0..<200 where status != .ok {
                    try await Task.sleep(for: .milliseconds(50))
                    (status, _) = try await Self.readiness(client)
                }
                #expect(status == .ok)
                #expect(await third.removedTexts.loads == 1)
                #expect(await third.removedTexts.count == 1, "one text decided")
                try await ContentKeyBackfillTests.laterCopyIsKnownContent(client, keys, removed: removed, id: "r-3")
            }
        }
    }
}
