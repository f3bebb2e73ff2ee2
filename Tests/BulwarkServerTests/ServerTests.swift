import AsyncHTTPClient
import BulwarkCore
import BulwarkServer
import BulwarkStore
import BulwarkText
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

enum ServerFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func bytes(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: root + "/" + relative) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: root + "/" + relative])
        }
        return [UInt8](data)
    }

    /// The real engine: lexicons, model and language id from the repository.
    static let engine: Result<TextEngine, any Error> = Result {
        TextEngine(
            lexicon: try IndicatorLexicon(json: bytes("data/lexicon/indicators.json")),
            contextCues: try ContextCues(json: bytes("data/lexicon/contexts.json")),
            model: try ClassifierModel(serialized: bytes("models/text-classifier.bwtc")),
            languageIdentifier: try LanguageIdentifier(modelBytes: bytes(".bulwark/models/langid.bin")))
    }

    static func temporaryDatabase(_ name: String) -> String {
        NSTemporaryDirectory() + "bulwark-\(name)-\(UInt32.random(in: 0...UInt32.max)).db"
    }
}

/// A webhook receiver: a real HTTP server on loopback that keeps what it receives and
/// answers `failuresFirst` requests with 500 before accepting.
final class Receiver: Sendable {
    struct Received: Sendable {
        var body: String
        var signature: String
        var deliveryID: String
    }

    let received = Mutex<[Received]>([])
    let failuresLeft: Mutex<Int>

    init(failuresFirst: Int = 0) { failuresLeft = Mutex(failuresFirst) }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let fail = self.failuresLeft.withLock { n -> Bool in
                if n > 0 {
                    n -= 1
                    return true
                }
                return false
            }
            if fail { return Response(status: .internalServerError) }
            let r = Received(
                body: String(buffer: body), signature: header(request.headers, "bulwark-signature"),
                deliveryID: header(request.headers, "bulwark-delivery"))
            self.received.withLock { $0.append(r) }
            return Response(status: .noContent)
        }
        return router
    }
}

func header(_ fields: HTTPFields, _ name: String) -> String {
    fields.first { $0.name.canonicalName == name }?.value ?? ""
}

extension Data {
    init(bytesOf buffer: ByteBuffer) { self.init(buffer.readableBytesView) }
}

struct ServerEndToEndTests {
    @Test(arguments: Backend.allCases)
    func ingestCaseDecisionSignedWebhookAndAuditOverLoopback(_ backend: Backend) async throws {
        try await withServerStore(backend, "e2e") { store in
            let engine = try ServerFixtures.engine.get()
            var keys: [Role: String] = [:]
            for role in [Role.ingest, .reviewer, .admin, .auditor] {
                let key = APIKeys.generate()
                _ = try await store.createKey(name: "\(role.rawValue)-1", role: role, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: 1)
                keys[role] = key
            }
            // The receiver fails twice before accepting: the delivery is retried.
            let receiver = Receiver(failuresFirst: 2)
            let receiverApp = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            let keysByRole = keys
            try await receiverApp.test(.live) { receiverClient in
                let hookURL = "http://127.0.0.1:\(receiverClient.port!)/hook"
                try await store.setSetting("webhook.url", hookURL, actor: "test", now: 1)
                try await store.setSetting("webhook.secret", "s3cret-current", actor: "test", now: 1)
                let config = ServerConfiguration(port: 0, maxBodyBytes: 200_000, webhookInitialBackoff: 0, workerPollMilliseconds: 50)
                let service = BulwarkService(store: store, engine: engine, configuration: config)
                let app = service.application(logger: Logger(label: "test"))
                try await app.test(.live) { client in
                    func headers(_ role: Role?) -> HTTPFields {
                        var h: HTTPFields = [.contentType: "application/json"]
                        if let role, let key = keysByRole[role] { h[.authorization] = "Bearer \(key)" }
                        return h
                    }
                    // Ingest: a room title named after a terrorist group, with its reach.
                    let item = #"{"platform":"example","id":"room-1","type":"title","text":"Supporters of the Islamic State","container":{"id":"c-1","title":"Supporters of the Islamic State","followers":32000}}"#
                    let ingested = try await client.execute(uri: "/v1/items", method: .post, headers: headers(.ingest), body: ByteBuffer(string: item))
                    #expect(ingested.status == .ok)
                    let reply = try JSONSerialization.jsonObject(with: Data(bytesOf: ingested.body)) as? [String: Any]
                    let first = try #require((reply?["items"] as? [[String: Any]])?.first)
                    let caseID = try #require(first["case_id"] as? Int)
                    #expect((first["verdict"] as? [String: Any])?["decision"] as? String != "none")
                    // Idempotent on (platform, id).
                    let again = try await client.execute(uri: "/v1/items", method: .post, headers: headers(.ingest), body: ByteBuffer(string: item))
                    let againItems = (try JSONSerialization.jsonObject(with: Data(bytesOf: again.body)) as? [String: Any])?["items"] as? [[String: Any]]
                    #expect(againItems?.first?["created"] as? Bool == false)
                    #expect(againItems?.first?["case_id"] as? Int == caseID)

                    // Roles: no key 401, wrong role 403.
                    #expect(try await client.execute(uri: "/v1/cases", method: .get, headers: headers(nil)).status == .unauthorized)
                    #expect(try await client.execute(uri: "/v1/cases", method: .get, headers: headers(.ingest)).status == .forbidden)

                    // The queue has the case; the reviewer claims and decides it.
                    let queue = try await client.execute(uri: "/v1/cases", method: .get, headers: headers(.reviewer))
                    let cases = (try JSONSerialization.jsonObject(with: Data(bytesOf: queue.body)) as? [String: Any])?["cases"] as? [[String: Any]]
                    #expect(cases?.contains { $0["id"] as? Int == caseID } == true)
                    let detail = try await client.execute(uri: "/v1/cases/\(caseID)", method: .get, headers: headers(.reviewer))
                    let detailJSON = try JSONSerialization.jsonObject(with: Data(bytesOf: detail.body)) as? [String: Any]
                    #expect((detailJSON?["item"] as? [String: Any])?["text"] as? String == "Supporters of the Islamic State")
                    #expect((detailJSON?["priority_parts"] as? [String: Any])?["reach"] as? Double ?? 0 > 40)
                    #expect(try await client.execute(uri: "/v1/cases/\(caseID)/claim", method: .post, headers: headers(.reviewer)).status == .ok)
                    let decision = #"{"action":"remove","category":"dissemination","note":"room named after a designated group"}"#
                    let decided = try await client.execute(uri: "/v1/cases/\(caseID)/decisions", method: .post, headers: headers(.reviewer), body: ByteBuffer(string: decision))
                    #expect(decided.status == .created)
                    let decidedJSON = try JSONSerialization.jsonObject(with: Data(bytesOf: decided.body)) as? [String: Any]
                    let deliveryID = try #require(decidedJSON?["delivery_id"] as? String)
                    // Deciding twice is a conflict.
                    #expect(try await client.execute(uri: "/v1/cases/\(caseID)/decisions", method: .post, headers: headers(.reviewer), body: ByteBuffer(string: decision)).status == .conflict)

                    // The signed webhook arrives (after two 500s and retries).
                    var got: [Receiver.Received] = []
                    for _ in 0..<200 {
                        got = receiver.received.withLock { $0 }
                        if !got.isEmpty { break }
                        try await Task.sleep(nanoseconds: 50_000_000)
                    }
                    let delivery = try #require(got.first)
                    #expect(delivery.deliveryID == deliveryID)
                    #expect(delivery.body.contains("\"action\":\"remove\""))
                    #expect(delivery.body.contains("\"id\":\"room-1\""))
                    let now = Int64(Date().timeIntervalSince1970)
                    #expect(WebhookSignature.verify(header: delivery.signature, body: delivery.body, secret: "s3cret-current", now: now))
                    #expect(!WebhookSignature.verify(header: delivery.signature, body: delivery.body, secret: "wrong", now: now))
                    let delivered = try await store.deliveries(status: "delivered")
                    #expect(delivered.first?.attempts == 3)

                    // The audit log holds the decision and verifies.
                    let audit = try await client.execute(uri: "/v1/audit", method: .get, headers: headers(.auditor))
                    let entries = (try JSONSerialization.jsonObject(with: Data(bytesOf: audit.body)) as? [String: Any])?["entries"] as? [[String: Any]]
                    #expect(entries?.contains { $0["action"] as? String == "case.decide" && $0["actor"] as? String == "reviewer-1" } == true)
                    let verified = try await store.verifyAudit()
                    #expect(verified.brokenAt == nil)
                    #expect(verified.checked >= 7)
                }
            }
        }
    }

