public import BulwarkCore

/// What a media part's decoding gives the media job: the first frame's hash, the later frames
/// kept and a turned still image's hash as stored (``AnimationPDQ`` without its reading), or why
/// it did not decode.
public struct HashedMedia: Sendable, Hashable {
    public var first: PDQResult
    public var laterFrames: [FramePDQ]
    public var storedPixels: StoredPixelsPDQ?

    public init(first: PDQResult, laterFrames: [FramePDQ], storedPixels: StoredPixelsPDQ? = nil) {
        self.first = first
        self.laterFrames = laterFrames
        self.storedPixels = storedPixels
    }

    public init(_ frames: AnimationPDQ) {
        self.init(first: frames.first, laterFrames: frames.laterFrames, storedPixels: frames.storedPixels)
    }

    /// What the media job hashes of `bytes`, wherever it decodes them (in the service's process or
    /// a decoder process): every frame (``PDQHasher/hashFrames(_:decoder:scratch:dihedral:storedPixels:)``)
    /// and, unless `storedPixels` is false, a turned still image's pixels as stored.
    public init(
        hashing bytes: [UInt8], decoder: ImageDecoder, scratch: inout PDQScratch, storedPixels: Bool = true
    ) throws(ImageError) {
        self.init(try PDQHasher().hashFrames(bytes, decoder: decoder, scratch: &scratch, storedPixels: storedPixels))
    }
}

/// The messages between the service and a decoder process (`bulwark media-decoder`), which
/// decodes untrusted files away from it. A request is a 16-byte header (the file's length, 8 bytes
/// little-endian; what is asked, 1 byte: 0 hash, 1 still, 2 report; 3 zero bytes; for a hash 0,
/// or 1 for no stored pixels' hash, for a still a frame number, for a report its options, 4 bytes
/// little-endian) and
/// the file's bytes. The answer to a hash request is one line of text,
///
///     ok QUALITY HEX STORED FRAMES STORED as StoredPixelsPDQ.text, FRAMES as FramePDQ.text,
///                                  each - for none
///     error CODE FORMAT OFFSET MESSAGE
///                                  CODE an ImageError code, FORMAT an ImageFormat or -, OFFSET a
///                                  byte or -, MESSAGE to the end
///
/// and to a still request (how the console shows frame N: ``StillImage/display(_:frame:decoder:)``)
///
///     png LENGTH                   followed by LENGTH bytes of PNG
///     asis FORMAT                  the bytes as they are, an ImageFormat
///     none MESSAGE                 not shown, and why
///
/// and to a report request (the process's own hook: `bulwark hash`'s fields for the file)
///
///     report LENGTH                followed by LENGTH bytes of report
///     error ...                    as above
///
/// Pure: the processes and pipes are the caller's.
public enum MediaDecoderWire {
    /// The longest answer line read: 100 frames of about 80 bytes, and a message.
    public static let maxAnswerBytes = 64 << 10

    /// What a request asks.
    public enum Request: Sendable, Hashable {
        /// The file's PDQ hashes (``HashedMedia``), with a turned still image's pixels as stored
        /// unless `storedPixels` is false.
        case hash(storedPixels: Bool = true)
        /// How the console shows frame `frame` of the file (``StillImage/Display``).
        case still(frame: Int)
        /// What the process's `report` hook makes of the file (`bulwark hash`'s JSON fields),
        /// `options` passed to it as they are.
        case report(options: UInt32)
    }

    /// The longest report an answer may carry: `bulwark hash`'s fields for a file (100 frames of
    /// about 90 bytes, a message) are a few kilobytes.
    public static let maxReportBytes = 1 << 20

    public static let headerBytes = 16
    /// The largest PNG a still answer may carry: a 4096 × 4096 frame (``StillImage/maxPixels``)
    /// with the filter bytes and the zlib blocks' overhead, rounded up.
    public static let maxStillBytes = 64 << 20

