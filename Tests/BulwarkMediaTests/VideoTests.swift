import BulwarkCore
import BulwarkMedia
import Foundation
import Testing

/// Videos read frame by frame (`ImageDecoder.forEachFrame`): scripts/video-reference.py writes
/// them with PyAV from three shared images (one per codec Bulwark decodes, a slow one, a long
/// one, one without a video stream) and prints `pdqhash`'s hash of each frame PyAV decodes at the
/// times Bulwark samples.
@Suite(.serialized) struct VideoTests {
    struct Reference: Sendable {
        var path: String
        var codec: String?
        var width = 0
        var height = 0
        var secondsPerFrame = 0
        var frames: [(time: Double, pdq: PDQHash, quality: Int, shows: PDQHash)] = []
        /// For a video stored turned with a display matrix: the upright video's path, the turn
        /// written and what PyAV reads of it (FFmpeg's counterclockwise degrees).
        var upright: String?
        var rotation = 0
        var mirrored = false
        var pyavRotation: Double?
    }

    static let references: Result<[Reference], any Error> = Result {
        let out = try Support.temporaryDirectory("video-reference")
        let r = try Support.run("python3", ["scripts/video-reference.py", "--out", out, "--frames"])
        guard r.status == 0 else {
            throw BulwarkError(.invalidField, "scripts/video-reference.py exited with \(r.status): \(r.stderr)")
        }
        return try r.stdout.split(separator: "\n").map { line in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            var reference = Reference(path: try #require(o["path"] as? String), codec: o["codec"] as? String)
            reference.width = o["width"] as? Int ?? 0
            reference.height = o["height"] as? Int ?? 0
            reference.secondsPerFrame = o["seconds_per_frame"] as? Int ?? 0
            reference.upright = o["upright"] as? String
            reference.rotation = o["rotation"] as? Int ?? 0
            reference.mirrored = o["mirrored"] as? Bool ?? false
            reference.pyavRotation = o["pyav_rotation"] as? Double
            for f in o["frames"] as? [[String: Any]] ?? [] {
                reference.frames.append(
                    (
                        f["time"] as? Double ?? -1, try #require(PDQHash(hex: f["pdq"] as? String ?? "")),
                        f["quality"] as? Int ?? -1, try #require(PDQHash(hex: f["shows"] as? String ?? ""))
                    ))
            }
            return reference
        }
    }

    static func reference(_ name: String) throws -> Reference {
        try #require(try references.get().first { $0.path.hasSuffix("/" + name) })
    }

    static func frames(
        _ bytes: [UInt8], limits: ImageLimits = ImageLimits()
    ) throws -> (frames: [RGBImage], reading: FrameReading) {
        var frames: [RGBImage] = []
        let reading = try ImageDecoder(limits: limits).forEachFrame(bytes) { index, frame in
            #expect(index == frames.count)
            frames.append(frame)
            return true
        }
        return (frames, reading)
    }

    /// Each codec's video gives a frame for every second of its 10 (the slow one's, a frame every
    /// 2 s, the first at or after each second: 0, 2, 2, 4, 4, ...), pixel for pixel the frame
    /// PyAV gives at that time as `rgb24` (Debian's FFmpeg 5.1 decoding and converting to RGB,
    /// PyAV's FFmpeg 8 theirs), and hashing exactly as the reference hashes it. And each shows the
    /// picture it should: within 31 bits of that picture's hash before encoding (the title card
    /// lasts one frame past 2 s, so a frame taken one late shows another picture).
    @Test(arguments: ["h264.mp4", "mpeg4.mp4", "vp8.webm", "vp9.webm", "hevc.mkv", "av1.mkv", "slow-h264.mp4"])
    func everySecondHashesAsTheReferenceFrame(_ name: String) throws {
        let reference = try Self.reference(name)
        let (frames, reading) = try Self.frames(try Support.read(reference.path))
        #expect(reading.stoppedBefore == nil && reading.frames == frames.count)
        let video = try #require(reading.video)
        #expect(video.secondsPerFrame == 1 && abs(video.duration - 10) < 0.6, "\(video)")
        // The slow one's last frame is at 8 s: no frame at or after 9 s.
        #expect(frames.count == reference.frames.count && frames.count == (name.hasPrefix("slow") ? 9 : 10))
        var scratch = PDQScratch()
        let hasher = PDQHasher(luma: .float64)
        var identical = 0
        var worst = 0
        var mostApart = 0
        for (k, (frame, expected)) in zip(frames, reference.frames).enumerated() {
            #expect(frame.width == reference.width && frame.height == reference.height)
            let hashed = hasher.hash(frame, scratch: &scratch)
            let d = hashed.hash.distance(to: expected.pdq)
            worst = max(worst, d)
            if d == 0 { identical += 1 }
            #expect(d == 0, "\(name) frame \(k): \(d) bits from the reference")
            // And the pixels PyAV gives.
            let pyav = try ImageDecoder().decode(try Support.read(reference.path + ".frame-\(k).ppm"))
            let most = zip(frame.pixels, pyav.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            mostApart = max(mostApart, most)
            #expect(frame == pyav, "\(name) frame \(k): pixels up to \(most) apart from PyAV's")
            if expected.quality >= 50 {
                #expect(hashed.hash.distance(to: expected.shows) <= 31, "\(name) frame \(k) does not show its picture")
            }
        }
        print("video \(name) (\(video.codec)): \(identical)/\(frames.count) frames' hashes identical to the reference's, the furthest \(worst) bits; pixels at most \(mostApart) apart from PyAV's")
    }
}

extension VideoTests {
    /// A video longer than the frames allow a second each (250 s, at most 100 frames) is sampled
    /// further apart to cover it: every 3 s, 84 frames, each as the reference's at that time.
    @Test func aLongVideoIsSampledFurtherApartToTheEnd() throws {
        let reference = try Self.reference("long-h264.mp4")
        let bytes = try Support.read(reference.path)
        let (frames, reading) = try Self.frames(bytes)
        #expect(reading.video?.secondsPerFrame == 3 && reading.stoppedBefore == nil)
        #expect(frames.count == 84 && reference.frames.count == 84)
        var scratch = PDQScratch()
        let hasher = PDQHasher(luma: .float64)
        let identical = zip(frames, reference.frames).filter { hasher.hash($0, scratch: &scratch).hash == $1.pdq }.count
        #expect(identical == 84)
        // The later frames kept say when they were taken.
        let hashed = try hasher.hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch)
        #expect(!hashed.laterFrames.isEmpty && hashed.laterFrames.allSatisfy { $0.second == 3 * $0.frame })
        #expect(hashed.width == 64 && hashed.height == 48)
        // A video's first frame is not turned: asked for, the turns are not computed.
        let asked = try hasher.hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch, dihedral: true)
        #expect(asked.firstDihedral == nil && asked.first == hashed.first && asked.laterFrames == hashed.laterFrames)
    }

