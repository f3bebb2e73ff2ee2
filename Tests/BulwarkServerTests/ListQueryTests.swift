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

/// The API's list routes read their query parameters strictly (a bad value is a 400 naming the
/// parameter, never ignored) and page through lists of any length.
struct ListQueryTests {
    @Test(arguments: Backend.allCases)
    func aBadQueryValueIsRefusedNamingTheParameter(_ backend: Backend) async throws {
        try await withServerStore(backend, "list-query") { store in
            let keys = try await makeKeys(store, [.reviewer, .lead, .auditor, .authority])
            let (service, _) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let refused: [(uri: String, role: Role, field: String)] = [
                    ("/v1/cases?queue=nope", .reviewer, "queue"),
                    ("/v1/cases?status=finished", .reviewer, "status"),
                    ("/v1/cases?category=bombs", .reviewer, "category"),
                    ("/v1/cases?limit=0", .reviewer, "limit"),
                    ("/v1/cases?limit=501", .reviewer, "limit"),
                    ("/v1/cases?language=", .reviewer, "language"),
                    ("/v1/cases?language=\(String(repeating: "x", count: 17))", .reviewer, "language"),
                    ("/v1/entities?kind=person", .reviewer, "kind"),
                    ("/v1/entities?status=gone", .reviewer, "status"),
                    ("/v1/entities?min_risk=101", .reviewer, "min_risk"),
                    ("/v1/entities?min_risk=nan", .reviewer, "min_risk"),
                    ("/v1/entities?limit=ten", .reviewer, "limit"),
                    ("/v1/deliveries?status=failed", .lead, "status"),
                    ("/v1/deliveries?after=-1", .lead, "after"),
                    ("/v1/deliveries?after=x", .lead, "after"),
                    ("/v1/deliveries?limit=501", .lead, "limit"),
                    ("/v1/audit?after=x", .auditor, "after"),
                    ("/v1/audit?limit=0", .auditor, "limit"),
                    ("/v1/removal-orders?from=yesterday", .authority, "from"),
                    ("/v1/removal-orders?to=1.5", .authority, "to"),
                    ("/v1/removal-orders?from=10&to=10", .authority, "to"),
                    ("/v1/removal-orders?before=0", .authority, "before"),
                    ("/v1/removal-orders?limit=501", .authority, "limit"),
                    ("/v1/statements?after=-3", .auditor, "after"),
                    ("/v1/statements?limit=x", .auditor, "limit"),
                    ("/v1/appeals?status=closed", .reviewer, "status"),
                    ("/v1/appeals?after=0", .reviewer, "after"),
                    ("/v1/appeals?limit=501", .reviewer, "limit"),
                    ("/v1/referrals?item_id=0", .lead, "item_id"),
                    ("/v1/referrals?before=x", .lead, "before"),
                    ("/v1/referrals?limit=101", .lead, "limit"),
                ]
                for (uri, role, field) in refused {
                    let (status, reply) = try await call(client, keys, .get, uri, role)
                    let error = reply["error"] as? [String: Any]
                    #expect(status == .badRequest, "\(uri)")
                    #expect(error?["field"] as? String == field, "\(uri)")
                    #expect((error?["message"] as? String)?.hasPrefix(field) == true, "\(uri): \(error?["message"] ?? "")")
                }
                // The same parameters with good values are taken.
                let accepted: [(uri: String, role: Role)] = [
                    ("/v1/cases?queue=proactive&status=open&category=incitement&limit=500&language=ar", .reviewer),
                    ("/v1/entities?kind=channel&status=active&min_risk=0&limit=1", .reviewer),
                    ("/v1/deliveries?status=dead&after=0&limit=500", .lead),
                    ("/v1/audit?after=0&limit=1", .auditor),
                    ("/v1/removal-orders?from=0&to=10&before=1&limit=1", .authority),
                    ("/v1/statements?after=0&limit=100", .auditor),
                    ("/v1/appeals?status=reversed&after=1&limit=500", .reviewer),
                    ("/v1/referrals?item_id=1&before=1&limit=100", .lead),
                ]
                for (uri, role) in accepted {
                    #expect(try await call(client, keys, .get, uri, role).0 == .ok, "\(uri)")
                }
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func deliveriesOrdersAndTheAuditLogPageWithoutGapsOrRepeats(_ backend: Backend) async throws {
        try await withServerStore(backend, "list-pages") { store in
            let keys = try await makeKeys(store, [.ingest, .lead, .auditor, .authority])
            let start: Int64 = 1_790_000_000
            let (service, now) = try clockedService(store, start: start)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                // Five orders, a minute apart, each removing one item: five orders, five webhooks.
                for i in 1...5 {
                    now.set(start + Int64(i) * 60)
                    _ = try await call(client, keys, .post, "/v1/items", .ingest, #"{"platform":"example","id":"post-\#(i)","text":"a post"}"#)
                    let order = #"""
                        {"authority":"Example National Authority","reference":"RO-\#(i)","legal_basis":"Regulation (EU) 2021/784, Article 3",
                         "reasons":"The item glorifies a terrorist attack.","category":"incitement","items":[{"platform":"example","id":"post-\#(i)"}]}
                        """#
                    #expect(try await call(client, keys, .post, "/v1/removal-orders", .authority, order).0 == .created)
                }

                // Orders: newest first, two a page, `next_before` until the last page.
                var orderIDs: [Int] = []
                var uri = "/v1/removal-orders?limit=2"
                var pages = 0
                while true {
                    let (status, page) = try await call(client, keys, .get, uri, .lead)
                    #expect(status == .ok)
                    let ids = (page["removal_orders"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                    orderIDs += ids
                    pages += 1
                    guard let next = page["next_before"] as? Int else { break }
                    #expect(next == ids.last)
                    uri = "/v1/removal-orders?limit=2&before=\(next)"
                    if pages > 5 { break }
                }
                #expect(pages == 3)
                #expect(orderIDs.count == 5 && Set(orderIDs).count == 5)
                #expect(orderIDs == orderIDs.sorted(by: >))
                // The time window still applies: orders received from the third minute on.
                let (_, late) = try await call(client, keys, .get, "/v1/removal-orders?from=\(start + 180)", .lead)
                #expect((late["removal_orders"] as? [[String: Any]])?.compactMap { $0["received_at"] as? Int } == [start + 300, start + 240, start + 180].map(Int.init))
                #expect(late["next_before"] == nil || late["next_before"] is NSNull)

                // Deliveries: oldest first, two a page, `next_after` continues; an empty page ends.
                let stored = try await store.deliveries(status: nil)
                #expect(stored.count == 5)
                var listed: [[String: Any]] = []
                var after = 0
                for _ in 0..<5 {
                    let (status, page) = try await call(client, keys, .get, "/v1/deliveries?limit=2&after=\(after)", .lead)
                    #expect(status == .ok)
                    let rows = page["deliveries"] as? [[String: Any]] ?? []
                    if rows.isEmpty {
                        #expect(page["next_after"] as? Int == after)
                        break
                    }
                    #expect(rows.count <= 2)
                    listed += rows
                    after = try #require(page["next_after"] as? Int)
                    #expect(after == rows.last?["id"] as? Int)
                }
                #expect(listed.compactMap { $0["id"] as? Int } == stored.map { Int($0.id) })
                #expect(listed.compactMap { $0["delivery_id"] as? String } == stored.map(\.deliveryID))
                #expect(listed.allSatisfy { $0["status"] as? String == "pending" && $0["attempts"] as? Int == 0 && $0["event"] as? String != nil })

                // A dead-lettered delivery is found by its status, and only it.
                let dead = try #require(stored.dropFirst(2).first)
                try await store.deliveryFailed(id: dead.id, error: "HTTP 500", nextAttemptAt: nil, now: now.time)
                let (_, deadPage) = try await call(client, keys, .get, "/v1/deliveries?status=dead", .lead)
                let deadRows = deadPage["deliveries"] as? [[String: Any]] ?? []
                #expect(deadRows.count == 1)
                #expect(deadRows.first?["delivery_id"] as? String == dead.deliveryID)
                #expect(deadRows.first?["attempts"] as? Int == 1 && deadRows.first?["last_error"] as? String == "HTTP 500")
                let (_, pendingPage) = try await call(client, keys, .get, "/v1/deliveries?status=pending&after=\(stored[0].id)", .lead)
                #expect((pendingPage["deliveries"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [stored[1], stored[3], stored[4]].map { Int($0.id) })

                // The audit log: three a page, `next_after` continues, the whole chain in order.
                let chain = try await store.auditLog(after: 0, limit: 1_000).map { Int($0.seq) }
                #expect(chain.count > 10)
                var seqs: [Int] = []
                var cursor = 0
                for _ in 0...chain.count {
                    let (_, page) = try await call(client, keys, .get, "/v1/audit?limit=3&after=\(cursor)", .auditor)
                    let entries = page["entries"] as? [[String: Any]] ?? []
                    if entries.isEmpty { break }
                    #expect(entries.count <= 3)
                    seqs += entries.compactMap { $0["seq"] as? Int }
                    cursor = try #require(page["next_after"] as? Int)
                }
                #expect(seqs == chain)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func appealsPageInDeadlineOrderWithoutGapsOrRepeats(_ backend: Backend) async throws {
        try await withServerStore(backend, "appeal-pages") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer])
            let start: Int64 = 1_790_000_000
            let (service, now) = try clockedService(store, start: start)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                // Five removed rooms, five appeals: three filed together (one deadline, so the
                // id decides their order), two an hour later.
                for i in 1...5 {
                    let (_, ingested) = try await call(
                        client, keys, .post, "/v1/items", .ingest,
                        #"{"platform":"example","id":"room-\#(i)","type":"title","text":"Supporters of the Islamic State"}"#)
                    let caseID = try #require(((ingested["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                    #expect(try await call(client, keys, .post, "/v1/cases/\(caseID)/decisions", .reviewer,
                        #"{"action":"remove","category":"dissemination"}"#).0 == .created)
                }
                var filed: [Int] = []
                for i in [4, 1, 5, 2, 3] {
                    now.set(start + (filed.count < 3 ? 0 : 3_600))
                    let (status, appeal) = try await call(
                        client, keys, .post, "/v1/appeals", .ingest,
                        #"{"platform":"example","id":"room-\#(i)","appellant":"u-\#(i)","reason":"r"}"#)
                    #expect(status == .created)
                    filed.append(try #require(appeal["id"] as? Int))
                }
                let expected = filed[0..<3].sorted() + filed[3..<5].sorted()
                var listed: [Int] = []
                var uri = "/v1/appeals?status=open&limit=2"
                for _ in 0..<5 {
                    let (status, page) = try await call(client, keys, .get, uri, .reviewer)
                    #expect(status == .ok)
                    let ids = (page["appeals"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
                    #expect(ids.count <= 2)
                    listed += ids
                    guard let next = page["next_after"] as? Int else { break }
                    #expect(next == ids.last)
                    uri = "/v1/appeals?status=open&limit=2&after=\(next)"
                }
                #expect(listed == expected)
                // Another status has none; an unknown appeal id as the cursor gives none.
                #expect((try await call(client, keys, .get, "/v1/appeals?status=upheld", .reviewer).1["appeals"] as? [Any])?.isEmpty == true)
                #expect((try await call(client, keys, .get, "/v1/appeals?after=99999", .reviewer).1["appeals"] as? [Any])?.isEmpty == true)
            }
        }
    }
}
