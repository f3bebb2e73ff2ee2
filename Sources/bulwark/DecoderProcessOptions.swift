import ArgumentParser
import BulwarkMedia
import BulwarkMediaProcess

/// Where media is decoded: in a child process (`bulwark media-decoder`, the default) or in this
/// one. `serve` and `worker`, `hash` and `match` take these options.
struct DecoderProcessOptions: ParsableArguments {
    @Flag(
        help: """
            Decode and hash media in this process, not in a child process (bulwark media-decoder) \
            where a crash, a memory blow-up or a hang in a decoder ends only the child, and whose \
            seccomp filter keeps files, sockets and programs out of a decoder's reach.
            """)
    var decodeInProcess = false
    @Option(help: "Megabytes of address space the media decoder process may map.")
    var decoderMemoryMb = MediaDecoderSettings.standardAddressSpace >> 20
    @Option(help: "Seconds one file may take to decode and hash before its decoder process is killed (serve and worker: at most half of --job-lease).")
    var decoderTimeout = MediaDecoderSettings.standardTimeoutSeconds

    /// The decoder process's settings, its time limit at most `maxTimeout`; nil with
    /// `--decode-in-process`, or when there is no `/proc/self/exe` to start it from.
    func settings(maxTimeout: Double = .infinity) -> MediaDecoderSettings? {
        guard !decodeInProcess, let executable = MediaDecoderSettings.ownExecutable else { return nil }
        return MediaDecoderSettings(
            executable: executable, addressSpace: max(0, decoderMemoryMb) << 20,
            timeoutSeconds: min(max(0.001, decoderTimeout), maxTimeout))
    }

    /// A decoder process within `limits`, for a command that decodes files one after the other;
    /// nil with `--decode-in-process`. Without `/proc/self/exe`, a `ValidationError`.
    func process(limits: ImageLimits) throws -> MediaDecoderProcess? {
        if decodeInProcess { return nil }
        guard let settings = settings() else {
            throw ValidationError("no /proc/self/exe to start the decoder process from; use --decode-in-process")
        }
        return MediaDecoderProcess(settings: settings, limits: limits)
    }
}

/// `--max-bytes`, shared by `hash` and `match`: the largest file read.
struct FileBytesOption: ParsableArguments {
    @Option(help: "The largest file read, in bytes (a larger one is tooLarge in its line, before it is read).")
    var maxBytes = ImageLimits().maxBytes

    func validate() throws {
        guard maxBytes > 0 else { throw ValidationError("--max-bytes must be at least 1") }
    }

    /// The image limits with this bound on a file's bytes.
    var limits: ImageLimits { ImageLimits(maxBytes: maxBytes) }
}
