public import BulwarkMedia
internal import BulwarkCore
internal import CProcessShims
internal import Dispatch
internal import Glibc
internal import Synchronization

/// How media is decoded apart from the service: the executable to run as `EXECUTABLE
/// media-decoder` (the `bulwark` binary), its address space and the time a file may take.
public struct MediaDecoderSettings: Sendable, Hashable {
    public var executable: String
    /// Bytes of address space the decoder process may map (`RLIMIT_AS`); 0: no limit. Default
    /// 4 GiB: the largest image the default limits accept takes about 550 MiB to decode and hash,
    /// and the process maps about 0.5 GiB of code and libraries before it reads anything.
    public var addressSpace: Int
    /// Seconds one file may take before the process is killed. Default 30: the limits bound a
    /// video to about 5 s of one core and an image to about 1 s, and half the job lease (60 s)
    /// leaves the job with its worker while it runs.
    public var timeoutSeconds: Double

    public static let standardAddressSpace = 4 << 30
    public static let standardTimeoutSeconds = 30.0

    public init(
        executable: String, addressSpace: Int = standardAddressSpace, timeoutSeconds: Double = standardTimeoutSeconds
    ) {
        self.executable = executable
        self.addressSpace = addressSpace
        self.timeoutSeconds = timeoutSeconds
    }

    /// This process's own executable, as `/proc/self/exe` (which still runs the binary this
    /// process started from when a deployment has since replaced or removed its file); nil when
    /// there is no `/proc`.
    public static var ownExecutable: String? {
        access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : nil
    }
}

/// Decodes and hashes media in a child process (`bulwark media-decoder`), so that a file that
/// crashes a decoder (libjpeg-turbo, libpng, libwebp, giflib, FFmpeg), exhausts memory or takes
/// too long ends that process, not the service: the file gets a `decoderFailed` error and the next
/// file a new process. One file at a time; the process is started when first needed and kept.
public final class MediaDecoderProcess: Sendable {
    public let settings: MediaDecoderSettings
    public let limits: ImageLimits

    struct Child {
        var pid: pid_t
        /// Our end of the socket pair whose other end is the child's standard input and output.
        var socket: Int32
        /// Our end (non-blocking) of the pipe that is the child's standard error, drained after
        /// each file answered: what it says as it fails goes into the failure's message, not
        /// into the service's own log stream, where a decoder taken over could write lines that
        /// pass for the service's.
        var errors: Int32
    }

    private let child = Mutex<Child?>(nil)
    /// The thread ``awaitHash(_:storedPixels:)`` and ``awaitStill(_:frame:)`` wait on.
    private let waiter = DispatchQueue(label: "bulwark.media-decoder")

    public init(settings: MediaDecoderSettings, limits: ImageLimits) {
        self.settings = settings
        self.limits = limits
    }

    deinit { stop() }

    /// The running decoder process's id, if one is running.
    public var pid: Int32? { child.withLock { $0?.pid } }

    /// The file's hashes (a turned still image's pixels as stored too, unless `storedPixels` is
    /// false), or why it was not decoded; `decoderFailed` when the process could not be
    /// started, ended while decoding it, or took longer than ``MediaDecoderSettings/timeoutSeconds``.
    public func hash(_ bytes: [UInt8], storedPixels: Bool = true) -> Result<HashedMedia, ImageError> {
        do throws(ImageError) { try limits.checkBytes(bytes.count) } catch { return .failure(error) }
        do throws(Failure) {
            return try withChild { child throws(Failure) in
                let line = try exchange(child, bytes, request: .hash(storedPixels: storedPixels))
                try Self.nothingAfter(line.rest)
                return try Self.read(line.text) { (text) throws(BulwarkError) in try MediaDecoderWire.read(answer: text) }
            }
        } catch {
            return .failure(ImageError(.decoderFailed, error.message))
        }
    }

