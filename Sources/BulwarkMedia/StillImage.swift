internal import CImageCodecs

/// An image as a console shows it: still. A reviewer looks at violent imagery all day; what could
/// move (a GIF, an animated PNG or WebP, a video) is shown as its first frame, never played.
public enum StillImage {
    /// How the console may send `bytes`:
    /// - `.asIs(format)`: a JPEG, a PNG without animation, a WebP without animation;
    /// - `.png(bytes)`: the first frame of a GIF, an animated PNG, an animated WebP or a video, as
    ///   a PNG (decoded within `decoder`'s limits; by default the decoder's defaults with
    ///   ``maxPixels``);
    /// - `.notShown(reason)`: a format a browser does not show (PPM, PGM) or bytes the decoder
    ///   refuses.
    public enum Display: Sendable, Equatable {
        case asIs(ImageFormat)
        case png([UInt8])
        case notShown(String)
    }

    /// The most pixels a frame is decoded to be shown still (4096 × 4096): a GIF of a few
    /// kilobytes can declare the service's 50 megapixels, and the console decodes on every view,
    /// where the media job decodes once. A larger one is not shown.
    public static let maxPixels = 16_777_216

    /// `decoder`'s limits, with at most ``maxPixels``.
    public static func limits(_ limits: ImageLimits) -> ImageLimits {
        var out = limits
        out.maxPixels = min(limits.maxPixels, maxPixels)
        return out
    }

    /// Frame `frame` (counted from 0) of an animation or a video, as a PNG: how the console shows
    /// the frame a bank matched. `.notShown` when the image has no such frame (a still image has
    /// only frame 0, which ``display(_:decoder:)`` gives) or it is past the decoder's frame limits.
    public static func display(
        _ bytes: [UInt8], frame: Int, decoder: ImageDecoder = ImageDecoder(limits: limits(ImageLimits()))
    ) -> Display {
        guard frame > 0 else { return display(bytes, decoder: decoder) }
        let format = ImageFormat.detect(bytes)
        guard format == .gif || format == .webp || isAnimatedPNG(bytes) || isVideo(bytes) || isImageSequence(bytes)
            || isImageCollection(bytes)
        else {
            return .notShown("a still image has no frame \(frame)")
        }
        return png(frame: frame, of: bytes, decoder: decoder, filter: format == .gif ? .none : .sub)
    }

    /// Whether the bytes are a video Bulwark decodes by their first bytes (``VideoContainer``).
    static func isVideo(_ bytes: [UInt8]) -> Bool {
        ImageFormat.detect(bytes) == nil && VideoContainer.detect(bytes) != nil
    }

    /// Frame `frame` of an animation or a video as a PNG.
    private static func png(frame: Int, of bytes: [UInt8], decoder: ImageDecoder, filter: PNGEncoder.Filter) -> Display {
        var shown: RGBImage?
        do {
            let reading = try decoder.forEachFrame(bytes, from: frame) { index, image in
                guard index == frame else { return true }
                shown = image
                return false
            }
            guard let shown else {
                let what = isVideo(bytes) ? "the video" : "the animation"
                return .notShown("no frame \(frame): \(reading.stoppedBefore ?? "\(what) has \(reading.frames) frames")")
            }
            guard let video = reading.video else { return png(shown, filter: filter) }
            return png(shownShape(shown, sampleAspectRatio: video.sampleAspectRatio, turned: video.rotation % 180 != 0), filter: filter)
        } catch {
            return .notShown("\(error)")
        }
    }

