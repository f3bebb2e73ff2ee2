/// Every threshold and limit of the text engine, in one place, each with a documented default.
public struct EngineConfiguration: Sendable, Hashable {
    /// Calibrated classifier probability of `violating` at or above which the decision is `violating`.
    public var violatingThreshold: Double
    /// Calibrated probability at or above which the decision is at least `review`.
    public var reviewThreshold: Double
    /// Strongest matched indicator weight at or above which an item goes to `review`, when the
    /// classifier gives it at least `indicatorAssistMinimum` and no non-violating context dominates.
    /// An indicator alone never makes an item `violating`.
    public var indicatorReviewWeight: Double
    public var indicatorAssistMinimum: Double
    /// Weight at or above which an indicator (an unmistakable slogan, hashtag or room-title
    /// pattern) sends an item to `review` on its own, unless a non-violating context reaches
    /// `strongContextThreshold`.
    public var indicatorAloneReviewWeight: Double
    public var strongContextThreshold: Double
    /// The context probability that suffices instead when every such indicator stands inside
    /// quotation marks: a slogan quoted in order to report, refute or mock it.
    public var quotedIndicatorContextThreshold: Double
    /// Words outside quotation marks that a text needs for its quotes to count as quoting:
    /// a slogan in quotes with nothing around it (`«…» 🏴`) reports, refutes or mocks nothing.
    public var quoteCommentaryMinimumWords: Int
    /// Probability of a non-violating context at or above which the verdict names it, when it
    /// also exceeds the violating probability.
    public var contextThreshold: Double
    /// Smallest category score reported in `categories`.
    public var categoryMinimum: Double
    /// Most categories reported.
    public var maxCategories: Int
    /// Most evidence entries reported per item.
    public var maxEvidence: Int
    /// Most words named as raising the classifier's violating score (evidence of kind `term`,
    /// with their spans) when the classifier sends an item to review or further; and the
    /// smallest share of the weight the text carries either way (`raisingTerms`) a word must
    /// have to be named.
    public var maxRaisingTerms: Int
    public var raisingTermMinimumShare: Double
    /// Longest text scanned, in UTF-8 bytes; longer text is scanned up to this limit and the
    /// verdict says so in its evidence.
    public var maxTextBytes: Int
    /// The cascade (`--model full`): the sentence encoder runs on an item when the fast engine's
    /// violating probability is in `semanticLow..<semanticHigh`, when it matched an indicator, or
    /// when the item is a container or profile title; items outside the band are decided by the
    /// fast engine alone. The band follows from the other settings rather than being tuned:
    /// below 0.3, a raise of weight 0.35 cannot reach the review threshold (0.35 + 0.65 · 0.3 =
    /// 0.545 < 0.55); at or above the violating threshold (0.85), the item is violating already.
    public var semanticLow: Double
    public var semanticHigh: Double
    /// The share of the encoder's probability in the violating probability of an item it ran on
    /// (the fast engine's gets the rest); the encoder raises it, and lowers it only when sure
    /// (`semanticLowerBelow`). 0.35 was chosen on the tune split (F1 94.9 at 0.3–0.35, 94.6 at
    /// 0.4–0.6, 94.3 at 0.7–0.8, 94.2 at 0.15–0.2).
    public var semanticWeight: Double
    /// The languages the classifier was trained on in earnest (hundreds of items each). In any
    /// other language the fast engine's probability means little, so the encoder runs from
    /// `unfamiliarSemanticLow` up and its probability weighs `unfamiliarSemanticWeight` (0.7,
    /// the weight chosen on the tune split before the everyday data; at that weight the cascade
    /// transfers to languages the classifier never saw: `bulwark transfer`).
    ///
    /// `unfamiliarSemanticLow` (0.05) trades encoder time for recall in those languages. It was
    /// chosen with German and English held out of training (`bulwark transfer --hold-out de,en`),
    /// never with Spanish and French, on which the transfer is reported: the highest start at
    /// which the cascade gains at least 20 points of recall over the n-gram engine at 1%, 5% and
    /// 10% false positives on the hard negatives (0.05: +24.3, +27.1, +23.1; 0.1: +18.9 at 5%;
    /// 0.0: +33.0 at 5%, but every item of such a language goes to the encoder). Checked again
    /// after the data of 2026-11-30: 0.05 +27.3, +25.2, +23.5; 0.1 +17.3 at 10%.
    public var familiarLanguages: Set<String>
    public var unfamiliarSemanticLow: Double
    public var unfamiliarSemanticWeight: Double
    /// In a language the classifier does not know, the encoder also runs on an item the fast
    /// engine finds to be about terrorism at all, whatever its stance: when the probability of
    /// every class but everyday talk (violating, news, research, counter-speech, artistic,
    /// religious) is at least this. Where the classifier has seen a language's ordinary posts
    /// but none of its violating ones, it scores that language's propaganda as news or
    /// counter-speech, below the band, and only the encoder can tell. Above 1: off.
    ///
    /// 0.3 was chosen with German and English held out (`bulwark transfer --hold-out de,en`,
    /// with and without `--train-on-held-out-negatives`), never with Spanish and French, by a
    /// rule set before the runs: the largest smallest gain over the n-gram engine at 1%, 5% and
    /// 10% false positives in both protocols, among the settings that send at most 25% of the
    /// bench mix to the encoder (off: 18.1%; 0.5: 22.2%; 0.3: 23.9%; 0.2: 26.3%). With German
    /// and English trained on only as ordinary posts, the cascade went from 39.2 / 51.0 / 54.4
    /// (off) to 45.2 / 74.0 / 81.0 (the n-gram engine 32.7 / 48.1 / 55.0); with them held out
    /// entirely it stayed at 57.1 / 76.7 / 85.6 (85.8 off).
    public var unfamiliarTopicLow: Double
    /// In the familiar languages, the encoder may also lower the fast probability, to the blend,
    /// when its own violating probability is below this: when it is sure the item is not
    /// violating (a blessing addressed to a brother, which the n-grams read as propaganda).
    /// Never when an indicator or a listed domain matched; elsewhere, and above this, it only
    /// raises. 0.1 was chosen on the tune split (2026-11-30; false positives 6 → 3 with no
    /// violating item lost; from 0.15 up, recall fell; lowering in every language lost a
    /// violating item). 0 turns lowering off.
    public var semanticLowerBelow: Double
    /// The cascade's evidence names the nearest exemplar of the decision's side; it says the
    /// item is "close to" it only from this cosine up, and below gives it as "nearest", with its
    /// cosine either way. 0.6 follows a rule fixed before measuring, on the tune split with the
    /// 143 exemplars of 2026-12-02: the lowest 0.05-wide band from which on every band of at least
    /// 10 items has the nearest exemplar naming the item's own category or kind at least half the
    /// time (0.35–0.55 reach 64–88%, but 0.55–0.6 only 47%). Over all tune items the nearest
    /// exemplar names the item's own label 54% of the time (median cosine 0.34).
    public var exemplarCloseMinimum: Double

