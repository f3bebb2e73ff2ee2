import BulwarkCore
@testable import BulwarkText
import Testing

struct TextEngineTests {
    func engine() throws -> TextEngine { try Fixtures.shared.get() }

    @Test func titleNamedAfterATerroristGroupIsFlaggedWithItsEvidence() throws {
        let text = "Supporters of the Islamic State"
        let verdict = try engine().scan(TextItem(id: "t", text: text, type: .title))
        #expect(verdict.decision != .none)
        let indicator = try #require(verdict.evidence.first { $0.kind == .indicator && $0.detail.hasPrefix("title.") })
        let scalars = Array(text.unicodeScalars)
        let start = try #require(indicator.start)
        let end = try #require(indicator.end)
        #expect(String(String.UnicodeScalarView(scalars[start..<end])).lowercased().contains("islamic state"))
    }

    @Test func newsCommentaryAboutAnArrestedCellIsNotViolating() throws {
        // Written for this test; not in any training file.
        let text = """
            Commentary: The arrest of a suspected Islamic State cell in the port city this week should worry us, \
            but not for the reasons the loudest voices claim. According to prosecutors, the four men, aged 19 to 24, \
            met in a Telegram group where Amaq videos and al-Naba editions circulated, and one of them had pledged \
            allegiance to the group's leader in a voice message. Police say they acted on a tip from a relative. \
            Investigators found no weapons. What the case shows is how online propaganda still recruits lonely young \
            men years after the so-called caliphate collapsed, and how much depends on families and platforms noticing \
            early. Calls to close mosques or to deport whole communities would do the recruiters' work for them.
            """
        let verdict = try engine().scan(TextItem(id: "news", text: text, type: .post))
        #expect(verdict.decision != .violating)
        #expect(verdict.evidence.contains { $0.kind == .indicator })  // the names are there, and shown
    }

    @Test func ordinaryReligiousSpeechIsLeftAlone() throws {
        for text in [
            "Ramadan Mubarak to all of you, may Allah accept our fasting and our prayers",
            "اللهم اغفر لنا وارحمنا وتقبل منا صالح الأعمال، جمعة مباركة",
            "El verdadero yihad es la lucha contra el propio ego, decía mi abuelo.",
        ] {
            #expect(try engine().scan(TextItem(id: "r", text: text)).decision == .none, "\(text)")
        }
    }

    @Test func anIndicatorAloneNeverMakesAnItemViolating() throws {
        let lexiconOnly = TextEngine(lexicon: try Fixtures.lexicon())
        for text in ["Supporters of the Islamic State", "new Amaq release", "أنصار الدولة الإسلامية", "baqiya wa tatamadad"] {
            let verdict = lexiconOnly.scan(TextItem(id: "i", text: text))
            #expect(verdict.decision != .violating, "\(text)")
            #expect(verdict.evidence.contains { $0.kind == .indicator }, "\(text)")
        }
    }

    @Test func quotingASloganToMockItStaysUpAndPostingItQuotedDoesNot() throws {
        // Written for this test; not in any training file.
        for text in [
            #""Baqiya wa tatamadad" they say. Remaining in prison, expanding the cemeteries. Pathetic."#,
            #"Quoting "kill the kuffar" to discuss it is allowed; posting it as your own slogan is not."#,
        ] {
            #expect(try engine().scan(TextItem(id: "cs", text: text)).decision == .none, "\(text)")
        }
        // Quotation marks are no way around the engine: the slogan posted in quotes, with a flag.
        for text in [#""Baqiya wa tatamadad" 🏴 brothers"#, #""Kill the kuffar" 🏴 wherever you find them"#, "«باقية وتتمدد» 🏴"] {
            #expect(try engine().scan(TextItem(id: "v", text: text)).decision != .none, "\(text)")
        }
    }

    @Test func wordsOutsideQuotesAreCounted() {
        let n = TextNormalizer()
        #expect(n.normalize("«باقية وتتمدد» 🏴").unquotedWordCount() == 0)
        #expect(n.normalize(#""Baqiya wa tatamadad" they say, pathetic"#).unquotedWordCount() == 3)
        #expect(n.normalize(#"they say "baqiya" and laugh"#).unquotedWordCount() == 4)
        #expect(n.normalize("no quotes here at all").unquotedWordCount(limit: 2) == 2)
        #expect(n.normalize("").unquotedWordCount() == 0)
    }

