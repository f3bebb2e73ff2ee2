/// An image as 8-bit RGB pixels, row-major, 3 bytes per pixel, no padding.
public struct RGBImage: Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// `width * height * 3` bytes: R, G, B of the top-left pixel first.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3, "pixel count does not match")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// The image formats ``ImageDecoder`` reads, recognised by their first bytes.
public enum ImageFormat: String, Sendable, Hashable, CaseIterable {
    case jpeg
    case png
    case webp
    /// GIF87a and GIF89a: the first frame.
    case gif
    /// Binary portable pixmap (P6).
    case ppm
    /// Binary portable greymap (P5).
    case pgm
    /// HEIF: a HEIC (HEVC) or AVIF (AV1) still image, its primary image (since 2026-12-07).
    case heif

    /// The format named by the first bytes, or nil.
    public static func detect(_ bytes: some RandomAccessCollection<UInt8>) -> ImageFormat? {
        func starts(_ prefix: [UInt8]) -> Bool {
            bytes.count >= prefix.count && zip(bytes, prefix).allSatisfy { $0 == $1 }
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 12 {
            let riff = Array(bytes.prefix(12))
            if riff[0..<4] == [0x52, 0x49, 0x46, 0x46] && riff[8..<12] == [0x57, 0x45, 0x42, 0x50] { return .webp }
        }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts([0x50, 0x36]) { return .ppm }  // "P6"
        if starts([0x50, 0x35]) { return .pgm }  // "P5"
        if ImageDecoder.isHEIF(bytes) { return .heif }
        return nil
    }
}

/// EXIF orientation (tag 0x0112): how the stored pixels are turned for display.
public enum Orientation: Int, Sendable, Hashable, CaseIterable {
    case up = 1
    case mirrored = 2
    case rotated180 = 3
    case mirroredVertically = 4
    /// Mirrored along the main diagonal.
    case transposed = 5
    /// Stored turned 90° anticlockwise: displayed by turning it 90° clockwise.
    case rotated90 = 6
    /// Mirrored along the anti-diagonal.
    case transversed = 7
    /// Stored turned 90° clockwise: displayed by turning it 90° anticlockwise.
    case rotated270 = 8

    /// Whether width and height swap.
    public var swapsSides: Bool { rawValue >= 5 }

    /// The orientation that turns the image back: a quarter turn the other way; each mirror and
    /// the half turn is its own.
    public var inverse: Orientation {
        switch self {
        case .rotated90: .rotated270
        case .rotated270: .rotated90
        default: self
        }
    }
}

extension RGBImage {
    /// The image as it is meant to be displayed, given the orientation its pixels were stored in.
    /// Copied in tiles of 64 × 64 pixels, so that a quarter turn reads the stored rows a tile at
    /// a time rather than one pixel from each row in turn, with no choice made per pixel
    /// (docs/pdq.md has the figures).
    public func oriented(_ orientation: Orientation) -> RGBImage {
        if orientation == .up { return self }
        let w = width
        let h = height
        let outW = orientation.swapsSides ? h : w
        let outH = orientation.swapsSides ? w : h
        // The stored pixel shown at (x, y) is (x0 + ax·x + ay·y, y0 + bx·x + by·y).
        let (x0, ax, ay, y0, bx, by): (Int, Int, Int, Int, Int, Int) =
            switch orientation {
            case .up: (0, 1, 0, 0, 0, 1)
            case .mirrored: (w - 1, -1, 0, 0, 0, 1)
            case .rotated180: (w - 1, -1, 0, h - 1, 0, -1)
            case .mirroredVertically: (0, 1, 0, h - 1, 0, -1)
            case .transposed: (0, 0, 1, 0, 1, 0)
            case .rotated90: (0, 0, 1, h - 1, -1, 0)
            case .transversed: (w - 1, 0, -1, h - 1, -1, 0)
            case .rotated270: (w - 1, 0, -1, 0, 1, 0)
            }
        // In bytes of the stored pixels: where the first shown pixel is, and the steps to the
        // next shown column and row.
        let origin = (y0 * w + x0) * 3
        let stepX = (bx * w + ax) * 3
        let stepY = (by * w + ay) * 3
        let tile = 64
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                for tileY in stride(from: 0, to: outH, by: tile) {
                    for tileX in stride(from: 0, to: outW, by: tile) {
                        let endX = min(tileX + tile, outW)
                        for y in tileY..<min(tileY + tile, outH) {
                            var s = origin + y * stepY + tileX * stepX
                            var d = (y * outW + tileX) * 3
                            for _ in tileX..<endX {
                                dst[d] = src[s]
                                dst[d + 1] = src[s + 1]
                                dst[d + 2] = src[s + 2]
                                s += stepX
                                d += 3
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: outW, height: outH, pixels: out)
    }
}
