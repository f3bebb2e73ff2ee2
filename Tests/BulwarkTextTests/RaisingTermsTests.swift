import BulwarkCore
@testable import BulwarkText
import Testing

/// The words a flagged item's classifier score rests on (evidence of kind `term`): each word's
/// part of the linear model's violating logit, named with its span in what the user wrote.
struct RaisingTermsTests {
    /// Every feature's part, word by word plus the unowned rest, adds up to the violating logit
    /// minus the stance logits' average: nothing counted twice, nothing left out. With the
    /// shipped (packed) model, on dev texts in several languages.
    @Test func thePartsAddUpToTheLogit() throws {
        let model = try Fixtures.model()
        #expect(model.isPacked)
        let normalizer = TextNormalizer()
        var scratch = FeatureScratch()
        var buckets: [UInt32] = []
        var logits: [Float] = []
        var checked = 0
        var withRepeats = 0
        for file in ["data/dev/en.jsonl", "data/dev/ar.jsonl", "data/dev/de.jsonl"] {
            for item in try Fixtures.items(file).prefix(40) {
                let text = normalizer.normalize(item.text)
                model.features.extract(text, named: [], into: &buckets, scratch: &scratch)
                model.logits(buckets, into: &logits)
                let (stance, _) = model.probabilities(logits: logits)
                var expected = Double(logits[StanceClass.violating.rawValue])
                for k in 0..<ClassifierModel.stanceCount { expected -= stance[k] * Double(logits[k]) }
                let parts = model.violatingContributions(text, named: [], stance: stance, scratch: &scratch)
                var norm = 0.0
                for b in buckets {
                    let v = Double(model.packedIDF[Int(b)])
                    norm += v * v
                }
                let sum = (parts.perWord.reduce(0, +) + parts.unowned) * Double(model.packedScale) / norm.squareRoot()
                #expect(abs(sum - expected) <= 1e-4 * max(1, abs(expected)), "\(item.id): \(sum) against \(expected)")
                #expect(parts.words.count == text.bytes.split(separator: 0x20).count)
                let occurrences = model.features.occurrences(text, named: [], scratch: &scratch)
                if Set(occurrences.map(\.bucket)).count < occurrences.count { withRepeats += 1 }
                checked += 1
            }
        }
        #expect(checked == 120)
        #expect(withRepeats > 20)  // texts where a feature occurs twice and is shared
    }

    /// A word seen only in violating training texts is the one named, at its own bytes, and the
    /// engine's evidence points at it in the original text, through the obfuscation.
    @Test func aWordSeenOnlyInViolatingTextsIsNamedWithItsSpan() throws {
        let features = FeatureExtractor(bucketBits: 14)
        let untrained = TextEngine(model: ClassifierModel(features: features))
        var scratch = EngineScratch()
        let fillers = ["tonight", "near", "the", "river", "with", "friends", "again", "soon", "market", "morning"]
        var items: [TextItem] = []
        for i in 0..<60 {
            let a = fillers[i % fillers.count]
            let b = fillers[(i * 7 + 3) % fillers.count]
            let c = fillers[(i * 3 + 1) % fillers.count]
            var v = TextItem(id: "v\(i)", text: "\(a) zorblat \(b) \(c)")
            v.label = .violating
            v.category = .threat
            var n = TextItem(id: "n\(i)", text: "\(c) \(a) plimsoll \(b)")
            n.label = Label.none
            items += [v, n]
        }
        let examples = items.compactMap { untrained.trainingExample($0, scratch: &scratch) }
        let model = ClassifierTrainer(epochs: 6).train(
            Array(examples.prefix(100)), tune: Array(examples.suffix(20)), features: features, provenance: "t")
        let engine = untrained.replacingModel(model)

        // Alone: the word itself, first and with most of the weight.
        let text = TextNormalizer().normalize("friends, we zorblat tonight near the river")
        var logits: [Float] = []
        var buckets: [UInt32] = []
        var featureScratch = FeatureScratch()
        model.features.extract(text, named: [], into: &buckets, scratch: &featureScratch)
        model.logits(buckets, into: &logits)
        let (stance, _) = model.probabilities(logits: logits)
        let terms = model.raisingTerms(
            text, named: [], stance: stance, limit: 3, minimumShare: 0.1, scratch: &featureScratch)
        let first = try #require(terms.first)
        #expect(first.word == "zorblat")
        #expect(String(decoding: text.bytes[first.range], as: UTF8.self) == "zorblat")
        #expect(first.share > 0.5, "\(terms)")
        #expect(!terms.contains { ["friends", "we", "tonight", "near", "the", "river"].contains($0.word) && $0.share > first.share })

        // Through the engine: evidence of kind `term`, its span on what the user wrote.
        let written = "Friends, we Z0RBL4T tonight near the river"
        let verdict = engine.scan(TextItem(id: "x", text: written))
        #expect(verdict.decision != .none)
        let term = try #require(verdict.evidence.first { $0.kind == .term })
        let scalars = Array(written.unicodeScalars)
        let start = try #require(term.start)
        let end = try #require(term.end)
        #expect(String(String.UnicodeScalarView(scalars[start..<end])) == "Z0RBL4T")
        #expect(term.detail.hasPrefix("raised violating: Z0RBL4T ("), "\(term.detail)")
    }

