internal import CVideoShims

/// The containers of the videos ``ImageDecoder/forEachFrame(_:_:)`` reads, known by their first
/// bytes; libavformat reads them, with no other demuxer allowed.
public enum VideoContainer: String, Sendable, Hashable, CaseIterable {
    /// MP4, QuickTime, 3GP: a file starting with an `ftyp` box.
    case mp4
    /// Matroska and WebM: a file starting with the EBML header.
    case matroska

    /// The container named by the first bytes, or nil.
    public static func detect(_ bytes: some RandomAccessCollection<UInt8>) -> VideoContainer? {
        let head = Array(bytes.prefix(8))
        guard head.count == 8 else { return nil }
        if head[4..<8] == [0x66, 0x74, 0x79, 0x70] { return .mp4 }  // "ftyp"
        if head[0..<4] == [0x1A, 0x45, 0xDF, 0xA3] { return .matroska }
        return nil
    }
}

/// How a video's frames were chosen: the picture shown at every `secondsPerFrame` seconds from
/// the start (frame `k` is the one at `k × secondsPerFrame` seconds).
public struct VideoSampling: Sendable, Hashable {
    public var container: VideoContainer
    /// The stream's codec, as libavcodec names it (`h264`, `vp9`, ...).
    public var codec: String
    /// The duration the container states, in seconds; 0 when it states none.
    public var duration: Double
    public var secondsPerFrame: Int
    /// Every frame decoded counts, not only those given.
    public var pixelsDecoded: Int
    /// How the frames were turned from the stream's pictures, as the container's display matrix
    /// says (a phone held upright records a picture on its side and a quarter turn in the MP4's
    /// track matrix): mirrored left to right first when ``mirrored``, then turned `rotation`
    /// degrees clockwise (0, 90, 180 or 270), as FFmpeg's command line shows them by default.
    public var rotation: Int
    public var mirrored: Bool
    /// The container states a display matrix that is not a right-angle turn or a mirror (a turn
    /// of 30 degrees, a shear), and the frames are as the stream codes them.
    public var displayMatrixIgnored: Bool
    /// The shape of the stream's pixels, a pixel's width over its height before the frames are
    /// turned (4/3 for 1440×1080 meant to be shown 16:9), as the last frame given or else the
    /// container states it; 1 when neither states one. Frames are given a pixel for each coded
    /// pixel (as the hashes' references read them); the console's still is stretched to it.
    public var sampleAspectRatio: Double = 1

    public init(
        container: VideoContainer, codec: String, duration: Double, secondsPerFrame: Int, pixelsDecoded: Int,
        rotation: Int = 0, mirrored: Bool = false, displayMatrixIgnored: Bool = false
    ) {
        self.container = container
        self.codec = codec
        self.duration = duration
        self.secondsPerFrame = secondsPerFrame
        self.pixelsDecoded = pixelsDecoded
        self.rotation = rotation
        self.mirrored = mirrored
        self.displayMatrixIgnored = displayMatrixIgnored
    }
}

extension ImageDecoder {
    /// A video's frames, one a second as vPDQ samples them, or further apart so that at most
    /// ``ImageLimits/maxFrames`` frames and ``ImageLimits/maxAnimationPixels`` pixels cover the
    /// duration the container states: frame `k` is the first whose time is at least `k × s`
    /// seconds, `s` a whole number of seconds. Each frame is converted to RGB at the stream's
    /// size, as FFmpeg's `rgb24` conversion gives it, then turned upright as the container's
    /// display matrix says (``VideoSampling/rotation``).
    ///
    /// Decoding stops once ``ImageLimits/maxVideoPixelsDecoded`` pixels have been decoded (every
    /// frame of the stream is decoded, not only those given), keeping the frames before; so does
    /// damage the decoder cannot pass over. A file that does not open, or whose first frame does
    /// not decode, throws.
    ///
    /// `from` (a still of frame `from`): frames 1 to `from - 1` may be passed over without being
    /// given, the reader moving from the first frame to the key frame before frame `from` when
    /// the container's index has one, as a player seeks. The frames given are the same as when
    /// read from the start: when the index was wrong (its key frame is after the time), the
    /// stream ends before frame `from` or the decoder fails after the move, the video is read
    /// again from the start, giving only the frames not given yet.
    func videoFrames(
        _ data: UnsafeBufferPointer<UInt8>, container: VideoContainer, maxFrames: Int, from first: Int = 0,
        _ body: (Int, RGBImage) -> Bool
    ) throws(ImageError) -> FrameReading {
        var given = 0
        if let reading = try videoPass(
            data, container: container, maxFrames: maxFrames, seekTo: first > 1 ? first : nil, skipping: true, given: &given, body)
        {
            return reading
        }
        // Again from the start, frame by frame: nil only after a move.
        return try videoPass(data, container: container, maxFrames: maxFrames, seekTo: nil, skipping: false, given: &given, body)!
    }

