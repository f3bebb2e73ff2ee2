internal import BulwarkCore
internal import BulwarkMedia
internal import FuzzDriver
internal import FuzzSupport

// PDQHasher on whatever ImageDecoder decodes from the input (the same limits as the decoder target):
// the single hash, the eight dihedral hashes and the Float64-luma variant. Besides crashes, checks
// that quality is 0...100, that images with a side under 5 hash to zero, and that the dihedral path's
// "original" is the single hash (the two share the transform except for 64×64 images, where the
// reference's single-hash path skips the blur); and that the media job's hashes of a still image
// turned by its metadata are the hashes of the image as shown and as stored.

let decoder = ImageDecoder(limits: ImageLimits(maxBytes: 1 << 20, maxPixels: 4_000_000, maxDimension: 16_384))
nonisolated(unsafe) var scratch = PDQScratch()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let image = try? decoder.decode(bytes) else { return 0 }
    let hasher = PDQHasher()
    let single = hasher.hash(image, scratch: &scratch)
    guard (0...100).contains(single.quality) else { Fuzz.fail("quality \(single.quality)") }
    if min(image.width, image.height) < PDQHasher.minimumSide {
        guard single.hash == .zero, single.quality == 0 else { Fuzz.fail("a tiny image has a hash") }
        return 0
    }
    let dihedral = hasher.dihedralHashes(image, scratch: &scratch)
    guard dihedral.hashes.count == 8, dihedral.quality == single.quality else {
        Fuzz.fail("dihedral: \(dihedral.hashes.count) hashes, quality \(dihedral.quality) against \(single.quality)")
    }
    if !(image.width == 64 && image.height == 64) && dihedral[.original] != single.hash {
        Fuzz.fail("dihedral original \(dihedral[.original]) is not the hash \(single.hash)")
    }
    let wide = PDQHasher(luma: .float64).hash(image, scratch: &scratch)
    guard (0...100).contains(wide.quality) else { Fuzz.fail("Float64 luma quality \(wide.quality)") }
    // What the media job hashes: the first frame's hash is the decoded image's, and a turned still
    // image's stored pixels' hash is that of the image decoded without the turn, which the turn
    // named gives back.
    guard let media = try? HashedMedia(hashing: bytes, decoder: decoder, scratch: &scratch) else {
        Fuzz.fail("decoded, but not hashed as the media job hashes")
    }
    guard media.first == single else { Fuzz.fail("the media job's hash \(media.first) is not the hash \(single)") }
    let orientation = decoder.orientation(of: bytes)
    if let stored = media.storedPixels {
        var asStored = decoder
        asStored.appliesOrientation = false
        guard let unturned = try? asStored.decode(bytes), stored.orientation == orientation.rawValue,
            unturned.oriented(orientation) == image, unturned == image.oriented(orientation.inverse),
            hasher.hash(unturned, scratch: &scratch) == PDQResult(hash: stored.hash, quality: stored.quality)
        else { Fuzz.fail("the stored pixels' hash (orientation \(stored.orientation)) is not the unturned image's") }
    } else if orientation != .up {
        Fuzz.fail("turned by \(orientation), with no stored pixels' hash")
    }
    return 0
}

@_cdecl("fuzz_pdq_hasher_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
