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
}