    /// One reading of the video from its first frame, moving to frame `seekTo` after it when
    /// given, and past key frames between the frames given when `skipping`; frames before
    /// `given` are not given again. Nil when a move went wrong (see
    /// ``videoFrames(_:container:maxFrames:from:_:)``).
    private func videoPass(
        _ data: UnsafeBufferPointer<UInt8>, container: VideoContainer, maxFrames: Int, seekTo: Int?, skipping: Bool,
        given: inout Int, _ body: (Int, RGBImage) -> Bool
    ) throws(ImageError) -> FrameReading? {
        var result = bw_video_result()
        guard
            let video = bw_video_open(
                data.baseAddress, data.count, UInt64(max(0, limits.maxVideoPixelsDecoded)), Int64(limits.maxPixels),
                &result)
        else { throw Self.videoError(result, container: container) }
        defer { bw_video_close(video) }
        bw_video_skip_key_frames(video, skipping ? 1 : 0)
        let (w, h) = (Int(result.width), Int(result.height))
        try limits.check(width: w, height: h, format: nil, what: "video stream")
        // The shim takes the first frame's size when the stream declares none; never zero.
        guard w > 0, h > 0 else { throw ImageError(.corrupt, "\(container.rawValue): a video stream of \(w)×\(h) pixels") }
        let duration = result.duration
        let frames = max(1, min(maxFrames, limits.maxAnimationPixels / (w * h)))
        let seconds = duration > 0 ? max(1, Int((duration / Double(frames)).rounded(.up))) : 1
        var sampling = VideoSampling(
            container: container, codec: Self.text(of: result.codec), duration: duration, secondsPerFrame: seconds,
            pixelsDecoded: 0, rotation: Int(result.rotation), mirrored: result.mirrored != 0,
            displayMatrixIgnored: result.display_matrix_ignored != 0)
        var pixels = try buffer(w * h * 3) { _ in }
        var index = 0
        // Moved, and no frame read since.
        var moved = false
        while true {
            if index == 1, let target = seekTo, target < frames, bw_video_seek(video, Double(target * seconds)) == 1 {
                index = target
                moved = true
            }
            let at = Double(index * seconds)
            let got = pixels.withUnsafeMutableBufferPointer { out in
                bw_video_frame_at(video, at, out.baseAddress, out.count, &result)
            }
            sampling.pixelsDecoded = Int(result.pixels_decoded)
            if got == 1, result.sample_aspect_num > 0, result.sample_aspect_den > 0 {
                sampling.sampleAspectRatio = Double(result.sample_aspect_num) / Double(result.sample_aspect_den)
            }
            // The index's key frame was after the time, the stream ends before the frame, or
            // the decoder fails from the key frame: read from the start, which knows how many
            // frames there are and where reading stops. (-2: the same after a move between
            // frames, when `skipping`.)
            if (moved && got != 1) || got == -2 { return nil }
            moved = false
            if got < 0 {
                let error = Self.videoError(result, container: container)
                if index == 0 { throw error }
                return FrameReading(
                    frames: index, stoppedBefore: "frame \(index) (\(index * seconds) s): \(error.message)", video: sampling)
            }
            if got == 0 {
                if index == 0 { throw ImageError(.corrupt, "\(container.rawValue): the video stream has no frame") }
                // Ending well before the duration stated: a cut file, most often (or a container
                // stating a longer sound track's duration).
                let last = result.time
                if duration - last > max(1, 2 * result.frame_seconds) {
                    return FrameReading(
                        frames: index,
                        stoppedBefore:
                            "frame \(index) (\(index * seconds) s): the video stream ends at \(Self.seconds(last)) s, where its container states \(Self.seconds(duration)) s",
                        video: sampling)
                }
                return FrameReading(frames: index, video: sampling)
            }
            if index == frames {
                // A frame past the last one the limits allow (a container stating no duration).
                return FrameReading(
                    frames: index, stoppedBefore: "frame \(index) (\(index * seconds) s): the limit is \(frames) frames",
                    video: sampling)
            }
            if index >= given {
                given = index + 1
                guard body(index, RGBImage(width: w, height: h, pixels: pixels)) else {
                    return FrameReading(frames: index + 1, video: sampling)
                }
            }
            index += 1
        }
    }

    /// Seconds to the millisecond, without trailing zeros.
    static func seconds(_ value: Double) -> String {
        let ms = Int((value * 1000).rounded())
        let whole = "\(ms / 1000)"
        guard ms % 1000 != 0 else { return whole }
        var fraction = String(1000 + ms % 1000).dropFirst()
        while fraction.hasSuffix("0") { fraction = fraction.dropLast() }
        return whole + "." + fraction
    }

    static func videoError(_ result: bw_video_result, container: VideoContainer) -> ImageError {
        let message = "\(container.rawValue): " + text(of: result.message)
        let offset = Int(result.offset)
        switch result.status {
        case BW_VIDEO_UNSUPPORTED:
            let codec = text(of: result.codec)
            return ImageError(.unsupportedFormat, message + (codec.isEmpty ? "" : " (\(codec))"), offset: offset)
        case BW_VIDEO_TOO_LARGE: return ImageError(.tooManyPixels, message, offset: offset)
        case BW_VIDEO_TRUNCATED: return ImageError(.truncated, message, offset: offset)
        default: return ImageError(.corrupt, message, offset: offset)
        }
    }
}
