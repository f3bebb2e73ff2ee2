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

/// The transparency report's times: from a case's opening to its first decision, by source, and
/// from a complaint's filing to its decision; a later decision on the same case (a reinstatement
/// on appeal) is not a first decision.
struct DecisionTimeReportTests {
    @Test(arguments: Backend.allCases)
    func theReportGivesHowLongCasesWaitedForTheirFirstDecision(_ backend: Backend) async throws {
        try await withServerStore(backend, "decision-times") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .lead, .auditor])
            let t0: Int64 = 1_790_035_200  // 2026-09-22 00:00 UTC
            let (service, clock) = try clockedService(store, start: t0)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                func caseOf(_ reply: [String: Any]) throws -> Int {
                    try #require(((reply["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                }
                func item(_ id: String, _ text: String) -> String { #"{"platform":"example","id":"\#(id)","text":"\#(text)"}"# }
                func verdictOf(_ reply: [String: Any]) -> String? {
                    (((reply["items"] as? [[String: Any]])?.first)?["verdict"] as? [String: Any])?["decision"] as? String
                }
                let ingestedA = try await call(client, keys, .post, "/v1/items", .ingest, item("a", ContentKeyCopies.text)).1
                let a = try caseOf(ingestedA)
                let ingestedB = try await call(
                    client, keys, .post, "/v1/items", .ingest, item("b", "Join the Islamic State now, brothers, make hijra to the land of the Caliphate")).1
                let b = try caseOf(ingestedB)
                let verdictA = try #require(verdictOf(ingestedA)), verdictB = try #require(verdictOf(ingestedB))
                _ = try await call(client, keys, .post, "/v1/items", .ingest, item("c", "Everyone bring what was agreed to the usual place on Saturday and tell nobody else"))
                clock.set(t0 + 100)
                let (_, report) = try await call(
                    client, keys, .post, "/v1/reports", .ingest, #"{"platform":"example","item_id":"c","reporter":"user-1","reason":"terrorism"}"#)
                let c = try #require(report["case_id"] as? Int)

                func decide(_ caseID: Int, _ action: String, at: Int64, as role: Role = .reviewer) async throws -> Int {
                    clock.set(at)
                    let (status, reply) = try await call(
                        client, keys, .post, "/v1/cases/\(caseID)/decisions", role, #"{"action":"\#(action)","category":"recruitment"}"#)
                    #expect(status == .created, "\(reply)")
                    return try #require(reply["decision_id"] as? Int)
                }
                let removal = try await decide(a, "remove", at: t0 + 600)
                _ = try await decide(b, "no_violation", at: t0 + 7_200)
                _ = try await decide(c, "remove", at: t0 + 7_200)
                // A's removal appealed, and reversed by another reviewer 700 s later.
                clock.set(t0 + 7_300)
                let (_, appeal) = try await call(
                    client, keys, .post, "/v1/appeals", .ingest, #"{"decision_id":\#(removal),"appellant":"u-1","reason":"news"}"#)
                let appealID = try #require(appeal["id"] as? Int)
                clock.set(t0 + 8_000)
                #expect(try await call(client, keys, .post, "/v1/appeals/\(appealID)/decision", .lead, #"{"outcome":"reversed"}"#).0 == .created)

                let day = "from=2026-09-22&to=2026-09-23"
                let (status, body) = try await call(client, keys, .get, "/v1/reports/transparency?\(day)", .auditor)
                #expect(status == .ok)
                let times = try #require((body["time_to_first_decision"] as? [String: Any])?["by_source"] as? [String: [String: Int]])
                #expect(times["proactive"] == ["decided": 2, "median_seconds": 600, "p90_seconds": 7_200, "within_one_hour": 1])
                #expect(times["user_report"] == ["decided": 1, "median_seconds": 7_100, "p90_seconds": 7_100, "within_one_hour": 0])
                #expect(times.count == 2, "the reinstatement is no first decision")
                let complaints = try #require((body["appeals"] as? [String: Any])?["decision_time"] as? [String: Int])
                #expect(complaints == ["decided": 1, "median_seconds": 700, "p90_seconds": 700, "within_one_hour": 1])
                // The accuracy of automated detection (DSA Article 15(1)(e)): a and b were flagged
                // by the engine; a person restricted a (reinstated later on appeal), not b. C came
                // from a user's report and is not counted.
                let accuracy = try #require(body["automated_detection_accuracy"] as? [String: Any])
                #expect(accuracy["reviewed"] as? Int == 2 && accuracy["restricted"] as? Int == 1 && accuracy["not_restricted"] as? Int == 1)
                #expect(accuracy["restricted_share"] as? Double == 0.5 && accuracy["reversed_on_appeal"] as? Int == 1)
                let byVerdict = try #require(accuracy["by_verdict"] as? [String: [String: Any]])
                if verdictA == verdictB {
                    #expect(byVerdict.count == 1 && byVerdict[verdictA]?["reviewed"] as? Int == 2 && byVerdict[verdictA]?["restricted"] as? Int == 1)
                } else {
                    #expect(byVerdict[verdictA]?["restricted"] as? Int == 1 && byVerdict[verdictA]?["not_restricted"] as? Int == 0)
                    #expect(byVerdict[verdictB]?["restricted"] as? Int == 0 && byVerdict[verdictB]?["not_restricted"] as? Int == 1)
                }
                #expect(Set(byVerdict.keys).isSubset(of: ["violating", "review"]))
                let byLanguage = try #require(accuracy["by_language"] as? [String: [String: Any]])
                #expect(byLanguage["en"]?["reviewed"] as? Int == 2 && byLanguage.count == 1)
                let markdown = try await client.execute(
                    uri: "/v1/reports/transparency?\(day)&format=markdown", method: .get, headers: [.authorization: "Bearer \(keys[.auditor]!)"])
                let text = String(buffer: markdown.body)
                #expect(text.contains("## Accuracy of automated detection (DSA Article 15(1)(e))"))
                #expect(text.contains("| all | 2 | 1 | 1 | 50.0% |"))
                #expect(text.contains("Restricted, then reinstated on appeal: 1."))
                // The next day decided nothing.
                let (_, next) = try await call(client, keys, .get, "/v1/reports/transparency?from=2026-09-23&to=2026-09-24", .auditor)
                #expect((next["time_to_first_decision"] as? [String: Any])?["by_source"] as? [String: Any] != nil)
                #expect(((next["time_to_first_decision"] as? [String: Any])?["by_source"] as? [String: Any])?.isEmpty == true)
                #expect((next["appeals"] as? [String: Any])?["decision_time"] is NSNull)
                let none = try #require(next["automated_detection_accuracy"] as? [String: Any])
                #expect(none["reviewed"] as? Int == 0 && none["restricted_share"] is NSNull && none["reversed_on_appeal"] as? Int == 0)
            }
        }
    }
}