    /// A video's frame as it is meant to be seen: stretched (never shrunk) to its pixels' shape
    /// along the coded picture's width (its height once turned a quarter), when that is not square
    /// (4/3: a 1440×1080 frame shown 1920×1080), as players show it, within ``maxPixels`` (past
    /// them it is left as coded). Between columns (or rows) the colours are mixed linearly.
    public static func shownShape(_ image: RGBImage, sampleAspectRatio ratio: Double, turned: Bool) -> RGBImage {
        guard ratio.isFinite, ratio > 0, abs(ratio - 1) > 0.01 else { return image }
        // Along the shown width when the pixels are wider than tall and the frame was not turned a
        // quarter, or taller than wide and it was; else along the shown height.
        let alongWidth = (ratio > 1) != turned
        let scale = ratio > 1 ? ratio : 1 / ratio
        let (w, h) = (image.width, image.height)
        let (newW, newH) = alongWidth ? (Int((Double(w) * scale).rounded()), h) : (w, Int((Double(h) * scale).rounded()))
        guard newW * newH <= maxPixels, newW > 0, newH > 0 else { return image }
        var out = [UInt8](repeating: 0, count: newW * newH * 3)
        image.pixels.withUnsafeBufferPointer { from in
            out.withUnsafeMutableBufferPointer { to in
                let (count, stride, lines, lineStride, outStride, outLineStride) =
                    alongWidth ? (w, 3, h, w * 3, 3, newW * 3) : (h, w * 3, w, 3, newW * 3, 3)
                let newCount = alongWidth ? newW : newH
                for k in 0..<newCount {
                    // The source position of the new pixel's centre.
                    let x = max(0, min(Double(count - 1), (Double(k) + 0.5) * Double(count) / Double(newCount) - 0.5))
                    let i = Int(x)
                    let j = min(i + 1, count - 1)
                    let t = x - Double(i)
                    for line in 0..<lines {
                        let a = line * lineStride + i * stride
                        let b = line * lineStride + j * stride
                        let o = line * outLineStride + k * outStride
                        for c in 0..<3 {
                            to[o + c] = UInt8((Double(from[a + c]) * (1 - t) + Double(from[b + c]) * t).rounded())
                        }
                    }
                }
            }
        }
        return RGBImage(width: newW, height: newH, pixels: out)
    }

    /// `image` as a PNG, fast over small: the console decodes and encodes on every view. A
    /// 1600×1004 frame (docs/pdq.md): from a GIF 62 ms unfiltered against 109 ms adaptive (and
    /// 1.4 MB against 2.2 MB); from a WebP 87 ms with the sub filter against 136 ms.
    /// A video's frame takes the sub filter, as a WebP's does (photographs, not flat colours).
    private static func png(_ image: RGBImage, filter: PNGEncoder.Filter) -> Display {
        guard let png = PNGEncoder.encode(image, level: 1, filter: filter) else { return .notShown("cannot encode the frame") }
        return .png(png)
    }

    public static func display(
        _ bytes: [UInt8], decoder: ImageDecoder = ImageDecoder(limits: limits(ImageLimits()))
    ) -> Display {
        guard let format = ImageFormat.detect(bytes) else {
            // A video: its first frame, never played.
            guard isVideo(bytes) else { return .notShown("not an image Bulwark decodes") }
            return png(frame: 0, of: bytes, decoder: decoder, filter: .sub)
        }
        switch format {
        case .jpeg:
            return .asIs(format)
        case .png where !isAnimatedPNG(bytes), .webp where !isAnimatedWebP(bytes):
            return .asIs(format)
        case .png, .webp, .gif, .heif:
            // A HEIF image as a PNG too: few browsers show HEIC.
            do {
                return png(try decoder.decode(bytes), filter: format == .gif ? .none : .sub)
            } catch {
                return .notShown("\(error)")
            }
        case .ppm, .pgm:
            return .notShown("a \(format.rawValue.uppercased()), which browsers do not show")
        }
    }

    /// Whether a HEIF file holds an image sequence (an animated AVIF), whose frames
    /// ``ImageDecoder/forEachFrame(_:_:)`` gives after its primary image.
    public static func isImageSequence(_ bytes: [UInt8]) -> Bool {
        ImageFormat.detect(bytes) == .heif && bytes.withUnsafeBufferPointer { ImageDecoder.hasImageSequence($0) }
    }

    /// Whether a HEIF file holds more than one top-level image (a burst, a collection), which
    /// ``ImageDecoder/forEachFrame(_:_:)`` gives as frames after its primary image.
    public static func isImageCollection(_ bytes: [UInt8]) -> Bool {
        ImageFormat.detect(bytes) == .heif && bytes.withUnsafeBufferPointer { ImageDecoder().heifImageCount($0) } > 1
    }

    /// Whether a PNG has an `acTL` chunk before its first `IDAT`: an animated PNG, which browsers
    /// play (``ImageDecoder/decode(_:)`` gives its default image, the first frame;
    /// ``ImageDecoder/forEachFrame(_:_:)`` every frame).
    public static func isAnimatedPNG(_ bytes: [UInt8]) -> Bool {
        var at = 8
        while at + 8 <= bytes.count {
            let length = bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = bytes[(at + 4)..<(at + 8)]
            if type.elementsEqual("acTL".utf8) { return true }
            if type.elementsEqual("IDAT".utf8) { return false }
            at += 12 + length
        }
        return false
    }

    /// Whether libwebp reads a WebP as an animation, as `ImageDecoder` does when it decodes one.
    public static func isAnimatedWebP(_ bytes: [UInt8]) -> Bool {
        var features = WebPBitstreamFeatures()
        return WebPGetFeatures(bytes, bytes.count, &features) == VP8_STATUS_OK && features.has_animation != 0
    }
}
