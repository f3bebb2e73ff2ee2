import ArgumentParser
import BulwarkCore
import BulwarkText
#if canImport(Glibc)
import Glibc
#endif

/// Where the engine's data lives: the lexicon, the classifier, the language model, known lists.
///
/// Looked up under `$BULWARK_HOME`, then the current directory and its parents, then the
/// directory of the executable and its parents (so `.build/release/bulwark` finds the repository).
struct Resources {
    static let lexicon = "data/lexicon/indicators.json"
    static let contextCues = "data/lexicon/contexts.json"
    static let classifier = "models/text-classifier.bwtc"
    static let languageModel = ".bulwark/models/langid.bin"
    static let knownTexts = "data/known/texts.jsonl"
    static let linkList = "data/known/links.txt"
    static let semanticHead = "models/semantic-head.bwsh"
    static let exemplars = "data/semantic/exemplars.jsonl"

    static func find(_ relative: String) -> String? {
        for root in roots() {
            let path = root + "/" + relative
            if fileExists(path) { return path }
        }
        return nil
    }

    static func roots() -> [String] {
        var result: [String] = []
        if let home = getenv("BULWARK_HOME") { result.append(String(cString: home)) }
        var buffer = [CChar](repeating: 0, count: 4096)
        if getcwd(&buffer, buffer.count) != nil {
            result.append(contentsOf: ancestors(cString(buffer)))
        }
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            buffer[n] = 0
            let exe = cString(buffer)
            if let slash = exe.lastIndex(of: "/") { result.append(contentsOf: ancestors(String(exe[..<slash]))) }
        }
        return result
    }

    static func cString(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func ancestors(_ path: String) -> [String] {
        var result: [String] = []
        var p = Substring(path)
        for _ in 0..<6 {
            result.append(String(p))
            guard let slash = p.lastIndex(of: "/"), slash != p.startIndex else { break }
            p = p[..<slash]
        }
        return result
    }
}

/// `--encoder`, in the engine's options and in `bench semantic` (see `BenchItemsOption`: one
/// declaration per name in a command stack, or the subcommand never sees the value).
struct EncoderOption: ParsableArguments {
    @Option(help: "The sentence encoder exported by scripts/setup.sh, for --model full and bench semantic. Default: \(Resources.semanticModel).")
    var encoder: String?
}

/// Options shared by the commands that run the engine.
struct EngineOptions: ParsableArguments {
    @Option(help: "Indicator lexicon (JSON). Default: \(Resources.lexicon).")
    var lexicon: String?

    @Option(help: "Context cue lexicon (JSON). Default: \(Resources.contextCues).")
    var contextCues: String?

    @Option(help: "Classifier model. Default: \(Resources.classifier).")
    var classifier: String?

    @Option(help: "fast: the text engine alone. full: the cascade, with the multilingual sentence encoder on the items the text engine finds uncertain, carrying an indicator, or titles.")
    var model: ModelKind = .fast

    @OptionGroup var encoderOption: EncoderOption
    /// With --model full: the sentence encoder file, or nil for the default.
    var encoder: String? { encoderOption.encoder }

    @Option(help: "With --model full: the head over the encoder's embeddings (`bulwark train --semantic`). Default: \(Resources.semanticHead).")
    var semanticHead: String?

    @Option(help: "With --model full: exemplar texts per category and context (labelled JSON Lines). Default: \(Resources.exemplars).")
    var exemplars: String?

    @Option(help: "Language-id model exported from py3langid (scripts/setup.sh makes it). Default: \(Resources.languageModel).")
    var languageModel: String?

    @Option(help: "Known violating texts (JSON Lines: id, text, category?, kind? naming the source list). Default: \(Resources.knownTexts) if present.")
    var knownTexts: String?

    @Option(help: "Known URLs and domains, one per line: value[,label]. Default: \(Resources.linkList) if present.")
    var links: String?

    @Flag(help: "Run without the classifier (known content and indicators only).")
    var noModel = false

    @Option(help: "Override the calibrated probability for `violating` (default 0.85).")
    var violatingThreshold: Double?

    @Option(help: "Override the calibrated probability for `review` (default 0.55).")
    var reviewThreshold: Double?

    @Option(help: "Override the probability at which a non-violating context is named (default 0.4).")
    var contextThreshold: Double?

    @Option(help: ArgumentHelp("With --model full: override the encoder's share of the blended probability (default in EngineConfiguration).", visibility: .hidden))
    var semanticWeight: Double?

    @Option(help: ArgumentHelp("With --model full: override the lower end of the fast probability band sent to the encoder.", visibility: .hidden))
    var semanticLow: Double?

