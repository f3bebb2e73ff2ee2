import AsyncHTTPClient
import BulwarkCore
import BulwarkMedia
import BulwarkMediaProcess
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Media decoded in a child process (`bulwark media-decoder`, the built binary): the same answers
/// as decoding in this process, and a crash, a memory blow-up or a hang ends the child, not the
/// caller.
@Suite(.serialized) struct MediaDecoderProcessTests {
    static let fixtures = CLI.root + "/Tests/BulwarkMediaTests/Fixtures/"

    static func settings(addressSpace: Int = MediaDecoderSettings.standardAddressSpace, timeout: Double = 60)
        -> MediaDecoderSettings
    {
        MediaDecoderSettings(executable: CLI.binary, addressSpace: addressSpace, timeoutSeconds: timeout)
    }

    static func inProcess(_ bytes: [UInt8], limits: ImageLimits) -> Result<HashedMedia, ImageError> {
        var scratch = PDQScratch()
        do {
            return .success(try HashedMedia(hashing: bytes, decoder: ImageDecoder(limits: limits), scratch: &scratch))
        } catch {
            return .failure(error)
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try #require(FileManager.default.contents(atPath: path)))
    }

    /// Two videos (one stored turned), written by scripts/video-reference.py.
    static func videos() throws -> (dir: String, files: [String]) {
        let dir = NSTemporaryDirectory() + "bulwark-decoder-\(UInt32.random(in: 0...UInt32.max))"
        for name in ["h264.mp4", "turned-90.mp4"] {
            let made = try CLI.run(
                ["python3", "scripts/video-reference.py", "--out", dir, "--only", name], program: "/usr/bin/env")
            try #require(made.status == 0, "\(made.stderr)")
        }
        return (dir, [dir + "/h264.mp4", dir + "/turned-90.mp4"])
    }

    /// A flat JPEG of `side`×`side` pixels (a few kilobytes, `side`² × 3 bytes decoded).
    static func flatJPEG(side: Int, in dir: String) throws -> String {
        let path = dir + "/flat-\(side).jpg"
        let made = try CLI.run(
            [
                "python3", "-c",
                "from PIL import Image; Image.new('RGB', (\(side), \(side)), (90, 120, 150)).save('\(path)', quality=90)",
            ], program: "/usr/bin/env")
        try #require(made.status == 0, "\(made.stderr)")
        return path
    }

    /// The process's peak address space (`VmPeak`), in bytes.
    static func peakAddressSpace(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmPeak:") })
        let kB = try #require(Int(line.split(separator: " ").dropFirst().first { !$0.isEmpty }?.trimmingCharacters(in: .whitespaces) ?? ""))
        return kB * 1024
    }

    static func gone(_ pid: Int32) -> Bool { kill(pid, 0) == -1 && errno == ESRCH }

    /// A damaged HEIC (a fuzzer's mutation of irot-first.heic) whose HEVC stream leaves parts of
    /// the picture undecoded: libde265 leaves those samples as the memory it was given held, and
    /// libheif 1.15 reports nothing. In the decoder process that memory holds a fixed pattern,
    /// never an earlier file's bytes (`bw_process_harden`), so the file hashes the same each
    /// time, whatever the process decoded before it (docs/fuzzing.md, finding 13).
    @Test func aHEICWithUndecodedPartsHashesTheSameWhateverCameBefore() throws {
        let damaged = try Self.read(CLI.root + "/Tests/BulwarkCLITests/Fixtures/undecoded-parts.heic")
        let process = MediaDecoderProcess(settings: Self.settings(), limits: ImageLimits())
        let first = process.hash(damaged)
        #expect((try? first.get()) != nil, "\(first)")
        for other in ["lossy.heic", "turned.heic", "irot-first.heic", "rgb.jpg", "animated.gif", "lossy.avif"] {
            _ = process.hash(try Self.read(Self.fixtures + other))
            #expect(process.hash(damaged) == first, "after \(other)")
        }
    }

    /// Every fixture image and animation, two videos, a cut JPEG and a text file get from the
    /// child process what decoding in this process gives: the same hashes and frames (and, for
    /// orient-2…8.jpg, the stored pixels' hash), or the same error code, message, format and
    /// offset. One process serves them all, and ends when stopped.
    @Test func answersAsDecodingInThisProcess() throws {
        let (dir, videos) = try Self.videos()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter { !$0.hasSuffix(".ppm") }
            .sorted().map { Self.fixtures + $0 }
        files += videos + [CLI.root + "/Package.swift"]
        var inputs = try files.map { ($0, try Self.read($0)) }
        let jpeg = try Self.read(Self.fixtures + "rgb.jpg")
        inputs.append(("rgb.jpg cut in half", Array(jpeg.prefix(jpeg.count / 2))))
        inputs.append(("nothing", []))
        let limits = ImageLimits(maxBytes: 4 << 20)
        let process = MediaDecoderProcess(settings: Self.settings(), limits: limits)
        var pids = Set<Int32>()
        var decoded = 0
        var failed = 0
        for (name, bytes) in inputs {
            let answer = process.hash(bytes)
            #expect(answer == Self.inProcess(bytes, limits: limits), "\(name)")
            if case .success = answer { decoded += 1 } else { failed += 1 }
            pids.insert(try #require(process.pid))
        }
        #expect(decoded >= 40 && failed >= 3, "\(decoded) decoded, \(failed) not")
        #expect(pids.count == 1)
        // Started with no environment and no descriptor but its socket and standard error
        // (nothing of the service's to leak or to hold: a bank directory's lock), named `bulwark`.
        let pid = try #require(pids.first)
        // (Past 2, only what its own runtime opens: Dispatch's epoll, eventfd and timerfd.)
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap(Int.init)
        for fd in descriptors where fd > 2 {
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")
            #expect(target.hasPrefix("anon_inode:"), "descriptor \(fd): \(target)")
        }
        #expect(Set(descriptors).isSuperset(of: [0, 1, 2]))
        #expect(try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8).isEmpty)
        #expect(try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8).hasPrefix("bulwark\0media-decoder\0--max-bytes\0"))
        // Over the byte limit: refused before anything is sent.
        let over = process.hash([UInt8](repeating: 0xFF, count: (4 << 20) + 1))
        #expect((try? over.get()) == nil && over.failureCode == .tooLarge)
        #expect(process.pid == pids.first)
        process.stop()
        #expect(process.pid == nil)
        #expect(Self.gone(try #require(pids.first)))
    }

    /// Asked for no stored pixels' hash (`--no-stored-pixels-hash`), the child hashes a turned
    /// photo as shown only: the same first hash as with it, none as stored, and what decoding in
    /// this process gives when asked the same; asked again with it, it gives it again.
    @Test func hashesStoredPixelsOnlyWhenAsked() throws {
        let limits = ImageLimits(maxBytes: 4 << 20)
        let process = MediaDecoderProcess(settings: Self.settings(), limits: limits)
        defer { process.stop() }
        for n in 2...8 {
            let bytes = try Self.read(Self.fixtures + "orient-\(n).jpg")
            let both = try process.hash(bytes).get()
            let shownOnly = try process.hash(bytes, storedPixels: false).get()
            #expect(both.storedPixels?.orientation == n, "orient-\(n).jpg")
            #expect(shownOnly.storedPixels == nil && shownOnly.first == both.first, "orient-\(n).jpg")
            var scratch = PDQScratch()
            let here = try HashedMedia(hashing: bytes, decoder: ImageDecoder(limits: limits), scratch: &scratch, storedPixels: false)
            #expect(shownOnly == here, "orient-\(n).jpg")
            #expect(try process.hash(bytes).get() == both, "orient-\(n).jpg")
        }
    }

    /// An image whose pixels do not fit in the child's address space ends it (Swift stops a
    /// process whose allocation fails): that file gets `decoderFailed` naming the signal and
    /// quoting what the child wrote on its standard error, and the next file a new process. Real limits, not a fault injected: the child is given its own
    /// measured peak plus 48 MiB, and a flat 5000×5000 JPEG needs 75 MB for its pixels alone.
    @Test func aFileThatExhaustsMemoryEndsTheChildOnly() throws {
        let dir = NSTemporaryDirectory() + "bulwark-decoder-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let small = try Self.read(Self.fixtures + "rgb.jpg")
        let large = try Self.read(try Self.flatJPEG(side: 5000, in: dir))
        let limits = ImageLimits()
        // Unlimited, the large one decodes: the limit is what stops it.
        let measuring = MediaDecoderProcess(settings: Self.settings(addressSpace: 0), limits: limits)
        #expect((try? measuring.hash(small).get()) != nil)
        let baseline = try Self.peakAddressSpace(try #require(measuring.pid))
        let unlimited = measuring.hash(large)
        #expect(unlimited == Self.inProcess(large, limits: limits) && (try? unlimited.get()) != nil)
        measuring.stop()

        let limited = MediaDecoderProcess(settings: Self.settings(addressSpace: baseline + (48 << 20)), limits: limits)
        #expect(limited.hash(small) == Self.inProcess(small, limits: limits))
        let first = try #require(limited.pid)
        let crashed = limited.hash(large)
        #expect(crashed.failureCode == .decoderFailed)
        let message = crashed.failureMessage ?? ""
        #expect(message.contains("the decoder process ended by signal") && message.contains("while it decoded the file"), "\(message)")
        // What the child said as it failed, from its own standard error (not the service's).
        #expect(message.contains("(it said: \"Fatal error: failed to allocate"), "\(message)")
        #expect(limited.pid == nil && Self.gone(first))
        // The next file: a new process, the same answer as before.
        #expect(limited.hash(small) == Self.inProcess(small, limits: limits))
        #expect(limited.pid != nil && limited.pid != first)
        limited.stop()
    }

    /// A file that takes longer than the time limit: the child is killed, and the file gets
    /// `decoderFailed` saying so.
    @Test func aFileOverTheTimeLimitIsStopped() throws {
        let (dir, videos) = try Self.videos()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = MediaDecoderProcess(settings: Self.settings(timeout: 0.001), limits: ImageLimits())
        let answer = process.hash(try Self.read(videos[0]))
        #expect(answer.failureCode == .decoderFailed)
        #expect(answer.failureMessage == "decoding took more than 0.001 s; the decoder process was stopped")
        #expect(process.pid == nil)
    }

    /// A child killed while it waits for work (from outside) is replaced without blaming the next
    /// file.
    @Test func aChildKilledWhileIdleIsReplaced() throws {
        let small = try Self.read(Self.fixtures + "rgb.jpg")
        let process = MediaDecoderProcess(settings: Self.settings(), limits: ImageLimits())
        #expect((try? process.hash(small).get()) != nil)
        let first = try #require(process.pid)
        kill(first, SIGKILL)
        // Until it has ended (left for its parent to reap).
        var info = siginfo_t()
        #expect(waitid(P_PID, id_t(first), &info, WEXITED | WNOWAIT) == 0)
        #expect(process.hash(small) == Self.inProcess(small, limits: ImageLimits()))
        #expect(process.pid != nil && process.pid != first)
        process.stop()
    }

    /// A missing executable: every file gets `decoderFailed` naming it, nothing else happens.
    @Test func aMissingExecutableIsReported() {
        let process = MediaDecoderProcess(
            settings: MediaDecoderSettings(executable: "/nonexistent/bulwark"), limits: ImageLimits())
        let answer = process.hash([0xFF, 0xD8, 0xFF])
        #expect(answer.failureCode == .decoderFailed)
        #expect(answer.failureMessage?.hasPrefix("cannot start the decoder process /nonexistent/bulwark: ") == true)
    }
}

extension Result where Failure == ImageError {
    var failureCode: ImageError.Code? {
        if case .failure(let error) = self { error.code } else { nil }
    }

    var failureMessage: String? {
        if case .failure(let error) = self { error.message } else { nil }
    }
}

extension MediaDecoderProcessTests {
    /// `bulwark serve` decodes media in its own child process by default: a part that ends that
    /// process (here by the address-space limit it was given) is recorded as not decoded, with
    /// the reason, and the server goes on, hashing the next part in a new child.
    @Test func theServerOutlivesADecoderThatEnds() async throws {
        let dir = NSTemporaryDirectory() + "bulwark-decoder-serve-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = dir + "/bulwark.db"
        let small = try Self.read(Self.fixtures + "rgb.jpg")
        let large = try Self.read(try Self.flatJPEG(side: 5000, in: dir))
        let measuring = MediaDecoderProcess(settings: Self.settings(addressSpace: 0), limits: ImageLimits())
        let expected = try measuring.hash(small).get()
        let baseline = try Self.peakAddressSpace(try #require(measuring.pid))
        measuring.stop()

        let key = try CLI.createIngestKey(database: database)
        let port = CLI.listeningPort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CLI.binary)
        server.arguments = [
            "serve", "--database", database, "--banks", dir + "/banks", "--port", String(port), "--no-sample", "--decoder-memory-mb",
            String((baseline >> 20) + 48),
        ]
        server.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        server.standardOutput = FileHandle.nullDevice
        let log = dir + "/serve.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        server.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let up = await CLI.waitUntilServing(server, port: port, client: client, seconds: 30)
            try #require(up, "the server did not come up: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            for (id, bytes) in [("large", large), ("small", small)] {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/items")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(key)")
                let media = Data(bytes).base64EncodedString()
                request.body = .bytes(ByteBuffer(string: #"{"id":"\#(id)","text":"a picture","media":[{"data":"\#(media)"}]}"#))
                let response = try await client.execute(request, timeout: .seconds(10))
                #expect(response.status == .ok)
                _ = try await response.body.collect(upTo: 1 << 20)
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        var rows: [String] = []
        for _ in 0..<600 {
            let read = try CLI.run(
                [
                    "python3", "-c",
                    "import sqlite3; c = sqlite3.connect('\(database)'); [print(r) for r in c.execute(\"select status, pdq, error from media order by id\")]",
                ], program: "/usr/bin/env")
            rows = read.stdout.split(separator: "\n").map(String.init)
            if rows.count == 2 && rows.allSatisfy({ $0.hasPrefix("('hashed'") }) { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        try #require(rows.count == 2, "\(rows)")
        #expect(rows[0].hasPrefix("('hashed', None, 'decoderFailed: the decoder process ended by signal"), "\(rows[0])")
        #expect(rows[1] == "('hashed', '\(expected.first.hash.hex)', None)", "\(rows[1])")
        #expect(server.isRunning)
        // The new child is the server's own, running `media-decoder`.
        let children = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == server.processIdentifier
        }
        let commands = children.compactMap { try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8) }
        #expect(commands.contains { $0.contains("media-decoder") }, "\(commands)")
    }
}

extension MediaDecoderProcessTests {
    /// Once hardened, the decoder process cannot open a file, a socket or a program, take a
    /// descriptor of its parent, set up an io_uring (whose requests would pass the filter), start
    /// a process or map memory that runs code (seccomp): each fails with EPERM. (Without the filter: "open: allowed; socket: allowed;
    /// execve: No such file or directory; pidfd_open: allowed; ...".) So does a thread that was
    /// running before the filter was installed: the filter is put on every thread of the process.
    @Test func theDecoderProcessCannotReachFilesSocketsOrPrograms() throws {
        let r = try CLI.run(["media-decoder", "--check-sandbox"])
        #expect(r.status == 0, "\(r.stderr)")
        let denied =
            "open: Operation not permitted; socket: Operation not permitted; execve: Operation not permitted; "
            + "pidfd_open: Operation not permitted; io_uring_setup: Operation not permitted; fork: Operation not permitted; "
            + "executable_memory: Operation not permitted"
        #expect(r.stdout == denied + "\n" + denied + "\n")
    }
}

extension MediaDecoderProcessTests {
    /// The console's stills from the decoder process are those made in this process: every
    /// fixture and two videos at frames 0, 1, 2 and 9 (as they are, a PNG of the frame, or not
    /// shown with the same reason); and a still after a hash in the same process.
    @Test func stillsAsShownInThisProcess() throws {
        let (dir, videos) = try Self.videos()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter { !$0.hasSuffix(".ppm") }
            .sorted().map { Self.fixtures + $0 } + videos
        let limits = ImageLimits(maxBytes: 4 << 20)
        let process = MediaDecoderProcess(settings: Self.settings(), limits: limits)
        let decoder = ImageDecoder(limits: StillImage.limits(limits))
        var kinds: [String: Int] = [:]
        for file in files {
            let bytes = try Self.read(file)
            for frame in [0, 1, 2, 9] {
                let shown = process.still(bytes, frame: frame)
                #expect(shown == StillImage.display(bytes, frame: frame, decoder: decoder), "\(file) frame \(frame)")
                switch shown {
                case .png: kinds["png", default: 0] += 1
                case .asIs: kinds["asIs", default: 0] += 1
                case .notShown: kinds["notShown", default: 0] += 1
                }
            }
            _ = process.hash(bytes)
        }
        #expect((kinds["png"] ?? 0) >= 20 && (kinds["asIs"] ?? 0) >= 20 && (kinds["notShown"] ?? 0) >= 20, "\(kinds)")
        process.stop()
    }
}

extension MediaDecoderProcessTests {
    /// `bulwark hash` and `match` decode in a decoder process too, as the service does: every
    /// fixture and two videos give the same lines as with `--decode-in-process` (with and without
    /// `--dihedral`), errors in place included; a file that runs the process out of memory is
    /// `decoderFailed` (matched by its MD5 and SHA-256 alone by `match`) and the next file is
    /// hashed by a new process; a time limit of a millisecond stops a video, which only a
    /// separate process can be.
    @Test func hashAndMatchDecodeInADecoderProcess() throws {
        let (dir, videos) = try Self.videos()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files =
            try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter { !$0.hasSuffix(".ppm") }.sorted()
            .map { Self.fixtures + $0 } + videos + [dir + "/no-such-file.png"]
        for options in [[], ["--dihedral"]] {
            let apart = try CLI.run(["hash"] + options + files)
            let inProcess = try CLI.run(["hash", "--decode-in-process"] + options + files)
            #expect(apart.status == 1 && apart.stderr.contains("1 of \(files.count) files failed"), "\(apart.stderr)")
            let count = try CLI.lines(apart.stdout).count
            #expect(apart.stdout == inProcess.stdout && count == files.count)
        }
        let banks = dir + "/banks"
        let first = try #require(try CLI.lines(try CLI.run(["hash", videos[0]]).stdout).first?["frames"] as? [[String: Any]])
        #expect(try CLI.run(["bank", "create", "gifct", "--banks", banks]).status == 0)
        let frame = try #require(first.last?["pdq"] as? String)
        #expect(try CLI.run(["bank", "add", "gifct", "--type", "pdq", frame, "--banks", banks]).status == 0)
        for options in [[], ["--dihedral"]] {
            let apart = try CLI.run(["match", "--banks", banks] + options + files)
            let inProcess = try CLI.run(["match", "--banks", banks, "--decode-in-process"] + options + files)
            #expect(apart.stdout == inProcess.stdout && apart.stdout.contains("\"decision\":\"violating\""))
        }

        let large = try Self.flatJPEG(side: 5000, in: dir)
        let small = Self.fixtures + "rgb.jpg"
        // What the process maps with a small file (about 420 MiB), and 48 MiB more: the large one
        // needs about 100 MB more.
        let measuring = MediaDecoderProcess(settings: Self.settings(addressSpace: 0), limits: ImageLimits())
        #expect((try? measuring.hash(try Self.read(small)).get()) != nil)
        let memory = "\((try Self.peakAddressSpace(try #require(measuring.pid)) >> 20) + 48)"
        measuring.stop()
        let limited = try CLI.run(["hash", "--decoder-memory-mb", memory, small, large, small])
        let lines = try CLI.lines(limited.stdout)
        #expect(lines.count == 3 && lines[0]["pdq"] != nil && lines[2]["pdq"] as? String == lines[0]["pdq"] as? String)
        let error = try #require(lines[1]["error"] as? [String: Any])
        #expect(error["code"] as? String == "decoderFailed", "\(error)")
        #expect((error["message"] as? String ?? "").contains("the decoder process ended by signal"), "\(error)")
        // The child's own words are in the line, not on the command's standard error.
        #expect((error["message"] as? String ?? "").contains("failed to allocate") && !limited.stderr.contains("failed to allocate"))
        let matched = try CLI.lines(try CLI.run(["match", "--banks", banks, "--decoder-memory-mb", memory, large]).stdout)
        let reason = try #require(matched.first?["not_an_image"] as? [String: Any])
        #expect(reason["code"] as? String == "decoderFailed" && matched.first?["md5"] != nil)

        let slow = try CLI.lines(try CLI.run(["hash", "--decoder-timeout", "0.001", videos[0]]).stdout)
        #expect(
            (slow.first?["error"] as? [String: Any])?["message"] as? String
                == "decoding took more than 0.001 s; the decoder process was stopped")
    }
}

extension MediaDecoderProcessTests {
    /// What a decoder process writes on its standard error as it fails is quoted in the failure:
    /// its first line that is not blank, at most `maxQuotedBytes` (200) bytes of it, control
    /// characters and quotes made spaces; and it reaches neither this process's standard error
    /// nor the next file's failure. (A stand-in for the decoder: a shell script that writes 500
    /// bytes after a quote and a control character, then exits 3.)
    @Test func whatAFailingChildSaysIsQuotedShortAndOnOneLine() throws {
        let dir = NSTemporaryDirectory() + "bulwark-decoder-said-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/decoder.sh"
        try """
            #!/bin/sh
            printf '\\n  \\n"\\001' >&2
            i=0
            while [ $i -lt 50 ]; do printf '0123456789' >&2; i=$((i+1)); done
            printf '\\nsecond line\\n' >&2
            exit 3

            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let process = MediaDecoderProcess(
            settings: MediaDecoderSettings(executable: script, timeoutSeconds: 10), limits: ImageLimits())
        let answer = process.hash(try Self.read(Self.fixtures + "rgb.jpg"))
        #expect(answer.failureCode == .decoderFailed)
        let message = answer.failureMessage ?? ""
        let quoted = "(it said: \"  " + String(repeating: "0123456789", count: 20).prefix(MediaDecoderProcess.maxQuotedBytes - 2) + "\")"
        #expect(message.hasPrefix("the decoder process exited with status 3 ") && message.hasSuffix(quoted), "\(message)")
        #expect(!message.contains("second line") && !message.contains("\n"))
    }
}
