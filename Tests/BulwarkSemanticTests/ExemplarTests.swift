import BulwarkCore
import Testing

@testable import BulwarkSemantic

/// Exemplars are read from labelled JSON Lines (`data/semantic/exemplars.jsonl`) by one helper,
/// which `bulwark` and the `semantic` fuzz target both call.
struct ExemplarTests {
    let decoder = TextItemDecoder()

    func exemplar(_ line: String) throws -> Exemplar {
        try Exemplar(labelled: decoder.decode(Array(line.utf8)[...]))
    }

    @Test func aViolatingItemNamesItsCategoryAndAnotherItsKind() throws {
        let violating = try exemplar(
            #"{"id":"r1","lang":"es","text":"Únete a nosotros","label":"violating","category":"recruitment"}"#)
        #expect(violating == Exemplar(id: "r1", label: "recruitment", violating: true, language: "es", text: "Únete a nosotros"))
        let news = try exemplar(#"{"id":"n1","text":"Police arrested three men.","label":"none","kind":"news"}"#)
        #expect(news == Exemplar(id: "n1", label: "news", violating: false, language: nil, text: "Police arrested three men."))
    }

    @Test func aMissingLabelCategoryOrKindIsNamed() throws {
        let cases: [(String, String, String)] = [
            (#"{"id":"a","text":"x"}"#, "label", "exemplar a has no label"),
            (#"{"id":"b","text":"x","label":"violating"}"#, "category", "violating exemplar b has no category"),
            (#"{"id":"c","text":"x","label":"none"}"#, "kind", "exemplar c has no kind"),
        ]
        for (line, field, message) in cases {
            let error = #expect(throws: BulwarkError.self) { try exemplar(line) }
            #expect(error?.code == .missingField)
            #expect(error?.field == field)
            #expect(error?.message == message)
        }
    }

    /// The nearest exemplar is the one a plain dot product in Double picks, on its side only,
    /// with its cosine, for every length (the sums run 16 at a time, then one by one).
    @Test func theNearestExemplarIsTheOneWithTheLargestDotProductOnItsSide() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        func unit(_ n: Int) -> [Float] {
            let v = (0..<n).map { _ in random() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        for n in [1, 7, 15, 16, 17, 31, 33, 512] {
            let exemplars = (0..<40).map { i in
                Exemplar(id: "e\(i)", label: i % 2 == 0 ? "recruitment" : "news", violating: i % 2 == 0, language: nil, text: "")
            }
            let embeddings = exemplars.map { _ in unit(n) }
            let index = ExemplarIndex(exemplars, embeddings: embeddings)
            for _ in 0..<20 {
                let query = unit(n)
                for violating in [true, false] {
                    var expected: (Int, Double)?
                    for (i, e) in embeddings.enumerated() where exemplars[i].violating == violating {
                        let dot = zip(e, query).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                        if dot > (expected?.1 ?? -2) { expected = (i, dot) }
                    }
                    let found = index.nearest(query, violating: violating)
                    #expect(found?.exemplar.id == expected.map { "e\($0.0)" }, "n \(n)")
                    #expect(abs((found?.similarity ?? 9) - (expected?.1 ?? 0)) < 1e-5, "n \(n)")
                    #expect(found?.exemplar.violating == violating)
                }
            }
        }
        // An empty query: cosine 0 with every exemplar, the first of the side.
        let index = ExemplarIndex(
            [Exemplar(id: "a", label: "news", violating: false, language: nil, text: ""),
             Exemplar(id: "b", label: "threat", violating: true, language: nil, text: "")],
            embeddings: [unit(512), unit(512)])
        #expect(index.nearest([], violating: true)?.exemplar.id == "b")
        #expect(index.nearest([], violating: true)?.similarity == 0)
    }
}
