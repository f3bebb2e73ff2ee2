import BulwarkMedia
import CImageCodecs
import CImageShims
import Testing

/// Bulwark's own HEVC decoder for libheif (CImageShims/hevc_decoder.c: libde265 on worker
/// threads), against the one built into libheif 1.15 over the same libde265.
@Suite struct HEVCDecoderTests {
    /// libheif knows both, and the first HEIF file read registers Bulwark's, with a worker
    /// thread or more.
    @Test func bulwarksDecoderIsRegisteredBesideLibheifsOwn() {
        #expect(ImageDecoder.hevcWorkerThreads >= 1)
        var descriptors = [OpaquePointer?](repeating: nil, count: 16)
        let count = Int(heif_get_decoder_descriptors(heif_compression_HEVC, &descriptors, Int32(descriptors.count)))
        let ids = descriptors.prefix(count).compactMap { $0.flatMap { heif_decoder_descriptor_get_id_name($0) } }
            .map { String(cString: $0) }
        #expect(ids.contains("bulwark-libde265") && ids.contains("libde265"), "\(ids)")
    }

    /// Every HEIC fixture decodes to the same samples through either decoder: 8 bits a sample
    /// and 10 (two bytes a sample in libde265's planes), turned, with rows of coding blocks that
    /// the worker threads decode side by side (ten-bit.heic, written with wavefront parallel
    /// processing). Compared as 8-bit RGB, as Bulwark hashes, and at the file's own depth.
    @Test(arguments: ["lossy.heic", "turned.heic", "irot-first.heic", "ten-bit.heic"])
    func theSameSamplesAsLibheifsOwnDecoder(_ name: String) throws {
        let data = try DecoderTests.fixture(name)
        for chroma in [heif_chroma_interleaved_RGB, heif_chroma_interleaved_RRGGBB_LE] {
            let ours = try Self.decode(data, with: "bulwark-libde265", chroma: chroma)
            let libheifs = try Self.decode(data, with: "libde265", chroma: chroma)
            #expect(ours.count >= 32 * 24 * 3 && ours == libheifs, "\(name), chroma \(chroma.rawValue)")
        }
    }

    /// The primary image's samples, row after row, decoded by the decoder libheif knows by `id`.
    static func decode(_ data: [UInt8], with id: String, chroma: heif_chroma) throws -> [UInt8] {
        // Registered before the first decode: libheif takes an id it does not know for its best.
        try #require(ImageDecoder.hevcWorkerThreads >= 1)
        let context = try #require(heif_context_alloc())
        defer { heif_context_free(context) }
        try data.withUnsafeBytes { bytes in
            try #require(heif_context_read_from_memory(context, bytes.baseAddress, bytes.count, nil).code == heif_error_Ok)
        }
        var handle: OpaquePointer?
        try #require(heif_context_get_primary_image_handle(context, &handle).code == heif_error_Ok)
        defer { heif_image_handle_release(handle) }
        let options = try #require(heif_decoding_options_alloc())
        defer { heif_decoding_options_free(options) }
        var image: OpaquePointer?
        let error = id.withCString { name in
            options.pointee.decoder_id = name
            return heif_decode_image(handle, &image, heif_colorspace_RGB, chroma, options)
        }
        try #require(error.code == heif_error_Ok, "\(id): \(String(cString: error.message))")
        defer { heif_image_release(image) }
        var stride: Int32 = 0
        let plane = try #require(heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride))
        let width = Int(heif_image_get_width(image, heif_channel_interleaved))
        let height = Int(heif_image_get_height(image, heif_channel_interleaved))
        let rowBytes = width * (chroma == heif_chroma_interleaved_RGB ? 3 : 6)
        var samples: [UInt8] = []
        for y in 0..<height {
            samples += UnsafeBufferPointer(start: plane + y * Int(stride), count: rowBytes)
        }
        return samples
    }
}
