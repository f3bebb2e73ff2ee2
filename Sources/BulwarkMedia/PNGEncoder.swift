internal import CImageShims

/// Writes RGB pixels as a PNG through libpng: how the console shows a still frame of an image
/// that could move (a GIF's first frame).
public enum PNGEncoder {
    /// The row filter PNG writes before compressing.
    public enum Filter: Int32, Sendable {
        /// libpng's choice per row: smallest for photographs, slowest.
        case adaptive = 0
        /// No filter: fastest, and smallest for the few colours of a GIF frame.
        case none = 0x08
        /// Each byte less its left neighbour's: near adaptive's size on photographs, faster.
        case sub = 0x10
    }

    /// The PNG of `image` at zlib compression `level` (0-9) with `filter`; nil for an empty image
    /// or when memory runs out.
    public static func encode(_ image: RGBImage, level: Int = 6, filter: Filter = .adaptive) -> [UInt8]? {
        guard image.width > 0, image.height > 0, image.width <= Int(UInt32.max), image.height <= Int(UInt32.max) else {
            return nil
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            bw_png_encode_rgb(
                pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(min(max(level, 0), 9)),
                filter.rawValue, &out, &size)
        }
        guard status == 0, let out else { return nil }
        defer { bw_png_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
