import ArgumentParser
import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
import BulwarkMedia
import BulwarkMediaProcess

struct MatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match hashes against the banks: one JSON line per query with the decision and every match.",
        discussion: """
            Decision: violating when a block bank that is not quarantined matched (verified known \
            content), review when only quarantined block banks matched, none when nothing matched \
            or allow banks answer every block match (a known false positive: the block matches are \
            listed but not acted on; an allow match by PDQ answers only the matches of the same \
            picture). An animation (GIF, animated WebP, animated PNG) or a video (a frame a second, \
            `bulwark hash --help`) is matched by its first frame and by each later frame that shows \
            another picture ("frames"; a match names its "frame", and a video's its "second"). A \
            still image that its EXIF or XMP orientation turned is matched by its pixels as stored \
            too ("stored_pdq"), which hashers that apply no orientation (HMA's) give; such a match \
            says "stored_pixels": true, and one of --dihedral's turns its "dihedral" (0-7). PDQ \
            hashes of quality below \(BankSet.minimumPDQQuality) are not matched.
            """
    )

    @OptionGroup var banks: BankPlaceOption

    @Option(name: .customLong("bank"), help: "Match against this bank only (repeatable). Default: every bank.")
    var only: [String] = []

    @Option(
        name: .customLong("hash"),
        help: "A hash to match, TYPE:VALUE (pdq:HEX, md5:HEX, sha256:HEX, vpdq:'[\"HEX,QUALITY,SECONDS\",…]'); repeatable.")
    var hashes: [String] = []

    @Flag(help: "Also match the image's rotations and mirror images (8 PDQ hashes).")
    var dihedral = false

    @OptionGroup var fileBytes: FileBytesOption

    @OptionGroup var decoding: DecoderProcessOptions

    @Argument(help: "Image files (JPEG, PNG, WebP, GIF, PPM, PGM, HEIC, AVIF): hashed as by `bulwark hash`, then matched.")
    var files: [String] = []

    func validate() throws {
        guard !hashes.isEmpty || !files.isEmpty else { throw ValidationError("give image files or --hash TYPE:HEX") }
    }

    func run() async throws {
        let store = try await banks.open(writable: false)
        let names = only.isEmpty ? nil : Set(only)
        for name in only where store.banks.banks[name] == nil {
            throw CommandFailure("no bank named \"\(name)\"")
        }
        var out: [UInt8] = []
        for query in hashes {
            let parts = query.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let type = SignalType(name: parts[0]) else {
                throw ValidationError("--hash takes TYPE:VALUE (pdq, md5, sha256 or vpdq), not \"\(query.prefix(100))\"")
            }
            let signal = try Signal(type, parts[1])
            var media = MediaHashes()
            switch type {
            case .pdq: media.pdq = signal.pdq
            case .md5: media.md5 = signal.value
            case .sha256: media.sha256 = signal.value
            case .vpdq: media = MediaHashes(video: signal.video!)
            }
            let outcome = store.banks.match(media, banks: names)
            out.removeAll(keepingCapacity: true)
            out.append(contentsOf: "{\"query\":".utf8)
            appendJSONString(signal.description, to: &out)
            appendOutcome(outcome, to: &out)
            out.append(UInt8(ascii: "}"))
            print(String(decoding: out, as: UTF8.self))
        }
        // Files: one line each; an unreadable or undecodable file is an error line.
        let pipeline = HashingPipeline(luma: .float32, dihedral: dihedral, limits: fileBytes.limits)
        let apart = try decoding.process(limits: pipeline.decoder.limits)
        defer { apart?.stop() }
        var scratch = PDQScratch()
        var failures = 0
        for path in files {
            out.removeAll(keepingCapacity: true)
            out.append(contentsOf: "{\"path\":".utf8)
            appendJSONString(path, to: &out)
            switch pipeline.mediaHashes(path: path, in: apart, scratch: &scratch) {
            case .success(let (media, notAnImage)):
                if let pdq = media.pdq {
                    out.append(contentsOf: ",\"pdq\":\"\(pdq.hex)\",\"quality\":\(media.pdqQuality ?? 0)".utf8)
                }
                // A still image its metadata turned: matched by its pixels as stored too.
                if let stored = media.storedPixels {
                    out.append(contentsOf: ",\"orientation\":\(stored.orientation),\"stored_pdq\":\"\(stored.hash.hex)\"".utf8)
                }
                // An animation's or a video's later frames that show another picture, each matched too.
                if !media.frames.isEmpty {
                    out.append(contentsOf: ",\"frames\":[".utf8)
                    out.append(contentsOf: media.frames.map(frameJSON).joined(separator: ",").utf8)
                    out.append(UInt8(ascii: "]"))
                }
                // Not an image Bulwark decodes: matched by its MD5 and SHA-256 only, and says why.
                if let reason = notAnImage {
                    out.append(contentsOf: ",\"md5\":\"\(media.md5 ?? "")\",\"not_an_image\":{\"code\":".utf8)
                    appendJSONString(reason.code, to: &out)
                    out.append(contentsOf: ",\"message\":".utf8)
                    appendJSONString(reason.message, to: &out)
                    out.append(UInt8(ascii: "}"))
                }
                appendOutcome(store.banks.match(media, banks: names), frames: media.frames, to: &out)
            case .failure(let error):
                failures += 1
                out.append(contentsOf: ",\"error\":{\"code\":".utf8)
                appendJSONString(error.code, to: &out)
                out.append(contentsOf: ",\"message\":".utf8)
                appendJSONString(error.message, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "}"))
            print(String(decoding: out, as: UTF8.self))
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// `,"decision":…,"allow_listed":…,"matches":[…]` for a match outcome; a match of a video's
/// frame (among `frames`) names its second too. A match of a turned still image's pixels as
/// stored says `"stored_pixels": true`; one of a rotation or mirror image (`--dihedral`) its
/// place in the reference's order of 8 (`"dihedral"`).
func appendOutcome(_ outcome: MatchOutcome, frames: [FramePDQ] = [], to out: inout [UInt8]) {
    out.append(contentsOf: ",\"decision\":\"\(outcome.decision.rawValue)\"".utf8)
    out.append(contentsOf: ",\"allow_listed\":\(!outcome.allowedBy.isEmpty)".utf8)
    if outcome.lowQualityPDQ { out.append(contentsOf: ",\"pdq_not_matched\":\"quality below \(BankSet.minimumPDQQuality)\"".utf8) }
    out.append(contentsOf: ",\"matches\":[".utf8)
    for (i, m) in outcome.matches.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: "{\"bank\":".utf8)
        appendJSONString(m.bank.name, to: &out)
        out.append(contentsOf: ",\"kind\":\"\(m.bank.kind.rawValue)\",\"quarantined\":\(m.bank.quarantined)".utf8)
        out.append(contentsOf: ",\"entry\":\(m.entry.id),\"type\":\"\(m.entry.signal.type.rawValue)\",\"value\":".utf8)
        appendJSONString(m.entry.signal.value, to: &out)
        out.append(contentsOf: ",\"distance\":\(m.distance)".utf8)
        if m.storedPixels { out.append(contentsOf: ",\"stored_pixels\":true".utf8) }
        if let variant = m.variant { out.append(contentsOf: ",\"dihedral\":\(variant)".utf8) }
        if let frame = m.frame {
            out.append(contentsOf: ",\"frame\":\(frame)".utf8)
            if let second = FramePDQ.second(ofFrame: frame, in: frames) {
                out.append(contentsOf: ",\"second\":\(second)".utf8)
            }
        }
        if let video = m.video { out.append(contentsOf: ",\"video\":\(video.json)".utf8) }
        out.append(contentsOf: ",\"labels\":[".utf8)
        for (k, l) in m.labels.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(l, to: &out)
        }
        out.append(contentsOf: "],\"source\":".utf8)
        appendJSONString(m.entry.source, to: &out)
        out.append(contentsOf: ",\"provenance\":".utf8)
        appendJSONString(m.entry.provenance, to: &out)
        out.append(UInt8(ascii: "}"))
    }
    out.append(UInt8(ascii: "]"))
}
