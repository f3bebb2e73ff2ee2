import BulwarkCore
import Foundation

/// `count` bytes from the system's cryptographically secure generator (keys, session tokens, salts).
func secureRandomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// API keys: `bwk_` and 40 hex digits of randomness, shown once; the store keeps only
/// their SHA-256 (a key is a random secret, not a password, so a fast hash suffices).
public enum APIKeys {
    public static func generate() -> String {
        "bwk_" + hexString(secureRandomBytes(20))
    }

    public static func hash(_ key: String) -> String {
        SHA256.hex(Array(key.utf8))
    }

    public static func prefix(_ key: String) -> String {
        String(key.prefix(10))
    }
}

/// Webhook signatures: `Bulwark-Signature: t=TIMESTAMP,v1=HEX[,v1=HEX]`, HMAC-SHA256 of
/// "TIMESTAMP.BODY" with each active secret (the current one and, during a rotation, the
/// previous one), so a receiver that knows either secret accepts the delivery.
public enum WebhookSignature {
    public static func header(body: String, timestamp: Int64, secrets: [String]) -> String {
        let message = Array("\(timestamp).\(body)".utf8)
        let parts = secrets.map { "v1=" + HMACSHA256.hex(key: Array($0.utf8), message: message) }
        return (["t=\(timestamp)"] + parts).joined(separator: ",")
    }

    /// What a receiver does: true if one of the v1 signatures matches `secret` and the
    /// timestamp is within `tolerance` seconds of `now`.
    public static func verify(header: String, body: String, secret: String, now: Int64, tolerance: Int64 = 300) -> Bool {
        var timestamp: Int64? = nil
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            if kv[0] == "t" { timestamp = Int64(kv[1]) }
            if kv[0] == "v1" { signatures.append(String(kv[1])) }
        }
        guard let timestamp, abs(now - timestamp) <= tolerance else { return false }
        let expected = Array(HMACSHA256.hex(key: Array(secret.utf8), message: Array("\(timestamp).\(body)".utf8)).utf8)
        return signatures.contains { HMACSHA256.constantTimeEqual(Array($0.utf8), expected) }
    }
}
