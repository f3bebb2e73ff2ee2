/// Why an image could not be decoded: a stable code, a message, and where in the data.
///
/// Codes can be added without breaking callers, as with ``BulwarkError``.
public struct ImageError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unsupportedFormat
            case truncated
            case corrupt
            case tooLarge
            case tooManyPixels
            case tooManyScans
            case decoderFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not JPEG, PNG, WebP, GIF, PPM (P6), PGM (P5) or HEIF by its first bytes, or a variant of one that
        /// is not decoded (arithmetic-coded JPEG, a WebP or HEIF feature libwebp or libheif lacks, ...). Empty
        /// data too.
        public static let unsupportedFormat = Code(.unsupportedFormat)
        /// The data ends before the image does.
        public static let truncated = Code(.truncated)
        /// The data is malformed.
        public static let corrupt = Code(.corrupt)
        /// More bytes than ``ImageLimits/maxBytes``.
        public static let tooLarge = Code(.tooLarge)
        /// The header declares more pixels than ``ImageLimits/maxPixels``, or a side longer than
        /// ``ImageLimits/maxDimension``; found before any pixel buffer is allocated.
        public static let tooManyPixels = Code(.tooManyPixels)
        /// A JPEG with more scans than ``ImageLimits/maxJPEGScans``; found before decoding.
        public static let tooManyScans = Code(.tooManyScans)
        /// The decoder process (``ImageDecoder`` run apart from the service, `bulwark
        /// media-decoder`) ended while it decoded the file (a crash, its memory limit) or took
        /// longer than its time limit, and was stopped: the file was not decoded.
        public static let decoderFailed = Code(.decoderFailed)

        /// The code as it appears in JSON output: `unsupportedFormat`, `truncated`, ...
        public var description: String { base.rawValue }

        /// The code its ``description`` names; nil for another name.
        public init?(name: some StringProtocol) {
            guard let base = Base(rawValue: String(name)) else { return nil }
            self.base = base
        }
    }

    public var code: Code
    public var message: String
    /// The format, when the first bytes named one.
    public var format: ImageFormat?
    /// Byte offset in the data where the problem was found, when known.
    public var offset: Int?

    public init(_ code: Code, _ message: String, format: ImageFormat? = nil, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.format = format
        self.offset = offset
    }

    public var description: String {
        var place: [String] = []
        if let format { place.append(format.rawValue) }
        if let offset { place.append("byte \(offset)") }
        return "\(code): \(message)" + (place.isEmpty ? "" : " (" + place.joined(separator: ", ") + ")")
    }
}
