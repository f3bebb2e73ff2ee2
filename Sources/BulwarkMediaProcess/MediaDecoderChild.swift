public import BulwarkMedia
internal import CProcessShims
internal import Glibc

/// The decoder process's side (`bulwark media-decoder`): reads requests on standard input,
/// decodes and hashes each file with ``ImageDecoder`` and ``PDQHasher``, and answers on standard
/// output (``MediaDecoderWire``), until its input ends.
public enum MediaDecoderChild {
    /// Hardens the process (no new privileges, no core file, at most `addressSpace` bytes of
    /// address space when not 0, a seccomp filter on every thread that allows only the calls a
    /// decoder makes, so that files, sockets, programs, new or other processes and executable
    /// memory are out of reach: `bw_process_harden`), then serves: when the parent ends, its input does, and so does
    /// the process once the file in hand is done. Returns the exit status:
    /// 0 when the input ended between requests, 2 when a request or an answer broke off, 3 when
    /// the process could not be hardened.
    ///
    /// `report` answers report requests (``MediaDecoderWire/Request/report(options:)``): the
    /// file's bytes and the request's options in, the report's bytes or why the file was not
    /// decoded out. Without one, a report request ends the process (2).
    public static func serve(
        limits: ImageLimits, addressSpace: Int,
        report: ((_ bytes: [UInt8], _ options: UInt32) -> Result<[UInt8], ImageError>)? = nil
    ) -> Int32 {
        let failed = bw_process_harden(UInt64(max(0, addressSpace)))
        guard failed == 0 else {
            complain("media-decoder: cannot limit the process: \(String(cString: strerror(failed)))")
            return 3
        }
        let decoder = ImageDecoder(limits: limits)
        var scratch = PDQScratch()
        let stillDecoder = ImageDecoder(limits: StillImage.limits(limits))
        while true {
            var header = [UInt8](repeating: 0, count: MediaDecoderWire.headerBytes)
            let got = readFully(0, &header)
            if got == 0 { return 0 }
            guard got == header.count, let (length, request) = MediaDecoderWire.read(header: header) else {
                complain("media-decoder: a request header broke off or does not read (\(got) of \(header.count) bytes)")
                return 2
            }
            guard length <= UInt64(max(0, limits.maxBytes)) else {
                complain("media-decoder: a request of \(length) bytes, more than the limit of \(limits.maxBytes)")
                return 2
            }
            var bytes = [UInt8](repeating: 0, count: Int(length))
            let read = readFully(0, &bytes)
            guard read == bytes.count else {
                complain("media-decoder: a request broke off after \(read) of \(length) bytes")
                return 2
            }
            let answer: [UInt8]
            switch request {
            case .hash(let storedPixels):
                let result: Result<HashedMedia, ImageError>
                do {
                    result = .success(
                        try HashedMedia(hashing: bytes, decoder: decoder, scratch: &scratch, storedPixels: storedPixels))
                } catch {
                    result = .failure(error)
                }
                answer = MediaDecoderWire.answer(result)
            case .still(let frame):
                answer = MediaDecoderWire.answer(StillImage.display(bytes, frame: frame, decoder: stillDecoder))
            case .report(let options):
                guard let report else {
                    complain("media-decoder: a report request, and this process makes no reports")
                    return 2
                }
                answer = MediaDecoderWire.answer(report: report(bytes, options))
            }
            guard writeFully(1, answer) else {
                complain("media-decoder: the answer could not be written: \(String(cString: strerror(errno)))")
                return 2
            }
        }
    }

    /// Hardens the process as ``serve(limits:addressSpace:)`` does, then tries what it must no
    /// longer do (open a file, a socket, run a program, take a descriptor of its parent, set up
    /// an io_uring, start a process, map memory that runs code) and says how each went, e.g. "open: Operation not permitted; socket:
    /// Operation not permitted; execve: Operation not permitted; ...": on one line from the
    /// thread that hardened the process, on the next from a thread started before it was
    /// hardened (a decoder's code taken over could run on any thread of the process).
    /// Nil when the process could not be hardened.
    public static func checkSandbox(addressSpace: Int) -> String? {
        var report = [CChar](repeating: 0, count: 128)
        var earlier = [CChar](repeating: 0, count: 128)
        guard bw_process_check_sandbox(UInt64(max(0, addressSpace)), &report, &earlier, report.count) == 0 else {
            return nil
        }
        return [report, earlier].map(Self.describe).joined(separator: "\n")
    }

    /// "open 1 socket 0 ..." (`bw_process_try_denied`) as "open: Operation not permitted; socket: allowed; ...".
    static func describe(_ report: [CChar]) -> String {
        let text = report.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let codes = String(decoding: text, as: UTF8.self).split(separator: " ")
        return stride(from: 0, to: codes.count - 1, by: 2).map { i in
            let code = Int32(codes[i + 1]) ?? -1
            return "\(codes[i]): " + (code == 0 ? "allowed" : String(cString: strerror(code)))
        }.joined(separator: "; ")
    }

    /// Reads until `buffer` is full or the input ends; how many bytes were read.
    static func readFully(_ fd: Int32, _ buffer: inout [UInt8]) -> Int {
        var done = 0
        let count = buffer.count
        while done < count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        return done
    }

    static func writeFully(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    static func complain(_ message: String) {
        _ = writeFully(2, Array((message + "\n").utf8))
    }
}
