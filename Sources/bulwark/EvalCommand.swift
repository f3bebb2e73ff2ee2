import ArgumentParser
import BulwarkCascade
import BulwarkCore
import BulwarkText

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure quality on labelled JSON Lines: precision, recall, F1, false-positive rates.",
        discussion: """
            Positive = decision violating or review. Reported overall, per language (the labelled \
            lang), per category, per hard-negative kind, with confusion counts and the precision of \
            violating alone. With no files, evaluates the default dev data (data/dev and the shared \
            Arabic set). Use --split test for figures on data the model never saw.
            """
    )

    @Argument(help: "Labelled JSON Lines files or directories.")
    var files: [String] = []

    @Option(help: "Which part of the data: train, tune, test or all.")
    var split: SplitOption = .all

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Write each misclassified item with its verdict to this file (JSON Lines).")
    var errors: String?

    @OptionGroup var engineOptions: EngineOptions

    func run() throws {
        let engine = try engineOptions.loadCascade()
        let items = try loadItems(files.isEmpty ? DefaultData.paths() : files).filter(split.includes)
        var evaluation = Evaluation()
        var scratch = engine.makeScratch()
        var errorWriter = try errors.map { try OutputWriter(path: $0) }
        let encoder = VerdictEncoder()
        for item in items {
            // Scanned without its language hint, so the verdict's language is the identifier's own.
            var unhinted = item
            unhinted.lang = nil
            let verdict = engine.scan(unhinted, scratch: &scratch)
            evaluation.add(item, verdict)
            if errorWriter != nil, let label = item.label, (label == .violating) != verdict.decision.isPositive {
                errorWriter?.buffer.append(contentsOf: misclassificationLine(item, label: label, verdict, encoder: encoder))
                try errorWriter?.flushIfNeeded()
            }
        }
        if var w = errorWriter {
            try w.flush()
            w.close()
        }
        if engine.semantic != nil {
            let why = scratch.encoded > 0 ? " (\(EncoderRoute.summary(scratch.routes)))" : ""
            writeStderr("bulwark eval: --model full sent \(scratch.encoded) of \(items.count) items to the sentence encoder\(why)\n")
        }
        print(json ? EvaluationFormat.json(evaluation, split: split.rawValue) : EvaluationFormat.table(evaluation, split: split.rawValue))
    }
}

enum EvaluationFormat {
    static func pct(_ x: Double?) -> String {
        guard let x else { return "    -" }
        let v = Int((x * 1000).rounded())
        let s = "\(v / 10).\(v % 10)"
        return String(repeating: " ", count: max(0, 5 - s.count)) + s
    }

    /// Four decimals (a minus sign when negative), or `null`.
    static func num(_ x: Double?) -> String {
        guard let x else { return "null" }
        let v = Int((x * 10000).rounded())
        let a = abs(v)
        return "\(v < 0 ? "-" : "")\(a / 10000).\(String(a % 10000).leftPadded(4))"
    }

