import BulwarkCore
import BulwarkText
import Testing

/// Hostile and random input never crashes the decoder or the engine, and every evidence span
/// stays inside the text it points at.
struct RobustnessTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(next() % UInt64(xs.count))] }
    }

    /// Scalars that exercise every normalisation path.
    static let alphabet: [Unicode.Scalar] = Array(
        "aAzZ019 .-_#@$!|'\"«»„“”\n\t\u{200B}\u{200F}\u{2066}\u{FEFF}\u{0640}\u{064E}اأإآىةکیۓ٣۳ـدولةداعشИСІЅαοﬁＩ𝐈🏴🙂é́ñßİ"
            .unicodeScalars)

    @Test func randomTextNeverCrashesAndSpansStayInBounds() throws {
        let engine = try Fixtures.shared.get()
        var g = Generator(state: 99)
        var scratch = EngineScratch()
        for i in 0..<2_000 {
            let length = Int(g.next() % 80)
            var scalars = String.UnicodeScalarView()
            for _ in 0..<length { scalars.append(g.pick(Self.alphabet)) }
            let text = String(scalars)
            let count = text.unicodeScalars.count
            let verdict = engine.scan(TextItem(id: "r\(i)", text: text), scratch: &scratch)
            #expect((0...1).contains(verdict.score))
            for e in verdict.evidence {
                if let start = e.start, let end = e.end {
                    #expect(0 <= start && start <= end && end <= count, "\(e) in \(text.debugDescription)")
                }
            }
            let normalized = TextNormalizer().normalize(text)
            #expect(normalized.origins.count == normalized.bytes.count)
            #expect(String(validating: normalized.bytes, as: UTF8.self) != nil)
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var g = Generator(state: 7)
        let pieces: [[UInt8]] = [
            Array(#"{"id":"a","text":"#.utf8), Array(#""}"#.utf8), Array(#"\u"#.utf8), Array(#"\ud800"#.utf8),
            [0xFF], [0xC3], [0xE2, 0x82], Array("[{".utf8), Array("]}".utf8), Array(",:".utf8), Array("null".utf8),
            Array("\"".utf8), Array("\\".utf8), Array("12e5".utf8), Array(#""urls":["#.utf8),
        ]
        let decoder = TextItemDecoder(limits: JSONLinesLimits(maxLineBytes: 4_096, maxDepth: 16))
        var accepted = 0
        for _ in 0..<5_000 {
            var line: [UInt8] = []
            for _ in 0..<Int(g.next() % 12) { line.append(contentsOf: g.pick(pieces)) }
            do {
                let item = try decoder.decode(line)
                accepted += 1
                #expect(!item.id.isEmpty)
            } catch {
                if let offset = error.offset { #expect(offset >= 0 && offset <= line.count) }
            }
        }
        #expect(accepted < 5_000)
    }
}
