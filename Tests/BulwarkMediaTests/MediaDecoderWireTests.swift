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
        // A photo its orientation tag turned: the hash of its pixels as stored too.
        let turned = HashedMedia(
            first: PDQResult(hash: Self.hash, quality: 93), laterFrames: [],
            storedPixels: StoredPixelsPDQ(orientation: 6, hash: Self.other, quality: 91))
        for media in [still, video, animation, turned] {
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
        // A message's line feed becomes a space: an answer is one line. Other line breaks stay, so
        // that an answer read and written again is the same (scripts/fuzz.sh decoder-wire found a
        // carriage return changed on the second writing).
        let broken = ImageError(.corrupt, "first\nsecond\r\nthird", format: .png)
        #expect(try Self.roundTrip(.failure(broken)) == .failure(ImageError(.corrupt, "first second third", format: .png)))
        let kept = ImageError(.corrupt, "a\rb\u{2028}c\u{85}d")
        #expect(try Self.roundTrip(.failure(kept)) == .failure(kept))
        var notShown = MediaDecoderWire.answer(.notShown("x\ry"))
        notShown.removeLast()
        #expect(try MediaDecoderWire.read(stillLine: String(decoding: notShown, as: UTF8.self)) == .display(.notShown("x\ry")))
    }

    @Test func otherLinesAreRefused() {
        let hex = Self.hash.hex
        for line in [
            "", "ok", "ok 100", "ok 100 \(hex)", "ok 101 \(hex) -", "ok -1 \(hex) -", "ok 100 abc -",
            "ok 100 \(hex) 0:100:\(hex)", "ok 100 \(hex) 1:100:xyz", "ok 100 \(hex) -",
            // The stored pixels' hash: an orientation of 2-8, a quality of 0-100, 64 hex digits.
            "ok 100 \(hex) 1:90:\(hex) -", "ok 100 \(hex) 9:90:\(hex) -", "ok 100 \(hex) 6:101:\(hex) -",
            "ok 100 \(hex) 6:90:\(hex.dropLast()) -", "ok 100 \(hex) 6:90 -", "ok 100 \(hex) 6:90:\(hex):1 -", "error", "error corrupt - -",
            "error broken - - message", "error corrupt bmp - message", "error corrupt - -5 message",
            "error corrupt - x message", "fine 100 \(hex) -",
        ] {
            #expect(throws: BulwarkError.self, "\(line)") { _ = try MediaDecoderWire.read(answer: line) }
            do {
                _ = try MediaDecoderWire.read(answer: line)
            } catch {
                #expect(["answer", "frames", "stored_pdq"].contains(error.field), "\(line): \(error)")
            }
        }
    }

    @Test func requestHeadersStateTheLengthAndTheRequest() {
        for count in [0, 1, 255, 256, 4 << 20, 50 << 20, Int(Int32.max) + 7] {
            for request in [
                MediaDecoderWire.Request.hash(), .hash(storedPixels: false), .still(frame: 0), .still(frame: 3), .still(frame: 99), .report(options: 0),
                .report(options: 7), .report(options: .max),
            ] {
                let header = MediaDecoderWire.header(count: count, request: request)
                #expect(header.count == MediaDecoderWire.headerBytes)
                let read = MediaDecoderWire.read(header: header)
                #expect(read?.length == UInt64(count) && read?.request == request)
            }
        }
        #expect(MediaDecoderWire.header(count: 258, request: .still(frame: 513)) == [2, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0])
        #expect(MediaDecoderWire.header(count: 1, request: .report(options: 6)) == [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 6, 0, 0, 0])
        #expect(MediaDecoderWire.header(count: 3, request: .hash()) == [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(
            MediaDecoderWire.header(count: 3, request: .hash(storedPixels: false)) == [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])
        // Another kind, a reserved byte set, a hash request with options other than 0 or 1, a
        // short header: refused.
        var header = MediaDecoderWire.header(count: 10)
        for (at, value) in [(8, 3), (8, 255), (9, 1), (11, 1), (12, 2), (12, 3), (13, 1), (15, 1)] {
            var changed = header
            changed[at] = UInt8(value)
            #expect(MediaDecoderWire.read(header: changed) == nil, "byte \(at) = \(value)")
        }
        header.removeLast()
        #expect(MediaDecoderWire.read(header: header) == nil)
    }

    /// A report answer's line says how many bytes of report follow it, or why the file was not
    /// decoded, as a hash answer's error line does; anything else, or a report past the bound, is
    /// refused.
    @Test func reportAnswersReadBackAsWritten() throws {
        let report = Array(",\"pdq\":\"00\"".utf8)
        var answer = MediaDecoderWire.answer(report: .success(report))
        let newline = try #require(answer.firstIndex(of: 0x0A))
        let said = try MediaDecoderWire.read(reportLine: String(decoding: answer[..<newline], as: UTF8.self))
        #expect(try said.get() == report.count)
        answer.removeFirst(newline + 1)
        #expect(answer == report)
        for error in [ImageError(.truncated, "the data ends", format: .png, offset: 33), ImageError(.decoderFailed, "ended")] {
            var line = MediaDecoderWire.answer(report: .failure(error))
            #expect(line.removeLast() == 0x0A && !line.contains(0x0A))
            let read = try MediaDecoderWire.read(reportLine: String(decoding: line, as: UTF8.self))
            #expect(throws: ImageError.self) { _ = try read.get() }
            if case .failure(let back) = read { #expect(back == error) }
        }
        let ok = String(decoding: MediaDecoderWire.answer(.success(HashedMedia(first: PDQResult(hash: PDQHash(1, 2, 3, 4), quality: 90), laterFrames: []))).dropLast(), as: UTF8.self)
        for line in ["", "report", "report -1", "report x", "report \(MediaDecoderWire.maxReportBytes + 1)", "png 3", ok] {
            #expect(throws: BulwarkError.self, "\(line)") { _ = try MediaDecoderWire.read(reportLine: line) }
        }
    }

    /// A still answer's line says what follows: a PNG of so many bytes, the bytes as they are, or
    /// why the frame is not shown.
    @Test func stillAnswersReadBackAsWritten() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0A, 0x00, 0xFF]
        var answer = MediaDecoderWire.answer(.png(png))
        let newline = try #require(answer.firstIndex(of: 0x0A))
        #expect(try MediaDecoderWire.read(stillLine: String(decoding: answer[..<newline], as: UTF8.self)) == .png(bytes: png.count))
        answer.removeFirst(newline + 1)
        #expect(answer == png)
        for display in [StillImage.Display.asIs(.jpeg), .asIs(.webp), .notShown("no frame 10: the video has 10 frames")] {
            var line = MediaDecoderWire.answer(display)
            #expect(line.removeLast() == 0x0A)
            #expect(try MediaDecoderWire.read(stillLine: String(decoding: line, as: UTF8.self)) == .display(display))
        }
        for line in ["", "png", "png -1", "png x", "png \(MediaDecoderWire.maxStillBytes + 1)", "asis bmp", "ok 100", "none"] {
            #expect(throws: BulwarkError.self, "\(line)") { _ = try MediaDecoderWire.read(stillLine: line) }
        }
    }
}
