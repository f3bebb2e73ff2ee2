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
                let a = try caseOf(try await call(client, keys, .post, "/v1/items", .ingest, item("a", ContentKeyCopies.text)).1)
                let b = try caseOf(
                    try await call(client, keys, .post, "/v1/items", .ingest, item("b", "Join the Islamic State now, brothers, make hijra to the land of the Caliphate")).1)
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
                // The next day decided nothing.
                let (_, next) = try await call(client, keys, .get, "/v1/reports/transparency?from=2026-09-23&to=2026-09-24", .auditor)
                #expect((next["time_to_first_decision"] as? [String: Any])?["by_source"] as? [String: Any] != nil)
                #expect(((next["time_to_first_decision"] as? [String: Any])?["by_source"] as? [String: Any])?.isEmpty == true)
                #expect((next["appeals"] as? [String: Any])?["decision_time"] is NSNull)
            }
        }
    }
}
