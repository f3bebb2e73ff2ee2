import BulwarkCascade
import BulwarkCore
import BulwarkSemantic
import BulwarkText
import Foundation
import Testing

/// The project's real engine, encoder, committed semantic head and exemplars.
enum CascadeFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func bytes(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: root + "/" + relative) else {
            throw BulwarkError(.invalidData, "missing \(root)/\(relative); run scripts/setup.sh")
        }
        return [UInt8](data)
    }

    static func items(_ relative: String) throws -> [TextItem] {
        let decoder = TextItemDecoder()
        return try bytes(relative).split(separator: 0x0A).filter { !$0.isEmpty }.map { try decoder.decode($0) }
    }

    static let cascade: Result<CascadeEngine, any Error> = Result {
        let fast = TextEngine(
            lexicon: try IndicatorLexicon(json: bytes("data/lexicon/indicators.json")),
            contextCues: try ContextCues(json: bytes("data/lexicon/contexts.json")),
            model: try ClassifierModel(serialized: bytes("models/text-classifier.bwtc")),
            languageIdentifier: try LanguageIdentifier(modelBytes: bytes(".bulwark/models/langid.bin")))
        let embedder = try Embedder(modelBytes: bytes(".bulwark/models/use-m3.bin"))
        let exemplars = try items("data/semantic/exemplars.jsonl").map { try Exemplar(labelled: $0) }
        let semantic = try SemanticModel(
            embedder: embedder, head: try SemanticHead(serialized: bytes("models/semantic-head.bwsh")),
            exemplars: ExemplarIndex(exemplars, embedder: embedder))
        return CascadeEngine(fast: fast, semantic: semantic)
    }
}

@Suite struct CascadeTests {
    @Test func clearCasesStayWithTheFastEngine() throws {
        let cascade = try CascadeFixtures.cascade.get()
        var scratch = cascade.makeScratch()
        var fastScratch = EngineScratch()
        let chatter = TextItem(id: "c", text: "Anyone up for football on Saturday? Bring water, it will be hot.")
        let fast = cascade.fast.scan(chatter, scratch: &fastScratch)
        #expect(fast.score < cascade.fast.configuration.semanticLow)
        #expect(cascade.routesToEncoder(chatter, fast) == false)
        #expect(cascade.scan(chatter, scratch: &scratch) == fast)
        #expect(scratch.encoded == 0)
    }

