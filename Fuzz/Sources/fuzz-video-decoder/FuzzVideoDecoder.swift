internal import BulwarkMedia
internal import FuzzDriver
internal import FuzzSupport

// ImageDecoder().forEachFrame on arbitrary bytes that start as a video does (an MP4 `ftyp` box, or
// Matroska's EBML header; other inputs get one prepended), read by libavformat, libavcodec and
// libswscale through the C shim. Any crash, sanitizer report, leak, timeout or out-of-memory is a
// bug; so are frames of a size other than the stream's, more frames than the limit, more pixels
// decoded than the bound (beyond the one frame that passes it), or a reading that disagrees with
// the frames given. libav itself is not instrumented: coverage guides through the shim and Swift.

/// Small bounds, so that each input decodes within libFuzzer's time limit under ASan.
let decoder = ImageDecoder(
    limits: ImageLimits(
        maxBytes: 1 << 20, maxPixels: 1_000_000, maxDimension: 4096, maxFrames: 8, maxAnimationPixels: 8_000_000,
        maxVideoPixelsDecoded: 30_000_000))

let mp4Start: [UInt8] = [0, 0, 0, 0x18] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2".utf8)
let matroskaStart: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Fuzz.bytes(data, size)
    if VideoContainer.detect(bytes) == nil {
        bytes = (bytes.first.map { $0 & 1 == 0 } ?? true ? mp4Start : matroskaStart) + bytes
    }
    var count = 0
    var size: (Int, Int)?
    do {
        let reading = try decoder.forEachFrame(bytes) { index, frame in
            if index != count { Fuzz.fail("frame \(index) given as frame \(count)") }
            if frame.pixels.count != frame.width * frame.height * 3 || frame.width * frame.height > decoder.limits.maxPixels {
                Fuzz.fail("frame \(index): \(frame.width)×\(frame.height) with \(frame.pixels.count) bytes")
            }
            if let size, size != (frame.width, frame.height) { Fuzz.fail("frame \(index) changed size") }
            size = (frame.width, frame.height)
            count += 1
            return true
        }
        guard let video = reading.video else { Fuzz.fail("a video read without its sampling") }
        if reading.frames != count || count > decoder.limits.maxFrames {
            Fuzz.fail("\(count) frames given, \(reading.frames) said, limit \(decoder.limits.maxFrames)")
        }
        if video.secondsPerFrame < 1 { Fuzz.fail("\(video.secondsPerFrame) seconds a frame") }
        // One frame may pass the bound: it is counted as it is decoded, then refused.
        if video.pixelsDecoded > decoder.limits.maxVideoPixelsDecoded + decoder.limits.maxPixels * 4 {
            Fuzz.fail("\(video.pixelsDecoded) pixels decoded, the bound \(decoder.limits.maxVideoPixelsDecoded)")
        }
    } catch {
        if error.description.isEmpty { Fuzz.fail("an error without a description") }
    }
    return 0
}

@_cdecl("fuzz_video_decoder_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
