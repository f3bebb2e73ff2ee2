public import BulwarkCore

/// A video's vPDQ hash, as ThreatExchange's vPDQ and HMA share it: a list of frame hashes, each a
/// PDQ hash with its quality and the time of its frame in seconds.
///
/// The text is HMA's signal string: a JSON array of strings `"hex,quality,seconds"`
/// (`["f8f8...,100,0.0", "f8f0...,98,1.0"]`). Its canonical form, which ``text`` gives and the
/// banks store, is the same array written compactly with the hex in lowercase and the seconds in
/// thousandths without trailing zeros (`"f8f8...,100,0"`, `"...,98,1.5"`), so the same list
/// written by another tool is the same signal.
///
/// Matched as HMA matches it (``matches(_:)``): the frames of quality at least
/// ``minimumQuality``, each distinct hash once, are compared; a frame of one video is found in the
/// other when some frame of it is within the bank's PDQ threshold (31 bits by default).
///
/// A class so that a ``Signal`` of another type carries a single nil reference (a million bank
/// entries are held as signals); immutable.
public final class VPDQHash: Sendable, Hashable, CustomStringConvertible {
    /// One frame's hash.
    public struct Feature: Sendable, Hashable {
        public var hash: PDQHash
        /// 0 to 100.
        public var quality: Int
        /// The frame's time in thousandths of a second (the precision HMA writes).
        public var milliseconds: Int64

        public init(hash: PDQHash, quality: Int, milliseconds: Int64) {
            self.hash = hash
            self.quality = quality
            self.milliseconds = milliseconds
        }

        /// `hex,quality,seconds` as the canonical text writes it.
        public var text: String {
            var out: [UInt8] = []
            appendText(to: &out)
            return String(decoding: out, as: UTF8.self)
        }

        /// Appends ``text``'s bytes: the hash's 64 lowercase hex digits, the quality, and the
        /// seconds in thousandths without trailing zeros (`3`, `1.5`, `2.05`).
        func appendText(to out: inout [UInt8]) {
            hash.appendHex(to: &out)
            out.append(UInt8(ascii: ","))
            appendDecimal(Int64(quality), to: &out)
            out.append(UInt8(ascii: ","))
            appendDecimal(milliseconds / 1000, to: &out)
            var fraction = milliseconds % 1000
            guard fraction != 0 else { return }
            out.append(UInt8(ascii: "."))
            var digits = 3
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            for k in stride(from: digits - 1, through: 0, by: -1) {
                var p: Int64 = 1
                for _ in 0..<k { p *= 10 }
                out.append(UInt8(ascii: "0") + UInt8((fraction / p) % 10))
            }
        }

        /// The length of ``text`` in bytes.
        var textByteCount: Int {
            var fraction = milliseconds % 1000
            var digits = 0
            if fraction != 0 {
                digits = 4  // the point and three digits, less the trailing zeros
                while fraction % 10 == 0 {
                    fraction /= 10
                    digits -= 1
                }
            }
            return 64 + 1 + Self.decimalCount(Int64(quality)) + 1 + Self.decimalCount(milliseconds / 1000) + digits
        }

        private static func decimalCount(_ n: Int64) -> Int {
            var count = 1
            var rest = n / 10
            while rest > 0 {
                count += 1
                rest /= 10
            }
            return count
        }
    }

    /// Frames of lower quality are not compared (HMA's `VPDQ_QUALITY_THRESHOLD`).
    public static let minimumQuality = 50
    /// A video's frames are found in a bank entry's when at least this share of them is (HMA's
    /// `VPDQ_QUERY_MATCH_THRESHOLD_PERCENT`); an entry's are found in a video's likewise.
    public static let matchPercent = 80
    /// At most this many frames in one hash: two hours and 46 minutes at a frame a second.
    public static let maxFeatures = 10_000
    /// At most this many bytes of text (about 85 a frame).
    public static let maxTextBytes = 1_048_576
    /// At most this many seconds (a frame's time): about 31 years.
    static let maxSeconds = 1e9

    /// Every frame as given, in order.
    public let features: [Feature]
    /// The positions in ``features`` of the frames compared (``compared``). The text and these
    /// are not held as copies: a bank of 10,000 videos of 60 frames held its entries' frames
    /// three times over (the features, those compared, the text), about 10 KB an entry.
    let comparedPositions: [UInt16]
    /// SHA-256 of ``text``: the signal's identity in a bank.
    let digest: (UInt64, UInt64, UInt64, UInt64)

    /// The frames compared: those of quality at least ``minimumQuality``, each distinct hash
    /// once (the first), in order.
    public var compared: [Feature] { comparedPositions.map { features[Int($0)] } }

    /// The canonical text.
    public var text: String { String(decoding: textBytes(), as: UTF8.self) }

    /// The length of ``text`` in bytes.
    public var textByteCount: Int { features.reduce(1 + features.count * 3) { $0 + $1.textByteCount } }

