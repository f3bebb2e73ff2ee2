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
