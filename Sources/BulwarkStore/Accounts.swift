public import BulwarkCore

/// A person who signs in to the console, with one of the API's roles. The password is kept
/// only as a self-describing hash (`scrypt$N$r$p$SALT$KEY`, made by the server).
public struct UserRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var role: Role
    public var passwordHash: String
    /// Failed sign-ins since the last success or lock-out.
    public var failedAttempts: Int
    /// Sign-in is refused until this time (seconds), after too many failures.
    public var lockedUntil: Int64?
    public var createdAt: Int64
    public var disabledAt: Int64?
    /// How the console shows this person images, video and audio.
    public var media: MediaPreference

    public init(
        id: Int64, name: String, role: Role, passwordHash: String, failedAttempts: Int, lockedUntil: Int64?,
        createdAt: Int64, disabledAt: Int64?, media: MediaPreference = .standard
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.failedAttempts = failedAttempts
        self.lockedUntil = lockedUntil
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.media = media
    }
}

/// A reviewer's wellness settings for the media the console shows (each person's own). Video
/// and audio never play by themselves, whatever is set: that is not a preference.
public struct MediaPreference: Sendable, Hashable {
    /// Images are blurred and greyscale until clicked.
    public var blurred: Bool
    /// An image, once revealed, stays greyscale.
    public var keepGreyscale: Bool

    public init(blurred: Bool, keepGreyscale: Bool) {
        self.blurred = blurred
        self.keepGreyscale = keepGreyscale
    }

    /// What a new account gets: blurred until clicked, colour once revealed.
    public static let standard = MediaPreference(blurred: true, keepGreyscale: false)
}

/// A signed-in session: the store knows it by the SHA-256 of its token, never the token.
public struct SessionRecord: Sendable, Hashable {
    public var tokenHash: String
    public var user: UserRecord
    /// The token a console form must send back with every POST.
    public var csrfToken: String
    public var createdAt: Int64
    public var expiresAt: Int64
}

/// Both stores' audit detail of a settings change.
enum AccountText {
    static func mediaDetail(_ p: MediaPreference) -> String {
        "{\"media_blurred\":\(p.blurred),\"media_keep_greyscale\":\(p.keepGreyscale)}"
    }
}
