import BulwarkBanks
import BulwarkCore
import BulwarkEntities
import BulwarkStore
import BulwarkText
import Foundation
public import Hummingbird
import Logging
import NIOCore

extension BulwarkService {
    /// The API's router: thin handlers that check the caller's role, decode, call the
    /// service or the store, and encode.
    public func router() -> Router<BulwarkRequestContext> {
        let router = Router(context: BulwarkRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: ServerTimingMiddleware())
        router.get("/metrics") { _, _ -> Response in
            let d = try await store.depths()
            let orders = try await removalOrderClocks()
            let banks = bankRegistry.map { registry in
                let (set, sequence) = (registry.banks, registry.sequence)
                return [
                    ("bulwark_bank_entries_active", "Hash-bank entries active in every bank together.", set.activeEntryCount),
                    ("bulwark_bank_sequence", "The last bank-log event in this process's banks.", Int(sequence)),
                    (
                        "bulwark_bank_snapshot_sequence",
                        "The bank-log event the newest bank snapshot covers (0: none); a process starting replays the events after it.",
                        Int(registry.snapshotSequence)
                    ),
                ]
            }
            let text = metrics.render(gauges: (banks ?? []) + [
                ("bulwark_open_cases", "Cases open, claimed or escalated (the review queue's depth).", d.openCases),
                ("bulwark_pending_jobs", "Background jobs queued or running.", d.pendingJobs),
                ("bulwark_failed_jobs", "Background jobs failed, waiting to be done again (GET /v1/jobs?status=failed).", d.failedJobs),
                ("bulwark_pending_deliveries", "Webhook deliveries waiting.", d.pendingDeliveries),
                ("bulwark_dead_deliveries", "Webhook deliveries dead-lettered.", d.deadDeliveries),
                ("bulwark_queue_depth", "Background jobs queued or running: the depth back-pressure compares with its bound.", d.pendingJobs),
                ("bulwark_queue_bound", "The queue depth at which POST /v1/items answers 503 (0: no bound).", configuration.maxQueueDepth),
                ("bulwark_removal_orders_open", "Removal orders of the last 7 days actioned but not yet confirmed by the platform.", orders.open),
                ("bulwark_removal_orders_due_soon", "Open removal orders within 15 minutes of their one-hour deadline (alert).", orders.dueSoon),
                ("bulwark_removal_orders_overdue", "Open removal orders past their one-hour deadline (alert).", orders.overdue),
                ("bulwark_removal_order_seconds_left", "Seconds to the nearest open removal order's deadline (3600 when none is open).", orders.secondsLeft),
            ])
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        // Ready: the database answers and the index of removed texts is read (an ingest request
        // before then waits for that read).
        router.get("/readyz") { _, _ -> Response in
            try await store.ping()
            guard await removedTexts.hasLoaded else {
                return Response(
                    status: .serviceUnavailable, headers: [.retryAfter: "1"],
                    body: .init(byteBuffer: ByteBuffer(string: "not ready: reading the index of removed texts\n")))
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
        }

        router.get("/openapi.json") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }

        let v1 = router.group("v1")
        v1.post("items") { request, context -> Response in
            let key = try await require(request, [.ingest, .admin])
            // Back-pressure: refused before anything is read or stored.
            if let depth = try await queue.overBound(store) {
                throw APIError.overloaded(depth: depth, bound: queue.bound)
            }
            let body = try await self.body(request)
            let payloads = try decode(IngestBody.self, body).items
            let out = try await ingest(payloads, platformDefault: key.name)
            return json(out, status: .ok)
        }

        v1.post("reports") { request, context -> Response in
            let key = try await require(request, [.ingest, .admin])
            let p = try decode(ReportPayload.self, try await self.body(request))
            let platform = p.platform ?? key.name
            var item = try await store.item(platform: platform, externalID: p.item_id)
            if item == nil {
                guard let text = p.text else {
                    throw APIError.notFound("item \(platform)/\(p.item_id) is unknown: send it to /v1/items or include its text")
                }
                _ = try await ingest([ItemPayload(platform: platform, id: p.item_id, text: text)], platformDefault: platform)
                item = try await store.item(platform: platform, externalID: p.item_id)
            }
            guard let item else { throw APIError.notFound("item \(p.item_id)") }
            guard !p.reporter.isEmpty, p.reporter.utf8.count <= 256 else {
                throw APIError.invalid("reporter must be 1-256 bytes", field: "reporter")
            }
            let trusted = p.trusted_flagger ?? false
            let base = ReviewPriority.base(
                score: item.score, category: nil, reach: item.containerReach ?? 0, userReports: trusted ? 0 : 1,
                trustedReports: trusted ? 1 : 0)
            // A case the report opens gets the item's content key, so copies the platform's users
            // report are found and decided together as flagged ones are.
            let hasMedia = !(try await store.itemContext(itemID: item.id)?.media.isEmpty ?? true)
            let contentKey = hasMedia ? nil : ContentKey.of(item.text, normalizer: engine.normalizer)
            let outcome = try await store.report(
                itemID: item.id, reporter: p.reporter, trusted: trusted, reason: p.reason, text: p.note,
                basePriority: base, contentKey: contentKey, now: clock())
            let status = ReportStatus(
                id: outcome.report.id, status: outcome.report.status, case_id: outcome.report.caseID,
                duplicate: outcome.duplicate, created_at: outcome.report.createdAt)
            return try encode(status, status: outcome.duplicate ? .ok : .created)
        }

        v1.get("reports/:id") { request, context -> Response in
            _ = try await require(request, [.ingest, .reviewer, .lead, .admin, .auditor])
            let id = try context.parameters.require("id", as: Int64.self)
            guard let r = try await store.report(id: id) else { throw APIError.notFound("no report \(id)") }
            return try encode(ReportStatus(id: r.id, status: r.status, case_id: r.caseID, duplicate: nil, created_at: r.createdAt))
        }

        // An item by the platform's id: where it stands now (after every decision on it), its
        // verdict, its case and the decisions, so a platform can reconcile its state with
        // Bulwark's without replaying webhooks.
        v1.get("items/:id") { request, context -> Response in
            let key = try await require(request, [.ingest, .reviewer, .lead, .admin, .auditor])
            let raw = try context.parameters.require("id")
            let id = raw.removingPercentEncoding ?? raw
            let q = QueryReader(request)
            let platform = q.text("platform") ?? key.name
            guard (1...Self.maxItemIDBytes).contains(id.utf8.count) else {
                throw APIError.invalid("an item id is 1 ... \(Self.maxItemIDBytes) bytes: got \(id.utf8.count)", field: "id")
            }
            guard (1...Self.maxPlatformBytes).contains(platform.utf8.count) else {
                throw APIError.invalid("platform is 1 ... \(Self.maxPlatformBytes) bytes: got \(platform.utf8.count)", field: "platform")
            }
            guard let item = try await store.item(platform: platform, externalID: id) else {
                throw APIError.notFound(
                    "item \(platform)/\(id) is unknown (the platform is the key's name unless ?platform= names another)")
            }
            let now = clock()
            var detail: CaseDetail? = nil
            if let caseID = try await store.caseID(ofItem: item.id) { detail = try await store.caseDetail(id: caseID, now: now) }
            return json(itemStateJSON(item, detail), status: .ok)
        }

        v1.get("cases") { request, context -> Response in
            _ = try await require(request, [.reviewer, .lead, .admin, .auditor])
            let q = QueryReader(request)
            var filter = CaseFilter()
            filter.source = try q.choice("queue", as: CaseSource.self)
            filter.status = try q.choice("status", as: CaseStatus.self)
            filter.category = try q.choice("category", as: Category.self)
            if let language = q.text("language") {
                guard (1...16).contains(language.utf8.count) else {
                    throw APIError.invalid("language must be a language code (1 ... 16 bytes): got \(QueryReader.quoted(language))", field: "language")
                }
                filter.language = language
            }
            filter.limit = try q.limit(maximum: 500, standard: filter.limit)
            let cases = try await store.cases(filter, now: clock())
            let copies = try await store.openCopyCounts(ofCases: cases.map(\.id))
            return try encode(["cases": cases.map { CaseSummary($0, openCopies: copies[$0.id]) }])
        }

        v1.get("cases/:id") { request, context -> Response in
            _ = try await require(request, [.reviewer, .lead, .admin, .auditor])
            let id = try context.parameters.require("id", as: Int64.self)
            let now = clock()
            guard let d = try await store.caseDetail(id: id, now: now) else { throw APIError.notFound("no case \(id)") }
            let copies = try await store.openCopies(ofCase: id, limit: Self.maxCopiesPerDecision)
            return json(caseJSON(d, now: now, openCopies: copies), status: .ok)
        }

        v1.post("cases/:id/claim") { request, context -> Response in
            let key = try await require(request, [.reviewer, .lead])
            let id = try context.parameters.require("id", as: Int64.self)
            let now = clock()
            switch try await store.claim(caseID: id, reviewer: key.name, until: now + configuration.claimSeconds, now: now) {
            case .claimed(let until): return try encode(["claimed_until": until])
            case .heldBy(let who, let until): throw APIError.conflict("case \(id) is claimed by \(who) until \(until)")
            case .closed: throw APIError.conflict("case \(id) is already decided")
            case .notFound: throw APIError.notFound("no case \(id)")
            }
        }

        v1.post("cases/:id/decisions") { request, context -> Response in
            let key = try await require(request, [.reviewer, .lead])
            let id = try context.parameters.require("id", as: Int64.self)
            let p = try decode(DecisionPayload.self, try await self.body(request))
            return try await decideCase(id: id, reviewer: key.name, p)
        }

        v1.get("deliveries") { request, context -> Response in
            _ = try await require(request, [.lead, .admin, .auditor])
            let q = QueryReader(request)
            let status = try q.choice("status", in: ["pending", "delivered", "dead"])
            let after = try q.integer("after", in: 0...Int64.max, meaning: "a delivery id") ?? 0
            let limit = try q.limit(maximum: Self.maxDeliveryPage)
            let list = try await store.deliveries(status: status, afterID: after, limit: limit)
            struct Listing: Encodable { var deliveries: [DeliveryView]; var next_after: Int64 }
            return try encode(Listing(deliveries: list.map(DeliveryView.init), next_after: list.last?.id ?? after))
        }

        v1.post("deliveries/:id/redeliver") { request, context -> Response in
            _ = try await require(request, [.lead, .admin])
            let id = try context.parameters.require("id")
            guard try await store.redeliver(deliveryID: id, now: clock()) else { throw APIError.notFound("no delivery \(id)") }
            return try encode(["delivery_id": id, "status": "pending"], status: .accepted)
        }

        v1.get("jobs") { request, context -> Response in
            _ = try await require(request, ConsoleSettings.jobReaders)
            let q = QueryReader(request)
            let status = try q.choice("status", in: ["queued", "running", "done", "failed"])
            let after = try q.integer("after", in: 0...Int64.max, meaning: "a job id") ?? 0
            let limit = try q.limit(maximum: Self.maxJobPage)
            let list = try await store.jobs(status: status, afterID: after, limit: limit)
            struct Listing: Encodable { var jobs: [JobView]; var next_after: Int64 }
            return try encode(Listing(jobs: list.map(JobView.init), next_after: list.last?.id ?? after))
        }

        v1.post("jobs/:id/retry") { request, context -> Response in
            let key = try await require(request, ConsoleSettings.jobRetriers)
            let id = try context.parameters.require("id", as: Int64.self)
            try await queueJobAgain(id: id, actor: key.name, logger: context.logger)
            struct Queued: Encodable { var id: Int64; var status = "queued" }
            return try encode(Queued(id: id), status: .accepted)
        }

        addBankRoutes(v1)
        addEntityRoutes(v1)
        addRemovalOrderRoutes(v1)
        addAppealRoutes(v1)
        addTransparencyRoutes(v1)
        addPreservationRoutes(v1)
        addReferralRoutes(v1)
        addStatementRoutes(v1)
        addConsoleRoutes(router)
        addConsoleDueProcessRoutes(router)
        addConsoleAdminRoutes(router)

        v1.get("audit") { request, context -> Response in
            _ = try await require(request, [.auditor, .admin])
            let q = QueryReader(request)
            let after = try q.integer("after", in: 0...Int64.max, meaning: "an audit sequence number") ?? 0
            let entries = try await store.auditLog(after: after, limit: try q.limit(maximum: Self.maxAuditPage))
            struct Listing: Encodable { var entries: [AuditRecord]; var next_after: Int64 }
            return try encode(Listing(entries: entries, next_after: entries.last?.seq ?? after))
        }
        return router
    }

    /// What a case's decision recorded: an item case's decision (with its copies', when asked),
    /// or the response of the entity's decision an entity case was handed to.
    enum CaseDecisionResult {
        case item(DecisionRecord, deliveryID: String?, copies: CopiesOutcome?)
        case entity(Response)
    }

    /// A case's decision for the API: ``recordCaseDecision(id:reviewer:_:)``, answered as JSON.
    func decideCase(id: Int64, reviewer: String, _ p: DecisionPayload) async throws -> Response {
        switch try await recordCaseDecision(id: id, reviewer: reviewer, p) {
        case .entity(let response): return response
        case .item(let d, let deliveryID, let copies):
            var out = Array("{\"decision_id\":\(d.id),\"case_id\":\(d.caseID),\"action\":\"\(d.action.rawValue)\",\"delivery_id\":".utf8)
            if let deliveryID { appendJSONString(deliveryID, to: &out) } else { out += Array("null".utf8) }
            if let copies {
                out += Array(",\"copies\":".utf8)
                copies.appendJSON(to: &out)
            }
            out.append(UInt8(ascii: "}"))
            return json(out, status: .created)
        }
    }

    /// Queues a job that ended (failed, or done) to be done again, for `POST /v1/jobs/{id}/retry`
    /// and the console's Jobs page: `notFound` for no such job, `conflict` for one queued or
    /// running.
    func queueJobAgain(id: Int64, actor: String, logger: Logger) async throws {
        switch try await store.retryJob(jobID: id, now: clock()) {
        case nil: throw APIError.notFound("no job \(id)")
        case let status? where status == "queued" || status == "running":
            throw APIError.conflict("job \(id) is \(status): it is done already, or will be")
        case let before?:
            logger.info("job queued again", metadata: ["job.id": "\(id)", "job.was": "\(before)", "actor": "\(actor)"])
        }
    }

    /// A case's decision, for the API and the console alike: checks the action, records the
    /// decision with its webhook (and its open copies' with `copies`), or hands an entity's case
    /// to the entity's decision.
    func recordCaseDecision(id: Int64, reviewer: String, _ p: DecisionPayload) async throws -> CaseDecisionResult {
        if p.action.restricts && p.category == nil {
            throw APIError.invalid("a restricting action needs the policy category", field: "category")
        }
        if p.action == .reinstate {
            throw APIError.invalid("reinstatement goes through an appeal: POST /v1/appeals/{id}/decision", field: "action")
        }
        let decision = NewDecision(
            action: p.action, category: p.category, exemption: p.exemption, note: p.note, countries: try p.checkedCountries())
        let service = self
        if p.action == .suspend, let record = try await store.caseDetail(id: id, now: clock())?.record,
            record.entityID == nil
        {
            throw APIError.invalid("suspend is for accounts: decide the account at /v1/entities/{id}/decisions", field: "action")
        }
        switch try await store.decide(
            caseID: id, reviewer: reviewer, decision: decision,
            webhookBody: { d, item in service.webhookBody(d, item) }, now: clock())
        {
        case .decided(let d, let deliveryID):
            let copies = p.copies == true ? try await decideCopies(of: d, reviewer: reviewer, decision: decision) : nil
            return .item(d, deliveryID: deliveryID, copies: copies)
        case .heldBy(let who): throw APIError.conflict("case \(id) is claimed by \(who)")
        case .alreadyDecided: throw APIError.conflict("case \(id) is already decided")
        case .notFound: throw APIError.notFound("no case \(id)")
        case .entityCase(let entityID): return .entity(try await decideEntity(id: entityID, reviewer: reviewer, p))
        }
    }

    /// Most open copies one decision decides with it; the rest stay open, each listing the others.
    public static let maxCopiesPerDecision = 1_000
    /// Longest item id a platform may give (bytes), and longest platform name.
    public static let maxItemIDBytes = 256
    public static let maxPlatformBytes = 128
    /// Copies decided concurrently, each in its own transaction.
    static let copiesDecidedAtOnce = 8

    /// What deciding a case's copies did.
    struct CopiesOutcome {
        /// (case, decision) of each copy decided.
        var decided: [(caseID: Int64, decisionID: Int64)] = []
        /// (case, why) of each copy left open: claimed by another reviewer, decided meanwhile.
        var skipped: [(caseID: Int64, reason: String)] = []
        /// More copies are open than one decision decides (``maxCopiesPerDecision``).
        var more = false

        func appendJSON(to out: inout [UInt8]) {
            out += Array("{\"decided\":[".utf8)
            for (i, d) in decided.enumerated() {
                out += Array("\(i > 0 ? "," : ""){\"case_id\":\(d.caseID),\"decision_id\":\(d.decisionID)}".utf8)
            }
            out += Array("],\"skipped\":[".utf8)
            for (i, s) in skipped.enumerated() {
                out += Array("\(i > 0 ? "," : ""){\"case_id\":\(s.caseID),\"reason\":".utf8)
                appendJSONString(s.reason, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out += Array("],\"more\":\(more)}".utf8)
        }
    }

    /// Decides the open copies of a decided case (the open cases of the same text), each with a
    /// decision of its own (webhook, audit entry, statement of reasons) by the same reviewer:
    /// the same action, category, exemption and countries, the note naming the case. A copy
    /// claimed by another reviewer is left to them.
    func decideCopies(of original: DecisionRecord, reviewer: String, decision: NewDecision) async throws -> CopiesOutcome {
        var outcome = CopiesOutcome()
        let ids = try await store.openCopies(ofCase: original.caseID, limit: Self.maxCopiesPerDecision + 1)
        outcome.more = ids.count > Self.maxCopiesPerDecision
        var copyDecision = decision
        copyDecision.note = "a copy of case \(original.caseID)'s text, decided with it (decision \(original.id))"
            + (decision.note.map { ": " + $0 } ?? "")
        let service = self
        let copy = copyDecision
        // A few at a time: each is a transaction of its own, and PostgreSQL commits concurrent
        // ones together (1,000 copies one after another took 3.6-4.5 s there, 0.6 s on SQLite).
        // A copy that fails (the database) is left open and named: the case and the other copies
        // are decided whatever happens to one of them.
        var results: [(Int64, Result<DecideOutcome, any Error>)] = []
        await withTaskGroup(of: (Int64, Result<DecideOutcome, any Error>).self) { group in
            var pending = ids.prefix(Self.maxCopiesPerDecision).makeIterator()
            func startNext() {
                guard let id = pending.next() else { return }
                group.addTask {
                    do {
                        return (id, .success(try await service.store.decide(
                            caseID: id, reviewer: reviewer, decision: copy, webhookBody: { d, item in service.webhookBody(d, item) },
                            now: service.clock())))
                    } catch {
                        return (id, .failure(error))
                    }
                }
            }
            for _ in 0..<Self.copiesDecidedAtOnce { startNext() }
            while let result = await group.next() {
                results.append(result)
                startNext()
            }
        }
        for (id, result) in results.sorted(by: { $0.0 < $1.0 }) {
            switch result {
            case .success(.decided(let d, _)): outcome.decided.append((id, d.id))
            case .success(.heldBy(let who)): outcome.skipped.append((id, "claimed by \(who)"))
            case .success(.alreadyDecided): outcome.skipped.append((id, "already decided"))
            case .success(.notFound): outcome.skipped.append((id, "no longer exists"))
            case .success(.entityCase): outcome.skipped.append((id, "an entity's case"))
            case .failure(let error): outcome.skipped.append((id, "not decided: \(error)"))
            }
        }
        metrics.copiesDecided(outcome.decided.count)
        return outcome
    }

    // MARK: Helpers

    func require(_ request: Request, _ roles: Set<Role>) async throws -> APIKeyRecord {
        let key = try await authenticate(request)
        guard roles.contains(key.role) else {
            throw APIError.forbidden("this route needs one of the roles \(roles.map(\.rawValue).sorted().joined(separator: ", ")); the key has \(key.role.rawValue)")
        }
        return key
    }

    /// A required text field of a request: not blank (400) and at most `maxBytes` of UTF-8 (413),
    /// naming the field either way.
    func requireText(_ value: String, field: String, maxBytes: Int) throws {
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw APIError.invalid("\(field) is empty", field: field) }
        guard value.utf8.count <= maxBytes else {
            throw APIError.tooLarge("\(field) is over \(maxBytes) bytes", field: field, limit: maxBytes)
        }
    }

    func body(_ request: Request) async throws -> [UInt8] {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch {
            throw APIError.tooLarge(
                "the body is over the limit of \(configuration.maxBodyBytes) bytes", limit: configuration.maxBodyBytes)
        }
    }

    /// The deepest nesting of arrays and objects a request body may have (400 beyond); the
    /// bodies the API defines nest a few levels.
    static let maxBodyDepth = 32

    func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
        if let offset = Self.escapedNUL(in: body) {
            // PostgreSQL's TEXT cannot hold U+0000, and both stores must accept the same input.
            var error = APIError.invalid("a string holds U+0000 (\\u0000 at byte \(offset)), which is not accepted", field: nil)
            error.offset = offset
            throw error
        }
        // Foundation's decoder says only that a body is not valid JSON, and takes some text that
        // is not (a comma before '}'): the body is checked first, so an error says where.
        if let error = JSONSyntax.firstError(in: body, maxDepth: Self.maxBodyDepth) { throw APIError.malformedJSON(error) }
        // An ingest body of the plain shape platforms send is read on its bytes; any other goes
        // through Foundation's decoder, whose errors the API reports.
        if type == IngestBody.self, let items = IngestBodyReader.read(body) as? T { return items }
        do { return try JSONDecoder().decode(type, from: Data(body)) } catch { throw APIError.decoding(error) }
    }

    /// The byte offset of the first `\u0000` escape in JSON text (raw NUL cannot occur in a valid
    /// JSON string), skipping an escaped backslash followed by `u0000`.
    static func escapedNUL(in body: [UInt8]) -> Int? {
        var i = 0
        let n = body.count
        while i < n {
            if body[i] == UInt8(ascii: "\\") {
                if i + 5 < n, body[i + 1] == UInt8(ascii: "u"), body[i + 2] == 0x30, body[i + 3] == 0x30,
                    body[i + 4] == 0x30, body[i + 5] == 0x30
                {
                    return i
                }
                i += 2  // an escape: the next byte is part of it
            } else {
                i += 1
            }
        }
        return nil
    }

    func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return json(Array(try encoder.encode(value)), status: status)
    }

