/// What the encoder computes for a piece id alone, kept from batch to batch.
///
/// The first layers of `SentenceEncoder` see one token at a time: a token's projection (with
/// its layer norm) depends on its piece id only, and the first product of each CNN branch is
/// a sum over the window's tokens of one token's projection times one block of the weights.
/// So for a piece id the encoder can keep an **entry** of 3,328 floats: the projected,
/// normalised 768 values, then, per branch of order n, the n products of its branch values
/// with each of the n weight blocks (256 each). Those are 1,048,576 of the 1,703,936
/// multiply-adds per token (62%); a token whose piece is kept costs only the second product of
/// each branch and a few additions.
///
/// The entries sit in a two-way set-associative table of `capacity` entries (a power of two),
/// the set chosen by a multiplicative hash of the id, the way not used most recently replaced.
/// Within one batch an entry in use is never replaced (`stamp`), so every token of the batch
/// can point at its entry until the batch is done. Its memory (13,312 bytes an entry) is
/// reserved at the first batch and touched as entries fill.
final class PieceCache {
    /// Floats in an entry: 768 projected values, then each branch's n blocks of 256.
    static let entryWidth = 3 * SentenceEncoder.branchWidth + SentenceEncoder.orders.reduce(0) { $0 + $1.n } * SentenceEncoder.branchWidth

    /// Where each branch's products begin in an entry.
    static let partialOffsets: [Int] = {
        var offsets: [Int] = []
        var at = 3 * SentenceEncoder.branchWidth
        for order in SentenceEncoder.orders {
            offsets.append(at)
            at += order.n * SentenceEncoder.branchWidth
        }
        return offsets
    }()

    let capacity: Int
    let setShift: UInt32
    private(set) var entries: UnsafeMutablePointer<Float>?
    private var tags: [Int32]
    private var stamps: [UInt32]
    /// Per set, the way used last (0 or 1).
    private var recent: [UInt8]
    private var stamp: UInt32 = 0
    /// Lookups and hits since the workspace was made.
    private(set) var lookups = 0
    private(set) var hits = 0

    /// A table of `capacity` entries, rounded down to a power of two; fewer than two keep none.
    init(capacity requested: Int) {
        var c = 0
        if requested >= 2 {
            c = 2
            while c * 2 <= requested { c *= 2 }
        }
        capacity = c
        let sets = max(c / 2, 1)
        setShift = UInt32(32 - sets.trailingZeroBitCount)
        tags = [Int32](repeating: -1, count: c)
        stamps = [UInt32](repeating: 0, count: c)
        recent = [UInt8](repeating: 0, count: sets)
    }

    deinit { entries?.deallocate() }

    /// Starts a batch: entries handed out from now on are kept until the next call.
    func beginBatch() {
        stamp &+= 1
        if stamp == 0 {
            for i in stamps.indices { stamps[i] = 0 }
            stamp = 1
        }
        if entries == nil && capacity > 0 {
            entries = UnsafeMutablePointer<Float>.allocate(capacity: capacity * Self.entryWidth)
        }
    }

    /// The result of `slot(for:)`.
    enum Lookup {
        /// The entry is in the table, computed.
        case hit(Int)
        /// The slot now holds the piece; its entry must be computed before the batch uses it.
        case reserved(Int)
        /// Both ways of the piece's set hold entries this batch uses: compute it outside.
        case none
    }

    /// The slot of `piece`, reserving one (and forgetting its old piece) when it is not kept.
    func slot(for piece: Int32) -> Lookup {
        lookups += 1
        guard capacity > 0 else { return .none }
        let set = Int((UInt32(bitPattern: piece) &* 2_654_435_761) >> setShift) & (capacity / 2 - 1)
        let first = 2 * set
        for way in 0..<2 where tags[first + way] == piece {
            hits += 1
            recent[set] = UInt8(way)
            stamps[first + way] = stamp
            return .hit(first + way)
        }
        var way = recent[set] == 0 ? 1 : 0
        if stamps[first + way] == stamp { way = 1 - way }
        guard stamps[first + way] != stamp else { return .none }
        let s = first + way
        tags[s] = piece
        stamps[s] = stamp
        recent[set] = UInt8(way)
        return .reserved(s)
    }
}
