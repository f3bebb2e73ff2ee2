import BulwarkCore
import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `GET /v1/items/{id}`: a platform asks where one of its items stands, by its own id, and gets
/// the standing after every decision, the verdict, the case and the decisions.
struct ItemStateTests {
    @Test(arguments: Backend.allCases)
    func aPlatformReadsWhereItsItemStands(_ backend: Backend) async throws {
        try await withServerStore(backend, "item-state") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .authority])
            let (service, _) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                // The ingest key's name is its platform unless an item names another.
                let items = #"""
                    {"items":[{"id":"post/1","text":"\#(ContentKeyCopies.text)"},
                              {"id":"post-2","text":"Lovely weather for the market this Saturday, see you all there"},
                              {"platform":"other","id":"post-3","text":"Good morning everyone"}]}
                    """#
                let (sent, reply) = try await call(client, keys, .post, "/v1/items", .ingest, items)
                #expect(sent == .ok)
                let caseID = try #require(((reply["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)

                // Flagged, not yet decided: active, its case open. The id's slash is sent percent-encoded.
                var (status, state) = try await call(client, keys, .get, "/v1/items/post%2F1", .ingest)
                #expect(status == .ok)
                #expect(state["platform"] as? String == "ingest-1" && state["id"] as? String == "post/1")
                #expect(state["standing"] as? String == "active")
                #expect((state["verdict"] as? [String: Any])?["decision"] as? String != "none")
                #expect((state["case"] as? [String: Any])?["id"] as? Int == caseID)
                #expect((state["case"] as? [String: Any])?["status"] as? String == "open")
                #expect((state["decisions"] as? [Any])?.isEmpty == true)

                // Removed by a reviewer: removed, with the decision.
                let (decided, decision) = try await call(
                    client, keys, .post, "/v1/cases/\(caseID)/decisions", .reviewer, #"{"action":"remove","category":"recruitment"}"#)
                #expect(decided == .created)
                (status, state) = try await call(client, keys, .get, "/v1/items/post%2F1?platform=ingest-1", .reviewer)
                #expect(status == .ok)
                #expect(state["standing"] as? String == "removed")
                #expect((state["case"] as? [String: Any])?["status"] as? String == "decided")
                let decisions = try #require(state["decisions"] as? [[String: Any]])
                #expect(decisions.map { $0["id"] as? Int } == [decision["decision_id"] as? Int])
                #expect(decisions.first?["action"] as? String == "remove")

                // Never flagged: no case, active.
                (status, state) = try await call(client, keys, .get, "/v1/items/post-2", .ingest)
                #expect(status == .ok && state["case"] is NSNull && state["standing"] as? String == "active")
                #expect((state["verdict"] as? [String: Any])?["decision"] as? String == "none")
                // Another platform's item is found under its name only.
                #expect(try await call(client, keys, .get, "/v1/items/post-3", .ingest).0 == .notFound)
                #expect(try await call(client, keys, .get, "/v1/items/post-3?platform=other", .ingest).0 == .ok)

                // What it cannot answer, it says.
                let (unknown, error) = try await call(client, keys, .get, "/v1/items/never-sent", .ingest)
                #expect(unknown == .notFound)
                #expect(((error["error"] as? [String: Any])?["message"] as? String)?.contains("item ingest-1/never-sent is unknown") == true)
                let long = String(repeating: "x", count: BulwarkService.maxItemIDBytes + 1)
                let (tooLong, longError) = try await call(client, keys, .get, "/v1/items/\(long)", .ingest)
                #expect(tooLong == .badRequest && (longError["error"] as? [String: Any])?["field"] as? String == "id")
                #expect(try await call(client, keys, .get, "/v1/items/post-2", .authority).0 == .forbidden)
            }
        }
    }

    /// The console's item search: an item with a case opens its case page; one without shows
    /// the item and the engine's verdict; what is not there, or not asked well, says so.
    @Test(arguments: Backend.allCases)
    func theConsoleFindsAnItemByThePlatformsID(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-item-search") { store in
            try await ConsoleDueProcessTests.addUsers(store, [("rev", .reviewer)])
            let keys = try await makeKeys(store, [.ingest])
            let (service, _) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let items = #"""
                    {"items":[{"id":"p 1","text":"\#(ContentKeyCopies.text)"},
                              {"id":"p-2","text":"Lovely weather for the market this Saturday, see you all <there>"},
                              {"id":"p+3","text":"Good morning"}]}
                    """#
                let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, items)
                let caseID = try #require(((reply["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                var rev = try await ConsoleDueProcessTests.signedIn(client, "rev")
                // The queue's form offers the only platform.
                let queue = String(buffer: try await rev.get(client, "/console").body)
                #expect(queue.contains(#"<input name="platform" value="ingest-1""#))
                #expect(queue.contains(#"<option value="ingest-1">"#))

                let flagged = try await rev.get(client, "/console/items?platform=ingest-1&id=p+1")
                #expect(flagged.status == .seeOther && flagged.headers[.location] == "/console/cases/\(caseID)")

                let quiet = try await rev.get(client, "/console/items?platform=ingest-1&id=p-2")
                #expect(quiet.status == .ok)
                let page = String(buffer: quiet.body)
                #expect(page.contains("No case was opened for it"))
                #expect(page.contains("the engine&#39;s decision: none") || page.contains("the engine's decision: none"))
                #expect(page.contains("see you all &lt;there&gt;"), "the text, escaped")

                // As a browser sends the form: a space is "+", a "+" is "%2B".
                #expect(try await rev.get(client, "/console/items?platform=ingest-1&id=p%2B3").status == .ok)
                let missing = try await rev.get(client, "/console/items?platform=ingest-1&id=p-3")
                #expect(missing.status == .notFound)
                #expect(String(buffer: missing.body).contains("There is no item ingest-1 / p-3"))
                #expect(try await rev.get(client, "/console/items?platform=ingest-1&id=").status == .badRequest)
                let long = String(repeating: "x", count: BulwarkService.maxItemIDBytes + 1)
                #expect(try await rev.get(client, "/console/items?platform=ingest-1&id=\(long)").status == .badRequest)
                // Signed out: to the sign-in page.
                let anonymous = try await client.execute(uri: "/console/items?platform=ingest-1&id=p-2", method: .get)
                #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/login")
            }
        }
    }
}
