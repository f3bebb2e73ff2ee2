internal import CImageCodecs
internal import CImageShims

/// How far ``ImageDecoder/forEachFrame(_:_:)`` read.
public struct FrameReading: Sendable, Hashable {
    /// Frames given to the caller.
    public var frames: Int
    /// Why reading stopped before the last frame, or nil when every frame was read (a still image
    /// is one frame) or the caller stopped it.
    public var stoppedBefore: String?
    /// For a video, how its frames were chosen; nil for an image.
    public var video: VideoSampling?

    public init(frames: Int, stoppedBefore: String? = nil, video: VideoSampling? = nil) {
        self.frames = frames
        self.stoppedBefore = stoppedBefore
        self.video = video
    }
}

extension ImageDecoder {
    /// Gives `body` each frame of the image in order, as Pillow shows it after `seek(n)` and
    /// `convert("RGB")`, until `body` returns false or the animation's limits
    /// (``ImageLimits/maxFrames``, ``ImageLimits/maxAnimationPixels``) are reached. A still image is
    /// one frame, the pixels ``decode(_:)`` gives; so is the first frame of an animation.
    ///
    /// - GIF: each frame is drawn over the canvas the previous ones left, after the previous
    ///   frame's disposal (see `gifFrames`).
    /// - Animated WebP: libwebp's animation decoder composes each frame on the canvas.
    /// - Animated PNG: each frame decoded by libpng from its chunks and drawn over the canvas
    ///   after the previous frame's disposal (see `apngFrames`).
    /// - HEIF with an image sequence (an animated AVIF): the primary image, then each frame of
    ///   the sequence (see `heifSequenceFrames`); HEIF with several top-level images (a burst):
    ///   the primary image, then the others, each at its own size (see `heifImageFrames`).
    /// - Video (MP4 or QuickTime, Matroska or WebM; H.264, H.265, VP8, VP9, AV1, MPEG-4 Part 2):
    ///   the picture at every second, or further apart within the limits (see `videoFrames`;
    ///   ``FrameReading/video`` says how far apart).
    ///
    /// Errors in the first frame are thrown as ``decode(_:)`` throws them. An error in a later
    /// frame (a cut or damaged file) ends the reading: the frames before it were given, and
    /// `stoppedBefore` says what and where.
    ///
    /// `from`: the caller wants frame 0 and the frames from `from` on; those between may be
    /// passed over without being given (a video's reader moves to the key frame before frame
    /// `from`, as a player seeks), and the frames given are the same.
    public func forEachFrame(
        _ bytes: [UInt8], from first: Int = 0, _ body: (_ index: Int, _ frame: RGBImage) -> Bool
    ) throws(ImageError) -> FrameReading {
        let format = ImageFormat.detect(bytes)
        let container = format == nil ? VideoContainer.detect(bytes) : nil
        let layout = format == .png ? bytes.withUnsafeBufferPointer { APNGLayout($0) } : nil
        // Every HEIF file through its frames: libheif reads the boxes once, and tells there
        // whether the primary image has other top-level images beside it.
        guard container != nil || format == .gif || format == .webp || format == .heif || layout != nil else {
            let image = try decode(bytes)
            _ = body(0, image)
            return FrameReading(frames: 1)
        }
        try limits.checkBytes(bytes.count)
        let maxFrames = max(1, limits.maxFrames)
        return try bytes.withUnsafeBufferPointer { (data) throws(ImageError) -> FrameReading in
            if let container { return try videoFrames(data, container: container, maxFrames: maxFrames, from: first, body) }
            if let layout { return try apngFrames(data, layout: layout, maxFrames: maxFrames, body) }
            if format == .heif {
                return Self.hasImageSequence(data)
                    ? try heifSequenceFrames(data, maxFrames: maxFrames, body) : try heifImageFrames(data, maxFrames: maxFrames, body)
            }
            if format == .gif { return try gifFrames(data, maxFrames: maxFrames, body) }
            var features = WebPBitstreamFeatures()
            try check(WebPGetFeatures(data.baseAddress, data.count, &features), what: "header")
            guard features.has_animation != 0 else {
                _ = body(0, try decode(bytes))
                return FrameReading(frames: 1)
            }
            let w = Int(features.width)
            let h = Int(features.height)
            try limits.check(width: w, height: h, format: .webp)
            return try animatedWebPFrames(data, width: w, height: h, maxFrames: maxFrames, body)
        }
    }

