public import BulwarkCore
public import BulwarkText
internal import Foundation
internal import FuzzSupport

/// What the text-engine and semantic targets share: the repository's files, the engine
/// `bulwark scan` loads, and the checks every verdict must pass.
public enum FuzzEngines {
    public static let decoder = TextItemDecoder()

    /// The repository's root: BULWARK_HOME, or four levels above this file.
    public static func root() -> String {
        if let home = ProcessInfo.processInfo.environment["BULWARK_HOME"], !home.isEmpty { return home }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }

    /// The bytes of a file of the repository, or the run stops with a message naming it.
    public static func read(_ relative: String, target: String) -> [UInt8] {
        let path = root() + "/" + relative
        guard let bytes = Fuzz.readFile(path) else {
            Fuzz.printError("fuzz-\(target): cannot read \(path) (run scripts/setup.sh; BULWARK_HOME names the repository)")
            exit(1)
        }
        return bytes
    }

    /// The texts of `examples/sample.jsonl`, in order (the targets' seeds).
    public static func sampleTexts(target: String) -> [String] {
        read("examples/sample.jsonl", target: target).split(separator: UInt8(ascii: "\n")).compactMap {
            try? decoder.decode($0).text
        }
    }

    /// The text engine as `bulwark scan` loads it (`EngineOptions.loadEngine`): the lexicon,
    /// context cues, classifier, language identifier, known texts and link list.
    public static func loadTextEngine(target: String) -> TextEngine {
        do {
            let normalizer = TextNormalizer()
            var bank = KnownTextBank()
            for line in read("data/known/texts.jsonl", target: target).split(separator: UInt8(ascii: "\n")) {
                bank.add(try decoder.decode(line), normalizer: normalizer)
            }
            let links = try LinkList(listing: String(decoding: read("data/known/links.txt", target: target), as: UTF8.self))
            return TextEngine(
                lexicon: try IndicatorLexicon(json: read("data/lexicon/indicators.json", target: target)),
                contextCues: try ContextCues(json: read("data/lexicon/contexts.json", target: target)),
                model: try ClassifierModel(serialized: read("models/text-classifier.bwtc", target: target)),
                languageIdentifier: try LanguageIdentifier(modelBytes: read(".bulwark/models/langid.bin", target: target)),
                knownTexts: bank, linkList: links)
        } catch {
            Fuzz.printError("fuzz-\(target): cannot load the engine: \(error)")
            exit(1)
        }
    }

    /// A verdict's invariants: the item's id; a score in 0...1; category scores in 0...1 in
    /// descending order; a language; evidence spans inside the item's text (scalar offsets,
    /// start <= end, both or neither); one JSON line that parses back with the same id,
    /// decision and score.
    public static func check(_ verdict: Verdict, of item: TextItem) {
        guard verdict.id == item.id else { Fuzz.fail("verdict id \(verdict.id) for item \(item.id)") }
        guard verdict.score.isFinite, (0...1).contains(verdict.score) else { Fuzz.fail("score \(verdict.score)") }
        var previous = Double.infinity
        for c in verdict.categories {
            guard c.score.isFinite, (0...1).contains(c.score), c.score <= previous else {
                Fuzz.fail("category scores \(verdict.categories)")
            }
            previous = c.score
        }
        guard !verdict.language.isEmpty else { Fuzz.fail("no language") }
        let scalars = item.text.unicodeScalars.count
        for e in verdict.evidence {
            switch (e.start, e.end) {
            case (nil, nil): continue
            case (let start?, let end?):
                guard start >= 0, start <= end, end <= scalars else {
                    Fuzz.fail("evidence \(e.kind) span \(start)..<\(end) outside a text of \(scalars) scalars")
                }
            default: Fuzz.fail("evidence \(e.kind) with one end of its span")
            }
        }
        var json: [UInt8] = []
        VerdictEncoder().encode(verdict, into: &json)
        guard json.last == UInt8(ascii: "\n"), !json.dropLast().contains(UInt8(ascii: "\n")) else {
            Fuzz.fail("the verdict is not one line")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
            object["id"] as? String == item.id, object["decision"] as? String == verdict.decision.rawValue,
            let score = (object["score"] as? NSNumber)?.doubleValue, abs(score - verdict.score) <= 1e-4
        else { Fuzz.fail("the verdict's JSON does not read back: \(String(decoding: json, as: UTF8.self))") }
    }
}
