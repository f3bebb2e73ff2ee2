import BulwarkCore
@testable import BulwarkText
import Testing

/// The word-by-word phrase matcher against the rule it implements, stated independently: every
/// occurrence an Aho-Corasick pass finds, kept when a space follows it and a space, or one or two
/// Arabic clitic letters after a space (Arabic patterns only), precede it; in the pass's order.
struct PhraseMatcherTests {
    /// The reference: the patterns normalised as the matcher does, and the whole-word rule.
    struct Reference {
        let automaton: AhoCorasick
        let entry: [Int]
        let isArabic: [Bool]

        init(entries: [[String]], normalizer: TextNormalizer) {
            var patterns: [[UInt8]] = []
            var entry: [Int] = []
            var seen = Set<[UInt8]>()
            for (i, list) in entries.enumerated() {
                for pattern in list {
                    let bytes = Array(normalizer.normalize(pattern).bytes.dropFirst().dropLast())
                    guard !bytes.isEmpty, seen.insert(bytes + [UInt8(i & 0xFF), UInt8(i >> 8)]).inserted else { continue }
                    patterns.append(bytes)
                    entry.append(i)
                }
            }
            automaton = AhoCorasick(patterns: patterns)
            self.entry = entry
            isArabic = patterns.map { (0xD8...0xDB).contains($0[0]) }
        }

        func matches(_ text: NormalizedText) -> [String] {
            let bytes = text.bytes
            var result: [String] = []
            for m in automaton.matches(in: bytes) {
                let start = m.range.lowerBound
                let end = m.range.upperBound
                guard end < bytes.count, bytes[end] == 0x20, start > 0 else { continue }
                if bytes[start - 1] != 0x20 {
                    guard isArabic[m.pattern] else { continue }
                    // One or two of و ف ب ل ك between the previous space and the match.
                    let clitics: Set<[UInt8]> = [[0xD9, 0x88], [0xD9, 0x81], [0xD8, 0xA8], [0xD9, 0x84], [0xD9, 0x83]]
                    var i = start
                    var letters = 0
                    while i >= 2, bytes[i - 1] != 0x20, clitics.contains([bytes[i - 2], bytes[i - 1]]) {
                        letters += 1
                        i -= 2
                    }
                    guard (1...2).contains(letters), i >= 1, bytes[i - 1] == 0x20 else { continue }
                }
                result.append("\(entry[m.pattern])@\(m.range)")
            }
            return result
        }
    }

    static func found(_ matcher: PhraseMatcher, _ text: NormalizedText) -> [String] {
        var result: [String] = []
        matcher.forEachMatch(in: text) { entry, range in result.append("\(entry)@\(range)") }
        return result
    }

    @Test func agreesWithTheAutomatonOnTheLexiconsAndEveryDevText() throws {
        let normalizer = TextNormalizer()
        let lists: [[[String]]] = [
            try Fixtures.lexicon().entries.map(\.patterns), try Fixtures.contextCues().cues.map(\.patterns),
        ]
        var texts = try Fixtures.devItems().map(\.text) + Fixtures.arabicItems().map(\.text)
        for file in ["data/heldout/fraternal.jsonl", "data/heldout/xx-3.jsonl", "data/langid/dev.jsonl"] {
            texts += try Fixtures.items(file).map(\.text)
        }
        // Edge cases: clitics (one, two, three, not clitics), a match at the very start and end,
        // repeated and overlapping phrases, double spaces, a word cut by the end of the text.
        texts += [
            "وداعش", "وبداعش", "ووبداعش", "مداعش", "و داعش", "isis", " isis ", "the islamic state islamic state",
            "ولدولة الإسلامية", "supporters of the islamic state  islamic   state", "daesh", "ISIS ISIS ISIS",
        ]
        #expect(texts.count > 7_000)
        var matched = 0
        for entries in lists {
            let matcher = PhraseMatcher(entries: entries, normalizer: normalizer)
            let reference = Reference(entries: entries, normalizer: normalizer)
            #expect(matcher.patternCount == reference.entry.count)
            var differences: [String] = []
            for text in texts {
                let normalized = normalizer.normalize(text)
                let expected = reference.matches(normalized)
                let actual = Self.found(matcher, normalized)
                if actual != expected && differences.count < 5 { differences.append("\(text): \(actual) vs \(expected)") }
                matched += expected.count
            }
            #expect(differences.isEmpty, "\(differences)")
        }
        // The comparison means something only if many texts match.
        #expect(matched > 5_000)
    }

    @Test func agreesWithTheAutomatonOnRandomPhrasesAndClitics() {
        // Words from a tiny alphabet with Arabic clitic letters, so that phrases overlap, repeat,
        // share first words and follow clitics far more often than in real text.
        var rng = SplitMix64(seed: 11)
        let words = ["a", "ab", "b", "با", "و", "ود", "داعش", "بداعش", "ك", "لل", "x y"]
        func phrase(_ maxWords: Int) -> String {
            (0..<(1 + Int(rng.next() % UInt64(maxWords)))).map { _ in words[Int(rng.next() % UInt64(words.count))] }
                .joined(separator: rng.next() % 7 == 0 ? "" : " ")
        }
        let entries = (0..<40).map { _ in (0..<(1 + Int(rng.next() % 3))).map { _ in phrase(3) } }
        let normalizer = TextNormalizer()
        let matcher = PhraseMatcher(entries: entries, normalizer: normalizer)
        let reference = Reference(entries: entries, normalizer: normalizer)
        var matched = 0
        for _ in 0..<2_000 {
            let normalized = normalizer.normalize(phrase(12))
            let expected = reference.matches(normalized)
            #expect(Self.found(matcher, normalized) == expected)
            matched += expected.count
        }
        #expect(matched > 1_000)
    }
}
