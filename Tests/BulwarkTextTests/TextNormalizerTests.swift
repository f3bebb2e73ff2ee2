import BulwarkText
import Testing

struct TextNormalizerTests {
    let normalizer = TextNormalizer()

    func normal(_ text: String) -> String { normalizer.normalize(text).string }

    @Test(arguments: [
        ("Islamic State", " islamic state "),
        ("ISLAMIC   STATE!!!", " islamic state "),
        ("Estado Islámico", " estado islamico "),
        ("État islamique", " etat islamique "),
        ("Straße", " strase "),  // ß folds to ss, then the repeat collapses
        ("ＩＳＩＳ", " isis "),  // fullwidth (NFKC)
        ("𝐈𝐒𝐈𝐒", " isis "),  // mathematical bold (NFKC)
        ("ﬁght", " fight "),  // ligature
    ])
    func unicodeFoldingAndCase(input: String, expected: String) {
        #expect(normal(input) == expected)
    }

    @Test func arabicDiacriticsTatweelAndLetterForms() {
        // Tashkeel, tatweel, alef with hamza, ta marbuta all fold away.
        #expect(normal("الدَّوْلَةُ الإِسْلَامِيَّةُ") == " الدوله الاسلاميه ")
        #expect(normal("الدولـــــة الاسلامية") == " الدوله الاسلاميه ")
        #expect(normal("أنصار") == normal("انصار"))
        #expect(normal("مصطفى") == normal("مصطفي"))
        // Persian/Urdu kaf and yeh unify with Arabic ones.
        #expect(normal("کتاب") == normal("كتاب"))
        #expect(normal("یوم") == normal("يوم"))
        // Arabic-Indic and Persian digits.
        #expect(normal("٢٠١٥") == " 2015 ")
        #expect(normal("۲۰۱۵") == " 2015 ")
        // Presentation forms (NFKC).
        #expect(normal("ﺍﻟﺪﻭﻟﺔ") == normal("الدولة"))
    }

    @Test func zeroWidthAndBidiControlsDoNotSplitWords() {
        #expect(normal("I\u{200B}S\u{200C}I\u{200D}S") == " isis ")
        #expect(normal("da\u{2067}wla\u{2069}") == " dawla ")
        #expect(normal("دا\u{200F}عش") == " داعش ")
    }

    @Test func homoglyphsInLatinWords() {
        // Cyrillic а, о and Greek ο inside Latin words.
        #expect(normal("Isl\u{0430}mic St\u{0430}te") == " islamic state ")
        #expect(normal("d\u{03BF}wla") == " dowla ")
        // An all-look-alike word in Latin text: Cyrillic І Ѕ І Ѕ.
        #expect(normal("join \u{0406}\u{0405}\u{0406}\u{0405} now") == " join isis now ")
        // Real Russian text is left alone.
        #expect(normal("Исламское государство") == " исламское государство ")
    }

    @Test func leetspeak() {
        #expect(normal("1s1s") == " isis ")
        #expect(normal("d4wl4") == " dawla ")
        #expect(normal("@nsar") == " ansar ")
        #expect(normal("i$is") == " isis ")
        // Numbers and trailing punctuation stay what they are.
        #expect(normal("2015 was hard!") == " 2015 was hard ")
        #expect(normal("covid19") == " covid19 ")
    }

    @Test func lettersSplitBySpacesDotsOrSymbols() {
        #expect(normal("I.S.I.S") == " isis ")
        #expect(normal("d a w l a") == " dawla ")
        #expect(normal("i - s - i - s") == " isis ")
        #expect(normal("د ا ع ش") == " داعش ")
        #expect(normal("j0in the 1.S.1.S brothers") == " join the isis brothers ")
        #expect(normal("top 5 a b") == " top 5 a b ")  // a lone number stays a number
        // Two single letters are not a split word.
        #expect(normal("a b test") == " a b test ")
        // A line break ends a run.
        #expect(normal("a b\nc d") == " a b c d ")
    }

    @Test func elongations() {
        #expect(normal("daaaawla") == " dawla ")
        #expect(normal("دووووولة") == normal("دولة"))
    }

    @Test func offsetsPointAtTheOriginalText() throws {
        let text = "Join the Dääääwla now 🙂"
        let n = normalizer.normalize(text)
        let needle = Array(" dawla ".utf8)
        var found: Range<Int>?
        for i in 0...(n.bytes.count - needle.count) where Array(n.bytes[i..<(i + needle.count)]) == needle {
            found = (i + 1)..<(i + needle.count - 1)
        }
        let range = try #require(found)
        let source = n.sourceRange(of: range)
        let scalars = Array(text.unicodeScalars)
        let original = String(String.UnicodeScalarView(scalars[source]))
        #expect(original == "Dääääwla")
        #expect(n.sourceScalarCount == scalars.count)
    }

    @Test func emptyAndSymbolOnlyText() {
        #expect(normal("") == " ")
        #expect(normal("🙂🙂 !!! ...") == " ")
    }
}

struct QuotationTests {
    func quotedWords(_ text: String) -> [String] {
        let n = TextNormalizer().normalize(text)
        return n.quoted.map { String(decoding: n.bytes[$0], as: UTF8.self) }
    }

    @Test func wordsInsideQuotationMarksAreMarked() {
        #expect(quotedWords(#"They shout "remaining and expanding" but lost"#) == ["remaining", "and", "expanding"])
        #expect(quotedWords("« Le califat reviendra » qu'ils disaient") == ["le", "califat", "reviendra"])
        #expect(quotedWords("„Islamischer Staat“ heißt es") == ["islamischer", "stat"])  // repeated letters collapse
        #expect(quotedWords("'The caliphate is returning' posts again?") == ["the", "caliphate", "is", "returning"])
        #expect(quotedWords("no quotes in bay'ah here").isEmpty)
    }
}
