internal import CImageCodecs
internal import CImageShims

/// Decodes JPEG, PNG, WebP, GIF, PPM (P6), PGM (P5) and HEIF (HEIC, AVIF) bytes to 8-bit RGB,
/// within ``ImageLimits``; an animation (GIF, animated PNG or WebP) to its first frame.
///
/// The format comes from the first bytes, never from a file name. Colour handling follows what
/// Pillow's `Image.convert("RGB")` gives, which is what the PDQ reference tools hash:
/// - alpha is dropped, not composited (PNG tRNS, grey+alpha, RGBA; WebP alpha);
/// - grey is copied to the three channels; palettes are expanded;
/// - 16-bit samples (PNG, and PPM/PGM with maxval 65535) keep their high byte;
///   PPM/PGM with another maxval are scaled to 0...255 with rounding;
/// - CMYK and YCCK JPEGs are converted as Pillow does, with Adobe CMYK taken as inverted;
/// - a GIF is its first frame on its logical screen, as Pillow shows it (see `decodeGIF`), and an
///   animated WebP its first frame on its canvas (`decodeAnimatedWebP`);
/// - no gamma or ICC colour management.
/// The orientation a still JPEG, PNG or WebP's EXIF (or, without an EXIF orientation, its XMP)
/// names is applied, so the pixels are as the image is meant to be seen (see `OrientationTags`);
/// an animation's frames are not turned. A HEIF image's own transformations (rotation, mirror,
/// crop) are part of the image and always applied, as libheif and pillow-heif apply them.
public struct ImageDecoder: Sendable {
    public var limits: ImageLimits
    /// Whether the orientation a still image's metadata names is applied (default true).
    public var appliesOrientation: Bool

    public init(limits: ImageLimits = ImageLimits(), appliesOrientation: Bool = true) {
        self.limits = limits
        self.appliesOrientation = appliesOrientation
    }

    public func decode(_ bytes: [UInt8]) throws(ImageError) -> RGBImage {
        guard !bytes.isEmpty else { throw ImageError(.unsupportedFormat, "the data is empty", offset: 0) }
        try limits.checkBytes(bytes.count)
        guard let format = ImageFormat.detect(bytes) else {
            let shown = bytes.prefix(4).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
            throw ImageError(
                .unsupportedFormat, "not JPEG, PNG, WebP, GIF, PPM, PGM or HEIF (first bytes \(shown))", offset: 0)
        }
        return try bytes.withUnsafeBufferPointer { (data) throws(ImageError) -> RGBImage in
            switch format {
            case .jpeg: return try decodeJPEG(data)
            case .png: return try decodePNG(data)
            case .webp: return try decodeWebP(data)
            case .gif: return try decodeGIF(data)
            case .ppm, .pgm: return try decodePNM(data, format: format)
            case .heif: return try decodeHEIF(data)
            }
        }
    }

    /// The orientation ``decode(_:)`` applies to these bytes, from their metadata alone: what a
    /// still JPEG, PNG or WebP names (see `OrientationTags`); `.up` for an animation, another
    /// format, a header that does not read, or when ``appliesOrientation`` is false.
    public func orientation(of bytes: [UInt8]) -> Orientation {
        guard appliesOrientation, let format = ImageFormat.detect(bytes) else { return .up }
        return bytes.withUnsafeBufferPointer { data in
            switch format {
            case .jpeg:
                return (try? JPEGHeader(data))?.orientation ?? .up
            case .png:
                return OrientationTags.png(data)?.orientation ?? .up
            case .webp:
                var features = WebPBitstreamFeatures()
                guard WebPGetFeatures(data.baseAddress, data.count, &features) == VP8_STATUS_OK, features.has_animation == 0
                else { return .up }
                return OrientationTags.webp(data).orientation
            case .gif, .ppm, .pgm, .heif:
                return .up
            }
        }
    }

