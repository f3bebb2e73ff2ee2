import BulwarkCore
import BulwarkStore
import BulwarkText
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A removal order as sent by a competent authority (TCO Annex I, the parts Bulwark acts on).
struct RemovalOrderPayload: Decodable, Sendable {
    struct Item: Decodable, Sendable {
        var platform: String
        var id: String
    }
    /// The issuing authority.
    var authority: String
    /// The authority's reference of the order (unique per authority).
    var reference: String
    var legal_basis: String
    /// The statement of reasons explaining why the content is terrorist content.
    var reasons: String
    /// The TCO Article 2(7) kind the order gives (incitement, solicitation, recruitment,
    /// instruction, threat; dissemination for a group's media).
    var category: Category?
    /// When the authority issued it (Unix seconds), if it says.
    var issued_at: Int64?
    var items: [Item]?
    /// URLs the order names; recorded and answered as not executable (no permalinks in Bulwark).
    var urls: [String]?
}

/// A removal order with its clock and what became of each target: also the feedback of TCO
/// Annex II (time of removal, or the reason it could not be executed).
struct RemovalOrderView: Encodable, Sendable {
    struct Target: Encodable, Sendable {
        var platform: String?
        var id: String?
        var url: String?
        var executed: Bool
        var item_id: Int64?
        var decision_id: Int64?
        var delivery_id: String?
        var reason_not_executed: String?
    }
    struct Clock: Encodable, Sendable {
        var deadline_at: Int64
        var seconds_left: Int64?
        var state: String
        var alert: Bool
    }
    var id: Int64
    var authority: String
    var reference: String
    var legal_basis: String
    var reasons: String
    var category: String?
    var issued_at: Int64?
    var received_at: Int64
    var actioned_at: Int64?
    var confirmed_at: Int64?
    var pending_deliveries: Int
    var status: String
    var clock: Clock
    var targets: [Target]

    init(_ o: RemovalOrderRecord, now: Int64) {
        id = o.id
        authority = o.authority
        reference = o.reference
        legal_basis = o.legalBasis
        reasons = o.reasons
        category = o.category?.rawValue
        issued_at = o.issuedAt
        received_at = o.receivedAt
        actioned_at = o.actionedAt
        confirmed_at = o.confirmedAt
        pending_deliveries = o.pendingDeliveries
        let executed = o.executedCount
        status =
            executed == 0 ? "not_executable"
            : o.confirmedAt != nil ? (executed == o.outcomes.count ? "confirmed" : "partially_confirmed")
            : "actioned"
        let state = executed == 0 ? nil : o.clock.state(now: now)
        clock = Clock(
            deadline_at: o.deadlineAt, seconds_left: executed == 0 ? nil : o.clock.secondsLeft(now: now),
            state: state?.rawValue ?? "answered", alert: state == .dueSoon || state == .overdue)
        targets = o.outcomes.map {
            Target(
                platform: $0.target.platform, id: $0.target.id, url: $0.target.url, executed: $0.decisionID != nil,
                item_id: $0.itemID, decision_id: $0.decisionID, delivery_id: $0.deliveryID, reason_not_executed: $0.failure)
        }
    }
}

extension BulwarkService {
    /// Most targets in one order.
    static let maxOrderTargets = 1_000
    /// Most statements in one export batch (the Transparency Database takes 100 per call).
    static let maxStatementBatch = 100
    /// Most removal orders in one page of `GET /v1/removal-orders`.
    static let maxOrderPage = 500
    /// Most deliveries in one page of `GET /v1/deliveries`.
    static let maxDeliveryPage = 500
    /// Most background jobs in one page of `GET /v1/jobs`.
    static let maxJobPage = 500
    /// Most audit entries in one page of `GET /v1/audit`.
    static let maxAuditPage = 500
    /// Most appeals in one page of `GET /v1/appeals`.
    static let maxAppealPage = 500

