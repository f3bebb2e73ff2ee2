/// A multi-pattern matcher over bytes: one pass finds every occurrence of every pattern.
///
/// Aho-Corasick compiled to a dense automaton over byte classes (bytes that occur in no pattern
/// share one class), so each input byte costs one table lookup.
public struct AhoCorasick: Sendable {
    public struct Match: Sendable, Hashable {
        /// Index of the pattern in the array given to `init`.
        public var pattern: Int
        /// Byte range of the occurrence in the searched text.
        public var range: Range<Int>
    }

    private let byteClass: [UInt8]
    private let classCount: Int
    /// The dense automaton, row per state, states numbered breadth-first (the shallow states,
    /// which most bytes visit, share cache lines): 16-bit ids when there are at most 65,536
    /// states (half the table, so more of it stays in cache), else 32-bit (`transitions`).
    private let transitions: [Int32]
    private let transitions16: [UInt16]
    /// For each state, a range into `outputPatterns`.
    private let outputStart: [Int32]
    private let outputEnd: [Int32]
    private let outputPatterns: [Int32]
    private let patternLengths: [Int32]
    /// One bit per state: whether it has outputs. Most bytes reach a state with none, and
    /// this bitmap (1/256 of the output ranges' size) answers that from L1.
    private let hasOutput: [UInt64]

    public var stateCount: Int { outputStart.count }

    public init(patterns: [[UInt8]]) {
        // Byte classes.
        var used = [Bool](repeating: false, count: 256)
        for p in patterns { for b in p { used[Int(b)] = true } }
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classes = 1
        for b in 0..<256 where used[b] {
            if classes < 256 {
                byteClass[b] = UInt8(classes)
                classes += 1
            }
        }
        // With more than 255 distinct bytes, the remainder share class 0: still correct, because
        // every match is re-checked against the pattern bytes below.
        // Trie.
        var children: [[UInt8: Int32]] = [[:]]
        var outputs: [[Int32]] = [[]]
        for (index, pattern) in patterns.enumerated() where !pattern.isEmpty {
            var state = 0
            for b in pattern {
                let c = byteClass[Int(b)]
                if let next = children[state][c] {
                    state = Int(next)
                } else {
                    children.append([:])
                    outputs.append([])
                    let next = Int32(children.count - 1)
                    children[state][c] = next
                    state = Int(next)
                }
            }
            outputs[state].append(Int32(index))
        }
        // Breadth-first failure links and the dense automaton.
        let stateCount = children.count
        var fail = [Int32](repeating: 0, count: stateCount)
        var delta = [Int32](repeating: 0, count: stateCount * classes)
        var queue: [Int32] = []
        queue.reserveCapacity(stateCount)
        for c in 0..<classes {
            if let next = children[0][UInt8(c)] {
                delta[c] = next
                fail[Int(next)] = 0
                queue.append(next)
            }
        }
        var head = 0
        while head < queue.count {
            let state = Int(queue[head])
            head += 1
            outputs[state].append(contentsOf: outputs[Int(fail[state])])
            for c in 0..<classes {
                if let next = children[state][UInt8(c)] {
                    fail[Int(next)] = delta[Int(fail[state]) * classes + c]
                    delta[state * classes + c] = next
                    queue.append(next)
                } else {
                    delta[state * classes + c] = delta[Int(fail[state]) * classes + c]
                }
            }
        }
        // Renumber the states breadth-first: the root, then the queue's order.
        let order = [Int32(0)] + queue
        var renumbered = [Int32](repeating: 0, count: stateCount)
        for (new, old) in order.enumerated() { renumbered[Int(old)] = Int32(new) }
        var bfsDelta = [Int32](repeating: 0, count: stateCount * classes)
        for (new, old) in order.enumerated() {
            for c in 0..<classes { bfsDelta[new * classes + c] = renumbered[Int(delta[Int(old) * classes + c])] }
        }
        var outputStart = [Int32](repeating: 0, count: stateCount)
        var outputEnd = [Int32](repeating: 0, count: stateCount)
        var flat: [Int32] = []
        for (new, old) in order.enumerated() {
            outputStart[new] = Int32(flat.count)
            flat.append(contentsOf: outputs[Int(old)])
            outputEnd[new] = Int32(flat.count)
        }
        self.byteClass = byteClass
        self.classCount = classes
        if stateCount <= 1 << 16 {
            self.transitions = []
            self.transitions16 = bfsDelta.map { UInt16(truncatingIfNeeded: $0) }
        } else {
            self.transitions = bfsDelta
            self.transitions16 = []
        }
        self.outputStart = outputStart
        self.outputEnd = outputEnd
        var hasOutput = [UInt64](repeating: 0, count: (stateCount + 63) / 64)
        for state in 0..<stateCount where outputStart[state] < outputEnd[state] {
            hasOutput[state >> 6] |= 1 << UInt64(state & 63)
        }
        self.hasOutput = hasOutput
        self.outputPatterns = flat
        self.patternLengths = patterns.map { Int32($0.count) }
        self.patterns = patterns
    }

    private let patterns: [[UInt8]]

    /// Calls `body` for every occurrence of every pattern in `text`, in order of end position.
    @inline(__always)
    public func forEachMatch(in text: UnsafeBufferPointer<UInt8>, _ body: (Match) -> Void) {
        if transitions.isEmpty {
            transitions16.withUnsafeBufferPointer { forEachMatch(in: text, delta: $0, body) }
        } else {
            transitions.withUnsafeBufferPointer { forEachMatch(in: text, delta: $0, body) }
        }
    }

    @inline(__always)
    private func forEachMatch<State: FixedWidthInteger>(
        in text: UnsafeBufferPointer<UInt8>, delta: UnsafeBufferPointer<State>, _ body: (Match) -> Void
    ) {
        var state = 0
        byteClass.withUnsafeBufferPointer { classOf in
            hasOutput.withUnsafeBufferPointer { hasOutput in
                for i in 0..<text.count {
                    state = Int(delta[state &* classCount &+ Int(classOf[Int(text[i])])])
                    if hasOutput[state >> 6] & (1 << UInt64(state & 63)) == 0 { continue }
                    let start = outputStart[state]
                    let end = outputEnd[state]
                    if start == end { continue }
                    for k in Int(start)..<Int(end) {
                        let p = Int(outputPatterns[k])
                        let length = Int(patternLengths[p])
                        let range = (i + 1 - length)..<(i + 1)
                        if classCount < 256 || verify(p, text, range) {
                            body(Match(pattern: p, range: range))
                        }
                    }
                }
            }
        }
    }

    private func verify(_ p: Int, _ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard range.lowerBound >= 0 else { return false }
        var j = 0
        for i in range {
            if text[i] != patterns[p][j] { return false }
            j += 1
        }
        return true
    }

    public func matches(in bytes: [UInt8]) -> [Match] {
        var result: [Match] = []
        bytes.withUnsafeBufferPointer { buffer in
            forEachMatch(in: buffer) { result.append($0) }
        }
        return result
    }
}
