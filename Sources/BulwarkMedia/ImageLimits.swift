/// Bounds on what the decoder accepts, so that hostile input cannot exhaust memory.
///
/// Pixel counts and dimensions are checked from the header, before any pixel buffer is allocated
/// (a decompression bomb is a small file declaring a huge image). The decoded RGB buffer takes
/// 3 bytes per pixel, and PDQ hashing 8 more (two Float32 planes), so the default of 50
/// megapixels bounds one image at about 550 MiB.
public struct ImageLimits: Sendable, Hashable {
    /// Largest input accepted, in bytes. Default 50 MiB.
    public var maxBytes: Int
    /// Largest width × height accepted. Default 50,000,000.
    public var maxPixels: Int
    /// Longest side accepted, in pixels. Default 32,768.
    public var maxDimension: Int

    public init(maxBytes: Int = 50 << 20, maxPixels: Int = 50_000_000, maxDimension: Int = 32_768) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
        self.maxDimension = maxDimension
    }

    /// Throws `tooManyPixels` when a header's dimensions are over the limits.
    func check(width: Int, height: Int, format: ImageFormat) throws(ImageError) {
        if width > maxDimension || height > maxDimension {
            throw ImageError(
                .tooManyPixels, "the header declares \(width)×\(height), a side longer than \(maxDimension) pixels",
                format: format)
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw ImageError(
                .tooManyPixels,
                "the header declares \(width)×\(height) pixels, more than \(maxPixels)",
                format: format)
        }
        if width <= 0 || height <= 0 {
            throw ImageError(.corrupt, "the header declares \(width)×\(height) pixels", format: format)
        }
    }
}
