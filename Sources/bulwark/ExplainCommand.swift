import ArgumentParser
import BulwarkCascade
import BulwarkCore
import BulwarkSemantic
import BulwarkText

/// `bulwark explain`: how the classifier weighed each word of an item.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which words raised and which lowered the classifier's violating score.",
        discussion: """
            For a text (--text) or each JSON Lines item (a file, or standard input): the \
            decision and score of `bulwark scan`, then the words that raised the classifier's \
            violating probability and those that lowered it, each with its signed share of the \
            weight the text carries (the magnitudes of all the words' shares and of the rest's \
            add up to 100%). The classifier is linear, so the parts are exact (README, "How it \
            decides"). With --json, one line per item: \
            {"id", "decision", "score", "violating", "words": [{"text", "start", "end", \
            "share"}], "unowned"}, offsets in Unicode scalars. A malformed line is reported on \
            stderr and skipped. With --model full, the sentence encoder's violating probability \
            too, and how much it falls (or rises) with each word left out: measured, one \
            embedding per word, for texts of at most 64 words ("encoder": {"violating", \
            "word_changes"} in JSON, the changes in the order of "words").
            """
    )

    @Argument(help: "Input file (JSON Lines). Standard input when omitted or '-'.")
    var input: String?

    @Option(help: "Explain this text instead of reading items.")
    var text: String?

    @Option(help: "Words listed each way (raised, lowered) in the table.")
    var top = 8

    @Flag(help: "One JSON line per item, every word, instead of a table.")
    var json = false

    @Option(help: "Longest input line accepted, in bytes.")
    var maxLineBytes = 1 << 20

    @OptionGroup var engineOptions: EngineOptions

    /// With `--model full`: the encoder's model and a workspace, for the occlusion.
    private struct Encoder {
        let model: SemanticModel
        let workspace = SentenceEncoder.Workspace()
    }

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top takes 1 or more, not \(top)") }
        if text != nil && input != nil { throw ValidationError("give --text or an input file, not both") }
    }

    func run() throws {
        var options = engineOptions
        options.model = .fast
        let engine = try options.loadEngine()
        let encoder = try engineOptions.model == .full ? engineOptions.loadCascade().semantic.map { Encoder(model: $0) } : nil
        var writer = try OutputWriter(path: nil)
        defer { writer.close() }
        if let text {
            append(TextItem(id: "text", text: text), engine, encoder, to: &writer.buffer)
            try writer.flush()
            return
        }
        var reader = try LineReader(path: input, maxLineBytes: maxLineBytes)
        defer { reader.close() }
        try forEachItem(from: &reader, maxLineBytes: maxLineBytes, command: "explain") { item in
            append(item, engine, encoder, to: &writer.buffer)
            try writer.flushIfNeeded()
        }
        try writer.flush()
    }

    private func append(_ item: TextItem, _ engine: TextEngine, _ encoder: Encoder?, to out: inout [UInt8]) {
        let verdict = engine.scan(item)
        guard let explanation = engine.explain(item) else { return }
        // The encoder's probability, and its change when each word is left out (positive: the
        // word raised it).
        let occluded = encoder.flatMap { e in
            e.model.occlusion(
                engine.scannedText(item), spans: explanation.words.map { $0.start..<$0.end }, workspace: e.workspace)
        }
        let changes = occluded.map { o in o.without.map { o.violating - $0 } }
        if json {
            out.append(contentsOf: "{\"id\":".utf8)
            appendJSONString(item.id, to: &out)
            out.append(contentsOf: ",\"decision\":\"\(verdict.decision.rawValue)\",\"score\":\(fixed(verdict.score))".utf8)
            out.append(contentsOf: ",\"violating\":\(fixed(explanation.violating)),\"words\":[".utf8)
            for (i, w) in explanation.words.enumerated() {
                out.append(contentsOf: (i == 0 ? "{\"text\":" : ",{\"text\":").utf8)
                appendJSONString(w.text, to: &out)
                out.append(contentsOf: ",\"start\":\(w.start),\"end\":\(w.end),\"share\":\(fixed(w.share))}".utf8)
            }
            out.append(contentsOf: "],\"unowned\":\(fixed(explanation.unowned))".utf8)
            if let occluded, let changes {
                out.append(contentsOf: ",\"encoder\":{\"violating\":\(fixed(occluded.violating)),\"word_changes\":[".utf8)
                out.append(contentsOf: changes.map(fixed).joined(separator: ",").utf8)
                out.append(contentsOf: "]}".utf8)
            } else if encoder != nil {
                out.append(contentsOf: ",\"encoder\":null".utf8)
            }
            out.append(contentsOf: "}\n".utf8)
            return
        }
        let (raised, lowered) = explanation.strongest(top)
        func list(_ words: [ScoreExplanation.Word]) -> String {
            words.isEmpty ? "-" : words.map { "\($0.text) \(ScoreExplanation.percent($0.share))" }.joined(separator: ", ")
        }
        var s = "\(item.id): \(verdict.decision.rawValue) \(fixed(verdict.score)) (classifier: violating \(fixed(explanation.violating)))\n"
        s += "  raised:  \(list(raised))\n"
        s += "  lowered: \(list(lowered))\n"
        s += "  lexicon entries, context cues, symbols and the bias: \(ScoreExplanation.percent(explanation.unowned))\n"
        if let occluded, let changes {
            // Words by how much the encoder's probability falls (or rises) without them.
            let ranked = zip(explanation.words, changes).sorted { $0.1 > $1.1 }
            func list(_ pairs: [(ScoreExplanation.Word, Double)]) -> String {
                pairs.isEmpty ? "-" : pairs.map { "\($0.0.text) \($0.1 >= 0 ? "+" : "")\(fixed($0.1))" }.joined(separator: ", ")
            }
            s += "  encoder: violating \(fixed(occluded.violating)); without each word it would be lower by:\n"
            s += "    raised:  \(list(Array(ranked.filter { $0.1 > 0 }.prefix(top))))\n"
            s += "    lowered: \(list(Array(ranked.reversed().filter { $0.1 < 0 }.prefix(top))))\n"
        } else if encoder != nil {
            s += "  encoder: more than \(SemanticModel.maxOcclusionSpans) words; not measured\n"
        }
        out.append(contentsOf: s.utf8)
    }

    /// Four decimals, signed (`EvaluationFormat.num`).
    private func fixed(_ x: Double) -> String { EvaluationFormat.num(x) }
}
