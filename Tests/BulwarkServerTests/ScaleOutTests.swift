import BulwarkBanks
import BulwarkCore
import BulwarkMedia
import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// Several `bulwark` processes on one database, simulated in one process: each "process" is a
/// `BulwarkService` of its own; the tests also run against PostgreSQL.
struct ScaleOutTests {
    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    func key(_ store: any ModerationStore, _ role: Role) async throws -> String {
        let key = APIKeys.generate()
        _ = try await store.createKey(
            name: "\(role.rawValue)-1", role: role, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: 1)
        return key
    }

    /// Runs `services` in a service group (no signals) while `body` runs, then shuts them down gracefully.
    func running(_ services: [any Service], _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(services: services, logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    // MARK: Back-pressure

    @Test(arguments: Backend.allCases)
    func ingestAnswers503WithRetryAfterAtTheBoundAndAcceptsAgainAfterTheQueueDrains(_ backend: Backend) async throws {
        try await withServerStore(backend, "backpressure") { store in try await backPressure(store) }
    }

    func backPressure(_ store: any ModerationStore) async throws {
        let key = try await key(store, .ingest)
        let image = try ServerFixtures.bytes("../shared/data/pdq/misc-images/wee.jpg")
        let config = ServerConfiguration(
            port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20, workerPollMilliseconds: 20, maxQueueDepth: 2)
        let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config)
        let headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        // An API process only: nothing works the queue.
        try await service.application(logger: Self.logger, background: false).test(.router) { client in
            for n in 0..<2 {
                let body = #"{"id":"img-\#(n)","text":"a picture","media":[{"data":"\#(Data(image).base64EncodedString())"}]}"#
                let r = try await client.execute(uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(r.status == .ok)
            }
            #expect(try await store.pendingJobCount() == 2)
            // The depth is re-read at most every 100 ms: within a few seconds ingest is refused.
            var refused: (status: HTTPResponse.Status, retryAfter: String?, body: [String: Any])? = nil
            for n in 0..<100 {
                let r = try await client.execute(
                    uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: #"{"id":"probe-\#(n)","text":"hello"}"#))
                if r.status == .serviceUnavailable {
                    let json = try JSONSerialization.jsonObject(with: Data(bytesOf: r.body)) as? [String: Any]
                    refused = (r.status, r.headers[.retryAfter], (json?["error"] as? [String: Any]) ?? [:])
                    // What was refused was not stored.
                    #expect(try await store.item(platform: "ingest-1", externalID: "probe-\(n)") == nil)
                    break
                }
                #expect(r.status == .ok)
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            let answer = try #require(refused, "ingest was never refused with the queue at its bound")
            #expect(answer.retryAfter.flatMap(Int.init) ?? 0 >= 1)
            #expect(answer.body["code"] as? String == "overloaded")
            #expect(answer.body["depth"] as? Int == 2)
            #expect(answer.body["limit"] as? Int == 2)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains("bulwark_queue_depth 2\n"))
            #expect(metrics.contains("bulwark_queue_bound 2\n"))

            // A worker drains the queue; ingest is accepted again, and the refused item can be sent again.
            try await running([JobWorker(service: service, logger: Self.logger)]) {
                for _ in 0..<200 {
                    if try await store.pendingJobCount() == 0 { break }
                    try await Task.sleep(nanoseconds: 50_000_000)
                }
            }
            #expect(try await store.pendingJobCount() == 0)
            var accepted = false
            for _ in 0..<100 {
                let r = try await client.execute(
                    uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: #"{"id":"after","text":"hello"}"#))
                if r.status == .ok {
                    accepted = true
                    break
                }
                #expect(r.status == .serviceUnavailable)
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            #expect(accepted)
            #expect(try await store.item(platform: "ingest-1", externalID: "after") != nil)
            // Both images were hashed once each.
            for n in 0..<2 {
                let item = try #require(try await store.item(platform: "ingest-1", externalID: "img-\(n)"))
                let context = try #require(try await store.itemContext(itemID: item.id))
                #expect(context.media.map(\.status) == ["hashed"])
            }
        }
    }

    // MARK: A job that ends every worker

    /// A part whose hashing ends every worker that starts it (as a file that crashes a decoder
    /// would, decoded in the service's own process with `--decode-in-process`) is not taken up
    /// forever: after five attempts started and never ended, the next worker records it as not
    /// decoded and matches it by its exact hashes, as a decoder process's crash would. The part
    /// queued behind it in each dead worker's batch, never started, is hashed as usual.
    @Test(arguments: Backend.allCases)
    func aJobThatEndedEveryWorkerIsAbandonedAndItsPartMatchedByItsExactHashes(_ backend: Backend) async throws {
        try await withTestStore(backend, "abandon") { t in try await abandoned(t) }
    }

    func abandoned(_ t: TestStore) async throws {
        let store = t.store
        let key = try await key(store, .ingest)
        let poison = try ServerFixtures.bytes("../shared/data/pdq/misc-images/wee.jpg")
        let other = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
        var banks = BankSet()
        _ = try banks.create(Bank(name: "known", labels: ["category:dissemination"]))
        _ = try banks.add(bank: "known", signal: Signal(.md5, MD5.hex(poison)), at: 1)
        let config = ServerConfiguration(port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20, workerPollMilliseconds: 20)
        let clock = TestClock(1_000)
        let service = BulwarkService(
            store: store, engine: try ServerFixtures.engine.get(), configuration: config, banks: banks, clock: { clock.time })
        let headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        try await service.application(logger: Self.logger, background: false).test(.router) { client in
            for (id, image) in [("poison", poison), ("other", other)] {
                let body = #"{"id":"\#(id)","text":"a picture","media":[{"data":"\#(Data(image).base64EncodedString())"}]}"#
                let r = try await client.execute(uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(r.status == .ok)
            }
        }
        // Five workers each claim both jobs, start the first and die with it: its lease runs out.
        for round in Int64(0)..<5 {
            let now = 1_000 + 100 * round
            let batch = try await store.claimJobs(owner: "dead-\(round)", now: now, lease: 60, limit: 10)
            #expect(batch.map(\.attempts) == [Int(round), 0])
            #expect(try await store.startJob(jobID: batch[0].id, owner: "dead-\(round)", until: now + 60)?.mediaBytes == poison)
        }
        clock.set(2_000)
        try await running([JobWorker(service: service, logger: Self.logger)]) { try await waitForJobs(store) }
        #expect(try await store.pendingJobCount() == 0)

        let poisonItem = try #require(try await store.item(platform: "ingest-1", externalID: "poison"))
        let poisonPart = try #require(try await store.itemContext(itemID: poisonItem.id)?.media.first)
        // Not decoded (the JPEG itself decodes well) and matched by its MD5: a case opened.
        #expect(poisonPart.status == "hashed")
        #expect(poisonPart.pdq == nil)
        #expect(poisonPart.matchEvidence?.contains(#""type":"md5""#) == true)
        #expect(try await store.cases(CaseFilter(), now: 2_000).map(\.itemID) == [poisonItem.id])
        let reason = "notDecoded: hashing this part was started 5 times and never ended: each time, the process working on it stopped or its 60 s lease ran out; it is matched by its MD5 and SHA-256 only"
        #expect(try await t.integer("SELECT COUNT(*) FROM media WHERE id = \(poisonPart.id) AND error = '\(reason)' AND md5 IS NOT NULL") == 1)
        #expect(try await t.integer("SELECT attempts FROM jobs WHERE ref = \(poisonPart.id)") == 5)
        #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == 2)

        let otherItem = try #require(try await store.item(platform: "ingest-1", externalID: "other"))
        let otherPart = try #require(try await store.itemContext(itemID: otherItem.id)?.media.first)
        #expect(otherPart.status == "hashed")
        #expect(otherPart.pdq != nil)
        #expect(try await t.integer("SELECT COUNT(*) FROM media WHERE id = \(otherPart.id) AND error IS NULL") == 1)
        #expect(try await t.integer("SELECT attempts FROM jobs WHERE ref = \(otherPart.id)") == 1)
        let metrics = try await service.application(logger: Self.logger, background: false).test(.router) { client in
            String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
        }
        #expect(metrics.contains(#"bulwark_media_jobs_total{outcome="abandoned"} 1"#))
        #expect(metrics.contains(#"bulwark_media_jobs_total{outcome="hashed"} 1"#))

        // A retro-hunt started five times and never ended is failed by the next worker, with the
        // reason, and counted for an alert (it reads no uploaded file: the fault is the
        // service's); it is done again on request, below.
        #expect(try await store.enqueueRetroHunt(firstEntryID: 1, now: 2_000))
        for round in Int64(0)..<5 {
            let now = 2_000 + 100 * round
            let batch = try await store.claimJobs(owner: "dead-hunter-\(round)", now: now, lease: 60, limit: 10)
            #expect(batch.map(\.attempts) == [Int(round)])
            #expect(try await store.startJob(jobID: batch[0].id, owner: "dead-hunter-\(round)", until: now + 60) == StartedJob(mediaBytes: nil))
        }
        clock.set(3_000)
        try await running([JobWorker(service: service, logger: Self.logger)]) { try await waitForJobs(store) }
        let crashedHunt = try #require(try await store.jobs(status: "failed", afterID: 0, limit: 10).first)
        #expect(crashedHunt.kind == JobKind.retroHunt && crashedHunt.attempts == 5)
        #expect(
            crashedHunt.lastError
                == "started 5 times and never ended: each time, the process working on it stopped or its 60 s lease ran out; do it again with POST /v1/jobs/\(crashedHunt.id)/retry once the cause is mended")
        #expect(try await store.pendingJobCount() == 0)
        #expect(try await store.depths().failedJobs == 1)

        // The jobs as the API lists them; the part not decoded is done again on request (once
        // the decoders are mended), and this time decoded.
        let admin = try await self.key(store, .admin)
        let reviewer = try await self.key(store, .reviewer)
        let poisonJob = try #require(try await store.jobs(status: nil, afterID: 0, limit: 10).first { $0.kind == JobKind.hashMedia && $0.ref == poisonPart.id })
        try await service.application(logger: Self.logger, background: false).test(.router) { client in
            func call(_ method: HTTPRequest.Method, _ uri: String, _ key: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let r = try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(key)"])
                return (r.status, (try? JSONSerialization.jsonObject(with: Data(bytesOf: r.body)) as? [String: Any]) ?? [:])
            }
            let (status, listing) = try await call(.get, "/v1/jobs?status=done&limit=2", admin)
            #expect(status == .ok)
            let page = try #require(listing["jobs"] as? [[String: Any]])
            #expect(page.map { $0["status"] as? String } == ["done", "done"])
            #expect(page.first?["kind"] as? String == "hash_media" && page.first?["attempts"] as? Int == 5)
            #expect(page.allSatisfy { ($0["ended_at"] as? Int ?? 0) > 0 }, "\(page)")
            #expect(listing["next_after"] as? Int == page.last?["id"] as? Int)
            let (_, rest) = try await call(.get, "/v1/jobs?status=done&after=\(listing["next_after"] as? Int ?? 0)", admin)
            #expect((rest["jobs"] as? [[String: Any]])?.isEmpty == true)
            let (_, failed) = try await call(.get, "/v1/jobs?status=failed", admin)
            #expect((failed["jobs"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["retro_hunt"])
            #expect(try await call(.get, "/v1/jobs?status=finished", admin).0 == .badRequest)
            #expect(try await call(.get, "/v1/jobs", reviewer).0 == .forbidden)
            #expect(try await call(.post, "/v1/jobs/\(poisonJob.id)/retry", reviewer).0 == .forbidden)
            #expect(try await call(.post, "/v1/jobs/999999/retry", admin).0 == .notFound)
            let (retried, body) = try await call(.post, "/v1/jobs/\(poisonJob.id)/retry", admin)
            #expect(retried == .accepted && body["status"] as? String == "queued" && body["id"] as? Int == Int(poisonJob.id))
            // Queued now: asked again, it is a conflict.
            #expect(try await call(.post, "/v1/jobs/\(poisonJob.id)/retry", admin).0 == .conflict)
            let (_, queued) = try await call(.get, "/v1/jobs?status=queued", admin)
            #expect((queued["jobs"] as? [[String: Any]])?.map { $0["attempts"] as? Int } == [0])
        }
        #expect(try await store.itemContext(itemID: poisonItem.id)?.media.first?.status == "queued")
        clock.set(4_000)
        try await running([JobWorker(service: service, logger: Self.logger)]) { try await waitForJobs(store) }
        let decoded = try #require(try await store.itemContext(itemID: poisonItem.id)?.media.first)
        #expect(decoded.status == "hashed" && decoded.pdq != nil)
        #expect(try await t.integer("SELECT COUNT(*) FROM media WHERE id = \(poisonPart.id) AND error IS NULL") == 1)
        #expect(try await t.integer("SELECT attempts FROM jobs WHERE id = \(poisonJob.id)") == 1)
        // Still one case, one match counted.
        #expect(try await store.cases(CaseFilter(), now: 4_000).map(\.itemID) == [poisonItem.id])

        // The failed retro-hunt is queued again the same way, and done; the part it finds was
        // matched already: counted once.
        let hunt = crashedHunt
        #expect(try await store.depths().failedJobs == 1)
        let failedMetric = try await service.application(logger: Self.logger, background: false).test(.router) { client in
            String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
        }
        #expect(failedMetric.contains("bulwark_failed_jobs 1\n"))
        #expect(try await store.retryJob(jobID: hunt.id, now: 4_002) == "failed")
        clock.set(5_000)
        try await running([JobWorker(service: service, logger: Self.logger)]) { try await waitForJobs(store) }
        #expect(try await store.jobs(status: "failed", afterID: 0, limit: 10).isEmpty)
        #expect(try await store.depths().failedJobs == 0)
        #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE id = \(hunt.id) AND status = 'done' AND attempts = 1") == 1)
        #expect(try await store.cases(CaseFilter(), now: 5_000).map(\.itemID) == [poisonItem.id])
    }

    // MARK: Shared banks

    @Test(arguments: Backend.allCases)
    func aBankChangeThroughOneProcessReachesAnotherWithinSeconds(_ backend: Backend) async throws {
        try await withServerStore(backend, "sharedbanks") { store in try await sharedBanks(store) }
    }

    func sharedBanks(_ store: any ModerationStore) async throws {
        let admin = try await key(store, .admin)
        let engine = try ServerFixtures.engine.get()
        let config = ServerConfiguration(port: 0, bankPollMilliseconds: 100)
        // Two processes' views of the banks, each loaded from the database.
        let registryA = try await BankRegistry.shared(store: store)
        let registryB = try await BankRegistry.shared(store: store)
        let a = BulwarkService(store: store, engine: engine, configuration: config, bankRegistry: registryA)
        let b = BulwarkService(store: store, engine: engine, configuration: config, bankRegistry: registryB)
        let headers: HTTPFields = [.authorization: "Bearer \(admin)", .contentType: "application/json"]
        let image = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
        let pdq = PDQHasher().hash(try ImageDecoder().decode(image)).hash
        let other = try ServerFixtures.bytes("../shared/data/pdq/misc-images/wee.jpg")
        let otherPDQ = PDQHasher().hash(try ImageDecoder().decode(other)).hash

        try await running([BankSync(registry: registryB, intervalMilliseconds: 100, logger: Self.logger)]) {
            try await a.application(logger: Self.logger, background: false).test(.router) { client in
                let created = try await client.execute(
                    uri: "/v1/banks", method: .post, headers: headers,
                    body: ByteBuffer(string: #"{"name":"known","labels":["category:dissemination"]}"#))
                #expect(created.status == .created || created.status == .ok)
                let added = try await client.execute(
                    uri: "/v1/banks/known/entries", method: .post, headers: headers,
                    body: ByteBuffer(string: #"{"type":"pdq","values":["\#(pdq.hex)"]}"#))
                #expect(added.status == .ok)
            }
            // B, which was never told, matches the image within seconds.
            var matched = false
            for _ in 0..<100 {
                if registryB.banks.match(MediaHashes(pdq: pdq, pdqQuality: 100)).decision == .violating {
                    matched = true
                    break
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            #expect(matched, "process B did not see the bank change made through process A")
        }
        #expect(registryB.sequence == registryA.sequence)

        // Changes made through both at once: each is made once, on top of the other, and both
        // processes end with the same banks (the same entry ids).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (service, hash) in [(a, pdq.hex), (b, otherPDQ.hex)] {
                group.addTask {
                    try await service.application(logger: Self.logger, background: false).test(.router) { client in
                        let r = try await client.execute(
                            uri: "/v1/banks/known/entries", method: .post, headers: headers,
                            body: ByteBuffer(string: #"{"type":"pdq","values":["\#(hash)","\#(String(hash.reversed()))"]}"#))
                        #expect(r.status == .ok)
                    }
                }
            }
            try await group.waitForAll()
        }
        try await registryA.sync()
        try await registryB.sync()
        #expect(registryA.sequence == registryB.sequence)
        let entriesA = registryA.banks.entries.map { "\($0.id) \($0.signal.value)" }
        let entriesB = registryB.banks.entries.map { "\($0.id) \($0.signal.value)" }
        #expect(entriesA == entriesB)
        // The first hash was already there: three new entries, none twice.
        #expect(entriesA.count == 4)
        #expect(Set(registryA.banks.entries.map(\.signal.value)).count == 4)
        // A third process starting now loads the same banks from the database.
        let registryC = try await BankRegistry.shared(store: store)
        #expect(registryC.banks.entries.map { "\($0.id) \($0.signal.value)" } == entriesA)

        try await burst(through: [a, b], registries: [registryA, registryB], headers: headers, store: store)
    }

    /// A burst: 12 additions at once through each process. Every one is made (the log is locked
    /// for each change, which is made on the latest banks: no retries to lose). (Written inline
    /// at the end of `sharedBanks` once, the test process aborted with heap corruption. The cause,
    /// found later with AddressSanitizer: `sharedBanks` held a `PDQHash`, then a 32-byte-aligned
    /// vector, across its awaits, and Swift 6.3 makes such a frame larger than the context
    /// allocated for it (swiftlang/swift#91639). `PDQHash` is now 8-byte aligned.)
    func burst(
        through services: [BulwarkService], registries: [BankRegistry], headers: HTTPFields, store: any ModerationStore
    ) async throws {
        let (registryA, registryB) = (registries[0], registries[1])
        let before = registryA.banks.entries.count
        @Sendable func randomPDQ() -> String { (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined() }
        let statuses = try await withThrowingTaskGroup(of: [HTTPResponse.Status].self) { group in
            for service in services {
                group.addTask {
                    try await service.application(logger: Self.logger, background: false).test(.router) { client in
                        try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { requests in
                            for _ in 0..<12 {
                                requests.addTask {
                                    try await client.execute(
                                        uri: "/v1/banks/known/entries", method: .post, headers: headers,
                                        body: ByteBuffer(string: #"{"type":"pdq","values":["\#(randomPDQ())"]}"#)
                                    ).status
                                }
                            }
                            var answered: [HTTPResponse.Status] = []
                            for try await status in requests { answered.append(status) }
                            return answered
                        }
                    }
                }
            }
            var answered: [HTTPResponse.Status] = []
            for try await part in group { answered += part }
            return answered
        }
        #expect(statuses == Array(repeating: .ok, count: 24))
        try await registryA.sync()
        try await registryB.sync()
        #expect(registryA.banks.entries.count == before + 24)
        #expect(registryA.banks.entries.map { "\($0.id) \($0.signal.value)" } == registryB.banks.entries.map { "\($0.id) \($0.signal.value)" })
        let registryD = try await BankRegistry.shared(store: store)
        #expect(registryD.sequence == registryA.sequence && registryD.banks.entries.count == before + 24)
    }

    // MARK: Webhooks

    /// Decisions delivered by two workers to a receiver that first answers 500, then hangs past
    /// the timeout, then recovers: every delivery arrives, with its one delivery id.
    @Test func everyDecisionReachesAFlakyReceiverThroughTwoWorkers() async throws {
        try await withServerStore(.postgres, "flakyhook") { store in try await flakyReceiver(store) }
    }

    func flakyReceiver(_ store: any ModerationStore) async throws {
        let ingest = try await key(store, .ingest)
        let receiver = FlakyReceiver(failuresFirst: 4, hangsFirst: 2, hang: .seconds(3))
        let receiverApp = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await receiverApp.test(.live) { receiverClient in
            try await store.setSetting("webhook.url", "http://127.0.0.1:\(receiverClient.port!)/hook", actor: "test", now: 1)
            try await store.setSetting("webhook.secret", "s3cret", actor: "test", now: 1)
            let config = ServerConfiguration(
                port: 0, webhookInitialBackoff: 0, webhookTimeout: 1, workerPollMilliseconds: 20)
            let engine = try ServerFixtures.engine.get()
            let api = BulwarkService(store: store, engine: engine, configuration: config)
            // Items that open cases, decided by a reviewer: one delivery each.
            try await api.application(logger: Self.logger, background: false).test(.router) { client in
                for n in 0..<6 {
                    let r = try await client.execute(
                        uri: "/v1/items", method: .post, headers: [.authorization: "Bearer \(ingest)"],
                        body: ByteBuffer(string: #"{"id":"room-\#(n)","type":"title","text":"Supporters of the Islamic State"}"#))
                    #expect(r.status == .ok)
                }
            }
            var expected: Set<String> = []
            for c in try await store.cases(CaseFilter(limit: 100), now: 10) {
                let outcome = try await store.decide(
                    caseID: c.id, reviewer: "reviewer-1", decision: NewDecision(action: .remove, category: .dissemination),
                    webhookBody: { d, _ in #"{"event":"decision","decision_id":\#(d.id)}"# }, now: 10)
                if case .decided(_, let deliveryID?) = outcome { expected.insert(deliveryID) }
            }
            #expect(expected.count == 6)
            // Two worker processes deliver.
            let workers = [
                WebhookSender(service: BulwarkService(store: store, engine: engine, configuration: config), logger: Self.logger),
                WebhookSender(service: BulwarkService(store: store, engine: engine, configuration: config), logger: Self.logger),
            ]
            try await running(workers) {
                for _ in 0..<600 {
                    if try await store.deliveries(status: "delivered").count == expected.count { break }
                    try await Task.sleep(nanoseconds: 50_000_000)
                }
            }
            let delivered = try await store.deliveries(status: "delivered")
            #expect(Set(delivered.map(\.deliveryID)) == expected)
            #expect(try await store.deliveries(status: "pending").isEmpty)
            #expect(try await store.deliveries(status: "dead").isEmpty)
            // At least once: every delivery id arrived, and only those.
            let received = receiver.received.withLock { $0 }
            #expect(Set(received) == expected)
            #expect(receiver.failed.withLock { $0 } == 4)
            #expect(receiver.hung.withLock { $0 } == 2)
        }
    }
}

/// A webhook receiver that answers its first `failuresFirst` requests with 500, then makes
/// the next `hangsFirst` wait `hang` (past the sender's timeout), then accepts; it keeps the
/// delivery ids it accepted.
final class FlakyReceiver: Sendable {
    let received = Mutex<[String]>([])
    let failed = Mutex(0)
    let hung = Mutex(0)
    let failuresFirst: Int
    let hangsFirst: Int
    let hang: Duration

    init(failuresFirst: Int, hangsFirst: Int, hang: Duration) {
        self.failuresFirst = failuresFirst
        self.hangsFirst = hangsFirst
        self.hang = hang
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            var request = request
            _ = try await request.collectBody(upTo: 1 << 20)
            if Self.take(self.failed, upTo: self.failuresFirst) { return Response(status: .internalServerError) }
            if Self.take(self.hung, upTo: self.hangsFirst) {
                try? await Task.sleep(for: self.hang)
                return Response(status: .gatewayTimeout)
            }
            let id = header(request.headers, "bulwark-delivery")
            self.received.withLock { $0.append(id) }
            return Response(status: .noContent)
        }
        return router
    }

    /// Counts one more while the count is under `limit`; whether it did.
    static func take(_ count: borrowing Mutex<Int>, upTo limit: Int) -> Bool {
        count.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }
}