    /// A later frame asked for alone (`forEachFrame(from:)`, as the console's still of a frame a
    /// bank matched asks) is read from the key frame before it (every 2 s here), not from the
    /// start: fewer frames decoded, frames 1 to k − 1 not given, and frame k pixel for pixel the
    /// one read from the start, which is PyAV's. A frame past the end says what reading from the
    /// start says. Reading from the start passes over the frames before each key frame when the
    /// container has an index (an MP4's, a WebM's cues); a live recording's WebM has none.
    @Test(arguments: ["keyed-h264.mp4", "keyed-vp9.webm", "keyed-vp9-live.webm"])
    func aLaterFrameIsReadFromTheKeyFrameBeforeIt(_ name: String) throws {
        let reference = try Self.reference(name)
        let bytes = try Support.read(reference.path)
        let (frames, whole) = try Self.frames(bytes)
        #expect(frames.count == 40 && reference.frames.count == 40 && whole.stoppedBefore == nil)
        // Read from the start, the reader moves to each key frame it reaches the time of (every
        // other frame given here), passing over the frames before it: 900,096 pixels decoded of
        // the H.264's, against 1,658,880 frame by frame (its B-frames passed over either way);
        // 1,674,240 of each VP9's, against 3,072,000. Matroska reads its cues only on a seek, so
        // the reader moves back to the first frame once to bring them in; without cues, each
        // seek has libavformat read on to the next cluster's key frame, which the next move uses.
        let pixels = whole.video?.pixelsDecoded ?? 0
        #expect(pixels > 0 && pixels < (name.hasSuffix(".mp4") ? 1_200_000 : 1_800_000), "\(pixels)")
        for k in 1..<frames.count {
            var given: [Int] = []
            var shown: RGBImage?
            let reading = try ImageDecoder().forEachFrame(bytes, from: k) { index, frame in
                given.append(index)
                guard index == k else { return true }
                shown = frame
                return false
            }
            let pyav = try ImageDecoder().decode(try Support.read(reference.path + ".frame-\(k).ppm"))
            #expect(shown?.pixels == frames[k].pixels && shown?.pixels == pyav.pixels, "frame \(k)")
            // From frame 2 on, the key frame before it is past the first frame: the reader moves,
            // and decodes the first frame and at most the 2 s from the key frame.
            if k >= 2 {
                #expect(given == [0, k], "frame \(k)")
                #expect((reading.video?.pixelsDecoded ?? .max) <= 56 * 64 * 48, "frame \(k): \(reading)")
            }
        }
        let past = StillImage.display(bytes, frame: 45)
        #expect(past == .notShown("no frame 45: the video has 40 frames"))
    }

