import BulwarkCore

/// A key for "the same text": the first 128 bits of the SHA-256 of the text's normal form
/// (``TextNormalizer``: case, diacritics, homoglyphs, leetspeak, zero-width characters and
/// spacing tricks folded), as 32 hex digits. Two posts with the same key are copies of one text
/// however they were disguised; a reviewer's decision on one may be applied to the others.
///
/// Texts whose normal form is shorter than ``minimumBytes`` have no key: a short post ("🏴",
/// a slogan, "amen") means what its context makes it mean, so its copies are not the same
/// content. (Near-duplicate matching starts at the same length, ``KnownTextBank``.)
public enum ContentKey {
    /// Fewest bytes of normal form a text needs to have a key.
    public static let minimumBytes = 40

    /// The key of `text`, or nil when its normal form is shorter than ``minimumBytes``.
    public static func of(_ text: String, normalizer: TextNormalizer) -> String? {
        of(normalized: normalizer.normalize(text))
    }

    /// The key of the text `normalized` is the normal form of (the whole text: a form of a text
    /// cut short is another text's), or nil when it is shorter than ``minimumBytes``.
    public static func of(normalized: NormalizedText) -> String? {
        guard normalized.bytes.count >= minimumBytes else { return nil }
        return String(SHA256.hex(normalized.bytes).prefix(32))
    }
}
