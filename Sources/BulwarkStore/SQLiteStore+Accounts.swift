public import BulwarkCore
import GRDB

/// Console accounts and sessions on SQLite.
extension SQLiteStore {
    public func createUser(name: String, role: Role, passwordHash: String, now: Int64) async throws -> UserRecord {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [name, role.rawValue, passwordHash, now])
            let id = db.lastInsertedRowID
            try Self.audit(
                db, actor: "cli", action: "user.create", subject: "user:\(id)",
                detail: "{\"name\":\(JSONText.encode(name)),\"role\":\"\(role.rawValue)\"}", now: now)
            return UserRecord(
                id: id, name: name, role: role, passwordHash: passwordHash, failedAttempts: 0, lockedUntil: nil,
                createdAt: now, disabledAt: nil)
        }
    }

    public func user(name: String) async throws -> UserRecord? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Self.user)
        }
    }

    public func recordFailedSignIn(userID: Int64, maxAttempts: Int, lockSeconds: Int64, now: Int64) async throws
        -> UserRecord?
    {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE users SET
                        locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE locked_until END,
                        failed_attempts = CASE WHEN failed_attempts + 1 >= ? THEN 0 ELSE failed_attempts + 1 END
                    WHERE id = ?
                    """,
                arguments: [maxAttempts, now + lockSeconds, maxAttempts, userID])
            let user = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [userID]).map(Self.user)
            if let user, user.failedAttempts == 0, user.lockedUntil == now + lockSeconds {
                try Self.audit(
                    db, actor: user.name, action: "user.locked", subject: "user:\(userID)", detail: "{}", now: now)
            }
            return user
        }
    }

    public func startSession(userID: Int64, tokenHash: String, csrfToken: String, expiresAt: Int64, now: Int64)
        async throws
    {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = ?", arguments: [userID])
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [now])
            try db.execute(
                sql:
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [tokenHash, userID, csrfToken, now, expiresAt])
            try Self.audit(
                db, actor: "user:\(userID)", action: "user.sign_in", subject: "user:\(userID)", detail: "{}", now: now)
        }
    }

    public func session(tokenHash: String, now: Int64) async throws -> SessionRecord? {
        try await writer.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT u.*, s.token_hash, s.csrf_token, s.created_at AS session_created_at, s.expires_at
                        FROM sessions s JOIN users u ON u.id = s.user_id
                        WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL
                        """,
                    arguments: [tokenHash, now])
            else { return nil }
            return SessionRecord(
                tokenHash: row["token_hash"], user: Self.user(row), csrfToken: row["csrf_token"],
                createdAt: row["session_created_at"], expiresAt: row["expires_at"])
        }
    }

    public func endSession(tokenHash: String, now: Int64) async throws -> Bool {
        try await writer.write { db in
            guard
                let userID = try Int64.fetchOne(
                    db, sql: "SELECT user_id FROM sessions WHERE token_hash = ?", arguments: [tokenHash])
            else { return false }
            try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash])
            try Self.audit(
                db, actor: "user:\(userID)", action: "user.sign_out", subject: "user:\(userID)", detail: "{}", now: now)
            return true
        }
    }

    public func setMediaPreference(userID: Int64, _ preference: MediaPreference, now: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE users SET media_blurred = ?, media_keep_greyscale = ? WHERE id = ?",
                arguments: [preference.blurred, preference.keepGreyscale, userID])
            guard db.changesCount > 0 else { return false }
            try Self.audit(
                db, actor: "user:\(userID)", action: "user.settings", subject: "user:\(userID)",
                detail: AccountText.mediaDetail(preference), now: now)
            return true
        }
    }

    static func user(_ row: Row) -> UserRecord {
        UserRecord(
            id: row["id"], name: row["name"], role: Role(rawValue: row["role"]) ?? .auditor,
            passwordHash: row["password_hash"], failedAttempts: row["failed_attempts"],
            lockedUntil: row["locked_until"],
            createdAt: row["created_at"], disabledAt: row["disabled_at"],
            media: MediaPreference(blurred: row["media_blurred"], keepGreyscale: row["media_keep_greyscale"]))
    }
}
