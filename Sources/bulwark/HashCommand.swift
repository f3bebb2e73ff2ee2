import ArgumentParser
import BulwarkBanks
import BulwarkCore
import BulwarkMedia

#if canImport(Glibc)
    import Glibc
#endif

struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "PDQ, MD5 and SHA-256 of image files, one JSON line per file.",
        discussion: """
            Reads JPEG, PNG, WebP, GIF, PPM (P6) and PGM (P5), recognised by their first bytes (an \
            animation: its first frame); applies JPEG EXIF orientation; hashes the full-size pixels. \
            Output per file: {"path", "pdq", "quality", \
            "md5", "sha256", "width", "height"} (with --dihedral also "dihedral": the 8 hashes of the \
            rotations and mirror images, in the reference's order). A file that cannot be read or \
            decoded gives {"path", "error": {"code", "message", "offset"?}} and the others go on; the \
            exit status is then 1. PDQ quality runs 0-100: discard hashes below 50.
            """
    )

    @Argument(help: "Image files.")
    var files: [String]

    @Flag(help: "Also output the hashes of the 8 rotations and mirror images.")
    var dihedral = false

    @Option(name: .shortAndLong, help: "Write the JSON lines to this file instead of standard output.")
    var out: String?

    @Option(help: "Luminance arithmetic: float32 (the C++ reference's) or float64 (the pdqhash Python binding's).")
    var luma: LumaOption = .float32

    func run() throws {
        var writer = try OutputWriter(path: out)
        let hasher = HashingPipeline(luma: luma.value, dihedral: dihedral)
        var scratch = PDQScratch()
        var failures = 0
        for path in files {
            var line = Array("{\"path\":".utf8)
            appendJSONString(path, to: &line)
            switch hasher.process(path: path, scratch: &scratch) {
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
    }

    let decoder = ImageDecoder()
    let hasher: PDQHasher
    let dihedral: Bool

    init(luma: PDQHasher.Luma, dihedral: Bool) {
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
        let limit = decoder.limits.maxBytes
        guard Int(st.st_size) <= limit else {
            return .failure(
                Failure(
                    code: ImageError.Code.tooLarge.description,
                    message: "\(st.st_size) bytes, more than the limit of \(limit)"))
        }
        do {
            return .success(try readFile(path))
        } catch {
            return .failure(Failure(code: "unreadable", message: "\(error)"))
        }
    }

    /// The file's bytes and its decoded pixels.
    func readAndDecode(_ path: String) -> Result<([UInt8], RGBImage), Failure> {
        switch read(path) {
        case .failure(let f): return .failure(f)
        case .success(let bytes):
            do {
                return .success((bytes, try decoder.decode(bytes)))
            } catch {
                return .failure(Failure(code: error.code.description, message: error.message, offset: error.offset))
            }
        }
    }

    /// The hashes of one file, for matching (with the 8 rotations and mirror images when
    /// `dihedral`). A file that is not an image Bulwark decodes (a video) has its MD5
    /// and SHA-256 only, with the decoder's reason as `notAnImage`.
    func mediaHashes(path: String, scratch: inout PDQScratch) -> Result<(hashes: MediaHashes, notAnImage: Failure?), Failure> {
        let bytes: [UInt8]
        switch read(path) {
        case .success(let read): bytes = read
        case .failure(let f): return .failure(f)
        }
        let image: RGBImage
        do {
            image = try decoder.decode(bytes)
        } catch {
            return .success(
                (MediaHashes(md5: MD5.hex(bytes), sha256: SHA256.hex(bytes)),
                 Failure(code: error.code.description, message: error.message, offset: error.offset)))
        }
        let single = hasher.hash(image, scratch: &scratch)
        let variants = dihedral ? hasher.dihedralHashes(image, scratch: &scratch).hashes : []
        return .success(
            (MediaHashes(
                pdq: single.hash, pdqQuality: single.quality, pdqVariants: variants, md5: MD5.hex(bytes),
                sha256: SHA256.hex(bytes)), nil))
    }

    /// The JSON fields after "path", starting with a comma.
    func process(path: String, scratch: inout PDQScratch) -> Result<[UInt8], Failure> {
        let bytes: [UInt8]
        let image: RGBImage
        switch readAndDecode(path) {
        case .success(let decoded): (bytes, image) = decoded
        case .failure(let f): return .failure(f)
        }
        // The reference's single hash and its dihedral set differ only for a 64×64 image (the
        // single-hash path takes it as already downsampled), so one pass serves both otherwise.
        let single: PDQResult
        var variants: PDQDihedralResult?
        if dihedral {
            let all = hasher.dihedralHashes(image, scratch: &scratch)
            variants = all
            single =
                image.width == 64 && image.height == 64
                ? hasher.hash(image, scratch: &scratch) : PDQResult(hash: all.hashes[0], quality: all.quality)
        } else {
            single = hasher.hash(image, scratch: &scratch)
        }
        var out: [UInt8] = []
        out.append(contentsOf: ",\"pdq\":\"\(single.hash.hex)\",\"quality\":\(single.quality)".utf8)
        out.append(contentsOf: ",\"md5\":\"\(MD5.hex(bytes))\",\"sha256\":\"\(SHA256.hex(bytes))\"".utf8)
        out.append(contentsOf: ",\"width\":\(image.width),\"height\":\(image.height)".utf8)
        if let variants {
            out.append(contentsOf: ",\"dihedral\":[".utf8)
            out.append(contentsOf: variants.hashes.map { "\"\($0.hex)\"" }.joined(separator: ",").utf8)
            out.append(UInt8(ascii: "]"))
        }
        return .success(out)
    }
}