    /// The report the process's hook makes of the file with `options`
    /// (``MediaDecoderWire/Request/report(options:)``; `bulwark hash`'s fields), or why the file
    /// was not decoded; `decoderFailed` when the process failed as ``hash(_:storedPixels:)`` says.
    public func report(_ bytes: [UInt8], options: UInt32) -> Result<[UInt8], ImageError> {
        do throws(ImageError) { try limits.checkBytes(bytes.count) } catch { return .failure(error) }
        do throws(Failure) {
            return try answer(bytes, request: .report(options: options)) { (text) throws(BulwarkError) in
                switch try MediaDecoderWire.read(reportLine: text) {
                case .success(let count): .followedBy(bytes: count) { .success($0) }
                case .failure(let error): .whole(.failure(error))
                }
            }
        } catch {
            return .failure(ImageError(.decoderFailed, error.message))
        }
    }

    /// ``hash(_:storedPixels:)``, waited for on a thread of this object's own. A task that called ``hash(_:storedPixels:)``
    /// would hold a thread of Swift's cooperative pool (as many as the cores) for as long as the
    /// child decodes, up to ``MediaDecoderSettings/timeoutSeconds``, and every other task of the
    /// process would wait for one.
    public func awaitHash(_ bytes: [UInt8], storedPixels: Bool = true) async -> Result<HashedMedia, ImageError> {
        await withCheckedContinuation { done in
            waiter.async { done.resume(returning: self.hash(bytes, storedPixels: storedPixels)) }
        }
    }

    /// ``still(_:frame:)``, waited for as ``awaitHash(_:storedPixels:)`` is.
    public func awaitStill(_ bytes: [UInt8], frame: Int) async -> StillImage.Display {
        await withCheckedContinuation { done in waiter.async { done.resume(returning: self.still(bytes, frame: frame)) } }
    }

    /// How the console shows frame `frame` of the file (``StillImage/display(_:frame:decoder:)``
    /// within ``StillImage/limits(_:)`` of these limits), decoded in the process; `.notShown` with
    /// the reason when the process failed as ``hash(_:storedPixels:)`` says.
    public func still(_ bytes: [UInt8], frame: Int) -> StillImage.Display {
        do throws(ImageError) { try limits.checkBytes(bytes.count) } catch { return .notShown(error.message) }
        do throws(Failure) {
            return try answer(bytes, request: .still(frame: frame)) { (text) throws(BulwarkError) in
                switch try MediaDecoderWire.read(stillLine: text) {
                case .display(let display): .whole(display)
                case .png(let count): .followedBy(bytes: count) { .png($0) }
                }
            }
        } catch {
            return .notShown("decoderFailed: " + error.message)
        }
    }

    /// What an answer's line says when the answer may go on past it: the whole answer, with
    /// nothing after the line, or how many bytes follow the line and the answer they make.
    private enum Line<Answer> {
        case whole(Answer)
        case followedBy(bytes: Int, make: ([UInt8]) -> Answer)
    }

    /// Sends the request and reads an answer whose line (`read` reads it) is all of it, or says
    /// how many bytes follow it (a still's PNG, a report), read within the same time limit.
    private func answer<Answer>(
        _ bytes: [UInt8], request: MediaDecoderWire.Request, _ read: (String) throws(BulwarkError) -> Line<Answer>
    ) throws(Failure) -> Answer {
        try withChild { child throws(Failure) in
            let line = try exchange(child, bytes, request: request)
            switch try Self.read(line.text, read) {
            case .whole(let answer):
                try Self.nothingAfter(line.rest)
                return answer
            case .followedBy(let count, let make):
                return make(try readBytes(child, count, after: line.rest, deadline: line.deadline))
            }
        }
    }

    /// What `parse` reads in an answer's line; a line it does not read is the process's failure.
    private static func read<T>(
        _ line: ArraySlice<UInt8>, _ parse: (String) throws(BulwarkError) -> T
    ) throws(Failure) -> T {
        do throws(BulwarkError) {
            return try parse(String(decoding: line, as: UTF8.self))
        } catch {
            throw Failure(message: "the decoder process's answer does not read: \(error.message)")
        }
    }

    /// An answer that is one line only has nothing after it.
    private static func nothingAfter(_ rest: [UInt8]) throws(Failure) {
        guard rest.isEmpty else { throw Failure(message: "the decoder process answered more than one line") }
    }

