import BulwarkCore
import BulwarkStore
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import BulwarkServer

/// Where a decision applies: a geo-block names its EU/EEA countries, a visibility restriction may,
/// nothing else does; the countries reach the platform's webhook, the case and the statement of
/// reasons, and a refused decision stores nothing.
struct TerritorialScopeTests {
    @Test(arguments: Backend.allCases)
    func aGeoBlockNamesItsCountriesAndEveryRecordCarriesThem(_ backend: Backend) async throws {
        try await withServerStore(backend, "territorial-scope") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .auditor])
            let (service, _) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                func openCase(_ id: String) async throws -> Int {
                    let (_, ingested) = try await call(
                        client, keys, .post, "/v1/items", .ingest,
                        #"{"platform":"example","id":"\#(id)","type":"title","text":"Supporters of the Islamic State","container":{"id":"room-\#(id)"}}"#)
                    return try #require(((ingested["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                }
                let blocked = try await openCase("a")
                let refused: [(String, String)] = [
                    (#"{"action":"geo_block","category":"dissemination"}"#, "a geo_block names"),
                    (#"{"action":"geo_block","category":"dissemination","countries":[]}"#, "countries is empty"),
                    (#"{"action":"geo_block","category":"dissemination","countries":["DE","US"]}"#, "\"US\" is not an EU/EEA country code"),
                    (#"{"action":"geo_block","category":"dissemination","countries":["de"]}"#, "\"de\" is not"),
                    (#"{"action":"remove","category":"dissemination","countries":["DE"]}"#, "not remove"),
                    (#"{"action":"no_violation","countries":["DE"]}"#, "not no_violation"),
                ]
                for (body, says) in refused {
                    let (status, reply) = try await call(client, keys, .post, "/v1/cases/\(blocked)/decisions", .reviewer, body)
                    let error = reply["error"] as? [String: Any]
                    #expect(status == .badRequest, "\(body)")
                    #expect(error?["field"] as? String == "countries", "\(body)")
                    #expect((error?["message"] as? String)?.contains(says) == true, "\(body): \(error?["message"] ?? "")")
                }
                #expect(try await store.deliveries(status: nil).isEmpty)
                #expect(try await store.caseDetail(id: Int64(blocked), now: 1_790_000_000)?.record.status == .open)

                // Named twice and out of order: stored once each, sorted.
                let (status, _) = try await call(
                    client, keys, .post, "/v1/cases/\(blocked)/decisions", .reviewer,
                    #"{"action":"geo_block","category":"dissemination","countries":["DE","AT","DE"]}"#)
                #expect(status == .created)
                let hook = try #require(try await store.deliveries(status: nil).first)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(hook.body.utf8)) as? [String: Any])
                #expect(body["action"] as? String == "geo_block" && body["countries"] as? [String] == ["AT", "DE"])
                let (_, detail) = try await call(client, keys, .get, "/v1/cases/\(blocked)", .reviewer)
                let decisions = detail["decisions"] as? [[String: Any]] ?? []
                #expect(decisions.last?["countries"] as? [String] == ["AT", "DE"], "\(decisions)")

                // A visibility restriction with no countries applies everywhere; with some, there.
                let restricted = try await openCase("b")
                #expect(try await call(client, keys, .post, "/v1/cases/\(restricted)/decisions", .reviewer,
                    #"{"action":"restrict_visibility","category":"dissemination"}"#).0 == .created)
                let regional = try await openCase("c")
                #expect(try await call(client, keys, .post, "/v1/cases/\(regional)/decisions", .reviewer,
                    #"{"action":"restrict_visibility","category":"dissemination","countries":["NO","FR"]}"#).0 == .created)
                let hooks = try await store.deliveries(status: nil)
                let bodies = try hooks.map { try #require(try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any]) }
                #expect(bodies.count == 3)
                #expect(bodies[1]["countries"] is NSNull && bodies[2]["countries"] as? [String] == ["FR", "NO"])

                let (_, export) = try await call(client, keys, .get, "/v1/statements", .auditor)
                let scopes = (export["statements"] as? [[String: Any]] ?? []).map { $0["territorial_scope"] as? [String] }
                #expect(scopes == [["AT", "DE"], StatementOfReasons.allCountries, ["FR", "NO"]])

                // An entity decision applies everywhere: countries on it is refused.
                let (_, entities) = try await call(client, keys, .get, "/v1/entities?kind=room", .reviewer)
                let room = try #require((entities["entities"] as? [[String: Any]])?.first?["id"] as? Int)
                let (entityStatus, entityReply) = try await call(
                    client, keys, .post, "/v1/entities/\(room)/decisions", .reviewer,
                    #"{"action":"remove","category":"dissemination","countries":["DE"]}"#)
                #expect(entityStatus == .badRequest && (entityReply["error"] as? [String: Any])?["field"] as? String == "countries")
            }
        }
    }
}