    /// Appends ``text``'s bytes.
    func appendText(to out: inout [UInt8]) {
        out.reserveCapacity(out.count + textByteCount)
        Self.appendText(of: features, to: &out)
    }

    /// The canonical text of `features`: `["…","…"]`, each ``Feature/text``.
    private static func appendText(of features: [Feature], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, f) in features.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            f.appendText(to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "]"))
    }

    private func textBytes() -> [UInt8] {
        var out: [UInt8] = []
        appendText(to: &out)
        return out
    }

    public init(features: [Feature]) throws(BulwarkError) {
        guard !features.isEmpty else {
            throw BulwarkError(.invalidField, "vpdq value has no frames", field: "value")
        }
        guard features.count <= Self.maxFeatures else {
            throw BulwarkError(
                .limitExceeded, "vpdq value has \(features.count) frames, the limit is \(Self.maxFeatures)", field: "value")
        }
        for (i, f) in features.enumerated() {
            guard (0...100).contains(f.quality) else {
                throw BulwarkError(.invalidField, "vpdq frame \(i + 1): quality \(f.quality) is not 0 to 100", field: "value")
            }
            guard f.milliseconds >= 0, Double(f.milliseconds) <= Self.maxSeconds * 1000 else {
                throw BulwarkError(.invalidField, "vpdq frame \(i + 1): time \(f.milliseconds) ms is out of range", field: "value")
            }
        }
        self.features = features
        var seen = Set<PDQHash>()
        comparedPositions = features.indices.filter { features[$0].quality >= Self.minimumQuality && seen.insert(features[$0].hash).inserted }
            .map { UInt16($0) }
        var out: [UInt8] = []
        Self.appendText(of: features, to: &out)
        let d = SHA256.digest(out)
        func word(_ k: Int) -> UInt64 { d[(8 * k)..<(8 * k + 8)].reduce(0) { $0 << 8 | UInt64($1) } }
        digest = (word(0), word(1), word(2), word(3))
    }

    /// Parses HMA's signal string (see the type's documentation): a JSON array of strings, each
    /// `hex,quality,seconds` (spaces around the parts allowed; the seconds as a decimal number,
    /// an exponent allowed, rounded to thousandths). Throws `invalidField` (field `value`) saying
    /// which frame, or at which byte, the text does not read.
    public convenience init(_ text: some StringProtocol) throws(BulwarkError) {
        var copy = String(text)
        let features = try copy.withUTF8 { bytes in Result { () throws(BulwarkError) in try Self.parse(bytes) } }.get()
        try self.init(features: features)
    }

    /// ``init(_:)`` from UTF-8 bytes where they are (a snapshot's).
    convenience init(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(BulwarkError) {
        try self.init(features: try Self.parse(bytes))
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(BulwarkError) -> [Feature] {
        guard bytes.count <= maxTextBytes else {
            throw BulwarkError(
                .limitExceeded, "vpdq value is \(bytes.count) bytes, the limit is \(maxTextBytes)", field: "value")
        }
        func fail(_ what: String, _ at: Int) -> BulwarkError {
            BulwarkError(.invalidField, "vpdq value is not a JSON array of \"hex,quality,seconds\" strings: \(what)", field: "value", offset: at)
        }
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        var i = 0
        func skipSpaces() { while i < bytes.count, isSpace(bytes[i]) { i += 1 } }
        skipSpaces()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { throw fail("expected [", i) }
        i += 1
        var features: [Feature] = []
        skipSpaces()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
        } else {
            while true {
                skipSpaces()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string", i) }
                let start = i + 1
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                    // Hex digits, numbers and commas need no escape; none is read.
                    guard bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 else { throw fail("unexpected byte in a string", end) }
                    end += 1
                }
                guard end < bytes.count else { throw fail("unterminated string", start - 1) }
                guard features.count < maxFeatures else {
                    throw BulwarkError(.limitExceeded, "vpdq value has more than \(maxFeatures) frames", field: "value", offset: start - 1)
                }
                features.append(try feature(UnsafeBufferPointer(rebasing: bytes[start..<end]), number: features.count + 1, at: start))
                i = end + 1
                skipSpaces()
                guard i < bytes.count else { throw fail("unterminated array", i) }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected , or ]", i) }
                i += 1
                break
            }
        }
        skipSpaces()
        guard i == bytes.count else { throw fail("unexpected bytes after the array", i) }
        return features
    }

    /// One `hex,quality,seconds`.
    private static func feature(_ s: UnsafeBufferPointer<UInt8>, number: Int, at offset: Int) throws(BulwarkError) -> Feature {
        let parts = s.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self).trimmingSpaces
        }
        func fail(_ what: String) -> BulwarkError {
            let excerpt = String(decoding: s.prefix(100), as: UTF8.self)
            return BulwarkError(.invalidField, "vpdq frame \(number) (\"\(excerpt)\"): \(what)", field: "value", offset: offset)
        }
        guard parts.count == 3 else { throw fail("expected hex,quality,seconds") }
        guard let hash = PDQHash(hex: parts[0]) else { throw fail("the hash is not 64 hex digits") }
        guard let quality = Int(parts[1]), (0...100).contains(quality) else { throw fail("the quality is not a whole number from 0 to 100") }
        guard let seconds = Double(parts[2]), seconds.isFinite, seconds >= 0, seconds <= maxSeconds else {
            throw fail("the time is not a number of seconds from 0 to \(Int(maxSeconds))")
        }
        return Feature(hash: hash, quality: quality, milliseconds: Int64((seconds * 1000).rounded()))
    }

    public var description: String { text }

    /// The same canonical text (its SHA-256).
    public static func == (a: VPDQHash, b: VPDQHash) -> Bool { a.digest == b.digest }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(digest.0)
        hasher.combine(digest.1)
        hasher.combine(digest.2)
        hasher.combine(digest.3)
    }
}