    /// An index that lies: the keyed H.264's sync-sample table (`stss`) states frame 60 (2.4 s), a
    /// frame that refers to others, as its key frame in place of frame 50 (2 s). A move to it
    /// gives no frame until the next true key frame at 4 s, past the time asked for, so the video
    /// is read again from the start, frame by frame: every frame and the still of each later one
    /// are the honest file's, which are PyAV's (above), and the second reading's pixels decoded
    /// are the whole stream's, not the 900,096 of a reading that passes over frames.
    @Test func aKeyFrameTheIndexLiesAboutSendsTheReaderBackToTheStart() throws {
        let honest = try Support.read(try Self.reference("keyed-h264.mp4").path)
        var lying = honest
        let stss = Array("stss".utf8)
        let at = try #require((0...(lying.count - 4)).first { Array(lying[$0..<$0 + 4]) == stss })
        // Box: size, "stss", version and flags, entry count, then 1-based sample numbers.
        let second = at + 4 + 4 + 4 + 4
        #expect(Array(lying[second..<second + 4]) == [0, 0, 0, 51], "the second sync sample is frame 50")
        lying[second + 3] = 61
        let (truth, _) = try Self.frames(honest)
        let (frames, reading) = try Self.frames(lying)
        #expect(frames.count == 40 && reading.stoppedBefore == nil)
        #expect(frames.map(\.pixels) == truth.map(\.pixels))
        #expect((reading.video?.pixelsDecoded ?? 0) > 1_200_000, "\(String(describing: reading.video))")
        for k in [3, 4, 5, 20] {
            var shown: RGBImage?
            _ = try ImageDecoder().forEachFrame(lying, from: k) { index, frame in
                guard index == k else { return true }
                shown = frame
                return false
            }
            #expect(shown?.pixels == truth[k].pixels, "frame \(k)")
        }
    }

    /// The limits on frames and pixels widen the gap between frames so that they still reach the
    /// end: 5 frames of a 10 s video are 2 s apart; 4 frames' worth of pixels, 3 s apart.
    @Test func theLimitsWidenTheGapBetweenFrames() throws {
        let reference = try Self.reference("h264.mp4")
        let bytes = try Support.read(reference.path)
        var scratch = PDQScratch()
        let hasher = PDQHasher(luma: .float64)
        for (limits, seconds, count) in [
            (ImageLimits(maxFrames: 5), 2, 5), (ImageLimits(maxAnimationPixels: 4 * 320 * 240 + 1), 3, 4),
        ] {
            let (frames, reading) = try Self.frames(bytes, limits: limits)
            #expect(reading.video?.secondsPerFrame == seconds && reading.stoppedBefore == nil)
            #expect(frames.count == count)
            for (k, frame) in frames.enumerated() {
                #expect(hasher.hash(frame, scratch: &scratch).hash == reference.frames[k * seconds].pdq, "frame \(k)")
            }
        }
    }

