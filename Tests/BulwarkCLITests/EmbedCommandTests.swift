import Foundation
import Testing

struct EmbedCommandTests {
    @Test func writesOneUnitLengthEmbeddingPerItemInOrderAndSkipsTheMalformedLine() throws {
        let input = """
            {"id":"en","text":"The government condemned the attack."}
            {"id":"broken","text":
            {"id":"es","text":"El gobierno condenó el ataque."}
            {"id":"other","text":"Mi hermana cocina paella los domingos."}

            """
        let r = try CLI.run(["embed", "--ids"], stdin: input)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try CLI.lines(r.stdout)
        #expect(lines.map { $0["id"] as? String } == ["en", "es", "other"])
        #expect(r.stderr.contains("line 2"))
        let vectors = lines.map { ($0["embedding"] as? [Double]) ?? [] }
        for v in vectors {
            #expect(v.count == 512)
            #expect(abs(v.reduce(0) { $0 + $1 * $1 }.squareRoot() - 1) < 1e-5)
        }
        let ids = (lines[0]["ids"] as? [Int]) ?? []
        #expect(ids.first == 1 && ids.last == 2 && ids.count > 4)
        func cosine(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2)
    }
}