    /// Runs `body` with the running child (started first if none runs, or replaced if it ended
    /// while idle); a failure ends the child, and the next call starts another.
    private func withChild<T>(_ body: (Child) throws(Failure) -> T) throws(Failure) -> T {
        try child.withLock { (child: inout Child?) throws(Failure) -> T in
            // A process that ended while idle (killed from outside) is replaced, not blamed.
            if let running = child, Self.reap(running.pid, wait: false) != nil {
                close(running.socket)
                close(running.errors)
                child = nil
            }
            if child == nil { child = try spawn() }
            let running = child!
            do throws(Failure) {
                let answered = try body(running)
                // What it said about a file it answered (nothing, from a well child) is not the
                // next file's; what it says as it starts is kept for the first failure.
                _ = Self.said(running)
                return answered
            } catch {
                Self.end(running)
                child = nil
                throw error
            }
        }
    }

    /// Stops the decoder process, if one runs; the next ``hash(_:storedPixels:)`` starts another.
    public func stop() {
        child.withLock { child in
            if let running = child { Self.end(running) }
            child = nil
        }
    }

    struct Failure: Error {
        var message: String
    }

    private func spawn() throws(Failure) -> Child {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw Failure(message: "cannot start the decoder process: socketpair: \(Self.errnoText())")
        }
        var errors: [Int32] = [-1, -1]
        guard bw_pipe_cloexec(&errors) == 0 else {
            let why = Self.errnoText()
            close(fds[0])
            close(fds[1])
            throw Failure(message: "cannot start the decoder process: pipe2: \(why)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        // Nothing else of the service's: not its database's files, not a bank directory's lock
        // (a flock held by an inherited descriptor outlives the service's own), not its sockets.
        let closing = bw_spawn_close_from(&actions, 3)
        guard closing == 0 else {
            for fd in fds + errors { close(fd) }
            throw Failure(message: "cannot start the decoder process: \(String(cString: strerror(closing)))")
        }
        let arguments = [
            "bulwark", "media-decoder", "--max-bytes", "\(limits.maxBytes)", "--max-pixels",
            "\(limits.maxPixels)", "--max-dimension", "\(limits.maxDimension)", "--max-jpeg-scans",
            "\(limits.maxJPEGScans)", "--max-frames", "\(limits.maxFrames)", "--max-animation-pixels",
            "\(limits.maxAnimationPixels)", "--max-video-pixels-decoded", "\(limits.maxVideoPixelsDecoded)",
            "--address-space", "\(settings.addressSpace)",
        ]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        // No environment: nothing of the service's (a database URL, keys) for a decoder taken over
        // to write out.
        let environment: [UnsafeMutablePointer<CChar>?] = [nil]
        let started = posix_spawn(&pid, settings.executable, &actions, nil, argv, environment)
        close(fds[1])
        close(errors[1])
        guard started == 0 else {
            close(fds[0])
            close(errors[0])
            throw Failure(
                message: "cannot start the decoder process \(settings.executable): \(String(cString: strerror(started)))")
        }
        return Child(pid: pid, socket: fds[0], errors: errors[0])
    }

    /// Sends the request and reads the answer's first line within the time limit: the line
    /// (without its newline), the bytes read after it, and the deadline.
    private func exchange(
        _ child: Child, _ bytes: [UInt8], request: MediaDecoderWire.Request
    ) throws(Failure) -> (text: ArraySlice<UInt8>, rest: [UInt8], deadline: Double) {
        guard send(child.socket, MediaDecoderWire.header(count: bytes.count, request: request)), send(child.socket, bytes)
        else {
            throw Failure(message: ended(child, "while it was sent the file"))
        }
        let deadline = Self.now() + settings.timeoutSeconds
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            // (withUnsafeMutableBytes rethrows untyped: the failure comes out as a Result.)
            let n = try buffer.withUnsafeMutableBytes { into in Result { () throws(Failure) in try receive(child, into: into, deadline: deadline) } }.get()
            answer += buffer[..<n]
            if let newline = answer.firstIndex(of: UInt8(ascii: "\n")) {
                return (answer[..<newline], Array(answer[(newline + 1)...]), deadline)
            }
            guard answer.count <= MediaDecoderWire.maxAnswerBytes else {
                throw Failure(message: "the decoder process answered more than \(MediaDecoderWire.maxAnswerBytes) bytes in a line")
            }
        }
    }