    /// In a language the classifier does not know, an item it finds to be about terrorism (any
    /// stance but everyday talk) goes to the encoder even when its violating probability is below
    /// the band; in a familiar language, or when it is everyday talk, it does not.
    @Test func inAnUnfamiliarLanguageAnItemAboutTerrorismGoesToTheEncoder() throws {
        let full = try CascadeFixtures.cascade.get()
        var fast = full.fast
        fast.configuration.unfamiliarTopicLow = 0.3
        let cascade = CascadeEngine(fast: fast, semantic: full.semantic)
        let low = fast.configuration.unfamiliarSemanticLow / 2
        func verdict(_ language: String, _ score: Double) -> Verdict {
            Verdict(id: "v", decision: .none, score: score, categories: [], context: nil, language: language, evidence: [])
        }
        let item = TextItem(id: "v", text: "…")
        #expect(cascade.routesToEncoder(item, verdict("it", low), topicProbability: 0.5))
        #expect(!cascade.routesToEncoder(item, verdict("it", low), topicProbability: 0.2))
        #expect(!cascade.routesToEncoder(item, verdict("en", low), topicProbability: 0.9))
        #expect(!cascade.routesToEncoder(item, verdict("it", fast.configuration.semanticHigh), topicProbability: 0.9))
        var off = fast
        off.configuration.unfamiliarTopicLow = 2
        #expect(!CascadeEngine(fast: off, semantic: full.semantic).routesToEncoder(item, verdict("it", low), topicProbability: 1))

        // Not in a language the encoder was not trained on either (Persian, Urdu, Indonesian are
        // not among the model's sixteen): there is no transfer to expect. A language not
        // identified may be any, so `und` still goes; with every language read, Persian goes too.
        // The band is the same for all.
        #expect(full.semantic?.languages == SentenceEncoder.trainedLanguages)
        for language in ["fa", "ur", "id"] {
            #expect(!cascade.routesToEncoder(item, verdict(language, low), topicProbability: 0.9))
            #expect(cascade.routesToEncoder(item, verdict(language, fast.configuration.unfamiliarSemanticLow), topicProbability: 0))
        }
        #expect(cascade.routesToEncoder(item, verdict("und", low), topicProbability: 0.9))
        #expect(cascade.routesToEncoder(item, verdict("tr", low), topicProbability: 0.9))
        #expect(cascade.route(item, verdict("it", low), topicProbability: 0.9) == .topic)
        #expect(cascade.route(item, verdict("fa", fast.configuration.unfamiliarSemanticLow), topicProbability: 0) == .unfamiliarBand)
        #expect(cascade.route(item, verdict("en", fast.configuration.semanticLow), topicProbability: 0) == .band)
        #expect(cascade.route(item, verdict("en", low), topicProbability: 0.9) == nil)
        let title = TextItem(id: "t", text: "…", type: .title)
        #expect(cascade.route(title, verdict("en", 0), topicProbability: 0) == .title)
        let s = try #require(full.semantic)
        let readsAll = CascadeEngine(
            fast: fast, semantic: try SemanticModel(embedder: s.embedder, head: s.head, exemplars: s.exemplars, languages: nil))
        #expect(readsAll.routesToEncoder(item, verdict("fa", low), topicProbability: 0.9))

        // The topic probability the fast engine leaves in the scratch, for real texts.
        var scratch = EngineScratch()
        let chatter = TextItem(id: "c", text: "Qualcuno gioca a calcetto sabato? Portate l'acqua, farà caldo.")
        _ = fast.scan(chatter, scratch: &scratch)
        #expect(scratch.topicProbability < 0.3, "\(scratch.topicProbability)")
        let news = TextItem(
            id: "n", text: "Attentato rivendicato dallo Stato islamico: la polizia ha arrestato tre sospetti, dice la procura.")
        _ = fast.scan(news, scratch: &scratch)
        #expect(scratch.topicProbability > 0.5, "\(scratch.topicProbability)")
        let batch = fast.scan(batch: [chatter, news], scratch: &scratch)
        #expect(batch.count == 2 && scratch.batchTopicProbabilities.count == 2)
        #expect(scratch.batchTopicProbabilities[0] < 0.3 && scratch.batchTopicProbabilities[1] > 0.5)
    }

