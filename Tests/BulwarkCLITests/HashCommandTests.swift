import BulwarkTestSupport
import Foundation
import Testing

struct HashCommandTests {
    static let pdqData = "../shared/data/pdq"

    static func digest(_ tool: String, _ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, path]
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix { $0 != " " })
    }

    static func bits(_ hex: String) -> [UInt8] {
        hex.compactMap { $0.hexDigitValue }.flatMap { v in (0..<4).map { UInt8((v >> (3 - $0)) & 1) } }
    }

    static func distance(_ a: String, _ b: String) -> Int { zip(bits(a), bits(b)).filter { $0 != $1 }.count }

    @Test func hashesGoodFilesAndReportsTheBadOneInPlace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-hash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("not-an-image.jpg").path
        try Data("this is text, not a JPEG".utf8).write(to: URL(fileURLWithPath: bad))
        let photo = Self.pdqData + "/reg-test-input/dih/bridge-1-original.jpg"
        let png = Self.pdqData + "/misc-images/c.png"
        let out = dir.appendingPathComponent("hashes.jsonl").path
        let files = [photo, bad, png, "no/such/file.png"]

        let r = try CLI.run(["hash", "--dihedral"] + files)
        #expect(r.status != 0)
        #expect(r.stderr.contains("2 of 4 files failed"))
        let lines = try CLI.lines(r.stdout)
        #expect(lines.map { $0["path"] as? String } == files)

        let first = lines[0]
        let pdq = try #require(first["pdq"] as? String)
        #expect(pdq.count == 64)
        #expect(first["quality"] as? Int == 100)
        #expect(first["width"] as? Int == 1600 && first["height"] as? Int == 1004)
        #expect(first["md5"] as? String == (try Self.digest("md5sum", photo)))
        #expect(first["sha256"] as? String == (try Self.digest("sha256sum", photo)))
        let dihedral = try #require(first["dihedral"] as? [String])
        #expect(dihedral.count == 8 && dihedral[0] == pdq)
        // The C++ reference's published hash of this photo.
        let csv = try String(contentsOfFile: CLI.root + "/" + Self.pdqData + "/expected-hashes.csv", encoding: .utf8)
        let reference = try #require(
            csv.split(separator: "\n").first {
                $0.hasPrefix("reg-test-input/dih/bridge-1-original.jpg,") && $0.hasSuffix(",cpp-reference")
            })
        #expect(Self.distance(pdq, String(reference.split(separator: ",")[1])) <= 10)
        // Its rotated copy's hash is among the photo's dihedral hashes, nearly.
        let rotated = try CLI.run(["hash", Self.pdqData + "/reg-test-input/dih/bridge-2-rotate-90.jpg"])
        let rotatedHash = try #require(try CLI.lines(rotated.stdout).first?["pdq"] as? String)
        #expect(Self.distance(rotatedHash, dihedral[1]) <= 16, "\(Self.distance(rotatedHash, dihedral[1]))")

        let error = try #require(lines[1]["error"] as? [String: Any])
        #expect(error["code"] as? String == "unsupportedFormat")
        #expect((error["message"] as? String)?.isEmpty == false)
        #expect(lines[1]["pdq"] == nil)
        #expect(lines[2]["width"] as? Int == 1432 && lines[2]["pdq"] is String)
        #expect((lines[3]["error"] as? [String: Any])?["code"] as? String == "unreadable")

        // --out writes the same lines to a file.
        let written = try CLI.run(["hash", "--dihedral", "--out", out] + files)
        #expect(written.status != 0 && written.stdout.isEmpty)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == r.stdout)
    }

    @Test func allGoodFilesExitZeroAndTruncationIsNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-hash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let photo = Self.pdqData + "/misc-images/small.jpg"
        let ok = try CLI.run(["hash", photo, Self.pdqData + "/misc-images/modes/F.webp"])
        #expect(ok.status == 0)
        #expect(try CLI.lines(ok.stdout).allSatisfy { $0["pdq"] is String && $0["dihedral"] == nil })

        // Cut inside the compressed data: the offset is where the data ends.
        let bytes = try Data(
            contentsOf: URL(
                fileURLWithPath: CLI.root + "/" + Self.pdqData + "/reg-test-input/dih/bridge-1-original.jpg"))
        let cut = dir.appendingPathComponent("cut.jpg").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        let r = try CLI.run(["hash", cut])
        #expect(r.status != 0)
        let error = try #require(try CLI.lines(r.stdout).first?["error"] as? [String: Any])
        #expect(error["code"] as? String == "truncated")
        #expect(error["offset"] as? Int == bytes.count / 2)
    }

    /// A GIF and an animated WebP hash as their first frame as Pillow shows it (the `.ppm` beside
    /// each), and list their later frame (the first's negative) with its hash; a still image lists
    /// no frames. `match` matches a later frame and names it.
    @Test func animationsHashFrameByFrame() throws {
        let f = "Tests/BulwarkMediaTests/Fixtures/"
        let names = [
            "animated.gif", "animated.gif.ppm", "animated.gif.frame-1.ppm", "animated.webp", "animated.webp.ppm",
            "animated.webp.frame-1.ppm",
        ]
        let r = try CLI.run(["hash"] + names.map { f + $0 })
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try CLI.lines(r.stdout)
        let hashes = lines.compactMap { $0["pdq"] as? String }
        try #require(hashes.count == 6)
        for (animation, first, second) in [(0, 1, 2), (3, 4, 5)] {
            #expect(hashes[animation] == hashes[first])
            #expect(lines[animation]["frames_read"] as? Int == 2)
            let frames = try #require(lines[animation]["frames"] as? [[String: Any]])
            #expect(frames.count == 1 && frames.first?["frame"] as? Int == 1)
            #expect(frames.first?["pdq"] as? String == hashes[second])
            #expect(lines[first]["frames"] == nil && lines[first]["frames_read"] == nil)
        }

        let banks = NSTemporaryDirectory() + "bulwark-cli-frames-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: banks) }
        #expect(try CLI.run(["bank", "create", "gifct", "--banks", banks]).status == 0)
        #expect(try CLI.run(["bank", "add", "gifct", "--type", "pdq", hashes[2], "--banks", banks]).status == 0)
        let match = try CLI.run(["match", f + "animated.gif", f + "animated.gif.ppm", "--banks", banks])
        #expect(match.status == 0, "\(match.stderr)")
        let results = try CLI.lines(match.stdout)
        try #require(results.count == 2)
        #expect(results[0]["decision"] as? String == "violating")
        let matched = try #require((results[0]["matches"] as? [[String: Any]])?.first)
        #expect(matched["frame"] as? Int == 1 && matched["distance"] as? Int == 0)
        #expect(results[1]["decision"] as? String == "none")
    }

    /// A video is hashed a frame a second: its first frame's hash, the stream's container, codec
    /// and duration, and the later frames that show another picture with the second each was
    /// taken at; no dihedral hashes (an image's). `match` names the second of the frame it matched.
    @Test func videosHashAFrameASecond() throws {
        let dir = NSTemporaryDirectory() + "bulwark-cli-video-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try CLI.run(["python3", "scripts/video-reference.py", "--out", dir, "--only", "vp9.webm"], program: "/usr/bin/env")
        try #require(made.status == 0, "\(made.stderr)")
        let video = dir + "/vp9.webm"
        let r = try CLI.run(["hash", "--dihedral", video])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(try CLI.lines(r.stdout).first)
        #expect(line["dihedral"] == nil && line["width"] as? Int == 320 && line["height"] as? Int == 240)
        let info = try #require(line["video"] as? [String: Any])
        #expect(info["container"] as? String == "matroska" && info["codec"] as? String == "vp9")
        #expect(info["duration"] as? Double == 10 && info["seconds_per_frame"] as? Int == 1)
        #expect(info["sample_aspect_ratio"] == nil)
        #expect(line["frames_read"] as? Int == 10)
        let frames = try #require(line["frames"] as? [[String: Any]])
        #expect(frames.map { $0["second"] as? Int } == [3, 4, 6, 9])
        #expect(frames.allSatisfy { $0["frame"] as? Int == $0["second"] as? Int })

        let banks = dir + "/banks"
        let mirror = try #require(frames[1]["pdq"] as? String)
        #expect(try CLI.run(["bank", "create", "gifct", "--banks", banks]).status == 0)
        #expect(try CLI.run(["bank", "add", "gifct", "--type", "pdq", mirror, "--banks", banks]).status == 0)
        let match = try CLI.run(["match", video, "--banks", banks])
        #expect(match.status == 0, "\(match.stderr)")
        let result = try #require(try CLI.lines(match.stdout).first)
        #expect(result["decision"] as? String == "violating" && result["not_an_image"] == nil)
        let matched = try #require((result["matches"] as? [[String: Any]])?.first)
        #expect(matched["frame"] as? Int == 4 && matched["second"] as? Int == 4 && matched["distance"] as? Int == 0)
    }

    /// A video a phone recorded upright (stored on its side, with a quarter turn in the MP4's track
    /// matrix) hashes as the same video stored upright: the same size and hashes, and the turn
    /// in "video"; the upright one says it has none.
    @Test func aTurnedVideoHashesUpright() throws {
        let dir = NSTemporaryDirectory() + "bulwark-cli-turned-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try CLI.run(
            ["python3", "scripts/video-reference.py", "--out", dir, "--only", "turned-90.mp4"], program: "/usr/bin/env")
        try #require(made.status == 0, "\(made.stderr)")
        let r = try CLI.run(["hash", dir + "/turned-90.mp4", dir + "/upright.mp4"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try CLI.lines(r.stdout)
        try #require(lines.count == 2)
        let (turned, upright) = (lines[0], lines[1])
        #expect(turned["width"] as? Int == 320 && turned["height"] as? Int == 240)
        #expect(turned["pdq"] as? String == upright["pdq"] as? String)
        #expect((turned["frames"] as? [[String: Any]])?.count == 2)
        #expect((turned["frames"] as? [[String: Any]])?.compactMap { $0["pdq"] as? String }
            == (upright["frames"] as? [[String: Any]])?.compactMap { $0["pdq"] as? String })
        let info = try #require(turned["video"] as? [String: Any])
        #expect(info["rotation"] as? Int == 90 && info["mirrored"] as? Bool == false)
        #expect(info["display_matrix_ignored"] == nil)
        let plain = try #require(upright["video"] as? [String: Any])
        #expect(plain["rotation"] as? Int == 0 && plain["mirrored"] as? Bool == false)
    }

    /// A video whose pixels are not square says so ("sample_aspect_ratio", a pixel's width over
    /// its height), and is hashed as coded: 64×48.
    @Test func aVideoWithWidePixelsSaysSo() throws {
        let dir = NSTemporaryDirectory() + "bulwark-cli-sar-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/wide.mp4"
        let script = """
            import av, fractions, numpy as np
            out = av.open('\(path)', 'w')
            s = out.add_stream('libx264', rate=5)
            s.width, s.height, s.pix_fmt = 64, 48, 'yuv420p'
            s.codec_context.sample_aspect_ratio = fractions.Fraction(4, 3)
            for i in range(10):
                f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 25 * i, np.uint8), format='rgb24'); f.pts = i
                for p in s.encode(f): out.mux(p)
            for p in s.encode(): out.mux(p)
            out.close()
            """
        let made = try CLI.run(["python3", "-c", script], program: "/usr/bin/env")
        try #require(made.status == 0, "\(made.stderr)")
        let line = try #require(try CLI.lines(try CLI.run(["hash", path]).stdout).first)
        #expect(line["width"] as? Int == 64 && line["height"] as? Int == 48)
        let info = try #require(line["video"] as? [String: Any])
        #expect(info["sample_aspect_ratio"] as? Double == 4.0 / 3.0, "\(info)")
    }

    /// `--max-bytes` bounds the files read (50 MiB by default): a larger file is `tooLarge` in
    /// its line, before it is read, and the others are hashed; the same in process and for
    /// `match`; 0 is refused.
    @Test func maxBytesBoundsTheFilesRead() throws {
        let small = Self.pdqData + "/misc-images/wee.jpg"
        let large = Self.pdqData + "/reg-test-input/dih/bridge-1-original.jpg"
        let limit = try #require(try FileManager.default.attributesOfItem(atPath: small)[.size] as? Int)
        let largeSize = try #require(try FileManager.default.attributesOfItem(atPath: large)[.size] as? Int)
        try #require(largeSize > limit)
        for extra in [[], ["--decode-in-process"]] {
            let r = try CLI.run(["hash", "--max-bytes", "\(limit)", small, large] + extra)
            #expect(r.status == 1, "\(r.stderr)")
            let lines = try CLI.lines(r.stdout)
            #expect(lines.count == 2 && lines[0]["pdq"] != nil)
            let error = try #require(lines.last?["error"] as? [String: Any])
            #expect(error["code"] as? String == "tooLarge")
            #expect(error["message"] as? String == "\(largeSize) bytes, more than the limit of \(limit)")
        }
        let banks = NSTemporaryDirectory() + "bulwark-maxbytes-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: banks) }
        #expect(try CLI.run(["bank", "create", "b", "--banks", banks]).status == 0)
        let matched = try CLI.lines(try CLI.run(["match", "--banks", banks, "--max-bytes", "\(limit)", large]).stdout)
        #expect((matched.first?["error"] as? [String: Any])?["code"] as? String == "tooLarge")
        for arguments in [["hash", "--max-bytes", "0", small], ["match", "--banks", banks, "--max-bytes", "0", small]] {
            let zero = try CLI.run(arguments)
            #expect(zero.status == 64 && zero.stderr.contains("--max-bytes must be at least 1"), "\(arguments[0]): \(zero.stderr)")
        }
    }

    /// `hash` names the orientation a still image was turned by (so that a hash made elsewhere
    /// from the stored pixels can be told apart), through the decoder process and in process
    /// alike, and says nothing for an image that was not turned.
    @Test func hashNamesTheOrientationItApplied() throws {
        let fixtures = CLI.root + "/Tests/BulwarkMediaTests/Fixtures/"
        let files = (1...8).map { fixtures + "orient-\($0).jpg" }
        for extra in [[], ["--decode-in-process"]] {
            let r = try CLI.run(["hash"] + files + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = try CLI.lines(r.stdout)
            #expect(lines.count == 8)
            for (n, line) in zip(1...8, lines) {
                #expect(line["orientation"] as? Int == (n == 1 ? nil : n), "orient-\(n).jpg \(extra)")
            }
            // All eight show one picture once turned.
            #expect(Set(lines.compactMap { $0["width"] as? Int }).count == 1)
        }
    }

    /// For a file its metadata turns, `hash` gives what Meta's PDQ (pdqhash, float64 luma) gives
    /// for the picture Pillow's `exif_transpose` shows, and as "stored_pdq" what it gives for the
    /// pixels as stored, as HMA's `pdq_from_file` hashes them: exactly, for every lossless file of
    /// scripts/orientation-reference.py, in process and through the decoder process. A file left
    /// as stored has no "stored_pdq".
    @Test func hashGivesTheStoredPixelsHashHMAGives() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-orient-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let made = try CLI.run(["python3", "scripts/orientation-reference.py", "--out", dir.path, "--hashes"], program: "/usr/bin/env")
        #expect(made.status == 0, "\(made.stderr)")
        let rows = try CLI.lines(made.stdout).filter { $0["stored_pdq"] != nil && $0["lossy"] as? Bool == false }
        #expect(rows.count == 35)
        let files = rows.compactMap { $0["file"] as? String }
        for extra in [[], ["--decode-in-process"]] {
            let r = try CLI.run(["hash", "--luma", "float64"] + files + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = try CLI.lines(r.stdout)
            #expect(lines.count == rows.count)
            var turned = 0
            for (row, line) in zip(rows, lines) {
                let name = "\(row["name"] ?? "") \(extra)"
                #expect(line["pdq"] as? String == row["pdq"] as? String, "\(name)")
                if line["orientation"] != nil {
                    turned += 1
                    #expect(line["stored_pdq"] as? String == row["stored_pdq"] as? String, "\(name)")
                    #expect(line["stored_quality"] as? Int == row["stored_quality"] as? Int, "\(name)")
                } else {
                    #expect(line["stored_pdq"] == nil && row["pdq"] as? String == row["stored_pdq"] as? String, "\(name)")
                }
            }
            #expect(turned == 29, "\(extra)")
        }
    }

    /// A bank hash of a tagged photo's stored pixels (as HMA's hasher gives) matches the photo in
    /// `bulwark match`, which says so; the hash of the picture as shown, which matches too, says
    /// nothing more; a file with no tag has no stored pixels' hash to match.
    @Test func matchFindsATurnedPhotoByItsPixelsAsStored() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-turned-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: CLI.root + "/" + Self.pdqData + "/misc-images/wee.jpg")))
        let photo = dir.appendingPathComponent("turned.jpg").path
        try Data(OrientationTag.tagged(jpeg: original, orientation: 8)).write(to: URL(fileURLWithPath: photo))
        let banks = dir.appendingPathComponent("banks").path
        let hashed = try CLI.lines(try CLI.run(["hash", photo, CLI.root + "/" + Self.pdqData + "/misc-images/wee.jpg"]).stdout)
        let stored = try #require(hashed.first?["stored_pdq"] as? String)
        #expect(hashed.first?["orientation"] as? Int == 8)
        // The untagged original's hash is the tagged photo's stored pixels' (the same JPEG data).
        #expect(hashed.last?["pdq"] as? String == stored && hashed.last?["stored_pdq"] == nil)
        let shown = try #require(hashed.first?["pdq"] as? String)
        #expect(Self.distance(shown, stored) > 31)
        #expect(try CLI.run(["bank", "create", "hma", "--banks", banks]).status == 0)
        #expect(try CLI.run(["bank", "add", "hma", "--type", "pdq", stored, "--banks", banks]).status == 0)
        for extra in [[], ["--decode-in-process"], ["--dihedral"]] {
            let r = try CLI.run(["match", photo, "--banks", banks] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let line = try #require(try CLI.lines(r.stdout).first)
            #expect(line["decision"] as? String == "violating" && line["stored_pdq"] as? String == stored, "\(line) \(extra)")
            let match = try #require((line["matches"] as? [[String: Any]])?.first)
            #expect(match["stored_pixels"] as? Bool == true && match["distance"] as? Int == 0, "\(match) \(extra)")
        }
        #expect(try CLI.run(["bank", "add", "hma", "--type", "pdq", shown, "--banks", banks]).status == 0)
        let both = try CLI.lines(try CLI.run(["match", photo, "--banks", banks]).stdout)
        let matches = try #require(both.first?["matches"] as? [[String: Any]])
        #expect(matches.count == 2 && matches.filter { $0["stored_pixels"] != nil }.count == 1, "\(matches)")
        let untagged = try CLI.lines(try CLI.run(["match", CLI.root + "/" + Self.pdqData + "/misc-images/wee.jpg", "--banks", banks]).stdout)
        #expect(untagged.first?["stored_pdq"] == nil)
        #expect((untagged.first?["matches"] as? [[String: Any]])?.allSatisfy { $0["stored_pixels"] == nil } == true)
    }

    /// `bench --pdq` takes every image in the directory by its first bytes, whatever its name,
    /// and skips what is not one; with a HEIC among them it says on how many threads libde265
    /// decodes (Bulwark's HEVC decoder: as many as the process may run on, at most 8), and with
    /// AVIFs alone it does not.
    @Test func benchPDQReadsEveryFormat() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-bench-pdq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["palette.gif", "animated.webp", "rgb.jpg", "rgb.png.ppm", "ten-bit.heic"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: CLI.root + "/Tests/BulwarkMediaTests/Fixtures/" + name))
            try bytes.write(to: dir.appendingPathComponent(name == "rgb.jpg" ? "photo" : name))
        }
        try Data("not an image".utf8).write(to: dir.appendingPathComponent("notes.ppm"))
        let r = try CLI.run(["bench", "--pdq", dir.path, "--iterations", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("5 images (1 gif, 1 heif, 1 jpeg, 1 ppm, 1 webp)"), "\(r.stdout)")
        #expect((1...8).contains { r.stdout.contains("HEVC decoded by libde265 on \($0) worker threads") }, "\(r.stdout)")
        #expect(r.stdout.contains("(as the media job hashes; ") && !r.stdout.contains("no stored pixels' hash"), "\(r.stdout)")
        let shownOnly = try CLI.run(["bench", "--pdq", dir.path, "--iterations", "1", "--no-stored-pixels-hash"])
        #expect(shownOnly.stdout.contains("(as the media job hashes, no stored pixels' hash; "), "\(shownOnly.stdout)")
        // AVIFs alone (AV1, not HEVC): nothing said of libde265; an animated one hashed frame by frame.
        let avif = dir.appendingPathComponent("avif")
        try FileManager.default.createDirectory(at: avif, withIntermediateDirectories: true)
        for name in ["lossy.avif", "sequence.avif"] {
            try Data(contentsOf: URL(fileURLWithPath: CLI.root + "/Tests/BulwarkMediaTests/Fixtures/" + name)).write(
                to: avif.appendingPathComponent(name))
        }
        let av1 = try CLI.run(["bench", "--pdq", avif.path, "--iterations", "1"])
        #expect(av1.status == 0 && av1.stdout.contains("2 images (2 heif)") && !av1.stdout.contains("HEVC"), "\(av1.stdout)")
        #expect(av1.stdout.contains("(as the media job hashes; 5 frames)"), "\(av1.stdout)")
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let none = try CLI.run(["bench", "--pdq", empty.path])
        #expect(none.status == 1 && none.stderr.contains("no image or video files"), "\(none.stderr)")
    }
}
