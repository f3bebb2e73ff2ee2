/// The PDQ hash of a still image's pixels as stored, before the orientation its EXIF or XMP names
/// (2-8) turned them: what a hasher that applies no orientation gives for it (HMA's
/// `pdq_from_file`, the C++ `pdq-photo-hasher`), so that a bank hash made that way still matches.
/// The media part's own hash is of the picture as shown.
public struct StoredPixelsPDQ: Sendable, Hashable {
    /// The EXIF orientation (2-8) the stored pixels are turned by to be shown.
    public var orientation: Int
    public var hash: PDQHash
    public var quality: Int

    public init(orientation: Int, hash: PDQHash, quality: Int) {
        self.orientation = orientation
        self.hash = hash
        self.quality = quality
    }

    /// As stored: `orientation:quality:hex`.
    public var text: String { "\(orientation):\(quality):\(hash.hex)" }

    /// The hash of ``text``; nil (or empty) text is none. Throws `invalidField` (field
    /// `stored_pdq`) when it does not read.
    public static func parse(_ text: String?) throws(BulwarkError) -> StoredPixelsPDQ? {
        guard let text, !text.isEmpty else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let orientation = Int(parts[0]), (2...8).contains(orientation),
            let quality = Int(parts[1]), (0...100).contains(quality), let hash = PDQHash(hex: parts[2])
        else {
            throw BulwarkError(
                .invalidField, "the stored pixels' hash is not orientation:quality:hex: \(text.prefix(80))",
                field: "stored_pdq")
        }
        return StoredPixelsPDQ(orientation: orientation, hash: hash, quality: quality)
    }
}