    func addRemovalOrderRoutes(_ v1: RouterGroup<BulwarkRequestContext>) {
        v1.post("removal-orders") { request, context -> Response in
            let key = try await require(request, [.authority])
            let p = try decode(RemovalOrderPayload.self, try await self.body(request))
            try requireText(p.authority, field: "authority", maxBytes: 256)
            try requireText(p.reference, field: "reference", maxBytes: 256)
            try requireText(p.legal_basis, field: "legal_basis", maxBytes: 2_000)
            try requireText(p.reasons, field: "reasons", maxBytes: 10_000)
            var targets = (p.items ?? []).map { RemovalTarget(platform: $0.platform, id: $0.id) }
            targets += (p.urls ?? []).map { RemovalTarget(url: $0) }
            guard !targets.isEmpty else { throw APIError.invalid("the order names no content (items or urls)", field: "items") }
            guard targets.count <= Self.maxOrderTargets else {
                throw APIError.tooLarge("over \(Self.maxOrderTargets) targets in one order", field: "items", limit: Self.maxOrderTargets)
            }
            let order = NewRemovalOrder(
                authority: p.authority, reference: p.reference, receivedBy: key.name, legalBasis: p.legal_basis,
                reasons: p.reasons, category: p.category, issuedAt: p.issued_at, targets: targets)
            let service = self
            let now = clock()
            // The removed text's key goes on its case, so that its copies are listed with it and
            // later ones are known content (RemovedTexts).
            let normalizer = engine.normalizer
            switch try await store.receiveRemovalOrder(
                order, webhookBody: { d, item, orderID in service.orderWebhookBody(d, item, orderID: orderID, order: order) },
                contentKey: { ContentKey.of($0, normalizer: normalizer) }, now: now)
            {
            case .received(let record):
                context.logger.info(
                    "removal order received",
                    metadata: ["order.id": "\(record.id)", "order.executed": "\(record.executedCount)", "order.targets": "\(targets.count)"])
                return try encode(RemovalOrderView(record, now: now), status: .created)
            case .duplicate(let record):
                return try encode(RemovalOrderView(record, now: now), status: .ok)
            }
        }

        v1.get("removal-orders/:id") { request, context -> Response in
            _ = try await require(request, [.authority, .lead, .auditor, .admin])
            let id = try context.parameters.require("id", as: Int64.self)
            guard let record = try await store.removalOrder(id: id) else { throw APIError.notFound("no removal order \(id)") }
            return try encode(RemovalOrderView(record, now: clock()))
        }

        v1.get("removal-orders") { request, context -> Response in
            _ = try await require(request, [.authority, .lead, .auditor, .admin])
            let q = QueryReader(request)
            let now = clock()
            let from = try q.integer("from", in: 0...Int64.max, meaning: "a time in Unix seconds") ?? 0
            let to = try q.integer("to", in: 0...Int64.max, meaning: "a time in Unix seconds") ?? (now + 1)
            guard from < to else { throw APIError.invalid("to must be after from: got from=\(from), to=\(to)", field: "to") }
            let before = try q.integer("before", in: 1...Int64.max, meaning: "a removal order id")
            let limit = try q.limit(maximum: Self.maxOrderPage)
            let list = try await store.removalOrders(receivedFrom: from, to: to, beforeID: before, limit: limit)
            return try encode(ListPage("removal_orders", list.map { RemovalOrderView($0, now: now) }, limit: limit, cursor: "next_before", id: \.id))
        }

        v1.get("statements") { request, context -> Response in
            _ = try await require(request, [.auditor, .admin, .lead])
            let q = QueryReader(request)
            let after = try q.integer("after", in: 0...Int64.max, meaning: "a decision id") ?? 0
            let limit = try q.limit(maximum: Self.maxStatementBatch)
            let sources = try await store.statementSources(afterDecisionID: after, limit: limit)
            var out = Array("{\"statements\":[".utf8)
            for (i, source) in sources.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out += statement(for: source).jsonBytes
            }
            out += Array("],\"next_after\":\(sources.last?.decision.id ?? after)}".utf8)
            return json(out, status: .ok)
        }
    }

    func addStatementRoutes(_ v1: RouterGroup<BulwarkRequestContext>) {
        /// One decision's statement of reasons, for the platform to give its content provider
        /// (DSA Article 17, TCO Article 11).
        v1.get("decisions/:id/statement") { request, context -> Response in
            _ = try await require(request, [.ingest, .auditor, .admin, .lead, .reviewer])
            let id = try context.parameters.require("id", as: Int64.self)
            guard id > 0, let source = try await store.statementSources(afterDecisionID: id - 1, limit: 1).first,
                source.decision.id == id
            else { throw APIError.notFound("no restricting decision \(id) (only restrictions have a statement of reasons)") }
            return json(statement(for: source).jsonBytes, status: .ok)
        }
    }

    /// The webhook of a decision made by a removal order: the decision webhook with the order.
    func orderWebhookBody(_ d: DecisionRecord, _ item: ItemRecord, orderID: Int64, order: NewRemovalOrder) -> String {
        var value = Array("{\"id\":\(orderID),\"authority\":".utf8)
        appendJSONString(order.authority, to: &value)
        value += Array(",\"reference\":".utf8)
        appendJSONString(order.reference, to: &value)
        value += Array(",\"deadline_at\":\(d.createdAt + DueProcess.removalOrderSeconds)}".utf8)
        return Self.webhook(webhookBody(d, item), adding: "removal_order", value)
    }

    /// The statement of reasons for one restricting decision.
    func statement(for s: StatementSource) -> StatementOfReasons {
        let d = s.decision
        let detection: String =
            switch s.source {
            case .proactive: "Bulwark's automated scan flagged the content and a reviewer decided."
            case .userReport: "A user's notice reported the content and a reviewer decided."
            case .trustedFlagger: "A trusted flagger's notice reported the content and a reviewer decided."
            case .removalOrder: "A competent authority's removal order named the content."
            }
        let ground: StatementOfReasons.Ground = s.removalOrderReference.map { .removalOrder(reference: $0) } ?? .termsAndConditions
        let what = s.entityID != nil ? "The account or container" : "The content"
        let facts =
            "\(what) was found to be \(StatementOfReasons.describe(d.category)). \(detection) "
            + "Redress: the content provider may complain through the platform's internal complaint system "
            + "(Regulation (EU) 2022/2065, Article 20; Regulation (EU) 2021/784, Article 10), use out-of-court dispute "
            + "settlement (Article 21 of Regulation (EU) 2022/2065) or seek judicial redress."
        return StatementOfReasons(
            puid: StatementOfReasons.puid("bulwark-decision-\(d.id)"),
            restriction: StatementOfReasons.restriction(for: d.action) ?? .removed, ground: ground, category: d.category,
            source: s.removalOrderReference != nil ? .removalOrder : s.source, automatedDetection: s.source == .proactive,
            contentTypes: s.mediaCount > 0 ? ["text", "image"] : ["text"], language: s.language == "und" ? nil : s.language,
            contentDate: s.contentTime, applicationDate: d.createdAt,
            territorialScope: d.countries ?? StatementOfReasons.allCountries, facts: facts)
    }
}

