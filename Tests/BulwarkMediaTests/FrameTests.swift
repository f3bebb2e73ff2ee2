import BulwarkCore
import BulwarkMedia
import Testing

/// An animation read frame by frame (`ImageDecoder.forEachFrame`), against the frames Pillow shows
/// after `seek(n)` and `convert("RGB")` (written beside each fixture by
/// scripts/make-image-fixtures.py as NAME.frame-n.ppm; frame 0 is NAME.ppm).
struct FrameTests {
    static func frames(
        _ name: String, limits: ImageLimits = ImageLimits()
    ) throws -> (frames: [RGBImage], reading: FrameReading) {
        var frames: [RGBImage] = []
        let reading = try ImageDecoder(limits: limits).forEachFrame(DecoderTests.fixture(name)) { index, frame in
            #expect(index == frames.count)
            frames.append(frame)
            return true
        }
        return (frames, reading)
    }

    static func pillowFrame(_ name: String, _ n: Int) throws -> RGBImage {
        try ImageDecoder().decode(DecoderTests.fixture(n == 0 ? name + ".ppm" : name + ".frame-\(n).ppm"))
    }

    /// Every frame as Pillow shows it: GIF frames drawn over the canvas the earlier ones left
    /// (a partial frame's transparent pixels show what is under them; disposal 2 with the
    /// transparent index's colour or the background index's; disposal 3 putting back what was
    /// there; a frame that names no disposal keeping the one before, as Pillow does; Pillow's own
    /// optimised frames; a canvas grown by the first frame), and animated WebP frames composed by
    /// libwebp (the lossy one within 1 of Pillow's, whose libwebp is its own build).
    @Test(arguments: [
        ("animated.gif", 2, 0), ("title-card.gif", 3, 0), ("disposal.gif", 6, 0), ("optimised.gif", 3, 0), ("offset-transparent.gif", 2, 0),
        ("animated.webp", 2, 0), ("animated-alpha.webp", 2, 0), ("animated-lossy.webp", 2, 1),
    ])
    func everyFrameIsTheFramePillowShows(name: String, count: Int, tolerance: Int) throws {
        let (frames, reading) = try Self.frames(name)
        #expect(frames.count == count && reading == FrameReading(frames: count))
        for (n, frame) in frames.enumerated() {
            let expected = try Self.pillowFrame(name, n)
            #expect(frame.width == expected.width && frame.height == expected.height, "\(name) frame \(n)")
            let difference = DecoderTests.maxDifference(frame, expected)
            #expect(difference <= tolerance, "\(name) frame \(n): max difference \(difference)")
        }
        // The first frame is the image `decode` gives.
        #expect(try frames.first == ImageDecoder().decode(DecoderTests.fixture(name)))
    }

    /// The hand-written disposals, spelled out at a few pixels so the `.ppm` files are not the
    /// only witness (the screen's background index is 5; index k of the table is
    /// (200 - 20k, 30k, 100)).
    @Test func disposalsDoWhatTheyName() throws {
        let (frames, _) = try Self.frames("disposal.gif")
        func pixel(_ n: Int, _ x: Int, _ y: Int) -> [UInt8] {
            let o = 3 * (y * 23 + x)
            return Array(frames[n].pixels[o..<(o + 3)])
        }
        func colour(_ k: Int) -> [UInt8] { [UInt8(200 - 20 * k), UInt8(30 * k), 100] }
        // Frame 1's patch at (2, 3): its pixel (0, 0) is index 1; (1, 0) is index 2, transparent,
        // so frame 0's index at (3, 3), (3*3 + 3) % 8 = 4, shows through.
        #expect(pixel(1, 2, 3) == colour(1))
        #expect(pixel(1, 3, 3) == colour(4))
        // Disposal 2 of frame 1, seen in frame 2: its rectangle filled with index 2's colour.
        #expect(pixel(2, 3, 3) == colour(2) && pixel(2, 10, 9) == colour(2))
        // Disposal 2 of frame 2 (no transparent index), seen in frame 3: the background index 5.
        #expect(pixel(3, 12, 8) == colour(5) && pixel(3, 16, 12) == colour(5))
        // Frame 3 draws at (0, 0); disposal 3 puts back frame 2's pixels there in frame 4, and
        // frame 4 (no disposal named) keeps 3, so frame 5 shows frame 4's patch undone.
        #expect(pixel(3, 0, 0) == colour(6))
        #expect(pixel(4, 0, 0) == pixel(2, 0, 0) && pixel(4, 0, 0) == colour(0))
        #expect(pixel(4, 17, 11) == colour(3))
        #expect(pixel(5, 17, 11) == pixel(3, 17, 11))
    }

