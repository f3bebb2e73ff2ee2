import BulwarkCore
import Crypto
import CryptoExtras
import Foundation

/// A password that cannot be hashed (only the empty one).
public struct PasswordError: Error, Sendable, CustomStringConvertible {
    public var description: String { "the password is empty" }
}

/// People's passwords, hashed with scrypt (memory-hard) and a per-user random salt. The hash
/// names its parameters, so they can be raised later without breaking stored hashes:
/// `scrypt$LOG2N$R$P$SALT$KEY` (salt and key in base64).
public enum Passwords {
    /// scrypt's cost: N = 2^logN rounds, block size r, parallelism p. The default, 2^15 × 8 × 1,
    /// uses 32 MiB and is OWASP's recommended minimum for scrypt.
    public struct Cost: Sendable, Hashable {
        public var logN: Int
        public var r: Int
        public var p: Int

        public init(logN: Int = 15, r: Int = 8, p: Int = 1) {
            self.logN = logN
            self.r = r
            self.p = p
        }
    }

    static let keyBytes = 32
    static let saltBytes = 16
    /// Most a stored hash may ask for (2^20 × 8 × 1 is 1 GiB): a tampered row cannot make a
    /// sign-in exhaust memory.
    static let maxLogN = 20

    public static func hash(_ password: String, cost: Cost = Cost()) throws -> String {
        guard !password.isEmpty else { throw PasswordError() }
        let salt = secureRandomBytes(saltBytes)
        let key = try derive(password, salt: salt, cost: cost)
        return
            "scrypt$\(cost.logN)$\(cost.r)$\(cost.p)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// True if `password` is the one `encoded` was made from; compares in constant time.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        guard !password.isEmpty else { return false }
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]),
            let p = Int(parts[3]), (1...maxLogN).contains(logN), (1...32).contains(r), (1...16).contains(p),
            let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])),
            !expected.isEmpty
        else { return false }
        guard
            let key = try? derive(
                password, salt: Array(salt), cost: Cost(logN: logN, r: r, p: p), bytes: expected.count)
        else { return false }
        return HMACSHA256.constantTimeEqual(key, Array(expected))
    }

    /// Spends the time of one verification, for a name that has no account, so that a
    /// sign-in's timing does not tell which names exist.
    public static func verifyNothing(_ password: String) {
        _ = verify(password, against: dummy)
    }

    static let dummy: String = (try? hash("bulwark-no-such-user")) ?? ""

    static func derive(_ password: String, salt: [UInt8], cost: Cost, bytes: Int = keyBytes) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: bytes, rounds: 1 << cost.logN, blockSize: cost.r,
            parallelism: cost.p)
        return key.withUnsafeBytes { Array($0) }
    }
}
