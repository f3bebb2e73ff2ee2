import BulwarkCore
import BulwarkText
import Testing

struct AhoCorasickTests {
    @Test func findsEveryOccurrenceOfOverlappingPatterns() {
        let patterns = ["he", "she", "his", "hers"].map { Array($0.utf8) }
        let ac = AhoCorasick(patterns: patterns)
        let found = ac.matches(in: Array("ushers".utf8)).map { ($0.pattern, $0.range) }
        #expect(found.count == 3)
        #expect(found.contains { $0.0 == 1 && $0.1 == 1..<4 })  // she
        #expect(found.contains { $0.0 == 0 && $0.1 == 2..<4 })  // he
        #expect(found.contains { $0.0 == 3 && $0.1 == 2..<6 })  // hers
    }

    @Test func agreesWithNaiveSearchOnRandomInput() {
        var rng: UInt64 = 7
        func next() -> UInt64 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1
            return rng >> 33
        }
        let alphabet = Array("abc ".utf8)
        let patterns = (0..<30).map { _ in (0..<(1 + Int(next() % 4))).map { _ in alphabet[Int(next() % 3)] } }
        let text = (0..<2_000).map { _ in alphabet[Int(next() % 4)] }
        let ac = AhoCorasick(patterns: patterns)
        var expected = Set<String>()
        for (p, pattern) in patterns.enumerated() {
            for i in 0...(text.count - pattern.count) where Array(text[i..<(i + pattern.count)]) == pattern {
                expected.insert("\(p)@\(i)")
            }
        }
        let actual = Set(ac.matches(in: text).map { "\($0.pattern)@\($0.range.lowerBound)" })
        #expect(actual == expected)
    }
}

struct IndicatorMatcherTests {
    let lexicon = IndicatorLexicon(
        version: "test",
        entries: [
            .init(
                id: "org.is", kind: .organisation, name: "Islamic State", category: .dissemination, weight: 0.4,
                languages: ["en", "ar"], scripts: ["Latn", "Arab"], listed: ["UN"],
                patterns: ["islamic state", "isis", "daesh", "الدولة الإسلامية", "داعش"]),
            .init(
                id: "title.supporters", kind: .titlePattern, name: "Supporters of the Islamic State",
                category: .recruitment, weight: 0.7, languages: ["en"], scripts: ["Latn"], listed: [],
                patterns: ["supporters of the islamic state"]),
        ])

    @Test func matchesWholeWordsOnNormalisedText() {
        let matcher = IndicatorMatcher(lexicon: lexicon)
        let n = TextNormalizer()
        #expect(matcher.matches(in: n.normalize("Supporters of the ISLAMIC   State!")).map(\.entry).sorted() == [0, 1])
        #expect(matcher.matches(in: n.normalize("crisis management")).isEmpty)  // "isis" inside a word
        #expect(matcher.matches(in: n.normalize("d a e s h")).map(\.entry) == [0])
        #expect(matcher.matches(in: n.normalize("1S1S")).map(\.entry) == [0])
    }

    @Test func arabicPatternsMatchAfterCliticPrefixes() {
        let matcher = IndicatorMatcher(lexicon: lexicon)
        let n = TextNormalizer()
        #expect(matcher.matches(in: n.normalize("جنود الدولة الإسلامية")).map(\.entry) == [0])
        #expect(matcher.matches(in: n.normalize("وداعش")).map(\.entry) == [0])  // "and Daesh"
        #expect(matcher.matches(in: n.normalize("بداعش")).map(\.entry) == [0])  // "with Daesh"
        #expect(matcher.matches(in: n.normalize("مداعش")).isEmpty)  // not a clitic
    }

    @Test func evidenceSpansPointAtTheOriginalText() {
        let matcher = IndicatorMatcher(lexicon: lexicon)
        let text = "Join the D.A.E.S.H brothers"
        let normalized = TextNormalizer().normalize(text)
        let match = matcher.matches(in: normalized)
        #expect(match.count == 1)
        let source = normalized.sourceRange(of: match[0].normalizedRange)
        let scalars = Array(text.unicodeScalars)
        #expect(String(String.UnicodeScalarView(scalars[source])) == "D.A.E.S.H")
    }

