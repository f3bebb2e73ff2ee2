import BulwarkCore
import BulwarkMedia
import Foundation
import Testing

struct DecoderTests {
    static let fixtures = Support.root + "/Tests/BulwarkMediaTests/Fixtures"

    static func fixture(_ name: String) throws -> [UInt8] { try Support.read(fixtures + "/" + name) }

    /// Largest difference of any sample between two images of the same size.
    static func maxDifference(_ a: RGBImage, _ b: RGBImage) -> Int {
        zip(a.pixels, b.pixels).reduce(0) { max($0, abs(Int($1.0) - Int($1.1))) }
    }

    static func meanDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        Double(zip(a.pixels, b.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(max(1, a.pixels.count))
    }

    /// Lossless formats give exactly the pixels Pillow's `convert("RGB")` gives (written beside each
    /// fixture by scripts/make-image-fixtures.py): alpha dropped, palettes expanded, grey copied,
    /// 16-bit samples reduced to their high byte.
    @Test(arguments: [
        "rgb.png", "rgba.png", "grey.png", "grey-alpha.png", "palette.png", "palette-transparent.png", "bilevel.png",
        "rgb16.png", "grey16.png", "rgb16.ppm", "grey.pgm", "lossless.webp", "lossless-alpha.webp",
    ])
    func losslessFormatsGiveThePixelsPillowGives(name: String) throws {
        let image = try ImageDecoder().decode(Self.fixture(name))
        let expected = try ImageDecoder().decode(Self.fixture(name + ".ppm"))
        #expect(image.width == 23 && image.height == 17)
        #expect(image == expected)
    }

    /// A GIF is its first frame as Pillow's `convert("RGB")` shows it (written beside each fixture
    /// by scripts/make-image-fixtures.py): interlaced rows put back in order, a frame placed inside
    /// or past the logical screen (the canvas grows), the transparent index around it, a local
    /// table before the global one, indices past the table black, an identity grey ramp or no
    /// table giving the index's grey, an animation's later frames left out.
    @Test(arguments: [
        "palette.gif", "palette-sequential.gif", "grey.gif", "animated.gif", "offset-transparent.gif",
        "no-palette.gif", "grey-ramp.gif",
    ])
    func gifsGiveTheFirstFramePillowGives(name: String) throws {
        let bytes = try Self.fixture(name)
        let image = try ImageDecoder().decode(bytes)
        let expected = try ImageDecoder().decode(Self.fixture(name + ".ppm"))
        #expect(image.width == expected.width && image.height == expected.height)
        let same = image == expected
        #expect(same, "\(name): max difference \(Self.maxDifference(image, expected))")
        let header = try ImageDecoder().header(bytes)
        #expect(header.format == .gif && header.width == image.width && header.height == image.height)
    }

    /// The hand-written GIF's pixels, spelled out, so the fixture's `.ppm` is not the only witness:
    /// the canvas 25×19 (the 23×17 screen grown to the 10×6 frame at (15, 13)), blue around the
    /// frame (transparent index 2 of the frame's local table), red, green, blue, near-white for
    /// indices 0-3 and black for 4-7, which are past the table.
    @Test func aFramePastTheScreenGrowsTheCanvas() throws {
        let image = try ImageDecoder().decode(Self.fixture("offset-transparent.gif"))
        #expect(image.width == 25 && image.height == 19)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[(3 * (y * 25 + x))..<(3 * (y * 25 + x) + 3)]) }
        #expect(pixel(0, 0) == [0, 0, 255])
        #expect(pixel(14, 13) == [0, 0, 255])
        // Frame row 0: indices (x + 0) % 8 from x = 15.
        #expect(pixel(15, 13) == [255, 0, 0])
        #expect(pixel(16, 13) == [0, 255, 0])
        #expect(pixel(17, 13) == [0, 0, 255])
        #expect(pixel(18, 13) == [250, 250, 250])
        #expect(pixel(19, 13) == [0, 0, 0])
        // Frame row 5: index (9 + 10) % 8 = 3 at the canvas's last pixel.
        #expect(pixel(24, 18) == [250, 250, 250])
    }

    /// An animated WebP is its first frame as Pillow shows it: composed by libwebp's animation
    /// decoder on the canvas, alpha dropped (the lossless ones pixel for pixel; the lossy one
    /// within 1, as for a still lossy WebP).
    @Test(arguments: [("animated.webp", 0), ("animated-alpha.webp", 0), ("animated-lossy.webp", 1)])
    func animatedWebPsGiveTheFirstFramePillowGives(name: String, tolerance: Int) throws {
        let image = try ImageDecoder().decode(Self.fixture(name))
        let expected = try ImageDecoder().decode(Self.fixture(name + ".ppm"))
        #expect(image.width == 23 && image.height == 17 && expected.width == 23 && expected.height == 17)
        #expect(Self.maxDifference(image, expected) <= tolerance, "\(name): max difference \(Self.maxDifference(image, expected))")
        // Not the second frame, the first's negative.
        #expect(Self.meanDifference(image, expected) < 1)
    }

    /// Lossy formats: libjpeg-turbo and libwebp here against the builds inside Pillow's wheel.
    @Test(arguments: ["lossy.webp", "rgb.jpg", "grey.jpg", "cmyk.jpg", "progressive.jpg"])
    func lossyFormatsGiveNearlyThePixelsPillowGives(name: String) throws {
        let image = try ImageDecoder().decode(Self.fixture(name))
        let expected = try ImageDecoder().decode(Self.fixture(name + ".ppm"))
        #expect(image.width == expected.width && image.height == expected.height)
        #expect(
            Self.maxDifference(image, expected) <= 1, "\(name): max difference \(Self.maxDifference(image, expected))")
    }

