import ArgumentParser
import BulwarkBanks
import BulwarkCore
import BulwarkMedia
import BulwarkMediaProcess

#if canImport(Glibc)
    import Glibc
#endif

struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "PDQ, MD5 and SHA-256 of image and video files, one JSON line per file.",
        discussion: """
            Reads JPEG, PNG, WebP, GIF, PPM (P6), PGM (P5) and HEIF (HEIC, AVIF), and videos in MP4/QuickTime or \
            Matroska/WebM (H.264, H.265, VP8, VP9, AV1, MPEG-4 Part 2), recognised by their first \
            bytes; applies the orientation a still image's EXIF or XMP names (JPEG, PNG, WebP) and a \
            video's display matrix (a phone's quarter turn); hashes the full-size pixels. Output per file: \
            {"path", "pdq", "quality", "md5", "sha256", "width", "height"}; for a still image \
            its metadata turned, "orientation" (2-8) and "stored_pdq", "stored_quality": the hash \
            of its pixels as stored, which hashers that apply no orientation (HMA's) give and \
            which the service and `bulwark match` match too; and with --dihedral also "dihedral" for an image: the 8 hashes of the rotations and mirror images, in the \
            reference's order). An animation (GIF, animated WebP, animated PNG) is hashed frame by \
            frame, a video a frame a second (further apart when more than 100 frames or 100 \
            megapixels would be needed to cover it; "video": {"container", "codec", "duration", \
            "seconds_per_frame", "rotation" (degrees clockwise), "mirrored", \
            "display_matrix_ignored" when a matrix is not a right-angle turn or mirror, \
            "sample_aspect_ratio" when its pixels are not square: a pixel's width over its height; \
            the frames are hashed as coded}): "pdq" is its first frame's, "frames_read" counts \
            the frames read (at most 100, or 100 megapixels), "frames" lists the later frames that \
            show another picture ({"frame", "second" for a video, "pdq", "quality"}, more than 8 \
            bits from every hash before), and "frames_stopped" says why reading stopped early, if \
            it did. A file that cannot be read or \
            decoded gives {"path", "error": {"code", "message", "offset"?}} and the others go on; the \
            exit status is then 1. PDQ quality runs 0-100: discard hashes below 50.
            """
    )

    @Argument(help: "Image and video files.")
    var files: [String]

    @Flag(help: "Also output the hashes of the 8 rotations and mirror images.")
    var dihedral = false

    @Option(name: .shortAndLong, help: "Write the JSON lines to this file instead of standard output.")
    var out: String?

    @Option(help: "Luminance arithmetic: float32 (the C++ reference's) or float64 (the pdqhash Python binding's).")
    var luma: LumaOption = .float32

    @OptionGroup var fileBytes: FileBytesOption

    @OptionGroup var decoding: DecoderProcessOptions

    func run() throws {
        var writer = try OutputWriter(path: out)
        let hasher = HashingPipeline(luma: luma.value, dihedral: dihedral, limits: fileBytes.limits)
        var scratch = PDQScratch()
        var failures = 0
        let apart = try decoding.process(limits: hasher.decoder.limits)
        defer { apart?.stop() }
        for path in files {
            var line = Array("{\"path\":".utf8)
            appendJSONString(path, to: &line)
            switch hasher.process(path: path, in: apart, scratch: &scratch) {
            case .success(let fields):
                line.append(contentsOf: fields)
            case .failure(let error):
                failures += 1
                line.append(contentsOf: ",\"error\":{\"code\":".utf8)
                appendJSONString(error.code, to: &line)
                line.append(contentsOf: ",\"message\":".utf8)
                appendJSONString(error.message, to: &line)
                if let offset = error.offset { line.append(contentsOf: ",\"offset\":\(offset)".utf8) }
                line.append(UInt8(ascii: "}"))
            }
            line.append(contentsOf: "}\n".utf8)
            writer.buffer.append(contentsOf: line)
            try writer.flushIfNeeded()
        }
        try writer.flush()
        writer.close()
        if failures > 0 {
            writeStderr("bulwark hash: \(failures) of \(files.count) files failed\n")
            throw ExitCode(1)
        }
    }
}

