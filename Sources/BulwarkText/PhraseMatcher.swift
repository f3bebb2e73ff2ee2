/// Whole-word phrase matching on normalised text for lists of entries, each with its patterns
/// (normalised the same way as the text).
///
/// A pattern matches where its bytes stand between two spaces of the text. Arabic patterns
/// also match after the clitic prefixes و ف ب ل ك (and, so, with, for, like), one or two of
/// them, attached to the word, as Arabic writes them.
///
/// The matches are those of one Aho-Corasick pass over the text's bytes kept at word
/// boundaries (`AhoCorasick`, which the tests use as the reference), in the same order, but
/// found word by word: the patterns are filed by the hash of their first word in a table small
/// enough for L2, each word of the text is hashed the same way, and a word whose hash is filed
/// has its candidates compared byte by byte. A dense automaton over the cue and indicator
/// lists (tens of thousands of states) costs a cache miss per byte; this costs one lookup in
/// cache per word.
struct PhraseMatcher: Sendable {
    /// The patterns' bytes, one after another; pattern p is `bytes[start[p] ..< start[p + 1]]`.
    private let patternBytes: [UInt8]
    private let patternStart: [Int32]
    /// For each pattern: its entry.
    private let patternEntry: [Int32]
    private let patternIsArabic: [Bool]
    /// Open addressing by first-word hash: the hash (0: empty slot) and a range of `filed`.
    private let slotHash: [UInt64]
    private let slotRange: [(start: Int32, end: Int32)]
    private let slotMask: Int
    /// Pattern indices grouped by first word, ascending within a group.
    private let filed: [Int32]

    var patternCount: Int { patternEntry.count }

    init(entries: [[String]], normalizer: TextNormalizer) {
        var bytes: [UInt8] = []
        var starts: [Int32] = [0]
        var patternEntry: [Int32] = []
        var isArabic: [Bool] = []
        var seen = Set<[UInt8]>()
        var groups: [UInt64: [Int32]] = [:]
        var order: [UInt64] = []
        for (i, entryPatterns) in entries.enumerated() {
            for pattern in entryPatterns {
                let normalized = Array(normalizer.normalize(pattern).bytes.dropFirst().dropLast())
                guard !normalized.isEmpty,
                    seen.insert(normalized + [UInt8(truncatingIfNeeded: i), UInt8(truncatingIfNeeded: i >> 8)]).inserted
                else { continue }
                let index = Int32(patternEntry.count)
                bytes += normalized
                starts.append(Int32(bytes.count))
                patternEntry.append(Int32(i))
                let lead = normalized[0]
                isArabic.append(lead >= 0xD8 && lead <= 0xDB)
                let firstWord = normalized.prefix { $0 != 0x20 }
                let key = Self.key(Hashing.fnv1a(firstWord))
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append(index)
            }
        }
        var slots = 16
        while slots < 2 * order.count { slots <<= 1 }
        var slotHash = [UInt64](repeating: 0, count: slots)
        var slotRange = [(start: Int32, end: Int32)](repeating: (0, 0), count: slots)
        var filed: [Int32] = []
        for key in order {
            var slot = Self.slot(key, mask: slots - 1)
            while slotHash[slot] != 0 { slot = (slot + 1) & (slots - 1) }
            slotHash[slot] = key
            let start = Int32(filed.count)
            filed += groups[key]!
            slotRange[slot] = (start, Int32(filed.count))
        }
        self.patternBytes = bytes
        self.patternStart = starts
        self.patternEntry = patternEntry
        self.patternIsArabic = isArabic
        self.slotHash = slotHash
        self.slotRange = slotRange
        self.slotMask = slots - 1
        self.filed = filed
    }

    /// A word's FNV-1a hash as a table key: never 0, the empty slot.
    @inline(__always)
    private static func key(_ hash: UInt64) -> UInt64 { hash == 0 ? 1 : hash }

