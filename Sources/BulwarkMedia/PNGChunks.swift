internal import CImageShims

/// The chunks of a PNG, in order from the signature on, headers read and nothing copied: each
/// chunk's type and where its data lie. The walk ends where the data end, or at a chunk that
/// declares more than is left or more than a PNG chunk may hold (2^31 - 1 bytes), which is
/// ``cut``.
struct PNGChunks: IteratorProtocol {
    struct Chunk {
        /// The four type letters as one big-endian number (``PNGChunks/type(_:)``).
        var type: UInt32
        /// Where the chunk starts (its length field).
        var start: Int
        /// Where its data lie; the CRC follows them.
        var data: Range<Int>
    }

    /// The chunk header the walk stopped at because its data do not fit.
    struct Cut {
        var start: Int
        var length: Int
        var type: UInt32
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 8
    private(set) var cut: Cut?

    /// `bytes` from their start: the 8-byte signature is passed over, not checked.
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func type(_ name: StaticString) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(name.utf8Start[$1]) } }
    static let imageData = type("IDAT")
    static let end = type("IEND")
    static let textType = type("tEXt")
    static let compressedTextType = type("zTXt")

    private func be32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }

    mutating func next() -> Chunk? {
        guard cut == nil, at <= bytes.count - 8 else { return nil }
        let length = be32(at)
        let type = UInt32(be32(at + 4))
        guard length <= 0x7FFF_FFFF, length <= bytes.count - at - 12 else {
            cut = Cut(start: at, length: length, type: type)
            return nil
        }
        let chunk = Chunk(type: type, start: at, data: (at + 8)..<(at + 8 + length))
        at = chunk.data.upperBound + 4
        return chunk
    }

    /// Whether `chunk`'s CRC (over its type and data) is the one stored after it.
    func crcIsRight(_ chunk: Chunk) -> Bool {
        bw_crc32(bytes.baseAddress! + chunk.start + 4, chunk.data.count + 4) == UInt32(be32(chunk.data.upperBound))
    }

    /// The type's letters, or its bytes in hex when they are not letters.
    static func name(_ type: UInt32) -> String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: type >> (24 - 8 * $0)) }
        return bytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
            ? String(decoding: bytes, as: UTF8.self) : bytes.map { String($0, radix: 16) }.joined(separator: " ")
    }
}