    /// With the shipped model: flagged items name at most three words, most first, each with at
    /// least a tenth of the weight; items left alone name none. Taking out the first word named
    /// lowers the violating score.
    @Test func flaggedItemsNameTheWordsTheirScoreRestsOn() throws {
        let engine = try Fixtures.shared.get()
        // Written for this test; short and generic.
        let flagged = [
            "Brothers, join the caliphate now, the mujahideen are waiting for you",
            "Hermanos, uníos al califato, los muyahidines os esperan",
            "Die Ungläubigen werden bald bezahlen, wartet nur ab",
        ]
        var named = 0
        for text in flagged {
            let verdict = engine.scan(TextItem(id: "f", text: text))
            guard verdict.decision != .none, verdict.score >= engine.configuration.reviewThreshold else { continue }
            let terms = verdict.evidence.filter { $0.kind == .term }
            #expect(!terms.isEmpty && terms.count <= 3, "\(text)")
            var previous = 101
            for t in terms {
                let percent = try #require(Int(t.detail.split(separator: "(").last?.dropLast(2) ?? ""), "\(t.detail)")
                #expect(percent >= 10 && percent <= previous, "\(t.detail)")
                previous = percent
            }
            named += 1

            // Taking the first named word out lowers the score. (Not necessarily more than any
            // other word would: a word taken out takes both its bigrams with it, of which it is
            // given half each, and the text's norm changes.)
            let scalars = Array(text.unicodeScalars)
            let top = try #require(terms.first)
            let range = try #require(top.start)..<(try #require(top.end))
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[..<range.lowerBound])
            view.append(contentsOf: scalars[range.upperBound...])
            #expect(engine.scan(TextItem(id: "w", text: String(view))).score < verdict.score, "\(text)")
        }
        #expect(named >= 2)

        for text in [
            "Ramadan Mubarak to all of you, may Allah accept our fasting and our prayers",
            "The minister condemned the attack and promised support for the victims' families",
        ] {
            let verdict = engine.scan(TextItem(id: "n", text: text))
            #expect(verdict.decision == .none)
            #expect(!verdict.evidence.contains { $0.kind == .term }, "\(text)")
        }
    }
}

/// `TextEngine.explain`: every word, both ways, on the scale the `term` evidence uses.
struct ScoreExplanationTests {
    @Test func everyWordIsWeighedAndTheTermsAgreeWithIt() throws {
        let engine = try Fixtures.shared.get()
        let news = "The minister condemned the attack by Islamic State and called for unity"
        let e = try #require(engine.explain(TextItem(id: "n", text: news)))
        #expect(e.words.map(\.text) == news.split(separator: " ").map(String.init))
        #expect(abs(e.words.reduce(abs(e.unowned)) { $0 + abs($1.share) } - 1) < 1e-9)
        #expect(abs(e.violating - engine.scan(TextItem(id: "n", text: news)).score) < 1e-4)
        let (raised, lowered) = e.strongest(3)
        #expect(lowered.contains { $0.text == "condemned" }, "\(lowered)")
        #expect(raised.allSatisfy { $0.share > 0 } && lowered.allSatisfy { $0.share < 0 })
        #expect(raised.count <= 3 && zip(raised, raised.dropFirst()).allSatisfy { $0.share >= $1.share })

        // A flagged item: its term evidence names the explanation's strongest raising words,
        // with the same shares (words that occur once).
        let threat = "Die Ungläubigen werden bald bezahlen, wartet nur ab"
        let verdict = engine.scan(TextItem(id: "t", text: threat))
        let x = try #require(engine.explain(TextItem(id: "t", text: threat)))
        let terms = verdict.evidence.filter { $0.kind == .term }
        #expect(!terms.isEmpty)
        for (term, word) in zip(terms, x.strongest(terms.count).raised) {
            #expect(term.start == word.start && term.end == word.end)
            #expect(term.detail == "raised violating: \(word.text) (\(Int((word.share * 100).rounded()))%)")
        }
    }
}