    /// A later frame of 0×0 pixels (which Pillow cannot load) leaves the canvas as it was, and the
    /// frame after it is read: the compressed data of the empty frame is passed over.
    @Test func anEmptyFrameLeavesTheCanvasAndTheNextIsRead() throws {
        let (frames, reading) = try Self.frames("empty-frame.gif")
        #expect(frames.count == 3 && reading == FrameReading(frames: 3))
        try #require(frames.count == 3)
        #expect(frames[0] == (try Self.pillowFrame("empty-frame.gif", 0)))
        #expect(frames[1] == frames[0])
        // Frame 2: a 3×3 patch of index 6 at (2, 2), (80, 180, 100); the rest as before.
        var expected = frames[0]
        for y in 2..<5 {
            for x in 2..<5 { expected.pixels.replaceSubrange((3 * (y * 23 + x))..<(3 * (y * 23 + x) + 3), with: [80, 180, 100]) }
        }
        #expect(frames[2] == expected)
    }

    /// Reading stops at `maxFrames` or before the frame that would pass `maxAnimationPixels`,
    /// and says so; the frames read are kept. A caller can stop it too.
    @Test func limitsStopTheReadingAndSaySo() throws {
        let three = try Self.frames("disposal.gif", limits: ImageLimits(maxFrames: 3))
        #expect(three.frames.count == 3)
        #expect(three.reading.stoppedBefore == "frame 3: the limit is 3 frames")
        let canvas = 23 * 17
        let two = try Self.frames("disposal.gif", limits: ImageLimits(maxAnimationPixels: 2 * canvas + canvas / 2))
        #expect(two.frames.count == 2)
        #expect(two.reading.stoppedBefore == "frame 2: the limit is \(2 * canvas + canvas / 2) pixels over all frames")
        let webp = try Self.frames("animated.webp", limits: ImageLimits(maxFrames: 1))
        #expect(webp.frames.count == 1 && webp.reading.stoppedBefore == "frame 1: the limit is 1 frames")
        var given = 0
        let stopped = try ImageDecoder().forEachFrame(DecoderTests.fixture("disposal.gif")) { _, _ in
            given += 1
            return given < 4
        }
        #expect(given == 4 && stopped == FrameReading(frames: 4))
    }

    /// A GIF frame larger than the canvas counts its own pixels against `maxAnimationPixels`
    /// (they are all decoded), and is cut to the canvas.
    @Test func aFrameLargerThanTheCanvasCountsItsOwnPixels() throws {
        let canvas = 23 * 17
        let short = try Self.frames("large-frame.gif", limits: ImageLimits(maxAnimationPixels: canvas + 10_000 - 1))
        #expect(short.frames.count == 1)
        #expect(short.reading.stoppedBefore == "frame 1: the limit is \(canvas + 10_000 - 1) pixels over all frames")
        let whole = try Self.frames("large-frame.gif", limits: ImageLimits(maxAnimationPixels: canvas + 10_000))
        #expect(whole.frames.count == 2 && whole.reading == FrameReading(frames: 2))
        #expect(whole.frames.first == (try Self.pillowFrame("large-frame.gif", 0)))
        // Index 1 of the table, (180, 30, 100), over the whole 23×17 canvas.
        let filled = [[UInt8]](repeating: [180, 30, 100], count: canvas).flatMap { $0 }
        #expect(whole.frames.last == RGBImage(width: 23, height: 17, pixels: filled))
    }

    /// A still image is one frame; an animated PNG gives its first frame and says the others are
    /// not decoded.
    @Test func stillsAreOneFrameAndAnimatedPNGsTheirFirst() throws {
        let still = try Self.frames("rgb.png")
        #expect(still.frames.count == 1 && still.reading == FrameReading(frames: 1))
        #expect(try still.frames[0] == ImageDecoder().decode(DecoderTests.fixture("rgb.png")))
        let lossy = try Self.frames("lossy.webp")
        #expect(lossy.frames.count == 1 && lossy.reading == FrameReading(frames: 1))
        let apng = try Self.frames("animated.png")
        #expect(apng.frames.count == 1)
        #expect(apng.reading.stoppedBefore == "frame 1: an animated PNG's later frames are not decoded")
    }

