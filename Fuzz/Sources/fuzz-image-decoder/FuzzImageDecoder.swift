internal import BulwarkMedia
internal import FuzzDriver
internal import FuzzSupport

// ImageDecoder().decode on arbitrary bytes: JPEG (libjpeg-turbo), PNG (libpng through the C shim),
// WebP (libwebp), GIF (giflib through the C shim), PPM and PGM (Swift), HEIC and AVIF (libheif, with
// libde265 and dav1d; not instrumented, but its crashes are caught); then forEachFrame, every
// frame of an animation. Any crash, sanitizer report, leak, timeout or out-of-memory is a bug; so is
// an image whose size disagrees with its pixels or the limits, frames of different sizes (but a
// HEIF file's top-level images, each its own size), more
// frames than the limit, or a first frame that is not the decoded image.

/// Lower than the default 50 megapixels so that a legitimately large image (a small file that
/// declares 7000×7000 and decodes) does not hit libFuzzer's 10-second timeout under ASan; the checks
/// against the limits are the same code whatever the numbers.
let decoder: ImageDecoder = {
    // As in the decoder process (bw_process_harden): memory a decoder leaves unwritten holds a
    // fixed pattern, so a damaged HEIC decodes the same twice (finding 13).
    _ = mallopt(-6, 0x5a)  // M_PERTURB (malloc.h, which Glibc's module does not bring)
    _ = mallopt(-3, 128 * 1024)  // M_MMAP_THRESHOLD
    return ImageDecoder(
        limits: ImageLimits(
            maxBytes: 1 << 20, maxPixels: 4_000_000, maxDimension: 16_384, maxFrames: 16, maxAnimationPixels: 16_000_000))
}()

@_silgen_name("mallopt")
func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    do {
        let image = try decoder.decode(bytes)
        guard image.width > 0, image.height > 0, image.width <= decoder.limits.maxDimension,
            image.height <= decoder.limits.maxDimension, image.width * image.height <= decoder.limits.maxPixels,
            image.pixels.count == image.width * image.height * 3
        else { Fuzz.fail("decoded \(image.width)×\(image.height) with \(image.pixels.count) bytes") }
        var count = 0
        // A HEIF file's top-level images are each at their own size; every other animation's
        // frames are its canvas's.
        let ownSizes = StillImage.isImageCollection(bytes)
        let reading = try decoder.forEachFrame(bytes) { index, frame in
            if index != count { Fuzz.fail("frame \(index) given as frame \(count)") }
            if index == 0 && frame != image { Fuzz.fail("the first frame is not the decoded image") }
            if ownSizes {
                guard frame.width > 0, frame.height > 0, frame.width <= decoder.limits.maxDimension,
                    frame.height <= decoder.limits.maxDimension, frame.width * frame.height <= decoder.limits.maxPixels,
                    frame.pixels.count == frame.width * frame.height * 3
                else { Fuzz.fail("frame \(index) is \(frame.width)×\(frame.height) with \(frame.pixels.count) bytes") }
            } else if frame.width != image.width || frame.height != image.height || frame.pixels.count != image.pixels.count {
                Fuzz.fail("frame \(index) is \(frame.width)×\(frame.height), the image \(image.width)×\(image.height)")
            }
            count += 1
            return true
        }
        if reading.frames != count || count > decoder.limits.maxFrames {
            Fuzz.fail("\(count) frames given, \(reading.frames) said, limit \(decoder.limits.maxFrames)")
        }
    } catch {
        if error.description.isEmpty { Fuzz.fail("an error without a description") }
    }
    return 0
}

@_cdecl("fuzz_image_decoder_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