    @Test func aContainerTitleGoesToTheEncoderAndNamesTheClosestExemplar() throws {
        let cascade = try CascadeFixtures.cascade.get()
        var scratch = cascade.makeScratch()
        let title = TextItem(id: "t", text: "Supporters of the Islamic State", type: .title)
        let verdict = cascade.scan(title, scratch: &scratch)
        #expect(scratch.encoded == 1)
        let semantic = try #require(verdict.evidence.first { $0.kind == .semantic })
        #expect(semantic.detail.hasPrefix("violating 0."))
        #expect(
            (semantic.detail.contains("; close to: ") || semantic.detail.contains("; nearest: "))
                && semantic.detail.contains(" exemplar "), "\(semantic.detail)")
        #expect(verdict.decision != .none, "\(verdict)")
    }

    /// The evidence names the nearest exemplar of the decision's side with its cosine, and says
    /// "close to" only from `exemplarCloseMinimum` up.
    @Test func theEvidenceSaysCloseToOnlyWhenAnExemplarIsNearEnough() throws {
        let full = try CascadeFixtures.cascade.get()
        let recruitment = TextItem(
            id: "r", text: "Brothers, the caliphate needs you: leave the land of disbelief and join the ranks.", type: .title)
        let news = TextItem(
            id: "n", text: "Police arrested three suspects accused of planning an attack on behalf of the group, prosecutors said.",
            type: .title)
        func detail(_ item: TextItem, minimum: Double) throws -> (Verdict, String) {
            var fast = full.fast
            fast.configuration.exemplarCloseMinimum = minimum
            let cascade = CascadeEngine(fast: fast, semantic: full.semantic)
            var scratch = cascade.makeScratch()
            let verdict = cascade.scan(item, scratch: &scratch)
            return (verdict, try #require(verdict.evidence.first { $0.kind == .semantic }).detail)
        }
        // An exemplar's own text: cosine 1, above the shipped minimum.
        let (violating, v) = try detail(recruitment, minimum: full.fast.configuration.exemplarCloseMinimum)
        #expect(violating.decision != .none, "\(violating)")
        #expect(v.contains("; close to: recruitment exemplar recruitment-1 (1.00)"), "\(v)")
        let (stays, n) = try detail(news, minimum: full.fast.configuration.exemplarCloseMinimum)
        #expect(stays.decision == .none, "\(stays)")
        #expect(n.contains("; close to: news exemplar news-1 (1.00)"), "\(n)")
        // Above every cosine: the same exemplar, named as the nearest only.
        let (_, far) = try detail(recruitment, minimum: 1.01)
        #expect(far.contains("; nearest: recruitment exemplar recruitment-1 (1.00)") && !far.contains("close to"), "\(far)")
        // An everyday title is not close to any exemplar at the shipped minimum.
        let chatter = TextItem(id: "c", text: "Selling my old bike, 50 euros, blue, needs new brakes", type: .title)
        let (_, c) = try detail(chatter, minimum: full.fast.configuration.exemplarCloseMinimum)
        #expect(c.contains("; nearest: ") && !c.contains("close to"), "\(c)")
    }

    /// The encoder reads at most `SentenceEncoder.maxPieces` pieces; a reviewer reads when a
    /// text had more, alone and in a batch.
    @Test func theEvidenceSaysWhenTheEncoderReadOnlyTheStartOfAText() throws {
        let cascade = try CascadeFixtures.cascade.get()
        var scratch = cascade.makeScratch()
        let long = TextItem(id: "long", text: String(repeating: "a.b.c.d.e.f ", count: 250), type: .title)
        let pieces = try #require(cascade.semantic).embedder.tokenizer.encode(long.text).count
        #expect(pieces > SentenceEncoder.maxPieces)
        let note = "the encoder read the first \(SentenceEncoder.maxPieces) of the text's \(pieces) pieces"
        let short = TextItem(id: "short", text: "Supporters of the Islamic State", type: .title)
        for verdicts in [[cascade.scan(long, scratch: &scratch), cascade.scan(short, scratch: &scratch)],
            cascade.scan(batch: [long, short], scratch: &scratch)]
        {
            let details = verdicts.map { $0.evidence.first { $0.kind == .semantic }?.detail ?? "" }
            #expect(details[0].hasSuffix("; " + note), "\(details[0])")
            #expect(!details[1].isEmpty && !details[1].contains("the encoder read"), "\(details[1])")
        }
    }

    @Test func withoutASemanticModelTheCascadeIsTheFastEngine() throws {
        let full = try CascadeFixtures.cascade.get()
        let fastOnly = CascadeEngine(fast: full.fast, semantic: nil)
        var scratch = fastOnly.makeScratch()
        var fastScratch = EngineScratch()
        let items = try CascadeFixtures.items("data/dev/es.jsonl").prefix(60)
        for item in items {
            #expect(fastOnly.scan(item, scratch: &scratch) == full.fast.scan(item, scratch: &fastScratch))
        }
        #expect(scratch.encoded == 0)
        // No encoder, so its scratch keeps no pieces; with one, the standard table.
        #expect(scratch.workspace.cachedPieces == 0)
        #expect(full.makeScratch().workspace.cachedPieces == SentenceEncoder.Workspace.standardCachedPieces)
    }

    @Test func uncertainItemsAreRoutedAndTheScoreIsTheBlend() throws {
        let cascade = try CascadeFixtures.cascade.get()
        let c = cascade.fast.configuration
        var scratch = cascade.makeScratch()
        var fastScratch = EngineScratch()
        var routed = 0
        for item in try CascadeFixtures.items("data/dev/fr.jsonl").prefix(80) {
            let fast = cascade.fast.scan(item, scratch: &fastScratch)
            let before = scratch.encoded
            let verdict = cascade.scan(item, scratch: &scratch)
            let known = fast.evidence.contains { $0.kind == .knownText || $0.kind == .nearDuplicate || $0.kind == .url }
            let inBand = fast.score >= c.semanticSettings(language: fast.language).low && fast.score < c.semanticHigh
            let indicator = fast.evidence.contains { $0.kind == .indicator || $0.kind == .domain }
            let title = item.type == .title || item.type == .profile
            #expect((scratch.encoded > before) == (!known && (inBand || indicator || title)), "\(item.id)")
            guard scratch.encoded > before else {
                #expect(verdict == fast)
                continue
            }
            routed += 1
            // The blended score lies between the two models' scores, and decides the verdict
            // unless a fast rule (an unmistakable indicator) keeps it in review.
            #expect(verdict.score >= min(fast.score, 0) && verdict.score <= 1)
            if verdict.score >= c.violatingThreshold { #expect(verdict.decision == .violating) }
            if verdict.score < c.reviewThreshold && verdict.decision != .none {
                #expect(verdict.decision == .review && fast.decision == .review)
            }
            #expect(verdict.evidence.contains { $0.kind == .semantic })
            if verdict.decision == .none { #expect(verdict.categories.isEmpty) } else { #expect(verdict.context == nil) }
        }
        #expect(routed > 0)
    }

    /// The score of a routed item is the blend when the encoder raises it, or when the encoder is
    /// sure the item is not violating in a familiar language and no indicator matched; otherwise
    /// the fast score stands.
    @Test func theEncoderLowersOnlyWhenSureAndOnlyInTheFamiliarLanguages() throws {
        let cascade = try CascadeFixtures.cascade.get()
        let semantic = try #require(cascade.semantic)
        let c = cascade.fast.configuration
        let violating = try #require(semantic.head.classes.firstIndex(of: "violating"))
        var scratch = cascade.makeScratch()
        var fastScratch = EngineScratch()
        var lowered = 0, notLowered = 0
        // Data the models never saw (on training data the classifier is seldom unsure).
        let items = try CascadeFixtures.items("data/heldout/fraternal.jsonl") + CascadeFixtures.items("data/langid/dev.jsonl")
        for item in items {
            let fast = cascade.fast.scan(item, scratch: &fastScratch)
            let before = scratch.encoded
            let verdict = cascade.scan(item, scratch: &scratch)
            guard scratch.encoded > before else { continue }
            let pSemantic = semantic.head.probabilities(semantic.embedder.embed(item.text))[violating]
            let weight = c.semanticSettings(language: fast.language).weight
            let blend = weight * pSemantic + (1 - weight) * fast.score
            let familiar = c.familiarLanguages.contains(fast.language)
            let lexicon = fast.evidence.contains { $0.kind == .indicator || $0.kind == .domain }
            if pSemantic < c.semanticLowerBelow && familiar && !lexicon {
                #expect(abs(verdict.score - blend) < 1e-6, "\(item.id)")
                if blend < fast.score {
                    lowered += 1
                    // The reviewer is told.
                    #expect(verdict.evidence.contains { $0.kind == .semantic && $0.detail.contains("lowered the classifier's") })
                }
            } else {
                #expect(abs(verdict.score - max(fast.score, blend)) < 1e-6, "\(item.id)")
                #expect(!verdict.evidence.contains { $0.detail.contains("lowered") }, "\(item.id)")
                if pSemantic < c.semanticLowerBelow && blend < fast.score { notLowered += 1 }
            }
        }
        // Both branches are exercised by the data: lowered, and sure but kept (another language, or an indicator).
        #expect(lowered > 0)
        #expect(notLowered > 0)

        // With lowering turned off, no routed item scores below the fast engine.
        var raiseOnlyEngine = cascade.fast
        raiseOnlyEngine.configuration.semanticLowerBelow = 0
        let raiseOnly = CascadeEngine(fast: raiseOnlyEngine, semantic: semantic)
        var raiseScratch = raiseOnly.makeScratch()
        for item in items.prefix(200) {
            let fast = cascade.fast.scan(item, scratch: &fastScratch)
            #expect(raiseOnly.scan(item, scratch: &raiseScratch).score >= fast.score - 1e-9, "\(item.id)")
        }
    }

    /// Scanning a batch (what `scan` and `bench` do) gives each item the verdict it gets alone,
    /// to the last bit of every score: a sentence's embedding in a batch is its embedding alone.
    @Test func aBatchGivesEachItemItsOwnVerdict() throws {
        let cascade = try CascadeFixtures.cascade.get()
        let items = try Array(CascadeFixtures.items("data/dev/fr.jsonl").prefix(40))
            + Array(CascadeFixtures.items("data/dev/es.jsonl").prefix(40))
            + [TextItem(id: "room", text: "Supporters of the Islamic State", type: .title)]
        var batchScratch = cascade.makeScratch()
        let batch = cascade.scan(batch: items, scratch: &batchScratch)
        var scratch = cascade.makeScratch()
        let alone = items.map { cascade.scan($0, scratch: &scratch) }
        #expect(batchScratch.encoded == scratch.encoded)
        #expect(batchScratch.pieceLookups > CascadeEngine.encoderPartPieces)  // more than one part
        // Each routed item counted once by why it went, the same in both; every title as a title.
        #expect(batchScratch.routes == scratch.routes)
        #expect(scratch.routes.reduce(0, +) == scratch.encoded)
        #expect(scratch.routes[EncoderRoute.title.rawValue] == items.filter { $0.type == .title || $0.type == .profile }.count)
        #expect(batch.count == items.count)
        for (b, a) in zip(batch, alone) {
            let same = b == a
            #expect(same, "\(a.id): \(b.decision) \(b.score) in the batch, \(a.decision) \(a.score) alone")
        }
    }
}

/// The text engine's quality targets, with the cascade (`--model full`), on the held-out test
/// split that neither the classifier nor the semantic head was trained on.
@Suite struct CascadeQualityTests {
    static let evaluations: Result<(arabic: Evaluation, dev: Evaluation), any Error> = Result {
        let cascade = try CascadeFixtures.cascade.get()
        var scratch = cascade.makeScratch()
        func evaluate(_ items: [TextItem]) -> Evaluation {
            var evaluation = Evaluation()
            for item in items where DatasetSplit.of(item) == .test {
                var unhinted = item
                unhinted.lang = nil
                evaluation.add(item, cascade.scan(unhinted, scratch: &scratch))
            }
            return evaluation
        }
        var dev: [TextItem] = []
        let dir = CascadeFixtures.root + "/data/dev"
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".jsonl") }).sorted() {
            dev += try CascadeFixtures.items("data/dev/" + file)
        }
        return (evaluate(try CascadeFixtures.items("../shared/data/text/arabic-isis-dev.jsonl")), evaluate(dev))
    }

    @Test func arabicHeldOutF1StaysAtLeast95Percent() throws {
        let e = try Self.evaluations.get().arabic
        #expect(e.overall.total >= 150)
        #expect((e.overall.f1 ?? 0) >= 0.95, "F1 \(e.overall.f1 ?? 0)")
        #expect((e.violatingOnly.precision ?? 0) >= 0.97)
    }

    @Test func multilingualHeldOutRecallAndHardNegativesStayWithinTheTargets() throws {
        let e = try Self.evaluations.get().dev
        #expect((e.overall.recall ?? 0) >= 0.85, "recall \(e.overall.recall ?? 0)")
        for lang in ["ar", "de", "en", "es", "fr"] {
            let counts = try #require(e.byLanguage[lang])
            #expect((counts.recall ?? 0) >= 0.75, "recall \(lang)")
        }
        // The target is 5% for each (counter-speech 4.5%, 5 of 111, with the cascade; README).
        for (kind, bound) in [("news", 0.05), ("counter_speech", 0.05), ("religious", 0.05)] {
            let counts = try #require(e.byKind[kind])
            #expect((counts.falsePositiveRate ?? 1) <= bound, "\(kind) FPR \(counts.falsePositiveRate ?? 1)")
        }
        #expect((e.violatingOnly.precision ?? 0) >= 0.95)
    }

    /// The religious-speech probe, never trained on (data/heldout/religious-speech.jsonl), as
    /// `bulwark eval --model full` reads it: a regression guard at the measured figures (false
    /// positives 9 of 160, 3 of them `violating`; recall 92.0%; README), a known weakness.
    @Test func religiousSpeechProbeKeepsItsFloor() throws {
        let cascade = try CascadeFixtures.cascade.get()
        var scratch = cascade.makeScratch()
        var e = Evaluation()
        for item in try CascadeFixtures.items("data/heldout/religious-speech.jsonl") {
            e.add(item, cascade.scan(item, scratch: &scratch))
        }
        #expect(e.overall.total == 210)
        #expect(e.overall.falsePositives <= 9, "false positives \(e.overall.falsePositives)")
        #expect((e.overall.recall ?? 0) >= 0.88, "recall \(e.overall.recall ?? 0)")
        #expect((e.confusion[.none]?[.violating] ?? 0) <= 3)
    }
}

