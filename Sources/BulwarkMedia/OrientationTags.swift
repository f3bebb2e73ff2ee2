internal import BulwarkCore
internal import CImageCodecs
internal import CImageShims

/// What an image's metadata says of how its stored pixels are turned for display, read where and
/// as Pillow 13 reads it for `ImageOps.exif_transpose` (what the PDQ tools built on Pillow hash):
/// - the EXIF orientation tag (0x0112) of the first image directory, when there is an EXIF block:
///   in a JPEG the first APP1 segment starting "Exif\0\0"; in a PNG the last `eXIf` chunk or
///   `tEXt` chunk keyed `exif`, else the last text chunk keyed `Raw profile type exif` (hex, as
///   ImageMagick writes it); in a WebP the first `EXIF` chunk;
/// - only when there is no such tag, the first `tiff:Orientation="N"` or
///   `<tiff:Orientation>N` in the XMP packet: a JPEG's last XMP APP1 segment, a PNG's last text
///   chunk keyed `XML:com.adobe.xmp`, a WebP's first `XMP ` chunk.
/// A tag of any value counts, so a tag of 1 (or 0) turns nothing and the XMP is not read.
/// Values 2–8 turn the image; any other value turns nothing.
struct OrientationTags: Sendable, Hashable {
    /// The EXIF block, when there is one: the orientation tag's value, nil when it has none or
    /// cannot be read.
    var exif: Int??
    /// The XMP packet's orientation, when there is a packet and it names one.
    var xmp: Int?

    var orientation: Orientation {
        let value = (exif ?? nil) ?? xmp ?? 1
        return Orientation(rawValue: value) ?? .up
    }

    // MARK: EXIF and XMP

    /// What an EXIF block starts with in a JPEG's APP1 segment (and may, in a PNG or WebP).
    static let exifPrefix: [UInt8] = Array("Exif\0\0".utf8)
    /// What a JPEG's APP1 segment holding an XMP packet starts with.
    static let xmpSegmentPrefix: [UInt8] = Array("http://ns.adobe.com/xap/1.0/\0".utf8)