    func json(_ bytes: [UInt8], status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `GET /v1/items/{id}`'s body: the item's ids, its standing after the decisions on it (oldest
    /// first), the stored verdict, its case (null: none) and the decisions.
    func itemStateJSON(_ item: ItemRecord, _ d: CaseDetail?) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let decisions = (d?.decisions ?? []).sorted { $0.id < $1.id }
        var out = Array("{\"item_id\":\(item.id),\"platform\":".utf8)
        appendJSONString(item.platform, to: &out)
        out += Array(",\"id\":".utf8)
        appendJSONString(item.externalID, to: &out)
        out += Array(",\"received_at\":\(item.receivedAt),\"standing\":\"\(ItemStanding(after: decisions.map(\.action)).rawValue)\"".utf8)
        out += Array(",\"verdict\":".utf8)
        out += Array(item.verdictJSON.utf8)
        out += Array(",\"case\":".utf8)
        out += (d.flatMap { try? encoder.encode(CaseSummary($0.record, externalID: item.externalID)) }).map(Array.init) ?? Array("null".utf8)
        out += Array(",\"decisions\":".utf8)
        out += (try? encoder.encode(decisions)).map(Array.init) ?? Array("[]".utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A case with its item, verdict, reports, decisions and the parts of its priority; an entity
    /// case with its entity instead of the item and verdict (both null).
    func caseJSON(_ d: CaseDetail, now: Int64, openCopies: [Int64] = []) -> [UInt8] {
        let r = d.record
        var out = Array("{\"case\":".utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        out += (try? encoder.encode(CaseSummary(r, externalID: d.item?.externalID ?? d.entity?.externalID))).map(Array.init)
            ?? Array("null".utf8)
        out += Array(",\"priority_parts\":{".utf8)
        let parts =
            if let item = d.item {
                ReviewPriority.parts(
                    score: item.score, category: r.category, reach: item.containerReach ?? 0, userReports: r.userReports,
                    trustedReports: r.trustedReports, entityRisk: d.entity?.risk ?? 0, waitedSeconds: now - r.createdAt)
            } else {
                ReviewPriority.parts(
                    score: d.entity?.signals.maxScore ?? 0, category: r.category, reach: d.entity?.signals.reach ?? 0,
                    userReports: r.userReports, trustedReports: r.trustedReports, entityRisk: d.entity?.risk ?? 0,
                    entityCase: true, waitedSeconds: now - r.createdAt)
            }
        for (i, part) in parts.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(part.name, to: &out)
            out += Array(":\((part.value * 100).rounded() / 100)".utf8)
        }
        out.append(UInt8(ascii: "}"))
        out += Array(",\"open_copies\":[\(openCopies.map(String.init).joined(separator: ","))]".utf8)
        guard let item = d.item else {
            out += Array(",\"entity\":".utf8)
            out += (d.entity.flatMap { try? encoder.encode(EntitySummary($0, now: now)) }).map(Array.init) ?? Array("null".utf8)
            out += Array(",\"item\":null,\"verdict\":null,\"reports\":[],\"decisions\":".utf8)
            out += (try? encoder.encode(d.decisions)).map(Array.init) ?? []
            out.append(UInt8(ascii: "}"))
            return out
        }
        out += Array(",\"item\":{\"platform\":".utf8)
        appendJSONString(item.platform, to: &out)
        out += Array(",\"id\":".utf8)
        appendJSONString(item.externalID, to: &out)
        out += Array(",\"text\":".utf8)
        appendJSONString(item.text, to: &out)
        out += Array(",\"author\":".utf8)
        if let a = item.author { appendJSONString(a, to: &out) } else { out += Array("null".utf8) }
        out += Array(",\"container\":{\"id\":".utf8)
        if let c = item.containerID { appendJSONString(c, to: &out) } else { out += Array("null".utf8) }
        out += Array(",\"title\":".utf8)
        if let t = item.containerTitle { appendJSONString(t, to: &out) } else { out += Array("null".utf8) }
        out += Array(",\"reach\":\(item.containerReach.map(String.init) ?? "null")}".utf8)
        out += Array("},\"verdict\":".utf8)
        out += Array(item.verdictJSON.utf8)
        out += Array(",\"reports\":".utf8)
        out += (try? encoder.encode(d.reports.map { ReportStatus(id: $0.id, status: $0.status, case_id: $0.caseID, duplicate: nil, created_at: $0.createdAt) })).map(Array.init) ?? []
        out += Array(",\"decisions\":".utf8)
        out += (try? encoder.encode(d.decisions)).map(Array.init) ?? []
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// Turns errors that are not API errors into a 500 whose details go to the log only.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BulwarkRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            // Hummingbird's own errors (a path parameter that is not a number, ...) in our shape.
            let code = error.status == .badRequest ? "invalid" : error.status.code == 404 ? "not_found" : "http_\(error.status.code)"
            throw APIError(error.status, code, error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, "internal", "internal error (logged)")
        }
    }
}
