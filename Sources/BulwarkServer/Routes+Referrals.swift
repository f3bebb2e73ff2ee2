import BulwarkCore
import BulwarkStore
import Foundation
import Hummingbird

/// A referral as leads and auditors see it; with the item referred when read one at a time.
struct ReferralView: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        var id: Int64
        var platform: String
        var external_id: String
        var text: String
        var author: String?
        var container_id: String?
        var language: String
        var decision: String
        var score: Double
        var received_at: Int64
    }
    var id: Int64
    var item_id: Int64
    var authority: String
    var member_state: String?
    var grounds: String
    var referred_by: String
    var referred_at: Int64
    var delivery_id: String
    var item: Item?

    init(_ r: ReferralRecord, item i: ItemRecord?) {
        id = r.id
        item_id = r.itemID
        authority = r.authority
        member_state = r.memberState
        grounds = r.grounds
        referred_by = r.referredBy
        referred_at = r.referredAt
        delivery_id = r.deliveryID
        item = i.map {
            Item(
                id: $0.id, platform: $0.platform, external_id: $0.externalID, text: $0.text, author: $0.author,
                container_id: $0.containerID, language: $0.language, decision: $0.decision.rawValue, score: $0.score,
                received_at: $0.receivedAt)
        }
    }
}

struct ReferralPayload: Decodable, Sendable {
    var item_id: Int64
    var authority: String
    var member_state: String?
    var grounds: String
    var imminent_threat_to_life: Bool?
}

extension BulwarkService {
    /// Checks a referral (from the API or the console) and records it: 400 naming the field when
    /// the attestation is missing or a field is blank or not a Member State, 413 when a text is
    /// too long, 404 when the item is unknown.
    func refer(
        itemID: Int64, authority: String, memberState: String?, grounds: String, attested: Bool, by person: String
    ) async throws -> (referral: ReferralRecord, item: ItemRecord) {
        guard attested else {
            throw APIError.invalid(
                "a referral is only for content involving an imminent threat to life (Regulation (EU) 2021/784, Article 14(5)): "
                    + "set imminent_threat_to_life to true to attest it",
                field: "imminent_threat_to_life")
        }
        try requireText(authority, field: "authority", maxBytes: Referrals.maxAuthorityBytes)
        try requireText(grounds, field: "grounds", maxBytes: Referrals.maxGroundsBytes)
        if let memberState, !Referrals.memberStates.contains(memberState) {
            throw APIError.invalid(
                "member_state must be an EU Member State's ISO 3166-1 alpha-2 code in capitals (AT … SE; GR for Greece), "
                    + "or left out when the Member State concerned cannot be identified",
                field: "member_state")
        }
        let referral = NewReferral(itemID: itemID, authority: authority, memberState: memberState, grounds: grounds, referredBy: person)
        guard let made = try await store.refer(referral, webhookBody: referralWebhookBody, now: clock()) else {
            throw APIError.notFound("item \(itemID) is not in the store")
        }
        return made
    }

    /// The webhook that tells the platform of a referral, which it sends on to the authority: the
    /// item by the platform's ids, the authority and Member State, the grounds and the lead.
    func referralWebhookBody(_ r: ReferralRecord, _ item: ItemRecord) -> String {
        var out = Array("{\"event\":\"referral\",\"referral_id\":\(r.id),".utf8)
        Self.appendWebhookItem(item, to: &out)
        out += Array(",\"authority\":".utf8)
        appendJSONString(r.authority, to: &out)
        out += Array(",\"member_state\":".utf8)
        if let state = r.memberState { appendJSONString(state, to: &out) } else { out += Array("null".utf8) }
        out += Array(",\"grounds\":".utf8)
        appendJSONString(r.grounds, to: &out)
        out += Array(",\"referred_by\":".utf8)
        appendJSONString(r.referredBy, to: &out)
        out += Array(",\"referred_at\":\(r.referredAt)}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Referrals to law enforcement (TCO Article 14(5), DSA Article 18): only for content
    /// involving an imminent threat to life, only by a lead, each one audited.
    func addReferralRoutes(_ v1: RouterGroup<BulwarkRequestContext>) {
        v1.post("referrals") { request, context -> Response in
            let key = try await require(request, [.lead])
            let p = try decode(ReferralPayload.self, try await self.body(request))
            let made = try await refer(
                itemID: p.item_id, authority: p.authority, memberState: p.member_state, grounds: p.grounds,
                attested: p.imminent_threat_to_life == true, by: key.name)
            // The item as the referral's transaction read it: no second read.
            return try encode(ReferralView(made.referral, item: made.item), status: .created)
        }

        v1.get("referrals") { request, context -> Response in
            _ = try await require(request, [.lead, .auditor, .admin])
            let q = QueryReader(request)
            let before = try q.integer("before", in: 1...Int64.max, meaning: "a referral id")
            let limit = try q.limit(maximum: Referrals.maxPage)
            let itemID = try q.integer("item_id", in: 1...Int64.max, meaning: "an item id")
            let list = try await store.referrals(itemID: itemID, beforeID: before, limit: limit)
            return try encode(ListPage("referrals", list.map { ReferralView($0, item: nil) }, limit: limit, cursor: "next_before", id: \.id))
        }

        v1.get("referrals/:id") { request, context -> Response in
            let key = try await require(request, [.lead, .auditor, .admin])
            let id = try context.parameters.require("id", as: Int64.self)
            guard let record = try await store.referral(id: id) else { throw APIError.notFound("no referral \(id)") }
            // It carries the item's content: every look at it is on the record.
            try await store.appendAudit(
                actor: key.name, action: "referral.read", subject: "referral:\(id)", detail: "{\"item_id\":\(record.itemID)}",
                now: clock())
            return try encode(ReferralView(record, item: try await store.item(id: record.itemID)))
        }
    }
}
