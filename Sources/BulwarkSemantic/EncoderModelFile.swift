import BulwarkCore

/// The tensors of a model file written by `scripts/export-semantic-model.py` ("BWUSE1"):
/// named float32 and uint8 arrays at 64-byte-aligned offsets of one little-endian file.
/// See that script for the layout. Parsing checks every entry against the file's size, so a
/// malformed file gives an error, never a crash.
struct EncoderModelFile {
    enum DType: UInt8 {
        case float32 = 0
        case uint8 = 1
    }

    struct Entry {
        var dtype: DType
        var shape: [Int]
        var offset: Int
        var length: Int
    }

    static let magic: [UInt8] = Array("BWUSE1".utf8)
    static let formatVersion: UInt16 = 1
    static let entrySize = 64

    let bytes: [UInt8]
    let metadata: String
    private(set) var entries: [String: Entry] = [:]

    init(bytes: [UInt8]) throws(BulwarkError) {
        self.bytes = bytes
        let total = bytes.count
        guard total >= 16 else { throw Self.invalid("encoder model is truncated: \(total) bytes", total) }
        guard Array(bytes[0..<6]) == Self.magic else {
            throw Self.invalid("not a Bulwark sentence-encoder model (the file does not start with \"BWUSE1\")", 0)
        }
        let version = UInt16(bytes[6]) | UInt16(bytes[7]) << 8
        guard version == Self.formatVersion else {
            throw Self.invalid("unsupported encoder model format version \(version) (expected 1)", 6)
        }
        let count = Self.u32(bytes, 8)
        let metaLength = Self.u32(bytes, 12)
        guard count <= 1024, metaLength <= 1 << 16 else { throw Self.invalid("header sizes out of range", 8) }
        let metaEnd = 16 + metaLength + (4 - metaLength % 4) % 4
        guard metaEnd + count * Self.entrySize <= total else {
            throw Self.invalid("encoder model is truncated inside its header", total)
        }
        metadata = String(decoding: bytes[16..<(16 + metaLength)].prefix { $0 != 0 }, as: UTF8.self)
        for k in 0..<count {
            let at = metaEnd + k * Self.entrySize
            let name = String(decoding: bytes[at..<(at + 32)].prefix { $0 != 0 }, as: UTF8.self)
            guard let dtype = DType(rawValue: bytes[at + 32]) else {
                throw Self.invalid("tensor \(name) has an unknown type \(bytes[at + 32])", at + 32)
            }
            let rank = Int(bytes[at + 33])
            guard rank <= 2 else { throw Self.invalid("tensor \(name) has rank \(rank)", at + 33) }
            let dims = [Self.u32(bytes, at + 36), Self.u32(bytes, at + 40)]
            let offset = Self.u32(bytes, at + 44)
            let length = Self.u32(bytes, at + 48)
            let shape = Array(dims.prefix(rank))
            let elements = shape.reduce(1, *)
            let elementSize = dtype == .float32 ? 4 : 1
            guard elements * elementSize == length, offset % 64 == 0, offset <= total, length <= total - offset else {
                throw Self.invalid("tensor \(name): shape, offset or length out of range", at)
            }
            guard entries[name] == nil else { throw Self.invalid("tensor \(name) appears twice", at) }
            entries[name] = Entry(dtype: dtype, shape: shape, offset: offset, length: length)
        }
    }

    func entry(_ name: String, _ dtype: DType, shape: [Int]) throws(BulwarkError) -> Entry {
        guard let e = entries[name] else { throw Self.invalid("the encoder model has no tensor \(name)", 0) }
        guard e.dtype == dtype, e.shape == shape else {
            throw Self.invalid("tensor \(name) has type \(e.dtype) and shape \(e.shape), expected \(dtype) \(shape)", 0)
        }
        return e
    }

    /// A float32 tensor of the given shape, as an array.
    func floats(_ name: String, _ shape: [Int]) throws(BulwarkError) -> [Float] {
        let e = try entry(name, .float32, shape: shape)
        let count = e.length / 4
        var result = [Float](repeating: 0, count: count)
        result.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { raw in
                out.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[e.offset..<(e.offset + e.length)]))
            }
        }
        #if _endian(big)
            for i in 0..<count { result[i] = Float(bitPattern: UInt32(littleEndian: result[i].bitPattern)) }
        #endif
        for v in result where !v.isFinite {
            throw Self.invalid("tensor \(name) holds a value that is not finite", e.offset)
        }
        return result
    }

    /// A uint8 tensor's bytes.
    func blob(_ name: String) throws(BulwarkError) -> ArraySlice<UInt8> {
        guard let e = entries[name], e.dtype == .uint8 else {
            throw Self.invalid("the encoder model has no byte tensor \(name)", 0)
        }
        return bytes[e.offset..<(e.offset + e.length)]
    }

    static func u32(_ b: [UInt8], _ at: Int) -> Int {
        Int(b[at]) | Int(b[at + 1]) << 8 | Int(b[at + 2]) << 16 | Int(b[at + 3]) << 24
    }

    static func invalid(_ message: String, _ offset: Int) -> BulwarkError {
        BulwarkError(.invalidModel, message, offset: offset)
    }
}