    /// Why reading stops before frame `index`, which costs `cost` pixels after `spent` on the
    /// frames before it, if the limits say so.
    func overLimits(frame index: Int, spent: Int, cost: Int, maxFrames: Int) -> String? {
        if index >= maxFrames { return "frame \(index): the limit is \(maxFrames) frames" }
        if spent + cost > limits.maxAnimationPixels {
            return "frame \(index): the limit is \(limits.maxAnimationPixels) pixels over all frames"
        }
        return nil
    }

    /// A GIF's frames as Pillow (13) shows them when it seeks through them. The first frame is
    /// drawn as `decodeGIF` says. Then, for each later frame:
    /// - the previous frame's disposal is done over its rectangle: 2 fills it with the colour of
    ///   that frame's transparent index, else the screen's background index; 3 puts back what
    ///   was there before that frame was drawn (for the first frame, the transparent index's
    ///   colour, or nothing when it has none);
    /// - as Pillow does, a frame whose graphic control extension gives no disposal method (0)
    ///   keeps the one before it;
    /// - the frame's pixels are drawn over the canvas, except those of its transparent index.
    /// Unlike Pillow, the canvas does not grow for a later frame that reaches past it: the frame
    /// is cut to it. A frame counts against ``ImageLimits/maxAnimationPixels`` as its canvas, or
    /// as its own size when that is larger (its pixels are all decoded).
    func gifFrames(
        _ data: UnsafeBufferPointer<UInt8>, maxFrames: Int, _ body: (Int, RGBImage) -> Bool
    ) throws(ImageError) -> FrameReading {
        var info = bw_gif_result()
        guard let reader = bw_gif_frames_open(data.baseAddress, data.count, &info) else {
            try check(info)
            throw ImageError(.corrupt, "giflib: the header does not read", format: .gif)
        }
        defer { bw_gif_frames_close(reader) }
        guard bw_gif_frames_next(reader, &info) == 1 else {
            try check(info)
            throw ImageError(.corrupt, "giflib: no frame", format: .gif)
        }
        try limits.check(width: Int(info.width), height: Int(info.height), format: .gif, what: "first frame")
        let (w, h) = Self.gifCanvas(info)
        try limits.check(width: w, height: h, format: .gif)
        let background = Int(info.background_index)
        var canvas = try buffer(w * h * 3) { _ in }
        // What the previous frame's disposal does over its rectangle before this frame is drawn:
        // fill it with a colour, or put back the pixels saved from under it.
        enum Disposal { case fill(UInt8, UInt8, UInt8), restore([UInt8]) }
        var pending: (rect: (x0: Int, y0: Int, x1: Int, y1: Int), disposal: Disposal)?
        var disposal: UInt32 = 0
        var index = 0
        var spent = 0
        while true {
            let fw = Int(info.width)
            let fh = Int(info.height)
            let left = Int(info.left)
            let top = Int(info.top)
            if index > 0 {
                do throws(ImageError) {
                    try limits.check(width: fw, height: fh, format: .gif, what: "frame")
                } catch {
                    return FrameReading(frames: index, stoppedBefore: "frame \(index): \(error)")
                }
            }
            var indices = [UInt8](repeating: 0, count: fw * fh)
            indices.withUnsafeMutableBufferPointer { out in bw_gif_frames_read(reader, out.baseAddress, out.count, &info) }
            do throws(ImageError) {
                try check(info)
            } catch {
                if index == 0 { throw error }
                return FrameReading(frames: index, stoppedBefore: "frame \(index): \(error)")
            }
            let table = Self.gifColours(info)
            let colors = Int(info.colors)
            let transparent = Int(info.transparent_index)
            func colour(_ k: Int) -> (UInt8, UInt8, UInt8) { (table[3 * k], table[3 * k + 1], table[3 * k + 2]) }
            let rect = (x0: min(left, w), y0: min(top, h), x1: min(left + fw, w), y1: min(top + fh, h))
            if index == 0 {
                if fw * fh < w * h {
                    let fill = colour(transparent >= 0 ? transparent : 0)
                    for p in 0..<(w * h) {
                        canvas[3 * p] = fill.0
                        canvas[3 * p + 1] = fill.1
                        canvas[3 * p + 2] = fill.2
                    }
                }
            } else if let pending {
                let r = pending.rect
                let span = 3 * (r.x1 - r.x0)
                for y in r.y0..<r.y1 {
                    let row = 3 * (y * w + r.x0)
                    switch pending.disposal {
                    case .fill(let red, let green, let blue):
                        for o in stride(from: row, to: row + span, by: 3) {
                            canvas[o] = red
                            canvas[o + 1] = green
                            canvas[o + 2] = blue
                        }
                    case .restore(let saved):
                        let from = (y - r.y0) * span
                        canvas.replaceSubrange(row..<(row + span), with: saved[from..<(from + span)])
                    }
                }
            }
            if info.disposal != 0 { disposal = info.disposal }
            pending = nil
            if disposal == 2 {
                let k = transparent >= 0 ? transparent : background
                // Pillow takes an index past a later frame's table as index 0.
                let fill = colour(index > 0 && colors > 0 && k >= colors ? 0 : k)
                pending = (rect, .fill(fill.0, fill.1, fill.2))
            } else if disposal == 3 && index == 0 {
                if transparent >= 0 {
                    let fill = colour(transparent)
                    pending = (rect, .fill(fill.0, fill.1, fill.2))
                }
            } else if disposal == 3 {
                var saved: [UInt8] = []
                saved.reserveCapacity(3 * (rect.x1 - rect.x0) * (rect.y1 - rect.y0))
                for y in rect.y0..<rect.y1 {
                    saved += canvas[(3 * (y * w + rect.x0))..<(3 * (y * w + rect.x1))]
                }
                pending = (rect, .restore(saved))
            }
            canvas.withUnsafeMutableBufferPointer { out in
                table.withUnsafeBufferPointer { table in
                    indices.withUnsafeBufferPointer { indices in
                        for y in rect.y0..<rect.y1 {
                            let from = (y - top) * fw - left
                            for x in rect.x0..<rect.x1 {
                                let k = Int(indices[from + x])
                                // The first frame shows its transparent pixels' colour; later ones
                                // leave the canvas under them.
                                if index > 0 && k == transparent { continue }
                                let o = 3 * (y * w + x)
                                out[o] = table[3 * k]
                                out[o + 1] = table[3 * k + 1]
                                out[o + 2] = table[3 * k + 2]
                            }
                        }
                    }
                }
            }
            guard body(index, RGBImage(width: w, height: h, pixels: canvas)) else { return FrameReading(frames: index + 1) }
            index += 1
            spent += max(w * h, fw * fh)
            switch bw_gif_frames_next(reader, &info) {
            case 0: return FrameReading(frames: index)
            case 1: break
            default:
                let message = Self.text(of: info.message)
                return FrameReading(frames: index, stoppedBefore: "frame \(index): \(message) at byte \(info.offset)")
            }
            let cost = max(w * h, Int(info.width) * Int(info.height))
            if let stop = overLimits(frame: index, spent: spent, cost: cost, maxFrames: maxFrames) {
                return FrameReading(frames: index, stoppedBefore: stop)
            }
        }
    }

