import ArgumentParser
import BulwarkCascade
import BulwarkCore
import BulwarkSemantic
import BulwarkText
import Dispatch

/// The embeddings of `items`, in order, computed on `threads` threads.
func embedAll(_ items: [TextItem], _ embedder: Embedder, threads: Int = 2) -> [[Float]] {
    let slots = ResultSlots<[Float]>(count: items.count, initial: [])
    let chunks = max(1, min(threads, items.count))
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let workspace = SentenceEncoder.Workspace()
        var i = chunk
        while i < items.count {
            slots.set(i, embedder.embed(items[i].text, workspace: workspace))
            i += chunks
        }
    }
    return slots.values
}

/// The head's class of a labelled item (nil when unlabelled).
func semanticClass(_ item: TextItem) -> Int? {
    guard let label = item.label else { return nil }
    return SemanticModel.classes.firstIndex(of: StanceClass(label: label, kind: item.kind).name)
}

/// Fits the semantic head on the embeddings of the labelled items given.
func fitSemanticHead(_ items: [TextItem], _ embeddings: [[Float]], provenance: String) throws -> SemanticHead {
    var x: [[Float]] = []
    var y: [Int] = []
    for (item, e) in zip(items, embeddings) {
        guard let c = semanticClass(item) else { continue }
        x.append(e)
        y.append(c)
    }
    do {
        return try SemanticHeadTrainer().train(embeddings: x, labels: y, classes: SemanticModel.classes, provenance: provenance)
    } catch {
        throw CommandFailure("training the semantic head: \(error)")
    }
}

extension TrainCommand {
    /// `train --semantic`: the head over the encoder's embeddings of the train split (the tune
    /// and test splits are never read).
    func trainSemanticHead(_ items: [TextItem], paths: [String]) throws {
        let embedder = try Resources.loadEmbedder(engineOptions.encoder)
        let train = items.filter { DatasetSplit.of($0) == .train && $0.label != nil }
        let embeddings = embedAll(train, embedder)
        let names = paths.map { $0.split(separator: "/").suffix(2).joined(separator: "/") }
        let t = SemanticHeadTrainer()
        let provenance =
            "bulwark train --semantic; data: \(names.joined(separator: ", ")); train \(train.count); encoder \(embedder.modelDescription); "
            + "Adam \(t.iterations) steps, learning rate \(t.learningRate), l2 \(t.l2), class weight power \(t.classWeightPower)"
        let head = try fitSemanticHead(train, embeddings, provenance: provenance)
        let bytes = head.serialized()
        let path = out ?? Resources.semanticHead
        try writeFile(path, bytes)
        print("trained the semantic head on \(train.count) items (classes: \(head.classes.joined(separator: ", ")))")
        print("wrote \(path): \(bytes.count) bytes, fnv1a64 \(fnv1a64Hex(bytes))")
    }
}

func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

