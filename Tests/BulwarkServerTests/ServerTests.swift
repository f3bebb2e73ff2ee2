import AsyncHTTPClient
import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
import BulwarkMedia
import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import BulwarkText
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
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
                    // The receiver has it; the sender records the success right after.
                var delivered: [DeliveryRecord] = []
                for _ in 0..<100 {
                    delivered = try await store.deliveries(status: "delivered")
                    if !delivered.isEmpty { break }
                    try await Task.sleep(nanoseconds: 50_000_000)
                }
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

    /// Concurrent single-item requests are stored together (group commit); each still gets its
    /// own answer, and a key sent by several requests at once is stored once.
    @Test(arguments: Backend.allCases)
    func concurrentRequestsShareCommitsAndStoreEachItemOnce(_ backend: Backend) async throws {
        try await withServerStore(backend, "group") { store in
            let key = APIKeys.generate()
            _ = try await store.createKey(name: "platform", role: .ingest, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: 1)
            let service = BulwarkService(
                store: store, engine: try ServerFixtures.engine.get(), configuration: ServerConfiguration(port: 0))
            try await service.application(logger: Logger(label: "test")).test(.live) { client in
                let port = try #require(client.port)
                // One connection per request, so that all 150 are in flight at once (the default
                // pool of 8 queues them, and on a loaded machine the queue's wait times out).
                var configuration = HTTPClient.Configuration()
                configuration.connectionPool = .init(
                    idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 150)
                configuration.timeout = .init(connect: .seconds(60), read: .seconds(60))
                let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                do {
                    // 150 requests at once, three for each of 50 ids.
                    let answers = try await withThrowingTaskGroup(of: (String, Int, Bool).self) { group in
                        for n in 0..<150 {
                            group.addTask {
                                let id = "m-\(n % 50)"
                                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/items")
                                request.method = .POST
                                request.headers.add(name: "Authorization", value: "Bearer \(key)")
                                request.body = .bytes(ByteBuffer(string: #"{"id":"\#(id)","text":"message \#(n % 50)"}"#))
                                let response = try await http.execute(request, timeout: .seconds(60))
                                let body = try await response.body.collect(upTo: 1 << 20)
                                guard response.status == .ok,
                                    let reply = try JSONSerialization.jsonObject(with: Data(bytesOf: body)) as? [String: Any],
                                    let item = (reply["items"] as? [[String: Any]])?.first,
                                    let itemID = item["item_id"] as? Int, let created = item["created"] as? Bool
                                else {
                                    Issue.record("\(response.status): \(String(buffer: body))")
                                    return (id, -1, false)
                                }
                                return (id, itemID, created)
                            }
                        }
                        var all: [(String, Int, Bool)] = []
                        for try await answer in group { all.append(answer) }
                        return all
                    }
                    #expect(answers.count == 150)
                    let byID = Dictionary(grouping: answers, by: \.0)
                    #expect(byID.count == 50)
                    for (id, replies) in byID {
                        #expect(Set(replies.map(\.1)).count == 1, "\(id) got several item ids")
                        #expect(replies.filter(\.2).count == 1, "\(id) was created \(replies.filter(\.2).count) times")
                    }
                    #expect(Set(answers.map(\.1)).count == 50)
                    #expect(try await store.itemCount() == 50)
                } catch {
                    try await http.shutdown()
                    throw error
                }
                try await http.shutdown()
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
            #expect(status == .badRequest && e["offset"] as? Int == 1)
            // Not JSON, though Foundation's decoder takes it: a comma before '}'. The error says
            // where, and nothing is stored.
            (status, e) = try await error(#"{"id":"comma","text":"ok",}"#)
            #expect(status == .badRequest && e["offset"] as? Int == 26)
            #expect((e["message"] as? String)?.contains("at byte 26 (line 1, column 27)") == true, "\(e)")
            (status, e) = try await error("{\"items\": [\n  {\"id\": \"a\", \"text\": \"x\"},\n  {\"id\": \"b\", \"text\": x}\n]}")
            #expect(status == .badRequest && (e["message"] as? String)?.contains("line 3, column 23") == true, "\(e)")
            // JSON, but a number Foundation cannot hold: refused as undecodable, not as malformed.
            (status, e) = try await error(#"{"id":"big","text":"x","posted_at":1e400}"#)
            #expect(status == .badRequest && (e["message"] as? String)?.contains("valid JSON but could not be decoded") == true, "\(e)")
            #expect(e["offset"] == nil)
            (status, e) = try await error(String(repeating: "[", count: 40) + String(repeating: "]", count: 40))
            #expect(status == .badRequest && (e["message"] as? String)?.contains("deeper than 32") == true, "\(e)")
            (status, e) = try await error(#"{"id":"x","text":"\#(String(repeating: "a", count: 2_000))"}"#)
            #expect(status == .contentTooLarge && e["field"] as? String == "text" && e["limit"] as? Int == 1_000)
            (status, e) = try await error(#"{"items":[{"id":"a","text":"1"},{"id":"b","text":"2"},{"id":"c","text":"3"},{"id":"d","text":"4"}]}"#)
            #expect(status == .contentTooLarge && e["field"] as? String == "items" && e["limit"] as? Int == 3)
            (status, e) = try await error(#"{"id":"x","text":"\#(String(repeating: "a", count: 20_000))"}"#)
            #expect(status == .contentTooLarge && e["limit"] as? Int == 10_000)
            (status, e) = try await error(#"{"id":"x","text":"t","type":"video"}"#)
            #expect(status == .badRequest && e["field"] as? String == "type")
            // Followers and members beyond any platform (here the largest integer, which once
            // trapped the server in the priority's arithmetic) or below zero name their field.
            (status, e) = try await error(#"{"id":"x","text":"t","container":{"id":"c","members":9223372036854775807}}"#)
            #expect(status == .badRequest && e["field"] as? String == "container.members", "\(e)")
            (status, e) = try await error(#"{"items":[{"id":"y","text":"t"},{"id":"x","text":"t","container":{"id":"c","followers":-5}}]}"#)
            #expect(status == .badRequest && e["field"] as? String == "items[1].container.followers", "\(e)")
            (status, e) = try await error(#"{"id":"x","text":"t","posted_at":-9223372036854775808}"#)
            #expect(status == .badRequest && e["field"] as? String == "posted_at", "\(e)")
            // U+0000 is refused (PostgreSQL cannot store it) with its byte offset; an escaped
            // backslash before "u0000" is ordinary text.
            (status, e) = try await error(#"{"id":"x","text":"a\u0000b"}"#)
            #expect(status == .badRequest && (e["message"] as? String)?.contains("byte 19") == true && e["offset"] as? Int == 19)
            (status, _) = try await error(#"{"id":"literal","text":"a\\u0000b"}"#)
            #expect(status == .ok)
            // A decompression bomb: a PNG header declaring 20,000 × 20,000 pixels is refused at ingest.
            var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
            png += Array("IHDR".utf8) + [0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20, 8, 2, 0, 0, 0, 0, 0, 0, 0]
            let bomb = Data(png).base64EncodedString()
            (status, e) = try await error(#"{"id":"bomb","text":"t","media":[{"data":"\#(bomb)"}]}"#)
            #expect(status == .contentTooLarge && e["field"] as? String == "media[0].data" && e["limit"] as? Int == 50_000_000)
            #expect((e["message"] as? String)?.contains("20000×20000") == true)
            // Invalid UTF-8 is rejected, not mangled.
            var bytes = Array(#"{"id":"x","text":"ab"#.utf8)
            bytes += [0xC3, 0x28]
            bytes += Array(#""}"#.utf8)
            let r = try await client.execute(uri: "/v1/items", method: .post, headers: h, body: ByteBuffer(bytes: bytes))
            #expect(r.status == .badRequest)
            #expect(String(buffer: r.body).contains("invalid UTF-8: the character starting with 0xC3 continues with 0x28 at byte 20"))
            #expect(try await store.itemCount() == 1)  // only "literal"
            #expect(try await store.item(platform: "platform", externalID: "literal")?.text == #"a\u0000b"#)
        }
    }
}

struct OpenAPITests {
    @Test func theDocumentIsServedAndNamesEveryRoute() async throws {
        let store = try SQLiteStore(path: ":memory:")
        try await store.migrate()
        let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: ServerConfiguration(port: 0))
        try await service.application(logger: Logger(label: "test")).test(.router) { client in
            let r = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(r.status == .ok)
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(bytesOf: r.body)) as? [String: Any])
            #expect(doc["openapi"] as? String == "3.1.0")
            let paths = try #require(doc["paths"] as? [String: Any])
            // Every route the router serves is in the document, with its method (":id" is "{id}").
            let routes = service.router().routes
            #expect(routes.count >= 20)
            // The console's HTML pages (sign-in, sign-out, queue, case) are for people's browsers, with
            // cookies and form posts, not part of the machine API: OpenAPI describes only the latter.
            let consolePaths: Set<String> = ["login", "logout", "console"]
            for route in routes {
                if let first = "\(route.path)".split(separator: "/").first, consolePaths.contains(String(first)) { continue }
                let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                    .joined(separator: "/")
                let documented = paths["/" + path] as? [String: Any]
                #expect(documented?[route.method.rawValue.lowercased()] != nil, "\(route) is not in the document")
            }
            // The verdict's enumerations are the engine's: every evidence kind, category and context.
            let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
            func enumeration(_ schema: String, _ path: String...) -> Set<String> {
                var node: Any? = schemas[schema]
                for key in path { node = (node as? [String: Any])?[key] }
                return Set(((node as? [String: Any])?["enum"] as? [Any] ?? []).compactMap { $0 as? String })
            }
            #expect(enumeration("Evidence", "properties", "kind") == Set(Evidence.Kind.allCases.map(\.rawValue)))
            #expect(enumeration("Verdict", "properties", "context") == Set(Context.allCases.map(\.rawValue)))
            #expect(
                enumeration("Verdict", "properties", "categories", "items", "properties", "name")
                    == Set(Category.allCases.map(\.rawValue)))
            // The countries a decision may name are the statement of reasons' EU/EEA list.
            func node(_ root: Any?, _ path: String...) -> Any? {
                path.reduce(root) { ($0 as? [String: Any])?[$1] }
            }
            let decisionBody = node(
                paths["/v1/cases/{id}/decisions"], "post", "requestBody", "content", "application/json", "schema", "properties", "countries",
                "items", "enum")
            #expect(Set((decisionBody as? [String]) ?? []) == Set(StatementOfReasons.allCountries))
            // An item's standing is one of the engine's.
            let standing = node(
                paths["/v1/items/{id}"], "get", "responses", "200", "content", "application/json", "schema", "properties", "standing", "enum")
            #expect(Set((standing as? [String]) ?? []) == Set(ItemStanding.allCases.map(\.rawValue)))
            // Every webhook event is documented, and only those.
            #expect(Set((doc["webhooks"] as? [String: Any])?.keys.map { $0 } ?? []) == ["decision", "entity_decision", "referral"])
        }
    }
}

struct MediaPipelineTests {
    @Test(arguments: Backend.allCases)
    func anImageInABankOpensAViolatingCaseInTheBackground(_ backend: Backend) async throws {
        try await withServerStore(backend, "media") { store in try await mediaPipeline(store) }
    }

    func mediaPipeline(_ store: any ModerationStore) async throws {
        let key = APIKeys.generate()
        _ = try await store.createKey(name: "platform", role: .ingest, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: 1)
        // A bank holding the PDQ of a known image; the platform sends a blurred copy.
        let original = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
        let copy = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/blur-a-little.jpg")
        let known = PDQHasher().hash(try ImageDecoder().decode(original))
        var banks = BankSet()
        _ = try banks.create(Bank(name: "known", labels: ["category:dissemination"]))
        _ = try banks.add(bank: "known", signal: Signal(pdq: known.hash), at: 1)
        let config = ServerConfiguration(port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20, workerPollMilliseconds: 20)
        let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config, banks: banks)
        try await service.application(logger: Logger(label: "test")).test(.live) { client in
            let body = #"{"id":"img-1","text":"look at this","media":[{"data":"\#(Data(copy).base64EncodedString())"}]}"#
            let r = try await client.execute(
                uri: "/v1/items", method: .post, headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                body: ByteBuffer(string: body))
            #expect(r.status == .ok)
            let first = ((try JSONSerialization.jsonObject(with: Data(bytesOf: r.body)) as? [String: Any])?["items"] as? [[String: Any]])?.first
            #expect(first?["case_id"] is NSNull)  // the text alone is harmless
            var item: ItemRecord? = nil
            for _ in 0..<200 {
                if try await store.pendingJobCount() == 0 { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            item = try await store.item(platform: "platform", externalID: "img-1")
            #expect(item?.decision == .violating)
            let cases = try await store.cases(CaseFilter(), now: 10)
            #expect(cases.count == 1 && cases.first?.category == .dissemination)
            let audit = try await store.auditLog(after: 0, limit: 100)
            #expect(audit.contains { $0.action == "media.match" && $0.detail.contains("\"bank\":\"known\"") })
        }
    }
}

struct OperationsTests {
    @Test func metricsRateLimitsAndRevokedKeys() async throws {
        let store = try SQLiteStore(path: ":memory:")
        try await store.migrate()
        let key = APIKeys.generate()
        let record = try await store.createKey(name: "platform", role: .ingest, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: 1)
        // One request a second, bursts of two: twenty requests would have to take over 18 s for
        // none to be refused, so the test holds on a loaded machine too.
        let config = ServerConfiguration(port: 0, rateLimitPerKey: 1)
        let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config)
        try await service.application(logger: Logger(label: "test")).test(.router) { client in
            let h: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
            var statuses: [HTTPResponse.Status] = []
            var retryAfter: String? = nil
            for i in 0..<20 {
                let r = try await client.execute(uri: "/v1/items", method: .post, headers: h, body: ByteBuffer(string: #"{"id":"m\#(i)","text":"join the caliphate soldiers now"}"#))
                statuses.append(r.status)
                if r.status == .tooManyRequests { retryAfter = r.headers[.retryAfter] }
            }
            // A burst of 2 seconds' worth (2) passes, then 429 with Retry-After.
            #expect(statuses.prefix(2).allSatisfy { $0 == .ok })
            #expect(statuses.contains(.tooManyRequests))
            #expect(retryAfter == "1")
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            // Every accepted item is counted (how many pass the bucket depends on the machine's speed).
            let accepted = statuses.filter { $0 == .ok }.count
            #expect(text.contains("bulwark_items_total \(accepted)\n"))
            #expect(text.contains("bulwark_http_requests_total{route=\"/v1/items\",status=\"200\"} \(accepted)\n"))
            #expect(text.contains("bulwark_http_requests_total{route=\"/v1/items\",status=\"429\"}"))
            #expect(text.contains("bulwark_http_request_duration_seconds_bucket{route=\"/v1/items\",le=\"+Inf\"}"))
            #expect(text.contains("bulwark_open_cases "))
            // A revoked key stops working (the key cache holds entries 5 seconds at most).
            _ = try await store.revokeKey(id: record.id, actor: "admin", now: 2)
            try await Task.sleep(nanoseconds: 5_200_000_000)
            let revoked = try await client.execute(uri: "/v1/items", method: .post, headers: h, body: ByteBuffer(string: #"{"id":"z","text":"x"}"#))
            #expect(revoked.status == .unauthorized)
        }
    }
}

struct BankRoutesTests {
    @Test func banksOverHTTPAreDurableAuditedAndMatched() async throws {
        let dir = NSTemporaryDirectory() + "bulwark-http-banks-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: ":memory:")
        try await store.migrate()
        var keys: [Role: String] = [:]
        for role in [Role.lead, .reviewer] {
            let key = APIKeys.generate()
            _ = try await store.createKey(name: "\(role.rawValue)-1", role: role, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: 1)
            keys[role] = key
        }
        let registry = BankRegistry(directory: try BankDirectory(path: dir, writable: true))
        let service = BulwarkService(
            store: store, engine: try ServerFixtures.engine.get(), configuration: ServerConfiguration(port: 0), bankRegistry: registry)
        let pdqA = "f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95"
        let pdqB = "98736629670cc19fc9f23862f66cce1f599e32c78e236c78619d202e9e66c157"
        let keysByRole = keys
        try await service.application(logger: Logger(label: "test")).test(.router) { client in
            func call(_ method: HTTPRequest.Method, _ uri: String, _ role: Role, _ body: String = "") async throws -> (HTTPResponse.Status, String) {
                let r = try await client.execute(
                    uri: uri, method: method, headers: [.authorization: "Bearer \(keysByRole[role]!)", .contentType: "application/json"],
                    body: ByteBuffer(string: body))
                return (r.status, String(buffer: r.body))
            }
            #expect(try await call(.post, "/v1/banks", .reviewer, #"{"name":"gifct"}"#).0 == .forbidden)
            #expect(try await call(.post, "/v1/banks", .lead, #"{"name":"gifct","labels":["category:dissemination"]}"#).0 == .created)
            #expect(try await call(.post, "/v1/banks", .lead, #"{"name":"bad name"}"#).0 == .badRequest)
            var (status, body) = try await call(.post, "/v1/banks/gifct/entries", .lead, #"{"type":"pdq","values":["\#(pdqA)"]}"#)
            #expect(status == .ok && body.contains("\"added\":1"))
            #expect(try await call(.post, "/v1/banks/nope/entries", .lead, #"{"type":"pdq","values":["\#(pdqA)"]}"#).0 == .notFound)
            (status, body) = try await call(.post, "/v1/banks/gifct/entries", .lead, #"{"type":"pdq","values":["abc"]}"#)
            #expect(status == .badRequest && body.contains("values[0]"))
            (status, body) = try await call(.post, "/v1/banks/gifct/import?format=hash-labels&type=pdq", .lead, "hash,labels\n\(pdqB),group:x\nnot-hex,y\n")
            #expect(status == .ok && body.contains("\"added\":1") && body.contains("\"line\":\"3\""))
            #expect(registry.banks.activeCount(bank: "gifct") == 2)
            (status, body) = try await call(.get, "/v1/banks/gifct/export?format=te", .lead)
            #expect(body.contains(pdqA) && body.contains(pdqB))
            (status, body) = try await call(.get, "/v1/banks", .reviewer)
            #expect(body.contains("\"pdq\":2"))
            (status, body) = try await call(.delete, "/v1/banks/gifct/entries", .lead, #"{"type":"pdq","values":["\#(pdqB)"]}"#)
            #expect(body.contains("\"removed\":1"))
            #expect(registry.banks.activeCount(bank: "gifct") == 1)
        }
        // Durable: the directory, reopened, holds what the API did; the audit log has it.
        let log = try String(contentsOfFile: dir + "/events.jsonl", encoding: .utf8)
        #expect(log.contains("\"op\":\"remove\"") && log.contains(pdqB))
        // While the server holds the directory, another process (the CLI) is told so.
        #expect(throws: BulwarkError.self) { try BankDirectory(path: dir, writable: true) }
        let audit = try await store.auditLog(after: 0, limit: 100).map(\.action)
        #expect(audit.contains("bank.create") && audit.contains("bank.import") && audit.contains("bank.remove"))
    }
}

struct JSONLogTests {
    @Test func aRecordIsOneLineOfJSONWithItsMetadata() throws {
        let line = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 1_700_000_000.25), level: .warning, label: "bulwark",
            message: "webhook \"failed\"\nretrying", source: "BulwarkServer",
            metadata: ["delivery.id": "d-1", "attempt": "2"])
        #expect(line.hasSuffix("}\n") && line.dropLast().contains("\n") == false)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(record["time"] == "2023-11-14T22:13:20.250Z")
        #expect(record["level"] == "warning" && record["label"] == "bulwark" && record["source"] == "BulwarkServer")
        #expect(record["message"] == "webhook \"failed\"\nretrying")
        #expect(record["delivery.id"] == "d-1" && record["attempt"] == "2")
    }
}

struct WebhookSignatureTests {
    @Test func duringARotationEitherSecretVerifies() {
        let body = #"{"event":"decision"}"#
        let header = WebhookSignature.header(body: body, timestamp: 1_000, secrets: ["new", "old"])
        #expect(WebhookSignature.verify(header: header, body: body, secret: "new", now: 1_000))
        #expect(WebhookSignature.verify(header: header, body: body, secret: "old", now: 1_100))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: "other", now: 1_000))
        #expect(!WebhookSignature.verify(header: header, body: body + " ", secret: "new", now: 1_000))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: "new", now: 2_000))  // too old: replay
        let after = WebhookSignature.header(body: body, timestamp: 1_000, secrets: ["new"])
        #expect(!WebhookSignature.verify(header: after, body: body, secret: "old", now: 1_000))
    }
}
