import ArgumentParser
import BulwarkCore
import BulwarkText

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Rebuild the classifier from labelled data (deterministic: same data, same model).",
        discussion: """
            Fits on the train split, calibrates on the tune split, never reads the test split. \
            With no files, uses data/dev and the shared Arabic set and writes \
            models/text-classifier.bwtc.
            """
    )

    @Argument(help: "Labelled JSON Lines files or directories.")
    var files: [String] = []

    @Option(name: .shortAndLong, help: "Where to write the model (default: \(Resources.classifier), or \(Resources.semanticHead) with --semantic).")
    var out: String?

    @Option(help: "Training epochs.")
    var epochs = 12

    @Option(help: "log2 of the number of feature buckets.")
    var bucketBits = 18

    @Option(help: "Character n-gram lengths, as MIN-MAX.")
    var charNgrams = "3-6"

    @Flag(inversion: .prefixedNo, help: "Weigh features by inverse document frequency.")
    var idf = true

    @Flag(inversion: .prefixedNo, help: "Character n-grams inside words only.")
    var wordBounded = true

    @Flag(inversion: .prefixedNo, help: "Count each feature once per text.")
    var binary = true

    @Flag(inversion: .prefixedNo, help: "Keep the features of quoted words apart from the same words unquoted.")
    var quotedApart = true

    @Flag(inversion: .prefixedNo, help: "Average the weights over the second half of the epochs.")
    var average = true

    @Option(help: "Feature value of named features (lexicon entries, context cues) in place of their idf.")
    var namedFeatureValue: Float = 16

    @Option(help: "Fits in different orders averaged into one model (an ensemble at no cost when scanning).")
    var ensemble = 3

    @Option(help: "Class balancing power: 0 none, 1 full.")
    var classWeightPower = 1.0

    @Option(help: "Learning rate (AdaGrad).")
    var learningRate: Float = 0.4

    @Option(help: "L2 regularisation.")
    var l2: Float = 1e-5

    @Option(help: "Instead of writing a model, report K-fold cross-validated quality on the train and tune splits (folds by group), to choose settings without touching the test split.")
    var crossValidate: Int?

    @Option(help: "With --cross-validate: write each held-out item the folds got wrong, with its verdict, to this file (JSON Lines; train and tune items only).")
    var errors: String?

    @Option(help: ArgumentHelp("With --cross-validate: write every held-out item's label, stance probabilities and indicators (JSON Lines), to study decision rules.", visibility: .hidden))
    var dumpScores: String?

    @OptionGroup var engineOptions: EngineOptions

    @Flag(help: "Train the semantic head (over the sentence encoder's embeddings) instead of the classifier; writes \(Resources.semanticHead) unless --out is given.")
    var semantic = false

    /// What fitting needs: the engine (lexicon, cues; an empty model of the right shape, for
    /// the engine's own featurisation path) and a trainer with these settings.
    struct Setup {
        var base: TextEngine
        var engine: TextEngine
        var trainer: ClassifierTrainer
        var features: FeatureExtractor
        var namedBuckets: [UInt32]
    }

    func setup() throws -> Setup {
        let bounds = charNgrams.split(separator: "-").compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] >= 1, bounds[1] >= bounds[0], bounds[1] <= 8 else {
            throw ValidationError("--char-ngrams takes MIN-MAX with 1 <= MIN <= MAX <= 8, for example 3-5")
        }
        let features = FeatureExtractor(
            bucketBits: bucketBits, charNGrams: bounds[0]...bounds[1], wordBounded: wordBounded, binary: binary, quotedApart: quotedApart)
        var options = engineOptions
        options.noModel = true
        options.model = .fast
        let base = try options.loadEngine(requireModel: false, identifyLanguages: false)
        let engine = base.replacingModel(ClassifierModel(features: features))
        var trainer = ClassifierTrainer(epochs: epochs, learningRate: learningRate, l2: l2, useIDF: idf, averageWeights: average,
            classWeightPower: classWeightPower, namedFeatureValue: namedFeatureValue)
        trainer.ensembleSize = ensemble
        let namedBuckets = engine.namedFeatureKeys.map { features.bucket(ofNamed: $0) }
        return Setup(base: base, engine: engine, trainer: trainer, features: features, namedBuckets: namedBuckets)
    }

    /// Fits on the train split of `items`, calibrates on their tune split; never reads the test split.
    func fit(_ items: [TextItem], _ s: Setup, provenance: (Int, Int) -> String) -> (model: ClassifierModel, train: Int, tune: Int, skipped: Int) {
        var scratch = EngineScratch()
        var train: [TrainingExample] = []
        var tune: [TrainingExample] = []
        var skipped = 0
        for item in items {
            let split = DatasetSplit.of(item)
            if split == .test { continue }
            guard let example = s.engine.trainingExample(item, scratch: &scratch) else {
                skipped += 1
                continue
            }
            if split == .train { train.append(example) } else { tune.append(example) }
        }
        let model = s.trainer.train(
            train, tune: tune, features: s.features, provenance: provenance(train.count, tune.count), namedBuckets: s.namedBuckets)
        return (model, train.count, tune.count, skipped)
    }

    func run() throws {
        let paths = files.isEmpty ? try DefaultData.paths() : files
        let items = try loadItems(paths)
        if semantic {
            try trainSemanticHead(items, paths: paths)
            return
        }
        let s = try setup()
        let (base, engine, trainer, features, namedBuckets) = (s.base, s.engine, s.trainer, s.features, s.namedBuckets)
        if let folds = crossValidate {
            try crossValidation(
                folds: folds, items: items, engine: engine, trainer: trainer, features: features,
                namedBuckets: namedBuckets, errors: errors, dump: dumpScores)
            return
        }
        let names = paths.map { $0.split(separator: "/").suffix(2).joined(separator: "/") }
        let (model, trainCount, tuneCount, skipped) = fit(items, s) { train, tune in
            "bulwark train; data: \(names.joined(separator: ", ")); train \(train), tune \(tune); "
                + "lexicon \(base.indicators?.lexicon.version ?? "none"); cues \(base.contextCues?.cues.version ?? "none"); epochs \(epochs); learning rate \(learningRate); "
                + "l2 \(l2); ensemble \(ensemble); named feature value \(namedFeatureValue); class weight power \(classWeightPower); char n-grams \(charNgrams); buckets 2^\(bucketBits)"
        }
        let bytes = model.serialized()
        try writeFile(out ?? Resources.classifier, bytes)
        let hex = fnv1a64Hex(bytes)
        print("trained on \(trainCount) items, calibrated on \(tuneCount) (temperature \(model.temperature)); \(skipped) unlabelled skipped")
        print("wrote \(out ?? Resources.classifier): \(bytes.count) bytes, fnv1a64 \(hex)")
    }
}

