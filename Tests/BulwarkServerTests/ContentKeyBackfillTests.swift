import BulwarkCore
import BulwarkServer
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
    @Test(arguments: Backend.allCases)
    func casesOpenedBeforeContentKeysAreGivenThemAndTheirRemovalsReachLaterCopies(_ backend: Backend) async throws {
        try await withTestStore(backend, "keybackfill") { t in
            let store = t.store
            #expect(try await store.setting("content_keys_backfill") == nil, "a new database has nothing to give keys to")
            let keys = try await makeKeys(store, [.ingest, .reviewer])
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

            let (service, clock) = try clockedService(store, start: 1_790_000_100)
            // A case at a time: a page whose one case has media has none to give a key to, and the
            // next pages are read all the same.
            #expect(try await service.giveOlderCasesContentKeys(logger: Logger(label: "test"), page: 1) == 2)
            #expect(try await t.integer("SELECT COUNT(*) FROM cases WHERE content_key IS NOT NULL") == 2)
            for id in ["k-image", "k-short"] {
                #expect(
                    try await t.integer("SELECT COUNT(*) FROM cases WHERE content_key IS NULL AND id = \(cases[id]!)") == 1,
                    "\(id) has media or too short a text: no key, as at ingest")
            }
            #expect(try await store.setting("content_keys_backfill") == "done: 2 of 3 cases without media given a content key")
            #expect(try await t.integer("SELECT COUNT(*) FROM audit_log WHERE actor = 'system' AND action = 'setting.change'") == 1)
            #expect(try await service.giveOlderCasesContentKeys(logger: Logger(label: "test")) == nil, "once")

            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let (_, detail) = try await call(client, keys, .get, "/v1/cases/\(cases["k-1"]!)", .reviewer)
                #expect(detail["open_copies"] as? [Int] == [cases["k-2"]!])
                clock.set(1_790_000_200)
                let (_, reply) = try await call(
                    client, keys, .post, "/v1/items", .ingest, CopiesTests.item("k-later", text.replacingOccurrences(of: "now", with: "NOW")))
                let verdict = try #require(((reply["items"] as? [[String: Any]])?.first)?["verdict"] as? [String: Any])
                #expect(verdict["decision"] as? String == "violating")
                let known = try #require((verdict["evidence"] as? [[String: Any]])?.first)
                #expect((known["detail"] as? String)?.hasPrefix("removed before: a copy of this text, case \(cases["k-1"]!) ") == true, "\(known)")
            }
        }
    }
}
