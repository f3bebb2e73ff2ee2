import BulwarkCore
import Testing

struct TrimmingTests {
    @Test func spacesTabsAndCarriageReturnsGoFromBothEndsOnly() {
        #expect(" \t abc def \r".trimmingSpaces == "abc def")
        #expect("abc".trimmingSpaces == "abc")
        #expect("".trimmingSpaces == "")
        #expect(" \t\r ".trimmingSpaces == "")
        // Not trimmed: newlines and other white space, and anything between the ends.
        #expect("\nabc\n".trimmingSpaces == "\nabc\n")
        #expect("\u{00A0}abc\u{3000}".trimmingSpaces == "\u{00A0}abc\u{3000}")
        // Text that is not ASCII at the ends is kept whole.
        #expect("  é,ñ 名前 ".trimmingSpaces == "é,ñ 名前")
        #expect(" \u{0661}\u{0662}\t".trimmingSpaces == "\u{0661}\u{0662}")
        // A substring, trimmed within its own bounds.
        let line = "x  inner  y"
        let inner = line.dropFirst().dropLast()
        #expect(inner.trimmingSpaces == "inner")
    }
}
