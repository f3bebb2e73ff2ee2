internal import BulwarkCascade
internal import BulwarkCore
internal import BulwarkSemantic
internal import BulwarkText
internal import Foundation
internal import FuzzDriver
internal import FuzzEngines
internal import FuzzSupport

// The `full` model as `bulwark scan --model full` and `bulwark serve --model full` run it on
// what users write: the SentencePiece tokenizer, the sentence encoder with the pieces it keeps
// (PieceCache), the head, the exemplars and the cascade over the text engine. The first byte
// picks the mode; the rest is:
//   0: one text. Its pieces: <s> first, </s> last, every id in the vocabulary. Its embedding
//      computed with the workspace kept across inputs (4,096 pieces, warm from earlier inputs),
//      with a workspace of 8 pieces (evicting in nearly every batch, also kept across inputs) and
//      with one that keeps none: equal bit for bit, finite, of length 1 or 0. And with a
//      workspace that keeps whole embeddings across inputs, as `scan` and `serve` do: the text
//      read twice gets the same floats both times, those of its first computation (which may
//      have been in a batch of mode 1), the same bits as computed alone.
//   1: up to 16 texts (the rest cut at newlines): embedded as one batch and each alone (computed,
//      not kept): each embedding the same bit for bit. The batch goes through the workspace that
//      keeps whole embeddings too, and gets the same bits.
//   2: JSON Lines. The items are scanned by the cascade as one batch, and each alone with a
//      scratch that keeps no whole embedding: the verdicts pass the text-engine target's checks,
//      and batch and single are the same verdict.
//   3: one text, of the item type the first byte picks: the fast verdict and the cascade's. Not
//      routed to the encoder: the same verdict. Routed: a `semantic` evidence entry (unless the
//      fast verdict already had the most evidence entries), the same id and language, and the
//      score lowered only where the configuration allows it.

let target = "semantic"
let fast = FuzzEngines.loadTextEngine(target: target)
let cascade = loadCascade()
let embedder = cascade.semantic!.embedder
let decoder = FuzzEngines.decoder
let types: [ItemType?] = [nil] + ItemType.allCases
// Kept across inputs, as `scan` keeps one per thread and the server one per request in turn.
// `warm` and `small` keep pieces and no whole embedding, so that each call computes; `keeping`
// keeps whole embeddings too, as `scan` and `serve` do (a text read again is copied, not
// computed, and its floats are those of its first computation).
nonisolated(unsafe) let warm = SentenceEncoder.Workspace(cachedEmbeddings: 0)
nonisolated(unsafe) let small = SentenceEncoder.Workspace(cachedPieces: 8, cachedEmbeddings: 0)
nonisolated(unsafe) let keeping = SentenceEncoder.Workspace()
nonisolated(unsafe) var cascadeScratch = cascade.makeScratch()
nonisolated(unsafe) var computingScratch = cascade.makeScratch(
    cachedPieces: SentenceEncoder.Workspace.standardCachedPieces, cachedEmbeddings: 0)

func read(_ relative: String) -> [UInt8] { FuzzEngines.read(relative, target: target) }

func loadCascade() -> CascadeEngine {
    do {
        // As `EngineOptions.loadSemanticModel` loads them.
        let embedder = try Embedder(modelBytes: read(".bulwark/models/use-m3.bin"))
        let head = try SemanticHead(serialized: read("models/semantic-head.bwsh"))
        var exemplars: [Exemplar] = []
        for line in read("data/semantic/exemplars.jsonl").split(separator: UInt8(ascii: "\n")) {
            exemplars.append(try Exemplar(labelled: decoder.decode(line)))
        }
        let semantic = try SemanticModel(
            embedder: embedder, head: head, exemplars: ExemplarIndex(exemplars, embedder: embedder))
        return CascadeEngine(fast: fast, semantic: semantic)
    } catch {
        Fuzz.printError("fuzz-\(target): cannot load the semantic model: \(error)")
        exit(1)
    }
}

/// Finite values of length 1 (or all zero).
func checkEmbedding(_ v: [Float], _ what: String) {
    guard v.count == Embedder.dimension else { Fuzz.fail("\(what): \(v.count) values") }
    var norm = 0.0
    for x in v {
        guard x.isFinite else { Fuzz.fail("\(what): a value is \(x)") }
        norm += Double(x) * Double(x)
    }
    guard norm == 0 || abs(norm.squareRoot() - 1) <= 1e-4 else { Fuzz.fail("\(what): length \(norm.squareRoot())") }
}

/// `a` and `b` are the same floats.
func checkSame(_ a: [Float], _ b: [Float], _ what: String) {
    guard a == b else {
        let largest = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        Fuzz.fail("\(what): differs by up to \(largest) (cosine \(Embedder.cosine(a, b)))")
    }
}