    @Option(help: ArgumentHelp("With --model full: override where the band sent to the encoder starts in languages the classifier does not know.", visibility: .hidden))
    var unfamiliarSemanticLow: Double?

    @Option(help: ArgumentHelp("With --model full: override the encoder's share of the blended probability in languages the classifier does not know.", visibility: .hidden))
    var unfamiliarSemanticWeight: Double?

    @Option(help: ArgumentHelp("With --model full: override the topic probability from which the encoder also runs in languages the classifier does not know (above 1: never).", visibility: .hidden))
    var unfamiliarTopicLow: Double?

    @Option(help: ArgumentHelp("With --model full: override the encoder probability below which it may lower the fast one in the familiar languages (0 never).", visibility: .hidden))
    var semanticLowerBelow: Double?

    @Option(help: ArgumentHelp("With --model full: override the languages the classifier counts as trained on in earnest (comma-separated ISO 639-1 codes; default ar,de,en,es,fr).", visibility: .hidden))
    var familiarLanguages: String?

    @Option(help: ArgumentHelp("With --model full: override the languages the encoder counts as trained on, for the topic routing (comma-separated codes, or all; default the model's sixteen).", visibility: .hidden))
    var encoderLanguages: String?

    /// Language codes from a comma-separated option ("ar, de,en"), spaces dropped.
    static func languageList(_ option: String) -> Set<String> {
        Set(option.split(separator: ",").map { String($0.filter { $0 != " " }) })
    }

    /// The engine configuration with any overrides from the command line.
    var configuration: EngineConfiguration {
        var c = EngineConfiguration()
        if let violatingThreshold { c.violatingThreshold = violatingThreshold }
        if let reviewThreshold { c.reviewThreshold = reviewThreshold }
        if let contextThreshold { c.contextThreshold = contextThreshold }
        if let semanticWeight { c.semanticWeight = semanticWeight }
        if let semanticLow { c.semanticLow = semanticLow }
        if let unfamiliarSemanticLow { c.unfamiliarSemanticLow = unfamiliarSemanticLow }
        if let unfamiliarSemanticWeight { c.unfamiliarSemanticWeight = unfamiliarSemanticWeight }
        if let semanticLowerBelow { c.semanticLowerBelow = semanticLowerBelow }
        if let unfamiliarTopicLow { c.unfamiliarTopicLow = unfamiliarTopicLow }
        if let familiarLanguages { c.familiarLanguages = Self.languageList(familiarLanguages) }
        return c
    }

    /// The engine from the data files. Training needs neither the classifier nor language id.
    func loadEngine(requireModel: Bool = true, identifyLanguages: Bool = true) throws -> TextEngine {
        let lexiconPath = try required(lexicon, Resources.lexicon, what: "indicator lexicon")
        let lexicon = try IndicatorLexicon(json: readFile(lexiconPath))
        let cuesPath = try required(contextCues, Resources.contextCues, what: "context cue lexicon")
        let cues = try ContextCues(json: readFile(cuesPath))
        var model: ClassifierModel?
        if !noModel {
            if let path = self.classifier ?? Resources.find(Resources.classifier) {
                model = try ClassifierModel(serialized: readFile(path))
            } else if requireModel {
                throw CommandFailure("no classifier model found (\(Resources.classifier)); run `bulwark train` or pass --no-model")
            }
        }
        var languageIdentifier: LanguageIdentifier?
        if identifyLanguages {
            if let path = languageModel ?? Resources.find(Resources.languageModel) {
                languageIdentifier = try LanguageIdentifier(modelBytes: readFile(path))
            } else {
                writeStderr("bulwark: no language-id model (\(Resources.languageModel)); languages will be \"und\" or the hint. Run scripts/setup.sh.\n")
            }
        }
        let normalizer = TextNormalizer()
        var bank = KnownTextBank()
        if let path = knownTexts ?? Resources.find(Resources.knownTexts) {
            for item in try loadItems([path]) { bank.add(item, normalizer: normalizer) }
        }
        var links = LinkList()
        if let path = self.links ?? Resources.find(Resources.linkList) {
            do {
                links = try LinkList(listing: String(decoding: try readFile(path), as: UTF8.self))
            } catch let error as BulwarkError {
                throw CommandFailure("\(path): line \(error.line ?? 0): \(error.message)")
            }
        }
        return TextEngine(
            configuration: configuration, lexicon: lexicon, contextCues: cues, model: model, languageIdentifier: languageIdentifier,
            knownTexts: bank, linkList: links)
    }

    private func required(_ given: String?, _ relative: String, what: String) throws -> String {
        if let given { return given }
        guard let found = Resources.find(relative) else {
            throw CommandFailure("cannot find the \(what) (\(relative)); run from the repository or set BULWARK_HOME")
        }
        return found
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return s
    }
}
