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

/// Referrals to law enforcement (TCO Article 14(5)) over HTTP: only a lead refers, only with the
/// attestation of an imminent threat to life, every field checked, each referral and each read of
/// one audited, and nothing stored when a request is refused.
struct ReferralTests {
    static let referral = #"""
        {"item_id":ITEM,"authority":"Example Federal Police","member_state":"DE",
         "grounds":"The post names a date and a generic public place for an attack announced as imminent.",
         "imminent_threat_to_life":true}
        """#

    @Test(arguments: Backend.allCases)
    func aLeadRefersAnItemOnTheRecordAndNoOneElseCan(_ backend: Backend) async throws {
        try await withServerStore(backend, "referrals") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .lead, .auditor, .admin, .authority])
            let (service, now) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let (_, ingested) = try await call(
                    client, keys, .post, "/v1/items", .ingest,
                    #"{"platform":"example","id":"threat-1","text":"tomorrow the market square will burn, brothers be ready","author":"u-1"}"#)
                let itemID = try #require(((ingested["items"] as? [[String: Any]])?.first)?["item_id"] as? Int)
                let body = Self.referral.replacingOccurrences(of: "ITEM", with: "\(itemID)")

                // Only a lead: reviewers, auditors, admins, authorities and the platform may not.
                for role in [Role.ingest, .reviewer, .auditor, .admin, .authority] {
                    #expect(try await call(client, keys, .post, "/v1/referrals", role, body).0 == .forbidden)
                }
                // Each refusal says which field; nothing is stored by any of them.
                let refused: [(String, String)] = [
                    (body.replacingOccurrences(of: #""imminent_threat_to_life":true"#, with: #""imminent_threat_to_life":false"#), "imminent_threat_to_life"),
                    (body.replacingOccurrences(of: #""imminent_threat_to_life":true"#, with: #""x":1"#), "imminent_threat_to_life"),
                    (body.replacingOccurrences(of: #""DE""#, with: #""de""#), "member_state"),
                    (body.replacingOccurrences(of: #""DE""#, with: #""US""#), "member_state"),
                    (body.replacingOccurrences(of: #""Example Federal Police""#, with: #""  ""#), "authority"),
                    (body.replacingOccurrences(of: #""The post names"#, with: #""   ", "x":"The post names"#), "grounds"),
                ]
                for (bad, field) in refused {
                    let (status, reply) = try await call(client, keys, .post, "/v1/referrals", .lead, bad)
                    #expect(status == .badRequest, "\(field)")
                    #expect((reply["error"] as? [String: Any])?["field"] as? String == field)
                }
                let long = body.replacingOccurrences(of: "The post names", with: String(repeating: "x", count: Referrals.maxGroundsBytes))
                let (tooLong, tooLongReply) = try await call(client, keys, .post, "/v1/referrals", .lead, long)
                #expect(tooLong == .contentTooLarge)
                #expect((tooLongReply["error"] as? [String: Any])?["limit"] as? Int == Referrals.maxGroundsBytes)
                let unknown = Self.referral.replacingOccurrences(of: "ITEM", with: "\(itemID + 1000)")
                #expect(try await call(client, keys, .post, "/v1/referrals", .lead, unknown).0 == .notFound)
                #expect(try await store.referrals(itemID: nil, beforeID: nil, limit: 10).isEmpty)
                #expect(try await store.deliveries(status: nil).isEmpty)
                #expect(try await store.auditLog(after: 0, limit: 100).allSatisfy { !$0.action.hasPrefix("referral.") })

                // A lead's referral: recorded with who and when, the item attached, audited.
                now.set(1_790_000_100)
                let (status, made) = try await call(client, keys, .post, "/v1/referrals", .lead, body)
                #expect(status == .created)
                let id = try #require(made["id"] as? Int)
                #expect(made["item_id"] as? Int == itemID && made["member_state"] as? String == "DE")
                #expect(made["referred_by"] as? String == "lead-1" && made["referred_at"] as? Int == 1_790_000_100)
                #expect((made["item"] as? [String: Any])?["external_id"] as? String == "threat-1")
                let created = try #require(try await store.auditLog(after: 0, limit: 100).first { $0.action == "referral.create" })
                #expect(created.actor == "lead-1" && created.subject == "item:\(itemID)" && created.at == 1_790_000_100)
                #expect(created.detail.contains(#""member_state":"DE""#) && created.detail.contains(#""referral_id":\#(id)"#))
                // The grounds stay in the referral, out of the audit log.
                #expect(!created.detail.contains("market"))
                // The platform is told by a signed webhook (event `referral`), queued in the same transaction.
                let deliveryID = try #require(made["delivery_id"] as? String)
                let delivery = try #require(try await store.deliveries(status: nil).first { $0.deliveryID == deliveryID })
                #expect(delivery.event == "referral")
                let hook = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body.utf8)) as? [String: Any])
                #expect(hook["referral_id"] as? Int == id && hook["member_state"] as? String == "DE")
                #expect((hook["item"] as? [String: Any])?["id"] as? String == "threat-1")
                #expect((hook["grounds"] as? String)?.hasPrefix("The post names a date") == true && hook["referred_by"] as? String == "lead-1")

                // With the Member State unknown (Europol): member_state left out.
                let europol = body.replacingOccurrences(of: #""member_state":"DE","#, with: "")
                    .replacingOccurrences(of: "Example Federal Police", with: "Europol")
                let (secondStatus, second) = try await call(client, keys, .post, "/v1/referrals", .lead, europol)
                #expect(secondStatus == .created && second["member_state"] == nil)
                let europolHook = try #require(try await store.deliveries(status: nil).first { $0.deliveryID == second["delivery_id"] as? String })
                #expect(europolHook.body.contains(#""member_state":null"#) && europolHook.body.contains(#""authority":"Europol""#))
                let secondID = try #require(second["id"] as? Int)

                // Listing: leads, auditors, admins; newest first; no content; paged by id.
                #expect(try await call(client, keys, .get, "/v1/referrals", .reviewer).0 == .forbidden)
                let (listStatus, list) = try await call(client, keys, .get, "/v1/referrals", .auditor)
                #expect(listStatus == .ok)
                let listed = try #require(list["referrals"] as? [[String: Any]])
                #expect(listed.map { $0["id"] as? Int } == [secondID, id])
                #expect(listed.allSatisfy { $0["item"] == nil })
                let (_, page) = try await call(client, keys, .get, "/v1/referrals?before=\(secondID)&limit=1", .admin)
                #expect((page["referrals"] as? [[String: Any]])?.map { $0["id"] as? Int } == [id])
                let (_, ofItem) = try await call(client, keys, .get, "/v1/referrals?item_id=\(itemID)", .lead)
                #expect((ofItem["referrals"] as? [[String: Any]])?.count == 2)
                let (_, ofOther) = try await call(client, keys, .get, "/v1/referrals?item_id=\(itemID + 1000)", .lead)
                #expect((ofOther["referrals"] as? [[String: Any]])?.isEmpty == true)
                #expect(try await call(client, keys, .get, "/v1/referrals?limit=0", .lead).0 == .badRequest)
                #expect(try await call(client, keys, .get, "/v1/referrals?before=x", .lead).0 == .badRequest)

                // The transparency report counts the period's referrals by the Member State informed,
                // in each of its formats; the day after has none.
                let day = CivilDate.isoDate(1_790_000_100 - 1_790_000_100 % 86_400)
                let nextDay = CivilDate.isoDate(1_790_000_100 - 1_790_000_100 % 86_400 + 86_400)
                let dayAfter = CivilDate.isoDate(1_790_000_100 - 1_790_000_100 % 86_400 + 2 * 86_400)
                let (reportStatus, report) = try await call(
                    client, keys, .get, "/v1/reports/transparency?from=\(day)&to=\(nextDay)", .auditor)
                #expect(reportStatus == .ok)
                let referrals = try #require(report["referrals_to_law_enforcement"] as? [String: Any])
                #expect(referrals["total"] as? Int == 2)
                #expect(referrals["by_member_state"] as? [String: Int] == ["DE": 1, "none": 1])
                let (_, later) = try await call(
                    client, keys, .get, "/v1/reports/transparency?from=\(nextDay)&to=\(dayAfter)", .auditor)
                #expect((later["referrals_to_law_enforcement"] as? [String: Any])?["total"] as? Int == 0)
                let markdown = try await client.execute(
                    uri: "/v1/reports/transparency?from=\(day)&to=\(nextDay)&format=markdown", method: .get,
                    headers: [.authorization: "Bearer \(keys[.auditor]!)"])
                #expect(String(buffer: markdown.body).contains("2 in the period.\n\n## Referrals by Member State informed\n\n| | count |\n|---|---|\n| DE | 1 |\n| none | 1 |"))
                let html = try await client.execute(
                    uri: "/v1/reports/transparency?from=\(day)&to=\(nextDay)&format=html", method: .get,
                    headers: [.authorization: "Bearer \(keys[.auditor]!)"])
                #expect(String(buffer: html.body).contains("<p>2 in the period, by the Member State informed:</p>"))
                #expect(String(buffer: html.body).contains(#"<svg role="img" aria-label="Referrals by Member State informed""#))

                // One referral with its item: each read audited.
                #expect(try await call(client, keys, .get, "/v1/referrals/\(id)", .reviewer).0 == .forbidden)
                let (oneStatus, one) = try await call(client, keys, .get, "/v1/referrals/\(id)", .auditor)
                #expect(oneStatus == .ok)
                #expect((one["item"] as? [String: Any])?["text"] as? String == "tomorrow the market square will burn, brothers be ready")
                #expect(one["grounds"] as? String == "The post names a date and a generic public place for an attack announced as imminent.")
                let reads = try await store.auditLog(after: 0, limit: 100).filter { $0.action == "referral.read" }
                #expect(reads.map(\.subject) == ["referral:\(id)"] && reads.first?.actor == "auditor-1")
                #expect(try await call(client, keys, .get, "/v1/referrals/\(secondID + 1)", .lead).0 == .notFound)
                #expect(try await store.verifyAudit().brokenAt == nil)
            }
        }
    }
}

/// The referral form on a case page: shown to leads only, refused for a reviewer, recorded and
/// listed on the case for a lead; a missing attestation is answered on the page, nothing stored.
struct ConsoleReferralTests {
    @Test(arguments: Backend.allCases)
    func aLeadRefersFromTheCasePage(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-referral") { store in
            for (name, role) in [("rev", Role.reviewer), ("boss", .lead)] {
                _ = try await store.createUser(
                    name: name, role: role, passwordHash: try Passwords.hash(ConsoleTests.password, cost: ConsoleTests.testCost),
                    now: 1)
            }
            let keys = try await makeKeys(store, [.ingest])
            let (service, _) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let (_, ingested) = try await call(
                    client, keys, .post, "/v1/items", .ingest,
                    #"{"platform":"example","id":"room-9","type":"title","text":"Supporters of the Islamic State"}"#)
                let caseID = try #require(((ingested["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                let fields: [(String, String)] = [
                    ("authority", "Example Federal Police"), ("member_state", "DE"),
                    ("grounds", "An attack announced for tonight at a named public place."),
                    ("imminent_threat_to_life", "true"),
                ]

                var reviewer = ConsoleTests.Browser()
                #expect(try await reviewer.signIn(client, name: "rev", password: ConsoleTests.password).status == .seeOther)
                let reviewerPage = try await reviewer.get(client, "/console/cases/\(caseID)")
                #expect(!ConsoleTests.text(reviewerPage).contains("/referrals\""))
                #expect(!ConsoleTests.text(reviewerPage).contains("Referrals to law enforcement"))
                let refused = try await reviewer.post(
                    client, "/console/cases/\(caseID)/referrals", [("csrf", ConsoleTests.csrf(in: reviewerPage))] + fields)
                #expect(refused.status == .forbidden)

                var lead = ConsoleTests.Browser()
                #expect(try await lead.signIn(client, name: "boss", password: ConsoleTests.password).status == .seeOther)
                let page = try await lead.get(client, "/console/cases/\(caseID)")
                #expect(ConsoleTests.text(page).contains("action=\"/console/cases/\(caseID)/referrals\""))
                #expect(ConsoleTests.text(page).contains("<li>none</li>"))
                let csrf = ConsoleTests.csrf(in: page)
                // Without the attestation: the page says why, nothing is stored.
                let unattested = try await lead.post(
                    client, "/console/cases/\(caseID)/referrals", [("csrf", csrf)] + fields.dropLast())
                #expect(unattested.status == .badRequest)
                #expect(ConsoleTests.text(unattested).contains("imminent threat to life"))
                #expect(try await store.referrals(itemID: nil, beforeID: nil, limit: 10).isEmpty)
                // Without the CSRF token: refused.
                #expect(try await lead.post(client, "/console/cases/\(caseID)/referrals", fields).status == .forbidden)

                let made = try await lead.post(client, "/console/cases/\(caseID)/referrals", [("csrf", csrf)] + fields)
                #expect(made.status == .seeOther && made.headers[.location] == "/console/cases/\(caseID)")
                let referrals = try await store.referrals(itemID: nil, beforeID: nil, limit: 10)
                #expect(referrals.count == 1 && referrals.first?.referredBy == "boss" && referrals.first?.memberState == "DE")
                let after = ConsoleTests.text(try await lead.get(client, "/console/cases/\(caseID)"))
                #expect(after.contains("Example Federal Police (DE), by boss"))
                #expect(try await store.auditLog(after: 0, limit: 100).contains { $0.action == "referral.create" && $0.actor == "boss" })
            }
        }
    }
}