    /// An animated WebP's frames, each composed on the canvas by libwebp's animation decoder (as
    /// Pillow's WebP plugin shows them), alpha dropped.
    func animatedWebPFrames(
        _ data: UnsafeBufferPointer<UInt8>, width w: Int, height h: Int, maxFrames: Int, _ body: (Int, RGBImage) -> Bool
    ) throws(ImageError) -> FrameReading {
        let decoder = try animationDecoder(data, width: w, height: h)
        defer { WebPAnimDecoderDelete(decoder) }
        var index = 0
        while true {
            var frame: UnsafeMutablePointer<UInt8>?
            var timestamp: Int32 = 0
            guard WebPAnimDecoderGetNext(decoder, &frame, &timestamp) != 0, let frame else {
                if index == 0 { throw ImageError(.corrupt, "libwebp: the first frame does not decode", format: .webp) }
                return FrameReading(frames: index, stoppedBefore: "frame \(index): libwebp: the frame does not decode")
            }
            let pixels = try buffer(w * h * 3) { out in
                for p in 0..<(w * h) {
                    out[3 * p] = frame[4 * p]
                    out[3 * p + 1] = frame[4 * p + 1]
                    out[3 * p + 2] = frame[4 * p + 2]
                }
            }
            guard body(index, RGBImage(width: w, height: h, pixels: pixels)) else { return FrameReading(frames: index + 1) }
            index += 1
            guard WebPAnimDecoderHasMoreFrames(decoder) != 0 else { return FrameReading(frames: index) }
            if let stop = overLimits(frame: index, spent: index * w * h, cost: w * h, maxFrames: maxFrames) {
                return FrameReading(frames: index, stoppedBefore: stop)
            }
        }
    }
}
