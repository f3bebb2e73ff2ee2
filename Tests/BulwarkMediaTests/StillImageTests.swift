import BulwarkMedia
import Testing

/// What the console sends for an image: nothing that moves.
struct StillImageTests {
    static func fixture(_ name: String) throws -> [UInt8] { try DecoderTests.fixture(name) }

    @Test func picturesThatCannotMoveAreSentAsTheyAre() throws {
        #expect(StillImage.display(try Self.fixture("rgb.jpg")) == .asIs(.jpeg))
        #expect(StillImage.display(try Self.fixture("palette.png")) == .asIs(.png))
        #expect(StillImage.display(try Self.fixture("lossy.webp")) == .asIs(.webp))
        #expect(StillImage.display(try Self.fixture("lossless-alpha.webp")) == .asIs(.webp))
    }

    /// A GIF (one frame or an animation), an animated PNG and an animated WebP become a PNG of
    /// their first frame:
    /// the same pixels as the decoder's, and no animation chunk.
    @Test(arguments: [
        "palette.gif", "animated.gif", "offset-transparent.gif", "animated.png", "animated.webp", "animated-alpha.webp",
    ])
    func whatCouldMoveIsSentAsItsFirstFrame(name: String) throws {
        let bytes = try Self.fixture(name)
        guard case .png(let png) = StillImage.display(bytes) else {
            Issue.record("\(name): \(StillImage.display(bytes))")
            return
        }
        #expect(ImageFormat.detect(png) == .png)
        #expect(!StillImage.isAnimatedPNG(png))
        let still = try ImageDecoder().decode(png)
        let first = try ImageDecoder().decode(Self.fixture(name + ".ppm"))
        let same = still == first
        #expect(same, "\(name): max difference \(DecoderTests.maxDifference(still, first))")
    }

    /// A HEIC or AVIF image, which few browsers show, is sent as a PNG of the pixels the decoder
    /// gives (turned as its `irot` box says).
    @Test(arguments: ["lossy.heic", "turned.heic", "lossy.avif", "irot-first.heic"])
    func aHEIFImageIsSentAsAPNG(name: String) throws {
        let bytes = try Self.fixture(name)
        guard case .png(let png) = StillImage.display(bytes) else {
            Issue.record("\(name): \(StillImage.display(bytes))")
            return
        }
        let same = try ImageDecoder().decode(png) == ImageDecoder().decode(bytes)
        #expect(same, "\(name)")
    }

    /// A later frame (the one a bank matched) is sent as a PNG of that frame as Pillow shows it;
    /// a frame the image does not have, or any frame but 0 of a still image, is not shown.
    @Test(arguments: [("animated.gif", 1), ("title-card.gif", 1), ("title-card.gif", 2), ("disposal.gif", 4), ("animated.webp", 1), ("apng-rgba.png", 3), ("apng-palette.png", 2)])
    func aLaterFrameIsSentAsThatFrame(name: String, frame: Int) throws {
        let bytes = try Self.fixture(name)
        guard case .png(let png) = StillImage.display(bytes, frame: frame) else {
            Issue.record("\(name) frame \(frame): \(StillImage.display(bytes, frame: frame))")
            return
        }
        let shown = try ImageDecoder().decode(png)
        let expected = try ImageDecoder().decode(Self.fixture(name + ".frame-\(frame).ppm"))
        #expect(shown == expected, "\(name) frame \(frame): max difference \(DecoderTests.maxDifference(shown, expected))")
        #expect(StillImage.display(bytes, frame: 0) == StillImage.display(bytes))
    }