    /// Reads only the header and checks the declared size against ``limits``, allocating nothing
    /// for pixels: how a server refuses a decompression bomb when it arrives rather than when it
    /// is decoded. Returns the format and the declared size; throws as ``decode(_:)`` would for
    /// the header (`tooManyPixels`, `tooLarge`, `unsupportedFormat`, `corrupt`, `truncated`).
    public func header(_ bytes: [UInt8]) throws(ImageError) -> (format: ImageFormat, width: Int, height: Int) {
        guard !bytes.isEmpty else { throw ImageError(.unsupportedFormat, "the data is empty", offset: 0) }
        try limits.checkBytes(bytes.count)
        guard let format = ImageFormat.detect(bytes) else {
            throw ImageError(.unsupportedFormat, "not JPEG, PNG, WebP, GIF, PPM, PGM or HEIF", offset: 0)
        }
        let (width, height) = try bytes.withUnsafeBufferPointer { (data) throws(ImageError) -> (Int, Int) in
            switch format {
            case .jpeg:
                let header = try JPEGHeader(data)
                return (header.width, header.height)
            case .png:
                // The signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
                guard data.count >= 24 else {
                    throw ImageError(.truncated, "the data ends inside the IHDR chunk", format: .png, offset: data.count)
                }
                guard data[12] == 0x49, data[13] == 0x48, data[14] == 0x44, data[15] == 0x52 else {
                    throw ImageError(.corrupt, "the first chunk is not IHDR", format: .png, offset: 12)
                }
                func be32(_ at: Int) -> Int { (16..<20).reduce(0) { v, k in v << 8 | Int(data[at + k - 16]) } }
                return (be32(16), be32(20))
            case .webp:
                var features = WebPBitstreamFeatures()
                try check(WebPGetFeatures(data.baseAddress, data.count, &features), what: "header")
                return (Int(features.width), Int(features.height))
            case .gif:
                var info = bw_gif_result()
                bw_gif_read_info(data.baseAddress, data.count, &info)
                try check(info)
                try limits.check(width: Int(info.width), height: Int(info.height), format: .gif, what: "first frame")
                return Self.gifCanvas(info)
            case .ppm, .pgm:
                let header = try pnmHeader(data, format: format)
                return (header.width, header.height)
            case .heif:
                return try heifSize(data)
            }
        }
        try limits.check(width: width, height: height, format: format)
        return (format, width, height)
    }