    static func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
    static func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }

    static func table(_ e: Evaluation, split: String) -> String {
        var out = "Evaluation (split: \(split)); positive = violating or review; figures in %\n\n"
        let o = e.overall
        out += "overall      n=\(o.total)  precision \(pct(o.precision))  recall \(pct(o.recall))  F1 \(pct(o.f1))  FPR \(pct(o.falsePositiveRate))\n"
        out += "violating    precision of `violating` alone \(pct(e.violatingOnly.precision)), recall \(pct(e.violatingOnly.recall))\n\n"
        out += "language      n    pos  precision recall   F1    FPR\n"
        for (lang, c) in e.byLanguage.sorted(by: { $0.key < $1.key }) {
            out += pad(lang, 9) + lpad("\(c.total)", 5) + lpad("\(c.truePositives + c.falseNegatives)", 7)
            out += "     \(pct(c.precision))  \(pct(c.recall))  \(pct(c.f1))  \(pct(c.falsePositiveRate))\n"
        }
        out += "\ncategory        items  recall  precision(top category)\n"
        for c in Category.allCases {
            guard let counts = e.byCategory[c] else { continue }
            out += pad(c.rawValue, 15) + lpad("\(counts.truePositives + counts.falseNegatives)", 6)
            out += "   \(pct(counts.recall))   \(pct(counts.precision))\n"
        }
        out += "\nhard negative   items  false positives  FPR\n"
        for (kind, c) in e.byKind.sorted(by: { $0.key < $1.key }) {
            out += pad(kind, 15) + lpad("\(c.total)", 6) + lpad("\(c.falsePositives)", 17) + "  \(pct(c.falsePositiveRate))\n"
        }
        let lid = e.languageIdentification.values.reduce((0, 0, 0)) { ($0.0 + $1.items, $0.1 + $1.correct, $0.2 + $1.undetermined) }
        if lid.0 > 0 {
            out += "\nlanguage identification (without the hint): \(lid.1)/\(lid.0) correct (\(pct(Double(lid.1) / Double(lid.0)))%), \(lid.2) und\n"
        }
        let terms = e.topFalsePositiveTerms(12)
        if !terms.isEmpty {
            out += "\nwords the classifier leaned on in false positives (false positives naming each): "
            out += terms.map { "\($0.word) \($0.items)" }.joined(separator: ", ") + "\n"
        }
        out += "\nconfusion     violating  review   none\n"
        for label in Label.allCases {
            let row = e.confusion[label] ?? [:]
            out += pad(label.rawValue, 12) + lpad("\(row[.violating] ?? 0)", 10) + lpad("\(row[.review] ?? 0)", 8)
                + lpad("\(row[.none] ?? 0)", 7) + "\n"
        }
        return out
    }

    static func counts(_ c: ConfusionCounts) -> String {
        """
        {"n":\(c.total),"tp":\(c.truePositives),"fp":\(c.falsePositives),"fn":\(c.falseNegatives),"tn":\(c.trueNegatives),\
        "precision":\(num(c.precision)),"recall":\(num(c.recall)),"f1":\(num(c.f1)),"fpr":\(num(c.falsePositiveRate))}
        """
    }

    static func json(_ e: Evaluation, split: String) -> String {
        var parts: [String] = []
        parts.append("\"split\":\"\(split)\"")
        parts.append("\"overall\":\(counts(e.overall))")
        parts.append("\"violating_only\":\(counts(e.violatingOnly))")
        parts.append(
            "\"languages\":{" + e.byLanguage.sorted(by: { $0.key < $1.key }).map { "\"\($0.key)\":\(counts($0.value))" }
                .joined(separator: ",") + "}")
        parts.append(
            "\"categories\":{" + Category.allCases.compactMap { c in e.byCategory[c].map { "\"\(c.rawValue)\":\(counts($0))" } }
                .joined(separator: ",") + "}")
        parts.append(
            "\"hard_negatives\":{" + e.byKind.sorted(by: { $0.key < $1.key }).map { "\"\($0.key)\":\(counts($0.value))" }
                .joined(separator: ",") + "}")
        var confusion: [String] = []
        for label in Label.allCases {
            let row = e.confusion[label] ?? [:]
            confusion.append(
                "\"\(label.rawValue)\":{\"violating\":\(row[.violating] ?? 0),\"review\":\(row[.review] ?? 0),\"none\":\(row[.none] ?? 0)}")
        }
        parts.append("\"confusion\":{" + confusion.joined(separator: ",") + "}")
        parts.append(
            "\"false_positive_terms\":[" + e.topFalsePositiveTerms(50).map {
                var word: [UInt8] = []
                appendJSONString($0.word, to: &word)
                return "{\"word\":\(String(decoding: word, as: UTF8.self)),\"items\":\($0.items)}"
            }.joined(separator: ",") + "]")
        parts.append(
            "\"language_identification\":{" + e.languageIdentification.sorted(by: { $0.key < $1.key }).map {
                "\"\($0.key)\":{\"items\":\($0.value.items),\"correct\":\($0.value.correct),\"und\":\($0.value.undetermined)}"
            }.joined(separator: ",") + "}")
        return "{" + parts.joined(separator: ",") + "}"
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
