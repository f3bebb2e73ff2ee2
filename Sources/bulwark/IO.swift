#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BulwarkCore

/// Reads a file or standard input line by line in large chunks, with a limit on line length.
struct LineReader {
    enum Line {
        case line([UInt8])
        /// A line longer than the limit; its bytes were discarded.
        case tooLong(Int)
    }

    let fd: Int32
    let maxLineBytes: Int
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    private(set) var bytesRead = 0
    private(set) var lineNumber = 0

    init(path: String?, maxLineBytes: Int) throws {
        if let path, path != "-" {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw CommandFailure("cannot open \(path): \(errnoText())") }
            self.fd = fd
        } else {
            self.fd = 0
        }
        self.maxLineBytes = maxLineBytes
        self.buffer = [UInt8](repeating: 0, count: 1 << 20)
    }

    func close() {
        if fd != 0 { _ = Glibc.close(fd) }
    }

    /// The size of the input when it is a regular file.
    var fileSize: Int? {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    private mutating func fill() throws {
        if start > 0 {
            let n = end - start
            if n > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    memmove(base, base + start, n)
                }
            }
            start = 0
            end = n
        }
        if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        let n = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return read(fd, base + end, raw.count - end)
        }
        if n < 0 {
            if errno == EINTR { return }
            throw CommandFailure("read failed: \(errnoText())")
        }
        if n == 0 { eof = true }
        end += n
        bytesRead += n
    }

    /// The next line without its newline (and without a trailing CR), or nil at the end.
    mutating func next() throws -> Line? {
        var scanFrom = start
        while true {
            if let nl = buffer[scanFrom..<end].firstIndex(of: 0x0A) {
                lineNumber += 1
                var lineEnd = nl
                if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let length = lineEnd - start
                defer { start = nl + 1 }
                if length > maxLineBytes { return .tooLong(length) }
                return .line(Array(buffer[start..<lineEnd]))
            }
            if end - start > maxLineBytes {
                // Discard the rest of an over-long line without buffering it.
                var discarded = end - start
                start = end
                while true {
                    try fill()
                    if let nl = buffer[start..<end].firstIndex(of: 0x0A) {
                        discarded += nl - start
                        start = nl + 1
                        lineNumber += 1
                        return .tooLong(discarded)
                    }
                    discarded += end - start
                    start = end
                    if eof {
                        lineNumber += 1
                        return .tooLong(discarded)
                    }
                }
            }
            if eof {
                if start < end {
                    lineNumber += 1
                    defer { start = end }
                    var lineEnd = end
                    if buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    return .line(Array(buffer[start..<lineEnd]))
                }
                return nil
            }
            // Bytes already searched stay searched across the refill, which moves them to the front.
            let searched = end - start
            try fill()
            scanFrom = start + searched
        }
    }
}

/// Buffered output to a file or standard output.
struct OutputWriter {
    let fd: Int32
    var buffer: [UInt8] = []

    init(path: String?) throws {
        if let path, path != "-" {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw CommandFailure("cannot write \(path): \(errnoText())") }
            self.fd = fd
        } else {
            self.fd = 1
        }
        buffer.reserveCapacity(1 << 17)
    }

    mutating func flushIfNeeded() throws {
        if buffer.count >= 1 << 16 { try flush() }
    }

    mutating func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return write(fd, base + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("write failed: \(errnoText())")
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        if fd != 1 { _ = Glibc.close(fd) }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }

func writeStderr(_ s: String) {
    var bytes = Array(s.utf8)
    bytes.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        _ = write(2, base, raw.count)
    }
    bytes.removeAll()
}

func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// Calls `body` with each item of the JSON Lines `reader` reads, in order, passing over blank
/// lines. A line longer than `maxLineBytes`, or one that does not
/// decode, is reported on stderr ("bulwark COMMAND: line N: …; skipped") and skipped, and the
/// number skipped is reported at the end. Errors of `body` and of reading stop the run.
func forEachItem(
    from reader: inout LineReader, maxLineBytes: Int, command: String, _ body: (TextItem) throws -> Void
) throws {
    let decoder = TextItemDecoder(limits: JSONLinesLimits(maxLineBytes: maxLineBytes))
    var malformed = 0
    while let line = try reader.next() {
        let item: TextItem
        switch line {
        case .tooLong(let length):
            malformed += 1
            writeStderr("bulwark \(command): line \(reader.lineNumber): \(length) bytes, longer than --max-line-bytes; skipped\n")
            continue
        case .line(let bytes):
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                item = try decoder.decode(bytes)
            } catch {
                malformed += 1
                writeStderr("bulwark \(command): line \(reader.lineNumber): \(error); skipped\n")
                continue
            }
        }
        try body(item)
    }
    if malformed > 0 { writeStderr("bulwark \(command): \(malformed) malformed lines skipped\n") }
}

func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw CommandFailure("cannot open \(path): \(errnoText())") }
    defer { _ = Glibc.close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw CommandFailure("cannot read \(path): \(errnoText())")
        }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    var w = try OutputWriter(path: path)
    w.buffer = bytes
    try w.flush()
    w.close()
}

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

func isRegularFile(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
}

func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// Peak resident memory (VmHWM) of this process in KiB, from /proc/self/status.
func peakRSSKiB() -> Int? { statusKiB("VmHWM:") }

/// Resident memory now (VmRSS) of this process in KiB, from /proc/self/status.
func residentKiB() -> Int? { statusKiB("VmRSS:") }

/// A field of /proc/self/status given in kB.
private func statusKiB(_ field: String) -> Int? {
    guard let bytes = try? readFile("/proc/self/status") else { return nil }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(field) {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
}

/// A command that could not do its work (a file missing or unreadable, a malformed line under
/// `--strict`, a bank or key that does not exist, a server that did not answer): printed as
/// `Error: …` with exit status 1. Argument parser's `ValidationError` is for arguments given
/// wrongly; it prints the usage text too and exits with 64, which would point the user at the
/// command line when the command line was fine.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
