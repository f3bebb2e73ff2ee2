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

/// Every webhook Bulwark queues is what the OpenAPI document's `webhooks` say the platform
/// receives: bodies from each path that makes one (a reviewer's geo-block and no-violation, a
/// removal order, an appeal's reinstatement, an entity decision, two referrals) validate
/// against the served document with `scripts/validate-webhooks.py` (jsonschema, no extra
/// fields allowed), and broken copies do not.
struct WebhookContractTests {
    @Test(arguments: Backend.allCases)
    func everyQueuedWebhookIsWhatTheDocumentSays(_ backend: Backend) async throws {
        try await withServerStore(backend, "webhook-contract") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .lead, .authority])
            let (service, _) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                func ingest(_ body: String) async throws -> (itemID: Int, caseID: Int?) {
                    let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, body)
                    let item = try #require((reply["items"] as? [[String: Any]])?.first)
                    return (try #require(item["item_id"] as? Int), item["case_id"] as? Int)
                }
                let room = try await ingest(
                    #"{"platform":"example","id":"room-1","type":"title","text":"Supporters of the Islamic State","author":"u-1","container":{"id":"c-1","kind":"room","followers":32000}}"#)
                let roomCase = try #require(room.caseID)
                #expect(try await call(client, keys, .post, "/v1/cases/\(roomCase)/decisions", .reviewer,
                    #"{"action":"geo_block","category":"dissemination","countries":["DE","AT"],"note":"n"}"#).0 == .created)
                let other = try await ingest(
                    #"{"platform":"example","id":"room-2","type":"title","text":"Supporters of the Islamic State"}"#)
                #expect(try await call(client, keys, .post, "/v1/cases/\(try #require(other.caseID))/decisions", .reviewer,
                    #"{"action":"no_violation"}"#).0 == .created)
                let (_, appeal) = try await call(
                    client, keys, .post, "/v1/appeals", .ingest,
                    #"{"platform":"example","id":"room-1","appellant":"u-7f3a","reason":"A research archive."}"#)
                let appealID = try #require(appeal["id"] as? Int)
                #expect(try await call(client, keys, .post, "/v1/appeals/\(appealID)/decision", .lead,
                    #"{"outcome":"reversed","exemption":"research"}"#).0 == .created)
                _ = try await ingest(#"{"platform":"example","id":"post-1","text":"a post"}"#)
                #expect(try await call(client, keys, .post, "/v1/removal-orders", .authority, RemovalOrderTests.order).0 == .created)
                let (_, rooms) = try await call(client, keys, .get, "/v1/entities?kind=room", .reviewer)
                let roomEntity = try #require((rooms["entities"] as? [[String: Any]])?.first?["id"] as? Int)
                #expect(try await call(client, keys, .post, "/v1/entities/\(roomEntity)/decisions", .reviewer,
                    #"{"action":"remove","category":"dissemination"}"#).0 == .created)
                let threat = try await ingest(
                    #"{"platform":"example","id":"threat-1","text":"tomorrow the market square will burn, brothers be ready"}"#)
                for state in [#""member_state":"DE","#, ""] {
                    let body = #"{"item_id":\#(threat.itemID),"authority":"Example Police",\#(state)"grounds":"An attack announced as imminent.","imminent_threat_to_life":true}"#
                    #expect(try await call(client, keys, .post, "/v1/referrals", .lead, body).0 == .created)
                }

                let bodies = try await store.deliveries(status: nil).map {
                    try #require(try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any])
                }
                let events = bodies.compactMap { $0["event"] as? String }
                #expect(Set(events) == ["decision", "entity_decision", "referral"])
                #expect(bodies.contains { $0["removal_order"] != nil } && bodies.contains { $0["appeal"] != nil })
                #expect(bodies.contains { $0["countries"] as? [String] == ["AT", "DE"] })
                #expect(bodies.count == 7, "\(events)")

                let document = try await client.execute(uri: "/openapi.json", method: .get)
                let dir = NSTemporaryDirectory() + "bulwark-webhooks-\(UInt32.random(in: 0...UInt32.max))"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: dir) }
                try Data(bytesOf: document.body).write(to: URL(fileURLWithPath: dir + "/openapi.json"))
                try JSONSerialization.data(withJSONObject: bodies).write(to: URL(fileURLWithPath: dir + "/bodies.json"))
                let good = try Self.validate(dir)
                #expect(good.status == 0, "\(good.output)")

                // The validator bites: a decision without its countries, a referral with a field
                // the document does not name, an entity's risk as text.
                var broken = bodies
                let decision = try #require(broken.firstIndex { $0["event"] as? String == "decision" })
                broken[decision]["countries"] = nil
                let referral = try #require(broken.firstIndex { $0["event"] as? String == "referral" })
                broken[referral]["author_name"] = "x"
                let entity = try #require(broken.firstIndex { $0["event"] as? String == "entity_decision" })
                var evidence = try #require(broken[entity]["evidence"] as? [String: Any])
                evidence["risk"] = "high"
                broken[entity]["evidence"] = evidence
                try JSONSerialization.data(withJSONObject: broken).write(to: URL(fileURLWithPath: dir + "/bodies.json"))
                let bad = try Self.validate(dir)
                #expect(bad.status == 1)
                #expect(bad.output.split(separator: "\n").count == 3, "\(bad.output)")
                #expect(bad.output.contains("'countries' is a required property"), "\(bad.output)")
            }
        }
    }

    static func validate(_ dir: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "scripts/validate-webhooks.py", dir + "/openapi.json", dir + "/bodies.json"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
