/// What a JPEG's marker segments before the first scan say: size, components, orientation (the
/// first EXIF segment's tag, else the last XMP segment's; `OrientationTags`), and whether an
/// Adobe segment is present (Adobe CMYK is stored inverted).
///
/// Walked in Swift, bounds-checked, so a damaged header is reported with its byte offset before
/// libjpeg-turbo sees it.
struct JPEGHeader: Sendable, Hashable {
    var width = 0
    var height = 0
    var components = 0
    var orientationTags = OrientationTags()
    var orientation: Orientation { orientationTags.orientation }
    var hasAdobeSegment = false
    /// Offset of the first start-of-scan marker.
    var scanStart = 0

    init(_ data: UnsafeBufferPointer<UInt8>) throws(ImageError) {
        func fail(_ code: ImageError.Code, _ message: String, _ offset: Int) -> ImageError {
            ImageError(code, message, format: .jpeg, offset: offset)
        }
        let n = data.count
        guard n >= 2, data[0] == 0xFF, data[1] == 0xD8 else { throw fail(.corrupt, "no start-of-image marker", 0) }
        var i = 2
        var sawFrame = false
        while true {
            guard i < n else { throw fail(.truncated, "the data ends before the first scan", n) }
            guard data[i] == 0xFF else {
                throw fail(.corrupt, "expected a marker, found 0x\(String(data[i], radix: 16))", i)
            }
            // Any number of 0xFF fill bytes may precede a marker code.
            var j = i + 1
            while j < n && data[j] == 0xFF { j += 1 }
            guard j < n else { throw fail(.truncated, "the data ends inside a marker", i) }
            let marker = data[j]
            let start = i
            i = j + 1
            switch marker {
            case 0x01, 0xD0...0xD7:
                continue  // no payload
            case 0xD8, 0xD9:
                throw fail(
                    .corrupt,
                    "unexpected marker 0xFF\(String(marker, radix: 16, uppercase: true)) before the first scan", start)
            case 0x00:
                throw fail(.corrupt, "invalid marker 0xFF00", start)
            default:
                break
            }
            guard i + 2 <= n else { throw fail(.truncated, "the data ends inside a segment length", start) }
            let length = Int(data[i]) << 8 | Int(data[i + 1])
            guard length >= 2 else { throw fail(.corrupt, "segment length \(length) is less than 2", i) }
            let payload = i + 2
            let end = i + length
            guard end <= n else {
                throw fail(
                    .truncated,
                    "the data ends inside the segment 0xFF\(String(marker, radix: 16, uppercase: true)) of \(length) bytes that starts at byte \(start)",
                    start)
            }
            switch marker {
            case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
                guard !sawFrame else { throw fail(.corrupt, "a second frame header", start) }
                guard length >= 8 else { throw fail(.corrupt, "frame header of \(length) bytes", start) }
                height = Int(data[payload + 1]) << 8 | Int(data[payload + 2])
                width = Int(data[payload + 3]) << 8 | Int(data[payload + 4])
                components = Int(data[payload + 5])
                sawFrame = true
            case 0xE1:
                func starts(_ prefix: [UInt8]) -> Bool {
                    end - payload >= prefix.count && prefix.indices.allSatisfy { data[payload + $0] == prefix[$0] }
                }
                if starts(OrientationTags.exifPrefix) {
                    // Later EXIF segments are appended to the first (Pillow), whose directory is read.
                    if orientationTags.exif == nil { orientationTags.exif = .some(OrientationTags.exifTag(data, payload..<end)) }
                } else if starts(OrientationTags.xmpSegmentPrefix) {
                    let packet = payload + OrientationTags.xmpSegmentPrefix.count
                    orientationTags.xmp = OrientationTags.xmpOrientation(data, packet..<end)
                }
            case 0xEE:
                let adobe: [UInt8] = Array("Adobe".utf8)
                if end - payload >= 12 && (0..<5).allSatisfy({ data[payload + $0] == adobe[$0] }) {
                    hasAdobeSegment = true
                }
            case 0xDA:
                guard sawFrame else { throw fail(.corrupt, "a scan before any frame header", start) }
                guard width > 0 && height > 0 else {
                    throw fail(.corrupt, "the frame header declares \(width)×\(height) pixels", start)
                }
                scanStart = start
                return
            default:
                break
            }
            i = end
        }
    }

    /// Whether an end-of-image marker follows the first scan. In entropy-coded data 0xFF is always
    /// followed by 0x00 or a restart marker, so 0xFF 0xD9 there is the real end; a file cut short
    /// has none.
    func hasEndMarker(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = scanStart
        while i + 1 < data.count {
            if data[i] == 0xFF && data[i + 1] == 0xD9 { return true }
            i += 1
        }
        return false
    }

    /// Offset of the start-of-scan marker after the first `limit` scans, nil when there are no
    /// more. Counts 0xFF 0xDA pairs from the first scan on: every scan has one (in entropy-coded data
    /// 0xFF is followed by 0x00 or a restart marker), so the count is never below the true one.
    func scan(after limit: Int, in data: UnsafeBufferPointer<UInt8>) -> Int? {
        var seen = 0
        var i = scanStart
        while i + 1 < data.count {
            if data[i] == 0xFF && data[i + 1] == 0xDA {
                seen += 1
                if seen > limit { return i }
                i += 2
            } else {
                i += 1
            }
        }
        return nil
    }
}