    /// The request's header for a file of `count` bytes.
    public static func header(count: Int, request: Request = .hash()) -> [UInt8] {
        let length = UInt64(truncatingIfNeeded: count)
        var out = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) }
        let frame: UInt32
        switch request {
        case .hash(let storedPixels):
            out.append(0)
            frame = storedPixels ? 0 : 1
        case .still(let n):
            out.append(1)
            frame = UInt32(clamping: n)
        case .report(let options):
            out.append(2)
            frame = options
        }
        out += [0, 0, 0]
        out += (0..<4).map { UInt8(truncatingIfNeeded: frame >> (8 * UInt32($0))) }
        return out
    }

    /// The length and the request a header states; nil when it asks for neither.
    public static func read(header: [UInt8]) -> (length: UInt64, request: Request)? {
        guard header.count == headerBytes, header[9..<12].allSatisfy({ $0 == 0 }) else { return nil }
        let length = header[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let frame = header[12..<16].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        switch header[8] {
        case 0 where frame <= 1: return (length, .hash(storedPixels: frame == 0))
        case 1 where frame <= UInt32(Int32.max): return (length, .still(frame: Int(frame)))
        case 2: return (length, .report(options: frame))
        default: return nil
        }
    }

    /// The answer to a still request: its line, with its newline, and the PNG after it.
    public static func answer(_ display: StillImage.Display) -> [UInt8] {
        switch display {
        case .png(let png): return Array("png \(png.count)\n".utf8) + png
        case .asIs(let format): return Array("asis \(format.rawValue)\n".utf8)
        case .notShown(let why): return Array("none \(oneLine(why))\n".utf8)
        }
    }

    /// What a still answer's line says: the display, or for a PNG how many bytes follow the line.
    public enum StillLine: Sendable, Equatable {
        case display(StillImage.Display)
        case png(bytes: Int)
    }

    /// The still answer a line (without its newline) starts; `BulwarkError` (`invalidField`, field
    /// `answer`) when it is not one.
    public static func read(stillLine line: some StringProtocol) throws(BulwarkError) -> StillLine {
        let bad = BulwarkError(.invalidField, "not a still answer: \(line.prefix(80))", field: "answer")
        if line.hasPrefix("png ") {
            guard let count = Int(line.dropFirst(4)), (0...maxStillBytes).contains(count) else { throw bad }
            return .png(bytes: count)
        }
        if line.hasPrefix("asis ") {
            guard let format = ImageFormat(rawValue: String(line.dropFirst(5))) else { throw bad }
            return .display(.asIs(format))
        }
        if line.hasPrefix("none ") { return .display(.notShown(String(line.dropFirst(5)))) }
        throw bad
    }

    /// `text` with each character holding a line feed (the answer's end) made a space; other
    /// line breaks (a carriage return, U+2028) are left, so that an answer read and written again
    /// is the same answer (scripts/fuzz.sh decoder-wire found a carriage return changed).
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.unicodeScalars.contains("\n") ? " " : $0 })
    }

    /// The answer line, with its newline.
    public static func answer(_ result: Result<HashedMedia, ImageError>) -> [UInt8] {
        switch result {
        case .success(let media):
            let frames = FramePDQ.text(media.laterFrames) ?? "-"
            let stored = media.storedPixels?.text ?? "-"
            return Array("ok \(media.first.quality) \(media.first.hash.hex) \(stored) \(frames)\n".utf8)
        case .failure(let error):
            return errorLine(error)
        }
    }

    /// A failure's line, with its newline: `error CODE FORMAT OFFSET MESSAGE`.
    static func errorLine(_ error: ImageError) -> [UInt8] {
        // One line: a message's own line feeds (none are written today) become spaces.
        let message = oneLine(error.message)
        let format = error.format?.rawValue ?? "-"
        return Array("error \(error.code) \(format) \(error.offset.map(String.init) ?? "-") \(message)\n".utf8)
    }

    /// The answer to a report request: `report LENGTH` and the report's bytes after it, or the
    /// failure's line.
    public static func answer(report: Result<[UInt8], ImageError>) -> [UInt8] {
        switch report {
        case .success(let bytes): return Array("report \(bytes.count)\n".utf8) + bytes
        case .failure(let error): return errorLine(error)
        }
    }

    /// What a report answer's line (without its newline) says: how many bytes of report follow
    /// it, or the failure; `BulwarkError` (`invalidField`, field `answer`) when it is neither, or
    /// states more than ``maxReportBytes``.
    public static func read(reportLine line: some StringProtocol) throws(BulwarkError) -> Result<Int, ImageError> {
        let bad = BulwarkError(.invalidField, "not a report answer: \(line.prefix(80))", field: "answer")
        if line.hasPrefix("report ") {
            guard let count = Int(line.dropFirst(7)), (0...maxReportBytes).contains(count) else { throw bad }
            return .success(count)
        }
        guard line.hasPrefix("error "), case .failure(let error) = try read(answer: line) else { throw bad }
        return .failure(error)
    }

    /// The result an answer line (without its newline) gives; `BulwarkError` (`invalidField`,
    /// field `answer`) when the line is not one.
    public static func read(answer line: some StringProtocol) throws(BulwarkError) -> Result<HashedMedia, ImageError> {
        let bad = BulwarkError(.invalidField, "not a decoder answer: \(line.prefix(80))", field: "answer")
        if line.hasPrefix("ok ") {
            // The frames' text has spaces of its own: it is the rest of the line.
            let parts = line.dropFirst(3).split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4, let quality = Int(parts[0]), (0...100).contains(quality),
                let hash = PDQHash(hex: parts[1])
            else { throw bad }
            let stored = try StoredPixelsPDQ.parse(parts[2] == "-" ? nil : String(parts[2]))
            let frames = try FramePDQ.parse(parts[3] == "-" ? nil : String(parts[3]))
            return .success(
                HashedMedia(first: PDQResult(hash: hash, quality: quality), laterFrames: frames, storedPixels: stored))
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
