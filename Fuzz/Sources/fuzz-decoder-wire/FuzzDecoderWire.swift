internal import BulwarkCore
internal import BulwarkMedia
internal import FuzzDriver
internal import FuzzSupport

// MediaDecoderWire's readers on the input as what a decoder process sent back: the service reads
// a child that may have been taken over, so its answers are untrusted input too. The input's
// first byte picks the reader (a hash answer's line, a still answer's line, a request header, a
// report answer's line).
// An answer refused has an error naming the field; one accepted, written again, reads back the
// same; a header accepted states a request that writes back to the same 16 bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let rest = Array(bytes.dropFirst())
    // A line as the service reads it: up to the first line feed.
    let line = String(decoding: rest.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    switch bytes[0] % 4 {
    case 0:
        let read: Result<HashedMedia, ImageError>
        do {
            read = try MediaDecoderWire.read(answer: line)
        } catch {
            guard error.field == "answer" || error.field == "frames" || error.field == "stored_pdq", !error.message.isEmpty else {
                Fuzz.fail("refused without naming the field: \(error)")
            }
            return 0
        }
        var written = MediaDecoderWire.answer(read)
        guard written.last == UInt8(ascii: "\n") else { Fuzz.fail("an answer without its newline") }
        written.removeLast()
        guard !written.contains(UInt8(ascii: "\n")) else { Fuzz.fail("an answer of more than one line: \(read)") }
        do {
            let again = try MediaDecoderWire.read(answer: String(decoding: written, as: UTF8.self))
            guard again == read else { Fuzz.fail("\(read) written again reads back as \(again)") }
        } catch {
            Fuzz.fail("\(read) written again is refused: \(error)")
        }
    case 1:
        let said: MediaDecoderWire.StillLine
        do {
            said = try MediaDecoderWire.read(stillLine: line)
        } catch {
            guard error.field == "answer" else { Fuzz.fail("refused without naming the field: \(error)") }
            return 0
        }
        switch said {
        case .png(let count):
            guard (0...MediaDecoderWire.maxStillBytes).contains(count) else { Fuzz.fail("a PNG of \(count) bytes") }
        case .display(let display):
            var written = MediaDecoderWire.answer(display)
            written.removeLast()
            guard (try? MediaDecoderWire.read(stillLine: String(decoding: written, as: UTF8.self))) == said else {
                Fuzz.fail("\(display) does not read back")
            }
        }
    case 3:
        let said: Result<Int, ImageError>
        do {
            said = try MediaDecoderWire.read(reportLine: line)
        } catch {
            guard error.field == "answer", !error.message.isEmpty else { Fuzz.fail("refused without naming the field: \(error)") }
            return 0
        }
        switch said {
        case .success(let count):
            guard (0...MediaDecoderWire.maxReportBytes).contains(count) else { Fuzz.fail("a report of \(count) bytes") }
        case .failure(let error):
            var written = MediaDecoderWire.answer(report: .failure(error))
            written.removeLast()
            let again = try? MediaDecoderWire.read(reportLine: String(decoding: written, as: UTF8.self))
            guard case .failure(let back)? = again, back == error else { Fuzz.fail("\(error) does not read back") }
        }
    default:
        guard let (length, request) = MediaDecoderWire.read(header: rest) else { return 0 }
        guard MediaDecoderWire.header(count: Int(truncatingIfNeeded: length), request: request) == rest else {
            Fuzz.fail("header \(rest) states \(length), \(request), which writes back otherwise")
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked(seeds)
    return 0
}

/// One of each answer and header, as the decoder process writes them.
func seeds() -> [(name: String, bytes: [UInt8])] {
    let hash = PDQHash(1, 2, 3, 0xFFFF_FFFF_FFFF_FFFF)
    let media = HashedMedia(
        first: PDQResult(hash: hash, quality: 100),
        laterFrames: [FramePDQ(frame: 2, hash: hash, quality: 64, second: 2), FramePDQ(frame: 5, hash: hash, quality: 90)])
    func line(_ answer: [UInt8]) -> [UInt8] { Array(answer.prefix { $0 != UInt8(ascii: "\n") }) }
    return [
        ("ok", [0] + line(MediaDecoderWire.answer(.success(media)))),
        (
            "ok-turned",
            [0]
                + line(
                    MediaDecoderWire.answer(
                        .success(
                            HashedMedia(
                                first: PDQResult(hash: hash, quality: 90), laterFrames: [],
                                storedPixels: StoredPixelsPDQ(orientation: 6, hash: PDQHash(4, 3, 2, 1), quality: 88)))))
        ),
        ("error", [0] + line(MediaDecoderWire.answer(.failure(ImageError(.truncated, "the data ends", format: .jpeg, offset: 12))))),
        ("png", [1] + line(MediaDecoderWire.answer(.png([1, 2, 3])))),
        ("asis", [1] + line(MediaDecoderWire.answer(.asIs(.webp)))),
        ("none", [1] + line(MediaDecoderWire.answer(.notShown("no frame 4")))),
        ("header-hash", [2] + MediaDecoderWire.header(count: 1234)),
        ("header-hash-shown-only", [2] + MediaDecoderWire.header(count: 1234, request: .hash(storedPixels: false))),
        ("header-still", [2] + MediaDecoderWire.header(count: 99, request: .still(frame: 7))),
        ("header-report", [2] + MediaDecoderWire.header(count: 99, request: .report(options: 5))),
        ("report", [3] + line(MediaDecoderWire.answer(report: .success([1, 2, 3])))),
        ("report-error", [3] + line(MediaDecoderWire.answer(report: .failure(ImageError(.decoderFailed, "ended"))))),
    ]
}

@_cdecl("fuzz_decoder_wire_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
