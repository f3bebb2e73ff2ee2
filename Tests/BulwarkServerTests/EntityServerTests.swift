import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
import BulwarkEntities
import BulwarkMedia
import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// Keys for each role, created in `store`.
func makeKeys(_ store: any ModerationStore, _ roles: [Role]) async throws -> [Role: String] {
    var keys: [Role: String] = [:]
    for role in roles {
        let key = APIKeys.generate()
        _ = try await store.createKey(
            name: "\(role.rawValue)-1", role: role, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: 1)
        keys[role] = key
    }
    return keys
}

/// Calls the API with a role's key; returns the status and the body parsed as JSON.
func call(
    _ client: some TestClientProtocol, _ keys: [Role: String], _ method: HTTPRequest.Method, _ uri: String, _ role: Role,
    _ body: String = ""
) async throws -> (HTTPResponse.Status, [String: Any]) {
    var headers: HTTPFields = [.contentType: "application/json"]
    if let key = keys[role] { headers[.authorization] = "Bearer \(key)" }
    let r = try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body))
    let json = (try? JSONSerialization.jsonObject(with: Data(bytesOf: r.body))) as? [String: Any] ?? [:]
    return (r.status, json)
}

struct EntityEndToEndTests {
    static let title = "Soldiers of the Caliphate"
    static let violating = [
        "Rejoice, soldiers of the khilafah! Your brothers struck the crusaders in their own homes and the enemies of Allah tasted fear today. Strike them wherever you find them, the state is remaining and expanding!!",
        "انفروا إلى أرض الخلافة يا شباب الأمة، بايعوا أمير المؤمنين والإخوة بانتظاركم",
        "Que Alá acepte a nuestro hermano, su operación de martirio fue un regalo. Así se responde a los infieles 🏴",
        "j0in the 1.S.1.S brothers, hijra is an obligation, DM for vetting",
    ]

    /// The banned channel's avatar, and the same picture with two bits changed.
    static let avatar = String(repeating: "5a3c", count: 16)
    static let avatarAgain = "5a3c5a3c5a3c5a3c5a3c5a3c5a3c5a3c5a3c5a3c5a3c5a3c5a3c5a3c5a3c5a3f"