    @Test func quotedWordsAreFeaturesApartWhenAsked() throws {
        let text = TextNormalizer().normalize(#"they shout "expanding" again"#)
        var scratch = FeatureScratch()
        var together: [UInt32] = []
        var apart: [UInt32] = []
        FeatureExtractor(bucketBits: 18).extract(text, named: [], into: &together, scratch: &scratch)
        FeatureExtractor(bucketBits: 18, quotedApart: true).extract(text, named: [], into: &apart, scratch: &scratch)
        let unquoted = TextNormalizer().normalize("they shout expanding again")
        var plain: [UInt32] = []
        FeatureExtractor(bucketBits: 18).extract(unquoted, named: [], into: &plain, scratch: &scratch)
        // Together, every feature of the plain text is there (plus the quoted ones); apart, the
        // quoted word's own n-grams are not.
        #expect(Set(plain).isSubset(of: Set(together)))
        #expect(!Set(plain).isSubset(of: Set(apart)))
        let model = ClassifierModel(features: FeatureExtractor(bucketBits: 14, quotedApart: true))
        #expect(try ClassifierModel(serialized: model.serialized()).features.quotedApart)
    }

    @Test func nearDuplicateOfKnownPropagandaIsViolatingWithTheMatchAsEvidence() throws {
        var bank = KnownTextBank()
        let known =
            "Rejoice, soldiers of the khilafah! Your brothers struck the crusaders in their own homes and the enemies tasted fear today."
        bank.add(TextNormalizer().normalize(known), entry: .init(id: "k7", category: .incitement, source: "fixture"))
        let engine = try Fixtures.engine(known: bank)
        let edited =
            "rejoice soldiers of the KHILAFAH!!! your brothers struck the crusaders in their own homes & the enemies tasted fear 2day"
        let verdict = engine.scan(TextItem(id: "n", text: edited))
        #expect(verdict.decision == .violating)
        #expect(verdict.evidence.contains { $0.kind == .nearDuplicate && $0.detail.contains("k7") })
        #expect(verdict.categories.contains { $0.name == .incitement })
    }

    @Test func listedUrlIsViolatingAndListedDomainGoesToReview() throws {
        var links = LinkList()
        _ = links.add("https://files.example.org/release-17.pdf,fixture")
        _ = links.add("propaganda-archive.example")
        let engine = try Fixtures.engine(links: links)
        let url = engine.scan(TextItem(id: "u", text: "mirror: hxxps://files[.]example[.]org/release-17.pdf"))
        #expect(url.decision == .violating)
        #expect(url.evidence.contains { $0.kind == .url && $0.start == 8 })
        let domain = engine.scan(TextItem(id: "d", text: "lunch pics", urls: ["http://cdn.propaganda-archive.example/x"]))
        #expect(domain.decision >= .review)
        #expect(domain.evidence.contains { $0.kind == .domain })
    }

    @Test func verdictsNameLanguageAndCategories() throws {
        let verdict = try engine().scan(
            TextItem(id: "v", text: "انفروا إلى أرض الخلافة يا شباب، بايعوا أمير المؤمنين والإخوة بانتظاركم في الولاية"))
        #expect(verdict.language == "ar")
        #expect(verdict.decision != .none)
        #expect(!verdict.categories.isEmpty)
        #expect(verdict.categories.map(\.score) == verdict.categories.map(\.score).sorted(by: >))
    }

    @Test func oversizedTextIsScannedUpToTheLimit() throws {
        var engine = try engine()
        engine.configuration.maxTextBytes = 1_000
        let text = String(repeating: "ordinary words about the weather ", count: 10_000)
        let verdict = engine.scan(TextItem(id: "big", text: text))
        #expect(verdict.decision == .none)
    }
}

struct ClassifierModelTests {
    /// Loading the committed model and writing it again gives the file byte for byte (the
    /// packed rows and idf bytes the scan reads are the file's, no more, no less).
    @Test func serialisationRoundTripsAndRejectsDamagedFiles() throws {
        let file = try Fixtures.bytes("models/text-classifier.bwtc")
        let model = try ClassifierModel(serialized: file)
        #expect(!model.packedIDF.isEmpty, "the committed model weighs features by idf")
        let bytes = model.serialized()
        #expect(bytes == file)
        let again = try ClassifierModel(serialized: bytes)
        #expect(again.serialized() == bytes)
        #expect(again.temperature == model.temperature)
        #expect(throws: BulwarkError.self) { try ClassifierModel(serialized: Array(bytes.prefix(1_000))) }
        var badMagic = bytes
        badMagic[0] = 0x58
        #expect(throws: BulwarkError.self) { try ClassifierModel(serialized: badMagic) }
        #expect(throws: BulwarkError.self) { try ClassifierModel(serialized: bytes + [1, 2, 3]) }
    }

