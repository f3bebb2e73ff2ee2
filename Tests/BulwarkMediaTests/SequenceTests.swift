import BulwarkCore
import BulwarkMedia
import Foundation
import Testing

/// A HEIF file with an image sequence (an animated AVIF) is read frame by frame, as an animated
/// GIF or WebP is: the primary image, then each frame of the sequence, so that a harmless first
/// picture does not hide what follows. The reference is what Pillow (libavif) shows of each
/// frame, written at test time by scripts/sequence-reference.py.
struct SequenceTests {
    struct Reference {
        var path: String
        var width: Int
        var height: Int
        var frames: [(hash: PDQHash, quality: Int, ppm: String)]
    }

    static let references: Result<[Reference], any Error> = Result {
        let out = try Support.temporaryDirectory("sequence-reference")
        let r = try Support.run("python3", ["scripts/sequence-reference.py", "--out", out])
        guard r.status == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "sequence-reference.py: \(r.stderr)"])
        }
        return try r.stdout.split(separator: "\n").map { line in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let frames = try #require(o["frames"] as? [[String: Any]]).map { f in
                (PDQHash(hex: f["pdq"] as? String ?? "")!, f["quality"] as? Int ?? -1, f["ppm"] as? String ?? "")
            }
            return Reference(
                path: try #require(o["path"] as? String), width: try #require(o["width"] as? Int),
                height: try #require(o["height"] as? Int), frames: frames)
        }
    }

    /// The largest and the mean difference of two images' samples, of the same size.
    static func difference(_ a: RGBImage, _ b: RGBImage) -> (largest: Int, mean: Double) {
        var largest = 0
        var total = 0
        for (x, y) in zip(a.pixels, b.pixels) {
            let d = abs(Int(x) - Int(y))
            largest = max(largest, d)
            total += d
        }
        return (largest, Double(total) / Double(max(1, a.pixels.count)))
    }

    /// Frame 0 is the primary image (libheif), frame k + 1 the sequence's frame k (FFmpeg's
    /// libraries), each within a few units a sample of Pillow's; the hashes near the reference's
    /// wherever it is confident (quality 50 or more, as the banks match), and every frame Pillow
    /// shows found among those the media job keeps, within the banks' 31 bits: the photo after
    /// the grey title card too.
    @Test func animatedAVIFFramesAreWhatPillowShows() throws {
        let references = try Self.references.get()
        #expect(references.count == 7)
        let hasher = PDQHasher(luma: .float64)
        var scratch = PDQScratch()
        var largest = 0
        var meanLargest = 0.0
        var farthest = 0
        for reference in references {
            let bytes = try Support.read(reference.path)
            #expect(StillImage.isImageSequence(bytes), "\(reference.path)")
            var frames: [RGBImage] = []
            let reading = try ImageDecoder().forEachFrame(bytes) { _, frame in
                frames.append(frame)
                return true
            }
            #expect(reading == FrameReading(frames: reference.frames.count + 1), "\(reference.path): \(reading)")
            try #require(frames.count == reference.frames.count + 1)
            for (k, shown) in reference.frames.enumerated() {
                let pillow = try ImageDecoder().decode(try Support.read(shown.ppm))
                // The primary image is the sequence's first picture (libheif's conversion: known
                // to differ from libavif's by up to about 20 at sharp colour edges, docs/pdq.md).
                for (ours, primary) in k == 0 ? [(frames[0], true), (frames[1], false)] : [(frames[k + 1], false)] {
                    #expect(ours.width == pillow.width && ours.height == pillow.height, "\(reference.path) frame \(k)")
                    let d = Self.difference(ours, pillow)
                    if primary {
                        #expect(d.largest <= 24 && d.mean < 0.8, "\(reference.path) primary image: \(d)")
                    } else {
                        largest = max(largest, d.largest)
                        meanLargest = max(meanLargest, d.mean)
                        #expect(d.largest <= 16 && d.mean < 0.6, "\(reference.path) frame \(k): \(d)")
                    }
                    if shown.quality >= 50 {
                        let distance = hasher.hash(ours, scratch: &scratch).hash.distance(to: shown.hash)
                        farthest = max(farthest, distance)
                        #expect(distance <= 12, "\(reference.path) frame \(k): \(distance) bits")
                    }
                }
            }
            // As the media job hashes it: every confident frame Pillow shows is within 31 bits of
            // a hash it keeps.
            let hashed = try hasher.hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch)
            let kept = [hashed.first.hash] + hashed.laterFrames.map(\.hash)
            for (k, shown) in reference.frames.enumerated() where shown.quality >= 50 {
                #expect(kept.contains { $0.distance(to: shown.hash) <= 31 }, "\(reference.path) frame \(k) not among \(kept)")
            }
            if reference.path.hasSuffix("title-card.avif") {
                #expect(hashed.first.quality < 50, "the grey card is not a confident hash")
                #expect(hashed.laterFrames.contains { $0.quality >= 50 }, "\(hashed.laterFrames)")
            }
        }
        print("Animated AVIF: \(references.count) files, the sequences' frames within \(largest) a sample of Pillow's (mean at most \(String(format: "%.3f", meanLargest))), confident hashes within \(farthest) bits")
    }

    /// The fixture sequence.avif (scripts/make-image-fixtures.py --sequence): the primary image,
    /// then the sequence's three frames, each near Pillow's (on small saturated pictures libheif's
    /// and libswscale's chroma differ from libavif's more than on photographs, as lossy.avif's do
    /// in `DecoderTests`); hashed, the two pictures that follow the first are kept as later frames
    /// (2 and 3).
    @Test func theFixtureSequenceIsReadFrameByFrame() throws {
        let bytes = try DecoderTests.fixture("sequence.avif")
        var frames: [RGBImage] = []
        let reading = try ImageDecoder().forEachFrame(bytes) { _, frame in
            frames.append(frame)
            return true
        }
        #expect(reading == FrameReading(frames: 4))
        try #require(frames.count == 4)
        for (index, name) in [(0, "sequence.avif.ppm"), (1, "sequence.avif.ppm"), (2, "sequence.avif.frame-1.ppm"), (3, "sequence.avif.frame-2.ppm")] {
            let d = Self.difference(frames[index], try ImageDecoder().decode(try DecoderTests.fixture(name)))
            #expect(d.largest <= 24 && d.mean <= (index == 0 ? 5.5 : 4.5), "frame \(index) against \(name): \(d)")
        }
        var scratch = PDQScratch()
        let hashed = try PDQHasher().hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch)
        #expect(Set(hashed.laterFrames.map(\.frame)).isSuperset(of: [2, 3]) && hashed.reading == reading, "\(hashed.laterFrames)")
    }

    /// A track stating another size than the primary image's (the fixture with its track's width
    /// 48 made 201, as fuzzing found: docs/fuzzing.md, 14) is still read, every frame at the
    /// primary image's size, as an animation's frames are its canvas's.
    @Test func aSequenceOfAnotherSizeIsScaledToThePrimaryImage() throws {
        var bytes = try DecoderTests.fixture("sequence.avif")
        try #require(bytes[769] == 48)
        bytes[769] = 201
        var sizes: [String] = []
        let reading = try ImageDecoder().forEachFrame(bytes) { _, frame in
            sizes.append("\(frame.width)×\(frame.height)")
            return true
        }
        #expect(reading == FrameReading(frames: 4) && sizes == Array(repeating: "48×32", count: 4), "\(reading) \(sizes)")
    }

    /// A HEIF file with several top-level images (images.heic, three pictures of three sizes, the
    /// first the primary image; scripts/make-image-fixtures.py --collection) is read image by
    /// image, as pillow-heif shows it: each image at its own size, within 1 a sample of
    /// pillow-heif's (libheif and libde265 both sides, as lossy.heic); hashed, the two after the
    /// first are kept as frames 1 and 2; the limits bound it; the console shows frame 2.
    @Test func aHEICWithSeveralImagesIsReadImageByImage() throws {
        let bytes = try DecoderTests.fixture("images.heic")
        #expect(StillImage.isImageCollection(bytes) && !StillImage.isImageSequence(bytes))
        var frames: [RGBImage] = []
        let reading = try ImageDecoder().forEachFrame(bytes) { _, frame in
            frames.append(frame)
            return true
        }
        #expect(reading == FrameReading(frames: 3))
        #expect(frames.map { "\($0.width)×\($0.height)" } == ["32×24", "40×24", "24×32"])
        for (index, name) in ["images.heic.ppm", "images.heic.frame-1.ppm", "images.heic.frame-2.ppm"].enumerated()
        where index < frames.count {
            let expected = try ImageDecoder().decode(try DecoderTests.fixture(name))
            #expect(frames[index].width == expected.width && Self.difference(frames[index], expected).largest <= 1, "\(name)")
        }
        var scratch = PDQScratch()
        let hashed = try PDQHasher().hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch)
        #expect(hashed.laterFrames.map(\.frame) == [1, 2] && hashed.width == 32 && hashed.height == 24, "\(hashed.laterFrames)")
        var given = 0
        let limited = try ImageDecoder(limits: ImageLimits(maxFrames: 2)).forEachFrame(bytes) { _, _ in
            given += 1
            return true
        }
        #expect(limited == FrameReading(frames: 2, stoppedBefore: "frame 2: the limit is 2 frames") && given == 2, "\(limited)")
        guard case .png(let png) = StillImage.display(bytes, frame: 2, decoder: ImageDecoder()), frames.count == 3 else {
            Issue.record("frame 2 not shown")
            return
        }
        #expect(try ImageDecoder().decode(png) == frames[2])
    }

    /// The frame limits bound a sequence as they bound an animation; the console shows a later
    /// frame as a PNG of the pixels the media job hashed; a still AVIF or HEIC is one frame.
    @Test func sequencesKeepToTheLimitsAndShowTheirFrames() throws {
        let reference = try #require(try Self.references.get().first)
        let bytes = try Support.read(reference.path)
        let pixels = reference.width * reference.height
        for (limits, stop) in [
            (ImageLimits(maxFrames: 2), "frame 2: the limit is 2 frames"),
            (ImageLimits(maxAnimationPixels: 3 * pixels), "frame 3: the limit is \(3 * pixels) pixels over all frames"),
        ] {
            var given = 0
            let reading = try ImageDecoder(limits: limits).forEachFrame(bytes) { _, _ in
                given += 1
                return true
            }
            #expect(reading.stoppedBefore == stop && reading.frames == given, "\(reading)")
        }
        var third: RGBImage?
        _ = try ImageDecoder().forEachFrame(bytes) { index, frame in
            if index == 2 { third = frame }
            return index < 2
        }
        guard case .png(let png) = StillImage.display(bytes, frame: 2, decoder: ImageDecoder()) else {
            Issue.record("frame 2 not shown")
            return
        }
        #expect(try ImageDecoder().decode(png) == third)
        guard case .notShown(let why) = StillImage.display(bytes, frame: 9, decoder: ImageDecoder()) else {
            Issue.record("frame 9 shown")
            return
        }
        #expect(why.contains("no frame 9"), "\(why)")
        for still in ["lossy.avif", "lossy.heic"] {
            let image = try Support.read(Support.root + "/Tests/BulwarkMediaTests/Fixtures/" + still)
            #expect(!StillImage.isImageSequence(image), "\(still)")
            #expect(try ImageDecoder().forEachFrame(image) { _, _ in true } == FrameReading(frames: 1), "\(still)")
        }
    }
}