    static func item(
        _ id: String, _ text: String, container: String, author: String, title: String = Self.title, avatar: String? = Self.avatar
    ) -> String {
        var box: [String: Any] = ["id": container, "title": title, "kind": "channel", "followers": 32_000]
        if let avatar { box["avatar_pdq"] = avatar }
        let payload: [String: Any] = [
            "platform": "example", "id": id, "type": "post", "text": text, "author": author, "container": box,
        ]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: payload)) ?? Data(), as: UTF8.self)
    }

    @Test(arguments: Backend.allCases)
    func aChannelGetsACaseIsRemovedAndItsReappearanceIsFlagged(_ backend: Backend) async throws {
        try await withServerStore(backend, "entity-e2e") { store in
            let engine = try ServerFixtures.engine.get()
            let keys = try await makeKeys(store, [.ingest, .reviewer, .auditor])
            let receiver = Receiver()
            let receiverApp = Application(
                router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await receiverApp.test(.live) { receiverClient in
                try await store.setSetting("webhook.url", "http://127.0.0.1:\(receiverClient.port!)/hook", actor: "test", now: 1)
                try await store.setSetting("webhook.secret", "s3cret", actor: "test", now: 1)
                let config = ServerConfiguration(port: 0, webhookInitialBackoff: 0, workerPollMilliseconds: 50)
                let service = BulwarkService(store: store, engine: engine, configuration: config)
                try await service.application(logger: Logger(label: "test")).test(.live) { client in
                    // Violating posts into one channel, each by its own author, until the channel's case opens.
                    var channelID: Int? = nil
                    var sent = 0
                    while channelID == nil && sent < 10 {
                        let text = Self.violating[sent % Self.violating.count] + (sent >= Self.violating.count ? " \(sent)" : "")
                        let (status, reply) = try await call(
                            client, keys, .post, "/v1/items", .ingest,
                            Self.item("p-\(sent)", text, container: "ch-1", author: "u-\(sent)"))
                        #expect(status == .ok)
                        #expect(((reply["items"] as? [[String: Any]])?.first?["verdict"] as? [String: Any])?["decision"] as? String != "none")
                        sent += 1
                        let (_, queue) = try await call(client, keys, .get, "/v1/cases", .reviewer)
                        channelID = (queue["cases"] as? [[String: Any]])?.first { $0["subject"] as? String == "entity" }?["entity_id"] as? Int
                    }
                    let id = try #require(channelID, "no entity case after \(sent) violating posts")
                    #expect(sent >= 3)

                    // The ranking and the record.
                    let (_, list) = try await call(client, keys, .get, "/v1/entities?kind=channel", .reviewer)
                    let top = try #require((list["entities"] as? [[String: Any]])?.first)
                    #expect(top["id"] as? Int == id && top["external_id"] as? String == "ch-1" && top["name"] as? String == Self.title)
                    #expect(top["risk"] as? Double ?? 0 >= 40)
                    let (_, detail) = try await call(client, keys, .get, "/v1/entities/\(id)", .reviewer)
                    let parts = try #require(detail["risk_parts"] as? [[String: Any]])
                    #expect(parts.contains { $0["name"] as? String == "reach" && $0["value"] as? Double ?? 0 > 0 })
                    #expect((detail["recent_items"] as? [[String: Any]])?.count == sent)
                    #expect((detail["open_case"] as? [String: Any])?["subject"] as? String == "entity")
                    #expect((detail["signals"] as? [String: Any])?["items"] as? Int == sent)

                    // A channel cannot be suspended; it is removed.
                    #expect(try await call(client, keys, .post, "/v1/entities/\(id)/decisions", .reviewer, #"{"action":"suspend","category":"dissemination"}"#).0 == .badRequest)
                    #expect(try await call(client, keys, .post, "/v1/entities/\(id)/decisions", .ingest, #"{"action":"remove"}"#).0 == .forbidden)
                    let (status, decided) = try await call(
                        client, keys, .post, "/v1/entities/\(id)/decisions", .reviewer,
                        #"{"action":"remove","category":"dissemination","note":"propaganda channel"}"#)
                    #expect(status == .created && decided["status"] as? String == "removed")
                    let deliveryID = try #require(decided["delivery_id"] as? String)

                    // The signed webhook, with the channel's violating posts as evidence.
                    var got: [Receiver.Received] = []
                    for _ in 0..<200 {
                        got = receiver.received.withLock { $0 }
                        if !got.isEmpty { break }
                        try await Task.sleep(nanoseconds: 50_000_000)
                    }
                    let delivery = try #require(got.first)
                    #expect(delivery.deliveryID == deliveryID)
                    #expect(WebhookSignature.verify(header: delivery.signature, body: delivery.body, secret: "s3cret", now: Int64(Date().timeIntervalSince1970)))
                    let hook = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body.utf8)) as? [String: Any])
                    #expect(hook["event"] as? String == "entity_decision" && hook["action"] as? String == "remove")
                    #expect((hook["entity"] as? [String: Any])?["id"] as? String == "ch-1")
                    let evidence = (hook["evidence"] as? [String: Any])?["items"] as? [String]
                    #expect(Set(evidence ?? []) == Set((0..<sent).map { "p-\($0)" }))

                    // The audit log has it, and verifies.
                    let (_, audit) = try await call(client, keys, .get, "/v1/audit", .auditor)
                    #expect((audit["entries"] as? [[String: Any]])?.contains { $0["action"] as? String == "entity.decide" && $0["subject"] as? String == "entity:\(id)" } == true)
                    #expect(try await store.verifyAudit().brokenAt == nil)

                    // A new channel under the same title, with a harmless post: flagged as a re-appearance.
                    let (_, again) = try await call(
                        client, keys, .post, "/v1/items", .ingest,
                        Self.item("q-1", "Ramadan Mubarak to everyone", container: "ch-2", author: "u-new"))
                    let newID = try #require(((again["items"] as? [[String: Any]])?.first)?["item_id"] as? Int)
                    let stored = try #require(try await store.item(id: Int64(newID)))
                    #expect(stored.decision == .none)
                    let (_, listed) = try await call(client, keys, .get, "/v1/entities?status=active&kind=channel", .reviewer)
                    let second = try #require((listed["entities"] as? [[String: Any]])?.first { $0["external_id"] as? String == "ch-2" })
                    #expect(second["reappearance_of"] as? Int == id)
                    let secondID = try #require(second["id"] as? Int)
                    let (_, secondDetail) = try await call(client, keys, .get, "/v1/entities/\(secondID)", .reviewer)
                    let reappearance = try #require(secondDetail["reappearance"] as? [String: Any])
                    #expect(reappearance["of"] as? Int == id && reappearance["similarity"] as? Double ?? 0 >= 0.7)
                    #expect((reappearance["evidence"] as? String)?.contains("resembles banned entity \(id): name 100% alike") == true)
                    let (_, queue) = try await call(client, keys, .get, "/v1/cases", .reviewer)
                    #expect((queue["cases"] as? [[String: Any]])?.contains { $0["entity_id"] as? Int == secondID } == true)

                    // Another name, but the banned channel's avatar (2 bits off): flagged, with the distance.
                    _ = try await call(
                        client, keys, .post, "/v1/items", .ingest,
                        Self.item("s-1", "Good morning", container: "ch-5", author: "u-5", title: "Morning tea club", avatar: Self.avatarAgain))
                    let (_, byAvatar) = try await call(client, keys, .get, "/v1/entities?kind=channel", .reviewer)
                    let fifth = try #require((byAvatar["entities"] as? [[String: Any]])?.first { $0["external_id"] as? String == "ch-5" })
                    #expect(fifth["reappearance_of"] as? Int == id)
                    let (_, fifthDetail) = try await call(client, keys, .get, "/v1/entities/\(try #require(fifth["id"] as? Int))", .reviewer)
                    #expect(((fifthDetail["reappearance"] as? [String: Any])?["evidence"] as? String)?.contains("avatar PDQ distance 2") == true)
                    // A different name and no avatar: not flagged.
                    _ = try await call(
                        client, keys, .post, "/v1/items", .ingest,
                        Self.item("t-1", "Good morning", container: "ch-6", author: "u-6", title: "Evening chess club", avatar: nil))
                    let (_, plain) = try await call(client, keys, .get, "/v1/entities?kind=channel", .reviewer)
                    let sixth = try #require((plain["entities"] as? [[String: Any]])?.first { $0["external_id"] as? String == "ch-6" })
                    #expect(sixth["reappearance_of"] == nil || sixth["reappearance_of"] is NSNull)
                    // A malformed avatar is a 400 naming the field.
                    let (badStatus, bad) = try await call(
                        client, keys, .post, "/v1/items", .ingest,
                        Self.item("u-1", "hi", container: "ch-7", author: "u-7", title: "x", avatar: "zz"))
                    #expect(badStatus == .badRequest && (bad["error"] as? [String: Any])?["field"] as? String == "container.avatar_pdq")
                }

                // Another process on the same database learns of the ban from the store.
                let other = BulwarkService(store: store, engine: engine, configuration: ServerConfiguration(port: 0))
                try await other.application(logger: Logger(label: "test")).test(.router) { client in
                    _ = try await call(
                        client, keys, .post, "/v1/items", .ingest,
                        Self.item("r-1", "hello", container: "ch-3", author: "u-third"))
                    let (_, listed) = try await call(client, keys, .get, "/v1/entities?kind=channel", .reviewer)
                    let third = (listed["entities"] as? [[String: Any]])?.first { $0["external_id"] as? String == "ch-3" }
                    #expect(third?["reappearance_of"] != nil)
                }
            }
        }
    }
}

