import BulwarkCore
import BulwarkStore
import Foundation
import Hummingbird

/// A complaint forwarded by the platform for its content provider.
struct AppealPayload: Decodable, Sendable {
    /// The decision appealed; or `platform` and `id` of the item (its latest restricting decision).
    var decision_id: Int64?
    var platform: String?
    var id: String?
    /// The content provider's pseudonymous id.
    var appellant: String
    var reason: String
}

struct AppealDecisionPayload: Decodable, Sendable {
    enum Outcome: String, Decodable, Sendable {
        case upheld
        case reversed
    }
    var outcome: Outcome
    /// Why the content is not terrorist content (TCO Article 1(3)), when reversed on that ground.
    var exemption: Exemption?
    var note: String?
}

/// An appeal with its two-week clock.
struct AppealView: Encodable, Sendable {
    var id: Int64
    var decision_id: Int64
    var case_id: Int64
    var item_id: Int64?
    var appellant: String
    var reason: String
    var status: String
    var filed_at: Int64
    var deadline_at: Int64
    var seconds_left: Int64?
    var overdue: Bool
    var decided_by: String?
    var decided_at: Int64?
    var exemption: String?
    var note: String?
    var reinstatement_decision_id: Int64?
    var delivery_id: String?

    init(_ a: AppealRecord, now: Int64, deliveryID: String? = nil) {
        id = a.id
        decision_id = a.decisionID
        case_id = a.caseID
        item_id = a.itemID
        appellant = a.appellant
        reason = a.reason
        status = a.status.rawValue
        filed_at = a.filedAt
        deadline_at = a.deadlineAt
        seconds_left = a.status == .open ? a.deadlineAt - now : nil
        overdue = a.status == .open ? now > a.deadlineAt : (a.decidedAt ?? 0) > a.deadlineAt
        decided_by = a.decidedBy
        decided_at = a.decidedAt
        exemption = a.exemption?.rawValue
        note = a.note
        reinstatement_decision_id = a.reinstatementDecisionID
        delivery_id = deliveryID
    }
}

extension BulwarkService {
    func addAppealRoutes(_ v1: RouterGroup<BulwarkRequestContext>) {
        v1.post("appeals") { request, context -> Response in
            let key = try await require(request, [.ingest])
            let p = try decode(AppealPayload.self, try await self.body(request))
            guard p.decision_id != nil || (p.platform != nil && p.id != nil) else {
                throw APIError.invalid("name the decision (decision_id) or the item (platform and id)", field: "decision_id")
            }
            try requireText(p.appellant, field: "appellant", maxBytes: 256)
            try requireText(p.reason, field: "reason", maxBytes: 10_000)
            let now = clock()
            switch try await store.fileAppeal(
                decisionID: p.decision_id, platform: p.platform ?? (p.id != nil ? key.name : nil), externalID: p.id,
                appellant: p.appellant, reason: p.reason, now: now)
            {
            case .filed(let appeal): return try encode(AppealView(appeal, now: now), status: .created)
            case .duplicate(let appeal): return try encode(AppealView(appeal, now: now), status: .ok)
            case .notAppealable(let why): throw APIError.invalid(why, field: "decision_id")
            case .notFound: throw APIError.notFound("no restricting decision found for this appeal")
            }
        }

        v1.get("appeals") { request, context -> Response in
            _ = try await require(request, [.reviewer, .lead, .auditor, .admin])
            let q = QueryReader(request)
            let status = try q.choice("status", as: AppealRecord.Status.self)
            let after = try q.integer("after", in: 1...Int64.max, meaning: "an appeal id")
            let limit = try q.limit(maximum: Self.maxAppealPage)
            let now = clock()
            let list = try await store.appeals(status: status, afterID: after, limit: limit)
            return try encode(ListPage("appeals", list.map { AppealView($0, now: now) }, limit: limit, cursor: "next_after", id: \.id))
        }

        v1.get("appeals/:id") { request, context -> Response in
            _ = try await require(request, [.ingest, .reviewer, .lead, .auditor, .admin])
            let id = try context.parameters.require("id", as: Int64.self)
            guard let appeal = try await store.appeal(id: id) else { throw APIError.notFound("no appeal \(id)") }
            return try encode(AppealView(appeal, now: clock()))
        }

        v1.post("appeals/:id/decision") { request, context -> Response in
            let key = try await require(request, [.reviewer, .lead])
            let id = try context.parameters.require("id", as: Int64.self)
            let p = try decode(AppealDecisionPayload.self, try await self.body(request))
            let (appeal, deliveryID, now) = try await decideAppeal(id: id, reviewer: key.name, p)
            return try encode(AppealView(appeal, now: now, deliveryID: deliveryID), status: .created)
        }
    }

    /// An appeal's decision, for the API and the console alike: by a reviewer other than the one
    /// who made the appealed decision (403 otherwise); a reversal reinstates and queues the webhook.
    func decideAppeal(id: Int64, reviewer: String, _ p: AppealDecisionPayload) async throws
        -> (appeal: AppealRecord, deliveryID: String?, now: Int64)
    {
        let service = self
        let now = clock()
        switch try await store.decideAppeal(
            id: id, reviewer: reviewer, reverse: p.outcome == .reversed, exemption: p.exemption, note: p.note,
            webhookBody: { d, item, appealID in Self.appealWebhook(service.webhookBody(d, item), appealID: appealID) },
            entityWebhookBody: { d, entity, evidence, appealID in
                Self.appealWebhook(service.entityWebhookBody(d, entity, evidence), appealID: appealID)
            }, now: now)
        {
        case .decided(let appeal, let deliveryID): return (appeal, deliveryID, now)
        case .sameReviewer:
            throw APIError.forbidden("the reviewer who made the appealed decision may not decide its appeal: another reviewer must")
        case .alreadyDecided: throw APIError.conflict("appeal \(id) is already decided")
        case .notFound: throw APIError.notFound("no appeal \(id)")
        }
    }

    /// The webhook of a reinstatement: the (item or entity) decision webhook with the appeal.
    static func appealWebhook(_ decisionBody: String, appealID: Int64) -> String {
        webhook(decisionBody, adding: "appeal", Array("{\"id\":\(appealID)}".utf8))
    }
}