extension BulwarkService {
    /// The one-hour clocks of the last 7 days' removal orders, for metrics and the alert.
    struct RemovalOrderClocks: Sendable {
        var open = 0
        var dueSoon = 0
        var overdue = 0
        var secondsLeft = Int(DueProcess.removalOrderSeconds)
        /// Orders in alert (due soon or overdue), oldest first.
        var alerting: [RemovalOrderRecord] = []
    }

    func removalOrderClocks() async throws -> RemovalOrderClocks {
        let now = clock()
        var clocks = RemovalOrderClocks()
        for order in try await store.removalOrders(receivedFrom: now - 7 * 86_400, to: now + 1, limit: 1_000).reversed()
        where order.executedCount > 0 && order.confirmedAt == nil {
            clocks.open += 1
            let state = order.clock.state(now: now)
            if state == .dueSoon { clocks.dueSoon += 1 }
            if state == .overdue { clocks.overdue += 1 }
            if state == .dueSoon || state == .overdue { clocks.alerting.append(order) }
            clocks.secondsLeft = min(clocks.secondsLeft, Int(order.clock.secondsLeft(now: now) ?? 0))
        }
        return clocks
    }
}

/// Watches removal orders' one-hour clocks and logs an alert (level warning, once per order and
/// state) when an order is within 15 minutes of its deadline, or past it, without the
/// platform's confirmation. The same counts are in `/metrics` for alerting rules.
struct RemovalOrderWatch: Service, CustomStringConvertible {
    var description: String { "RemovalOrderWatch" }
    let service: BulwarkService
    let logger: Logger
    /// How often the clocks are read.
    static let intervalSeconds: UInt64 = 30

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var alerted: Set<String> = []
            while !Task.isCancelled {
                if let clocks = try? await service.removalOrderClocks() {
                    let now = service.clock()
                    for order in clocks.alerting {
                        let state = order.clock.state(now: now)
                        guard alerted.insert("\(order.id)-\(state.rawValue)").inserted else { continue }
                        logger.warning(
                            state == .overdue ? "removal order past its one-hour deadline" : "removal order due within 15 minutes",
                            metadata: [
                                "order.id": "\(order.id)", "order.reference": "\(order.reference)",
                                "order.deadline_at": "\(order.deadlineAt)", "order.pending_deliveries": "\(order.pendingDeliveries)",
                            ])
                    }
                }
                try? await Task.sleep(nanoseconds: Self.intervalSeconds * 1_000_000_000)
            }
        }
    }
}

extension BulwarkService {
    func addTransparencyRoutes(_ v1: RouterGroup<BulwarkRequestContext>) {
        /// `GET /v1/reports/transparency?from=YYYY-MM-DD&to=YYYY-MM-DD&format=json|markdown|html`
        v1.get("reports/transparency") { request, context -> Response in
            _ = try await require(request, [.auditor, .admin, .lead, .authority])
            let q = request.uri.queryParameters
            func day(_ name: String) throws -> Int64 {
                guard let text = q[Substring(name)].map(String.init) else { throw APIError.invalid("\(name) is required (YYYY-MM-DD)", field: name) }
                guard let t = CivilDate.parse(text) else { throw APIError.invalid("\(name) is not a date YYYY-MM-DD: \(text)", field: name) }
                return t
            }
            let from = try day("from"), to = try day("to")
            guard from < to else { throw APIError.invalid("from must be before to", field: "to") }
            let report = try await TransparencyReport.build(from: from, to: to, store: store)
            switch q["format"].map(String.init) ?? "json" {
            case "json": return json(Array(report.json.utf8), status: .ok)
            case "markdown":
                return Response(status: .ok, headers: [.contentType: "text/markdown; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: report.markdown)))
            case "html":
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: report.html)))
            default: throw APIError.invalid("format is json, markdown or html", field: "format")
            }
        }
    }
}
