import BulwarkCore
import BulwarkMedia
import Foundation
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
    /// optimised frames; a canvas grown by the first frame), animated WebP frames composed by
    /// libwebp (the lossy one within 1 of Pillow's, whose libwebp is its own build), and animated
    /// PNG frames (Pillow's own writer's; hand-written ones with each disposal and blend, in RGBA,
    /// a 4-bit palette with partial tRNS alphas and a default image, RGB with a tRNS colour,
    /// grey and alpha; fdAT data in two chunks).
    @Test(arguments: [
        ("animated.gif", 2, 0), ("title-card.gif", 3, 0), ("disposal.gif", 6, 0), ("optimised.gif", 3, 0), ("offset-transparent.gif", 2, 0),
        ("animated.webp", 2, 0), ("animated-alpha.webp", 2, 0), ("animated-lossy.webp", 2, 1),
        ("animated.png", 2, 0), ("apng-rgba.png", 5, 0), ("apng-palette.png", 3, 0), ("apng-rgb-key.png", 3, 0),
        ("apng-grey-alpha.png", 2, 0),
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

    /// A still image is one frame.
    @Test func stillsAreOneFrame() throws {
        for name in ["rgb.png", "palette-transparent.png", "lossy.webp"] {
            let still = try Self.frames(name)
            #expect(still.frames.count == 1 && still.reading == FrameReading(frames: 1), "\(name)")
            #expect(try still.frames[0] == ImageDecoder().decode(DecoderTests.fixture(name)), "\(name)")
        }
    }

    /// The hand-written animated PNGs' disposals and blends, spelled out at a few pixels so the
    /// `.ppm` files are not the only witness.
    @Test func animatedPNGDisposalsAndBlendsDoWhatTheyName() throws {
        let (frames, _) = try Self.frames("apng-rgba.png")
        func pixel(_ n: Int, _ x: Int, _ y: Int) -> [UInt8] {
            let o = 3 * (y * 23 + x)
            return Array(frames[n].pixels[o..<(o + 3)])
        }
        // The samples the script writes for frame k at (x, y) of its own rectangle.
        func sample(_ x: Int, _ y: Int, _ k: Int) -> [Int] {
            [(x * 37 + k * 50) % 256, (y * 23 + k * 90) % 256, (x * y + k * 30) % 256, (x * 40 + y * 16) % 256]
        }
        // The first frame's disposal 2 is taken as 1: outside frame 1's rectangle the canvas is
        // black, though frame 0 was not.
        #expect(pixel(0, 20, 15) != [0, 0, 0] && pixel(1, 20, 15) == [0, 0, 0])
        // Frame 1 at (2, 3), blend 1: its pixel (3, 1) has alpha 3*40 + 16 = 136 over black.
        let s = sample(3, 1, 1)
        #expect(pixel(1, 5, 4) == s.prefix(3).map { UInt8((Double($0 * 136) / 255).rounded()) })
        // Frame 2 (blend 0) replaces its rectangle, alpha 0 or not; its disposal 2 puts back
        // frame 1's canvas before frame 3 is drawn. Frame 3's disposal 1 clears its rectangle.
        #expect(pixel(2, 10, 8) == sample(0, 0, 2).prefix(3).map(UInt8.init))
        #expect(pixel(3, 10, 8) == pixel(1, 10, 8))
        // Frame 4: alpha 0 on its left, so what the disposals left shows: frame 3's rectangle
        // (12...17, 2...7) cleared, frame 2's put back.
        #expect(pixel(4, 11, 9) == pixel(1, 11, 9) && pixel(4, 11, 3) == pixel(3, 11, 3))
        #expect(pixel(3, 13, 3) != [0, 0, 0] && pixel(4, 13, 3) != pixel(3, 13, 3))

        // A palette image (index k is (16k, 255 - 16k, 40k % 256)) mixes indices, as Pillow
        // does: frame 1's index 2 (tRNS alpha 128) over the default image's index 10 at (6, 2)
        // becomes index (10 * 127 + 2 * 128) / 255 = 6, rounded. Its disposal 2 changes nothing,
        // as in Pillow, which mixes a blend-1 frame into the canvas it saved to put back: frame 1's
        // index 0 at (4, 2) stays under frame 2 (whose rectangle starts at (6, 4)).
        let (palette, _) = try Self.frames("apng-palette.png")
        func colour(_ n: Int, _ x: Int, _ y: Int) -> [UInt8] {
            let o = 3 * (y * 24 + x)
            return Array(palette[n].pixels[o..<(o + 3)])
        }
        func entry(_ k: Int) -> [UInt8] { [UInt8(16 * k), UInt8(255 - 16 * k), UInt8(40 * k % 256)] }
        #expect(palette.count == 3)
        #expect(colour(0, 6, 2) == entry(10) && colour(1, 6, 2) == entry(6))
        #expect(colour(1, 4, 2) == entry(0) && colour(2, 4, 2) == entry(0) && colour(0, 4, 2) == entry(8))
    }

    /// Random animated PNGs from scripts/apng-differential.py (every colour type and bit depth
    /// but 16-bit grey, with and without tRNS; random rectangles, disposals 0-3, blends, default
    /// images that are frames or not, fdAT data in one or two chunks): every frame is the frame
    /// Pillow shows, pixel for pixel. Every third file has an interlaced twin with the same
    /// samples, which Pillow 13 cannot read; it must give the same frames.
    @Test func randomAnimatedPNGsGiveTheFramesPillowShows() throws {
        let out = try Support.temporaryDirectory("apng-differential")
        let r = try Support.run("python3", ["scripts/apng-differential.py", "--out", out, "--count", "300", "--seed", "7"])
        try #require(r.status == 0, "scripts/apng-differential.py exited with \(r.status): \(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        var identical = 0
        var twins = 0
        var kinds: Set<String> = []
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let path = try #require(o["path"] as? String)
            let count = try #require(o["frames"] as? Int, "Pillow could not read \(path): \(o["error"] ?? "-")")
            kinds.insert("\(o["colour_type"] ?? "-")/\(o["bit_depth"] ?? "-")")
            // The file, and its interlaced twin when it has one, against Pillow's frames of the file.
            for file in [path] + [o["interlaced"] as? String].compactMap({ $0 }) {
                var frames: [RGBImage] = []
                let reading = try ImageDecoder().forEachFrame(Support.read(file)) { _, frame in
                    frames.append(frame)
                    return true
                }
                var same = reading == FrameReading(frames: count) && frames.count == count
                if !same { Issue.record("\(file): \(reading), Pillow \(count) frames") }
                for (n, frame) in frames.enumerated() where same {
                    let expected = try ImageDecoder().decode(Support.read(path + ".frame-\(n).ppm"))
                    if frame != expected {
                        same = false
                        Issue.record("\(file) frame \(n): max difference \(DecoderTests.maxDifference(frame, expected))")
                    }
                }
                if same { identical += 1 }
                if file != path { twins += 1 }
            }
        }
        print("random animated PNGs: \(identical)/\(lines.count + twins) identical to Pillow in every frame (\(twins) of them interlaced twins; \(kinds.count) colour types and depths)")
        #expect(lines.count == 300 && twins == 100 && identical == 400)
        #expect(kinds.count == 14)
    }

    /// A damaged animated PNG gives the frames before the damage and says what and where; the
    /// limits stop it as they stop any animation.
    @Test func aDamagedAnimatedPNGKeepsTheFramesBeforeTheDamage() throws {
        let bytes = try DecoderTests.fixture("apng-rgba.png")
        // The chunks: (offset, type).
        var chunks: [(at: Int, type: String, length: Int)] = []
        var at = 8
        while at + 8 <= bytes.count {
            let length = bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            chunks.append((at, String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self), length))
            at += 12 + length
        }
        let controls = chunks.filter { $0.type == "fcTL" }
        let data = chunks.filter { $0.type == "fdAT" }
        #expect(controls.count == 5 && data.count == 8)
        func read(_ bytes: [UInt8], limits: ImageLimits = ImageLimits()) throws -> FrameReading {
            try ImageDecoder(limits: limits).forEachFrame(bytes) { _, _ in true }
        }

        // Cut inside frame 2's second fdAT chunk.
        let cut = Array(bytes[..<(data[3].at + 20)])
        let cutReading = try read(cut)
        #expect(cutReading.frames == 2)
        #expect(cutReading.stoppedBefore == "frame 2: the fdAT chunk at byte \(data[3].at) declares \(data[3].length) bytes, past the end of the data (\(cut.count) bytes)")

        // Frame 3's fcTL with a sequence number out of order.
        var disordered = bytes
        disordered[controls[3].at + 11] ^= 0x40
        let disorderedReading = try read(disordered)
        #expect(disorderedReading.frames == 3)
        #expect(disorderedReading.stoppedBefore?.hasPrefix("frame 3: the fcTL chunk at byte \(controls[3].at) has sequence number ") == true)

        // Frame 2's zlib data damaged: libpng's message, at its first fdAT chunk.
        var damaged = bytes
        damaged[data[2].at + 12] ^= 0xFF
        let damagedReading = try read(damaged)
        #expect(damagedReading.frames == 2)
        #expect(damagedReading.stoppedBefore?.hasPrefix("frame 2: corrupt: libpng: ") == true, "\(damagedReading.stoppedBefore ?? "nil")")
        #expect(damagedReading.stoppedBefore?.hasSuffix("in the frame's fdAT data (png, byte \(data[2].at))") == true, "\(damagedReading.stoppedBefore ?? "nil")")

        // Frame 1's rectangle moved out of the image (x = 20 for a width of 8 in 23).
        var outside = bytes
        outside[controls[1].at + 8 + 4 + 8 + 3] = 20
        let outsideReading = try read(outside)
        #expect(outsideReading.frames == 1)
        #expect(outsideReading.stoppedBefore == "frame 1: its 8×6 rectangle at (20, 3) does not lie in the 23×17 image")

        // The first frame control's rectangle is not the whole image (22 wide for 23): the first
        // frame is given, the others not.
        var narrow = bytes
        narrow[controls[0].at + 8 + 4 + 3] = 22
        let narrowReading = try read(narrow)
        #expect(narrowReading == FrameReading(frames: 1, stoppedBefore: "frame 1: the first frame control's 22×17 rectangle at (0, 0) is not the 23×17 image"))

        // The acTL chunk declares 7 frames; the file holds 5. (Its CRC is not checked.)
        var more = bytes
        let acTL = try #require(chunks.first { $0.type == "acTL" })
        more[acTL.at + 11] = 7
        let moreReading = try read(more)
        #expect(moreReading.frames == 5)
        #expect(moreReading.stoppedBefore == "frame 5: the acTL chunk declares 7 frames; the file holds 5")
        // ... or 3: the frames past them are not read, and nothing is said.
        more[acTL.at + 11] = 3
        #expect(try read(more) == FrameReading(frames: 3))

        // The limits.
        #expect(try read(bytes, limits: ImageLimits(maxFrames: 2)) == FrameReading(frames: 2, stoppedBefore: "frame 2: the limit is 2 frames"))
        #expect(try read(bytes, limits: ImageLimits(maxAnimationPixels: 3 * 23 * 17)).stoppedBefore == "frame 3: the limit is \(3 * 23 * 17) pixels over all frames")

        // Cut inside the first frame, it throws as `decode` does.
        let first = try #require(chunks.first { $0.type == "IDAT" })
        #expect(throws: ImageError.self) { _ = try read(Array(bytes[..<(first.at + 30)])) }
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
    /// `FramePDQ.sameFrameBits` from every hash kept before it; the first is `decode`'s hash. With
    /// `dihedral`, the first frame's 8 turns and mirrors are those of `decode`'s image (the CLI's
    /// `--dihedral` took them from a second decoding), and nothing else changes.
    @Test(arguments: [
        "title-card.gif", "disposal.gif", "optimised.gif", "animated.gif", "animated-lossy.webp", "apng-rgba.png", "rgb.png",
        "orient-6.jpg",
    ])
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
        #expect(result.reading.frames == ["rgb.png": 1, "orient-6.jpg": 1, "disposal.gif": 6, "optimised.gif": 3, "title-card.gif": 3, "apng-rgba.png": 5][name] ?? 2)
        #expect(result.firstDihedral == nil)
        var turned = try hasher.hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch, dihedral: true)
        #expect(turned.firstDihedral == hasher.dihedralHashes(try ImageDecoder().decode(bytes)))
        #expect(turned.firstDihedral?.hashes.count == 8)
        turned.firstDihedral = nil
        #expect(turned == result)
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