    @inline(__always)
    private static func slot(_ key: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: key ^ (key >> 31)) & mask }

    /// A found occurrence, before ordering.
    private struct Found {
        var end: Int32
        var length: Int32
        var pattern: Int32
    }

    /// Calls `body` with the entry and byte range of every whole-word occurrence, ordered by
    /// end, then longest first, then pattern order (as an Aho-Corasick pass reports them).
    func forEachMatch(in text: NormalizedText, _ body: (Int, Range<Int>) -> Void) {
        text.bytes.withUnsafeBufferPointer { bytes in
            var found: [Found] = []
            slotHash.withUnsafeBufferPointer { hashes in
                patternBytes.withUnsafeBufferPointer { pattern in
                    let n = bytes.count
                    var wordStart = 0
                    var i = 0
                    while i <= n {
                        if i < n && bytes[i] != 0x20 {
                            i += 1
                            continue
                        }
                        // A word ends at i (a space or the end). Only a word after a space can start a match.
                        if wordStart > 0 {
                            lookUp(
                                Self.key(Hashing.fnv1a(bytes, wordStart..<i)), at: wordStart, clitic: false, bytes, hashes,
                                pattern, &found)
                            // After one or two clitic letters (2 bytes each) of an Arabic word.
                            var start = wordStart
                            while start + 2 < i && start - wordStart < 4 && Self.isClitic(bytes[start], bytes[start + 1]) {
                                start += 2
                                lookUp(
                                    Self.key(Hashing.fnv1a(bytes, start..<i)), at: start, clitic: true, bytes, hashes,
                                    pattern, &found)
                            }
                        }
                        i += 1
                        wordStart = i
                    }
                }
            }
            if found.count > 1 {
                found.sort { ($0.end, -$0.length, $0.pattern) < ($1.end, -$1.length, $1.pattern) }
            }
            for f in found {
                body(Int(patternEntry[Int(f.pattern)]), Int(f.end - f.length)..<Int(f.end))
            }
        }
    }

    /// The patterns filed under `key` that stand at `start`, followed by a space.
    @inline(__always)
    private func lookUp(
        _ key: UInt64, at start: Int, clitic: Bool, _ bytes: UnsafeBufferPointer<UInt8>, _ hashes: UnsafeBufferPointer<UInt64>,
        _ pattern: UnsafeBufferPointer<UInt8>, _ found: inout [Found]
    ) {
        var slot = Self.slot(key, mask: slotMask)
        while hashes[slot] != key {
            if hashes[slot] == 0 { return }
            slot = (slot + 1) & slotMask
        }
        let range = slotRange[slot]
        for k in Int(range.start)..<Int(range.end) {
            let p = Int(filed[k])
            if clitic && !patternIsArabic[p] { continue }
            let from = Int(patternStart[p])
            let length = Int(patternStart[p + 1]) - from
            let end = start + length
            guard end < bytes.count, bytes[end] == 0x20 else { continue }
            var j = 0
            while j < length && bytes[start + j] == pattern[from + j] { j += 1 }
            if j == length { found.append(Found(end: Int32(end), length: Int32(length), pattern: Int32(p))) }
        }
    }

    /// و ف ب ل ك in UTF-8: D9 88, D9 81, D8 A8, D9 84, D9 83.
    @inline(__always)
    static func isClitic(_ lead: UInt8, _ trail: UInt8) -> Bool {
        (lead == 0xD9 && (trail == 0x88 || trail == 0x81 || trail == 0x84 || trail == 0x83)) || (lead == 0xD8 && trail == 0xA8)
    }

    /// Each entry found, at its first occurrence.
    func firstMatches(in text: NormalizedText) -> [IndicatorMatch] {
        var result: [IndicatorMatch] = []
        forEachMatch(in: text) { entry, range in
            if !result.contains(where: { $0.entry == entry }) {
                result.append(IndicatorMatch(entry: entry, normalizedRange: range))
            }
        }
        return result
    }
}
