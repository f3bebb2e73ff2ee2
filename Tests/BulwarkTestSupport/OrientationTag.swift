/// Test photos that their metadata turns.
public enum OrientationTag {
    /// `jpeg` with an EXIF segment naming `orientation` first after its start marker (the first
    /// EXIF segment is the one read, so one the photo had already is hidden): a TIFF structure,
    /// little-endian, whose one entry is the orientation tag (0x0112, a SHORT).
    public static func tagged(jpeg: [UInt8], orientation: UInt8) -> [UInt8] {
        let tiff: [UInt8] = [
            0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,  // "II", 42, the first directory at 8
            0x01, 0x00,  // one entry
            0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, orientation, 0x00, 0x00, 0x00,  // 0x0112, SHORT, 1 value
            0x00, 0x00, 0x00, 0x00,  // no next directory
        ]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        return Array(jpeg[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + Array(jpeg[2...])
    }
}