    /// The orientation tag of an EXIF block: a TIFF structure, after at most two "Exif\0\0"
    /// prefixes (Pillow strips both). A tag of an integer type (byte, short, long, signed) and
    /// count 1 gives its value; a tag of another type or count is present and turns nothing (0).
    /// nil when the block has no such tag or its first directory cannot be read.
    static func exifTag(_ data: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var tiff = range.lowerBound
        let end = range.upperBound
        let prefix = exifPrefix
        for _ in 0..<2 where end - tiff >= prefix.count && prefix.indices.allSatisfy({ data[tiff + $0] == prefix[$0] }) {
            tiff += prefix.count
        }
        guard end - tiff >= 8 else { return nil }
        let little: Bool
        switch (data[tiff], data[tiff + 1]) {
        case (0x49, 0x49): little = true  // "II"
        case (0x4D, 0x4D): little = false  // "MM"
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= tiff, at <= end - 2 else { return nil }
            let a = Int(data[at])
            let b = Int(data[at + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let lo = u16(little ? at : at + 2), let hi = u16(little ? at + 2 : at) else { return nil }
            return hi << 16 | lo
        }
        guard u16(tiff + 2) == 42, let ifd = u32(tiff + 4), ifd <= end - tiff, let count = u16(tiff + ifd)
        else { return nil }
        let entries = tiff + ifd + 2
        for k in 0..<count {
            let entry = entries + 12 * k
            guard let tag = u16(entry), let type = u16(entry + 2), let n = u32(entry + 4), u32(entry + 8) != nil
            else { return nil }
            guard tag == 0x0112 else { continue }
            guard n == 1 else { return 0 }
            let value = entry + 8
            switch type {
            case 1: return Int(data[value])  // BYTE: the field's first byte
            case 3: return u16(value)
            case 4: return u32(value)
            case 8: return u16(value).map { Int(Int16(truncatingIfNeeded: $0)) }
            case 9: return u32(value).map { Int(Int32(truncatingIfNeeded: $0)) }
            default: return 0
            }
        }
        return nil
    }

    /// The first `tiff:Orientation="N` or `tiff:Orientation>N` (N one digit) in an XMP packet, as
    /// Pillow's regular expression finds it; nil when there is none.
    static func xmpOrientation(_ data: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        let name = Array("tiff:Orientation".utf8)
        var i = range.lowerBound
        while i <= range.upperBound - name.count - 2 {
            if data[i] == name[0] && (1..<name.count).allSatisfy({ data[i + $0] == name[$0] }) {
                var j = i + name.count
                if data[j] == UInt8(ascii: "=") && data[j + 1] == UInt8(ascii: "\"") {
                    j += 2
                } else if data[j] == UInt8(ascii: ">") {
                    j += 1
                } else {
                    i += 1
                    continue
                }
                if j < range.upperBound, (0x30...0x39).contains(data[j]) { return Int(data[j] - 0x30) }
            }
            i += 1
        }
        return nil
    }

    // MARK: PNG

    /// The largest compressed text inflated (`zTXt`, compressed `iTXt`), as Pillow's
    /// `MAX_TEXT_CHUNK`; a chunk that inflates to more is passed over.
    static let maxInflatedText = 1 << 20

    /// A PNG's orientation, from its chunks in order to `IEND` (after `IDAT` too, as Pillow reads
    /// them on loading). A chunk whose CRC is wrong is passed over, as libpng discards an ancillary
    /// chunk with a bad CRC. nil for an animated PNG (an `acTL` chunk): its frames are not turned.
    static func png(_ data: UnsafeBufferPointer<UInt8>) -> OrientationTags? {
        var exifChunk: Int??
        var rawProfile: Int??
        var tags = OrientationTags()
        let (eXIf, tEXt, zTXt, iTXt) = (PNGChunks.type("eXIf"), PNGChunks.textType, PNGChunks.compressedTextType, PNGChunks.type("iTXt"))
        var chunks = PNGChunks(data)
        while let chunk = chunks.next() {
            switch chunk.type {
            case PNGChunks.end: return resolved()
            case PNGChunks.type("acTL"): return nil
            case eXIf:
                if chunks.crcIsRight(chunk) { exifChunk = .some(exifTag(data, chunk.data)) }
                continue
            case tEXt, zTXt, iTXt: break
            default: continue
            }
            // A text chunk: its key (at most 79 bytes), then what the kind holds. Only three keys
            // are read further.
            let keyBytes = chunk.data.lowerBound..<min(chunk.data.upperBound, chunk.data.lowerBound + 80)
            guard let nul = keyBytes.first(where: { data[$0] == 0 }) else { continue }
            let key = Key(UnsafeBufferPointer(rebasing: data[chunk.data.lowerBound..<nul]))
            guard key != .other, key != .exif || chunk.type == tEXt, chunks.crcIsRight(chunk),
                let value = Self.text(data, nul + 1..<chunk.data.upperBound, kind: chunk.type)
            else { continue }
            value.withUnsafeBufferPointer { value in
                let all = 0..<value.count
                switch key {
                case .exif: exifChunk = .some(exifTag(value, all))
                case .rawProfile:
                    rawProfile = .some(Self.rawProfile(value).flatMap { $0.withUnsafeBufferPointer { exifTag($0, 0..<$0.count) } })
                case .xmp: tags.xmp = xmpOrientation(value, all)
                case .other: break
                }
            }
        }
        return resolved()

        func resolved() -> OrientationTags {
            var result = tags
            result.exif = exifChunk ?? rawProfile
            return result
        }
    }

    /// The keys of the text chunks read.
    private enum Key {
        case exif, rawProfile, xmp, other

        init(_ name: UnsafeBufferPointer<UInt8>) {
            self =
                if name.elementsEqual("exif".utf8) { .exif }
                else if name.elementsEqual("Raw profile type exif".utf8) { .rawProfile }
                else if name.elementsEqual("XML:com.adobe.xmp".utf8) { .xmp }
                else { .other }
        }
    }

    /// A text chunk's value (`range`: what follows the key's NUL), a compressed value inflated:
    /// nil when it is compressed otherwise than with zlib or inflates to more than
    /// ``maxInflatedText``. A damaged `zTXt` stream gives an empty value and a damaged `iTXt`
    /// nothing, as Pillow reads them.
    private static func text(_ data: UnsafeBufferPointer<UInt8>, _ rest: Range<Int>, kind: UInt32) -> [UInt8]? {
        switch kind {
        case PNGChunks.textType:
            return Array(data[rest])
        case PNGChunks.compressedTextType:  // the compression method, then the stream
            guard let method = rest.first.map({ data[$0] }) else { return [] }
            guard method == 0, let value = inflate(data, rest.lowerBound + 1..<rest.upperBound) else { return nil }
            return value ?? []
        default:  // iTXt: flag, method, language, NUL, translated key, NUL, text
            guard rest.count >= 2 else { return nil }
            let compressed = data[rest.lowerBound] != 0
            let method = data[rest.lowerBound + 1]
            guard let language = (rest.lowerBound + 2..<rest.upperBound).first(where: { data[$0] == 0 }),
                let translated = (language + 1..<rest.upperBound).first(where: { data[$0] == 0 })
            else { return nil }
            let text = translated + 1..<rest.upperBound
            guard compressed else { return Array(data[text]) }
            guard method == 0, let value = inflate(data, text), let value else { return nil }
            return value
        }
    }

    /// The inflated bytes; .some(nil) when the stream is damaged, nil when it inflates to more
    /// than ``maxInflatedText``. The room starts at eight times the stream's length (text seldom
    /// inflates more) and grows fourfold to the limit while the stream holds more.
    private static func inflate(_ data: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [UInt8]?? {
        var capacity = range.count < maxInflatedText / 8 ? max(4096, range.count * 8) : maxInflatedText
        while true {
            var written = 0
            let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                written = bw_zlib_inflate(data.baseAddress! + range.lowerBound, range.count, buffer.baseAddress, buffer.count)
                count = max(0, written)
            }
            switch written {
            case -2 where capacity < maxInflatedText: capacity = min(maxInflatedText, capacity * 4)
            case -2: return nil
            case ..<0: return .some(nil)
            default: return .some(out)
            }
        }
    }

    /// The EXIF block of an ImageMagick "Raw profile type exif" text: the lines after the third
    /// newline, joined, as hex digits in pairs with ASCII white space between pairs; nil when
    /// they are not.
    static func rawProfile(_ value: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var newlines = 0
        var i = 0
        while i < value.count && newlines < 3 {
            if value[i] == UInt8(ascii: "\n") { newlines += 1 }
            i += 1
        }
        var out: [UInt8] = []
        var high: UInt8?
        for c in value[i...] where c != UInt8(ascii: "\n") {
            if high == nil, c == 0x20 || (0x09...0x0D).contains(c) { continue }
            guard let nibble = hexDigitValue(c) else { return nil }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return high == nil ? out : nil
    }

    // MARK: WebP

    /// A still WebP's orientation, from its first `EXIF` and `XMP ` chunks as libwebp's demuxer
    /// finds them (what Pillow reads).
    static func webp(_ data: UnsafeBufferPointer<UInt8>) -> OrientationTags {
        var tags = OrientationTags()
        var webp = WebPData(bytes: data.baseAddress, size: data.count)
        guard let demux = WebPDemux(&webp) else { return tags }
        defer { WebPDemuxDelete(demux) }
        func chunk(_ name: StaticString, _ read: (UnsafeBufferPointer<UInt8>) -> Void) {
            var iterator = WebPChunkIterator()
            guard WebPDemuxGetChunk(demux, UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self), 1, &iterator) != 0
            else { return }
            defer { WebPDemuxReleaseChunkIterator(&iterator) }
            if iterator.chunk.size > 0 { read(UnsafeBufferPointer(start: iterator.chunk.bytes, count: iterator.chunk.size)) }
        }
        chunk("EXIF") { tags.exif = .some(exifTag($0, 0..<$0.count)) }
        chunk("XMP ") { tags.xmp = xmpOrientation($0, 0..<$0.count) }
        return tags
    }
}