    /// The packed rows (weights and idf as bytes, summed in integers, as the scan reads them) give
    /// the logits of the float weights they were packed from, to the bytes' rounding.
    @Test func packedLogitsFollowTheFloatWeights() throws {
        let features = FeatureExtractor(bucketBits: 14)
        let engine = TextEngine(lexicon: try Fixtures.lexicon(), model: ClassifierModel(features: features))
        var scratch = EngineScratch()
        let examples = try Fixtures.items("data/dev/es.jsonl").prefix(160).compactMap {
            engine.trainingExample($0, scratch: &scratch)
        }
        let float = ClassifierTrainer(epochs: 3).train(
            Array(examples.prefix(140)), tune: Array(examples.suffix(20)), features: features, provenance: "t")
        #expect(!float.isPacked && !float.idf.isEmpty)
        var packed = float
        packed.pack()
        #expect(packed.isPacked && !packed.packedIDF.isEmpty)
        var a: [Float] = []
        var b: [Float] = []
        var largest: Float = 0
        var worst: Float = 0
        for e in examples {
            float.logits(e.buckets, into: &a)
            packed.logits(e.buckets, into: &b)
            for k in a.indices {
                largest = max(largest, abs(a[k]))
                worst = max(worst, abs(a[k] - b[k]))
            }
        }
        #expect(largest > 0.5)
        #expect(worst < 0.02 * largest, "largest logit \(largest), largest difference \(worst)")
    }

    @Test func trainingIsDeterministic() throws {
        let engine = TextEngine(lexicon: try Fixtures.lexicon(), model: ClassifierModel(features: FeatureExtractor(bucketBits: 14)))
        var scratch = EngineScratch()
        let items = try Fixtures.items("data/dev/en.jsonl")
        let examples = items.prefix(120).compactMap { engine.trainingExample($0, scratch: &scratch) }
        let trainer = ClassifierTrainer(epochs: 3)
        let a = trainer.train(Array(examples.prefix(100)), tune: Array(examples.suffix(20)), features: FeatureExtractor(bucketBits: 14), provenance: "t")
        let b = trainer.train(Array(examples.prefix(100)), tune: Array(examples.suffix(20)), features: FeatureExtractor(bucketBits: 14), provenance: "t")
        #expect(a.serialized() == b.serialized())
        // And it learned something: most training items are classified right.
        var right = 0
        var logits: [Float] = []
        for e in examples.prefix(100) {
            a.logits(e.buckets, into: &logits)
            let (stance, _) = a.probabilities(logits: logits)
            let predicted = stance.indices.max { stance[$0] < stance[$1] }
            if predicted == e.stance.rawValue { right += 1 }
        }
        #expect(right >= 80)
    }
}

/// A batch (what `scan` and `bench` run) identifies the languages first, then scans; each
/// verdict must be the one the item gets alone, language included, byte for byte.
struct TextEngineBatchTests {
    @Test func aBatchGivesEachItemItsOwnVerdict() throws {
        let engine = try Fixtures.shared.get()
        let long = String(repeating: "Die Preise im Supermarkt sind echt unverschämt geworden. ", count: 2_000)
        let items = try Array(Fixtures.items("data/dev/fr.jsonl").prefix(60))
            + Array(Fixtures.items("data/dev/ar.jsonl").prefix(60))
            + Array(Fixtures.items("data/langid/dev.jsonl").prefix(60))
            + [
                TextItem(id: "room", text: "Supporters of the Islamic State", type: .title),
                TextItem(id: "empty", text: ""),
                TextItem(id: "hint", text: "👍👍", lang: "pt"),
                TextItem(id: "long", text: long),
            ]
        var batchScratch = engine.makeScratch()
        let batch = engine.scan(batch: items, scratch: &batchScratch)
        var scratch = engine.makeScratch()
        let alone = items.map { engine.scan($0, scratch: &scratch) }
        #expect(batch.count == items.count)
        #expect(Set(alone.map(\.language)).count >= 4)  // several languages, a hint among them
        #expect(alone.first { $0.id == "hint" }?.language == "pt")
        for (b, a) in zip(batch, alone) { #expect(b == a, "\(a.id)") }
    }
}
