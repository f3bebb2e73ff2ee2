import BulwarkCore
import BulwarkText
import Testing

/// Each normalisation defeats its obfuscation: a violating dev item that the engine detects is still
/// detected, with the same indicators, after the obfuscation is applied.
struct ObfuscationTests {
    typealias Obfuscation = (name: String, apply: @Sendable (String) -> String)

    static let latin: [Obfuscation] = [
        ("accents", { String($0.map { c in ["a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü"][c] ?? c }) }),
        ("uppercase and fullwidth", {
            String(String.UnicodeScalarView($0.uppercased().unicodeScalars.map { s in
                (0x41...0x5A).contains(s.value) ? Unicode.Scalar(s.value + 0xFEE0) ?? s : s
            }))
        }),
        ("cyrillic homoglyphs", { String($0.map { c in ["a": "а", "o": "о", "e": "е", "c": "с", "p": "р"][c] ?? c }) }),
        ("leetspeak", { s in
            // Inside words only: a letter before and after.
            var out: [Character] = []
            let chars = Array(s)
            for (i, c) in chars.enumerated() {
                let inside = i > 0 && i + 1 < chars.count && chars[i - 1].isLetter && chars[i + 1].isLetter
                out.append(inside ? (["a": "4", "e": "3", "i": "1", "o": "0", "s": "5"][c] ?? c) : c)
            }
            return String(out)
        }),
        ("zero-width and bidi controls", { s in
            String(s.flatMap { c -> [Character] in c.isLetter ? [c, "\u{200B}"] : [c, "\u{2066}"] })
        }),
        ("elongation", { String($0.flatMap { c -> [Character] in "aeiou".contains(c) ? [c, c, c, c] : [c] }) }),
    ]

    static let arabic: [Obfuscation] = [
        ("tashkeel", { String($0.unicodeScalars.flatMap { s -> [Character] in
            (0x0628...0x064A).contains(s.value) ? [Character(s), "\u{064E}"] : [Character(s)] }) }),
        ("tatweel", { String($0.unicodeScalars.flatMap { s -> [Character] in
            (0x0628...0x0647).contains(s.value) ? [Character(s), "\u{0640}", "\u{0640}"] : [Character(s)] }) }),
        ("zero-width", { String($0.unicodeScalars.flatMap { s -> [Character] in
            (0x0621...0x064A).contains(s.value) ? [Character(s), "\u{200C}"] : [Character(s)] }) }),
        ("elongation", { String($0.flatMap { c -> [Character] in c == "و" || c == "ي" ? [c, c, c, c] : [c] }) }),
        ("persian letters and digits", { String($0.map { c in ["ك": "ک", "ي": "ی", "1": "۱", "2": "۲"][c] ?? c }) }),
    ]

    /// Violating dev items that the engine detects and that carry an indicator.
    func detectedSamples(lang: String, limit: Int) throws -> [(TextItem, Set<String>)] {
        let engine = try Fixtures.shared.get()
        var samples: [(TextItem, Set<String>)] = []
        for item in try Fixtures.devItems()
        where item.lang == lang && item.label == .violating {
            let verdict = engine.scan(item)
            let indicators = Set(verdict.evidence.filter { $0.kind == .indicator }.map(\.detail))
            if verdict.decision != .none && !indicators.isEmpty { samples.append((item, indicators)) }
            if samples.count == limit { break }
        }
        return samples
    }

    func check(_ samples: [(TextItem, Set<String>)], _ obfuscations: [Obfuscation]) throws {
        let engine = try Fixtures.shared.get()
        #expect(samples.count >= 3)
        for (item, indicators) in samples {
            for o in obfuscations {
                var variant = item
                variant.text = o.apply(item.text)
                #expect(variant.text != item.text, "\(o.name) changed nothing")
                let verdict = engine.scan(variant)
                let found = Set(verdict.evidence.filter { $0.kind == .indicator }.map(\.detail))
                #expect(verdict.decision != .none, "\(o.name): \(variant.text)")
                #expect(indicators.isSubset(of: found), "\(o.name): \(variant.text)")
            }
        }
    }

    @Test(arguments: ["en", "es", "fr", "de"])
    func latinScriptObfuscations(lang: String) throws {
        try check(detectedSamples(lang: lang, limit: 5), Self.latin)
    }

    @Test func arabicObfuscations() throws {
        try check(detectedSamples(lang: "ar", limit: 5), Self.arabic)
    }

    @Test func lettersSplitBySpacesOrDotsStillMatchTheLexicon() throws {
        let engine = try Fixtures.shared.get()
        for text in ["join the I.S.I.S brothers", "d a e s h soldiers, make hijra", "new A-M-A-Q release", "ج ن و د الخلافة"] {
            let verdict = engine.scan(TextItem(id: "s", text: text))
            #expect(verdict.evidence.contains { $0.kind == .indicator }, "\(text)")
        }
    }
}
