/// Bounds on what the decoder accepts, so that hostile input cannot exhaust memory.
///
/// Pixel counts and dimensions are checked from the header, before any pixel buffer is allocated
/// (a decompression bomb is a small file declaring a huge image). The decoded RGB buffer takes
/// 3 bytes per pixel, and PDQ hashing 8 more (two Float32 planes), so the default of 50
/// megapixels bounds one image at about 550 MiB.
///
/// Decoding time is bounded too: a progressive JPEG's scans each pass over the whole image, so the
/// number of scans is limited (a file of a few kilobytes can otherwise hold thousands of them).
public struct ImageLimits: Sendable, Hashable {
    /// Largest input accepted, in bytes. Default 50 MiB.
    public var maxBytes: Int
    /// Largest width × height accepted. Default 50,000,000.
    public var maxPixels: Int
    /// Longest side accepted, in pixels. Default 32,768.
    public var maxDimension: Int
    /// Most scans accepted in a JPEG. Default 100: encoders write 1 to 4 (sequential) or about 10
    /// (progressive); each scan costs about 1 ns per pixel (4 ms at 4 megapixels on this machine).
    public var maxJPEGScans: Int
    /// Most frames of an animation read by ``ImageDecoder/forEachFrame(_:_:)``. Default 100.
    /// Reading stops there; the frames read are kept.
    public var maxFrames: Int
    /// Most pixels read over all the frames of an animation (each frame is a whole canvas, or a
    /// GIF frame's own size when it declares more: all its pixels are decoded).
    /// Default 100,000,000: a hundred frames of a megapixel, which took 0.42 s to decode and hash
    /// as a GIF on one core of this project's machine, and about 2 s as an RGBA animated PNG whose
    /// frames are mixed in by their alpha (docs/pdq.md). Reading stops before the frame that would
    /// pass it.
    public var maxAnimationPixels: Int
    /// Most pixels a video's decoder may decode, over every frame it decodes (those between the
    /// frames sampled are decoded too, but for an MP4's frames before a key frame the reader moves
    /// to). Default 2,000,000,000: about 1,000 frames of 1080p. Decoding stops there; the frames
    /// given before are kept.
    public var maxVideoPixelsDecoded: Int

    public init(
        maxBytes: Int = 50 << 20, maxPixels: Int = 50_000_000, maxDimension: Int = 32_768, maxJPEGScans: Int = 100,
        maxFrames: Int = 100, maxAnimationPixels: Int = 100_000_000, maxVideoPixelsDecoded: Int = 2_000_000_000
    ) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
        self.maxDimension = maxDimension
        self.maxJPEGScans = maxJPEGScans
        self.maxFrames = maxFrames
        self.maxAnimationPixels = maxAnimationPixels
        self.maxVideoPixelsDecoded = maxVideoPixelsDecoded
    }

    /// Throws `tooLarge` when `count` bytes are more than ``maxBytes``: every reader of media bytes
    /// (the decoder, the decoder process's parent) refuses them in the same words.
    public func checkBytes(_ count: Int) throws(ImageError) {
        guard count <= maxBytes else { throw ImageError(.tooLarge, "\(count) bytes, more than the limit of \(maxBytes)") }
    }

    /// Throws `tooManyPixels` when a header's dimensions are over the limits.
    /// `what` names the part of the image whose size it is, when not the whole image.
    func check(width: Int, height: Int, format: ImageFormat?, what: String? = nil) throws(ImageError) {
        let declares = what.map { "the header declares a \($0) of" } ?? "the header declares"
        if width > maxDimension || height > maxDimension {
            throw ImageError(
                .tooManyPixels, "\(declares) \(width)×\(height), a side longer than \(maxDimension) pixels",
                format: format)
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw ImageError(
                .tooManyPixels,
                "\(declares) \(width)×\(height) pixels, more than \(maxPixels)",
                format: format)
        }
        if what == nil && (width <= 0 || height <= 0) {
            throw ImageError(.corrupt, "\(declares) \(width)×\(height) pixels", format: format)
        }
    }
}
