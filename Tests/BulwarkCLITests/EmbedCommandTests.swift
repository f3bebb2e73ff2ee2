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

struct FullModelCommandTests {
    @Test func scanWithTheFullModelSendsTitlesToTheEncoderAndKeepsClearCasesFast() throws {
        let input = """
            {"id":"room","type":"title","text":"Supporters of the Islamic State"}
            {"id":"chat","text":"Anyone up for football on Saturday? Bring water, it will be hot."}

            """
        let full = try CLI.run(["scan", "--model", "full"], stdin: input)
        #expect(full.status == 0, "\(full.stderr)")
        let verdicts = try CLI.lines(full.stdout)
        #expect(verdicts.map { $0["id"] as? String } == ["room", "chat"])
        let kinds = verdicts.map { (($0["evidence"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String } }
        #expect(kinds[0].contains("semantic"))
        #expect(!kinds[1].contains("semantic"))
        let fast = try CLI.lines(try CLI.run(["scan"], stdin: input).stdout)
        // The clear case is decided by the fast engine alone: the same verdict either way.
        #expect(fast[1]["decision"] as? String == verdicts[1]["decision"] as? String)
        #expect(fast[1]["score"] as? Double == verdicts[1]["score"] as? Double)
        let fastKinds = fast.map { (($0["evidence"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String } }
        #expect(!fastKinds[0].contains("semantic"))
    }

    @Test func aMissingSemanticHeadIsAClearError() throws {
        let r = try CLI.run(["scan", "--model", "full", "--semantic-head", "/nonexistent/head.bwsh"], stdin: "")
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/head.bwsh"), "\(r.stderr)")
    }
}

struct BenchOptionTests {
    /// `--items` and `--iterations` are declared by `bench` and read by its subcommands too
    /// (ArgumentParser gives a name to one command of the stack): `bench semantic` must obey them.
    @Test func benchSemanticTakesItemsAndIterations() throws {
        let r = try CLI.run(["bench", "semantic", "--items", "7", "--iterations", "1", "--kernel", "portable"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("items: 7 texts"), "\(r.stdout)")
        #expect(r.stdout.contains("1 passes"), "\(r.stdout)")
    }
}