    @Test func formatsAreRecognisedByTheirFirstBytes() throws {
        #expect(ImageFormat.detect(try Self.fixture("rgb.jpg")) == .jpeg)
        #expect(ImageFormat.detect(try Self.fixture("rgb.png")) == .png)
        #expect(ImageFormat.detect(try Self.fixture("lossy.webp")) == .webp)
        #expect(ImageFormat.detect(try Self.fixture("rgb16.ppm")) == .ppm)
        #expect(ImageFormat.detect(try Self.fixture("grey.pgm")) == .pgm)
        #expect(ImageFormat.detect(try Self.fixture("palette.gif")) == .gif)
        #expect(ImageFormat.detect(Array("GIF87a".utf8)) == .gif)
        #expect(ImageFormat.detect(Array("GIF88a".utf8)) == nil)
        #expect(ImageFormat.detect([UInt8]()) == nil)
        #expect(ImageFormat.detect(try Self.fixture("lossy.heic")) == .heif)
        #expect(ImageFormat.detect(try Self.fixture("lossy.avif")) == .heif)
        // An MP4 is an ISO base media file too, of another brand: not an image.
        #expect(ImageFormat.detect([0, 0, 0, 0x20] + Array("ftypisom".utf8) + [UInt8](repeating: 0, count: 20)) == nil)
    }

    /// HEIC and AVIF (libheif 1.15, with Debian's libde265 and dav1d) against pillow-heif's
    /// libheif 1.23 and Pillow's libavif (fixtures by scripts/make-image-fixtures.py --heif): the
    /// same size, and each sample within `tolerance`, the mean within `meanTolerance`. turned.heic
    /// is stored turned with an `irot` box: both show it turned, 24 × 32. libavif rebuilds an
    /// AVIF's half-resolution chroma otherwise than libheif (on a photograph the two are about as
    /// far from the JPEG the AVIF was made from, 0.92 and 1.16 a sample; docs/pdq.md).
    @Test(arguments: [("lossy.heic", 1, 0.1), ("turned.heic", 1, 0.1), ("lossy.avif", 18, 4.5)])
    func heifImagesGiveNearlyThePixelsTheReferenceGives(name: String, tolerance: Int, meanTolerance: Double) throws {
        let image = try ImageDecoder().decode(Self.fixture(name))
        let expected = try ImageDecoder().decode(Self.fixture(name + ".ppm"))
        #expect(image.width == expected.width && image.height == expected.height)
        let difference = Self.maxDifference(image, expected)
        #expect(difference <= tolerance, "\(name): max difference \(difference)")
        let mean = Self.meanDifference(image, expected)
        #expect(mean <= meanTolerance, "\(name): mean difference \(mean)")
        let (format, width, height) = try ImageDecoder().header(Self.fixture(name))
        #expect(format == .heif && width == image.width && height == image.height)
    }