func checkPieces(_ text: String) {
    let ids = embedder.tokenizer.encode(text)
    guard ids.count >= 2, ids.first == 1, ids.last == 2 else {
        Fuzz.fail("pieces \(ids.prefix(8))… (\(ids.count)) do not start with <s> and end with </s>")
    }
    let vocabulary = embedder.tokenizer.vocabularySize
    guard ids.allSatisfy({ $0 >= 0 && Int($0) < vocabulary }) else { Fuzz.fail("a piece id outside the vocabulary") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
    switch Int(data[0]) % 4 {
    case 0:
        let text = String(decoding: rest, as: UTF8.self)
        checkPieces(text)
        let kept = embedder.embed(text, workspace: warm)
        checkEmbedding(kept, "the embedding")
        guard embedder.embed(text, workspace: small) == kept else {
            Fuzz.fail("the embedding with 8 entries kept differs from the one with 4,096")
        }
        guard embedder.embed(text, workspace: SentenceEncoder.Workspace(cachedPieces: 0, cachedEmbeddings: 0)) == kept else {
            Fuzz.fail("the embedding with no entry kept differs from the one with entries kept")
        }
        let first = embedder.embed(text, workspace: keeping)
        guard embedder.embed(text, workspace: keeping) == first else {
            Fuzz.fail("a text read again did not get the floats of its first computation")
        }
        checkSame(first, kept, "the kept embedding, to the one computed alone")
    case 1:
        let texts = rest.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(16)
            .map { String(decoding: UnsafeBufferPointer(rebasing: $0), as: UTF8.self) }
        let batch = embedder.embed(batch: texts, workspace: warm)
        guard batch.count == texts.count else { Fuzz.fail("\(batch.count) embeddings for \(texts.count) texts") }
        let keptBatch = embedder.embed(batch: texts, workspace: keeping)
        for (i, text) in texts.enumerated() {
            checkEmbedding(batch[i], "embedding \(i) of the batch")
            checkSame(batch[i], embedder.embed(text, workspace: warm), "text \(i) of the batch, to its embedding alone")
            checkSame(keptBatch[i], batch[i], "text \(i) of the batch, kept")
        }
    case 2:
        var items: [TextItem] = []
        for line in rest.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(64) {
            if let item = try? decoder.decode(line) { items.append(item) }
        }
        let verdicts = cascade.scan(batch: items, scratch: &cascadeScratch)
        guard verdicts.count == items.count else { Fuzz.fail("\(verdicts.count) verdicts for \(items.count) items") }
        for (item, verdict) in zip(items, verdicts) {
            FuzzEngines.check(verdict, of: item)
            let alone = cascade.scan(item, scratch: &computingScratch)
            FuzzEngines.check(alone, of: item)
            guard alone == verdict else {
                Fuzz.fail("item \(item.id): in the batch \(verdict.decision) \(verdict.score), alone \(alone.decision) \(alone.score)")
            }
        }
    default:
        let type = types[(Int(data[0]) / 4) % types.count]
        let item = TextItem(id: "a", text: String(decoding: rest, as: UTF8.self), type: type)
        var engineScratch = EngineScratch()
        let quick = fast.scan(item, scratch: &engineScratch)
        let routed = cascade.routesToEncoder(item, quick, topicProbability: engineScratch.topicProbability)
        let full = cascade.scan(item, scratch: &cascadeScratch)
        FuzzEngines.check(full, of: item)
        if !routed {
            guard full == quick else { Fuzz.fail("not routed to the encoder, yet the verdict changed") }
            return 0
        }
        let c = fast.configuration
        guard full.language == quick.language else { Fuzz.fail("the encoder changed the language") }
        guard full.evidence.contains(where: { $0.kind == .semantic }) || quick.evidence.count >= c.maxEvidence else {
            Fuzz.fail("routed to the encoder, but no semantic evidence")
        }
        let lexicon = quick.evidence.contains { $0.kind == .indicator || $0.kind == .domain }
        if full.score < quick.score - 1e-12 {
            guard c.isFamiliar(quick.language), !lexicon else {
                Fuzz.fail("the encoder lowered \(quick.score) to \(full.score) where it may only raise")
            }
        }
        if quick.decision == .review && quick.score < c.reviewThreshold {
            guard full.decision != .none else { Fuzz.fail("the encoder undid a rule's review") }
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked(seeds)
    _ = cascade  // loaded before the first input, not inside its time
    return 0
}

/// The sample input (as JSON Lines, each text alone in every mode, all texts as one batch), the
/// encoder's reference sentences, and texts with odd Unicode.
func seeds() -> [(name: String, bytes: [UInt8])] {
    var out: [(String, [UInt8])] = [("sample.jsonl", [2] + read("examples/sample.jsonl"))]
    var texts = FuzzEngines.sampleTexts(target: target)
    for line in read("Tests/BulwarkSemanticTests/Fixtures/sentences.jsonl").split(separator: UInt8(ascii: "\n")) {
        if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let text = object["text"] as? String {
            texts.append(text)
        }
    }
    texts += [
        "", " ", "\u{3000}ＦＵＬＬ\u{00A0}ｗｉｄｔｈ ﬁ ﬂ", "<s></s><unk> <s>", "🏴\u{200D}☠️ 🙂🙂🙂", "漢字かなカナ한국어",
        "ٱلدَّوْلَة ـــ الاسلاميه ١٢٣", "\u{0}\u{1}\u{7F}\u{FEFF}e\u{301}\u{202E}abc\u{202C}",
    ]
    for (i, text) in texts.enumerated() {
        out.append(("text-\(i)", [0] + Array(text.utf8)))
        out.append(("item-\(i)", [UInt8(3 + 4 * (i % 7))] + Array(text.utf8)))
    }
    out.append(("batch", [1] + Array(texts.prefix(16).joined(separator: "\n").utf8)))
    return out
}

@_cdecl("fuzz_semantic_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