enum LumaOption: String, ExpressibleByArgument, CaseIterable {
    case float32, float64

    var value: PDQHasher.Luma { self == .float32 ? .float32 : .float64 }
}

/// Reads, decodes and hashes one file; the library calls behind `bulwark hash` and `bench --pdq`.
struct HashingPipeline {
    struct Failure: Error {
        var code: String
        var message: String
        var offset: Int?

        init(code: String, message: String, offset: Int? = nil) {
            self.code = code
            self.message = message
            self.offset = offset
        }

        /// A decoder's error, as the line for its file says it.
        init(_ error: ImageError) {
            self.init(code: error.code.description, message: error.message, offset: error.offset)
        }
    }

    let decoder: ImageDecoder
    let hasher: PDQHasher
    let dihedral: Bool

    init(luma: PDQHasher.Luma, dihedral: Bool, limits: ImageLimits = ImageLimits()) {
        decoder = ImageDecoder(limits: limits)
        hasher = PDQHasher(luma: luma)
        self.dihedral = dihedral
    }

    /// The file's bytes, refusing before reading one that is over the decoder's byte limit.
    func read(_ path: String) -> Result<[UInt8], Failure> {
        var st = stat()
        guard stat(path, &st) == 0 else {
            return .failure(Failure(code: "unreadable", message: "\(path): \(errnoText())"))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            return .failure(Failure(code: "unreadable", message: "\(path): not a regular file"))
        }
        do throws(ImageError) { try decoder.limits.checkBytes(Int(st.st_size)) } catch { return .failure(Failure(error)) }
        do {
            return .success(try readFile(path))
        } catch {
            return .failure(Failure(code: "unreadable", message: "\(error)"))
        }
    }

    /// The hashes of one file, for matching: a turned still image's pixels as stored
    /// (`storedPixels`), the 8 rotations and mirror images of an image when `dihedral` (the
    /// variants), an animation's or a video's later frames. A file
    /// Bulwark does not decode has its MD5 and SHA-256 only, with the decoder's reason as
    /// `notAnImage`. Decoded in `apart` when given (a report request with ``matchingOptions``),
    /// else with ``decoder``.
    func mediaHashes(
        path: String, in apart: MediaDecoderProcess? = nil, scratch: inout PDQScratch
    ) -> Result<(hashes: MediaHashes, notAnImage: Failure?), Failure> {
        let bytes: [UInt8]
        switch read(path) {
        case .success(let read): bytes = read
        case .failure(let f): return .failure(f)
        }
        let decoded =
            if let apart {
                apart.report(bytes, options: matchingOptions).flatMap(Self.readMatching)
            } else {
                matching(bytes, scratch: &scratch)
            }
        switch decoded {
        case .success(let found):
            return .success(
                (MediaHashes(
                    pdq: found.first.hash, pdqQuality: found.first.quality, pdqVariants: found.dihedral,
                    storedPixels: found.storedPixels, frames: found.frames, md5: MD5.hex(bytes), sha256: SHA256.hex(bytes)),
                 nil))
        case .failure(let error):
            return .success(
                (MediaHashes(md5: MD5.hex(bytes), sha256: SHA256.hex(bytes)),
                 Failure(error)))
        }
    }

    /// What a file is matched by: its first frame's hash, a turned still image's pixels' as
    /// stored, that frame's 8 turns when `dihedral`, and the later frames kept.
    struct Matching: Sendable, Equatable {
        var first: PDQResult
        var storedPixels: StoredPixelsPDQ?
        var dihedral: [PDQHash]
        var frames: [FramePDQ]
    }

    /// A file's hashes for matching.
    func matching(_ bytes: [UInt8], scratch: inout PDQScratch) -> Result<Matching, ImageError> {
        do {
            let frames = try hasher.hashFrames(bytes, decoder: decoder, scratch: &scratch, dihedral: dihedral, storedPixels: true)
            return .success(
                Matching(
                    first: frames.first, storedPixels: frames.storedPixels, dihedral: frames.firstDihedral?.hashes ?? [],
                    frames: frames.laterFrames))
        } catch {
            return .failure(error)
        }
    }

