import BulwarkCore
import BulwarkText
import Foundation

/// Loads the project's real lexicon, model, language model and data for tests.
enum Fixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func bytes(_ relative: String) throws -> [UInt8] {
        let path = root + "/" + relative
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FixtureError("missing \(path); run scripts/setup.sh (and `bulwark train` for the model)")
        }
        return [UInt8](data)
    }

    static func items(_ relative: String) throws -> [TextItem] {
        let decoder = TextItemDecoder()
        var result: [TextItem] = []
        for (i, line) in try bytes(relative).split(separator: 0x0A).enumerated() where !line.isEmpty {
            do {
                result.append(try decoder.decode(line))
            } catch {
                throw FixtureError("\(relative): \(error.at(line: i + 1))")
            }
        }
        return result
    }

    static func devItems() throws -> [TextItem] {
        let dir = root + "/data/dev"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jsonl") }.sorted()
        return try files.flatMap { try items("data/dev/" + $0) }
    }

    static func arabicItems() throws -> [TextItem] {
        try items("../shared/data/text/arabic-isis-dev.jsonl")
    }

    static func lexicon() throws -> IndicatorLexicon { try IndicatorLexicon(json: bytes("data/lexicon/indicators.json")) }

    static func contextCues() throws -> ContextCues { try ContextCues(json: bytes("data/lexicon/contexts.json")) }

    static func model() throws -> ClassifierModel { try ClassifierModel(serialized: bytes("models/text-classifier.bwtc")) }

    static func languageIdentifier() throws -> LanguageIdentifier {
        try LanguageIdentifier(modelBytes: bytes(".bulwark/models/langid.bin"))
    }

    static func engine(known: KnownTextBank = KnownTextBank(), links: LinkList = LinkList()) throws -> TextEngine {
        TextEngine(
            lexicon: try lexicon(), contextCues: try contextCues(), model: try model(),
            languageIdentifier: try languageIdentifier(),
            knownTexts: known, linkList: links)
    }

    /// One engine for the whole test run (loading the model takes a moment).
    static let shared: Result<TextEngine, any Error> = Result { try engine() }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
