import BulwarkCore
import BulwarkMedia
import Testing

/// The decoder process's answers read back as written; anything else is refused naming the field.
struct MediaDecoderWireTests {
    static let hash = PDQHash(hex: "f8f870eee0f4a84f06370a2a078f63f0b36e2ed596221e1d33e6339c4e9c9b22")!
    static let other = PDQHash(hex: "420fc01f601dfcccafcc9fad0b0595d371a2fbf275a2285234d228ca94deeb2d")!

    static func roundTrip(_ result: Result<HashedMedia, ImageError>) throws -> Result<HashedMedia, ImageError> {
        var line = MediaDecoderWire.answer(result)
        #expect(line.last == UInt8(ascii: "\n") && line.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        line.removeLast()
        return try MediaDecoderWire.read(answer: String(decoding: line, as: UTF8.self))
    }

    @Test func answersReadBackAsWritten() throws {
        let still = HashedMedia(first: PDQResult(hash: Self.hash, quality: 100), laterFrames: [])
        let video = HashedMedia(
            first: PDQResult(hash: Self.hash, quality: 87),
            laterFrames: [
                FramePDQ(frame: 3, hash: Self.other, quality: 64, second: 3),
                FramePDQ(frame: 7, hash: Self.hash, quality: 100, second: 14),
            ])
        let animation = HashedMedia(
            first: PDQResult(hash: Self.other, quality: 0), laterFrames: [FramePDQ(frame: 1, hash: Self.hash, quality: 50)])
        for media in [still, video, animation] {
            #expect(try Self.roundTrip(.success(media)) == .success(media))
        }
        let errors = [
            ImageError(.truncated, "the data ends inside the image", format: .jpeg, offset: 5000),
            ImageError(.unsupportedFormat, "not JPEG, PNG, WebP, GIF, PPM or PGM (first bytes 2f 2f 20 73)", offset: 0),
            ImageError(.corrupt, "mp4: the container does not read: Invalid data found"),
            ImageError(.decoderFailed, "the decoder process ended by signal 11 (Segmentation fault) while it decoded the file"),
        ]
        for error in errors {
            #expect(try Self.roundTrip(.failure(error)) == .failure(error))
        }
        // A message's line break becomes a space: an answer is one line.
        let broken = ImageError(.corrupt, "first\nsecond", format: .png)
        #expect(try Self.roundTrip(.failure(broken)) == .failure(ImageError(.corrupt, "first second", format: .png)))
    }

    @Test func otherLinesAreRefused() {
        let hex = Self.hash.hex
        for line in [
            "", "ok", "ok 100", "ok 100 \(hex)", "ok 101 \(hex) -", "ok -1 \(hex) -", "ok 100 abc -",
            "ok 100 \(hex) 0:100:\(hex)", "ok 100 \(hex) 1:100:xyz", "error", "error corrupt - -",
            "error broken - - message", "error corrupt bmp - message", "error corrupt - -5 message",
            "error corrupt - x message", "fine 100 \(hex) -",
        ] {
            #expect(throws: BulwarkError.self, "\(line)") { _ = try MediaDecoderWire.read(answer: line) }
            do {
                _ = try MediaDecoderWire.read(answer: line)
            } catch {
                #expect(error.field == "answer" || error.field == "frames", "\(line): \(error)")
            }
        }
    }

    @Test func requestHeadersStateTheLength() {
        for count in [0, 1, 255, 256, 4 << 20, 50 << 20, Int(Int32.max) + 7] {
            let header = MediaDecoderWire.header(count: count)
            #expect(header.count == 8 && MediaDecoderWire.length(header: header) == UInt64(count))
        }
        #expect(MediaDecoderWire.header(count: 258) == [2, 1, 0, 0, 0, 0, 0, 0])
    }
}
