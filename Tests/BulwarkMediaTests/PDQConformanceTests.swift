import BulwarkCore
import BulwarkMedia
import Foundation
import Testing

/// Given the same pixels, the same hashes as Meta's C++ reference, bit for bit.
///
/// scripts/pdq-reference.py writes each test image's pixels (and some generated ones) as a PPM and
/// prints the reference's hashes of those pixels from the `pdqhash` package, which runs Meta's C++
/// code: once with luminance as `pdqhash` computes it (float64, rounded), once as the C++ code's own
/// `fillFloatLumaFromRGB` does (float32). It runs at test time, so this is a live comparison; when
/// python3 or pdqhash is missing the tests fail and say so.
struct PDQConformanceTests {
    struct Expected: Sendable {
        var pdq: String
        var quality: Int
        var dihedral: [String]
        var dihedralQuality: Int
    }

    struct Row: Sendable {
        var name: String
        var ppm: String
        var width: Int
        var height: Int
        var float64: Expected
        var float32: Expected
        /// For files with an EXIF orientation tag: the tag, and the hash of Pillow's `exif_transpose` of the pixels.
        var orientation: Int?
        var oriented: (pdq: String, quality: Int)?

        func expected(_ luma: PDQHasher.Luma) -> Expected { luma == .float32 ? float32 : float64 }
    }

    struct ReferenceError: Error, CustomStringConvertible {
        var message: String
        var description: String { message + " (scripts/setup.sh installs python3, pdqhash, numpy and Pillow)" }
    }

    /// The reference's output, produced once for all the tests here.
    static let reference: Result<[Row], ReferenceError> = {
        do {
            let out = try Support.temporaryDirectory("pdq-reference")
            let r = try Support.run("python3", ["scripts/pdq-reference.py", "--out", out])
            guard r.status == 0 else {
                return .failure(
                    ReferenceError(message: "scripts/pdq-reference.py exited with \(r.status): \(r.stderr)"))
            }
            func expected(_ value: Any?) -> Expected? {
                guard let o = value as? [String: Any], let pdq = o["pdq"] as? String,
                    let quality = o["quality"] as? Int,
                    let dihedral = o["dihedral"] as? [String], let dq = o["dihedral_quality"] as? Int
                else { return nil }
                return Expected(pdq: pdq, quality: quality, dihedral: dihedral, dihedralQuality: dq)
            }
            var rows: [Row] = []
            for line in r.stdout.split(separator: "\n") {
                guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let name = o["name"] as? String, let ppm = o["ppm"] as? String,
                    let width = o["width"] as? Int, let height = o["height"] as? Int,
                    let float64 = expected(o["float64"]), let float32 = expected(o["float32"])
                else {
                    return .failure(ReferenceError(message: "unexpected line from scripts/pdq-reference.py: \(line)"))
                }
                var row = Row(name: name, ppm: ppm, width: width, height: height, float64: float64, float32: float32)
                if let n = o["exif_orientation"] as? Int, let oriented = o["oriented"] as? [String: Any],
                    let pdq = oriented["pdq"] as? String, let quality = oriented["quality"] as? Int
                {
                    row.orientation = n
                    row.oriented = (pdq, quality)
                }
                rows.append(row)
            }
            return .success(rows)
        } catch {
            return .failure(ReferenceError(message: "cannot run python3 scripts/pdq-reference.py: \(error)"))
        }
    }()

    @Test(arguments: [PDQHasher.Luma.float32, .float64])
    func sameHashesAsTheReferenceForTheSamePixels(luma: PDQHasher.Luma) throws {
        let rows = try Self.reference.get()
        // Every JPEG, PNG and WebP of the shared set (49) and the generated images (19).
        #expect(rows.count == 68, "the reference produced \(rows.count) images")
        #expect(rows.filter { $0.name.hasPrefix("generated/") }.count == 19)
        let hasher = PDQHasher(luma: luma)
        var scratch = PDQScratch()
        var matches = 0
        var dihedralMatches = 0
        for row in rows {
            let expected = row.expected(luma)
            let image = try ImageDecoder().decode(Support.read(row.ppm))
            #expect(image.width == row.width && image.height == row.height, "\(row.name)")
            let result = hasher.hash(image, scratch: &scratch)
            if result.hash.hex == expected.pdq && result.quality == expected.quality {
                matches += 1
            } else {
                let distance = result.hash.distance(to: PDQHash(hex: expected.pdq) ?? .zero)
                Issue.record(
                    "\(row.name), luma \(luma): \(result.hash) quality \(result.quality); reference \(expected.pdq) quality \(expected.quality); \(distance) bits differ"
                )
            }
            let dihedral = hasher.dihedralHashes(image, scratch: &scratch)
            if dihedral.hashes.map(\.hex) == expected.dihedral && dihedral.quality == expected.dihedralQuality {
                dihedralMatches += 1
            } else {
                Issue.record(
                    "\(row.name), luma \(luma), dihedral: \(dihedral.hashes.map(\.hex)); reference \(expected.dihedral)"
                )
            }
        }
        print(
            "PDQ conformance, luma \(luma): \(matches)/\(rows.count) hashes and \(dihedralMatches)/\(rows.count) sets of 8 dihedral hashes identical to the reference"
        )
        #expect(matches == rows.count && dihedralMatches == rows.count)
    }