    @Test func badInputGetsTheRightStatusAndNamesTheField() async throws {
        let path = ServerFixtures.temporaryDatabase("bad")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let key = APIKeys.generate()
        _ = try await store.createKey(name: "platform", role: .ingest, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: 1)
        let config = ServerConfiguration(port: 0, maxBodyBytes: 10_000, maxBatchItems: 3, maxTextBytes: 1_000)
        let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config)
        try await service.application(logger: Logger(label: "test")).test(.router) { client in
            let h: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
            func error(_ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let r = try await client.execute(uri: "/v1/items", method: .post, headers: h, body: ByteBuffer(string: body))
                let json = (try? JSONSerialization.jsonObject(with: Data(bytesOf: r.body)) as? [String: Any])?["error"] as? [String: Any]
                return (r.status, json ?? [:])
            }
            var (status, e) = try await error(#"{"id":"x"}"#)
            #expect(status == .badRequest && e["field"] as? String == "text")
            (status, e) = try await error(#"{"items":[{"id":"a","text":"ok"},{"id":7,"text":"ok"}]}"#)
            #expect(status == .badRequest)
            (status, e) = try await error("{not json")
            #expect(status == .badRequest)
            (status, e) = try await error(#"{"id":"x","text":"\#(String(repeating: "a", count: 2_000))"}"#)
            #expect(status == .contentTooLarge && e["field"] as? String == "text" && e["limit"] as? Int == 1_000)
            (status, e) = try await error(#"{"items":[{"id":"a","text":"1"},{"id":"b","text":"2"},{"id":"c","text":"3"},{"id":"d","text":"4"}]}"#)
            #expect(status == .contentTooLarge && e["field"] as? String == "items" && e["limit"] as? Int == 3)
            (status, e) = try await error(#"{"id":"x","text":"\#(String(repeating: "a", count: 20_000))"}"#)
            #expect(status == .contentTooLarge && e["limit"] as? Int == 10_000)
            (status, e) = try await error(#"{"id":"x","text":"t","type":"video"}"#)
            #expect(status == .badRequest && e["field"] as? String == "type")
            // Invalid UTF-8 is rejected, not mangled.
            var bytes = Array(#"{"id":"x","text":"ab"#.utf8)
            bytes += [0xC3, 0x28]
            bytes += Array(#""}"#.utf8)
            let r = try await client.execute(uri: "/v1/items", method: .post, headers: h, body: ByteBuffer(bytes: bytes))
            #expect(r.status == .badRequest)
            #expect(try await store.itemCount() == 0)
        }
    }
}
