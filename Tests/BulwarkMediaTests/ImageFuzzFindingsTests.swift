import BulwarkMedia
import Testing

/// Faults of the image decoder shown with the fuzz targets in Fuzz/ (docs/fuzzing.md).
struct ImageFuzzFindingsTests {
    /// `progressive.jpg` (10 scans) with its last scan repeated `copies` more times before the end.
    static func repeatingLastScan(_ copies: Int) throws -> [UInt8] {
        let bytes = try DecoderTests.fixture("progressive.jpg")
        #expect(Array(bytes.suffix(2)) == [0xFF, 0xD9])
        let last = try #require((0..<(bytes.count - 1)).last { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA })
        let scan = Array(bytes[last..<(bytes.count - 2)])
        return Array(bytes.dropLast(2)) + Array([[UInt8]](repeating: scan, count: copies).joined()) + [0xFF, 0xD9]
    }

    /// Found reading the decoder while writing fuzz-image-decoder, then measured with that target
    /// on hand-made files (one input of 44 KB took 13.7 s, of 72 KB 22.6 s, over the 10 s timeout
    /// of the fuzz runs, whose inputs stay under 14 KB): libjpeg-turbo decodes every scan of a
    /// progressive JPEG, each a pass over the whole image, and accepts, with a warning, one scan
    /// repeated thousands of times. A 2000×2000 JPEG repeating one scan 2,000 times took 7.5 s in
    /// a release build (20,000 times, 296 KB: 81 s). Files with more than `maxJPEGScans` scans
    /// (default 100) are now refused before decoding.
    @Test func aJPEGWithTooManyScansIsRefusedBeforeDecoding() throws {
        let ordinary = try DecoderTests.fixture("progressive.jpg")
        #expect(try ImageDecoder().decode(ordinary).width == 23)
        #expect(try ImageDecoder(limits: ImageLimits(maxJPEGScans: 10)).decode(ordinary).width == 23)
        do {
            _ = try ImageDecoder(limits: ImageLimits(maxJPEGScans: 9)).decode(ordinary)
            Issue.record("10 scans accepted with a limit of 9")
        } catch {
            #expect(error.code == .tooManyScans)
        }

        let repeated = try Self.repeatingLastScan(2_000)
        do {
            _ = try ImageDecoder().decode(repeated)
            Issue.record("2,010 scans accepted")
        } catch {
            #expect(error.code == .tooManyScans)
            #expect(error.format == .jpeg)
            #expect(error.message.contains("more than 100 scans"))
            #expect(error.offset.map { $0 > 0 && $0 < repeated.count } == true)
        }
        // At the limit it still decodes.
        #expect(try ImageDecoder().decode(Self.repeatingLastScan(90)).height == 17)
    }
}
