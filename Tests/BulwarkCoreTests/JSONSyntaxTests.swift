import BulwarkCore
import Foundation
import Testing

struct JSONSyntaxTests {
    static func error(_ text: String, maxDepth: Int = JSONSyntax.standardMaxDepth) -> JSONSyntaxError? {
        JSONSyntax.firstError(in: Array(text.utf8), maxDepth: maxDepth)
    }

    @Test(arguments: [
        #"{"id":"a","text":"b"}"#,
        " \n\t{\"items\":[{\"id\":\"a\",\"text\":\"x\",\"media\":[]}]}\r\n",
        #"[0,-0,1.5,-2e10,3E+2,4e-3,0.25,123456789012345678901234567890]"#,
        #"["\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00", "é", "مرحبا", "😀"]"#,
        "true", "null", "\"\"", "[]", "{}", "[[[]]]", "-1",
    ])
    func validJSONHasNoError(_ text: String) {
        let e = Self.error(text)
        #expect(e == nil, "\(text): \(e?.description ?? "")")
    }

    /// Each case: the text, the byte offset reported, and a word the reason must hold.
    @Test(arguments: [
        (#"{"id":"a","text":"b",}"#, 21, "key"),  // a comma before '}' (Foundation takes it)
        (#"[1,2,]"#, 5, "value"),
        (#"{"a" 1}"#, 5, "':'"),
        (#"{"a":1 "b":2}"#, 7, "','"),
        ("{\"a\":\n  01}", 9, "0"),
        (#"[1.]"#, 3, "'.'"),
        (#"[.5]"#, 1, "value"),
        (#"[+1]"#, 1, "value"),
        (#"[-]"#, 2, "digit"),
        (#"[1e]"#, 3, "exponent"),
        (#"["abc"#, 5, "unterminated"),
        ("[\"a\u{01}b\"]", 3, "control"),
        (#"["a\xb"]"#, 3, "escape"),
        (#"["\u12G4"]"#, 2, "hex"),
        (#"["\uD800"]"#, 2, "high surrogate"),
        (#"["\uDC00"]"#, 2, "low surrogate"),
        (#"["\uD800\u0041"]"#, 8, "high surrogate"),
        (#"{} x"#, 3, "after"),
        ("", 0, "end of the text"),
        ("   ", 3, "end of the text"),
        (#"[tru]"#, 1, "value"),
        (#"[NaN]"#, 1, "value"),
        (#"{"a":Infinity}"#, 5, "value"),
        (#"{1:2}"#, 1, "key"),
    ])
    func anErrorSaysWhereAndWhat(_ text: String, _ offset: Int, _ word: String) throws {
        let e = try #require(Self.error(text), "\(text) was taken as valid")
        #expect(e.offset == offset, "\(text): \(e.description)")
        #expect(e.reason.contains(word), "\(text): \(e.description)")
    }

    @Test func lineAndColumnCountFromOne() throws {
        let e = try #require(Self.error("{\n  \"a\": 1,\n  \"b\": tru\n}"))
        #expect(e.offset == 19 && e.line == 3 && e.column == 8, "\(e.description)")
        #expect(e.description == "expected a value, found 't' at byte 19 (line 3, column 8)")
    }

    @Test func invalidUTF8IsFoundAtItsFirstByte() throws {
        let prefix = Array(#"{"text":"ab"#.utf8)  // 11 bytes
        let cases: [[UInt8]] = [
            [0xC3, 0x28],  // a lead byte without its continuation
            [0xC0, 0xAF],  // overlong '/'
            [0xED, 0xA0, 0x80],  // a surrogate in UTF-8
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xFF],
            [0xE2, 0x82],  // cut short by the closing quote
        ]
        for bad in cases {
            let text = prefix + bad + Array(#""}"#.utf8)
            let e = try #require(JSONSyntax.firstError(in: text), "\(bad) was taken as valid")
            #expect(e.offset == 11 && e.reason.contains("UTF-8"), "\(bad): \(e.description)")
        }
        #expect(JSONSyntax.firstError(in: prefix + [0xE2, 0x82, 0xAC] + Array(#""}"#.utf8)) == nil)  // €
    }

    @Test func nestingIsLimited() throws {
        let deep = String(repeating: "[", count: 5) + String(repeating: "]", count: 5)
        #expect(Self.error(deep, maxDepth: 5) == nil)
        let e = try #require(Self.error(deep, maxDepth: 4))
        #expect(e.offset == 4 && e.reason.contains("deeper than 4"))
        // The standard limit, and a very deep text that must not exhaust the stack.
        #expect(Self.error(String(repeating: "[", count: 100_000))?.offset == JSONSyntax.standardMaxDepth)
    }

    /// Against Python's `json` (strict: no NaN or Infinity, UTF-8 decoded strictly, no lone
    /// surrogates): a few thousand mutations of valid texts are accepted or refused alike.
    @Test(.enabled(if: JSONSyntaxTests.python != nil, "needs python3"))
    func mutatedTextsAreJudgedAsPythonsJSONJudgesThem() throws {
        let seeds: [[UInt8]] = [
            #"{"items":[{"id":"a-1","text":"Hola, ¿qué tal?","author":{"id":"u7"},"reach":12000}]}"#,
            #"[0,-0.5,1e3,true,false,null,"\u00e9\uD83D\uDE00\n\\\"",{"k":[[],{}]}]"#,
            #"{"text":"مرحبا بالعالم 😀","score":0.125,"tags":["a","b"]}"#,
        ].map { Array($0.utf8) }
        let alphabet: [UInt8] =
            Array(#"{}[],:"\ 0123456789.eE+-tfnulasrU"#.utf8) + [0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xED, 0xF0, 0xF4, 0xFF]
        var random = SplitMix64(seed: 2026)
        var texts: [[UInt8]] = []
        for _ in 0..<3_000 {
            var t = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<t.count, using: &random)
                let byte = alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
                switch Int.random(in: 0..<3, using: &random) {
                case 0: t[at] = byte
                case 1: t.insert(byte, at: at)
                default: if t.count > 1 { t.remove(at: at) }
                }
            }
            texts.append(t)
        }
        let verdicts = try Self.pythonVerdicts(texts)
        var disagreements: [String] = []
        var refused = 0
        for (t, python) in zip(texts, verdicts) {
            let mine = JSONSyntax.firstError(in: t) == nil
            if !mine { refused += 1 }
            if mine != python { disagreements.append("\(String(decoding: t, as: UTF8.self)): ours \(mine), python \(python)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(3))")
        #expect(refused > 1_000 && refused < 2_900, "mutations refused: \(refused) of 3,000")
    }

    /// python3 on the PATH (scripts/setup.sh installs it).
    static let python: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        .map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    static func pythonVerdicts(_ texts: [[UInt8]]) throws -> [Bool] {
        let script = """
            import base64, json, sys
            def refuse(name): raise ValueError(name)
            out = []
            for line in sys.stdin:
                try:
                    value = json.loads(base64.b64decode(line).decode("utf-8"), parse_constant=refuse)
                    json.dumps(value, ensure_ascii=False).encode("utf-8")
                    out.append("1")
                except Exception:
                    out.append("0")
            print("".join(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(python))
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let lines = texts.map { Data($0).base64EncodedString() }.joined(separator: "\n") + "\n"
        input.fileHandleForWriting.write(Data(lines.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let verdicts = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(verdicts.count == texts.count, "python answered \(verdicts.count) of \(texts.count)")
        return verdicts.map { $0 == "1" }
    }
}
