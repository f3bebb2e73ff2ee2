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

    /// Found by fuzz-image-decoder on 2026-12-07 (with `-malloc_limit_mb=64`, after the
    /// orientation seeds brought in `eXIf` chunks): a 148-byte PNG whose `eXIf` chunk declares
    /// 1,056,964,634 bytes made libpng allocate that many before reading it, despite
    /// `png_set_chunk_malloc_max`. A chunk before the image data that declares more than the data
    /// holds is now refused as cut short, naming the chunk, before libpng sees it.
    @Test func aChunkDeclaringMoreThanTheDataHoldsIsRefusedBeforeLibpngAllocatesIt() throws {
        let png = try DecoderTests.fixture("rgb.png")
        // After IHDR (8 + 25 bytes): an eXIf chunk that declares 0x3F00001A bytes and holds 26.
        let exif: [UInt8] = [0x3F, 0x00, 0x00, 0x1A] + Array("eXIf".utf8) + [UInt8](repeating: 0, count: 30)
        let bytes = Array(png[..<33]) + exif + Array(png[33...])
        do {
            _ = try ImageDecoder().decode(bytes)
            Issue.record("a chunk declaring a gigabyte was decoded")
        } catch {
            #expect(error.code == .truncated)
            #expect(error.offset == bytes.count)
            #expect(error.message.contains("eXIf chunk of 1056964634 bytes that starts at byte 33"), "\(error.message)")
        }
        // A length past 2^31 - 1 is not a PNG chunk length at all.
        let huge = Array(png[..<33]) + [0x80, 0, 0, 0] + Array("tEXt".utf8) + Array(png[33...])
        do {
            _ = try ImageDecoder().decode(huge)
            Issue.record("a chunk length past 2^31 - 1 was accepted")
        } catch {
            #expect(error.code == .corrupt && error.offset == 33, "\(error)")
        }
    }
}
