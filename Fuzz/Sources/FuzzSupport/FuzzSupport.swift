#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Helpers shared by the fuzz targets.
public enum Fuzz {
    /// The input as an array (the libraries take `[UInt8]`).
    public static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Stops the run with a message: libFuzzer records the input as a crash.
    public static func fail(_ message: String) -> Never {
        printError("fuzz invariant broken: \(message)")
        abort()
    }

    /// The bytes of the file at `path`, or nil when it cannot be read.
    public static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBufferPointer { fread($0.baseAddress, 1, $0.count, file) }
            if n == 0 { break }
            out += chunk[0..<n]
        }
        return ferror(file) == 0 ? out : nil
    }

    /// A line on standard error.
    public static func printError(_ message: String) {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// FNV-1a 64, the checksum of Bulwark's PDQ index and bank snapshot files.
    public static func fnv1a64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return h
    }

    /// The bytes with their last 8 replaced by the little-endian FNV-1a 64 of the rest, so that
    /// mutated files get past the checksum to the structure behind it (nil when too short).
    public static func withChecksum(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 8 else { return nil }
        var out = bytes
        let sum = fnv1a64(out[0..<(out.count - 8)])
        for k in 0..<8 { out[out.count - 8 + k] = UInt8(truncatingIfNeeded: sum >> UInt64(8 * k)) }
        return out
    }

    /// When the environment variable `BULWARK_FUZZ_SEEDS` names a directory, writes `seeds` there
    /// (one file each, under their names) and exits: scripts/fuzz.sh seeds the bank targets' corpora
    /// with files made by the library's own writers this way.
    public static func writeSeedsIfAsked(_ seeds: () -> [(name: String, bytes: [UInt8])]) {
        guard let dir = getenv("BULWARK_FUZZ_SEEDS").map({ String(cString: $0) }), !dir.isEmpty else { return }
        for seed in seeds() {
            let path = dir + "/" + seed.name
            guard let file = fopen(path, "wb") else {
                printError("cannot write \(path)")
                exit(1)
            }
            let written = seed.bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
            guard written == seed.bytes.count else {
                printError("cannot write \(path)")
                exit(1)
            }
        }
        exit(0)
    }
}

/// A small deterministic generator for seeds and for choices driven by the input.
public struct SplitMix: RandomNumberGenerator {
    public var state: UInt64
    public init(_ seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Fuzz {
    /// A bank file with the checksums of the PDQ index inside it (found by its magic and the
    /// length before it) and of the whole made right, so a mutated snapshot reaches the parser.
    public static func withSnapshotChecksums(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 24 else { return nil }
        var out = bytes
        let magic = Array("BWPDQX01".utf8)
        if let p = (8..<max(8, out.count - 8)).first(where: { p in
            p + 8 <= out.count && (0..<8).allSatisfy { out[p + $0] == magic[$0] }
        }) {
            var length = 0
            for k in 0..<8 { length |= Int(out[p - 8 + k]) << (8 * k) }
            if length >= 48, length <= out.count - 8 - p, let fixed = withChecksum(Array(out[p..<(p + length)])) {
                out.replaceSubrange(p..<(p + length), with: fixed)
            }
        }
        return withChecksum(out)
    }
}