    @Test func invalidLexiconFilesAreRejectedWithTheField() {
        let bad = #"{"version":"1","entries":[{"id":"a","kind":"organisation","name":"A","category":"threat","weight":2,"languages":[],"scripts":[],"patterns":["abc"]}]}"#
        do {
            _ = try IndicatorLexicon(json: Array(bad.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "entries[0].weight")
        }
        let wrongKind = #"{"version":"1","entries":[{"id":"a","kind":"rumour","name":"A","category":"threat","weight":0.2,"languages":[],"scripts":[],"patterns":["abc"]}]}"#
        #expect(throws: BulwarkError.self) { try IndicatorLexicon(json: Array(wrongKind.utf8)) }
    }
}

struct LinkTests {
    let extractor = LinkExtractor()

    @Test func extractsPlainAndDefangedLinks() {
        let links = extractor.links(
            in: "see hxxps://Files[.]Example[.]org/a/b?x=1#frag and www.news.example.com/x, or evil(.)example[dot]net.")
        #expect(links.map(\.url) == ["files.example.org/a/b?x=1", "news.example.com/x", "evil.example.net"])
        #expect(links.map(\.host) == ["files.example.org", "news.example.com", "evil.example.net"])
        #expect(links[0].start == 4)
    }

    @Test func ignoresProseThatOnlyLooksLikeDomains() {
        #expect(extractor.links(in: "the end.Then we left... e.g. 3.5 and file.py").isEmpty)
    }

    @Test func listMatchesUrlsAndDomainsWithSubdomains() {
        var list = LinkList()
        let added = [
            list.add("propaganda.example,fixture"), list.add("https://files.example.org/release-17.pdf"),
            list.add("not a link"),
        ]
        #expect(added == [true, true, false])
        let sub = extractor.links(in: "mirror at cdn.propaganda.example/v")[0]
        #expect(list.domainMatch(sub) == "propaganda.example")
        #expect(list.urlMatch(sub) == nil)
        let url = extractor.links(in: "hxxp://files.example.org/release-17.pdf")[0]
        #expect(list.urlMatch(url) == "files.example.org/release-17.pdf")
        let other = extractor.links(in: "https://example.org/")[0]
        #expect(list.domainMatch(other) == nil && list.urlMatch(other) == nil)
    }
}

struct LinkListFileTests {
    @Test func aListFileSkipsBlanksAndCommentsAndNamesTheLineOfABadEntry() throws {
        let list = try LinkList(listing: "# outlets\n\npropaganda.example,fixture\r\n  https://files.example.org/a.pdf  \n")
        #expect(list.count == 2)
        let extractor = LinkExtractor()
        #expect(list.domainMatch(extractor.links(in: "see cdn.propaganda.example/x")[0]) == "propaganda.example")
        // Windows line ends throughout.
        #expect(try LinkList(listing: "a.example\r\nb.example,label\r\nhttps://c.example/x\r\n").count == 3)
        do {
            _ = try LinkList(listing: "propaganda.example\r\n# note\nnot a link\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
            #expect(error.message == "not a URL or domain: not a link")
        }
    }
}

struct KnownTextBankTests {
    let normalizer = TextNormalizer()
    let original =
        "O youth of the ummah, the land of the caliphate calls you. Leave the cities of disbelief and give bay'ah to the commander of the faithful."

    func bank() -> KnownTextBank {
        var bank = KnownTextBank()
        bank.add(normalizer.normalize(original), entry: .init(id: "k1", category: .recruitment, source: "test"))
        bank.add(
            normalizer.normalize("A completely different text about football results and the weather this weekend."),
            entry: .init(id: "k2", source: "test"))
        return bank
    }

    @Test func exactMatchSurvivesCaseAccentsAndSpacing() throws {
        let match = try #require(bank().match(normalizer.normalize(original.uppercased() + "  !!")))
        #expect(match.exact)
        #expect(match.entry.id == "k1")
    }

    @Test func nearDuplicateWithSmallEditsIsRecognised() throws {
        let edited =
            "O youth of the umma, the land of the khilafah calls you!! Leave the cities of disbelief and give bay'ah to the commander of the faithful 🏴"
        let match = try #require(bank().match(normalizer.normalize(edited)))
        #expect(!match.exact)
        #expect(match.entry.id == "k1")
        #expect(match.similarity >= 0.6)
    }

    @Test func unrelatedTextDoesNotMatch() {
        #expect(bank().match(normalizer.normalize("The council met on Tuesday to discuss the new library budget and parking.")) == nil)
        #expect(bank().match(normalizer.normalize("short")) == nil)
    }
}
