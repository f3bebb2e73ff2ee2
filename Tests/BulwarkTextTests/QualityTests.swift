import BulwarkCore
import BulwarkText
import Testing

/// Quality on data the model never saw: the held-out test split of the shared Arabic set and of
/// the project's multilingual dev set (`DatasetSplit.test`; `bulwark train` never reads it).
/// The gates are the targets where the engine meets them, and regression guards
/// (documented in the README with the measured figures) where it does not yet.
struct QualityTests {
    /// The items of the test split.
    func evaluate(_ items: [TextItem]) throws -> Evaluation {
        try evaluateAll(items.filter { DatasetSplit.of($0) == .test })
    }

    /// Every item (for the sets that are never trained on, whole).
    func evaluateAll(_ items: [TextItem]) throws -> Evaluation {
        let engine = try Fixtures.shared.get()
        var evaluation = Evaluation()
        var scratch = EngineScratch()
        for item in items {
            evaluation.add(item, engine.scan(item, scratch: &scratch))
        }
        return evaluation
    }

    @Test func arabicHeldOutF1IsAtLeast95Percent() throws {
        let e = try evaluate(Fixtures.arabicItems())
        #expect(e.overall.total >= 150)
        #expect((e.overall.f1 ?? 0) >= 0.95)
        #expect((e.overall.precision ?? 0) >= 0.95)
        #expect((e.violatingOnly.precision ?? 0) >= 0.97)
    }

    @Test func multilingualHeldOutRecallIsAtLeast85Percent() throws {
        let e = try evaluate(Fixtures.devItems())
        #expect((e.overall.recall ?? 0) >= 0.85)
        for lang in ["ar", "de", "en", "es", "fr"] {
            let counts = try #require(e.byLanguage[lang])
            #expect((counts.recall ?? 0) >= 0.75, "recall \(lang)")
        }
    }

    @Test func falsePositivesOnHardNegativesStayBounded() throws {
        let e = try evaluate(Fixtures.devItems())
        // The target is 5%, met for all three (counter-speech 4.5%, 5 of 111; see README).
        for (kind, bound) in [("news", 0.05), ("counter_speech", 0.05), ("religious", 0.05)] {
            let counts = try #require(e.byKind[kind])
            #expect((counts.falsePositiveRate ?? 1) <= bound, "\(kind)")
        }
        // Whatever the hard negative, the engine never says `violating` for more than a few.
        #expect((e.violatingOnly.precision ?? 0) >= 0.95)
    }

    /// Ordinary traffic, never trained on (data/langid: 400 everyday sentences in 13 languages):
    /// before the everyday training data the engine flagged 31 of them (7.8%), 5 as violating.
    @Test func everydayChatterIsLeftAlone() throws {
        let evaluation = try evaluateAll(Fixtures.items("data/langid/dev.jsonl"))
        let chatter = try #require(evaluation.byKind["chatter"])
        #expect(chatter.total == 400)
        #expect((chatter.falsePositiveRate ?? 1) <= 0.03, "chatter FPR \(chatter.falsePositiveRate ?? 1)")
        // Two are `violating` now, both German (README): a guard against more.
        #expect((evaluation.confusion[.none]?[.violating] ?? 0) <= 2, "chatter called violating")
    }

    /// The six languages with the least training data (ru, tr, nl, id, ur, fa), on 144 items
    /// written apart from the training data and never trained on (data/heldout/xx-3.jsonl).
    /// A regression guard below the measured figures (recall 71.7%, false positives 3 of 84;
    /// README), not a target: the target languages' gates are above.
    @Test func theLeastTrainedLanguagesKeepTheirFloor() throws {
        let evaluation = try evaluateAll(Fixtures.items("data/heldout/xx-3.jsonl"))
        #expect(evaluation.overall.total == 144)
        #expect((evaluation.overall.recall ?? 0) >= 0.65, "recall \(evaluation.overall.recall ?? 0)")
        #expect((evaluation.overall.falsePositiveRate ?? 1) <= 0.08)
        // None of its news, counter-speech, research, religious or everyday items is `violating`.
        #expect((evaluation.confusion[.none]?[.violating] ?? 0) == 0)
    }

    /// Islamic greetings, blessings and condolences in ordinary posts, and the same formulas in
    /// propaganda, on 136 items never trained on (data/heldout/greetings.jsonl): religion is never
    /// a signal, so a salam or a condolence around an ordinary post stays up, while the same words
    /// around a recruitment message or a eulogy of an attacker do not. A regression guard below the
    /// measured figures (false positives 2 of 102, recall 85.3%; README).
    @Test func greetingsAndBlessingsStayUpWhilePropagandaInTheSameWordsIsFound() throws {
        let evaluation = try evaluateAll(Fixtures.items("data/heldout/greetings.jsonl"))
        #expect(evaluation.overall.total == 136)
        #expect((evaluation.overall.falsePositiveRate ?? 1) <= 0.04, "FPR \(evaluation.overall.falsePositiveRate ?? 1)")
        #expect((evaluation.overall.recall ?? 0) >= 0.8, "recall \(evaluation.overall.recall ?? 0)")
        #expect((evaluation.confusion[.none]?[.violating] ?? 0) == 0)
    }

    /// Ordinary religious speech of several faiths, weighted towards what looks like a threat (the
    /// Day of Judgement, calls to repent, an oppressor left to God's justice), and violating posts in
    /// religious language, on 210 items never trained on (data/heldout/religious-speech.jsonl). A
    /// regression guard at the measured figures (false positives 9 of 160, 3 of them `violating`;
    /// recall 90.0%; README), which are a known weakness, not a target: the eschatological shape
    /// ("the day will come for each of us") is what the classifier leans on.
    @Test func religiousSpeechKeepsItsFloorAndPropagandaInReligiousWordsIsFound() throws {
        let evaluation = try evaluateAll(Fixtures.items("data/heldout/religious-speech.jsonl"))
        #expect(evaluation.overall.total == 210)
        #expect(evaluation.overall.falsePositives <= 9, "false positives \(evaluation.overall.falsePositives)")
        #expect((evaluation.overall.recall ?? 0) >= 0.85, "recall \(evaluation.overall.recall ?? 0)")
        #expect((evaluation.confusion[.none]?[.violating] ?? 0) <= 3)
    }

    /// Everyday captions about media people share ("New upload!", "link in bio", a mod's download
    /// link), on 150 items never trained on (data/heldout/media-captions.jsonl). A regression
    /// guard at the measured figures (false positives 29 of 150, 13 of them `violating`; README),
    /// which are a known gap, not a target: the classifier learned `download`, `upload` and
    /// `mirror` from re-posted releases and has no negative that says otherwise.
    @Test func everydayMediaCaptionsDoNotGetWorse() throws {
        let evaluation = try evaluateAll(Fixtures.items("data/heldout/media-captions.jsonl"))
        #expect(evaluation.overall.total == 150)
        #expect(evaluation.overall.falsePositives <= 29, "false positives \(evaluation.overall.falsePositives)")
        #expect((evaluation.confusion[.none]?[.violating] ?? 0) <= 13)
    }
}
