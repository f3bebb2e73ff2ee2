import BulwarkCore
import Foundation
import Testing

struct TextItemDecoderTests {
    let decoder = TextItemDecoder()

    func decode(_ s: String) throws(BulwarkError) -> TextItem { try decoder.decode(Array(s.utf8)) }

    @Test func decodesKnownFieldsAndIgnoresUnknownOnes() throws {
        let item = try decode(
            #"{"id":"a1","text":"hello","lang":"es","type":"title","urls":["http://x.org"],"author":7,"#
                + #""label":"violating","category":"recruitment","kind":null,"extra":{"n":[1,2,{"x":true}],"f":-1.5e3}}"#)
        #expect(item.id == "a1")
        #expect(item.text == "hello")
        #expect(item.lang == "es")
        #expect(item.type == .title)
        #expect(item.urls == ["http://x.org"])
        #expect(item.author == "7")
        #expect(item.label == .violating)
        #expect(item.category == .recruitment)
        #expect(item.kind == nil)
    }

    @Test func integerIdsAreAccepted() throws {
        #expect(try decode(#"{"id": 42, "text": ""}"#).id == "42")
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let item = try decode(#"{"id":"x","text":"a\"b\\c\/d\n\u00e9\ud83d\ude00\u0627"}"#)
        #expect(item.text == "a\"b\\c/d\né😀ا")
    }

    @Test(arguments: [
        (#"{"id":"x","text":"abc"#, "unterminated string"),
        (#"{"id":"x" "text":"abc"}"#, "expected ',' or '}'"),
        (#"{"id":"x","text":"a\ud83d"}"#, "unpaired surrogate"),
        (#"{"id":"x","text":"a\q"}"#, "invalid escape"),
        (#"{"id":"x","text":"a"} trailing"#, "unexpected bytes"),
        (#"["not an object"]"#, "expected '{'"),
        (#"{"id":"x","text":"a","type":"video"}"#, "unknown type"),
    ])
    func malformedLinesGiveClearErrors(line: String, message: String) {
        #expect {
            try decode(line)
        } throws: { error in
            guard let error = error as? BulwarkError else { return false }
            return error.message.contains(message) && error.offset != nil
        }
    }

    /// Numbers follow RFC 8259's grammar, in fields read and in fields skipped; an id that is a
    /// number must be an integer.
    @Test(arguments: [
        (#"{"id":"x","text":"a","extra":1..2}"#, 31, "digit after '.'"),
        (#"{"id":"x","text":"a","extra":012}"#, 30, "may not start with 0"),
        (#"{"id":"x","text":"a","extra":[1e]}"#, 32, "exponent"),
        (#"{"id":"x","text":"a","extra":-}"#, 30, "expected a digit"),
        (#"{"id":"x","text":"a","extra":+1}"#, 29, "expected a value"),
        (#"{"id":-,"text":"a"}"#, 7, "expected a digit"),
        (#"{"id":007,"text":"a"}"#, 7, "may not start with 0"),
        (#"{"id":1.5,"text":"a"}"#, 6, "a fraction or an exponent"),
        (#"{"id":2e3,"text":"a"}"#, 6, "a fraction or an exponent"),
    ])
    func numbersFollowTheGrammar(line: String, offset: Int, message: String) {
        do {
            _ = try decode(line)
            Issue.record("\(line) was decoded")
        } catch {
            #expect(error.offset == offset && error.message.contains(message), "\(line): \(error)")
        }
    }

    @Test func numbersInTheGrammarAreTaken() throws {
        #expect(try decode(#"{"id":-7,"text":"a","extra":[0,-0.5,1e3,2E-2,1.5e+10]}"#).id == "-7")
        #expect(try decode(#"{"id":0,"text":"a"}"#).id == "0")
    }

    @Test func errorsNameTheFieldAndByteOffset() {
        let line = #"{"id":"x","text":"ok","label":"maybe"}"#
        do {
            _ = try decode(line)
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "label")
            #expect(error.offset == 30)
            #expect(error.code == .invalidField)
            #expect(error.at(line: 12).description.contains("line 12"))
        }
    }

    @Test func missingIdOrTextIsReported() {
        #expect(throws: BulwarkError.self) { try decode(#"{"text":"no id"}"#) }
        #expect(throws: BulwarkError.self) { try decode(#"{"id":"no text"}"#) }
        #expect(throws: BulwarkError.self) { try decode(#"{"id":"","text":"empty id"}"#) }
    }

    @Test func invalidUTF8IsReportedWithItsOffset() {
        var bytes = Array(#"{"id":"x","text":"ab"#.utf8)
        bytes.append(0xFF)
        bytes.append(contentsOf: Array(#""}"#.utf8))
        do {
            _ = try decoder.decode(bytes)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("UTF-8"))
            #expect(error.offset == 20)
        }
    }

    /// Sequences that decoding would repair into one U+FFFD of the same length (3 bytes), and
    /// an encoded surrogate, are refused as well: the check compares bytes, not lengths.
    @Test(arguments: [[0xF0, 0x9F, 0x98], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xC0, 0xAF]] as [[UInt8]])
    func invalidUTF8OfAnyLengthIsRefused(invalid: [UInt8]) {
        let bytes = Array(#"{"id":"x","text":"ab"#.utf8) + invalid + Array(#"cd"}"#.utf8)
        do {
            _ = try decoder.decode(bytes)
            Issue.record("expected an error for \(invalid)")
        } catch {
            #expect(error.message.contains("UTF-8"))
            #expect(error.field == "text")
            #expect(error.offset == 20)
        }
    }

    /// A line given as a slice of a larger buffer (decoded in place) or as a collection with no
    /// contiguous storage (copied first) decodes as the same line in an array of its own.
    @Test func slicesAndOtherCollectionsDecodeAsArraysDo() throws {
        let line = Array(#"{"id":"s1","text":"مرحبا é 😀","lang":"ar"}"#.utf8)
        let buffer = Array("junk\n".utf8) + line + Array("\nmore".utf8)
        let slice = buffer[5..<(5 + line.count)]
        let expected = try decoder.decode(line)
        #expect(try decoder.decode(slice) == expected)
        #expect(try decoder.decode(line.lazy.map { $0 }) == expected)
        #expect(expected.text == "مرحبا é 😀")
        var broken = buffer
        broken[5 + 19] = 0xFF  // the text's first byte
        do {
            _ = try decoder.decode(broken[5..<(5 + line.count)])
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 19, "the offset counts from the line's start, not the buffer's")
        }
    }

    @Test func lineLengthAndNestingLimitsAreEnforced() {
        let small = TextItemDecoder(limits: JSONLinesLimits(maxLineBytes: 30, maxDepth: 3))
        #expect(throws: BulwarkError.self) {
            try small.decode(Array(#"{"id":"x","text":"0123456789012345678"}"#.utf8))
        }
        let deep = TextItemDecoder(limits: JSONLinesLimits(maxLineBytes: 1000, maxDepth: 3))
        do {
            _ = try deep.decode(Array(#"{"id":"x","text":"","z":[[[[[1]]]]]}"#.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .limitExceeded)
        }
    }
}

struct VerdictEncoderTests {
    @Test func writesTheDataContractAsValidJSON() throws {
        let verdict = Verdict(
            id: "q\"1", decision: .review, score: 0.61234,
            categories: [CategoryScore(name: .recruitment, score: 0.5)], context: nil, language: "ar",
            evidence: [
                Evidence(kind: .indicator, detail: "org.x (organisation): X\n", start: 3, end: 9),
                Evidence(kind: .classifier, detail: "violating 0.61"),
            ])
        var out: [UInt8] = []
        VerdictEncoder().encode(verdict, into: &out)
        #expect(out.last == 0x0A)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        #expect(object["id"] as? String == "q\"1")
        #expect(object["decision"] as? String == "review")
        #expect((object["score"] as? Double).map { abs($0 - 0.6123) < 1e-9 } == true)
        #expect(object["context"] is NSNull)
        #expect(object["language"] as? String == "ar")
        let evidence = try #require(object["evidence"] as? [[String: Any]])
        #expect(evidence.count == 2)
        #expect(evidence[0]["start"] as? Int == 3)
        #expect(evidence[0]["detail"] as? String == "org.x (organisation): X\n")
        #expect(evidence[1]["start"] is NSNull)
        let categories = try #require(object["categories"] as? [[String: Any]])
        #expect(categories.first?["name"] as? String == "recruitment")
    }

    @Test(arguments: [(0.0, "0"), (1.0, "1"), (0.5, "0.5"), (0.12345, "0.1235"), (2.0, "1"), (-1.0, "0")])
    func scoresAreWrittenInRange(score: Double, expected: String) {
        var out: [UInt8] = []
        VerdictEncoder().encode(Verdict(id: "a", decision: .none, score: score), into: &out)
        #expect(String(decoding: out, as: UTF8.self).contains("\"score\":\(expected),"))
    }
}

struct EvaluationTests {
    @Test func countsPrecisionRecallAndFalsePositivesPerKind() {
        var e = Evaluation()
        let cases: [(Label, String?, Category?, Decision)] = [
            (.violating, nil, .recruitment, .violating),
            (.violating, nil, .threat, .review),
            (.violating, nil, .threat, .none),
            (.none, "news", nil, .review),
            (.none, "news", nil, .none),
            (.none, "religious", nil, .none),
        ]
        for (i, (label, kind, category, decision)) in cases.enumerated() {
            let item = TextItem(id: "\(i)", text: "", lang: "en", label: label, category: category, kind: kind)
            let categories = decision == .none ? [] : [CategoryScore(name: category ?? .incitement, score: 0.9)]
            e.add(item, Verdict(id: "\(i)", decision: decision, score: 0, categories: categories))
        }
        #expect(e.overall.truePositives == 2)
        #expect(e.overall.falseNegatives == 1)
        #expect(e.overall.falsePositives == 1)
        #expect(e.overall.trueNegatives == 2)
        #expect(e.overall.precision == 2.0 / 3.0)
        #expect(e.overall.recall == 2.0 / 3.0)
        #expect(e.violatingOnly.precision == 1)
        #expect(e.byKind["news"]?.falsePositiveRate == 0.5)
        #expect(e.byKind["religious"]?.falsePositiveRate == 0)
        #expect(e.byCategory[.threat]?.recall == 0.5)
        #expect(e.confusion[.violating]?[.review] == 1)
        #expect(e.byLanguage["en"]?.total == 6)
    }

    /// The words named in false positives' `term` evidence are counted once per item, lowercased;
    /// those of true positives and of other evidence are not.
    @Test func countsTheWordsFalsePositivesLeanedOn() {
        let term = Evidence.term("Will (sic)", share: 0.384, start: 3, end: 7)
        #expect(term.kind == .term && term.detail == "raised violating: Will (sic) (38%)")
        #expect(term.termWord == "Will (sic)")
        #expect(Evidence(kind: .classifier, detail: "raised violating: x (1%)").termWord == nil)

        var e = Evaluation()
        func add(_ label: Label, _ decision: Decision, _ words: [String]) {
            let item = TextItem(id: "i", text: "", lang: "en", label: label)
            let evidence = words.map { Evidence.term($0, share: 0.2, start: 0, end: 1) }
                + [Evidence(kind: .indicator, detail: "x (slogan): y", start: 0, end: 1)]
            e.add(item, Verdict(id: "i", decision: decision, score: 0.9, evidence: evidence))
        }
        add(.none, .violating, ["Will", "come"])
        add(.none, .review, ["will", "WILL", "repent"])
        add(.none, .none, ["ignored"])
        add(.violating, .violating, ["attack"])
        #expect(e.falsePositiveTerms == ["will": 2, "come": 1, "repent": 1])
        #expect(e.topFalsePositiveTerms(2).map(\.word) == ["will", "come"])
    }

    @Test func splitIsDeterministicAndRoughlyProportional() {
        var counts: [DatasetSplit: Int] = [:]
        for i in 0..<10_000 { counts[DatasetSplit.of(key: "item-\(i)"), default: 0] += 1 }
        #expect(DatasetSplit.of(key: "item-7") == DatasetSplit.of(key: "item-7"))
        #expect((1_700...2_300).contains(counts[.test] ?? 0))
        #expect((700...1_300).contains(counts[.tune] ?? 0))
        // A group keeps translations together.
        let a = TextItem(id: "en-1", text: "", group: "g-42")
        let b = TextItem(id: "de-9", text: "", group: "g-42")
        #expect(DatasetSplit.of(a) == DatasetSplit.of(b))
    }
}
