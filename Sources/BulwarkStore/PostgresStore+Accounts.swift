public import BulwarkCore
import PostgresNIO

/// Console accounts and sessions on PostgreSQL: the same steps as SQLite's.
extension PostgresStore {
    public func createUser(name: String, role: Role, passwordHash: String, now: Int64) async throws -> UserRecord {
        try await transaction { db in
            let id = try await insertedID(
                db,
                """
                INSERT INTO users (name, role, password_hash, created_at)
                VALUES (\(name), \(role.rawValue), \(passwordHash), \(now))
                RETURNING id
                """)
            try await audit(
                db, actor: "cli", action: "user.create", subject: "user:\(id)",
                detail: "{\"name\":\(JSONText.encode(name)),\"role\":\"\(role.rawValue)\"}", now: now)
            return UserRecord(
                id: id, name: name, role: role, passwordHash: passwordHash, failedAttempts: 0, lockedUntil: nil,
                createdAt: now, disabledAt: nil)
        }
    }

    public func user(name: String) async throws -> UserRecord? {
        try await read("SELECT * FROM users WHERE name = \(name)").first.map(Self.user)
    }

    public func recordFailedSignIn(userID: Int64, maxAttempts: Int, lockSeconds: Int64, now: Int64) async throws
        -> UserRecord?
    {
        let lockUntil = now + lockSeconds
        let max = Int64(maxAttempts)
        return try await transaction { db in
            let user = try await rows(
                db,
                """
                UPDATE users SET
                    locked_until = CASE WHEN failed_attempts + 1 >= \(max) THEN \(lockUntil) ELSE locked_until END,
                    failed_attempts = CASE WHEN failed_attempts + 1 >= \(max) THEN 0 ELSE failed_attempts + 1 END
                WHERE id = \(userID)
                RETURNING *
                """
            ).first.map(Self.user)
            if let user, user.failedAttempts == 0, user.lockedUntil == lockUntil {
                try await audit(
                    db, actor: user.name, action: "user.locked", subject: "user:\(userID)", detail: "{}", now: now)
            }
            return user
        }
    }

    public func startSession(userID: Int64, tokenHash: String, csrfToken: String, expiresAt: Int64, now: Int64)
        async throws
    {
        try await transaction { db in
            try await execute(db, "UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = \(userID)")
            try await execute(db, "DELETE FROM sessions WHERE expires_at <= \(now)")
            try await execute(
                db,
                """
                INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                VALUES (\(tokenHash), \(userID), \(csrfToken), \(now), \(expiresAt))
                """)
            try await audit(
                db, actor: "user:\(userID)", action: "user.sign_in", subject: "user:\(userID)", detail: "{}", now: now)
        }
    }

    public func session(tokenHash: String, now: Int64) async throws -> SessionRecord? {
        guard
            let row = try await read(
                """
                SELECT u.*, s.token_hash, s.csrf_token, s.created_at AS session_created_at, s.expires_at
                FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = \(tokenHash) AND s.expires_at > \(now) AND u.disabled_at IS NULL
                """
            ).first
        else { return nil }
        let c = Cells(row)
        return try SessionRecord(
            tokenHash: c["token_hash"], user: Self.user(row), csrfToken: c["csrf_token"],
            createdAt: c["session_created_at"], expiresAt: c["expires_at"])
    }

    public func endSession(tokenHash: String, now: Int64) async throws -> Bool {
        try await transaction { db in
            guard
                let userID = try await rows(
                    db, "DELETE FROM sessions WHERE token_hash = \(tokenHash) RETURNING user_id"
                )
                .first?.decode(Int64.self)
            else { return false }
            try await audit(
                db, actor: "user:\(userID)", action: "user.sign_out", subject: "user:\(userID)", detail: "{}", now: now)
            return true
        }
    }

    public func setMediaPreference(userID: Int64, _ preference: MediaPreference, now: Int64) async throws -> Bool {
        try await transaction { db in
            let updated = try await rows(
                db,
                """
                UPDATE users SET media_blurred = \(preference.blurred), media_keep_greyscale = \(preference.keepGreyscale)
                WHERE id = \(userID) RETURNING id
                """)
            guard !updated.isEmpty else { return false }
            try await audit(
                db, actor: "user:\(userID)", action: "user.settings", subject: "user:\(userID)",
                detail: AccountText.mediaDetail(preference), now: now)
            return true
        }
    }

    static func user(_ row: PostgresRow) throws -> UserRecord {
        let c = Cells(row)
        let attempts: Int64 = try c["failed_attempts"]
        return try UserRecord(
            id: c["id"], name: c["name"], role: Role(rawValue: c["role"]) ?? .auditor, passwordHash: c["password_hash"],
            failedAttempts: Int(attempts), lockedUntil: c["locked_until"], createdAt: c["created_at"],
            disabledAt: c["disabled_at"],
            media: MediaPreference(blurred: c["media_blurred"], keepGreyscale: c["media_keep_greyscale"]))
    }
}