    /// A turn listed before the size (`irot` before `ispe` in `ipma`, as a Sony camera writes
    /// it; irot-first.heic, 128 × 64 stored, no crop): libheif 1.15 states the size unturned but
    /// decodes the picture turned, 64 × 128, as pillow-heif shows it. The picture decoded is
    /// taken (until 2026-12-07 such a file was refused as `corrupt`, the two sizes differing),
    /// and the size the header states, for the limits only, has its pixels.
    @Test func aTurnListedBeforeTheSizeIsDecodedAsTheReferenceShowsIt() throws {
        let image = try ImageDecoder().decode(Self.fixture("irot-first.heic"))
        let expected = try ImageDecoder().decode(Self.fixture("irot-first.heic.ppm"))
        #expect(image.width == 64 && image.height == 128 && expected.width == 64 && expected.height == 128)
        #expect(Self.maxDifference(image, expected) <= 1)
        #expect(Self.meanDifference(image, expected) <= 0.1)
        let (format, width, height) = try ImageDecoder().header(Self.fixture("irot-first.heic"))
        #expect(format == .heif && width * height == 64 * 128 && Set([width, height]) == [64, 128])
    }

    /// The `irot` box is applied: turned.heic is lossy.heic's picture turned a quarter, and shown
    /// as it was before it was stored turned.
    @Test func aTurnedHEICIsShownUpright() throws {
        let upright = try ImageDecoder().decode(Self.fixture("lossy.heic"))
        let turned = try ImageDecoder().decode(Self.fixture("turned.heic"))
        #expect(upright.width == 32 && upright.height == 24)
        #expect(turned.width == 24 && turned.height == 32)
        // Shown turned back, it is the upright picture, to the encoder's rounding.
        #expect(Self.meanDifference(turned.oriented(.rotated90), upright) > 20)
        #expect(Self.meanDifference(turned.oriented(.rotated270), upright) < 3)
    }

    /// Each orientation maps the display's top-left corner to the right stored pixel.
    @Test(arguments: Orientation.allCases)
    func orientationMovesTheCornersWhereEXIFSays(orientation: Orientation) {
        // 3×2, each pixel's red value its index.
        let image = RGBImage(width: 3, height: 2, pixels: (0..<6).flatMap { [UInt8($0), 0, 0] })
        let out = image.oriented(orientation)
        #expect(out.width == (orientation.swapsSides ? 2 : 3))
        // The stored pixel shown top left, then the one shown to its right.
        let expected: [Orientation: (UInt8, UInt8)] = [
            .up: (0, 1), .mirrored: (2, 1), .rotated180: (5, 4), .mirroredVertically: (3, 4),
            .transposed: (0, 3), .rotated90: (3, 0), .transversed: (5, 2), .rotated270: (2, 5),
        ]
        #expect(out.pixels[0] == expected[orientation]?.0)
        #expect(out.pixels[3] == expected[orientation]?.1)
        #expect(out.pixels.count == 18)
    }

