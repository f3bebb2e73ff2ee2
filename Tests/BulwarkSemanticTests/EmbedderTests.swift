import BulwarkCore
import BulwarkSemantic
import Foundation
import Testing

/// The exported model (scripts/setup.sh) and the reference written by the package's own
/// Python code (scripts/semantic-reference.py, run here on Fixtures/sentences.jsonl).
enum SemanticFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func bytes(_ relative: String) throws -> [UInt8] {
        let path = root + "/" + relative
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FixtureError("missing \(path); run scripts/setup.sh")
        }
        return [UInt8](data)
    }

    static let embedder: Result<Embedder, any Error> = Result {
        try Embedder(modelBytes: bytes(".bulwark/models/use-m3.bin"))
    }

    struct Item: Decodable, Sendable {
        var id: String
        var lang: String
        var text: String
        var normalized: String
        var ids: [Int32]
        var embedding: [Float]
    }

    struct Reference: Decodable, Sendable {
        var package: String
        var items: [Item]
    }

    static let sentencesPath = "Tests/BulwarkSemanticTests/Fixtures/sentences.jsonl"

    /// Runs the reference script once per test run.
    static let reference: Result<Reference, any Error> = Result {
        let out = NSTemporaryDirectory() + "bulwark-semantic-reference-\(UInt32.random(in: 0...UInt32.max)).json"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root + "/scripts/semantic-reference.py", root + "/" + sentencesPath, out]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: out) else {
            throw FixtureError("scripts/semantic-reference.py failed (status \(process.terminationStatus)); run scripts/setup.sh")
        }
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    static func item(_ id: String) throws -> Item {
        try #require(try reference.get().items.first { $0.id == id })
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

struct TokenizerTests {
    @Test func theReferenceCoversFiveLanguagesAndEdgeCases() throws {
        let items = try SemanticFixtures.reference.get().items
        let languages = Set(items.map(\.lang))
        #expect(languages.isSuperset(of: ["ar", "es", "en", "fr", "de"]))
        #expect(items.count >= 30)
        for language in ["ar", "es", "en", "fr", "de"] {
            #expect(items.filter { $0.lang == language }.count >= 5)
        }
    }

    @Test func normalisationEqualsTheReference() throws {
        let tokenizer = try SemanticFixtures.embedder.get().tokenizer
        for item in try SemanticFixtures.reference.get().items {
            let mine = String(decoding: tokenizer.normalize(item.text), as: UTF8.self)
            #expect(mine == item.normalized, "\(item.id)")
        }
    }

    @Test func pieceIDsEqualTheReference() throws {
        let tokenizer = try SemanticFixtures.embedder.get().tokenizer
        var mismatches = 0
        for item in try SemanticFixtures.reference.get().items {
            let ids = tokenizer.encode(item.text)
            #expect(ids == item.ids, "\(item.id): \(item.text)")
            if ids != item.ids { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func controlsAndEmptyText() throws {
        let tokenizer = try SemanticFixtures.embedder.get().tokenizer
        #expect(tokenizer.vocabularySize == 128_000)
        #expect(tokenizer.encode("") == [1, 0, 2])
        #expect(tokenizer.encode(" \t ") == [1, 0, 2])
        let ids = tokenizer.encode("hello")
        #expect(ids.first == 1 && ids.last == 2 && ids.count >= 3)
        // Leading, trailing and repeated spaces do not change the pieces.
        #expect(tokenizer.encode("  hello   world ") == tokenizer.encode("hello world"))
    }
}

struct EncoderTests {
    /// Every kernel this CPU runs (avx2 only where it has AVX2 and FMA, avx512 only where it
    /// has AVX-512).
    static let kernels = GemmKernel.allCases.filter(\.isAvailable)

    /// The C kernels this CPU runs.
    static let vectorKernels = kernels.filter { $0 != .portable }

    @Test(arguments: kernels, EncoderProducts.allCases)
    func embeddingsEqualTheReferenceWithinRounding(_ kernel: GemmKernel, _ products: EncoderProducts) throws {
        let embedder = try SemanticFixtures.embedder.get()
        let workspace = SentenceEncoder.Workspace(kernel: kernel, products: products)
        var lowest = 1.0
        for item in try SemanticFixtures.reference.get().items {
            let mine = embedder.embed(item.text, workspace: workspace)
            #expect(mine.count == 512)
            let cosine = Embedder.cosine(mine, item.embedding)
            lowest = min(lowest, cosine)
            #expect(cosine >= 1 - 1e-4, "\(item.id): cosine \(cosine)")
        }
        print("BulwarkSemantic: \(kernel) kernel, \(products) products, lowest cosine to the reference \(lowest)")
    }

    /// With integer per-token products the kernels still agree to rounding (the sentence-level
    /// products stay in float), and the embedding stays far closer to the float products' one
    /// than the reference tolerance asks.
    @Test(arguments: vectorKernels)
    func integerProductsAgreeAcrossKernelsAndWithTheFloatOnes(_ kernel: GemmKernel) throws {
        let embedder = try SemanticFixtures.embedder.get()
        let portable = SentenceEncoder.Workspace(kernel: .portable, products: .int16)
        let vector = SentenceEncoder.Workspace(kernel: kernel, products: .int16)
        let float = SentenceEncoder.Workspace(kernel: kernel, products: .float32)
        for item in try SemanticFixtures.reference.get().items {
            let a = embedder.embed(item.text, workspace: vector)
            let acrossKernels = Embedder.cosine(a, embedder.embed(item.text, workspace: portable))
            #expect(acrossKernels >= 1 - 1e-6, "\(item.id): cosine \(acrossKernels)")
            let againstFloat = Embedder.cosine(a, embedder.embed(item.text, workspace: float))
            #expect(againstFloat >= 1 - 1e-5, "\(item.id): cosine \(againstFloat)")
        }
    }

    /// The kernels differ only in rounding: on sentences of every length from 1 to 13 pieces
    /// and up (which exercises each of the vector kernels' row tails), the two embeddings agree
    /// far closer than either needs to agree with the reference.
    @Test(arguments: vectorKernels)
    func theVectorKernelsAgreeWithThePortableOne(_ kernel: GemmKernel) throws {
        let embedder = try SemanticFixtures.embedder.get()
        let portable = SentenceEncoder.Workspace(kernel: .portable)
        let vector = SentenceEncoder.Workspace(kernel: kernel)
        var texts = try SemanticFixtures.reference.get().items.map(\.text)
        let words = "uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece".split(separator: " ")
        for n in 0...words.count { texts.append(words.prefix(n).joined(separator: " ")) }
        var lengths = Set<Int>()
        for text in texts {
            lengths.insert(embedder.tokenizer.encode(text).count)
            let a = embedder.embed(text, workspace: portable)
            let b = embedder.embed(text, workspace: vector)
            let cosine = Embedder.cosine(a, b)
            #expect(cosine >= 1 - 1e-6, "\(text): cosine \(cosine)")
            #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 }, "\(text)")
        }
        #expect(Set(3...9).isSubset(of: lengths), "token counts covered: \(lengths.sorted())")
    }

    @Test func embeddingsAreUnitLengthAndIndependentOfTheWorkspace() throws {
        let embedder = try SemanticFixtures.embedder.get()
        let workspace = SentenceEncoder.Workspace()
        let long = embedder.embed(try SemanticFixtures.item("de-3").text, workspace: workspace)
        let short = embedder.embed(try SemanticFixtures.item("en-1").text, workspace: workspace)
        // A workspace grown by a longer sentence gives the same result as a fresh one.
        #expect(short == embedder.embed(try SemanticFixtures.item("en-1").text))
        for v in [long, short] {
            let norm = v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
        #expect(Embedder.cosine(long, short) < 0.9)
    }

    /// A batch gives each sentence the embedding it gets alone, bit for bit, with every kernel:
    /// the sentences' tokens share the per-token products, and a product of one row sums each
    /// element's terms in the order a tile of several rows does.
    @Test(arguments: kernels)
    func aBatchEmbedsEachSentenceAsItIsEmbeddedAlone(kernel: GemmKernel) throws {
        let embedder = try SemanticFixtures.embedder.get()
        let texts = try ["de-3", "en-1", "ar-1", "es-2", "fr-1"].map { try SemanticFixtures.item($0).text } + ["", "ok"]
        // No whole embedding kept: the batch of one below is computed, not copied.
        let workspace = SentenceEncoder.Workspace(kernel: kernel, cachedEmbeddings: 0)
        let batch = embedder.embed(batch: texts, workspace: workspace)
        #expect(batch.count == texts.count)
        for (text, b) in zip(texts, batch) {
            let alone = embedder.embed(text, workspace: SentenceEncoder.Workspace(kernel: kernel))
            let cosine = Embedder.cosine(alone, b)
            #expect(cosine >= 1 - 1e-6, "\(text): cosine \(cosine)")
            #expect(zip(alone, b).allSatisfy { abs($0 - $1) < 1e-5 }, "\(text)")
            let sameBits = alone == b
            #expect(sameBits, "\(text): largest difference \(zip(alone, b).map { abs($0 - $1) }.max() ?? 0)")
        }
        // A single sentence is embedded as a batch of one; no sentence, no embedding.
        #expect(embedder.embed(batch: [texts[1]], workspace: workspace) == [embedder.embed(texts[1], workspace: workspace)])
        #expect(embedder.embed(batch: [], workspace: workspace).isEmpty)
    }

    /// The property that makes the encoder useful for Bulwark: a sentence and its
    /// translation are closer than two unrelated sentences, across languages.
    @Test(arguments: [("en-3", "es-3", "es-2"), ("en-1", "es-1", "es-5"), ("en-3", "de-3", "de-2"), ("fr-1", "ar-1", "ar-2")])
    func translationsAreCloserThanUnrelatedSentences(_ ids: (String, String, String)) throws {
        let embedder = try SemanticFixtures.embedder.get()
        let a = embedder.embed(try SemanticFixtures.item(ids.0).text)
        let translation = embedder.embed(try SemanticFixtures.item(ids.1).text)
        let unrelated = embedder.embed(try SemanticFixtures.item(ids.2).text)
        let same = Embedder.cosine(a, translation)
        let other = Embedder.cosine(a, unrelated)
        #expect(same > other + 0.2, "\(ids): same meaning \(same), unrelated \(other)")
        #expect(same > 0.6)
    }

    @Test func aMalformedModelIsAnError() throws {
        let bytes = try SemanticFixtures.bytes(".bulwark/models/use-m3.bin")
        #expect(throws: BulwarkError.self) { try Embedder(modelBytes: Array(bytes.prefix(10_000))) }
        var wrongMagic = Array(bytes.prefix(4096))
        wrongMagic[0] = 0x58
        #expect(throws: BulwarkError.self) { try Embedder(modelBytes: wrongMagic) }
        #expect(throws: BulwarkError.self) { try Embedder(modelBytes: []) }
    }
}
