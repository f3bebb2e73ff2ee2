/// A referral to law enforcement: terrorist content involving an imminent threat to life, which
/// the hosting provider must promptly bring to the competent authorities (Regulation (EU)
/// 2021/784, Article 14(5); Regulation (EU) 2022/2065, Article 18). Only for that, only by a lead
/// reviewer, one item at a time, on the record: never a channel for anything else.
public struct NewReferral: Sendable, Hashable {
    /// The item referred (Bulwark's id).
    public var itemID: Int64
    /// The authority informed, as the reviewer names it ("Bundeskriminalamt", "Europol").
    public var authority: String
    /// The Member State concerned (ISO 3166-1 alpha-2), or nil when it cannot be identified: then
    /// Article 14(5) sends the information to Europol and to the point of contact of the Member
    /// State of the provider's main establishment.
    public var memberState: String?
    /// Why the threat to life is imminent, in the reviewer's words.
    public var grounds: String
    /// The person who referred it (the key's or user's name).
    public var referredBy: String

    public init(itemID: Int64, authority: String, memberState: String?, grounds: String, referredBy: String) {
        self.itemID = itemID
        self.authority = authority
        self.memberState = memberState
        self.grounds = grounds
        self.referredBy = referredBy
    }
}

public struct ReferralRecord: Sendable, Hashable {
    public var id: Int64
    public var itemID: Int64
    public var authority: String
    public var memberState: String?
    public var grounds: String
    public var referredBy: String
    public var referredAt: Int64
    /// The webhook delivery (event `referral`) that tells the platform, which sends it on.
    public var deliveryID: String

    public init(
        id: Int64, itemID: Int64, authority: String, memberState: String?, grounds: String, referredBy: String, referredAt: Int64,
        deliveryID: String
    ) {
        self.id = id
        self.itemID = itemID
        self.authority = authority
        self.memberState = memberState
        self.grounds = grounds
        self.referredBy = referredBy
        self.referredAt = referredAt
        self.deliveryID = deliveryID
    }

    /// The audit entry's detail: who was informed and where, not the grounds (they stay in the
    /// referral, which only leads, auditors and admins read).
    var auditDetail: String {
        "{\"referral_id\":\(id),\"authority\":\(JSONText.encode(authority)),\"member_state\":"
            + (memberState.map { JSONText.encode($0) } ?? "null") + ",\"delivery_id\":\"\(deliveryID)\"}"
    }
}

/// What a referral must carry, checked before anything is stored.
public enum Referrals {
    /// The Member States of the European Union, as ISO 3166-1 alpha-2 codes (Greece is `GR`).
    public static let memberStates: Set<String> = [
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
        "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    ]
    /// Longest authority name, in UTF-8 bytes.
    public static let maxAuthorityBytes = 200
    /// Longest grounds, in UTF-8 bytes.
    public static let maxGroundsBytes = 2_000
    /// Referrals listed per page.
    public static let maxPage = 100
}
