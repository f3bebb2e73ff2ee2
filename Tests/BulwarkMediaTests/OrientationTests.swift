import BulwarkCore
import BulwarkMedia
import Foundation
import Testing

/// A still image is turned as its metadata says, wherever Pillow reads that: JPEG, PNG and WebP,
/// EXIF and XMP (see `OrientationTags`).
struct OrientationTests {
    struct Row {
        var name: String
        var file: String
        var ppm: String
        var width: Int
        var height: Int
        var lossy: Bool
        var unturned: Bool
        var pillow: String?
    }

    /// scripts/orientation-reference.py's files, written at test time into a scratch folder.
    static let rows: Result<[Row], any Error> = Result {
        let out = try Support.temporaryDirectory("orientation-reference")
        let r = try Support.run("python3", ["scripts/orientation-reference.py", "--out", out])
        guard r.status == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "orientation-reference.py: \(r.stderr)"])
        }
        return try r.stdout.split(separator: "\n").map { line in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return Row(
                name: try #require(o["name"] as? String), file: try #require(o["file"] as? String),
                ppm: try #require(o["ppm"] as? String), width: try #require(o["width"] as? Int),
                height: try #require(o["height"] as? Int), lossy: o["lossy"] as? Bool ?? false,
                unturned: o["unturned"] as? Bool ?? false, pillow: o["pillow"] as? String)
        }
    }

    /// Every way Pillow reads an orientation gives Pillow's `exif_transpose` pixels: PNG `eXIf`
    /// (before and after the image data, prefixed, big-endian, a long, twice), `tEXt` keyed
    /// `exif`, ImageMagick's raw profile in three kinds of text chunk (one inflating to 800 KB), XMP in three, WebP `EXIF`
    /// and `XMP `, JPEG XMP, and the rules between them (a tag of 1 hides the XMP, a block without
    /// the tag lets it speak, the first JPEG EXIF segment and the last XMP one are read).
    @Test func stillImagesAreTurnedAsPillowTurnsThem() throws {
        let rows = try Self.rows.get().filter { !$0.unturned }
        #expect(rows.count == 41)
        var turned = 0
        for row in rows {
            let image = try ImageDecoder().decode(Support.read(row.file))
            let expected = try ImageDecoder().decode(Support.read(row.ppm))
            let stored = try ImageDecoder(appliesOrientation: false).decode(Support.read(row.file))
            #expect(image.width == row.width && image.height == row.height, "\(row.name): \(image.width)×\(image.height)")
            guard image.width == expected.width && image.height == expected.height else { continue }
            let worst = DecoderTests.maxDifference(image, expected)
            #expect(worst <= (row.lossy ? 1 : 0), "\(row.name): max difference \(worst)")
            if stored != image { turned += 1 }
        }
        // The comparison can tell: most of the files are turned, and turning is seen.
        #expect(turned == 33, "\(turned) of \(rows.count) turned")
    }

    /// `orientation(of:)` names, from the metadata alone, what decoding applies: `.up` where the
    /// decoded image is the stored one, a turn that swaps the sides where its sides are swapped,
    /// and `.up` whatever the metadata when orientation is not applied.
    @Test func theOrientationNamedIsTheOneDecodingApplies() throws {
        var named: Set<Orientation> = []
        for row in try Self.rows.get() {
            let bytes = try Support.read(row.file)
            let stored = try ImageDecoder(appliesOrientation: false).decode(bytes)
            let image = try ImageDecoder().decode(bytes)
            let orientation = ImageDecoder().orientation(of: bytes)
            named.insert(orientation)
            #expect((orientation == .up) == (image == stored), "\(row.name): \(orientation)")
            #expect(orientation.swapsSides == (image.width != stored.width), "\(row.name): \(orientation)")
            #expect(image == stored.oriented(orientation), "\(row.name): \(orientation)")
            #expect(ImageDecoder(appliesOrientation: false).orientation(of: bytes) == .up)
        }
        #expect(named == Set(Orientation.allCases))
    }

    /// Asked for, a still image its metadata turned is hashed as stored too: the hash of exactly
    /// the pixels decoding gives without the turn, under the orientation it names; an image left
    /// as stored (tag 1, metadata passed over, an animation) has no such hash. Not asked, none.
    @Test func aTurnedStillImageIsAlsoHashedAsStored() throws {
        var turned = 0
        for row in try Self.rows.get() {
            let bytes = try Support.read(row.file)
            var scratch = PDQScratch()
            let hashed = try PDQHasher().hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch, storedPixels: true)
            let shown = PDQHasher().hash(try ImageDecoder().decode(bytes))
            let asStored = PDQHasher().hash(try ImageDecoder(appliesOrientation: false).decode(bytes))
            #expect(hashed.first == shown, "\(row.name)")
            let orientation = ImageDecoder().orientation(of: bytes)
            if orientation == .up {
                #expect(hashed.storedPixels == nil, "\(row.name)")
            } else {
                turned += 1
                #expect(
                    hashed.storedPixels == StoredPixelsPDQ(orientation: orientation.rawValue, hash: asStored.hash, quality: asStored.quality),
                    "\(row.name): \(orientation)")
            }
            let notAsked = try PDQHasher().hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch)
            #expect(notAsked.storedPixels == nil && notAsked.first == shown, "\(row.name)")
        }
        #expect(turned == 33)
        // Each turn undone by its inverse.
        let image = try ImageDecoder().decode(Support.read(Self.rows.get()[0].file))
        for orientation in Orientation.allCases {
            #expect(image.oriented(orientation).oriented(orientation.inverse) == image, "\(orientation)")
        }
    }

    /// Where Pillow refuses the file or reads it otherwise, the image is decoded as stored: an
    /// `eXIf` chunk with a wrong CRC (libpng discards such a chunk), a raw profile inflating past
    /// 1 MiB or not in hex, an EXIF block cut short or not TIFF, an `iTXt` compressed by an
    /// unknown method, and an animated PNG (its frames are not turned; Pillow turns the frame it shows).
    @Test func metadataThatCannotBeReadLeavesTheImageAsStored() throws {
        let rows = try Self.rows.get().filter(\.unturned)
        #expect(rows.count == 9)
        for row in rows {
            let bytes = try Support.read(row.file)
            let image = try ImageDecoder().decode(bytes)
            let expected = try ImageDecoder().decode(Support.read(row.ppm))
            #expect(image.width == expected.width && image.height == expected.height, "\(row.name)")
            guard image.width == expected.width && image.height == expected.height else { continue }
            let worst = DecoderTests.maxDifference(image, expected)
            #expect(worst <= (row.lossy ? 1 : 0), "\(row.name) (Pillow: \(row.pillow ?? "-")): max difference \(worst)")
        }
        // The animated PNG's first frame is given as stored by the frame reader too.
        let apng = try #require(rows.first { $0.name.hasPrefix("apng-") })
        var first: RGBImage?
        _ = try ImageDecoder().forEachFrame(Support.read(apng.file)) { index, frame in
            if index == 0 { first = frame }
            return index == 0
        }
        #expect(first == (try ImageDecoder().decode(Support.read(apng.file))))
    }

    /// Cut at every byte, a PNG whose chunks name an orientation before its image data decodes
    /// whole and turned, or fails with an error; the chunk reader never reads past the data.
    @Test func aPNGCutAnywhereIsTurnedWholeOrRefused() throws {
        let row = try #require(try Self.rows.get().first { $0.name == "png-exif-without-tag-lets-xmp-6.png" })
        let bytes = try Support.read(row.file)
        let whole = try ImageDecoder().decode(bytes)
        #expect(whole.width == 12 && whole.height == 24)
        var decoded = 0
        for end in 8..<bytes.count {
            guard let image = try? ImageDecoder().decode(Array(bytes[..<end])) else { continue }
            decoded += 1
            #expect(image == whole, "cut at \(end) of \(bytes.count)")
        }
        // libpng needs the image data whole: only a cut inside the 12-byte end chunk decodes.
        #expect(decoded == 12)
    }
}
