import BulwarkCore
import Foundation
import Testing

@testable import BulwarkText

/// The content key: the same text however it is disguised has one key; another text, another
/// key; a text too short to be the same content has none.
struct ContentKeyTests {
    static let text = "Soldiers of the Caliphate, join the Islamic State now: your brothers wait for you, make hijra and fight with them"

    @Test func disguisedCopiesShareTheKeyAndOtherTextsDoNot() throws {
        let normalizer = TextNormalizer()
        let key = try #require(ContentKey.of(Self.text, normalizer: normalizer))
        #expect(key.count == 32 && key.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        let disguised = [
            Self.text.uppercased(),
            Self.text.replacingOccurrences(of: "Caliphate", with: "Cali\u{200B}phate").replacingOccurrences(of: "hijra", with: "hi\u{200D}jra"),
            Self.text.replacingOccurrences(of: "Soldiers", with: "Sóldiers").replacingOccurrences(of: "Islamic", with: "Islámic"),
        ]
        for copy in disguised { #expect(ContentKey.of(copy, normalizer: normalizer) == key, "\(copy)") }
        let other = Self.text.replacingOccurrences(of: "fight with them", with: "pray with them")
        #expect(ContentKey.of(other, normalizer: normalizer).map { $0 != key } == true)
        // Under 40 bytes of normal form: no key.
        #expect(ContentKey.of("Join the Islamic State now, brothers", normalizer: normalizer) == nil)
        #expect(ContentKey.of("", normalizer: normalizer) == nil)
    }
}

/// The keys a batch scan gives (`EngineScratch.keepsContentKeys`, what the server stores and
/// looks up) are those of the whole texts, made from the normal form the scan made: the same as
/// `ContentKey.of` for every text, a text cut short at `maxTextBytes` included.
struct BatchContentKeyTests {
    @Test func aBatchScanGivesEachWholeTextsKey() throws {
        let engine = TextEngine(configuration: EngineConfiguration(maxTextBytes: 120))
        let base = ContentKeyTests.text
        let texts = [
            base,
            base.uppercased(),
            "Join the Islamic State now, brothers",  // too short for a key
            "",
            // Past 120 bytes: the scan reads the first 120, the key is the whole text's. Two texts
            // that differ only after the cut have the same scanned text and different keys.
            base + " " + base,
            base + " " + base.replacingOccurrences(of: "fight", with: "pray"),
            String(repeating: "دولة الخلافة باقية ", count: 12),
        ]
        let items = texts.enumerated().map { TextItem(id: "k\($0.offset)", text: $0.element) }
        var scratch = EngineScratch()
        _ = engine.scan(batch: items, scratch: &scratch)
        #expect(scratch.batchContentKeys.isEmpty)  // not asked for
        scratch.keepsContentKeys = true
        let verdicts = engine.scan(batch: items, scratch: &scratch)
        #expect(verdicts.count == texts.count)
        let expected = texts.map { ContentKey.of($0, normalizer: engine.normalizer) }
        #expect(scratch.batchContentKeys == expected)
        #expect(expected[2] == nil && expected[3] == nil && expected[4] != nil && expected[4] != expected[5])
        #expect(texts[4].utf8.count > 120 && texts[6].utf8.count > 120)
        // A second batch replaces the keys of the first.
        _ = engine.scan(batch: Array(items.prefix(2)), scratch: &scratch)
        #expect(scratch.batchContentKeys == Array(expected.prefix(2)))
    }
}