/// Waits until the store has no pending job (10 s at most: an instrumented or busy build is slow).
func waitForJobs(_ store: any ModerationStore) async throws {
    for _ in 0..<200 {
        if try await store.pendingJobCount() == 0 { break }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
}

/// Waits up to 10 s for a case to open (a retro-hunt runs in the background); the cases then.
func waitForCases(_ store: any ModerationStore) async throws -> [CaseRecord] {
    var cases: [CaseRecord] = []
    for _ in 0..<200 {
        cases = try await store.cases(CaseFilter(), now: 10)
        if !cases.isEmpty { break }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    return cases
}

/// The `item_id` of the first item in an ingest reply.
func firstItemID(_ reply: [String: Any]) throws -> Int64 {
    Int64(try #require(((reply["items"] as? [[String: Any]])?.first)?["item_id"] as? Int))
}

struct RetroHuntTests {
    /// The retro-hunt configuration: 1 MiB bodies and media, a job worker polling every 20 ms.
    static let config = ServerConfiguration(port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20, workerPollMilliseconds: 20)

    /// A new bank directory's path (the caller removes it).
    static func bankDirectory() -> String { NSTemporaryDirectory() + "bulwark-retro-\(UInt32.random(in: 0...UInt32.max))" }

    /// A service on `store` with a writable bank directory at `dir`.
    static func bankedService(_ store: any ModerationStore, _ dir: String) throws -> (BulwarkService, BankRegistry) {
        let registry = BankRegistry(directory: try BankDirectory(path: dir, writable: true))
        let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config, bankRegistry: registry)
        return (service, registry)
    }

    /// A part that is not an image Bulwark decodes (here the first bytes of an MP4 file) has no
    /// PDQ hash, but its MD5 and SHA-256 are taken and matched: live once a bank knows it, and
    /// by a retro-hunt for a part stored before.
    @Test(arguments: Backend.allCases)
    func aVideoIsMatchedByItsExactHashesLiveAndRetroactively(_ backend: Backend) async throws {
        try await withServerStore(backend, "retro_video") { store in
            let dir = Self.bankDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let keys = try await makeKeys(store, [.ingest, .lead])
            let (service, _) = try Self.bankedService(store, dir)
            var video: [UInt8] = [0, 0, 0, 0x18] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2mp41".utf8)
            var state: UInt32 = 7
            for _ in 0..<4_000 {
                state = state &* 1_103_515_245 &+ 12_345
                video.append(UInt8(truncatingIfNeeded: state >> 16))
            }
            let encoded = Data(video).base64EncodedString()
            let videoBytes = video
            try await service.application(logger: Logger(label: "test")).test(.live) { client in
                let video = videoBytes
                @Sendable func body(_ id: String) -> String {
                    #"{"id":"\#(id)","text":"watch","media":[{"data":"\#(encoded)","content_type":"video/mp4"}]}"#
                }
                #expect(try await call(client, keys, .post, "/v1/banks", .lead, #"{"name":"videos","labels":["category:dissemination"]}"#).0 == .created)
                let (_, first) = try await call(client, keys, .post, "/v1/items", .ingest, body("vid-1"))
                let firstID = try firstItemID(first)
                try await waitForJobs(store)
                let stored = try #require(try await store.mediaHashes(afterID: 0, limit: 10).first)
                #expect(stored.pdq == nil && stored.md5 == MD5.hex(video) && stored.sha256 == SHA256.hex(video))
                #expect(try await store.item(id: firstID)?.decision == Decision.none)
                #expect(try await store.cases(CaseFilter(), now: 10).isEmpty)

                // The list gains the video's MD5: the stored part is found by the retro-hunt.
                let (status, added) = try await call(
                    client, keys, .post, "/v1/banks/videos/entries", .lead, #"{"type":"md5","values":["\#(MD5.hex(video))"]}"#)
                #expect(status == .ok && added["added"] as? Int == 1)
                let cases = try await waitForCases(store)
                #expect(cases.map(\.itemID) == [firstID] && cases.first?.category == .dissemination)
                #expect(try await store.item(id: firstID)?.decision == .violating)

                // The same video posted again is matched as it is hashed.
                let (_, second) = try await call(client, keys, .post, "/v1/items", .ingest, body("vid-2"))
                let secondID = try firstItemID(second)
                try await waitForJobs(store)
                #expect(try await store.item(id: secondID)?.decision == .violating)
                #expect(Set(try await store.cases(CaseFilter(), now: 10).map(\.itemID)) == [firstID, secondID])
                let audit = try await store.auditLog(after: 0, limit: 100)
                #expect(audit.contains { $0.action == "media.retro_match" && $0.subject == "item:\(firstID)" })
                #expect(audit.contains { $0.action == "media.match" && $0.subject == "item:\(secondID)" })
            }
        }
    }

    /// A platform that hashes a part itself (a video too large to send) sends the hashes only:
    /// they are checked, kept without bytes, matched live and by retro-hunts.
    @Test(arguments: Backend.allCases)
    func mediaSentAsHashesOnlyAreMatchedLiveAndRetroactively(_ backend: Backend) async throws {
        try await withServerStore(backend, "given_media") { store in
            let dir = Self.bankDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let keys = try await makeKeys(store, [.ingest, .lead])
            let (service, _) = try Self.bankedService(store, dir)
            let knownVideo = String(repeating: "ab", count: 16)
            let laterVideo = String(repeating: "cd", count: 16)
            let image = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
            let imagePDQ = PDQHasher().hash(try ImageDecoder().decode(image)).hash.hex
            try await service.application(logger: Logger(label: "test")).test(.live) { client in
                @Sendable func post(_ id: String, _ media: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                    try await call(client, keys, .post, "/v1/items", .ingest, #"{"id":"\#(id)","text":"watch","media":[\#(media)]}"#)
                }
                // Refused, naming the field; nothing stored.
                let refused: [(String, String)] = [
                    (#"{"md5":"xyz"}"#, "media[0].md5"),
                    (#"{"sha256":"\#(knownVideo)"}"#, "media[0].sha256"),
                    (#"{"data":"AAAA","md5":"\#(knownVideo)"}"#, "media[0]"),
                    (#"{"content_type":"video/mp4"}"#, "media[0]"),
                    (#"{"md5":"\#(knownVideo)","pdq_quality":90}"#, "media[0].pdq_quality"),
                    (#"{"pdq":"\#(imagePDQ)","pdq_quality":101}"#, "media[0].pdq_quality"),
                    (#"{"data":""}"#, "media[0].data"),
                    // Later frames' hashes: with a pdq only, each with a hash and a quality, numbered 1 or more.
                    (#"{"md5":"\#(knownVideo)","frames":[{"pdq":"\#(imagePDQ)","quality":90}]}"#, "media[0].frames"),
                    (#"{"pdq":"\#(imagePDQ)","frames":[{"pdq":"\#(imagePDQ)","quality":90},{"pdq":"xyz","quality":90}]}"#, "media[0].frames[1].pdq"),
                    (#"{"pdq":"\#(imagePDQ)","frames":[{"pdq":"\#(imagePDQ)"}]}"#, "media[0].frames[0].quality"),
                    (#"{"pdq":"\#(imagePDQ)","frames":[{"pdq":"\#(imagePDQ)","quality":90,"frame":0}]}"#, "media[0].frames[0].frame"),
                    // A video frame's time: 0 ... a week, in seconds.
                    (#"{"pdq":"\#(imagePDQ)","frames":[{"pdq":"\#(imagePDQ)","quality":90,"second":-1}]}"#, "media[0].frames[0].second"),
                    (#"{"pdq":"\#(imagePDQ)","frames":[{"pdq":"\#(imagePDQ)","quality":90,"second":604801}]}"#, "media[0].frames[0].second"),
                ]
                for (media, field) in refused {
                    let (status, reply) = try await post("bad", media)
                    #expect(status == .badRequest, "\(media)")
                    #expect((reply["error"] as? [String: Any])?["field"] as? String == field, "\(media): \(reply)")
                }
                let tooMany = Array(repeating: #"{"pdq":"\#(imagePDQ)","quality":90}"#, count: 101).joined(separator: ",")
                let (tooManyStatus, tooManyReply) = try await post("bad", #"{"pdq":"\#(imagePDQ)","frames":[\#(tooMany)]}"#)
                #expect(tooManyStatus == .contentTooLarge)
                #expect((tooManyReply["error"] as? [String: Any])?["field"] as? String == "media[0].frames", "\(tooManyReply)")
                #expect(try await store.itemCount() == 0)

                #expect(try await call(client, keys, .post, "/v1/banks", .lead, #"{"name":"known","labels":["category:dissemination"]}"#).0 == .created)
                #expect(try await call(client, keys, .post, "/v1/banks/known/entries", .lead, #"{"type":"md5","values":["\#(knownVideo)"]}"#).0 == .ok)
                #expect(try await call(client, keys, .post, "/v1/banks/known/entries", .lead, #"{"type":"pdq","values":["\#(imagePDQ)"]}"#).0 == .ok)
                try await waitForJobs(store)
                let (_, video) = try await post("video-1", #"{"md5":"\#(knownVideo.uppercased())","content_type":"video/mp4"}"#)
                let videoID = try firstItemID(video)
                let (_, photo) = try await post("photo-1", #"{"pdq":"\#(imagePDQ)","pdq_quality":100}"#)
                let photoID = try firstItemID(photo)
                let (_, other) = try await post("video-2", #"{"md5":"\#(laterVideo)","sha256":"\#(String(repeating: "e", count: 64))"}"#)
                let otherID = try firstItemID(other)
                // A video's keyframes as the platform hashed them: the known picture at frame 60, 2 s in.
                let opening = PDQHash(1, 2, 3, 4).hex
                let (_, keyframes) = try await post(
                    "video-3",
                    #"{"pdq":"\#(opening)","pdq_quality":80,"frames":[{"pdq":"\#(PDQHash(5, 6, 7, 8).hex)","quality":90,"frame":30},{"pdq":"\#(imagePDQ.uppercased())","quality":95,"frame":60,"second":2}]}"#)
                let keyframesID = try firstItemID(keyframes)
                try await waitForJobs(store)
                #expect(try await store.item(id: keyframesID)?.decision == .violating)
                let evidence = try await store.itemContext(itemID: keyframesID)?.media.first?.matchEvidence
                #expect(evidence?.contains(#""type":"pdq","distance":0,"frame":60,"second":2}"#) == true, "\(evidence ?? "nil")")
                #expect(try await store.item(id: videoID)?.decision == .violating)
                #expect(try await store.item(id: photoID)?.decision == .violating)
                #expect(try await store.item(id: otherID)?.decision == Decision.none)
                // No bytes are kept, so the console shows no image for them.
                #expect(try await store.mediaIDs(itemID: videoID).isEmpty)
                #expect(try await store.itemContext(itemID: videoID)?.media.map(\.hashesOnly) == [true])
                let kept = try await store.mediaHashes(afterID: 0, limit: 10)
                #expect(kept.count == 4 && kept.first?.md5 == knownVideo && kept.first?.pdq == nil)
                #expect(kept.last?.frames.map(\.frame) == [30, 60] && kept.last?.frames.last?.hash.hex == imagePDQ)
                #expect(kept.last?.frames.map(\.second) == [nil, 2])

                // The list learns the other video: the retro-hunt finds it.
                #expect(try await call(client, keys, .post, "/v1/banks/known/entries", .lead, #"{"type":"md5","values":["\#(laterVideo)"]}"#).0 == .ok)
                for _ in 0..<200 {
                    if try await store.item(id: otherID)?.decision == .violating { break }
                    try await Task.sleep(nanoseconds: 50_000_000)
                }
                #expect(try await store.item(id: otherID)?.decision == .violating)
                #expect(Set(try await store.cases(CaseFilter(), now: 10).map(\.itemID)) == [videoID, photoID, otherID, keyframesID])
            }
        }
    }

    /// An animation whose first frame is a flat title card (too flat for PDQ) is matched by the
    /// later frame a bank knows: by a retro-hunt for the copy stored before the bank knew it, and
    /// live for the next copy; the evidence names the frame, and the stored part keeps the later
    /// frames' hashes.
    @Test(arguments: Backend.allCases)
    func anAnimationIsMatchedByALaterFrameLiveAndRetroactively(_ backend: Backend) async throws {
        try await withServerStore(backend, "retro_frames") { store in
            let dir = Self.bankDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let keys = try await makeKeys(store, [.ingest, .lead])
            let (service, _) = try Self.bankedService(store, dir)
            let gif = try ServerFixtures.bytes("Tests/BulwarkMediaTests/Fixtures/title-card.gif")
            var scratch = PDQScratch()
            let hashed = try PDQHasher().hashFrames(gif, decoder: ImageDecoder(), scratch: &scratch)
            #expect(hashed.first.quality < BankSet.minimumPDQQuality && hashed.laterFrames.map(\.frame) == [1, 2])
            let picture = hashed.laterFrames[0].hash.hex
            try await service.application(logger: Logger(label: "test")).test(.live) { client in
                @Sendable func body(_ id: String) -> String {
                    #"{"id":"\#(id)","text":"look at this","media":[{"data":"\#(Data(gif).base64EncodedString())"}]}"#
                }
                #expect(try await call(client, keys, .post, "/v1/banks", .lead, #"{"name":"known","labels":["category:dissemination"]}"#).0 == .created)
                let (_, first) = try await call(client, keys, .post, "/v1/items", .ingest, body("gif-1"))
                let firstID = try firstItemID(first)
                try await waitForJobs(store)
                let stored = try #require(try await store.mediaHashes(afterID: 0, limit: 10).first)
                #expect(stored.pdq == hashed.first.hash.hex && stored.frames == hashed.laterFrames)
                let early = try await store.cases(CaseFilter(), now: 10)
                #expect(early.isEmpty, "\(early)")

                // The bank learns the picture the title card hides: the retro-hunt finds the copy.
                let (status, added) = try await call(
                    client, keys, .post, "/v1/banks/known/entries", .lead, #"{"type":"pdq","values":["\#(picture)"]}"#)
                #expect(status == .ok && added["added"] as? Int == 1)
                let cases = try await waitForCases(store)
                #expect(cases.map(\.itemID) == [firstID] && cases.first?.category == .dissemination)
                let retro = try #require(try await store.itemContext(itemID: firstID)?.media.first)
                #expect(retro.matchEvidence?.contains(#""distance":0,"frame":1"#) == true, "\(retro.matchEvidence ?? "nil")")
                #expect(retro.frames == hashed.laterFrames)

                // The next copy is matched as it is hashed.
                let (_, second) = try await call(client, keys, .post, "/v1/items", .ingest, body("gif-2"))
                let secondID = try firstItemID(second)
                try await waitForJobs(store)
                #expect(try await store.item(id: secondID)?.decision == .violating)
                let live = try #require(try await store.itemContext(itemID: secondID)?.media.first)
                #expect(live.matchEvidence?.contains(#""type":"pdq","distance":0,"frame":1"#) == true, "\(live.matchEvidence ?? "nil")")
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func aNewBankEntryFindsMediaStoredBefore(_ backend: Backend) async throws {
        try await withServerStore(backend, "retro") { store in
            let dir = Self.bankDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let keys = try await makeKeys(store, [.ingest, .lead])
            let (service, registry) = try Self.bankedService(store, dir)
            let original = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
            let copy = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/blur-a-little.jpg")
            let known = PDQHasher().hash(try ImageDecoder().decode(original)).hash.hex
            try await service.application(logger: Logger(label: "test")).test(.live) { client in
                #expect(try await call(client, keys, .post, "/v1/banks", .lead, #"{"name":"known","labels":["category:dissemination"]}"#).0 == .created)
                // An image posted in a room before the bank knew it: hashed, no match, no case.
                let body = #"{"id":"img-1","text":"look at this","author":"u-1","container":{"id":"r-1","members":500},"media":[{"data":"\#(Data(copy).base64EncodedString())"}]}"#
                let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, body)
                let itemID = try firstItemID(reply)
                try await waitForJobs(store)
                var item = try #require(try await store.item(id: itemID))
                #expect(item.decision == .none)
                #expect(try await store.cases(CaseFilter(), now: 10).isEmpty)
                let room = try #require(try await store.entities(EntityFilter(kind: .room)).first)
                #expect(room.signals.knownContent == 0 && room.signals.violating == 0)

                // The bank gains the original's hash: the stored copy is found in the background.
                let (status, added) = try await call(client, keys, .post, "/v1/banks/known/entries", .lead, #"{"type":"pdq","values":["\#(known)"]}"#)
                #expect(status == .ok && added["added"] as? Int == 1)
                let cases = try await waitForCases(store)
                #expect(cases.count == 1 && cases.first?.itemID == item.id && cases.first?.category == .dissemination)
                item = try #require(try await store.item(id: itemID))
                #expect(item.decision == .violating)
                let rescored = try #require(try await store.entity(id: room.id))
                #expect(rescored.signals.knownContent == 1 && rescored.signals.violating == 1)
                #expect(rescored.risk > room.risk)
                #expect(rescored.riskParts(at: 10).contains { $0.name == "known content" && abs($0.value - 5) < 1e-9 })
                let audit = try await store.auditLog(after: 0, limit: 100)
                #expect(audit.contains { $0.action == "media.retro_match" && $0.subject == "item:\(item.id)" })
                // A second hunt for the same entry counts nothing twice.
                let first = try #require(registry.banks.activeEntries(bank: "known").map(\.id).min())
                #expect(try await service.retroHunt(fromEntryID: first, logger: Logger(label: "test")))
                #expect(try await store.entity(id: room.id)?.signals.knownContent == 1)
                #expect(try await store.auditLog(after: 0, limit: 100).filter { $0.action == "media.retro_match" }.count == 1)
            }
        }
    }

    /// A retro-hunt is a job in the store: one queued by a process that died before it ran (its
    /// lease expired) is taken up by the next process, which finds the stored image.
    @Test(arguments: Backend.allCases)
    func aRetroHuntLeftByADeadProcessIsDoneByTheNext(_ backend: Backend) async throws {
        try await withServerStore(backend, "retro_restart") { store in
            let dir = Self.bankDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let keys = try await makeKeys(store, [.ingest, .lead])
            let config = Self.config

            // First process: the image is stored and hashed, with no bank yet; its hunt is queued
            // and it dies holding the job (the function's end releases its bank directory lock).
            let first = try await Self.firstProcess(store, keys: keys, config: config, bankDirectory: dir)
            let itemID = first.itemID
            #expect(first.pendingAfterIngest == 0)
            #expect(first.queued)
            #expect(first.queuedAgain == false)
            #expect(first.claimed == [JobKind.retroHunt])
            #expect(first.stolen == false)
            #expect(try await store.cases(CaseFilter(), now: 200).isEmpty)

            // The next process, on the same store and bank directory, takes the job up.
            let reopened = BankRegistry(directory: try BankDirectory(path: dir, writable: true))
            let next = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config, bankRegistry: reopened)
            try await next.application(logger: Logger(label: "test")).test(.live) { _ in
                try await waitForJobs(store)
            }
            #expect(try await store.pendingJobCount() == 0)
            let cases = try await store.cases(CaseFilter(), now: 200)
            #expect(cases.count == 1 && cases.first?.itemID == itemID && cases.first?.category == .dissemination)
            #expect(try await store.item(id: itemID)?.decision == .violating)
        }
    }

    /// What the first process of `aRetroHuntLeftByADeadProcessIsDoneByTheNext` saw, checked by
    /// the test itself.
    struct FirstProcess {
        var itemID: Int64
        var pendingAfterIngest: Int
        var queued: Bool
        var queuedAgain: Bool
        var claimed: [String]
        var stolen: Bool
    }

    /// The first process of `aRetroHuntLeftByADeadProcessIsDoneByTheNext`: a function with no
    /// `#expect` in it. Swift 6.3 sized this function's async frame too small when it held
    /// expectations (AddressSanitizer: heap-buffer-overflow past the task-allocated frame, first
    /// inside an immediately called closure, then here); the heap corruption aborted test runs.
    private static func firstProcess(
        _ store: any ModerationStore, keys: [Role: String], config: ServerConfiguration, bankDirectory dir: String
    ) async throws -> FirstProcess {
        let copy = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/blur-a-little.jpg")
        let known = PDQHasher().hash(try ImageDecoder().decode(try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg"))).hash
        let registry = BankRegistry(directory: try BankDirectory(path: dir, writable: true))
        let first = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config, bankRegistry: registry)
        let itemID = try await first.application(logger: Logger(label: "test")).test(.live) { client in
            let body = #"{"id":"img-1","text":"look","author":"u-1","container":{"id":"r-1","members":50},"media":[{"data":"\#(Data(copy).base64EncodedString())"}]}"#
            let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, body)
            guard let id = ((reply["items"] as? [[String: Any]])?.first)?["item_id"] as? Int else {
                throw BulwarkError(.invalidData, "no item_id in \(reply)")
            }
            try await waitForJobs(store)
            return Int64(id)
        }
        let pending = try await store.pendingJobCount()
        // The bank gains the entry and its hunt is queued, then the process dies holding the
        // job's lease (claimed, never finished; the lease ran out at t = 100).
        let entryID = try await registry.change { (set: inout BankSet) throws(BulwarkError) -> (UInt64, [BankEvent]) in
            var events = try set.create(try Bank(name: "known", labels: ["category:dissemination"], createdAt: 100))
            let (outcome, added) = try set.add(bank: "known", signal: Signal(pdq: known), at: 100)
            events += added
            guard case .added(let entry) = outcome else { throw BulwarkError(.invalidData, "not added") }
            return (entry.id, events)
        }
        let queued = try await store.enqueueRetroHunt(firstEntryID: Int64(entryID), now: 100)
        let queuedAgain = try await store.enqueueRetroHunt(firstEntryID: Int64(entryID) + 1, now: 100)
        let claimed = try await store.claimJobs(owner: "dead", now: 100, lease: 1, limit: 10)
        let stolen = try await store.extendJobLease(jobID: claimed.first?.id ?? -1, owner: "someone-else", until: 200)
        return FirstProcess(
            itemID: itemID, pendingAfterIngest: pending, queued: queued, queuedAgain: queuedAgain,
            claimed: claimed.map(\.kind), stolen: stolen)
    }
}
