internal import BulwarkMedia
internal import FuzzDriver
internal import FuzzSupport

// ImageDecoder().decode on arbitrary bytes: JPEG (libjpeg-turbo), PNG (libpng through the C shim),
// WebP (libwebp), PPM and PGM (Swift). Any crash, sanitizer report, leak, timeout or out-of-memory
// is a bug; so is an image whose size disagrees with its pixels or the limits.

/// Lower than the default 50 megapixels so that a legitimately large image (a small file that
/// declares 7000×7000 and decodes) does not hit libFuzzer's 10-second timeout under ASan; the checks
/// against the limits are the same code whatever the numbers.
let decoder = ImageDecoder(limits: ImageLimits(maxBytes: 1 << 20, maxPixels: 4_000_000, maxDimension: 16_384))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    do {
        let image = try decoder.decode(bytes)
        guard image.width > 0, image.height > 0, image.width <= decoder.limits.maxDimension,
            image.height <= decoder.limits.maxDimension, image.width * image.height <= decoder.limits.maxPixels,
            image.pixels.count == image.width * image.height * 3
        else { Fuzz.fail("decoded \(image.width)×\(image.height) with \(image.pixels.count) bytes") }
    } catch {
        if error.description.isEmpty { Fuzz.fail("an error without a description") }
    }
    return 0
}

@_cdecl("fuzz_image_decoder_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