/// How much of a media item's frames and a vPDQ bank entry's frames were found in each other.
public struct VideoMatch: Sendable, Hashable {
    /// The media's frames compared (of quality at least ``VPDQHash/minimumQuality``, each
    /// distinct hash once: its first frame, then the later ones kept).
    public var frames: Int
    /// How many of them are within the threshold of some frame of the entry.
    public var framesMatched: Int
    /// The entry's frames compared.
    public var entryFrames: Int
    /// How many of them are within the threshold of some frame of the media.
    public var entryFramesMatched: Int
    /// The media's frames that matched (0: its first), in order.
    public var matchedFrames: [Int]

    public init(frames: Int, framesMatched: Int, entryFrames: Int, entryFramesMatched: Int, matchedFrames: [Int]) {
        self.frames = frames
        self.framesMatched = framesMatched
        self.entryFrames = entryFrames
        self.entryFramesMatched = entryFramesMatched
        self.matchedFrames = matchedFrames
    }

    /// The share of the media's frames found in the entry, in percent (HMA's query match).
    public var percent: Double { frames == 0 ? 0 : Double(framesMatched) * 100 / Double(frames) }
    /// The share of the entry's frames found in the media, in percent (HMA's compared match).
    public var entryPercent: Double { entryFrames == 0 ? 0 : Double(entryFramesMatched) * 100 / Double(entryFrames) }

    /// HMA's rule, that at least 80% of the media's frames are found in the entry; or that at
    /// least 80% of the entry's are found in the media: the banked video inside a longer one.
    public var matches: Bool {
        (frames > 0 && framesMatched * 100 >= VPDQHash.matchPercent * frames)
            || (entryFrames > 0 && entryFramesMatched * 100 >= VPDQHash.matchPercent * entryFrames)
    }
}

extension VideoMatch {
    /// `{"frames":…,"frames_matched":…,"percent":…,"entry_frames":…,"entry_frames_matched":…,
    /// "entry_percent":…}`, the percentages to a tenth: as match evidence and `bulwark match`
    /// give it.
    public var json: String {
        func tenths(_ p: Double) -> String {
            let t = Int((p * 10).rounded())
            return "\(t / 10).\(t % 10)"
        }
        return "{\"frames\":\(frames),\"frames_matched\":\(framesMatched),\"percent\":\(tenths(percent)),"
            + "\"entry_frames\":\(entryFrames),\"entry_frames_matched\":\(entryFramesMatched),\"entry_percent\":\(tenths(entryPercent))}"
    }
}

extension MediaHashes {
    /// A vPDQ hash as a media item's hashes: its first frame as the first, the others as later
    /// frames (numbered from 1 in order, each with its second), so that it is matched as a video
    /// Bulwark hashed is: against vPDQ entries and each frame against PDQ ones.
    public init(video: VPDQHash) {
        let first = video.features[0]
        self.init(
            pdq: first.hash, pdqQuality: first.quality,
            frames: video.features.dropFirst().enumerated().map {
                FramePDQ(frame: $0.offset + 1, hash: $0.element.hash, quality: $0.element.quality, second: Int($0.element.milliseconds / 1000))
            })
    }
}

extension VPDQHash {
    /// The vPDQ hash of a video or animation Bulwark hashed: its first frame at 0 s, then each
    /// later frame kept at its second (an animation's frames, which have none, at their number).
    /// Bulwark keeps only the frames that show another picture, where vPDQ's hasher keeps one a
    /// second: the same frames, less the repeats.
    public convenience init(first: PDQHash, quality: Int, frames: [FramePDQ]) throws(BulwarkError) {
        try self.init(
            features: [Feature(hash: first, quality: quality, milliseconds: 0)]
                + frames.map { Feature(hash: $0.hash, quality: $0.quality, milliseconds: Int64($0.second ?? $0.frame) * 1000) })
    }
}
