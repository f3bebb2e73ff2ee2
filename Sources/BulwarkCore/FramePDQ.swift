/// The PDQ hash of a later frame of an animation (GIF, animated WebP, animated PNG) or a video:
/// frame `frame` counted from 0, with its quality; for a video, `second`, the time it was taken
/// at. The first frame's hash is the media part's own hash.
public struct FramePDQ: Sendable, Hashable {
    public var frame: Int
    public var hash: PDQHash
    public var quality: Int
    /// For a video's frame, its time from the start in whole seconds (frame × the seconds between
    /// the frames sampled); nil for an animation's.
    public var second: Int?

    public init(frame: Int, hash: PDQHash, quality: Int, second: Int? = nil) {
        self.frame = frame
        self.hash = hash
        self.quality = quality
        self.second = second
    }

    /// The time of frame `frame` among `frames`, when it is a video's frame that was kept.
    public static func second(ofFrame frame: Int, in frames: [FramePDQ]) -> Int? {
        frames.first { $0.frame == frame }?.second
    }

    /// Frames whose hashes are at most this many bits apart are taken as the same picture: of
    /// such a run only the first is kept. Far below the 31 bits at which banks usually match, so
    /// a bank entry near a frame left out is near the one kept too.
    public static let sameFrameBits = 8

    /// Whether `hash` shows another picture than every one `kept`: more than ``sameFrameBits``
    /// from each.
    public static func showsAnotherPicture(_ hash: PDQHash, than kept: [PDQHash]) -> Bool {
        !kept.contains { $0.distance(to: hash) <= sameFrameBits }
    }

    /// The frames as stored: `frame:quality:hex` for each, and `:second` after it for a video's,
    /// separated by single spaces; nil for none.
    public static func text(_ frames: [FramePDQ]) -> String? {
        frames.isEmpty
            ? nil
            : frames.map { "\($0.frame):\($0.quality):\($0.hash.hex)" + ($0.second.map { ":\($0)" } ?? "") }
                .joined(separator: " ")
    }

    /// The frames of ``text(_:)``; nil (or empty) text is none. Throws `invalidField` (field
    /// `frames`) naming the entry that does not read.
    public static func parse(_ text: String?) throws(BulwarkError) -> [FramePDQ] {
        guard let text, !text.isEmpty else { return [] }
        var frames: [FramePDQ] = []
        for (n, entry) in text.split(separator: " ").enumerated() {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            let second = parts.count == 4 ? Int(parts[3]) : nil
            guard parts.count == 3 || (second ?? -1) >= 0, let frame = Int(parts[0]), frame > 0,
                let quality = Int(parts[1]), (0...100).contains(quality), let hash = PDQHash(hex: parts[2])
            else {
                throw BulwarkError(
                    .invalidField, "frame entry \(n + 1) is not frame:quality:hex[:second]: \(entry.prefix(80))",
                    field: "frames")
            }
            frames.append(FramePDQ(frame: frame, hash: hash, quality: quality, second: second))
        }
        return frames
    }
}