    /// orient-N.jpg stores one picture as EXIF orientation N expects: once applied, all eight show it.
    @Test(arguments: 1...8)
    func exifOrientationIsApplied(n: Int) throws {
        let bytes = try Self.fixture("orient-\(n).jpg")
        let upright = try ImageDecoder().decode(Self.fixture("orient-upright.ppm"))
        let image = try ImageDecoder().decode(bytes)
        #expect(image.width == 48 && image.height == 32)
        #expect(
            Self.meanDifference(image, upright) < 2,
            "orientation \(n): mean difference \(Self.meanDifference(image, upright))")
        let stored = try ImageDecoder(appliesOrientation: false).decode(bytes)
        #expect(stored.width == (n >= 5 ? 32 : 48))
    }

    /// The shared set's photos tagged with EXIF orientations (exif-rotn: 1, 3, 6, 8; they are four
    /// different shots of one scene, not one picture stored four ways): once oriented, the same hash
    /// as the reference gives for Pillow's `ImageOps.exif_transpose` of the same file.
    @Test func exifOrientationIsAppliedAsPillowAppliesIt() throws {
        let rows = try PDQConformanceTests.reference.get().filter { $0.orientation != nil }
        // Several files carry the tag with 0, which is no orientation; both sides ignore it.
        let rotated = rows.filter { (2...8).contains($0.orientation ?? 1) }
        #expect(Set(rotated.map { $0.orientation ?? 0 }) == [3, 6, 8])
        var scratch = PDQScratch()
        var report: [String] = []
        for row in rows {
            let bytes = try Support.pdqImage(row.name)
            let image = try ImageDecoder().decode(bytes)
            let swaps = (row.orientation ?? 1) >= 5
            #expect(image.width == (swaps ? row.height : row.width), "\(row.name)")
            let result = PDQHasher().hash(image, scratch: &scratch)
            let expected = try #require(row.oriented)
            #expect(result.hash.hex == expected.pdq && result.quality == expected.quality, "\(row.name)")
            if (2...8).contains(row.orientation ?? 1) {
                let stored = PDQHasher().hash(
                    try ImageDecoder(appliesOrientation: false).decode(bytes), scratch: &scratch)
                // Not applying it would be far off: the comparison can tell.
                let distance = stored.hash.distance(to: PDQHash(hex: expected.pdq) ?? .zero)
                #expect(distance > 31, "\(row.name): \(distance) bits without orientation")
                report.append("\(row.name) (orientation \(row.orientation ?? 0)): \(distance) bits apart without it")
            }
        }
        print(
            "EXIF orientation: \(rows.count) tagged files hash as Pillow's exif_transpose; "
                + report.joined(separator: "; "))
    }

    /// From image files, our decoders then our hash: within 10 bits of the C++ reference's published
    /// hash for every image of quality 80 or more (the conformance rule for decoded files).
    @Test func hashesOfImageFilesAreNearTheCppReference() throws {
        let csv = String(decoding: try Support.pdqImage("expected-hashes.csv"), as: UTF8.self)
        var checked = 0
        var report: [String] = []
        for line in csv.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            guard fields.count == 3, fields[2] == "cpp-reference", let expected = PDQHash(hex: fields[1]) else {
                continue
            }
            let image = try ImageDecoder().decode(Support.pdqImage(fields[0]))
            let result = PDQHasher().hash(image)
            let distance = result.hash.distance(to: expected)
            report.append("\(fields[0]) q\(result.quality) d\(distance)")
            if result.quality >= 80 {
                checked += 1
                #expect(distance <= 10, "\(fields[0]): \(distance) bits from the C++ reference")
            }
        }
        print("Distances to the cpp-reference rows: " + report.joined(separator: ", "))
        #expect(checked == 8)
    }

    /// Our decoders against Pillow's on every image of the shared set (orientation not applied, as
    /// Pillow does not): the PDQ hash of our pixels against the reference's hash of Pillow's.
    @Test func decodersAgreeWithPillowOnTheSharedImages() throws {
        let rows = try PDQConformanceTests.reference.get().filter { !$0.name.hasPrefix("generated/") }
        #expect(rows.count == 49)
        var identical = 0
        var worst = 0
        var scratch = PDQScratch()
        for row in rows {
            let image = try ImageDecoder(appliesOrientation: false).decode(Support.pdqImage(row.name))
            #expect(image.width == row.width && image.height == row.height, "\(row.name)")
            let result = PDQHasher().hash(image, scratch: &scratch)
            let distance = result.hash.distance(to: PDQHash(hex: row.float32.pdq) ?? .zero)
            if distance == 0 { identical += 1 }
            worst = max(worst, distance)
            #expect(distance <= 8, "\(row.name): \(distance) bits from the hash of Pillow's pixels")
        }
        print("Decoders vs Pillow: \(identical)/\(rows.count) identical hashes, at most \(worst) bits apart")
    }
}