    @Test func framesAnImageDoesNotHaveAreNotShown() throws {
        guard case .notShown(let missing) = StillImage.display(try Self.fixture("animated.gif"), frame: 2) else {
            Issue.record("frame 2 of a 2-frame GIF was shown")
            return
        }
        #expect(missing == "no frame 2: the animation has 2 frames")
        guard case .notShown(let still) = StillImage.display(try Self.fixture("rgb.png"), frame: 1) else {
            Issue.record("frame 1 of a PNG was shown")
            return
        }
        #expect(still == "a still image has no frame 1")
        let limited = ImageDecoder(limits: ImageLimits(maxFrames: 3))
        guard case .notShown(let past) = StillImage.display(try Self.fixture("disposal.gif"), frame: 4, decoder: limited) else {
            Issue.record("a frame past the limit was shown")
            return
        }
        #expect(past == "no frame 4: frame 3: the limit is 3 frames")
    }

    @Test func whatCannotBeShownStillIsNotShown() throws {
        #expect(StillImage.isAnimatedWebP(try Self.fixture("animated.webp")))
        #expect(StillImage.isAnimatedWebP(try Self.fixture("animated-alpha.webp")))
        #expect(!StillImage.isAnimatedWebP(try Self.fixture("lossless-alpha.webp")))
        guard case .notShown = StillImage.display(try Self.fixture("grey.pgm")) else {
            Issue.record("a PGM was shown")
            return
        }
        guard case .notShown = StillImage.display(Array("not an image".utf8)) else {
            Issue.record("text was shown")
            return
        }
        // A GIF the decoder refuses (over its limits) is not shown either.
        let strict = ImageDecoder(limits: ImageLimits(maxPixels: 100))
        guard case .notShown(let reason) = StillImage.display(try Self.fixture("palette.gif"), decoder: strict) else {
            Issue.record("a GIF over the limits was shown")
            return
        }
        #expect(reason.contains("tooManyPixels"))
    }

    /// A frame of more than 16 megapixels is not decoded to be shown, whatever the service's
    /// limits: a GIF of a few hundred bytes declaring 5000×5000 is not shown, nothing allocated.
    @Test func aStillFrameHasItsOwnPixelLimit() throws {
        #expect(StillImage.limits(ImageLimits()).maxPixels == 16_777_216)
        #expect(StillImage.limits(ImageLimits(maxPixels: 1_000)).maxPixels == 1_000)
        let big = ImageErrorTests.gifHeader(width: 5_000, height: 5_000)
        #expect(try ImageDecoder().header(big).width == 5_000)
        guard case .notShown(let why) = StillImage.display(big) else {
            Issue.record("a 25-megapixel GIF was decoded to be shown")
            return
        }
        #expect(why.contains("tooManyPixels"), "\(why)")
    }

    /// The animation chunk is found before the image data, and only there.
    @Test func anAnimatedPNGIsToldByItsAnimationChunk() throws {
        #expect(StillImage.isAnimatedPNG(try Self.fixture("animated.png")))
        #expect(!StillImage.isAnimatedPNG(try Self.fixture("rgb.png")))
        #expect(!StillImage.isAnimatedPNG(try Self.fixture("palette-transparent.png")))
        // Cut inside its chunks, still no crash.
        let bytes = try Self.fixture("animated.png")
        for cut in [0, 8, 20, 36, 40, 60] { _ = StillImage.isAnimatedPNG(Array(bytes.prefix(cut))) }
        #expect(!StillImage.isAnimatedPNG(Array(bytes.prefix(36))))
    }

    @Test(arguments: ["rgb.png", "palette.gif", "grey16.png", "offset-transparent.gif"])
    func theEncodedPNGDecodesToTheSamePixels(name: String) throws {
        let image = try ImageDecoder().decode(Self.fixture(name))
        for level in [0, 1, 9] {
            for filter in [PNGEncoder.Filter.adaptive, .none, .sub] {
                let png = try #require(PNGEncoder.encode(image, level: level, filter: filter))
                let same = try ImageDecoder().decode(png) == image
                #expect(same, "\(name) at level \(level), filter \(filter)")
            }
        }
        #expect(PNGEncoder.encode(RGBImage(width: 0, height: 0, pixels: [])) == nil)
        // The filter is applied: the rows are written differently.
        #expect(PNGEncoder.encode(image, level: 6, filter: .none) != PNGEncoder.encode(image, level: 6, filter: .sub))
    }
}