    /// The generated images take the reference's edge paths: 64×64 (the single hash skips the
    /// filter, the dihedral set does not), sides of 5 and 4 (below 5: zero hash, quality 0).
    @Test func edgeCasesAreAmongTheComparedImages() throws {
        let rows = try Self.reference.get()
        let tiny = try #require(rows.first { $0.name == "generated/noise-9x4" })
        #expect(tiny.float32.pdq == String(repeating: "0", count: 64) && tiny.float32.quality == 0)
        // For this one the two paths give different hashes, so both are checked.
        let square = try #require(rows.first { $0.name == "generated/ramp-64x64" })
        #expect(square.float32.pdq != square.float32.dihedral[0])
        #expect(square.float64.pdq != square.float64.dihedral[0])
    }

    /// Animations hash as the reference hashes what Pillow shows of them, frame by frame:
    /// scripts/animation-reference.py writes 60 of them from 12 shared images (256-colour
    /// interlaced GIFs, 32-colour GIFs with Pillow's partial later frames, lossy animated WebPs,
    /// animated PNGs in RGB and in a palette with a transparent index drawn with blend 1; each the
    /// image, its mirror image, the image again) and prints `pdqhash`'s hash of each of
    /// Pillow's frames (float64 luminance). `decode` hashes as the first frame; `hashFrames` keeps
    /// the later frames the rule keeps from the reference's hashes (the mirror image, not the
    /// image again), each identical to the reference's.
    @Test func animationsHashAsTheReferenceHashesEachFrame() throws {
        let out = try Support.temporaryDirectory("animation-reference")
        let r = try Support.run("python3", ["scripts/animation-reference.py", "--out", out])
        try #require(r.status == 0, "scripts/animation-reference.py exited with \(r.status): \(r.stderr)")
        let hasher = PDQHasher(luma: .float64)
        var scratch = PDQScratch()
        var identical = 0
        var framesIdentical = 0
        var keptFrames: [Int] = []
        var kinds: Set<ImageFormat> = []
        let lines = r.stdout.split(separator: "\n")
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let path = try #require(o["path"] as? String)
            let bytes = try Support.read(path)
            kinds.insert(try #require(ImageFormat.detect(bytes)))
            let image = try ImageDecoder().decode(bytes)
            #expect(image.width == o["width"] as? Int && image.height == o["height"] as? Int, "\(path)")
            let result = hasher.hash(image, scratch: &scratch)
            if result.hash.hex == o["pdq"] as? String && result.quality == o["quality"] as? Int {
                identical += 1
            } else {
                Issue.record("\(path): \(result.hash) quality \(result.quality); reference \(o["pdq"] ?? "-") \(o["quality"] ?? "-")")
            }
            // Every frame: the rule applied to the reference's hashes keeps the same frames.
            let reference = try #require(o["frames"] as? [[String: Any]]).map {
                (PDQHash(hex: $0["pdq"] as? String ?? "")!, $0["quality"] as? Int ?? -1)
            }
            var kept = [reference[0].0]
            var expected: [FramePDQ] = []
            for (n, frame) in reference.enumerated().dropFirst()
            where !kept.contains(where: { $0.distance(to: frame.0) <= FramePDQ.sameFrameBits }) {
                kept.append(frame.0)
                expected.append(FramePDQ(frame: n, hash: frame.0, quality: frame.1))
            }
            let frames = try hasher.hashFrames(bytes, decoder: ImageDecoder(), scratch: &scratch)
            #expect(frames.first == result && frames.reading == FrameReading(frames: 3), "\(path)")
            if frames.laterFrames == expected {
                framesIdentical += 1
            } else {
                Issue.record("\(path): later frames \(frames.laterFrames); reference \(expected)")
            }
            keptFrames += frames.laterFrames.map(\.frame)
        }
        print("PDQ of animations: \(identical)/\(lines.count) identical to the reference's hash of Pillow's first frame; \(framesIdentical)/\(lines.count) with the same later frames kept, identical (\(keptFrames.count) kept)")
        #expect(lines.count == 60 && identical == 60 && framesIdentical == 60)
        // The mirror image is kept and the image shown again is not, except in the palette PNG
        // drawn with blend 1, where the mirror shows through the image's transparent pixels.
        #expect(keptFrames == Array(repeating: [1, 1, 1, 1, 1, 2], count: 12).flatMap { $0 })
        #expect(kinds == [.gif, .webp, .png])
    }
}
