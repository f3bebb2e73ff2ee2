import BulwarkCore
@testable import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Cases opened before schema version 13 had no content key, so a removal decided on one did not
/// reach later copies of its text. Version 14 marks such a database, and `serve` gives those cases
/// their keys before it serves; each backend, the migration itself run again on cases whose
/// keys were taken away.
struct ContentKeyBackfillTests {
    /// A database as one from before version 13 is after the upgrade to version 14: four cases
    /// without content keys (two copies of one text, the first removed; one with media; one too
    /// short), the setting `pending`. Returns the cases by item id.
    static func upgradedDatabase(_ t: TestStore, _ backend: Backend, keys: [Role: String]) async throws -> [String: Int] {
        let store = t.store
        #expect(try await store.setting("content_keys_backfill") == nil, "a new database has nothing to give keys to")
        let text = CopiesTests.text
        let (first, _) = try clockedService(store, start: 1_790_000_000)
        let cases = try await first.application(logger: Logger(label: "test")).test(.router) { client -> [String: Int] in
            var cases: [String: Int] = [:]
            for (id, body) in [
                ("k-1", CopiesTests.item("k-1", text)), ("k-2", CopiesTests.item("k-2", text.uppercased())),
                ("k-image", CopiesTests.item("k-image", text, media: true)),
                ("k-short", CopiesTests.item("k-short", "join them now")),
            ] {
                _ = try await call(client, keys, .post, "/v1/items", .ingest, body)
                let (_, report) = try await call(
                    client, keys, .post, "/v1/reports", .ingest,
                    #"{"platform":"example","item_id":"\#(id)","reporter":"user-1","reason":"terrorism"}"#)
                cases[id] = try #require(report["case_id"] as? Int, "\(id): \(report)")
            }
            let (status, _) = try await call(
                client, keys, .post, "/v1/cases/\(cases["k-1"]!)/decisions", .reviewer, #"{"action":"remove","category":"recruitment"}"#)
            #expect(status == .created)
            return cases
        }
        // As a database from before version 13 has them: no case with a key; then version 14.
        try await t.execute("UPDATE cases SET content_key = NULL")
        try await t.execute(
            backend == .sqlite
                ? "DELETE FROM grdb_migrations WHERE identifier = 'v14'" : "DELETE FROM schema_migrations WHERE version = 'v14'")
        try await store.migrate()
        #expect(try await store.setting("content_keys_backfill") == "pending")
        return cases
    }

    /// A later copy of the removed text, posted through `client`: known content, naming the case.
    static func laterCopyIsKnownContent(_ client: some TestClientProtocol, _ keys: [Role: String], removed: Int, id: String) async throws {
        let (_, reply) = try await call(
            client, keys, .post, "/v1/items", .ingest, CopiesTests.item(id, CopiesTests.text.replacingOccurrences(of: "now", with: "NOW")))
        let verdict = try #require(((reply["items"] as? [[String: Any]])?.first)?["verdict"] as? [String: Any])
        #expect(verdict["decision"] as? String == "violating")
        let known = try #require((verdict["evidence"] as? [[String: Any]])?.first)
        #expect((known["detail"] as? String)?.hasPrefix("removed before: a copy of this text, case \(removed) ") == true, "\(known)")
    }

    @Test(arguments: Backend.allCases)
    func casesOpenedBeforeContentKeysAreGivenThemAndTheirRemovalsReachLaterCopies(_ backend: Backend) async throws {
        try await withTestStore(backend, "keybackfill") { t in
            let store = t.store
            let keys = try await makeKeys(store, [.ingest, .reviewer])
            let cases = try await Self.upgradedDatabase(t, backend, keys: keys)

            let (service, clock) = try clockedService(store, start: 1_790_000_100)
            // The routes alone: the application's services would give the keys as it starts.
            let app = Application(router: service.router())
            // This process read the removed texts before the older cases had keys, and its
            // index went on past their decisions (a refresh reads later ones and the ids it
            // passed over only; until 2026-12-04 it read the last 10,000 again): another text
            // removed since, its decision numbered far on.
            try await app.test(.router) { client in
                let other = "A different post: the black banner rises, soldiers, come and fight for the state with us"
                let otherCase = try await RemovedTextsTests.removal(client, keys, "k-other", other)
                try await t.execute("UPDATE decisions SET id = 50000 WHERE case_id = \(otherCase)")
                clock.set(1_790_000_110)
                let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, CopiesTests.item("k-other-2", other))
                let verdict = try #require(((reply["items"] as? [[String: Any]])?.first)?["verdict"] as? [String: Any])
                #expect(
                    ((verdict["evidence"] as? [[String: Any]])?.first?["detail"] as? String)?.hasPrefix("removed before") == true,
                    "the index has read decision 50000: \(verdict)")
            }

            // A case at a time: a page whose one case has media has none to give a key to, and the
            // next pages are read all the same.
            #expect(try await service.giveOlderCasesContentKeys(logger: Logger(label: "test"), page: 1) == 2)
            #expect(try await t.integer("SELECT COUNT(*) FROM cases WHERE content_key IS NOT NULL") == 4, "2 given, 2 at ingest")
            for id in ["k-image", "k-short"] {
                #expect(
                    try await t.integer("SELECT COUNT(*) FROM cases WHERE content_key IS NULL AND id = \(cases[id]!)") == 1,
                    "\(id) has media or too short a text: no key, as at ingest")
            }
            #expect(try await store.setting("content_keys_backfill") == "done: 2 of 3 cases without media given a content key")
            #expect(try await t.integer("SELECT COUNT(*) FROM audit_log WHERE actor = 'system' AND action = 'setting.change'") == 1)
            #expect(try await service.giveOlderCasesContentKeys(logger: Logger(label: "test")) == nil, "once")

            try await app.test(.router) { client in
                let (_, detail) = try await call(client, keys, .get, "/v1/cases/\(cases["k-1"]!)", .reviewer)
                #expect(detail["open_copies"] as? [Int] == [cases["k-2"]!])
                // Within the second: the index is read again, from the first decision, at once.
                try await Self.laterCopyIsKnownContent(client, keys, removed: cases["k-1"]!, id: "k-later")
            }
        }
    }

    /// The server gives the keys alongside serving: it answers at once, and the keys follow.
    @Test(arguments: Backend.allCases)
    func theServerGivesTheKeysWhileItServes(_ backend: Backend) async throws {
        try await withTestStore(backend, "keybackfilllive") { t in
            let store = t.store
            let keys = try await makeKeys(store, [.ingest, .reviewer])
            let cases = try await Self.upgradedDatabase(t, backend, keys: keys)
            let (service, _) = try clockedService(store, start: 1_790_000_100)
            try await service.application(logger: Logger(label: "test")).test(.live) { client in
                var setting = try await store.setting("content_keys_backfill")
                for _ in 0..<200 where setting == "pending" {
                    try await Task.sleep(for: .milliseconds(50))
                    setting = try await store.setting("content_keys_backfill")
                }
                #expect(setting == "done: 2 of 3 cases without media given a content key")
                try await Self.laterCopyIsKnownContent(client, keys, removed: cases["k-1"]!, id: "k-later")
            }
        }
    }
}
