/// Every entry of a bank set in id order (entry id i at position i - 1), kept in chunks of
/// ``chunkSize``. A set is copied on every change (readers keep matching against the one they
/// have), and a change adds or marks one entry: a flat array of a million entries was copied
/// whole for that, retaining each entry's strings (262-317 ms and about 150 MB for one hash
/// added through the API), where only the chunk changed and the list of chunks are copied now.
public struct BankEntries: RandomAccessCollection, MutableCollection, Sendable, Equatable {
    /// Entries per chunk.
    static let chunkSize = 4_096
    private var chunks: [[BankEntry]] = []
    public private(set) var count = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> BankEntry {
        get {
            precondition(position >= 0 && position < count, "entry position \(position) out of 0..<\(count)")
            return chunks[position / Self.chunkSize][position % Self.chunkSize]
        }
        set {
            precondition(position >= 0 && position < count, "entry position \(position) out of 0..<\(count)")
            chunks[position / Self.chunkSize][position % Self.chunkSize] = newValue
        }
    }

    /// Whether the entry at `position` has this signal and bank, read where it is (no copy of
    /// the entry, whose strings and labels a copy would retain).
    func hasSignal(_ bits: SignalBits, bank: String, at position: Int) -> Bool {
        guard position >= 0 && position < count else { return false }
        return chunks[position / Self.chunkSize].withUnsafeBufferPointer { chunk in
            let entry = chunk.baseAddress! + position % Self.chunkSize
            return entry.pointee.signal.bits == bits && entry.pointee.bank == bank
        }
    }

    public mutating func append(_ entry: BankEntry) {
        if count % Self.chunkSize == 0 {
            var chunk: [BankEntry] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(entry)
        count += 1
    }

    /// Room for `total` entries in the list of chunks (each chunk has its own room).
    public mutating func reserveCapacity(_ total: Int) {
        chunks.reserveCapacity((total + Self.chunkSize - 1) / Self.chunkSize)
    }

    public static func == (a: BankEntries, b: BankEntries) -> Bool { a.chunks == b.chunks }
}