/// The file's fnv1a64 as 16 hex digits, zero-padded, as the docs quote it.
func fnv1a64Hex(_ bytes: [UInt8]) -> String {
    let digits = String(fnv1a64(bytes), radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// `bulwark transfer`: cross-lingual transfer, measured. Both models are trained with no item
/// at all in the held-out languages; then, on those languages' items, each model's recall is
/// read at the threshold that gives the same false-positive rate on their hard negatives.
struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Measure cross-lingual transfer: train without some languages, test on them.",
        discussion: """
            Trains the n-gram classifier (the settings of `bulwark train`) and the semantic head \
            on the train and tune splits of every language except the held-out ones (not one of \
            their items, violating or not), then scores every item of the held-out languages \
            with the fast engine, the sentence encoder's head alone, and the cascade (--model \
            full). For each target false-positive rate on the held-out languages' non-violating \
            items (news, counter-speech, religious, research and the other hard negatives), it \
            reports the recall of each model at the threshold that gives that rate, and the \
            recall and false-positive rate of each model's own decisions.
            """
    )

    @Argument(help: "Labelled JSON Lines files or directories (default: data/dev and the shared Arabic set).")
    var files: [String] = []

    @Option(help: "Languages held out of training, comma-separated.")
    var holdOut = "es,fr"

    @Option(help: "False-positive rates at which recall is compared, comma-separated.")
    var rates = "0.01,0.05,0.1"

    @Flag(
        help: """
            Train on the held-out languages' non-violating items too (train and tune splits), \
            as the issue words it (no violating example in those languages); their hard \
            negatives are then tested from the test split only.
            """)
    var trainOnHeldOutNegatives = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var engineOptions: EngineOptions

    func run() throws {
        let held = Set(holdOut.split(separator: ",").map { String($0.trimmingCharacters(in: " ")) })
        let targets = try rates.split(separator: ",").map { part -> Double in
            guard let r = Double(part), r > 0, r < 1 else { throw ValidationError("--rates takes numbers between 0 and 1, not \(part)") }
            return r
        }
        let items = try loadItems(files.isEmpty ? DefaultData.paths() : files).filter { $0.label != nil }
        // Every item is either trained on or tested. With --train-on-held-out-negatives, a
        // held-out language's non-violating items of the train and tune splits are trained on,
        // and only those of the test split are tested.
        func trained(_ item: TextItem) -> Bool {
            guard held.contains(item.lang ?? "") else { return true }
            return trainOnHeldOutNegatives && item.label != Label.violating && DatasetSplit.of(item) != .test
        }
        let training = items.filter(trained)
        let evaluation = items.filter { !trained($0) }
        guard evaluation.contains(where: { $0.label == Label.violating }), evaluation.contains(where: { $0.label == Label.none }) else {
            throw CommandFailure("the held-out languages (\(holdOut)) need violating and non-violating items")
        }

        // The n-gram model, as `bulwark train` fits it, without the held-out languages.
        var train = try TrainCommand.parse([])
        train.engineOptions = engineOptions
        let setup = try train.setup()
        let (model, trainCount, tuneCount, _) = train.fit(training, setup) { a, b in "bulwark transfer; train \(a), tune \(b)" }
        var options = engineOptions
        options.model = .fast
        var fast = try options.loadEngine(requireModel: false).replacingModel(model)
        // The held-out languages are ones this classifier never saw.
        fast.configuration.familiarLanguages.subtract(held)

        // The semantic head on the same train split.
        let embedder = try Resources.loadEmbedder(engineOptions.encoder)
        let headTraining = training.filter { DatasetSplit.of($0) == .train }
        let head = try fitSemanticHead(headTraining, embedAll(headTraining, embedder), provenance: "bulwark transfer")
        let exemplars = ExemplarIndex(try Resources.loadExemplars(engineOptions.exemplars), embedder: embedder)
        let semantic = try EngineOptions.semanticModel(
            embedder, head, exemplars, path: "the transfer head", languages: engineOptions.encoderLanguageSet)
        let cascade = CascadeEngine(fast: fast, semantic: semantic)

        let embeddings = embedAll(evaluation, embedder)
        var scores: [String: [Double]] = ["ngram": [], "semantic": [], "cascade": []]
        var decided: [String: [Bool]] = ["ngram": [], "semantic": [], "cascade": []]
        var fastScratch = EngineScratch()
        var cascadeScratch = cascade.makeScratch()
        let violating = SemanticModel.classes.firstIndex(of: "violating") ?? 0
        for (item, embedding) in zip(evaluation, embeddings) {
            var unhinted = item
            unhinted.lang = nil
            let f = fast.scan(unhinted, scratch: &fastScratch)
            scores["ngram"]!.append(f.score)
            decided["ngram"]!.append(f.decision.isPositive)
            let p = head.probabilities(embedding)[violating]
            scores["semantic"]!.append(p)
            decided["semantic"]!.append(p >= fast.configuration.reviewThreshold)
            let c = cascade.scan(unhinted, scratch: &cascadeScratch)
            scores["cascade"]!.append(c.score)
            decided["cascade"]!.append(c.decision.isPositive)
        }
        let positive: [Bool] = evaluation.map { $0.label == Label.violating }
        let names = ["ngram", "semantic", "cascade"]
        var rows: [(String, [Double], Double, Double)] = []
        for name in names {
            let s = scores[name]!
            let recalls = targets.map { TransferMeasure.recall(scores: s, positive: positive, falsePositiveRate: $0) }
            let d = decided[name]!
            var tp = 0
            var fp = 0
            for (flagged, isPositive) in zip(d, positive) where flagged {
                if isPositive { tp += 1 } else { fp += 1 }
            }
            let positiveCount = Double(positive.filter { $0 }.count)
            let negativeCount = Double(positive.count) - positiveCount
            rows.append((name, recalls, Double(tp) / positiveCount, Double(fp) / negativeCount))
        }
        let positives = positive.filter { $0 }.count
        let negatives = positive.count - positives
        if json {
            var out = "{\"held_out\":[\(held.sorted().map { "\"\($0)\"" }.joined(separator: ","))],"
            out += "\"held_out_negatives_trained\":\(trainOnHeldOutNegatives),"
            out += "\"train\":\(trainCount),\"tune\":\(tuneCount),\"semantic_train\":\(headTraining.count),"
            out += "\"violating\":\(positives),\"hard_negatives\":\(negatives),\"sent_to_encoder\":\(cascadeScratch.encoded),\"models\":{"
            out += rows.map { r in
                "\"\(r.0)\":{\"recall_at_fpr\":{\(zip(targets, r.1).map { "\"\($0)\":\($1)" }.joined(separator: ","))},\"recall\":\(r.2),\"fpr\":\(r.3)}"
            }.joined(separator: ",")
            print(out + "}}")
            return
        }
        let without = trainOnHeldOutNegatives ? "violating items in " : ""
        print("Cross-lingual transfer: trained without \(without)\(held.sorted().joined(separator: ", ")) (n-gram: train \(trainCount), tune \(tuneCount); semantic head: train \(headTraining.count))")
        print("tested on \(evaluation.count) items of \(held.sorted().joined(separator: ", ")): \(positives) violating, \(negatives) hard negatives; cascade sent \(cascadeScratch.encoded) to the encoder (\(EncoderRoute.summary(cascadeScratch.routes)))\n")
        print("recall (%) at the threshold giving each false-positive rate on the hard negatives")
        print("model      " + targets.map { EvaluationFormat.lpad("FPR " + String(Substring(EvaluationFormat.pct($0)).trimmingCharacters(in: " ")) + "%", 11) }.joined() + "   own decisions: recall   FPR")
        for r in rows {
            print(EvaluationFormat.pad(r.0, 10) + r.1.map { EvaluationFormat.lpad(EvaluationFormat.pct($0), 11) }.joined()
                + "                  \(EvaluationFormat.pct(r.2))  \(EvaluationFormat.pct(r.3))")
        }
    }
}

enum TransferMeasure {
    /// Recall at the lowest threshold whose false-positive rate on the negatives is at most
    /// `falsePositiveRate` (items count as positive when their score is above the threshold).
    static func recall(scores: [Double], positive: [Bool], falsePositiveRate: Double) -> Double {
        let negatives = zip(scores, positive).filter { !$1 }.map(\.0).sorted(by: >)
        let positives = zip(scores, positive).filter { $1 }.map(\.0)
        guard !negatives.isEmpty, !positives.isEmpty else { return 0 }
        let allowed = Int((falsePositiveRate * Double(negatives.count)).rounded(.down))
        let threshold = allowed < negatives.count ? negatives[allowed] : -Double.infinity
        return Double(positives.filter { $0 > threshold }.count) / Double(positives.count)
    }
}
