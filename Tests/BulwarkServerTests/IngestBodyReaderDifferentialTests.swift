import BulwarkCore
import Foundation
import Testing

@testable import BulwarkServer

/// `IngestBodyReader` against `JSONDecoder` on bodies made at random (a fixed seed): the fields of
/// `POST /v1/items` with every JSON type, escapes in keys and strings, numbers in every notation,
/// repeated and unknown keys, batches, and some of them with bytes changed. Whenever the reader
/// gives items, they must be the ones `JSONDecoder` makes of the same body; when it gives nil, the
/// body goes to `JSONDecoder` anyway, so only its answers are checked.
struct IngestBodyReaderDifferentialTests {
    struct Maker {
        var rng: SplitMix64

        mutating func pick<T>(_ options: [T]) -> T { options[Int(rng.next() % UInt64(options.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
        mutating func space() -> String { chance(80) ? "" : pick([" ", "\n", "\t ", "\r\n  "]) }

        static let strings = [
            #""a""#, #""""#, #""p-1""#, #""\u00e9t\u00E9""#, #""\ud83d\ude00""#, #""\"q\" \\ \/""#, #""line\none\ttab""#,
            #""é ü 😀 ت""#, #""\u0000""#, #""\b\f\r""#, #""x\u0022""#,
        ]
        static let numbers = [
            "0", "-0", "5", "-5", "32000", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
            "-9223372036854775809", "123456789012345678", "1234567890123456789", "99999999999999999999", "1.0", "1.5",
            "-0.0", "1e2", "1E+2", "5e0", "2.5e-3", "10000000000", "10000000001", "253402300799", "253402300800",
        ]

        mutating func scalar(_ preferred: String) -> String {
            switch rng.next() % 30 {
            case 0: return "null"
            case 1: return pick(["true", "false"])
            case 2: return pick(Self.numbers)
            case 3: return pick(Self.strings)
            case 4: return pick(["[]", "{}", "[1, {\"x\": [null]}]", "{\"deep\": {\"er\": []}}"])
            default: return preferred == "string" ? pick(Self.strings) : pick(Self.numbers)
            }
        }

        /// A key, its letters sometimes escaped (`\u0074ext` is `text`).
        mutating func key(_ name: String) -> String {
            guard chance(15), !name.isEmpty else { return "\"\(name)\"" }
            let scalars = Array(name.unicodeScalars)
            let i = Int(rng.next() % UInt64(scalars.count))
            let hex = String(scalars[i].value, radix: 16)
            let escaped = "\\u" + String(repeating: "0", count: 4 - hex.count) + (chance(50) ? hex : hex.uppercased())
            var out = ""
            for (j, s) in scalars.enumerated() { out += j == i ? escaped : String(s) }
            return "\"\(out)\""
        }

        mutating func object(_ fields: [(String, String)]) -> String {
            var members: [(String, String)] = []
            for (name, kind) in fields where chance(name == "id" || name == "text" ? 92 : 45) {
                members.append((name, value(kind)))
            }
            if chance(15) { members.append((pick(["extra", "te\u{78}t2", "Text", "ID", ""]), scalar("string"))) }
            if chance(6), let repeated = members.first { members.append((repeated.0, value("string"))) }
            members.shuffle(using: &rng)
            let body = members.map { space() + key($0.0) + space() + ":" + space() + $0.1 + space() }
            return "{" + body.joined(separator: ",") + "}"
        }

        mutating func value(_ kind: String) -> String {
            switch kind {
            case "container" where chance(85):
                return object([("id", "string"), ("title", "string"), ("kind", "string"), ("avatar_pdq", "string"),
                               ("followers", "int"), ("members", "int")])
            case "media" where chance(85):
                let parts = (0..<Int(rng.next() % 3)).map { _ in
                    object([("data", "string"), ("content_type", "string"), ("md5", "string"), ("sha256", "string"),
                            ("pdq", "string"), ("pdq_quality", "int"), ("frames", "frames")])
                }
                return "[" + parts.joined(separator: ",") + "]"
            case "frames" where chance(85):
                let frames = (0..<Int(rng.next() % 3)).map { _ in object([("pdq", "string"), ("quality", "int"), ("frame", "int")]) }
                return "[" + frames.joined(separator: ",") + "]"
            case "urls" where chance(85):
                return "[" + (0..<Int(rng.next() % 3)).map { _ in space() + scalar("string") }.joined(separator: ",") + "]"
            default:
                return scalar(kind)
            }
        }

        static let itemFields = [
            ("platform", "string"), ("id", "string"), ("type", "string"), ("text", "string"), ("urls", "urls"),
            ("lang", "string"), ("author", "string"), ("author_avatar_pdq", "string"), ("container", "container"),
            ("media", "media"), ("posted_at", "int"),
        ]

        mutating func body() -> String {
            // A lone surrogate now and then: `JSONSyntax` refuses it (400) before any decoder sees it.
            if chance(1) { return #"{"id":"a","text":"\ud800"}"# }
            let text: String
            if chance(30) {
                let items = (0..<Int(rng.next() % 4)).map { _ in space() + object(Self.itemFields) }
                var top = ["\"items\":" + space() + "[" + items.joined(separator: ",") + "]"]
                if chance(20) { top.append("\"id\":\"ignored\"") }
                if chance(5) { top.append("\"items\":[]") }
                top.shuffle(using: &rng)
                text = space() + "{" + top.joined(separator: ",") + "}" + space()
            } else {
                text = space() + object(Self.itemFields) + space()
            }
            guard chance(25) else { return text }
            // Some bytes changed: most such bodies are no longer JSON and are skipped.
            var bytes = Array(text.utf8)
            for _ in 0..<(1 + Int(rng.next() % 3)) where !bytes.isEmpty {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = pick(Array(#"{}[]":,0123456789-+.eE\ u"ntf"#.utf8))
                case 1: bytes.remove(at: at)
                default: bytes.insert(pick(Array(#" "\0159.,:}]"#.utf8)), at: at)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    @Test func itemsTheReaderGivesAreTheOnesJSONDecoderMakes() {
        var maker = Maker(rng: SplitMix64(seed: 0x1A6E57))
        var valid = 0, readFast = 0, decoded = 0, mismatches: [String] = []
        for _ in 0..<20_000 {
            let body = Array(maker.body().utf8)
            guard JSONSyntax.firstError(in: body, maxDepth: BulwarkService.maxBodyDepth) == nil else { continue }
            valid += 1
            let foundation = try? JSONDecoder().decode(IngestBody.self, from: Data(body))
            if foundation != nil { decoded += 1 }
            guard let read = IngestBodyReader.read(body) else { continue }
            readFast += 1
            if read != foundation, mismatches.count < 5 { mismatches.append(String(decoding: body, as: UTF8.self)) }
        }
        #expect(mismatches.isEmpty, "read otherwise than JSONDecoder: \(mismatches)")
        // The bodies reach both sides: many are valid JSON, many decode, and the reader takes most of those.
        #expect(valid > 12_000, "\(valid) valid bodies")
        #expect(decoded > 3_000, "\(decoded) decoded")
        #expect(readFast > decoded / 2, "\(readFast) read by the reader of \(decoded) decoded")
    }
}