extension TrainCommand {
    /// K-fold cross-validation over the train and tune splits; the test split is never read.
    func crossValidation(
        folds: Int, items: [TextItem], engine: TextEngine, trainer: ClassifierTrainer,
        features: FeatureExtractor, namedBuckets: [UInt32], errors: String? = nil, dump: String? = nil
    ) throws {
        guard folds >= 2 else { throw ValidationError("--cross-validate needs at least 2 folds") }
        let pool = items.filter { DatasetSplit.of($0) != .test && $0.label != nil }
        func fold(_ item: TextItem) -> Int {
            var h: UInt64 = 0x84222325
            for b in (item.group ?? item.id).utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            return Int((h >> 7) % UInt64(folds))
        }
        var scratch = EngineScratch()
        let examples = pool.map { engine.trainingExample($0, scratch: &scratch) }
        var evaluation = Evaluation()
        var errorWriter = try errors.map { try OutputWriter(path: $0) }
        let encoder = VerdictEncoder()
        var dumpWriter = try dump.map { try OutputWriter(path: $0) }
        var logits: [Float] = []
        for k in 0..<folds {
            var train: [TrainingExample] = []
            var held: [TextItem] = []
            for (i, item) in pool.enumerated() {
                if fold(item) == k { held.append(item) } else if let e = examples[i] { train.append(e) }
            }
            // Calibrate on a tenth of the training folds, held out from fitting.
            let tune = stride(from: 0, to: train.count, by: 10).map { train[$0] }
            let fit = train.indices.filter { $0 % 10 != 0 }.map { train[$0] }
            let model = trainer.train(fit, tune: tune, features: features, provenance: "cv", namedBuckets: namedBuckets)
            let foldEngine = engine.replacingModel(model)
            for item in held {
                let verdict = foldEngine.scan(item, scratch: &scratch)
                evaluation.add(item, verdict)
                if dumpWriter != nil, let m = foldEngine.model, let e = foldEngine.trainingExample(item, scratch: &scratch) {
                    m.logits(e.buckets, into: &logits)
                    let p = m.probabilities(logits: logits).stance
                    let normalized = foldEngine.normalizer.normalize(item.text)
                    var ind: [String] = []
                    for x in foldEngine.indicators?.matches(in: normalized) ?? [] {
                        let w = foldEngine.indicators!.lexicon.entries[x.entry].weight
                        ind.append("[\(w),\(normalized.isQuoted(x.normalizedRange))]")
                    }
                    var line = Array("{\"label\":\"\(item.label?.rawValue ?? "")\",\"kind\":\"\(item.kind ?? "")\",\"lang\":\"\(item.lang ?? "")\",\"decision\":\"\(verdict.decision.rawValue)\",".utf8)
                    line += Array("\"p\":[\(p.map { String($0) }.joined(separator: ","))],\"ind\":[\(ind.joined(separator: ","))],\"quotes\":\(!normalized.quoted.isEmpty),\"text\":".utf8)
                    appendJSONString(item.text, to: &line)
                    line += Array("}\n".utf8)
                    dumpWriter?.buffer.append(contentsOf: line)
                    try dumpWriter?.flushIfNeeded()
                }
                if errorWriter != nil, let label = item.label, (label == .violating) != verdict.decision.isPositive {
                    errorWriter?.buffer.append(contentsOf: misclassificationLine(item, label: label, verdict, encoder: encoder))
                    try errorWriter?.flushIfNeeded()
                }
            }
        }
        if var w = errorWriter {
            try w.flush()
            w.close()
        }
        if var w = dumpWriter {
            try w.flush()
            w.close()
        }
        print(EvaluationFormat.table(evaluation, split: "\(folds)-fold cross-validation of train+tune"))
    }
}

struct NormalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize", abstract: "Show Bulwark's normal form of a text (for lexicon authors).")

    @Argument(help: "The text.")
    var text: String

    func run() {
        print(TextNormalizer().normalize(text).string)
    }
}