    /// ``matching(_:scratch:)`` as a report: `QUALITY HEX STORED DIHEDRAL FRAMES`, the stored
    /// pixels' hash as `StoredPixelsPDQ.text`, the 8 turns' hex joined by commas, the frames as
    /// `FramePDQ.text`, each `-` when there are none.
    func matchingReport(_ bytes: [UInt8], scratch: inout PDQScratch) -> Result<[UInt8], ImageError> {
        matching(bytes, scratch: &scratch).map { found in
            let turned = found.dihedral.isEmpty ? "-" : found.dihedral.map(\.hex).joined(separator: ",")
            let stored = found.storedPixels?.text ?? "-"
            return Array("\(found.first.quality) \(found.first.hash.hex) \(stored) \(turned) \(FramePDQ.text(found.frames) ?? "-")".utf8)
        }
    }

    /// A ``matchingReport(_:scratch:)`` read back; `decoderFailed` when it does not read.
    static func readMatching(_ report: [UInt8]) -> Result<Matching, ImageError> {
        let text = String(decoding: report, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
        let bad = ImageError(.decoderFailed, "the decoder process's report does not read: \(text.prefix(80))")
        guard parts.count == 5, let quality = Int(parts[0]), (0...100).contains(quality), let hash = PDQHash(hex: parts[1])
        else { return .failure(bad) }
        let stored: StoredPixelsPDQ?
        if parts[2] == "-" {
            stored = nil
        } else if let read = try? StoredPixelsPDQ.parse(String(parts[2])) {
            stored = read
        } else {
            return .failure(bad)
        }
        let variants = parts[3] == "-" ? [] : parts[3].split(separator: ",").compactMap { PDQHash(hex: $0) }
        guard parts[3] == "-" || variants.count == parts[3].split(separator: ",").count,
            let frames = try? FramePDQ.parse(parts[4] == "-" ? nil : String(parts[4]))
        else { return .failure(bad) }
        return .success(
            Matching(first: PDQResult(hash: hash, quality: quality), storedPixels: stored, dihedral: variants, frames: frames))
    }

    /// The JSON fields after "path", starting with a comma: ``fields(_:scratch:)``, made with
    /// ``decoder`` or, when given, by the decoder process `apart`'s report hook with these
    /// options (``reportOptions``; the file read here, as the process cannot open files).
    func process(path: String, in apart: MediaDecoderProcess? = nil, scratch: inout PDQScratch) -> Result<[UInt8], Failure> {
        switch read(path) {
        case .success(let bytes):
            let made =
                if let apart { apart.report(bytes, options: reportOptions).flatMap(Self.checkedFields) } else { fields(bytes, scratch: &scratch) }
            return made.mapError(Failure.init)
        case .failure(let f):
            return .failure(f)
        }
    }

    /// A decoder process's fields, written into this command's output as they are, so checked
    /// first: one line of JSON members after a comma, as ``fields(_:scratch:)`` writes them (a
    /// decoder taken over must not write lines that pass for other files'); `decoderFailed`
    /// when they are not.
    static func checkedFields(_ report: [UInt8]) -> Result<[UInt8], ImageError> {
        guard report.first == UInt8(ascii: ","), !report.contains(UInt8(ascii: "\n")),
            JSONSyntax.firstError(in: Array("{\"path\":0".utf8) + report + [UInt8(ascii: "}")]) == nil
        else {
            return .failure(ImageError(.decoderFailed, "the decoder process's report is not JSON fields: \(String(decoding: report.prefix(80), as: UTF8.self))"))
        }
        return .success(report)
    }

    /// This pipeline's options as a report request states them: 1 `dihedral`, 2 float64 luma;
    /// with 4 (``matchingOptions``) the report is ``matchingReport(_:scratch:)``, not the fields.
    var reportOptions: UInt32 { (dihedral ? 1 : 0) | (hasher.luma == .float64 ? 2 : 0) }
    var matchingOptions: UInt32 { reportOptions | 4 }

    /// The report a request's options ask for (``reportOptions``, ``matchingOptions``), made
    /// within `limits`: what `bulwark media-decoder` answers.
    static func report(_ bytes: [UInt8], options: UInt32, limits: ImageLimits, scratch: inout PDQScratch) -> Result<[UInt8], ImageError> {
        let pipeline = HashingPipeline(reportOptions: options, limits: limits)
        return options & 4 != 0 ? pipeline.matchingReport(bytes, scratch: &scratch) : pipeline.fields(bytes, scratch: &scratch)
    }

    /// The pipeline a report request's options (``reportOptions``) ask for, within `limits`.
    init(reportOptions options: UInt32, limits: ImageLimits) {
        self.init(luma: options & 2 != 0 ? .float64 : .float32, dihedral: options & 1 != 0, limits: limits)
    }

    /// The JSON fields of a file's bytes after "path" and before "error", starting with a comma.
    func fields(_ bytes: [UInt8], scratch: inout PDQScratch) -> Result<[UInt8], ImageError> {
        let frames: AnimationPDQ
        let variants: PDQDihedralResult?
        do {
            frames = try hasher.hashFrames(bytes, decoder: decoder, scratch: &scratch, dihedral: dihedral, storedPixels: true)
            variants = frames.firstDihedral
        } catch {
            return .failure(error)
        }
        let single = frames.first
        var out: [UInt8] = []
        out.append(contentsOf: ",\"pdq\":\"\(single.hash.hex)\",\"quality\":\(single.quality)".utf8)
        out.append(contentsOf: ",\"md5\":\"\(MD5.hex(bytes))\",\"sha256\":\"\(SHA256.hex(bytes))\"".utf8)
        out.append(contentsOf: ",\"width\":\(frames.width),\"height\":\(frames.height)".utf8)
        if let stored = frames.storedPixels {
            out.append(contentsOf: ",\"orientation\":\(stored.orientation)".utf8)
            out.append(contentsOf: ",\"stored_pdq\":\"\(stored.hash.hex)\",\"stored_quality\":\(stored.quality)".utf8)
        }
        if let variants {
            out.append(contentsOf: ",\"dihedral\":[".utf8)
            out.append(contentsOf: variants.hashes.map { "\"\($0.hex)\"" }.joined(separator: ",").utf8)
            out.append(UInt8(ascii: "]"))
        }
        if let video = frames.reading.video {
            out.append(contentsOf: ",\"video\":{\"container\":\"\(video.container.rawValue)\",\"codec\":".utf8)
            appendJSONString(video.codec, to: &out)
            out.append(contentsOf: ",\"duration\":\(video.duration),\"seconds_per_frame\":\(video.secondsPerFrame)".utf8)
            out.append(contentsOf: ",\"rotation\":\(video.rotation),\"mirrored\":\(video.mirrored)".utf8)
            if video.displayMatrixIgnored { out.append(contentsOf: ",\"display_matrix_ignored\":true".utf8) }
            if video.sampleAspectRatio != 1 { out.append(contentsOf: ",\"sample_aspect_ratio\":\(video.sampleAspectRatio)".utf8) }
            out.append(UInt8(ascii: "}"))
        }
        // A video's frames as a vPDQ hash (HMA's signal string), to bank or share as such.
        if frames.reading.video != nil,
            let vpdq = try? VPDQHash(first: single.hash, quality: single.quality, frames: frames.laterFrames)
        {
            out.append(contentsOf: ",\"vpdq\":".utf8)
            appendJSONString(vpdq.text, to: &out)
        }
        if frames.reading.frames > 1 || frames.reading.stoppedBefore != nil {
            out.append(contentsOf: ",\"frames_read\":\(frames.reading.frames),\"frames\":[".utf8)
            out.append(contentsOf: frames.laterFrames.map(frameJSON).joined(separator: ",").utf8)
            out.append(UInt8(ascii: "]"))
            if let stop = frames.reading.stoppedBefore {
                out.append(contentsOf: ",\"frames_stopped\":".utf8)
                appendJSONString(stop, to: &out)
            }
        }
        return .success(out)
    }
}

/// A later frame as `hash` and `match` write it: `{"frame", "second" (a video's), "pdq", "quality"}`.
func frameJSON(_ frame: FramePDQ) -> String {
    "{\"frame\":\(frame.frame)" + (frame.second.map { ",\"second\":\($0)" } ?? "")
        + ",\"pdq\":\"\(frame.hash.hex)\",\"quality\":\(frame.quality)}"
}