    /// Decoding stops once the bound on pixels decoded is passed, keeping the frames before: 60
    /// frames of 320x240, of a video of 250 at 25 a second. Frames before the time asked for that
    /// no other frame refers to are not decoded (x264's B-frames), so the whole video decodes
    /// fewer than its 250 frames' pixels, and the bound is reached later than at 2.4 s.
    @Test func decodingStopsAtTheBoundOnPixelsDecoded() throws {
        let bytes = try Support.read(try Self.reference("h264.mp4").path)
        let whole = try #require(try Self.frames(bytes).reading.video)
        #expect(whole.pixelsDecoded < 250 * 320 * 240 && whole.pixelsDecoded >= 100 * 320 * 240, "\(whole)")
        let (frames, reading) = try Self.frames(bytes, limits: ImageLimits(maxVideoPixelsDecoded: 60 * 320 * 240))
        #expect(frames.count >= 3 && frames.count < 10)
        #expect(reading.stoppedBefore == "frame \(frames.count) (\(frames.count) s): mp4: more than 4608000 pixels decoded")
        #expect(reading.video.map { $0.pixelsDecoded > 60 * 320 * 240 } == true)
        // Too little for the first frame: nothing to keep, so it throws.
        #expect(throws: ImageError.self) { try Self.frames(bytes, limits: ImageLimits(maxVideoPixelsDecoded: 1000)) }
        do {
            _ = try Self.frames(bytes, limits: ImageLimits(maxVideoPixelsDecoded: 1000))
        } catch let error as ImageError {
            #expect(error.code == .tooManyPixels && error.message == "mp4: more than 1000 pixels decoded")
        }
    }

    /// A stream larger than the image limits is refused before any frame is decoded, as an
    /// image's header is.
    @Test func aStreamOverThePixelLimitIsRefused() throws {
        let bytes = try Support.read(try Self.reference("vp9.webm").path)
        do {
            _ = try Self.frames(bytes, limits: ImageLimits(maxPixels: 320 * 240 - 1))
            Issue.record("a 320x240 stream passed a limit of 76,799 pixels")
        } catch let error as ImageError {
            #expect(error.code == .tooManyPixels)
            #expect(error.message == "the header declares a video stream of 320×240 pixels, more than 76799")
        }
    }

    /// Damage: a cut Matroska file keeps the frames before the cut and says where the stream
    /// ended; a cut MP4 (its index is at the end) and an MP4 whose boxes are noise throw, naming
    /// the container and the byte; a file with no video stream is not one Bulwark decodes.
    @Test func damagedVideosSayWhatAndWhere() throws {
        let webm = try Support.read(try Self.reference("vp9.webm").path)
        let (frames, reading) = try Self.frames(Array(webm.prefix(webm.count / 2)))
        #expect(frames.count >= 2 && frames.count < 10)
        let stop = try #require(reading.stoppedBefore)
        #expect(stop.hasPrefix("frame \(frames.count) (\(frames.count) s): the video stream ends at \(frames.count - 1)."))
        #expect(stop.hasSuffix(" s, where its container states 10 s"))
        let mp4 = try Support.read(try Self.reference("h264.mp4").path)
        let cases: [([UInt8], ImageError.Code, String)] = [
            (Array(mp4.prefix(mp4.count / 2)), .corrupt, "mp4: the container does not read: Invalid data found when processing input"),
            (Array(mp4.prefix(32)) + (0..<2048).map { UInt8($0 & 0xFF) }, .corrupt, "mp4: the container does not read: Invalid data found when processing input"),
            (Array(webm.prefix(200)), .truncated, "matroska: the data ends inside the container's header"),
            (try Support.read(try Self.reference("audio-only.webm").path), .unsupportedFormat, "matroska: no video stream"),
        ]
        for (bytes, code, message) in cases {
            do {
                _ = try Self.frames(bytes)
                Issue.record("\(message): read")
            } catch let error as ImageError {
                #expect(error.code == code && error.message == message, "\(error)")
                #expect(error.offset.map { $0 > 0 && $0 <= bytes.count } == true, "\(error)")
            }
        }
    }