    /// Fills a new buffer of `count` bytes through `body`, which returns how many it initialised.
    func buffer(
        _ count: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) throws(ImageError) -> Void
    ) throws(ImageError) -> [UInt8] {
        var failure: ImageError?
        let result = [UInt8](unsafeUninitializedCapacity: count) { raw, initialized in
            raw.initialize(repeating: 0)
            initialized = count
            do throws(ImageError) { try body(raw) } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }

    // MARK: JPEG

    private func decodeJPEG(_ data: UnsafeBufferPointer<UInt8>) throws(ImageError) -> RGBImage {
        let header = try JPEGHeader(data)
        try limits.check(width: header.width, height: header.height, format: .jpeg)
        // Each scan is a pass over the whole image: thousands of them in a small file take minutes.
        if let extra = header.scan(after: limits.maxJPEGScans, in: data) {
            throw ImageError(
                .tooManyScans, "more than \(limits.maxJPEGScans) scans, each a pass over the whole image",
                format: .jpeg, offset: extra)
        }
        guard let handle = tjInitDecompress() else {
            throw ImageError(.corrupt, "cannot start the JPEG decoder", format: .jpeg)
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        guard let base = data.baseAddress,
            tjDecompressHeader3(handle, base, UInt(data.count), &width, &height, &subsampling, &colorspace) == 0
        else {
            throw ImageError(.corrupt, "libjpeg-turbo: \(errorText(handle))", format: .jpeg)
        }
        // The library's view of the size is the one the buffer is allocated for.
        try limits.check(width: Int(width), height: Int(height), format: .jpeg)
        let w = Int(width)
        let h = Int(height)
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = cmyk ? 4 : 3
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        var decoded = try buffer(w * h * channels) { (out) throws(ImageError) in
            let status = tjDecompress2(
                handle, base, UInt(data.count), out.baseAddress, width, 0, height, format.rawValue, 0)
            if status != 0 {
                let message = errorText(handle)
                guard tjGetErrorCode(handle) == TJERR_WARNING.rawValue else {
                    throw ImageError(.corrupt, "libjpeg-turbo: \(message)", format: .jpeg)
                }
                // libjpeg's warnings are survivable damage (Pillow decodes such files too), except
                // running out of data: then the rest of the image is made up.
                if !header.hasEndMarker(data) {
                    throw ImageError(
                        .truncated, "the data ends inside the image (libjpeg-turbo: \(message))", format: .jpeg,
                        offset: data.count)
                }
            }
        }
        if cmyk {
            decoded = Self.rgb(fromCMYK: decoded, inverted: header.hasAdobeSegment)
        }
        let image = RGBImage(width: w, height: h, pixels: decoded)
        return appliesOrientation ? image.oriented(header.orientation) : image
    }

    private func errorText(_ handle: tjhandle) -> String {
        guard let s = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: s)
    }

    /// Pillow's CMYK to RGB: each channel is (255 - c)(255 - k) / 255, rounded as Pillow rounds.
    /// Adobe's CMYK JPEGs store 255 - value.
    static func rgb(fromCMYK cmyk: [UInt8], inverted: Bool) -> [UInt8] {
        let pixels = cmyk.count / 4
        var out = [UInt8](repeating: 0, count: pixels * 3)
        cmyk.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<pixels {
                    func ink(_ v: UInt8) -> Int { inverted ? 255 - Int(v) : Int(v) }
                    let k = ink(src[4 * p + 3])
                    let notK = 255 - k
                    for c in 0..<3 {
                        let t = ink(src[4 * p + c]) * notK + 128
                        let product = ((t >> 8) + t) >> 8
                        dst[3 * p + c] = UInt8(clamping: notK - product)
                    }
                }
            }
        }
        return out
    }

    // MARK: PNG

    private func decodePNG(_ data: UnsafeBufferPointer<UInt8>) throws(ImageError) -> RGBImage {
        let (w, h, pixels) = try pngPixels(data)
        let image = RGBImage(width: w, height: h, pixels: pixels)
        guard appliesOrientation, let tags = OrientationTags.png(data) else { return image }
        return image.oriented(tags.orientation)
    }

    /// A PNG's pixels, its header first checked against the limits: 8-bit RGB as Pillow's
    /// `convert("RGB")` gives them, or with `channels` the image's own 8-bit samples, that many a
    /// pixel (see `bw_png_decode_samples`). `checkCRC` false is for a PNG put together from an
    /// animated PNG's frame, whose chunks carry no CRC.
    func pngPixels(
        _ data: UnsafeBufferPointer<UInt8>, channels: Int? = nil, checkCRC: Bool = true
    ) throws(ImageError) -> (width: Int, height: Int, pixels: [UInt8]) {
        try Self.checkChunksBeforeImageData(data)
        let maxSide = UInt32(clamping: limits.maxDimension)
        let crc: Int32 = checkCRC ? 1 : 0
        var result = bw_png_result()
        bw_png_read_info(data.baseAddress, data.count, maxSide, crc, &result)
        try check(result)
        let w = Int(result.width)
        let h = Int(result.height)
        try limits.check(width: w, height: h, format: .png)
        let pixels = try buffer(w * h * (channels ?? 3)) { (out) throws(ImageError) in
            if channels != nil {
                bw_png_decode_samples(data.baseAddress, data.count, maxSide, crc, out.baseAddress, out.count, &result)
            } else {
                bw_png_decode_rgb(data.baseAddress, data.count, maxSide, out.baseAddress, out.count, &result)
            }
            try check(result)
        }
        return (w, h, pixels)
    }

    /// Refuses a PNG one of whose chunks before the first `IDAT` (those libpng reads before the
    /// pixels) declares more bytes than the data holds, before libpng sees it: libpng 1.6.39
    /// allocates an `eXIf` chunk's declared length before reading it, whatever
    /// `png_set_chunk_malloc_max` says (1,056,964,634 bytes for a file of 148; found by
    /// fuzz-image-decoder, docs/fuzzing.md). libpng would refuse the file as cut short anyway,
    /// once it had read to its end.
    static func checkChunksBeforeImageData(_ data: UnsafeBufferPointer<UInt8>) throws(ImageError) {
        var chunks = PNGChunks(data)
        while let chunk = chunks.next() {
            if chunk.type == PNGChunks.imageData { return }
        }
        // The walk stopped at a chunk whose data do not fit, or at the data's end (libpng says).
        guard let cut = chunks.cut, cut.type != PNGChunks.imageData else { return }
        let name = PNGChunks.name(cut.type)
        guard cut.length <= 0x7FFF_FFFF else {
            throw ImageError(
                .corrupt, "the \(name) chunk at byte \(cut.start) declares \(cut.length) bytes", format: .png, offset: cut.start)
        }
        throw ImageError(
            .truncated, "the data ends inside the \(name) chunk of \(cut.length) bytes that starts at byte \(cut.start)",
            format: .png, offset: data.count)
    }

    func check(_ result: bw_png_result) throws(ImageError) {
        let message = Self.text(of: result.message)
        switch result.status {
        case BW_PNG_OK:
            return
        case BW_PNG_TRUNCATED:
            throw ImageError(.truncated, "the data ends inside the image", format: .png, offset: result.offset)
        case BW_PNG_TOO_LARGE:
            try limits.check(width: Int(result.width), height: Int(result.height), format: .png)
            throw ImageError(.tooManyPixels, "\(result.width)×\(result.height) pixels", format: .png)
        default:
            throw ImageError(.corrupt, "libpng: \(message)", format: .png, offset: result.offset)
        }
    }

    // MARK: WebP

    private func decodeWebP(_ data: UnsafeBufferPointer<UInt8>) throws(ImageError) -> RGBImage {
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeatures(data.baseAddress, data.count, &features)
        try check(status, what: "header")
        let w = Int(features.width)
        let h = Int(features.height)
        try limits.check(width: w, height: h, format: .webp)
        if features.has_animation != 0 { return try decodeAnimatedWebP(data, width: w, height: h) }
        let pixels = try buffer(w * h * 3) { (out) throws(ImageError) in
            var config = WebPDecoderConfig()
            guard WebPInitDecoderConfig(&config) != 0 else {
                throw ImageError(.corrupt, "libwebp: version mismatch", format: .webp)
            }
            config.output.colorspace = MODE_RGB
            config.output.is_external_memory = 1
            config.output.u.RGBA.rgba = out.baseAddress
            config.output.u.RGBA.stride = Int32(w * 3)
            config.output.u.RGBA.size = out.count
            let status = WebPDecode(data.baseAddress, data.count, &config)
            WebPFreeDecBuffer(&config.output)
            try check(status, what: "image")
        }
        let image = RGBImage(width: w, height: h, pixels: pixels)
        return appliesOrientation ? image.oriented(OrientationTags.webp(data).orientation) : image
    }

    /// The first frame of an animated WebP, as Pillow shows it: libwebp's animation decoder
    /// composes it on the canvas (`width`×`height`, already checked against the limits; what the
    /// frame does not cover is transparent black), in RGBA without premultiplied alpha, and the
    /// alpha is dropped. Later frames are read by ``forEachFrame(_:_:)``.
    private func decodeAnimatedWebP(
        _ data: UnsafeBufferPointer<UInt8>, width w: Int, height h: Int
    ) throws(ImageError) -> RGBImage {
        var first: RGBImage?
        _ = try animatedWebPFrames(data, width: w, height: h, maxFrames: 1) { _, image in
            first = image
            return false
        }
        guard let first else { throw ImageError(.corrupt, "libwebp: no frame", format: .webp) }
        return first
    }

    /// libwebp's animation decoder for `data`, whose canvas is `width`×`height`, in RGBA without
    /// premultiplied alpha; the caller deletes it.
    func animationDecoder(
        _ data: UnsafeBufferPointer<UInt8>, width w: Int, height h: Int
    ) throws(ImageError) -> OpaquePointer {
        var options = WebPAnimDecoderOptions()
        guard WebPAnimDecoderOptionsInit(&options) != 0 else {
            throw ImageError(.corrupt, "libwebp: version mismatch", format: .webp)
        }
        options.color_mode = MODE_RGBA
        options.use_threads = 0
        var webp = WebPData(bytes: data.baseAddress, size: data.count)
        guard let decoder = WebPAnimDecoderNew(&webp, &options) else {
            // The RIFF header gives the file's length: shorter data is cut, not damaged.
            let declared = data.count >= 8 ? (4..<8).reduce(0) { $0 | Int(data[$1]) << (8 * ($1 - 4)) } + 8 : 0
            if declared > data.count {
                throw ImageError(
                    .truncated, "the data ends inside the animation (\(declared) bytes declared)", format: .webp,
                    offset: data.count)
            }
            throw ImageError(.corrupt, "libwebp: the animation's frames are not valid", format: .webp)
        }
        var info = WebPAnimInfo()
        guard WebPAnimDecoderGetInfo(decoder, &info) != 0, Int(info.canvas_width) == w, Int(info.canvas_height) == h
        else {
            WebPAnimDecoderDelete(decoder)
            throw ImageError(.corrupt, "libwebp: the animation's canvas is not the header's", format: .webp)
        }
        return decoder
    }

    func check(_ status: VP8StatusCode, what: String) throws(ImageError) {
        switch status {
        case VP8_STATUS_OK: return
        case VP8_STATUS_NOT_ENOUGH_DATA:
            throw ImageError(.truncated, "the data ends inside the \(what)", format: .webp)
        case VP8_STATUS_UNSUPPORTED_FEATURE:
            throw ImageError(.unsupportedFormat, "a WebP feature libwebp does not decode", format: .webp)
        case VP8_STATUS_OUT_OF_MEMORY:
            throw ImageError(.tooManyPixels, "libwebp ran out of memory", format: .webp)
        default:
            throw ImageError(.corrupt, "libwebp: invalid \(what) (status \(status.rawValue))", format: .webp)
        }
    }

    // MARK: GIF

    /// The first frame, as Pillow's `Image.open(...).convert("RGB")` gives it (its GIF plugin's
    /// default loading strategy), which is what the PDQ tools built on Pillow hash:
    /// - the canvas is the logical screen, grown to hold the frame if it reaches past it;
    /// - pixels outside the frame are the frame's transparent index when its graphic control
    ///   extension names one, else index 0;
    /// - indices are looked up in the frame's own colour table, else the global one; a table that
    ///   is the identity grey ramp (entry k = (k, k, k)), or none, makes the index its grey value;
    ///   an index past the table's end is black;
    /// - transparency is dropped, not composited, as for PNG and WebP.
    /// Later frames are read by ``forEachFrame(_:_:)`` (see `gifFrames`).
    private func decodeGIF(_ data: UnsafeBufferPointer<UInt8>) throws(ImageError) -> RGBImage {
        var first: RGBImage?
        _ = try gifFrames(data, maxFrames: 1) { _, image in
            first = image
            return false
        }
        guard let first else { throw ImageError(.corrupt, "no frame", format: .gif) }
        return first
    }

    /// The canvas of the first frame: the logical screen, grown to hold the frame.
    static func gifCanvas(_ info: bw_gif_result) -> (width: Int, height: Int) {
        (
            max(Int(info.screen_width), Int(info.left) + Int(info.width)),
            max(Int(info.screen_height), Int(info.top) + Int(info.height))
        )
    }

    /// The RGB of each of the 256 indices (768 bytes): the colour table, black past its end; the
    /// grey ramp when there is no table or it is the identity ramp (Pillow opens those as grey).
    static func gifColours(_ info: bw_gif_result) -> [UInt8] {
        let colors = Int(min(info.colors, 256))
        let palette = withUnsafeBytes(of: info.palette) { Array($0.prefix(3 * colors)) }
        // Entry k of the ramp is (k, k, k): byte i of it is i / 3.
        let isGreyRamp = palette.indices.allSatisfy { palette[$0] == UInt8($0 / 3) }
        if isGreyRamp { return (0..<768).map { UInt8($0 / 3) } }
        return palette + [UInt8](repeating: 0, count: 768 - palette.count)
    }

    func check(_ result: bw_gif_result) throws(ImageError) {
        let message = Self.text(of: result.message)
        switch result.status {
        case BW_GIF_OK:
            return
        case BW_GIF_TRUNCATED:
            throw ImageError(.truncated, message, format: .gif, offset: result.offset)
        default:
            throw ImageError(.corrupt, "giflib: \(message)", format: .gif, offset: result.offset)
        }
    }

    /// The NUL-terminated text of a C shim's fixed-size `message` field.
    static func text<Message>(of message: Message) -> String {
        withUnsafeBytes(of: message) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    // MARK: PPM and PGM

    /// A PPM or PGM header: size, maximum sample value, and where the raster starts.
    private func pnmHeader(
        _ data: UnsafeBufferPointer<UInt8>, format: ImageFormat
    ) throws(ImageError) -> (width: Int, height: Int, maxval: Int, raster: Int) {
        var i = 2
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }
        func number(_ name: String) throws(ImageError) -> Int {
            // Whitespace and comments, then at least one whitespace before each field.
            let before = i
            while i < data.count {
                if isSpace(data[i]) {
                    i += 1
                } else if data[i] == UInt8(ascii: "#") {
                    while i < data.count && data[i] != 0x0A && data[i] != 0x0D { i += 1 }
                } else {
                    break
                }
            }
            guard i < data.count else {
                throw ImageError(.truncated, "the data ends before the \(name)", format: format, offset: i)
            }
            guard i > before else {
                throw ImageError(.corrupt, "no whitespace before the \(name)", format: format, offset: i)
            }
            var value = 0
            var digits = 0
            while i < data.count, (0x30...0x39).contains(data[i]) {
                value = value * 10 + Int(data[i] - 0x30)
                digits += 1
                i += 1
                guard digits <= 9 else {
                    throw ImageError(.corrupt, "the \(name) is too long a number", format: format, offset: i)
                }
            }
            guard digits > 0 else {
                throw ImageError(.corrupt, "the \(name) is not a number", format: format, offset: i)
            }
            guard i < data.count else {
                throw ImageError(.truncated, "the data ends after the \(name)", format: format, offset: i)
            }
            return value
        }
        let width = try number("width")
        let height = try number("height")
        let maxval = try number("maximum value")
        guard (1...65535).contains(maxval) else {
            throw ImageError(.corrupt, "maximum value \(maxval) is not in 1...65535", format: format, offset: i)
        }
        guard isSpace(data[i]) else {
            throw ImageError(.corrupt, "no whitespace after the maximum value", format: format, offset: i)
        }
        i += 1
        try limits.check(width: width, height: height, format: format)
        return (width, height, maxval, i)
    }

    private func decodePNM(_ data: UnsafeBufferPointer<UInt8>, format: ImageFormat) throws(ImageError) -> RGBImage {
        let (width, height, maxval, i) = try pnmHeader(data, format: format)
        let channels = format == .ppm ? 3 : 1
        let sampleBytes = maxval > 255 ? 2 : 1
        let needed = width * height * channels * sampleBytes
        guard data.count - i >= needed else {
            throw ImageError(
                .truncated, "the pixels need \(needed) bytes after the header, the data has \(data.count - i)",
                format: format, offset: data.count)
        }
        let raster = i
        if channels == 3 && maxval == 255 {
            // The common case is the raster itself.
            let raw = UnsafeBufferPointer(rebasing: data[raster..<(raster + needed)])
            return RGBImage(width: width, height: height, pixels: Array(raw))
        }
        let pixels = try buffer(width * height * 3) { (out) throws(ImageError) in
            let samples = width * height * channels
            // One table from sample value to 8 bits for every maxval but 255 and 65535.
            var table: [UInt8] = []
            if maxval != 255 && maxval != 65535 {
                table = (0...maxval).map { UInt8((($0 * 255) + maxval / 2) / maxval) }
            }
            for s in 0..<samples {
                let v: UInt8
                if sampleBytes == 1 {
                    let raw = data[raster + s]
                    v = maxval == 255 ? raw : table[min(Int(raw), maxval)]
                } else {
                    let hi = data[raster + 2 * s]
                    v = maxval == 65535 ? hi : table[min(Int(hi) << 8 | Int(data[raster + 2 * s + 1]), maxval)]
                }
                if channels == 3 {
                    out[s] = v
                } else {
                    out[3 * s] = v
                    out[3 * s + 1] = v
                    out[3 * s + 2] = v
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
