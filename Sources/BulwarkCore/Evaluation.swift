/// Confusion counts for a binary question (positive = `violating` or `review`).
public struct ConfusionCounts: Sendable, Hashable {
    public var truePositives = 0
    public var falsePositives = 0
    public var falseNegatives = 0
    public var trueNegatives = 0

    public init() {}

    public var total: Int { truePositives + falsePositives + falseNegatives + trueNegatives }
    public var precision: Double? { ratio(truePositives, truePositives + falsePositives) }
    public var recall: Double? { ratio(truePositives, truePositives + falseNegatives) }
    public var falsePositiveRate: Double? { ratio(falsePositives, falsePositives + trueNegatives) }
    public var f1: Double? {
        guard let p = precision, let r = recall, p + r > 0 else { return nil }
        return 2 * p * r / (p + r)
    }

    public mutating func add(actual: Bool, predicted: Bool) {
        switch (actual, predicted) {
        case (true, true): truePositives += 1
        case (false, true): falsePositives += 1
        case (true, false): falseNegatives += 1
        case (false, false): trueNegatives += 1
        }
    }
}

private func ratio(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }

/// Quality of verdicts against labels: overall, per language, per category, per hard-negative kind.
///
/// Languages are the labelled `lang` of each item (the truth), not the detected language.
public struct Evaluation: Sendable {
    /// The words most often named in false positives, most first (ties by the word), at most `limit`.
    public func topFalsePositiveTerms(_ limit: Int) -> [(word: String, items: Int)] {
        falsePositiveTerms.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { ($0.key, $0.value) }
    }

    public private(set) var overall = ConfusionCounts()
    /// Positive = `violating` only.
    public private(set) var violatingOnly = ConfusionCounts()
    public private(set) var byLanguage: [String: ConfusionCounts] = [:]
    /// Per category: recall on violating items of the category, precision of the top predicted category.
    public private(set) var byCategory: [Category: ConfusionCounts] = [:]
    /// Per hard-negative kind: false-positive rate.
    public private(set) var byKind: [String: ConfusionCounts] = [:]
    /// Label (row) × decision (column) counts.
    public private(set) var confusion: [Label: [Decision: Int]] = [:]
    public private(set) var unlabelled = 0
    /// The words named as raising the violating score (evidence of kind `term`) in false
    /// positives, lowercased, each with the number of false positives naming it: what the model
    /// wrongly leans on.
    public private(set) var falsePositiveTerms: [String: Int] = [:]
    /// Language identification against the labelled `lang`: items, correct, and "und" answers.
    public private(set) var languageIdentification: [String: (items: Int, correct: Int, undetermined: Int)] = [:]

    public init() {}

    public mutating func add(_ item: TextItem, _ verdict: Verdict) {
        if let lang = item.lang {
            var counts = languageIdentification[lang] ?? (0, 0, 0)
            counts.items += 1
            if verdict.language == lang { counts.correct += 1 }
            if verdict.language == "und" { counts.undetermined += 1 }
            languageIdentification[lang] = counts
        }
        guard let label = item.label else {
            unlabelled += 1
            return
        }
        let actual = label == .violating
        let predicted = verdict.decision.isPositive
        overall.add(actual: actual, predicted: predicted)
        violatingOnly.add(actual: actual, predicted: verdict.decision == .violating)
        byLanguage[item.lang ?? "und", default: ConfusionCounts()].add(actual: actual, predicted: predicted)
        if let kind = item.kind, !actual {
            byKind[kind, default: ConfusionCounts()].add(actual: false, predicted: predicted)
        }
        confusion[label, default: [:]][verdict.decision, default: 0] += 1
        if predicted && !actual {
            var named = Set<String>()
            for e in verdict.evidence {
                if let word = e.termWord, named.insert(word.lowercased()).inserted {
                    falsePositiveTerms[word.lowercased(), default: 0] += 1
                }
            }
        }
        let topCategory = predicted ? verdict.categories.first?.name : nil
        // Violating items without a labelled category say nothing about category precision.
        if actual && item.category == nil { return }
        for c in Category.allCases {
            let isC = actual && item.category == c
            let predictedC = topCategory == c
            guard isC || predictedC else { continue }
            // Recall counts detection of the item; precision counts the category named.
            if isC {
                byCategory[c, default: ConfusionCounts()].add(actual: true, predicted: predicted)
            } else {
                byCategory[c, default: ConfusionCounts()].add(actual: false, predicted: true)
            }
        }
    }
}
