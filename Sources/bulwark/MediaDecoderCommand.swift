import ArgumentParser
import BulwarkMedia
import BulwarkMediaProcess

/// The decoder process the media job starts (`MediaDecoderProcess`): not for people to run.
struct MediaDecoderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media-decoder",
        abstract: "Decode and hash media sent on standard input (the media job's decoder process).",
        discussion: """
            Reads requests on standard input (a 16-byte header: the file's length, hash or still, \
            a frame; then the file's bytes) and answers each on standard output with one line, a \
            still's PNG after it (MediaDecoderWire), until its input ends (as it does when the \
            parent ends). Limits its own address space and installs a seccomp filter on every thread \
            first, allowing only the calls a decoder makes (files, sockets, programs, new or other \
            processes, executable memory, io_uring out of reach; --check-sandbox shows it).
            """,
        shouldDisplay: false
    )

    @Option var maxBytes = ImageLimits().maxBytes
    @Option var maxPixels = ImageLimits().maxPixels
    @Option var maxDimension = ImageLimits().maxDimension
    @Option(name: .customLong("max-jpeg-scans")) var maxJPEGScans = ImageLimits().maxJPEGScans
    @Option var maxFrames = ImageLimits().maxFrames
    @Option var maxAnimationPixels = ImageLimits().maxAnimationPixels
    @Option var maxVideoPixelsDecoded = ImageLimits().maxVideoPixelsDecoded
    @Option(help: "Bytes of address space (0: no limit).") var addressSpace = MediaDecoderSettings.standardAddressSpace
    @Flag(help: "Harden the process, then try to open a file, a socket and a program, a pidfd of the parent, an io_uring, a child process and executable memory, from this thread and one started before, say how each went, and exit.")
    var checkSandbox = false

    func run() throws {
        if checkSandbox {
            guard let report = MediaDecoderChild.checkSandbox(addressSpace: addressSpace) else {
                throw ValidationError("the process could not be hardened")
            }
            print(report)
            return
        }
        let limits = ImageLimits(
            maxBytes: maxBytes, maxPixels: maxPixels, maxDimension: maxDimension, maxJPEGScans: maxJPEGScans,
            maxFrames: maxFrames, maxAnimationPixels: maxAnimationPixels, maxVideoPixelsDecoded: maxVideoPixelsDecoded)
        // Report requests are `bulwark hash`'s and `match`'s: the JSON fields or the hashes to match.
        var scratch = PDQScratch()
        let status = MediaDecoderChild.serve(limits: limits, addressSpace: addressSpace) { bytes, options in
            HashingPipeline.report(bytes, options: options, limits: limits, scratch: &scratch)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
