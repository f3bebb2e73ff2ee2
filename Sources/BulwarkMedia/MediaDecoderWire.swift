public import BulwarkCore

/// What a media part's decoding gives the media job: the first frame's hash and the later frames
/// kept (``AnimationPDQ`` without its reading), or why it did not decode.
public struct HashedMedia: Sendable, Hashable {
    public var first: PDQResult
    public var laterFrames: [FramePDQ]

    public init(first: PDQResult, laterFrames: [FramePDQ]) {
        self.first = first
        self.laterFrames = laterFrames
    }

    public init(_ frames: AnimationPDQ) {
        self.init(first: frames.first, laterFrames: frames.laterFrames)
    }
}

/// The messages between the media job and a decoder process (`bulwark media-decoder`), which
/// decodes and hashes untrusted files away from the service: a request is the file's length as 8
/// bytes (little-endian) and its bytes; the answer one line of text,
///
///     ok QUALITY HEX FRAMES        FRAMES as FramePDQ.text, or - for none
///     error CODE FORMAT OFFSET MESSAGE
///                                  CODE an ImageError code, FORMAT an ImageFormat or -, OFFSET a
///                                  byte or -, MESSAGE to the end
///
/// Pure: the processes and pipes are the caller's.
public enum MediaDecoderWire {
    /// The longest answer line read: 100 frames of about 80 bytes, and a message.
    public static let maxAnswerBytes = 64 << 10

    /// The request's 8-byte header for a file of `count` bytes.
    public static func header(count: Int) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: UInt64(count) >> (8 * UInt64($0))) }
    }

    /// The length a request's header states.
    public static func length(header: some Collection<UInt8>) -> UInt64 {
        header.prefix(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    /// The answer line, with its newline.
    public static func answer(_ result: Result<HashedMedia, ImageError>) -> [UInt8] {
        switch result {
        case .success(let media):
            let frames = FramePDQ.text(media.laterFrames) ?? "-"
            return Array("ok \(media.first.quality) \(media.first.hash.hex) \(frames)\n".utf8)
        case .failure(let error):
            // One line: a message's own line breaks (none are written today) become spaces.
            let message = error.message.map { $0.isNewline ? " " : $0 }
            let format = error.format?.rawValue ?? "-"
            return Array("error \(error.code) \(format) \(error.offset.map(String.init) ?? "-") \(String(message))\n".utf8)
        }
    }

    /// The result an answer line (without its newline) gives; `BulwarkError` (`invalidField`,
    /// field `answer`) when the line is not one.
    public static func read(answer line: some StringProtocol) throws(BulwarkError) -> Result<HashedMedia, ImageError> {
        let bad = BulwarkError(.invalidField, "not a decoder answer: \(line.prefix(80))", field: "answer")
        if line.hasPrefix("ok ") {
            // The frames' text has spaces of its own: it is the rest of the line.
            let parts = line.dropFirst(3).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let quality = Int(parts[0]), (0...100).contains(quality),
                let hash = PDQHash(hex: parts[1])
            else { throw bad }
            let frames = try FramePDQ.parse(parts[2] == "-" ? nil : String(parts[2]))
            return .success(HashedMedia(first: PDQResult(hash: hash, quality: quality), laterFrames: frames))
        }
        guard line.hasPrefix("error ") else { throw bad }
        let parts = line.dropFirst(6).split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, let code = ImageError.Code(name: parts[0]) else { throw bad }
        let format = ImageFormat(rawValue: String(parts[1]))
        guard format != nil || parts[1] == "-" else { throw bad }
        let offset: Int?
        if parts[2] == "-" {
            offset = nil
        } else if let byte = Int(parts[2]), byte >= 0 {
            offset = byte
        } else {
            throw bad
        }
        return .failure(ImageError(code, String(parts[3]), format: format, offset: offset))
    }
}
