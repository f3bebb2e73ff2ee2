import BulwarkCore
import BulwarkEntities
import BulwarkStore
import Foundation
import Hummingbird

/// An entity in a list: what it is, where it stands, its risk and the largest parts of it.
struct EntitySummary: Encodable, Sendable {
    var id: Int64
    var platform: String
    var kind: String
    var external_id: String
    var name: String?
    var status: String
    var risk: Double
    var items: Int
    var violating: Int
    var review: Int
    var reach: Int
    var reappearance_of: Int64?
    var top_parts: [RiskPart]
    var first_seen: Int64
    var last_seen: Int64

    init(_ e: EntityRecord, now: Int64) {
        id = e.id
        platform = e.platform
        kind = e.kind.rawValue
        external_id = e.externalID
        name = e.name
        status = e.status.rawValue
        risk = Self.round(e.risk)
        items = e.itemCount
        violating = e.signals.violating
        review = e.signals.review
        reach = e.signals.reach
        reappearance_of = e.reappearanceOf
        top_parts = e.riskParts(at: now).filter { $0.value > 0 }.sorted { $0.value > $1.value }.prefix(3).map(RiskPart.init)
        first_seen = e.firstSeen
        last_seen = e.lastSeen
    }

    static func round(_ x: Double) -> Double { (x * 100).rounded() / 100 }
}

struct RiskPart: Encodable, Sendable {
    var name: String
    var value: Double
    var detail: String

    init(_ p: EntityRisk.Part) {
        name = p.name
        value = EntitySummary.round(p.value)
        detail = p.detail
    }
}

/// An item as listed under its entity.
struct EntityItem: Encodable, Sendable {
    var item_id: Int64
    var id: String
    var type: String?
    var text: String
    var decision: String
    var score: Double
    var posted_at: Int64?
    var received_at: Int64

    init(_ i: ItemRecord) {
        item_id = i.id
        id = i.externalID
        type = i.type
        text = i.text
        decision = i.decision.rawValue
        score = i.score
        posted_at = i.postedAt
        received_at = i.receivedAt
    }
}

/// `GET /v1/entities/{id}`: the record, its signals, the parts of its risk, re-appearance
/// evidence, its items and its decisions.
struct EntityDetailBody: Encodable, Sendable {
    struct Reappearance: Encodable, Sendable {
        var of: Int64
        var similarity: Double
        var evidence: String
    }

    var entity: EntitySummary
    var description: String?
    var signals: EntitySignals
    var risk_parts: [RiskPart]
    var reappearance: Reappearance?
    var recent_items: [EntityItem]
    var top_items: [EntityItem]
    var decisions: [DecisionRecord]
    var open_case: CaseSummary?
}

extension BulwarkService {
    /// Accounts and containers over HTTP: ranked, one in full, and decisions on them.
    func addEntityRoutes(_ v1: RouterGroup<BulwarkRequestContext>) {
        v1.get("entities") { request, _ -> Response in
            _ = try await require(request, [.reviewer, .lead, .admin, .auditor])
            let q = QueryReader(request)
            var filter = EntityFilter()
            filter.kind = try q.choice("kind", as: EntityKind.self)
            filter.status = try q.choice("status", as: EntityStatus.self)
            if let v = q.text("min_risk") {
                guard let r = Double(v), r.isFinite, (0...100).contains(r) else {
                    throw APIError.invalid("min_risk must be a number 0 ... 100: got \(QueryReader.quoted(v))", field: "min_risk")
                }
                filter.minRisk = r
            }
            filter.limit = try q.limit(maximum: 500, standard: filter.limit)
            let now = clock()
            let list = try await store.entities(filter)
            return try encode(["entities": list.map { EntitySummary($0, now: now) }])
        }

        v1.get("entities/:id") { request, context -> Response in
            _ = try await require(request, [.reviewer, .lead, .admin, .auditor])
            let id = try context.parameters.require("id", as: Int64.self)
            guard let d = try await store.entityDetail(id: id, itemLimit: 10) else { throw APIError.notFound("no entity \(id)") }
            let now = clock()
            let e = d.record
            let body = EntityDetailBody(
                entity: EntitySummary(e, now: now), description: e.description, signals: e.signals,
                risk_parts: e.riskParts(at: now).map(RiskPart.init),
                reappearance: e.reappearanceOf.map {
                    EntityDetailBody.Reappearance(
                        of: $0, similarity: EntitySummary.round(e.reappearanceSimilarity),
                        evidence: e.reappearanceEvidence ?? "")
                },
                recent_items: d.recentItems.map(EntityItem.init), top_items: d.topItems.map(EntityItem.init),
                decisions: d.decisions, open_case: d.openCase.map { CaseSummary($0) })
            return try encode(body)
        }

        v1.post("entities/:id/decisions") { request, context -> Response in
            let key = try await require(request, [.reviewer, .lead])
            let id = try context.parameters.require("id", as: Int64.self)
            let p = try decode(DecisionPayload.self, try await self.body(request))
            return try await decideEntity(id: id, reviewer: key.name, p)
        }
    }

    /// Decides on an entity (from its route, or from its case's): the store sets its status and
    /// closes its case; a ban or reinstatement reaches the re-appearance index at once.
    func decideEntity(id: Int64, reviewer: String, _ p: DecisionPayload) async throws -> Response {
        guard p.action != .geoBlock, p.action != .reinstate else {
            throw APIError.invalid(
                "\(p.action.rawValue) is not an entity action (remove, restrict_visibility, suspend, no_violation, escalate)",
                field: "action")
        }
        if p.action.restricts && p.category == nil {
            throw APIError.invalid("a restricting action needs the policy category", field: "category")
        }
        guard p.countries == nil else {
            throw APIError.invalid("an entity decision applies everywhere: countries is for an item's geo_block or restrict_visibility", field: "countries")
        }
        guard let entity = try await store.entity(id: id) else { throw APIError.notFound("no entity \(id)") }
        if p.action == .suspend && entity.kind != .account {
            throw APIError.invalid("suspend is for accounts; this entity is a \(entity.kind.rawValue)", field: "action")
        }
        let decision = NewDecision(action: p.action, category: p.category, exemption: p.exemption, note: p.note)
        let service = self
        switch try await store.decideEntity(
            entityID: id, reviewer: reviewer, decision: decision,
            webhookBody: { d, e, evidence in service.entityWebhookBody(d, e, evidence) }, now: clock())
        {
        case .decided(let d, let deliveryID, let updated):
            if updated.status != entity.status,
                let source = try await store.entityFingerprints(ids: [id], maxItemCount: nil).first
            {
                await reappearance.apply(source)
            }
            var out = Array(
                "{\"decision_id\":\(d.id),\"case_id\":\(d.caseID),\"entity_id\":\(id),\"action\":\"\(d.action.rawValue)\",\"status\":\"\(updated.status.rawValue)\",\"delivery_id\":"
                    .utf8)
            if let deliveryID { appendJSONString(deliveryID, to: &out) } else { out += Array("null".utf8) }
            out.append(UInt8(ascii: "}"))
            return json(out, status: .created)
        case .heldBy(let who): throw APIError.conflict("the case of entity \(id) is claimed by \(who)")
        case .notFound: throw APIError.notFound("no entity \(id)")
        }
    }
}