    /// The first bytes say what a file is: an image's format, else a video's container. A video
    /// is read only frame by frame: `decode` and `header`, which ingest and the still path use,
    /// take it as no image.
    @Test func containersAreKnownByTheirFirstBytes() throws {
        for (name, container) in [("h264.mp4", VideoContainer.mp4), ("vp9.webm", .matroska), ("hevc.mkv", .matroska)] {
            let bytes = try Support.read(try Self.reference(name).path)
            #expect(ImageFormat.detect(bytes) == nil && VideoContainer.detect(bytes) == container)
            #expect(throws: ImageError.self) { try ImageDecoder().header(bytes) }
            #expect(throws: ImageError.self) { try ImageDecoder().decode(bytes) }
        }
        #expect(VideoContainer.detect(Array("GIF89a..".utf8)) == nil && VideoContainer.detect([0x1A, 0x45, 0xDF]) == nil)
    }

    /// The caller may stop early: frame 3 of 10 is the last decoded.
    @Test func theCallerStopsTheReading() throws {
        let bytes = try Support.read(try Self.reference("av1.mkv").path)
        var seen: [Int] = []
        let reading = try ImageDecoder().forEachFrame(bytes) { index, _ in
            seen.append(index)
            return index < 3
        }
        #expect(seen == [0, 1, 2, 3] && reading.frames == 4 && reading.stoppedBefore == nil)
        #expect(reading.video.map { $0.pixelsDecoded < 10 * 25 * 320 * 240 } == true)
    }

    /// The console shows a video still: its first frame, or the frame a bank matched, as a PNG of
    /// the frame the media job hashed.
    @Test func theConsoleShowsAVideoStill() throws {
        let reference = try Self.reference("vp8.webm")
        let bytes = try Support.read(reference.path)
        let (frames, _) = try Self.frames(bytes)
        for frame in [0, 4, 9] {
            guard case .png(let png) = StillImage.display(bytes, frame: frame) else {
                Issue.record("frame \(frame) not shown as a PNG")
                continue
            }
            #expect(try ImageDecoder().decode(png) == frames[frame])
        }
        guard case .png(let first) = StillImage.display(bytes) else {
            Issue.record("not shown")
            return
        }
        #expect(try ImageDecoder().decode(first) == frames[0])
        #expect(StillImage.display(bytes, frame: 10) == .notShown("no frame 10: the video has 10 frames"))
    }
}

