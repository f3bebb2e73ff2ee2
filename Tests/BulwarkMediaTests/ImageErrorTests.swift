import BulwarkMedia
import Foundation
import Testing

/// Hostile and damaged input: every failure is an ``ImageError`` with its documented code, and
/// nothing crashes or allocates for pixels a header merely claims.
struct ImageErrorTests {
    static func code(_ bytes: [UInt8], _ decoder: ImageDecoder = ImageDecoder()) -> ImageError? {
        do {
            _ = try decoder.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Crafted headers

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }

    static func pngChunk(_ kind: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(kind.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }

    /// A valid PNG signature and IHDR (8-bit RGB) declaring `width`×`height`, a small IDAT, IEND.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + pngChunk("IHDR", bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0])
            + pngChunk("IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]) + pngChunk("IEND", [])
    }

    /// SOI, a baseline frame header declaring `width`×`height` with 3 components, a scan header, EOI.
    static func jpegHeader(width: UInt16, height: UInt16) -> [UInt8] {
        let sof: [UInt8] = [
            0xFF, 0xC0, 0, 17, 8, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 3,
            1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0,
        ]
        let sos: [UInt8] = [0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0]
        return [0xFF, 0xD8] + sof + sos + [0x12, 0x34, 0xFF, 0xD9]
    }

    /// A lossless WebP (VP8L) header declaring 16384×16384, the format's largest.
    static let webpHeader: [UInt8] = {
        let vp8l: [UInt8] = [0x2F, 0xFF, 0xFF, 0xFF, 0x0F] + [UInt8](repeating: 0, count: 16)
        let chunk = Array("VP8L".utf8) + [UInt8(vp8l.count), 0, 0, 0] + vp8l
        return Array("RIFF".utf8) + [UInt8(chunk.count + 4), 0, 0, 0] + Array("WEBP".utf8) + chunk
    }()

    /// A GIF89a logical screen of `width`×`height` with no colour table, a first frame of
    /// `frameWidth`×`frameHeight` at (`left`, `top`), and a few bytes of image data.
    static func gifHeader(
        width: UInt16, height: UInt16, left: UInt16 = 0, top: UInt16 = 0, frameWidth: UInt16 = 1,
        frameHeight: UInt16 = 1
    ) -> [UInt8] {
        func le(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        return Array("GIF89a".utf8) + le(width) + le(height) + [0, 0, 0] + [0x2C] + le(left) + le(top)
            + le(frameWidth) + le(frameHeight) + [0, 2, 2, 0x4C, 0x01, 0, 0x3B]
    }

    @Test func headersDeclaringTooManyPixelsAreRefusedBeforeDecoding() throws {
        let cases: [(String, [UInt8])] = [
            ("PNG 100000×100000", Self.pngHeader(width: 100_000, height: 100_000)),
            ("PNG 10000×10000", Self.pngHeader(width: 10_000, height: 10_000)),
            ("JPEG 65535×65535", Self.jpegHeader(width: 65_535, height: 65_535)),
            ("JPEG 10000×10000", Self.jpegHeader(width: 10_000, height: 10_000)),
            ("WebP 16384×16384", Self.webpHeader),
            ("PPM 100000×100000", Array("P6\n100000 100000\n255\n".utf8) + [1, 2, 3]),
            ("PGM 8000×8000", Array("P5 8000 8000 255\n".utf8) + [1, 2, 3]),
            ("GIF screen 65535×65535", Self.gifHeader(width: 65_535, height: 65_535)),
            ("GIF frame 65535×65535 on a 1×1 screen", Self.gifHeader(width: 1, height: 1, frameWidth: 65_535, frameHeight: 65_535)),
            ("GIF frame at (40000, 40000)", Self.gifHeader(width: 1, height: 1, left: 40_000, top: 40_000)),
        ]
        for (name, bytes) in cases {
            let error = try #require(Self.code(bytes), "\(name) decoded")
            #expect(error.code == .tooManyPixels, "\(name): \(error)")
            #expect(error.message.contains("declares"), "\(name): \(error.message)")
        }
        // The PNG claim is read as written: the message names the size.
        #expect(Self.code(Self.pngHeader(width: 100_000, height: 100_000))?.message.contains("100000×100000") == true)
        // Lower limits apply the same way.
        let strict = ImageDecoder(limits: ImageLimits(maxPixels: 100))
        #expect(Self.code(try DecoderTests.fixture("rgb.png"), strict)?.code == .tooManyPixels)
        #expect(Self.code(try DecoderTests.fixture("rgb.jpg"), strict)?.code == .tooManyPixels)
        #expect(Self.code(try DecoderTests.fixture("lossy.webp"), strict)?.code == .tooManyPixels)
        #expect(Self.code(try DecoderTests.fixture("grey.pgm"), strict)?.code == .tooManyPixels)
        #expect(Self.code(try DecoderTests.fixture("palette.gif"), strict)?.code == .tooManyPixels)
        // The canvas counts, not only the frame: a 10×6 frame that grows the screen to 25×19.
        let canvas = ImageDecoder(limits: ImageLimits(maxPixels: 24 * 19))
        let grown = try #require(Self.code(try DecoderTests.fixture("offset-transparent.gif"), canvas))
        #expect(grown.code == .tooManyPixels && grown.message.contains("25×19"), "\(grown)")
        #expect(throws: ImageError.self) { try canvas.header(try DecoderTests.fixture("offset-transparent.gif")) }
        let narrow = ImageDecoder(limits: ImageLimits(maxDimension: 20))
        #expect(Self.code(try DecoderTests.fixture("rgb.png"), narrow)?.code == .tooManyPixels)
    }

    /// A HEIF image's sizes are checked before libheif decodes it: the size it is coded at (its
    /// `ispe` box; lossy.heic is coded 64 × 64 and cropped to 32 × 24 by a `clap` box), so that a
    /// crop cannot let a 20,000 × 20,000 image through (`tooManyPixels` at once, from
    /// ``ImageDecoder/header(_:)`` and ``ImageDecoder/decode(_:)``), and the size shown. A side
    /// over ``ImageLimits/maxDimension`` is refused by libheif as it reads the boxes.
    @Test func heifImagesDeclaringTooManyPixelsAreRefusedBeforeDecoding() throws {
        var bytes = try DecoderTests.fixture("lossy.heic")
        let ispe = Array("ispe".utf8)
        let at = try #require((0...(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == ispe })
        bytes.replaceSubrange((at + 8)..<(at + 16), with: Self.bigEndian(20_000) + Self.bigEndian(20_000))
        let decoder = ImageDecoder()
        let coded = Self.code(bytes, decoder)
        #expect(coded?.code == .tooManyPixels && coded?.format == .heif, "\(String(describing: coded))")
        #expect(coded?.message.contains("ispe") == true)
        // The same bytes before the change decode.
        #expect(Self.code(try DecoderTests.fixture("lossy.heic"), decoder) == nil)
        #expect(throws: ImageError.self) { try decoder.header(bytes) }
        let small = ImageDecoder(limits: ImageLimits(maxPixels: 100))
        let error = Self.code(try DecoderTests.fixture("lossy.avif"), small)
        #expect(error?.code == .tooManyPixels && error?.message.contains("32×24") == true, "\(String(describing: error))")
        let narrow = ImageDecoder(limits: ImageLimits(maxDimension: 16))
        #expect(Self.code(try DecoderTests.fixture("lossy.heic"), narrow)?.code == .tooManyPixels)
    }

    /// A HEIF file cut short or damaged is an error that names libheif's reason, never a crash.
    @Test func damagedHEIFImagesSayWhatLibheifFound() throws {
        for name in ["lossy.heic", "turned.heic", "lossy.avif", "irot-first.heic"] {
            let bytes = try DecoderTests.fixture(name)
            for cut in [12, 40, bytes.count / 2, bytes.count - 8] {
                let error = Self.code(Array(bytes.prefix(cut)))
                #expect(error != nil, "\(name) cut at \(cut) decoded")
                #expect(error?.format == .heif && error?.message.hasPrefix("libheif") == true, "\(String(describing: error))")
                #expect(error?.code == .truncated || error?.code == .corrupt, "\(name) cut at \(cut): \(String(describing: error))")
            }
        }
    }

    @Test func emptyAndUnknownDataAreUnsupported() {
        #expect(Self.code([])?.code == .unsupportedFormat)
        #expect(Self.code(Array("GIF88a\u{1}\u{0}\u{1}\u{0}".utf8))?.code == .unsupportedFormat)
        #expect(Self.code(Array("hello, world".utf8))?.code == .unsupportedFormat)
        #expect(Self.code([0xFF])?.code == .unsupportedFormat)
    }

    @Test func moreBytesThanTheLimitIsTooLarge() throws {
        let bytes = try DecoderTests.fixture("rgb.jpg")
        let error = Self.code(bytes, ImageDecoder(limits: ImageLimits(maxBytes: 500)))
        #expect(error?.code == .tooLarge)
        #expect(error?.message.contains("\(bytes.count) bytes") == true)
    }

    /// Cut at several offsets, each format reports `truncated`.
    @Test(arguments: [
        "reg-test-input/dih/bridge-1-original.jpg", "misc-images/small.jpg", "misc-images/c.png",
        "misc-images/modes/P.png", "misc-images/modes/F.webp", "misc-images/modes/LA.png",
    ])
    func truncatedFilesSayTruncated(path: String) throws {
        let bytes = try Support.pdqImage(path)
        let format = ImageFormat.detect(bytes)
        let cuts = [
            16, 40, bytes.count / 10, bytes.count / 4, bytes.count / 2, bytes.count * 3 / 4, bytes.count * 9 / 10,
        ]
        for cut in cuts {
            let error = Self.code(Array(bytes.prefix(cut)))
            #expect(error?.code == .truncated, "\(path) cut at \(cut) of \(bytes.count): \(String(describing: error))")
            #expect(error?.format == format)
        }
    }

    /// A GIF cut anywhere before its first frame ends is `truncated` at the data's end; cut after
    /// it, it decodes (the later frames are not read).
    @Test func truncatedGIFsSayTruncated() throws {
        let bytes = try DecoderTests.fixture("offset-transparent.gif")
        let whole = try ImageDecoder().decode(bytes)
        // The first frame's data ends where the second frame's graphic control extension starts.
        let second = try #require((0..<(bytes.count - 2)).last { bytes[$0] == 0x2C && bytes[$0 + 1] == 0 })
        for cut in [6, 10, 13, 20, 40, 60, 80, second - 1] where cut < second {
            let error = Self.code(Array(bytes.prefix(cut)))
            #expect(error?.code == .truncated, "cut at \(cut) of \(bytes.count): \(String(describing: error))")
            #expect(error?.format == .gif && error?.offset == cut, "cut at \(cut): \(String(describing: error))")
        }
        #expect(try ImageDecoder().decode(Array(bytes.prefix(second))) == whole)
        let interlaced = try DecoderTests.fixture("palette.gif")
        for cut in [interlaced.count / 2, interlaced.count - 3] {
            #expect(Self.code(Array(interlaced.prefix(cut)))?.code == .truncated, "palette.gif cut at \(cut)")
        }
    }

    /// An animated WebP cut anywhere past its header is `truncated` (its RIFF length says so), and
    /// its canvas is checked against the limits before the animation decoder allocates it.
    @Test func truncatedAnimatedWebPsSayTruncated() throws {
        for name in ["animated.webp", "animated-lossy.webp"] {
            let bytes = try DecoderTests.fixture(name)
            for cut in [40, bytes.count / 3, bytes.count / 2, bytes.count - 1] {
                let error = Self.code(Array(bytes.prefix(cut)))
                #expect(error?.code == .truncated, "\(name) cut at \(cut) of \(bytes.count): \(String(describing: error))")
                #expect(error?.format == .webp)
            }
        }
        let strict = ImageDecoder(limits: ImageLimits(maxPixels: 100))
        #expect(Self.code(try DecoderTests.fixture("animated.webp"), strict)?.code == .tooManyPixels)
    }

    @Test func corruptGIFsSayCorruptAndWhere() throws {
        // A record that is neither a frame, an extension nor the trailer, where the first frame
        // should start (after the 13-byte screen descriptor and its 8-colour table).
        var record = try DecoderTests.fixture("offset-transparent.gif")
        record[13 + 24] = 0x42
        let r = try #require(Self.code(record))
        #expect(r.code == .corrupt && r.format == .gif && r.offset == 13 + 24 + 1, "\(r)")
        // The trailer before any frame.
        let empty = Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0, 0x3B]
        let e = try #require(Self.code(empty))
        #expect(e.code == .corrupt && e.message.contains("before its first frame"), "\(e)")
        #expect(throws: ImageError.self) { try ImageDecoder().header(empty) }
    }

    @Test func truncatedNetpbmSaysWhereAndHowMuch() throws {
        let bytes = try DecoderTests.fixture("rgb16.ppm")
        for cut in [3, 10, 30, bytes.count / 2, bytes.count - 1] {
            let error = Self.code(Array(bytes.prefix(cut)))
            #expect(error?.code == .truncated, "cut at \(cut): \(String(describing: error))")
        }
        let error = Self.code(Array(bytes.prefix(100)))
        #expect(error?.offset == 100)
    }

    @Test func corruptDataSaysCorruptAndWhere() throws {
        // JPEG: no marker where the second segment must start.
        var jpeg = try DecoderTests.fixture("rgb.jpg")
        let second = 4 + (Int(jpeg[4]) << 8 | Int(jpeg[5]))
        jpeg[second] = 0x12
        let j = try #require(Self.code(jpeg))
        #expect(j.code == .corrupt && j.offset == second, "\(j)")
        // JPEG: a segment length under 2.
        var length = try DecoderTests.fixture("rgb.jpg")
        length[4] = 0
        length[5] = 1
        #expect(Self.code(length)?.code == .corrupt)
        // PNG: IHDR's bytes changed under its CRC.
        var png = try DecoderTests.fixture("rgb.png")
        png[17] ^= 0x01
        let p = try #require(Self.code(png))
        #expect(p.code == .corrupt && p.offset != nil, "\(p)")
        #expect(p.message.contains("CRC"), "\(p)")
        // PNG: compressed data damaged (CRC fixed up), so zlib fails.
        var idat = try DecoderTests.fixture("rgb16.png")
        let start = 8 + 25 + 8  // signature, IHDR chunk, IDAT's length and type
        let idatLength = Int(idat[33]) << 24 | Int(idat[34]) << 16 | Int(idat[35]) << 8 | Int(idat[36])
        for k in 2..<min(40, idatLength) { idat[start + k] = 0xFF }
        let crc = Self.bigEndian(Self.crc32(Array(idat[(start - 4)..<(start + idatLength)])))
        idat.replaceSubrange((start + idatLength)..<(start + idatLength + 4), with: crc)
        #expect(Self.code(idat)?.code == .corrupt, "\(String(describing: Self.code(idat)))")
        // WebP: the VP8 start code replaced.
        var webp = try Support.pdqImage("misc-images/modes/F.webp")
        webp[23] = 0
        webp[24] = 0
        #expect(Self.code(webp)?.code == .corrupt, "\(String(describing: Self.code(webp)))")
        // PPM and PGM headers.
        for text in [
            "P6\n12 x\n255\n", "P6 0 5 255\n", "P6\n2 2\n0\n", "P5 2 2 70000\n",
            "P6 2 2 255x" + String(repeating: "\0", count: 12),
        ] {
            let error = Self.code(Array(text.utf8) + [UInt8](repeating: 7, count: 16))
            #expect(error?.code == .corrupt, "\(text.debugDescription): \(String(describing: error))")
        }
    }

    /// A few hundred seeded mutations (bytes flipped, overwritten, cut, both) of every fixture:
    /// each decode ends in an image or an ``ImageError``, never a crash, and images are consistent.
    @Test func mutatedImagesNeverCrash() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: DecoderTests.fixtures)
            .filter { !$0.hasSuffix(".ppm") || $0 == "rgb16.ppm" }.sorted()
        var inputs = try names.map { try DecoderTests.fixture($0) }
        inputs.append(try Support.pdqImage("misc-images/wee.jpg"))
        inputs.append(try Support.pdqImage("reg-test-input/labelme-subset/q0003.jpg"))
        #expect(inputs.count >= 28)
        var g = SeededGenerator(seed: 20_240_601)
        // Limits low enough that a mutated size field cannot make a case slow.
        let decoder = ImageDecoder(limits: ImageLimits(maxPixels: 4_000_000))
        var decoded = 0
        var codes: [String: Int] = [:]
        var cases = 0
        for input in inputs {
            for _ in 0..<14 {
                var bytes = input
                let kind = Int.random(in: 0..<4, using: &g)
                if kind != 2 {
                    for _ in 0..<Int.random(in: 1...8, using: &g) {
                        let at = Int.random(in: 0..<bytes.count, using: &g)
                        bytes[at] =
                            kind == 0
                            ? bytes[at] ^ UInt8(1 << Int.random(in: 0..<8, using: &g))
                            : UInt8.random(in: 0...255, using: &g)
                    }
                }
                if kind >= 2 { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &g))) }
                cases += 1
                do {
                    let image = try decoder.decode(bytes)
                    #expect(image.pixels.count == image.width * image.height * 3)
                    decoded += 1
                } catch {
                    codes[error.code.description, default: 0] += 1
                }
            }
        }
        #expect(cases >= 390)
        print("Mutations: \(cases) cases, \(decoded) decoded, errors \(codes.sorted { $0.key < $1.key })")
    }
}