    /// `count` bytes of the answer, `already` of them read, the rest received in place.
    private func readBytes(_ child: Child, _ count: Int, after already: [UInt8], deadline: Double) throws(Failure) -> [UInt8] {
        guard already.count <= count else { throw Failure(message: "the decoder process answered more than it said") }
        var bytes = already + [UInt8](repeating: 0, count: count - already.count)
        var filled = already.count
        while filled < count {
            filled += try bytes.withUnsafeMutableBytes { all in
                Result { () throws(Failure) in
                    try receive(child, into: UnsafeMutableRawBufferPointer(rebasing: all[filled...]), deadline: deadline)
                }
            }.get()
        }
        return bytes
    }

    /// Receives what the child sends next into `buffer`, waiting until the deadline (past it the
    /// child is killed); how many bytes.
    private func receive(_ child: Child, into buffer: UnsafeMutableRawBufferPointer, deadline: Double) throws(Failure) -> Int {
        while true {
            let left = deadline - Self.now()
            guard left > 0 else {
                kill(child.pid, SIGKILL)
                _ = Self.reap(child.pid, wait: true)
                throw Failure(
                    message: "decoding took more than \(Self.seconds(settings.timeoutSeconds)) s; the decoder process was stopped")
            }
            var ready = pollfd(fd: child.socket, events: Int16(POLLIN), revents: 0)
            let polled = poll(&ready, 1, Int32(min(left * 1000 + 1, 1_000_000)))
            if polled < 0 && errno == EINTR { continue }
            guard polled >= 0 else { throw Failure(message: "poll: \(Self.errnoText())") }
            if polled == 0 { continue }
            let n = recv(child.socket, buffer.baseAddress, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(message: ended(child, "while it decoded the file")) }
            return n
        }
    }

    /// Why the child stopped talking, once it has ended: its signal or exit status.
    private func ended(_ child: Child, _ when: String) -> String {
        var status = Self.reap(child.pid, wait: false)
        // It closed its end as it ended: give it a moment to be reaped, then make sure.
        for _ in 0..<100 where status == nil {
            usleep(10_000)
            status = Self.reap(child.pid, wait: false)
        }
        if status == nil {
            kill(child.pid, SIGKILL)
            status = Self.reap(child.pid, wait: true)
        }
        let words = Self.said(child).map { " (it said: \"\($0)\")" } ?? ""
        guard let status else { return "the decoder process stopped answering \(when)\(words)" }
        let signal = bw_wait_signal(status)
        if signal != 0 {
            return "the decoder process ended by signal \(signal) (\(String(cString: strsignal(signal)))) \(when)\(words)"
        }
        return "the decoder process exited with status \(bw_wait_exit_code(status)) \(when)\(words)"
    }

    /// The most the failure's message quotes of what the child said.
    public static let maxQuotedBytes = 200

    /// The first line the child wrote on its standard error since this was last asked (up to
    /// 64 KiB read), with control characters and quotes made spaces and at most
    /// ``maxQuotedBytes`` bytes; nil when it wrote nothing.
    private static func said(_ child: Child) -> String? {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while all.count < 64 << 10 {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(child.errors, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            all += buffer[..<n]
        }
        guard let first = all.split(separator: UInt8(ascii: "\n")).first(where: { $0.contains { $0 > UInt8(ascii: " ") } })
        else { return nil }
        let text = String(decoding: first.prefix(maxQuotedBytes), as: UTF8.self)
        return String(text.unicodeScalars.map { $0.properties.generalCategory == .control || $0 == "\"" ? " " : Character($0) })
    }

    private static func end(_ child: Child) {
        close(child.socket)
        close(child.errors)
        if reap(child.pid, wait: false) == nil {
            kill(child.pid, SIGKILL)
            _ = reap(child.pid, wait: true)
        }
    }

    /// The child's wait status once it has ended (waiting for it when `wait`); nil while it runs.
    private static func reap(_ pid: pid_t, wait: Bool) -> Int32? {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, wait ? 0 : WNOHANG)
            if r < 0 && errno == EINTR { continue }
            if r == pid { return status }
            // 0: still running; -1 (ECHILD): already reaped, as good as ended.
            return r == 0 ? nil : 0
        }
    }

    private func send(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    private static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
