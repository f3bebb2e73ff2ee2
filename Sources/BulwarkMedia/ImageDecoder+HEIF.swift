internal import CImageCodecs
internal import CImageShims
internal import CVideoShims

/// HEIF still images: HEIC (HEVC, as phones take photos) and AVIF (AV1), read with libheif.
extension ImageDecoder {
    /// The major brands of an ISO base media file (`ftyp`) that name a HEIF image: HEVC images
    /// and sequences, the generic image brands, and AVIF.
    static let heifBrands: Set<String> = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis"]

    /// Whether the bytes begin with an `ftyp` box whose major brand is a HEIF brand.
    static func isHEIF(_ bytes: some RandomAccessCollection<UInt8>) -> Bool {
        guard bytes.count >= 12 else { return false }
        let head = Array(bytes.prefix(12))
        guard head[4..<8] == [0x66, 0x74, 0x79, 0x70] else { return false }  // "ftyp"
        return heifBrands.contains(String(decoding: head[8..<12], as: UTF8.self))
    }

    /// Whether a HEIF file holds an image sequence: a `moov` box among its top-level boxes (the
    /// track of an animated AVIF, `avis`, or of an HEVC sequence), beside its primary image.
    static func hasImageSequence(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var at = 0
        // The boxes before the media data are few (ftyp, meta, moov, mdat); a file of thousands
        // of small boxes is not looked through to its end.
        for _ in 0..<64 {
            guard at + 8 <= bytes.count else { return false }
            let size32 = bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            if bytes[at + 4] == 0x6D, bytes[at + 5] == 0x6F, bytes[at + 6] == 0x6F, bytes[at + 7] == 0x76 { return true }  // "moov"
            let size: Int
            switch size32 {
            case 0: return false  // to the end of the file
            case 1:
                guard at + 16 <= bytes.count else { return false }
                let size64 = bytes[(at + 8)..<(at + 16)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                guard size64 >= 16, size64 <= UInt64(bytes.count - at) else { return false }
                size = Int(size64)
            default:
                guard size32 >= 8 else { return false }
                size = size32
            }
            at += size
        }
        return false
    }

    /// The frames of a HEIF file that holds an image sequence (an animated AVIF, an HEVC
    /// sequence), so that a harmless first picture does not hide what follows: frame 0 is the
    /// primary image as ``decode(_:)`` gives it (libheif; what a file hashed before gave), then
    /// any other top-level images (``heifImageFrames(_:maxFrames:_:)``: a burst can hold both),
    /// then the sequence's frames, frame k + 1 the sequence's frame k when there are none, read by FFmpeg's libraries (libavformat's MP4
    /// reader, the AV1 or HEVC decoder) and converted to RGB with the colour matrix and range its
    /// stream states, as libavif and libheif convert a picture, at the primary image's size (scaled
    /// when the sequence states another). The sequence's first frame is
    /// most often the primary image again; given again, it is a frame that shows nothing new.
    /// Within ``ImageLimits/maxFrames`` and ``ImageLimits/maxAnimationPixels``; a sequence that
    /// does not read (a codec FFmpeg lacks here, a damaged track) ends the reading after the
    /// primary image, and `stoppedBefore` says why.
    func heifSequenceFrames(
        _ data: UnsafeBufferPointer<UInt8>, maxFrames: Int, _ body: (Int, RGBImage) -> Bool
    ) throws(ImageError) -> FrameReading {
        // The top-level images first (the primary image, and any others a burst holds beside its
        // track), then the track's frames after them.
        var primary = (width: 0, height: 0)
        var spent = 0
        var stopped = false
        let images = try heifImageFrames(data, maxFrames: maxFrames) { index, image in
            if index == 0 { primary = (image.width, image.height) }
            spent += image.width * image.height
            stopped = !body(index, image)
            return !stopped
        }
        guard !stopped, images.stoppedBefore == nil else { return images }
        let first = images.frames
        var result = bw_video_result()
        guard
            let video = bw_video_open(
                data.baseAddress, data.count, UInt64(max(0, limits.maxVideoPixelsDecoded)), Int64(limits.maxPixels),
                &result)
        else {
            return FrameReading(frames: first, stoppedBefore: "frame \(first): the image sequence: \(Self.text(of: result.message))")
        }
        defer { bw_video_close(video) }
        bw_video_colour_as_stated(video, 1)
        let (w, h) = (Int(result.width), Int(result.height))
        do throws(ImageError) {
            try limits.check(width: w, height: h, format: .heif, what: "image sequence")
        } catch {
            return FrameReading(frames: first, stoppedBefore: "frame \(first): \(error.message)")
        }
        guard w > 0, h > 0 else {
            return FrameReading(frames: first, stoppedBefore: "frame \(first): an image sequence of \(w)×\(h) pixels")
        }
        // Every frame at the primary image's size, as an animation's frames are its canvas's
        // (libavif writes both the same; another size is scaled, not a reason to stop reading).
        if (w, h) != (primary.width, primary.height) {
            guard bw_video_scale_to(video, Int32(primary.width), Int32(primary.height)) == 1 else {
                return FrameReading(
                    frames: first,
                    stoppedBefore: "frame \(first): the image sequence is \(w)×\(h), its primary image \(primary.width)×\(primary.height)")
            }
        }
        let (width, height) = (primary.width, primary.height)
        var pixels = try buffer(width * height * 3) { _ in }
        var index = first
        var at = 0.0
        while true {
            if let why = overLimits(frame: index, spent: spent, cost: width * height, maxFrames: maxFrames) {
                return FrameReading(frames: index, stoppedBefore: why)
            }
            let got = pixels.withUnsafeMutableBufferPointer { out in
                bw_video_frame_at(video, at, out.baseAddress, out.count, &result)
            }
            if got < 0 {
                return FrameReading(frames: index, stoppedBefore: "frame \(index): the image sequence: \(Self.text(of: result.message))")
            }
            if got == 0 { return FrameReading(frames: index) }
            // The next frame is the first one after this one's time.
            at = result.time + 0.002
            spent += width * height
            guard body(index, RGBImage(width: width, height: height, pixels: pixels)) else { return FrameReading(frames: index + 1) }
            index += 1
        }
    }

    /// The primary image's width and height as shown (after its transformations: rotation,
    /// mirror, crop), read from the boxes without decoding a pixel (``sizes(_:)``). With `irot`
    /// listed before `ispe` libheif 1.15 states it unturned: the same pixels, its sides swapped.
    func heifSize(_ data: UnsafeBufferPointer<UInt8>) throws(ImageError) -> (width: Int, height: Int) {
        try withPrimaryHEIFImage(data) { (handle) throws(ImageError) in try sizes(handle) }
    }

    /// The size the primary image is shown at, both it and the size it is decoded at before its
    /// crop (`ispe`, which a crop makes larger than shown) checked against ``limits``: a crop to
    /// a few pixels must not let a huge coded image through.
    private func sizes(_ handle: OpaquePointer) throws(ImageError) -> (width: Int, height: Int) {
        let w = Int(heif_image_handle_get_width(handle))
        let h = Int(heif_image_handle_get_height(handle))
        try limits.check(width: w, height: h, format: .heif)
        try limits.check(
            width: Int(heif_image_handle_get_ispe_width(handle)), height: Int(heif_image_handle_get_ispe_height(handle)),
            format: .heif, what: "coded image (ispe)")
        return (w, h)
    }

    /// The primary image in 8-bit RGB, as pillow-heif's `convert("RGB")` gives it: its
    /// transformations (rotation `irot`, mirror `imir`, crop `clap`) applied, as they are part of
    /// the image; alpha dropped; more than 8 bits a sample reduced to 8. An image sequence (`heis`,
    /// `avis`) is its primary image. The size shown and the size coded (before a crop) are both
    /// checked against ``limits`` before anything is decoded.
    func decodeHEIF(_ data: UnsafeBufferPointer<UInt8>) throws(ImageError) -> RGBImage {
        try withPrimaryHEIFImage(data) { (handle) throws(ImageError) -> RGBImage in try decodeHEIF(handle: handle) }
    }

    /// How many top-level images a HEIF file holds (0 when libheif does not read it): more than
    /// one is a collection (a burst, several pictures in one file), which pillow-heif shows as
    /// frames.
    func heifImageCount(_ data: UnsafeBufferPointer<UInt8>) -> Int {
        (try? withHEIFContext(data) { (context) throws(ImageError) in Int(heif_context_get_number_of_top_level_images(context)) }) ?? 0
    }

    /// The frames of a HEIF file with several top-level images, as pillow-heif shows them: frame 0
    /// is the primary image as ``decode(_:)`` gives it, then each other top-level image in the
    /// order the file lists them, each decoded as the primary image is (its transformations
    /// applied, its sizes checked against ``limits`` first), at its own size. Within
    /// ``ImageLimits/maxFrames`` and ``ImageLimits/maxAnimationPixels``; an image that does not
    /// decode ends the reading there, and `stoppedBefore` says why.
    func heifImageFrames(
        _ data: UnsafeBufferPointer<UInt8>, maxFrames: Int, _ body: (Int, RGBImage) -> Bool
    ) throws(ImageError) -> FrameReading {
        try withHEIFContext(data) { (context) throws(ImageError) -> FrameReading in
            // The primary image as decode(_:) reads it, its errors thrown as decode(_:) throws them.
            let primary = try withPrimaryHEIFImage(in: context) { (handle) throws(ImageError) in try decodeHEIF(handle: handle) }
            guard body(0, primary) else { return FrameReading(frames: 1) }
            // One image: nothing else to read (and libheif 1.15 may have shown another image than
            // the one its primary id names, which the list below would give again).
            let count = Int(heif_context_get_number_of_top_level_images(context))
            var primaryID = heif_item_id()
            guard count > 1, heif_context_get_primary_image_ID(context, &primaryID).code == heif_error_Ok else {
                return FrameReading(frames: 1)
            }
            var spent = primary.width * primary.height
            var ids = [heif_item_id](repeating: 0, count: max(0, count))
            let listed = Int(heif_context_get_list_of_top_level_image_IDs(context, &ids, Int32(clamping: ids.count)))
            var index = 1
            for id in ids.prefix(listed) where id != primaryID {
                // An image past the limits (by the sizes its boxes state) or that does not decode
                // ends the reading.
                var stop: String?
                var image: RGBImage?
                do throws(ImageError) {
                    image = try withHEIFImage(context, id) { (handle) throws(ImageError) -> RGBImage? in
                        let (w, h) = try sizes(handle)
                        stop = overLimits(frame: index, spent: spent, cost: w * h, maxFrames: maxFrames)
                        return stop == nil ? try decodeHEIF(handle: handle) : nil
                    }
                } catch {
                    stop = "frame \(index): \(error.message)"
                }
                guard let image else { return FrameReading(frames: index, stoppedBefore: stop) }
                spent += image.width * image.height
                guard body(index, image) else { return FrameReading(frames: index + 1) }
                index += 1
            }
            return FrameReading(frames: index)
        }
    }

    /// An image of the file in 8-bit RGB, as ``decodeHEIF(_:)`` gives the primary one.
    private func decodeHEIF(handle: OpaquePointer) throws(ImageError) -> RGBImage {
        _ = try sizes(handle)
        guard let options = heif_decoding_options_alloc() else {
            throw ImageError(.decoderFailed, "libheif: no memory for the decoding options", format: .heif)
        }
        defer { heif_decoding_options_free(options) }
        options.pointee.convert_hdr_to_8bit = 1
        var decoded: OpaquePointer?
        try Self.check(heif_decode_image(handle, &decoded, heif_colorspace_RGB, heif_chroma_interleaved_RGB, options), what: "image")
        guard let decoded else { throw ImageError(.corrupt, "libheif: no image decoded", format: .heif) }
        defer { heif_image_release(decoded) }
        // The image as decoded, which is what the reference (pillow-heif, a later libheif)
        // shows: libheif 1.15 can state a size its decoding does not give (with `irot` listed
        // before `ispe`, as a Sony camera writes it, the size stated is unturned). Its size
        // is checked again; it has no more pixels than the coded size checked before.
        let w = Int(heif_image_get_width(decoded, heif_channel_interleaved))
        let h = Int(heif_image_get_height(decoded, heif_channel_interleaved))
        guard w > 0, h > 0 else { throw ImageError(.corrupt, "libheif: the decoded image has no pixels", format: .heif) }
        try limits.check(width: w, height: h, format: .heif)
        var stride: Int32 = 0
        guard let plane = heif_image_get_plane_readonly(decoded, heif_channel_interleaved, &stride), Int(stride) >= w * 3
        else { throw ImageError(.corrupt, "libheif: the decoded image has no 8-bit RGB plane", format: .heif) }
        let pixels = try buffer(w * h * 3) { (out) throws(ImageError) in
            for y in 0..<h {
                (out.baseAddress! + y * w * 3).update(from: plane + y * Int(stride), count: w * 3)
            }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// The worker threads each HEVC decoder starts: Bulwark's own HEVC decoder, registered with
    /// libheif the first time a HEIF file is read (`bw_hevc_decoder_install`, CImageShims), runs
    /// libde265 on as many threads as the process may run on, where libheif 1.15's own decodes a
    /// picture on one; the pixels are the same. 0 when libheif refused it and uses its own.
    public static let hevcWorkerThreads = Int(bw_hevc_decoder_install())

    /// Runs `body` on the file's primary image handle. libheif refuses sides above
    /// ``ImageLimits/maxDimension`` while it reads the boxes.
    private func withPrimaryHEIFImage<T>(
        _ data: UnsafeBufferPointer<UInt8>, _ body: (OpaquePointer) throws(ImageError) -> T
    ) throws(ImageError) -> T {
        try withHEIFContext(data) { (context) throws(ImageError) -> T in try withPrimaryHEIFImage(in: context, body) }
    }

    /// Runs `body` on the primary image handle of a context that has read the file.
    private func withPrimaryHEIFImage<T>(
        in context: OpaquePointer, _ body: (OpaquePointer) throws(ImageError) -> T
    ) throws(ImageError) -> T {
        var handle: OpaquePointer?
        try Self.check(heif_context_get_primary_image_handle(context, &handle), what: "primary image")
        guard let handle else { throw ImageError(.corrupt, "libheif: no primary image", format: .heif) }
        defer { heif_image_handle_release(handle) }
        return try body(handle)
    }

    /// Runs `body` on the handle of the file's image `id`.
    private func withHEIFImage<T>(
        _ context: OpaquePointer, _ id: heif_item_id, _ body: (OpaquePointer) throws(ImageError) -> T
    ) throws(ImageError) -> T {
        var handle: OpaquePointer?
        try Self.check(heif_context_get_image_handle(context, id, &handle), what: "image \(id)")
        guard let handle else { throw ImageError(.corrupt, "libheif: no image \(id)", format: .heif) }
        defer { heif_image_handle_release(handle) }
        return try body(handle)
    }

    /// Runs `body` on a libheif context that has read the file's boxes (no image decoded yet).
    private func withHEIFContext<T>(
        _ data: UnsafeBufferPointer<UInt8>, _ body: (OpaquePointer) throws(ImageError) -> T
    ) throws(ImageError) -> T {
        _ = Self.hevcWorkerThreads
        guard let context = heif_context_alloc() else {
            throw ImageError(.decoderFailed, "libheif: no memory for a context", format: .heif)
        }
        defer { heif_context_free(context) }
        heif_context_set_maximum_image_size_limit(context, Int32(clamping: limits.maxDimension))
        try Self.check(heif_context_read_from_memory_without_copy(context, data.baseAddress, data.count, nil), what: "file")
        return try body(context)
    }

    /// A libheif error as an ``ImageError``: the data ending early is `truncated`, a size over
    /// libheif's limits `tooManyPixels`, a feature or codec libheif lacks `unsupportedFormat`,
    /// anything else in the file `corrupt`; libheif's own message is kept.
    static func check(_ error: heif_error, what: String) throws(ImageError) {
        guard error.code != heif_error_Ok else { return }
        let message = "libheif (\(what)): " + (error.message.map { String(cString: $0) } ?? "error \(error.code.rawValue)")
        let code: ImageError.Code =
            switch (error.code, error.subcode) {
            case (_, heif_suberror_End_of_data): .truncated
            case (_, heif_suberror_Security_limit_exceeded): .tooManyPixels
            case (heif_error_Unsupported_filetype, _), (heif_error_Unsupported_feature, _): .unsupportedFormat
            case (heif_error_Memory_allocation_error, _): .tooLarge
            default: .corrupt
            }
        throw ImageError(code, message, format: .heif)
    }
}