extension VideoTests {
    /// A video stored on its side (or upside down, or mirrored) with an MP4 track matrix that
    /// turns it upright, as a phone held upright records, gives its frames upright: pixel for pixel
    /// the frames PyAV gives of the same pictures stored upright (lossless 4:4:4 H.264, so each
    /// pixel converts alone), and hashing as they do. Without the turn, a re-upload that an encoder
    /// turned for good would not match the original. PyAV reads the same turn from the matrix
    /// written (its counterclockwise degrees are the clockwise turn's negative). Mutations: leaving
    /// the matrix out fails every case; reading it transposed ((a, c) for (a, b)) fails the
    /// quarter turns. A turn that is not a right angle (30 degrees) is not applied, and said so.
    /// The console's still is the frame hashed.
    @Test(arguments: [
        "turned-90.mp4", "turned-180.mp4", "turned-270.mp4", "mirrored.mp4", "transposed.mp4", "turned-30.mp4",
    ])
    func aTurnedVideoIsReadUpright(_ name: String) throws {
        let reference = try Self.reference(name)
        let upright = try Self.reference("upright.mp4")
        #expect(reference.upright == upright.path)
        let bytes = try Support.read(reference.path)
        let (frames, reading) = try Self.frames(bytes)
        let video = try #require(reading.video)
        #expect(video.rotation == reference.rotation && video.mirrored == reference.mirrored, "\(video)")
        #expect(video.displayMatrixIgnored == (name == "turned-30.mp4"))
        let pyav = try #require(reference.pyavRotation)
        // FFmpeg takes a mirrored matrix as a turn after a flip upside down, where Bulwark names
        // the turn after a flip left to right: half a turn apart.
        let turn = name == "turned-30.mp4" ? 30 : reference.mirrored ? (reference.rotation + 180) % 360 : reference.rotation
        // (PyAV gives whole degrees, cut toward zero: 29 of the 30-degree turn.)
        #expect(abs((360 - pyav).truncatingRemainder(dividingBy: 360) - Double(turn)) <= 1, "PyAV reads \(pyav) degrees")
        #expect(frames.count == 3 && upright.frames.count == 3)
        var scratch = PDQScratch()
        let hasher = PDQHasher(luma: .float64)
        for (k, frame) in frames.enumerated() {
            #expect(frame.width == 320 && frame.height == 240)
            let expected = try ImageDecoder().decode(try Support.read(upright.path + ".frame-\(k).ppm"))
            let most = zip(frame.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(frame == expected, "\(name) frame \(k): pixels up to \(most) apart from the upright frame")
            #expect(hasher.hash(frame, scratch: &scratch).hash == upright.frames[k].pdq)
        }
        // The console shows it as hashed, upright.
        if case .png(let png) = StillImage.display(bytes, frame: 1) {
            #expect(try ImageDecoder().decode(png) == frames[1])
        } else {
            Issue.record("\(name): frame 1 not shown")
        }
        // The upright video itself has no matrix to apply.
        let (_, plain) = try Self.frames(try Support.read(upright.path))
        #expect(plain.video?.rotation == 0 && plain.video?.mirrored == false)
    }
}

extension VideoTests {
    /// A video whose pixels are not square (a sample aspect ratio of 4/3, written in the H.264
    /// stream and the MP4's `pasp` box, as 1440×1080 recorded for 16:9): its frames are given a
    /// pixel for each coded one, as PyAV gives them (the hashes' reference), and the console's
    /// still is stretched to the shape players show, 64×48 to 85×48, left half dark and right
    /// half light as coded; turned a quarter, the still is stretched along its height instead.
    @Test func aStillOfAVideoWithWidePixelsIsShownAtItsShape() throws {
        let dir = try Support.temporaryDirectory("video-sar")
        let path = dir + "/wide-pixels.mp4"
        let script = """
            import av, fractions, numpy as np
            out = av.open('\(path)', 'w')
            s = out.add_stream('libx264', rate=5, options={'qp': '0'})
            s.width, s.height, s.pix_fmt = 64, 48, 'yuv444p'
            s.codec_context.sample_aspect_ratio = fractions.Fraction(4, 3)
            picture = np.zeros((48, 64, 3), np.uint8)
            picture[:, 32:] = 255
            for i in range(10):
                f = av.VideoFrame.from_ndarray(picture, format='rgb24'); f.pts = i
                for p in s.encode(f): out.mux(p)
            for p in s.encode(): out.mux(p)
            out.close()
            """
        let made = try Support.run("python3", ["-c", script])
        try #require(made.status == 0, "\(made.stderr)")
        let bytes = try Support.read(path)
        let (frames, reading) = try Self.frames(bytes)
        #expect(frames.first?.width == 64 && frames.first?.height == 48)
        #expect(reading.video?.sampleAspectRatio == 4.0 / 3.0, "\(String(describing: reading.video))")
        for frame in [0, 1] {
            guard case .png(let png) = StillImage.display(bytes, frame: frame) else {
                Issue.record("frame \(frame) not shown")
                continue
            }
            let still = try ImageDecoder().decode(png)
            #expect(still.width == 85 && still.height == 48, "\(still.width)×\(still.height)")
            let row = (0..<still.width).map { Int(still.pixels[3 * (20 * still.width + $0)]) }
            #expect(row[..<41].allSatisfy { $0 < 16 } && row[44...].allSatisfy { $0 > 239 }, "\(row)")
        }
        let turned = StillImage.shownShape(frames[0], sampleAspectRatio: 4.0 / 3.0, turned: true)
        #expect(turned.width == 64 && turned.height == 64)
        let tall = StillImage.shownShape(frames[0], sampleAspectRatio: 3.0 / 4.0, turned: false)
        #expect(tall.width == 64 && tall.height == 64)
        #expect(StillImage.shownShape(frames[0], sampleAspectRatio: 1, turned: false) == frames[0])
    }
}