    /// Whether the classifier was trained on `language` in earnest (`familiarLanguages`).
    public func isFamiliar(_ language: String) -> Bool { familiarLanguages.contains(language) }

    /// Where the encoder's band starts and how much its probability weighs, for an item in
    /// `language`: the familiar languages' settings or the others'.
    public func semanticSettings(language: String) -> (low: Double, weight: Double) {
        isFamiliar(language)
            ? (semanticLow, semanticWeight) : (unfamiliarSemanticLow, unfamiliarSemanticWeight)
    }

    public init(
        violatingThreshold: Double = 0.85,
        reviewThreshold: Double = 0.55,
        indicatorReviewWeight: Double = 0.5,
        indicatorAssistMinimum: Double = 0.15,
        indicatorAloneReviewWeight: Double = 0.7,
        strongContextThreshold: Double = 0.8,
        quotedIndicatorContextThreshold: Double = 0.4,
        quoteCommentaryMinimumWords: Int = 2,
        contextThreshold: Double = 0.4,
        categoryMinimum: Double = 0.1,
        maxCategories: Int = 3,
        maxEvidence: Int = 20,
        maxRaisingTerms: Int = 3,
        raisingTermMinimumShare: Double = 0.1,
        maxTextBytes: Int = 64 * 1024,
        semanticLow: Double = 0.3,
        semanticHigh: Double = 0.85,
        semanticWeight: Double = 0.35,
        familiarLanguages: Set<String> = ["ar", "de", "en", "es", "fr"],
        unfamiliarSemanticLow: Double = 0.05,
        unfamiliarSemanticWeight: Double = 0.7,
        unfamiliarTopicLow: Double = 0.3,
        semanticLowerBelow: Double = 0.1,
        exemplarCloseMinimum: Double = 0.6
    ) {
        self.violatingThreshold = violatingThreshold
        self.reviewThreshold = reviewThreshold
        self.indicatorReviewWeight = indicatorReviewWeight
        self.indicatorAssistMinimum = indicatorAssistMinimum
        self.indicatorAloneReviewWeight = indicatorAloneReviewWeight
        self.strongContextThreshold = strongContextThreshold
        self.quotedIndicatorContextThreshold = quotedIndicatorContextThreshold
        self.quoteCommentaryMinimumWords = quoteCommentaryMinimumWords
        self.contextThreshold = contextThreshold
        self.categoryMinimum = categoryMinimum
        self.maxCategories = maxCategories
        self.maxEvidence = maxEvidence
        self.maxRaisingTerms = maxRaisingTerms
        self.raisingTermMinimumShare = raisingTermMinimumShare
        self.maxTextBytes = maxTextBytes
        self.semanticLow = semanticLow
        self.semanticHigh = semanticHigh
        self.semanticWeight = semanticWeight
        self.familiarLanguages = familiarLanguages
        self.unfamiliarSemanticLow = unfamiliarSemanticLow
        self.unfamiliarSemanticWeight = unfamiliarSemanticWeight
        self.unfamiliarTopicLow = unfamiliarTopicLow
        self.semanticLowerBelow = semanticLowerBelow
        self.exemplarCloseMinimum = exemplarCloseMinimum
    }
}