    /// A file cut inside a later frame gives the frames before it and says where it stopped; cut
    /// inside the first frame, it throws as `decode` does.
    @Test func aCutAnimationKeepsTheFramesBeforeTheCut() throws {
        let bytes = try DecoderTests.fixture("disposal.gif")
        // Frame 3's descriptor starts at the fourth "," (0x2c) after the header's 13 bytes and
        // table; cut a few bytes into its pixels.
        var frameStarts: [Int] = []
        var offset = 13 + 24
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x21:  // an extension: introducer, label, sub-blocks
                offset += 2
                while bytes[offset] != 0 { offset += Int(bytes[offset]) + 1 }
                offset += 1
            case 0x2c:
                frameStarts.append(offset)
                offset += 10 + 1  // the descriptor, then the LZW code size
                while bytes[offset] != 0 { offset += Int(bytes[offset]) + 1 }
                offset += 1
            default:
                offset = bytes.count
            }
        }
        #expect(frameStarts.count == 6)
        let cut = Array(bytes[..<(frameStarts[3] + 14)])
        var frames = 0
        let reading = try ImageDecoder().forEachFrame(cut) { _, _ in
            frames += 1
            return true
        }
        #expect(frames == 3 && reading.frames == 3)
        #expect(reading.stoppedBefore?.hasPrefix("frame 3: ") == true, "\(reading.stoppedBefore ?? "nil")")
        #expect(reading.stoppedBefore?.contains("byte \(cut.count)") == true, "\(reading.stoppedBefore ?? "nil")")
        let first = Array(bytes[..<(frameStarts[0] + 14)])
        #expect(throws: ImageError.self) { _ = try ImageDecoder().forEachFrame(first) { _, _ in true } }
    }

    /// `hashFrames` hashes every frame Pillow shows and keeps a later one only when it is more than
    /// `FramePDQ.sameFrameBits` from every hash kept before it; the first is `decode`'s hash.
    @Test(arguments: ["title-card.gif", "disposal.gif", "optimised.gif", "animated.gif", "animated-lossy.webp", "rgb.png"])
    func laterFramesAreKeptWhenTheyShowAnotherPicture(name: String) throws {
        let hasher = PDQHasher()
        var scratch = PDQScratch()
        let bytes = try DecoderTests.fixture(name)
        let result = try hasher.hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch)
        #expect(result.first == hasher.hash(try ImageDecoder().decode(bytes)))
        var kept = [result.first.hash]
        var expected: [FramePDQ] = []
        for n in 1..<result.reading.frames {
            let frame = hasher.hash(try Self.pillowFrame(name, n))
            if kept.allSatisfy({ $0.distance(to: frame.hash) > FramePDQ.sameFrameBits }) {
                kept.append(frame.hash)
                expected.append(FramePDQ(frame: n, hash: frame.hash, quality: frame.quality))
            }
        }
        #expect(result.laterFrames == expected)
        #expect(result.reading.frames == (name.hasSuffix(".png") ? 1 : ["disposal.gif": 6, "optimised.gif": 3, "title-card.gif": 3][name] ?? 2))
    }

    /// The stored form of later frames' hashes reads back, and a damaged one names its entry.
    @Test func frameHashesReadBackFromTheirText() throws {
        let frames = [
            FramePDQ(frame: 3, hash: PDQHash(1, 2, 3, 4), quality: 80),
            FramePDQ(frame: 17, hash: PDQHash(~0, 0, 5, 6), quality: 100),
        ]
        let text = try #require(FramePDQ.text(frames))
        #expect(text.split(separator: " ").count == 2 && text.hasPrefix("3:80:"))
        #expect(try FramePDQ.parse(text) == frames)
        #expect(FramePDQ.text([]) == nil)
        #expect(try FramePDQ.parse(nil).isEmpty)
        #expect(throws: BulwarkError.self) { try FramePDQ.parse(text + " 4:101:" + PDQHash.zero.hex) }
        do {
            _ = try FramePDQ.parse("2:90:abc")
            Issue.record("a short hash was read")
        } catch {
            #expect(error.field == "frames" && "\(error)".contains("frame entry 1"))
        }
    }
}