/// `SemanticModel.occlusion` (`bulwark explain --model full`): the encoder's probability of the
/// text and of the text without each span, as embedding each variant alone would give it.
struct OcclusionTests {
    @Test func eachVariantIsTheTextWithoutItsSpanAsTheEncoderReadsItAlone() throws {
        let semantic = try #require(try CascadeFixtures.cascade.get().semantic)
        let text = "Hermanos, uníos al califato, los muyahidines os esperan"
        let scalars = Array(text.unicodeScalars)
        var spans: [Range<Int>] = []
        var start = 0
        for i in 0...scalars.count where i == scalars.count || scalars[i] == " " {
            spans.append(start..<i)
            start = i + 1
        }
        let workspace = SentenceEncoder.Workspace()
        let result = try #require(semantic.occlusion(text, spans: spans, workspace: workspace))
        #expect(result.without.count == spans.count)
        func alone(_ t: String) -> Double {
            semantic.head.probabilities(semantic.embedder.embed(t))[semantic.head.classes.firstIndex(of: "violating")!]
        }
        #expect(abs(result.violating - alone(text)) < 1e-4)
        for (span, p) in zip(spans, result.without) {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[..<span.lowerBound])
            view.append(contentsOf: scalars[span.upperBound...])
            #expect(abs(p - alone(String(view))) < 1e-4, "\(span)")
        }
        // Not every word matters the same to the encoder.
        #expect((result.without.max() ?? 0) - (result.without.min() ?? 0) > 0.01)
        // Too many spans: not measured.
        let many = [Range<Int>](repeating: 0..<1, count: SemanticModel.maxOcclusionSpans + 1)
        #expect(semantic.occlusion(text, spans: many, workspace: workspace).map { _ in true } == nil)
    }
}
