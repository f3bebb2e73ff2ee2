public import BulwarkCore
import CTextKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#elseif canImport(ucrt)
    import ucrt
#endif

/// A language decision for one text.
public struct LanguageGuess: Sendable, Hashable {
    /// ISO 639-1 code of the language, or `"und"` when the identifier is unsure.
    public var code: String
    /// Normalised probability of `code` among the candidate classes, in 0...1.
    /// For `"und"` it is the probability of the best supported language, or 0 when
    /// the text had too few letters (or letters of no supported script) to score.
    public var confidence: Double

    public init(code: String, confidence: Double) {
        self.code = code
        self.confidence = confidence
    }

    /// The code for "undetermined".
    public static let undeterminedCode = "und"

    public var isUndetermined: Bool { code == Self.undeterminedCode }
}

/// Language identification with py3langid's naive Bayes model over byte n-grams.
///
/// The model is the one shipped in the PyPI package py3langid 0.4.0, converted by
/// `scripts/export-langid-model.py` into Bulwark's binary format (see that script or
/// docs/langid.md) and passed in as bytes: this type does no I/O.
///
/// `identify` works on UTF-8 bytes in a few passes over stack (temporary) buffers:
/// 1. noise stripping (links, @mentions and e-mail addresses, digits, emoji and other
///    symbols, `#` of hashtags), whitespace collapsed;
/// 2. py3langid's own preparation of the text: undecodable input is scored as raw bytes,
///    up to 3 bytes of a cut-off trailing sequence are dropped, text whose cased letters
///    are all upper-case is lower-cased, and base + combining mark pairs are composed
///    (NFC composition for Latin, Greek, Cyrillic and Arabic);
/// 3. the automaton walk and the naive Bayes score, exactly as py3langid;
/// 4. a script prior: Latin-script text is never ar/ur/fa/ru, Cyrillic text is only ru
///    among the supported languages, Arabic-script text is only ar/ur/fa, with letters
///    specific to Urdu, to Persian/Urdu and to Arabic shifting the choice among those;
///    text mostly in another script is "und";
/// 5. the normalised probability (py3langid's: scores divided by the square root of the
///    byte length, then softmax over the candidates) against `minConfidence`.
///
/// Distractor classes kept in the model (other languages, and py3langid's "zxx" for no
/// linguistic content) compete as candidates; when one wins the answer is "und".
public struct LanguageIdentifier: Sendable {
    /// The code returned when the identifier is unsure.
    public static let undetermined = LanguageGuess.undeterminedCode

    /// The languages this model can answer (ISO 639-1), in model order.
    public let languages: [String]
    /// Every class of the model, target languages and distractors, in model order.
    public let classes: [String]
    /// The model's metadata text (source package, version, checksum of the source model).
    public let metadata: String

    /// Below this normalised top-class probability the answer is "und".
    /// 0.3 was chosen on data/langid/dev.jsonl and out-of-set probes (see docs/langid.md).
    public var minConfidence: Double = 0.3
    /// Texts with fewer letters than this (after noise stripping) are "und".
    public var minLetters: Int = 3
    /// Only the first `maxScoredBytes` bytes of a text are looked at (bounded work and
    /// buffers for long texts).
    public var maxScoredBytes: Int = 16_384
    /// Whether links, @mentions, e-mail addresses, digits, emoji and symbols are removed
    /// before scoring (step 1 above).
    public var stripsNoise: Bool = true
    /// Strength of the Arabic-script letter prior, in natural-log units added to the
    /// normalised (temperature-scaled) scores. 0 turns the letter prior off.
    public var arabicLetterPrior: Double = 4.0
    /// Texts of at least this many bytes are walked as four parts at once (see `walkInParts`):
    /// the same counts, in the same order, with four independent chains of memory reads
    /// instead of one. `Int.max` walks every text in one piece (the tests compare the two).
    public var partsFromBytes: Int = 32

    // MARK: Model storage

    private let classCount: Int
    /// Class priors (pc).
    private let priors: [Float]
    /// The output features of the states (read only when a state has more than one).
    private let outputFeatures: [UInt32]
    /// The per-class log-probabilities (ptc), one row of `classCount` halves per count key, plus
    /// 8 halves of padding: py3langid holds them as float16, so the halves are exact (the loader
    /// checks). With `packedStates` the count key of a feature is the state that emits it (the
    /// first, in the walk's numbering, when several do); otherwise it is the feature's id.
    private let rows: LargeTable<UInt16>
    private let maxOutputsPerState: Int
    /// The automaton laid out for the walk (built at load time from the file's sections):
    /// dense next-move rows (256 words each) for states 0 ..< denseStateCount (the start
    /// state and its children), then (only when `packedStates` is nil) one 4-word record per state, plus one closing record:
    /// first child, end of children, failure link, and either the state's only output
    /// feature (`UInt32.max` for none; when no state has more than one) or its first
    /// output's index; then the edge labels, four per word.
    private let automaton: LargeTable<UInt32>
    private let denseStateCount: Int
    private let nodeBase: Int
    /// The same automaton in one 64-bit word per state, when the state ids fit and no state has
    /// more than one output: the edge label into the state (bits 0-7), its first child and its
    /// failure link (`stateBits` each), its number of children (9 bits), whether it emits a
    /// feature (1 bit) and, in the remaining bits, 0 when its count key is the state itself, or
    /// 1 + i when another state emitting the same feature holds the count: `sharedKeys[i]`.
    /// A child's label sits in the child's own word, so finding the child reads the words the
    /// next step needs.
    ///
    /// The states are renumbered for the cache: the start state and its children keep their
    /// places (dense rows), then the other states' children, as groups, are placed by how
    /// likely their n-grams are in a target language (the model's own log-probabilities: the
    /// group of the likeliest n-gram first, and the likeliest child first within a group), so
    /// that the states and rows ordinary text visits share cache lines. Same automaton, same
    /// counts.
    private let packedStates: LargeTable<UInt64>?
    /// With `packedStates`: the edge label into each state, one byte per state, plus 8 zero
    /// bytes of padding, so that the children of a state (consecutive states) are searched 8
    /// labels per 64-bit load, without a branch per child.
    private let packedLabels: LargeTable<UInt8>?
    /// With `packedStates`: the count keys of the states whose feature another state counts.
    private let sharedKeys: [UInt32]
    private let stateBits: Int
    /// The depth of the deepest trie state (the longest n-gram, 6 bytes in py3langid's model):
    /// the state after any text is determined by its last `maxDepth` bytes.
    private let maxDepth: Int
    private let automatonLabelBase: Int
    private let isTarget: [Bool]
    private let indexAr: Int
    private let indexUr: Int
    private let indexFa: Int
    private let indexRu: Int

    private static let magic: [UInt8] = Array("BWLID1".utf8)
    private static let headerSize = 28
    private static let formatVersion: UInt16 = 1

    // MARK: Loading

    /// Loads a model written by `scripts/export-langid-model.py`.
    ///
    /// Every structural property the scorer relies on is checked here (sizes, checksum,
    /// every state, child, failure link and feature index), so a malformed file gives an
    /// error, never a crash.
    public init(modelBytes: [UInt8]) throws(BulwarkError) {
        let total = modelBytes.count
        func invalid(_ message: String, _ offset: Int) -> BulwarkError {
            BulwarkError(.invalidModel, message, offset: offset)
        }
        guard total >= Self.headerSize else {
            throw invalid(
                "language-id model is truncated: \(total) bytes, the header alone needs \(Self.headerSize)", total)
        }
        guard Array(modelBytes[0..<6]) == Self.magic else {
            throw invalid("not a Bulwark language-id model (the file does not start with \"BWLID1\")", 0)
        }
        func u16(_ at: Int) -> UInt16 { UInt16(modelBytes[at]) | UInt16(modelBytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int {
            Int(modelBytes[at]) | Int(modelBytes[at + 1]) << 8 | Int(modelBytes[at + 2]) << 16
                | Int(modelBytes[at + 3]) << 24
        }
        let version = u16(6)
        guard version == Self.formatVersion else {
            throw invalid("unsupported language-id model format version \(version) (expected \(Self.formatVersion))", 6)
        }
        let c = u32(8), s = u32(12), f = u32(16), o = u32(20), m = u32(24)
        guard c >= 1 && c <= 4096 else { throw invalid("class count \(c) out of range", 8) }
        guard s >= 1 && s <= 1 << 27 else { throw invalid("state count \(s) out of range", 12) }
        guard f >= 1 && f <= 1 << 27 else { throw invalid("feature count \(f) out of range", 16) }
        guard o <= 1 << 28 else { throw invalid("output count \(o) out of range", 20) }
        guard m <= 1 << 20 else { throw invalid("metadata length \(m) out of range", 24) }

        func pad4(_ n: Int) -> Int { (n + 3) & ~3 }
        // Byte offsets of the sections.
        let metaAt = Self.headerSize
        let codesAt = metaAt + pad4(m)
        let kindsAt = codesAt + 8 * c
        let priorsAt = kindsAt + pad4(c)
        let row0At = priorsAt + 4 * c
        let firstChildAt = row0At + 4 * 256
        let labelsAt = firstChildAt + 4 * (s + 1)
        let failAt = labelsAt + pad4(s)
        let outOffsetAt = failAt + 4 * s
        let outFeatureAt = outOffsetAt + 4 * (s + 1)
        let ptcAt = outFeatureAt + 4 * o
        let crcAt = ptcAt + 4 * f * c
        let expected = crcAt + 4
        guard total >= expected else {
            throw invalid("language-id model is truncated: expected \(expected) bytes, found \(total)", total)
        }
        guard total == expected else {
            throw invalid("language-id model has \(total - expected) unexpected trailing bytes", expected)
        }
        let storedCRC = UInt32(truncatingIfNeeded: u32(crcAt))
        let actualCRC = modelBytes.withUnsafeBufferPointer { Self.crc32(UnsafeBufferPointer(rebasing: $0[0..<crcAt])) }
        guard storedCRC == actualCRC else {
            throw invalid("language-id model checksum mismatch (the file is corrupt)", crcAt)
        }

        // Metadata and classes.
        metadata = String(decoding: modelBytes[metaAt..<(metaAt + m)], as: UTF8.self)
        var codes: [String] = []
        var targets: [Bool] = []
        for k in 0..<c {
            let at = codesAt + 8 * k
            let raw = modelBytes[at..<(at + 8)]
            let length = raw.firstIndex(of: 0).map { $0 - at } ?? 8
            guard length >= 2 && length <= 7,
                raw[at..<(at + length)].allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }),
                raw[(at + length)...].allSatisfy({ $0 == 0 })
            else {
                throw invalid("class \(k) has an invalid language code", at)
            }
            codes.append(String(decoding: raw[at..<(at + length)], as: UTF8.self))
            let kind = modelBytes[kindsAt + k]
            guard kind <= 1 else { throw invalid("class \(k) has an invalid kind \(kind)", kindsAt + k) }
            targets.append(kind == 1)
        }
        guard Set(codes).count == c else { throw invalid("language codes are not unique", codesAt) }
        guard targets.contains(true) else { throw invalid("model has no target language", kindsAt) }
        classes = codes
        isTarget = targets
        languages = zip(codes, targets).filter(\.1).map(\.0)
        func index(_ code: String) -> Int {
            guard let k = codes.firstIndex(of: code), targets[k] else { return -1 }
            return k
        }
        indexAr = index("ar")
        indexUr = index("ur")
        indexFa = index("fa")
        indexRu = index("ru")

        // The words before ptc (ptc, nine tenths of the file, is read where it lies: `ptcBits`).
        let wordCount = ptcAt / 4
        let words = LargeTable<UInt32>(count: wordCount) { buffer in
            modelBytes.withUnsafeBytes { raw in
                #if _endian(little)
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: raw[0..<(wordCount * 4)]))
                #else
                    for i in 0..<wordCount {
                        buffer[i] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    }
                #endif
            }
        }
        let loaded = words.buffer
        classCount = c
        /// Word i of ptc.
        func ptcBits(_ i: Int) -> UInt32 {
            modelBytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: ptcAt + 4 * i, as: UInt32.self)) }
        }

        // Structure: everything the walk and the scorer index with.
        var maxOut = 0
        do {
            let w = loaded
            for k in 0..<c where !Float(bitPattern: w[priorsAt / 4 + k]).isFinite {
                throw invalid("class prior \(k) is not finite", priorsAt + 4 * k)
            }
            for b in 0..<256 where Int(w[row0At / 4 + b]) >= s {
                throw invalid("start-state transition for byte \(b) leaves the automaton", row0At + 4 * b)
            }
            let fc = firstChildAt / 4
            guard w[fc] == 1 else {
                throw invalid("first child of the start state must be state 1", firstChildAt)
            }
            guard Int(w[fc + s]) == s else {
                throw invalid("child table does not end at the state count", firstChildAt + 4 * s)
            }
            let lb = labelsAt
            for st in 0..<s {
                let lo = Int(w[fc + st]), hi = Int(w[fc + st + 1])
                guard lo <= hi, hi <= s, lo > st else {
                    throw invalid("children of state \(st) are out of order", firstChildAt + 4 * st)
                }
                if hi - lo > 1 {
                    for t in (lo + 1)..<hi where modelBytes[lb + t] <= modelBytes[lb + t - 1] {
                        throw invalid("children of state \(st) are not sorted by byte", lb + t)
                    }
                }
            }
            let fl = failAt / 4
            guard w[fl] == 0 else { throw invalid("the start state has a failure link", failAt) }
            for st in 1..<s where Int(w[fl + st]) >= st {
                throw invalid("failure link of state \(st) does not go back", failAt + 4 * st)
            }
            let oo = outOffsetAt / 4
            guard w[oo] == 0, Int(w[oo + s]) == o else {
                throw invalid("output offsets do not span the output list", outOffsetAt)
            }
            for st in 0..<s {
                let lo = w[oo + st], hi = w[oo + st + 1]
                guard lo <= hi else {
                    throw invalid("output offsets of state \(st) go backwards", outOffsetAt + 4 * st)
                }
                maxOut = max(maxOut, Int(hi - lo))
            }
            let of = outFeatureAt / 4
            for i in 0..<o where Int(w[of + i]) >= f {
                throw invalid("output \(i) names feature \(w[of + i]) of \(f)", outFeatureAt + 4 * i)
            }
            for i in 0..<(f * c) where !Float(bitPattern: ptcBits(i)).isFinite {
                throw invalid("log-probability \(i) is not finite", ptcAt + 4 * i)
            }
        }
        maxOutputsPerState = maxOut
        priors = (0..<c).map { Float(bitPattern: loaded[priorsAt / 4 + $0]) }
        outputFeatures = maxOut <= 1 ? [] : Array(loaded[(outFeatureAt / 4)..<(outFeatureAt / 4 + o)])

        // The walk's layout (see `automaton` and `packedStates`).
        let dense = Int(loaded[firstChildAt / 4 + 1])  // the start state and its children
        let nodes = dense * 256
        var sb = 1
        while 1 << sb < s + 1 { sb += 1 }
        stateBits = sb
        let fc = firstChildAt / 4, fl = failAt / 4, oo = outOffsetAt / 4, of = outFeatureAt / 4
        // The feature of each state (-1: none; the packed form has at most one per state).
        let feature: [Int] = (0..<s).map { st in
            loaded[oo + st] < loaded[oo + st + 1] ? Int(loaded[of + Int(loaded[oo + st])]) : -1
        }
        // Depths (breadth-first numbering: a state's children come after it).
        var depth = [Int](repeating: 0, count: s)
        var deepest = 0
        for st in 0..<s {
            for child in Int(loaded[fc + st])..<Int(loaded[fc + st + 1]) where child > st && child < s {
                depth[child] = depth[st] + 1
                deepest = max(deepest, depth[child])
            }
        }
        maxDepth = deepest
        // The packed word holds the label, two state ids, the child count, the output bit and
        // the index of a shared count key (one for each state whose feature another state emits).
        var emitted = [Bool](repeating: false, count: f)
        var sharedCount = 0
        for st in 0..<s where feature[st] >= 0 {
            if emitted[feature[st]] { sharedCount += 1 } else { emitted[feature[st]] = true }
        }
        let sharedIndexBits = 64 - (8 + 2 * sb + 9 + 1)
        let packable = maxOut <= 1 && sharedIndexBits >= 1 && sharedCount < 1 << sharedIndexBits
        // New ids (identity without the packed form).
        var newID = [Int](0..<s)
        if packable {
            // How likely each state's n-gram is in the likeliest target language (its log-probability).
            let likelihood: [Float] = feature.map { f in
                guard f >= 0 else { return -.infinity }
                var best = -Float.infinity
                for k in 0..<c where targets[k] { best = max(best, Float(bitPattern: ptcBits(f * c + k))) }
                return best
            }
            var groups: [(parent: Int, likelihood: Float)] = []
            for st in 1..<s where loaded[fc + st] < loaded[fc + st + 1] {
                var best = -Float.infinity
                for child in Int(loaded[fc + st])..<Int(loaded[fc + st + 1]) { best = max(best, likelihood[child]) }
                groups.append((st, best))
            }
            groups.sort { $0.likelihood != $1.likelihood ? $0.likelihood > $1.likelihood : $0.parent < $1.parent }
            var next = dense
            for group in groups {
                let children = (Int(loaded[fc + group.parent])..<Int(loaded[fc + group.parent + 1])).sorted {
                    likelihood[$0] != likelihood[$1] ? likelihood[$0] > likelihood[$1] : $0 < $1
                }
                for child in children {
                    newID[child] = next
                    next += 1
                }
            }
        }
        // The count key of each state's feature: with the packed form, the first state (new
        // numbering) that emits it; otherwise the feature.
        var keyOfFeature = [Int](repeating: -1, count: f)
        if packable {
            for st in 0..<s where feature[st] >= 0 {
                let key = keyOfFeature[feature[st]]
                if key < 0 || newID[st] < key { keyOfFeature[feature[st]] = newID[st] }
            }
        } else {
            keyOfFeature = Array(0..<f)
        }
        let keyCount = packable ? s : f
        // The rows in halves, by count key: exact, or the model is refused.
        var inexact: Int?
        rows = LargeTable(count: keyCount * c + 8) { r in
            r.initialize(repeating: 0)
            modelBytes.withUnsafeBytes { raw in
                for feature in 0..<f where inexact == nil {
                    let key = keyOfFeature[feature]
                    guard key >= 0 else { continue }
                    #if _endian(little)
                        let done = bulwark_floats_to_halves(raw.baseAddress! + ptcAt + 4 * feature * c, r.baseAddress! + key * c, c)
                    #else
                        let row = (0..<c).map { ptcBits(feature * c + $0) }
                        let done = bulwark_floats_to_halves(row, r.baseAddress! + key * c, c)
                    #endif
                    if done < c { inexact = feature * c + done }
                }
            }
        }
        if let inexact {
            throw invalid(
                "log-probability \(inexact) is not exactly a half-precision value (py3langid stores them as float16)",
                ptcAt + 4 * inexact)
        }

        // With the packed form, `automaton` holds the dense rows only.
        let labelWords = (s + 3) / 4
        let layoutCount = packable ? nodes : nodes + 4 * (s + 1) + labelWords
        automaton = LargeTable(count: layoutCount) { a in
            let w = loaded
            if !packable {
                for st in 0...s {
                    a[nodes + 4 * st] = st < s ? w[fc + st] : 0
                    a[nodes + 4 * st + 1] = st < s ? w[fc + st + 1] : 0
                    a[nodes + 4 * st + 2] = st < s ? w[fl + st] : 0
                    if maxOut <= 1 {
                        a[nodes + 4 * st + 3] = st < s && feature[st] >= 0 ? UInt32(feature[st]) : UInt32.max
                    } else {
                        a[nodes + 4 * st + 3] = w[oo + st]
                    }
                }
                for i in 0..<labelWords { a[nodes + 4 * (s + 1) + i] = w[labelsAt / 4 + i] }
            }
            for b in 0..<256 { a[b] = UInt32(newID[Int(w[row0At / 4 + b])]) }
            // Dense rows of the start state's children (the same ids in both numberings): their
            // next moves, from the sparse form: the children, else the failure link's row.
            for st in 1..<max(dense, 1) {
                let failRow = Int(w[fl + st]) * 256  // an earlier state: its row is done
                for b in 0..<256 { a[st * 256 + b] = a[failRow + b] }
                for child in Int(w[fc + st])..<Int(w[fc + st + 1]) {
                    a[st * 256 + Int(modelBytes[labelsAt + child])] = UInt32(newID[child])
                }
            }
        }
        denseStateCount = dense
        nodeBase = nodes
        var shared: [UInt32] = []
        if packable {
            packedStates = LargeTable(count: s) { r in
                let w = loaded
                for st in 0..<s {
                    let n = newID[st]
                    let label = st == 0 ? 0 : UInt64(modelBytes[labelsAt + st])
                    let lo = Int(w[fc + st]), hi = Int(w[fc + st + 1])
                    var first = hi > lo ? newID[lo] : 0
                    for child in lo..<hi { first = min(first, newID[child]) }
                    var output: UInt64 = 0
                    if feature[st] >= 0 {
                        let key = keyOfFeature[feature[st]]
                        output = 1
                        if key != n {
                            shared.append(UInt32(key))
                            output |= UInt64(shared.count) << 1
                        }
                    }
                    r[n] = label | UInt64(first) << 8 | UInt64(newID[Int(w[fl + st])]) << UInt64(8 + sb)
                        | UInt64(hi - lo) << UInt64(8 + 2 * sb) | output << UInt64(17 + 2 * sb)
                }
            }
            sharedKeys = shared
            packedLabels = LargeTable(count: s + 8) { l in
                l.initialize(repeating: 0)
                for st in 1..<s { l[newID[st]] = modelBytes[labelsAt + st] }
            }
        } else {
            packedStates = nil
            packedLabels = nil
            sharedKeys = []
        }
        automatonLabelBase = nodes + 4 * (s + 1)
    }

    // MARK: Identification

    /// Identifies the language of UTF-8 text (invalid UTF-8 is tolerated).
    public func identify(_ utf8: UnsafeBufferPointer<UInt8>) -> LanguageGuess {
        let n = min(utf8.count, max(maxScoredBytes, 0))
        guard n > 0, let source = utf8.baseAddress else { return Self.undeterminedGuess(0) }
        // [0, n): stripped text; [n, 3n + 4): text as py3langid prepares it.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 3 * n + 4) { buffer in
            guard let base = buffer.baseAddress else { return Self.undeterminedGuess(0) }
            let strippedCount: Int
            if stripsNoise {
                strippedCount = Self.stripNoise(UnsafeBufferPointer(start: source, count: n), into: base)
            } else {
                base.update(from: source, count: n)
                strippedCount = n
            }
            let prepared = base + n
            let count = Self.py3langidPrepare(UnsafeBufferPointer(start: base, count: strippedCount), into: prepared)
            let text = UnsafeBufferPointer(start: prepared, count: count)
            let letters = Self.countLetters(text)
            guard letters.total >= max(minLetters, 1) else { return Self.undeterminedGuess(0) }
            return decide(text, letters)
        }
    }

    /// Identifies the language of a string.
    public func identify(_ text: String) -> LanguageGuess {
        var text = text
        return text.withUTF8 { identify($0) }
    }

    /// py3langid's own decision, with no noise stripping, script prior or threshold:
    /// the class with the highest naive Bayes score and its normalised probability
    /// (py3langid's `norm_probs`), among the target languages (as py3langid after
    /// `set_languages(languages)`), or among all classes of the model when
    /// `includingDistractors` is true (then the code may be a distractor's).
    /// Text with no feature at all gets the first candidate class with a uniform
    /// probability, as in py3langid.
    public func py3langidClassify(
        _ utf8: UnsafeBufferPointer<UInt8>, includingDistractors: Bool = false
    ) -> LanguageGuess {
        let n = utf8.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * n + 4) { buffer in
            guard let prepared = buffer.baseAddress else { return Self.undeterminedGuess(0) }
            let count: Int
            if let source = utf8.baseAddress, n > 0 {
                count = Self.py3langidPrepare(UnsafeBufferPointer(start: source, count: n), into: prepared)
            } else {
                count = 0
            }
            let text = UnsafeBufferPointer(start: prepared, count: count)
            return withUnsafeTemporaryAllocation(of: Double.self, capacity: classCount) { scores in
                let featureTotal = rawScores(text, into: scores)
                let scale = 1.0 / Double(max(count, 1)).squareRoot()
                var best = -1
                var top = -Double.infinity
                for k in 0..<classCount where includingDistractors || isTarget[k] {
                    scores[k] = featureTotal == 0 ? 0 : scores[k] * scale
                    if scores[k] > top {
                        top = scores[k]
                        best = k
                    }
                }
                guard best >= 0 else { return Self.undeterminedGuess(0) }
                var sum = 0.0
                for k in 0..<classCount where includingDistractors || isTarget[k] {
                    sum += exp(scores[k] - top)
                }
                return LanguageGuess(code: classes[best], confidence: 1 / sum)
            }
        }
    }

    /// String convenience for `py3langidClassify(_:includingDistractors:)`.
    public func py3langidClassify(_ text: String, includingDistractors: Bool = false) -> LanguageGuess {
        var text = text
        return text.withUTF8 { py3langidClassify($0, includingDistractors: includingDistractors) }
    }

    private static func undeterminedGuess(_ confidence: Double) -> LanguageGuess {
        LanguageGuess(code: undetermined, confidence: confidence)
    }

    /// Script prior, normalised probability and threshold for prepared text.
    private func decide(_ text: UnsafeBufferPointer<UInt8>, _ letters: LetterCounts) -> LanguageGuess {
        // Dominant script among letters.
        let script: Script
        if letters.latin >= letters.cyrillic && letters.latin >= letters.arabic && letters.latin >= letters.other {
            script = .latin
        } else if letters.arabic >= letters.cyrillic && letters.arabic >= letters.other {
            script = .arabic
        } else if letters.cyrillic >= letters.other {
            script = .cyrillic
        } else {
            return Self.undeterminedGuess(0)
        }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: classCount) { scores in
            let featureTotal = rawScores(text, into: scores)
            guard featureTotal > 0 else { return Self.undeterminedGuess(0) }
            let scale = 1.0 / Double(max(text.count, 1)).squareRoot()
            for k in 0..<classCount {
                let allowed: Bool
                if !isTarget[k] {
                    allowed = true
                } else {
                    switch script {
                    case .latin: allowed = k != indexAr && k != indexUr && k != indexFa && k != indexRu
                    case .cyrillic: allowed = k == indexRu
                    case .arabic: allowed = k == indexAr || k == indexUr || k == indexFa
                    }
                }
                scores[k] = allowed ? scores[k] * scale : -Double.infinity
            }
            if script == .arabic && arabicLetterPrior != 0 {
                applyArabicLetterPrior(letters, to: scores)
            }
            var best = -1
            var top = -Double.infinity
            var bestTarget = -1
            for k in 0..<classCount where scores[k] > -Double.infinity {
                if scores[k] > top {
                    top = scores[k]
                    best = k
                }
                if isTarget[k] && (bestTarget < 0 || scores[k] > scores[bestTarget]) {
                    bestTarget = k
                }
            }
            guard best >= 0 else { return Self.undeterminedGuess(0) }
            var sum = 0.0
            for k in 0..<classCount where scores[k] > -Double.infinity {
                sum += exp(scores[k] - top)
            }
            let probability = 1 / sum
            guard isTarget[best] else {
                let targetProbability = bestTarget < 0 ? 0 : exp(scores[bestTarget] - top) / sum
                return Self.undeterminedGuess(targetProbability)
            }
            guard probability >= minConfidence else { return Self.undeterminedGuess(probability) }
            return LanguageGuess(code: classes[best], confidence: probability)
        }
    }

    /// Letters only Urdu uses (among ar/ur/fa) make Urdu likelier and Persian unlikely;
    /// letters Persian and Urdu use but Arabic does not make Arabic unlikely; letters
    /// only Arabic uses make Persian and Urdu unlikely. Mixed evidence is ignored.
    private func applyArabicLetterPrior(_ letters: LetterCounts, to scores: UnsafeMutableBufferPointer<Double>) {
        let strength = arabicLetterPrior
        func add(_ k: Int, _ value: Double) {
            if k >= 0 && scores[k] > -Double.infinity { scores[k] += value }
        }
        let urdu = letters.urduOnly
        let persianOrUrdu = letters.persianOrUrdu
        let arabic = letters.arabicOnly
        if urdu > 0 && urdu >= arabic {
            add(indexFa, -strength)
            add(indexAr, -strength)
        } else if persianOrUrdu > 0 && arabic == 0 {
            add(indexAr, -strength)
        } else if arabic > 0 && urdu == 0 && persianOrUrdu == 0 {
            add(indexUr, -strength)
            add(indexFa, -strength)
        }
    }

    // MARK: Scoring

    /// The naive Bayes scores of py3langid for prepared text: for each class k,
    /// prior[k] + sum over features f of log1p(count f) * ptc[f][k].
    /// Returns the number of feature occurrences (0: none).
    private func rawScores(_ text: UnsafeBufferPointer<UInt8>, into scores: UnsafeMutableBufferPointer<Double>) -> Int {
        let c = classCount
        var slots = 16
        while slots < 2 * max(text.count * maxOutputsPerState, 1) { slots <<= 1 }
        // Keys and counts (2 · slots 32-bit words), then the bitmap of filled slots.
        let bitmapWords = (slots + 63) / 64
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: slots + bitmapWords) { table -> Int in
            guard let base = table.baseAddress else { return 0 }
            var counter = FeatureCounter(memory: UnsafeMutableRawPointer(base), slots: slots)
            // Each count key's row (in L3 or memory: 8.6 MB) is fetched while the walk goes on
            // (in L2), ready for the scoring below.
            let rowTable = UnsafePointer(self.rows.base)
            let rowBytes = c * 2
            outputFeatures.withUnsafeBufferPointer { outputs in
                if let packedStates, let packedLabels {
                    // Walk the packed automaton, counting the features emitted.
                    let dense = automaton.base
                    let r = packedStates.base
                    let labels = UnsafeRawPointer(packedLabels.base)
                    let stateMask = UInt64(1) << UInt64(stateBits) - 1
                    let failShift = UInt64(8 + stateBits)
                    let countShift = UInt64(8 + 2 * stateBits)
                    let outputShift = UInt64(17 + 2 * stateBits)
                    if text.count >= max(partsFromBytes, 4 * maxDepth) {
                        walkInParts(text, r, labels, dense, stateMask, failShift, countShift, outputShift) { key in
                            counter.add(key)
                        }
                    } else {
                        var state = 0
                        for byte in text {
                            state = nextPacked(state, byte, r, labels, dense, stateMask, failShift, countShift)
                            let output = r[state] >> outputShift
                            if output != 0 {
                                let key = countKey(state, output)
                                counter.add(key)
                                bulwark_prefetch(rowTable + Int(key) * c, rowBytes)
                            }
                        }
                    }
                } else {
                    let a = automaton.buffer
                    // Walk the automaton, counting the features emitted.
                    var state = 0
                    for byte in text {
                        state = next(state, byte, a)
                        let record = nodeBase + 4 * state
                        if maxOutputsPerState <= 1 {
                            let feature = a[record + 3]
                            if feature != UInt32.max { counter.add(feature) }
                        } else {
                            for i in Int(a[record + 3])..<Int(a[record + 7]) { counter.add(outputs[i]) }
                        }
                    }
                }
            }
            // Score: float32 sums as numpy does (log1p(counts) @ ptc + pc), each feature's
            // product rounded then added, the features in the table's slot order.
            let distinct = counter.distinct
            let chunks = (c + 7) / 8
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * chunks + distinct) { floats in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: max(distinct, 1)) { keysBuffer in
                    let acc = floats.baseAddress!
                    let weights = acc + 8 * chunks
                    let keys = keysBuffer.baseAddress!
                    acc.initialize(repeating: 0, count: 8 * chunks)
                    // The filled slots in slot order, found through the bitmap (one branch per
                    // feature, not one per slot).
                    var n = 0
                    for w in 0..<counter.occupiedWords {
                        var bits = counter.occupied[w]
                        while bits != 0 {
                            let slot = w << 6 | bits.trailingZeroBitCount
                            bits &= bits &- 1
                            let count = counter.counts[slot]
                            weights[n] = count == 1 ? Float(0.6931471805599453) : Float(log1p(Double(count)))
                            keys[n] = counter.keys[slot]
                            n += 1
                        }
                    }
                    bulwark_add_half_rows(rowTable, c, keys, weights, n, acc)
                    for k in 0..<c { scores[k] = Double(acc[k] + priors[k]) }
                }
            }
            return counter.total
        }
    }

    /// Feature counts in an open-addressing hash table over caller-provided memory, 8-byte
    /// aligned: keys and counts (`slots` 32-bit words each; `slots` a power of two ≥ 16 and
    /// more than twice the features added), then a bitmap of the filled slots (⌈slots / 64⌉
    /// 64-bit words).
    private struct FeatureCounter {
        static let empty = UInt32.max
        let keys: UnsafeMutablePointer<UInt32>
        let counts: UnsafeMutablePointer<UInt32>
        let occupied: UnsafeMutablePointer<UInt64>
        let occupiedWords: Int
        let mask: Int
        var total = 0
        /// Distinct features added.
        var distinct = 0

        init(memory: UnsafeMutableRawPointer, slots: Int) {
            keys = memory.bindMemory(to: UInt32.self, capacity: 2 * slots)
            counts = keys + slots
            mask = slots - 1
            occupiedWords = (slots + 63) / 64
            occupied = (memory + 8 * slots).bindMemory(to: UInt64.self, capacity: occupiedWords)
            keys.initialize(repeating: Self.empty, count: slots)
            occupied.initialize(repeating: 0, count: occupiedWords)
        }

        @inline(__always)
        mutating func add(_ feature: UInt32) {
            var slot = Int(truncatingIfNeeded: (feature &* 0x9E37_79B1) >> 7) & mask
            while keys[slot] != feature && keys[slot] != Self.empty { slot = (slot + 1) & mask }
            if keys[slot] == feature {
                counts[slot] += 1
            } else {
                keys[slot] = feature
                counts[slot] = 1
                distinct += 1
                occupied[slot >> 6] |= 1 << UInt64(slot & 63)
            }
            total += 1
        }
    }

    /// One step of the automaton: dense rows for the first states; else the child
    /// labelled `byte`, or failing that the failure link's step.
    @inline(__always)
    private func next(_ from: Int, _ byte: UInt8, _ a: UnsafeBufferPointer<UInt32>) -> Int {
        var state = from
        while state >= denseStateCount {
            let record = nodeBase + 4 * state
            var lo = Int(a[record])
            let end = Int(a[record + 1])
            if end - lo <= 8 {
                while lo < end {
                    if label(lo, a) == byte { return lo }
                    lo += 1
                }
            } else {
                var hi = end
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if label(mid, a) < byte { lo = mid + 1 } else { hi = mid }
                }
                if lo < end && label(lo, a) == byte { return lo }
            }
            state = Int(a[record + 2])
        }
        return Int(a[state << 8 | Int(byte)])
    }

    /// `next` over the packed automaton (`packedStates`). The children of a state are
    /// consecutive states; their labels are compared 8 at a time: the first zero byte of
    /// `labels ^ byte·0x01…01` (found with the borrow trick, exact for the lowest zero byte) is
    /// the child, if it lies before the children's end.
    @inline(__always)
    private func nextPacked(
        _ from: Int, _ byte: UInt8, _ r: UnsafePointer<UInt64>, _ labels: UnsafeRawPointer,
        _ dense: UnsafePointer<UInt32>, _ stateMask: UInt64, _ failShift: UInt64, _ countShift: UInt64
    ) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let pattern = UInt64(byte) &* ones
        var state = from
        while state >= denseStateCount {
            let word = r[state]
            var at = Int(truncatingIfNeeded: (word >> 8) & stateMask)
            let end = at + Int(truncatingIfNeeded: (word >> countShift) & 0x1FF)
            while at < end {
                let x = UInt64(littleEndian: labels.loadUnaligned(fromByteOffset: at, as: UInt64.self)) ^ pattern
                let zero = (x &- ones) & ~x & 0x8080_8080_8080_8080
                if zero != 0 {
                    let child = at + zero.trailingZeroBitCount >> 3
                    if child < end { return child }
                    break
                }
                at += 8
            }
            state = Int(truncatingIfNeeded: (word >> failShift) & stateMask)
        }
        return Int(dense[state << 8 | Int(byte)])
    }

    /// The packed walk of `text` as four parts walked at once, giving `count` the emitted count
    /// keys in text order, exactly as one walk from the start would. Each step of a walk waits
    /// on the state word the step before found (often a cache miss), so one walk is a chain of
    /// dependent memory reads; four parts are four chains the processor overlaps.
    ///
    /// Why the parts agree with one walk: the state after bytes `0 ... p` is the longest suffix
    /// of them that is a trie state, and no trie state is deeper than `maxDepth`, so it is also
    /// the state reached from the start over bytes `p − maxDepth + 1 ... p` alone. A part that
    /// begins at `p` is therefore walked from `p − maxDepth + 1` without emitting, then emits
    /// from `p` on.
    /// The keys are written per byte position and counted afterwards in text order, so the
    /// counter sees the same keys in the same order (the scores' float sums are unchanged).
    @inline(__always)
    private func walkInParts(
        _ text: UnsafeBufferPointer<UInt8>, _ r: UnsafePointer<UInt64>, _ labels: UnsafeRawPointer,
        _ dense: UnsafePointer<UInt32>, _ stateMask: UInt64, _ failShift: UInt64, _ countShift: UInt64,
        _ outputShift: UInt64, count: (UInt32) -> Void
    ) {
        let n = text.count
        let none = UInt32.max
        let rowTable = UnsafePointer(self.rows.base)
        let c = classCount
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { keysBuffer in
            let keys = keysBuffer.baseAddress!
            let bytes = text.baseAddress!
            // The parts are [0, s1), [s1, s2), [s2, s3), [s3, n); each walk but the first
            // begins maxDepth − 1 bytes before its part.
            let s1 = n / 4, s2 = n / 2, s3 = n - n / 4
            let lead = max(maxDepth - 1, 0)
            var p0 = 0, p1 = s1 - lead, p2 = s2 - lead, p3 = s3 - lead
            var q0 = 0, q1 = 0, q2 = 0, q3 = 0
            // One byte of one walk: the next state at `p`, its key written from `from` on.
            @inline(__always) func step(_ state: inout Int, _ p: inout Int, _ from: Int) {
                state = nextPacked(state, bytes[p], r, labels, dense, stateMask, failShift, countShift)
                if p >= from {
                    let output = r[state] >> outputShift
                    if output == 0 {
                        keys[p] = none
                    } else {
                        let key = countKey(state, output)
                        keys[p] = key
                        bulwark_prefetch(rowTable + Int(key) * c, c * 2)
                    }
                }
                p += 1
            }
            // The four walks step together until the last part is done; the others then finish.
            while p3 < n {
                if p0 < s1 { step(&q0, &p0, 0) }
                if p1 < s2 { step(&q1, &p1, s1) }
                if p2 < s3 { step(&q2, &p2, s2) }
                step(&q3, &p3, s3)
            }
            while p0 < s1 { step(&q0, &p0, 0) }
            while p1 < s2 { step(&q1, &p1, s1) }
            while p2 < s3 { step(&q2, &p2, s2) }
            for at in 0..<n where keys[at] != none { count(keys[at]) }
        }
    }

    /// The count key of a packed state that emits (`output`, its word's output field, not 0):
    /// the state itself, or the shared key it names.
    @inline(__always)
    private func countKey(_ state: Int, _ output: UInt64) -> UInt32 {
        output == 1 ? UInt32(truncatingIfNeeded: state) : sharedKeys[Int(output >> 1) - 1]
    }

    @inline(__always)
    private func label(_ state: Int, _ a: UnsafeBufferPointer<UInt32>) -> UInt8 {
        UInt8(truncatingIfNeeded: a[automatonLabelBase + state >> 2] >> (UInt32(state & 3) << 3))
    }

    // MARK: Text preparation

    private enum Script { case latin, cyrillic, arabic }

    private struct LetterCounts {
        var latin = 0
        var cyrillic = 0
        var arabic = 0
        var other = 0
        /// ٹ ڈ ڑ ں ے ۓ ھ ہ ۂ
        var urduOnly = 0
        /// پ چ ژ گ ک ی
        var persianOrUrdu = 0
        /// ة ى
        var arabicOnly = 0
        var total: Int { latin + cyrillic + arabic + other }
    }

    @inline(__always)
    private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || (b >= 0x09 && b <= 0x0D)
    }

    @inline(__always)
    private static func isASCIILetter(_ b: UInt8) -> Bool {
        (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A
    }

    /// Decodes one scalar at `i` (< `end`) of well-formed or ill-formed UTF-8.
    /// Returns the scalar (nil if ill-formed) and the number of bytes consumed (>= 1).
    @inline(__always)
    private static func decode(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> (scalar: UInt32?, length: Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        let length = sequenceLength(p, i, end)
        guard length > 0 else { return (nil, 1) }
        var value: UInt32
        switch length {
        case 2: value = UInt32(b0 & 0x1F)
        case 3: value = UInt32(b0 & 0x0F)
        default: value = UInt32(b0 & 0x07)
        }
        for k in 1..<length { value = value << 6 | UInt32(p[i + k] & 0x3F) }
        return (value, length)
    }

    /// Length of the well-formed UTF-8 sequence at `i`, or 0 if ill-formed there
    /// (the rules of Python's decoder: no overlongs, no surrogates, nothing past U+10FFFF).
    @inline(__always)
    private static func sequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b0 = p[i]
        if b0 < 0x80 { return 1 }
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        guard i + length <= end else { return 0 }
        let b1 = p[i + 1]
        guard b1 >= low && b1 <= high else { return 0 }
        var k = 2
        while k < length {
            let b = p[i + k]
            guard b >= 0x80 && b <= 0xBF else { return 0 }
            k += 1
        }
        return length
    }

    @inline(__always)
    private static func encode(_ scalar: UInt32, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case 0..<0x80:
            out[0] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            out[0] = UInt8(0xC0 | scalar >> 6)
            out[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            out[0] = UInt8(0xE0 | scalar >> 12)
            out[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            out[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            out[0] = UInt8(0xF0 | scalar >> 18)
            out[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            out[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            out[3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }

    /// Scalars dropped before scoring: Arabic-Indic digits, invisible format characters
    /// (not ZWNJ, which Persian writes), symbols, dingbats, emoji and their modifiers.
    @inline(__always)
    private static func isNoiseScalar(_ c: UInt32) -> Bool {
        switch c {
        case 0x0660...0x0669, 0x06F0...0x06F9: return true
        case 0x200B, 0x200D...0x200F, 0x202A...0x202E, 0x2060...0x2069, 0xFEFF: return true
        case 0x20E3, 0x2190...0x2BFF, 0xFE00...0xFE0F: return true
        case 0x1F000...0x1FAFF, 0xE0000...0xE007F: return true
        default: return false
        }
    }

    /// Copies `source` to `out` without links, @mentions/e-mail addresses, digits, emoji
    /// and symbols, and the `#` of hashtags; tokens left with no letter-like content are
    /// dropped; tokens are joined by single spaces. Returns the count written (<= source count).
    private static func stripNoise(_ source: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard let p = source.baseAddress else { return 0 }
        let n = source.count
        var written = 0
        var i = 0
        while i < n {
            while i < n && isSpace(p[i]) { i += 1 }
            if i >= n { break }
            var j = i
            while j < n && !isSpace(p[j]) { j += 1 }
            defer { i = j }
            if isLinkOrAddress(p, i, j) { continue }
            let mark = written
            if written > 0 {
                out[written] = 0x20
                written += 1
            }
            var keep = false
            var k = p[i] == 0x23 ? i + 1 : i  // '#'
            while k < j {
                let b = p[k]
                if b < 0x80 {
                    k += 1
                    if b >= 0x30 && b <= 0x39 { continue }
                    if isASCIILetter(b) { keep = true }
                    out[written] = b
                    written += 1
                    continue
                }
                let (scalar, length) = decode(p, k, j)
                if let scalar, isNoiseScalar(scalar) {
                    k += length
                    continue
                }
                keep = true
                for q in 0..<length { out[written + q] = p[k + q] }
                written += length
                k += length
            }
            if !keep { written = mark }
        }
        return written
    }

    /// A token that is a link (has "://", starts with "www.", or looks like a bare
    /// domain such as "t.co/x" or "example.com") or contains "@" (mention, address).
    private static func isLinkOrAddress(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var asciiOnly = true
        for k in start..<end {
            let b = p[k]
            if b == 0x40 { return true }
            if b >= 0x80 { asciiOnly = false }
            if b == 0x3A && k + 2 < end && p[k + 1] == 0x2F && p[k + 2] == 0x2F { return true }
        }
        if end - start >= 4 && p[start] | 0x20 == 0x77 && p[start + 1] | 0x20 == 0x77
            && p[start + 2] | 0x20 == 0x77 && p[start + 3] == 0x2E
        {
            return true
        }
        guard asciiOnly else { return false }
        // bare domain: a letter, a '.', then 2+ letters ending the token or followed by '/'
        var k = start + 1
        while k < end {
            if p[k] == 0x2E && isASCIILetter(p[k - 1]) {
                var e = k + 1
                while e < end && isASCIILetter(p[e]) { e += 1 }
                if e - (k + 1) >= 2 && (e == end || p[e] == 0x2F) { return true }
            }
            k += 1
        }
        return false
    }

    /// Position of the first ill-formed UTF-8 sequence in p[0..<n], or nil.
    private static func firstUTF8Error(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        var i = 0
        while i < n {
            if p[i] < 0x80 {
                i += 1
                continue
            }
            let length = sequenceLength(p, i, n)
            if length == 0 { return i }
            i += length
        }
        return nil
    }

    /// What py3langid does to a text before scoring (`LanguageIdentifier._encode` after
    /// `decode_trimmed`): bytes that are not UTF-8 (save for up to 3 bytes of a cut-off
    /// sequence at the end, which are dropped) are scored as they are; otherwise text with
    /// cased letters all upper-case is lower-cased, and canonical compositions are applied.
    /// Writes at most 1.5 times the source count to `out`; returns the count written.
    private static func py3langidPrepare(
        _ source: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>
    ) -> Int {
        guard let p = source.baseAddress else { return 0 }
        let n = source.count
        // All ASCII (most posts in Latin script): well-formed, nothing to compose, only the
        // upper-case rule to apply. The same bytes as the general path below.
        var ascii = true
        for i in 0..<n where p[i] >= 0x80 {
            ascii = false
            break
        }
        if ascii {
            var sawUpper = false
            for i in 0..<n {
                let b = p[i]
                if b >= 0x61 && b <= 0x7A {
                    out.update(from: p, count: n)
                    return n
                }
                if b >= 0x41 && b <= 0x5A { sawUpper = true }
            }
            if sawUpper {
                for i in 0..<n {
                    let b = p[i]
                    out[i] = b >= 0x41 && b <= 0x5A ? b + 0x20 : b
                }
            } else {
                out.update(from: p, count: n)
            }
            return n
        }
        var valid = -1
        for trim in 0..<4 {
            let length = n - trim
            guard length >= 0 else { break }
            if let error = firstUTF8Error(p, length) {
                if error < n - 3 { break }
            } else {
                valid = length
                break
            }
        }
        guard valid >= 0 else {
            out.update(from: p, count: n)
            return n
        }
        // str.isupper(): no lower-case or title-case letter, at least one upper-case one.
        var sawUpper = false
        var sawLower = false
        var i = 0
        while i < valid && !sawLower {
            let (scalar, length) = decode(p, i, valid)
            i += length
            guard let scalar else { continue }
            switch caseKind(scalar).kind {
            case 1: sawLower = true
            case 2: sawUpper = true
            default: break
            }
        }
        let lower = sawUpper && !sawLower
        var writer = ComposingWriter(out: out)
        i = 0
        while i < valid {
            let (decoded, length) = decode(p, i, valid)
            i += length
            guard var scalar = decoded else { continue }
            if lower {
                if scalar == 0x130 {  // İ lower-cases to i + combining dot above
                    writer.emit(0x69)
                    scalar = 0x307
                } else {
                    let info = caseKind(scalar)
                    if info.kind == 2 { scalar = info.lower }
                }
            }
            writer.emit(scalar)
        }
        return writer.written
    }

    /// Writes scalars as UTF-8 the way NFC would for the scripts that matter here: a base
    /// followed by a combining mark is composed when the pair has a canonical composition,
    /// and the common singleton decompositions are applied. (Not done: canonical reordering
    /// of several marks, Greek Extended singletons, Hangul.)
    private struct ComposingWriter {
        let out: UnsafeMutablePointer<UInt8>
        var written = 0
        var basePosition = -1
        var baseScalar: UInt32 = 0

        init(out: UnsafeMutablePointer<UInt8>) { self.out = out }

        @inline(__always)
        mutating func emit(_ original: UInt32) {
            var scalar = original
            if scalar >= 0x340 {
                switch scalar {
                case 0x340: scalar = 0x300
                case 0x341: scalar = 0x301
                case 0x343: scalar = 0x313
                case 0x344:
                    emit(0x308)
                    scalar = 0x301
                case 0x374: scalar = 0x2B9
                case 0x37E: scalar = 0x3B
                case 0x387: scalar = 0xB7
                case 0x2126: scalar = 0x3A9
                case 0x212A: scalar = 0x4B
                case 0x212B: scalar = 0xC5
                default: break
                }
            }
            if (scalar >= 0x300 && scalar <= 0x331) || (scalar >= 0x653 && scalar <= 0x655),
                basePosition >= 0, let composed = LanguageIdentifier.composition(baseScalar, scalar)
            {
                written = basePosition + LanguageIdentifier.encode(composed, out + basePosition)
                baseScalar = composed
                return
            }
            let position = written
            written += LanguageIdentifier.encode(scalar, out + written)
            if LanguageIdentifier.isCombiningMark(scalar) {
                basePosition = -1
            } else {
                basePosition = position
                baseScalar = scalar
            }
        }
    }

    @inline(__always)
    private static func isCombiningMark(_ c: UInt32) -> Bool {
        switch c {
        case 0x300...0x36F, 0x483...0x489, 0x591...0x5C7, 0x610...0x61A, 0x64B...0x65F, 0x670,
            0x6D6...0x6ED, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F:
            return true
        default:
            return false
        }
    }

    /// Letter counts by script, and the Arabic-script letters that tell ar/ur/fa apart.
    private static func countLetters(_ text: UnsafeBufferPointer<UInt8>) -> LetterCounts {
        var counts = LetterCounts()
        guard let p = text.baseAddress else { return counts }
        let n = text.count
        var i = 0
        while i < n {
            let (decoded, length) = decode(p, i, n)
            i += length
            guard let c = decoded else { continue }
            if c < 0x80 {
                if isASCIILetter(UInt8(c)) { counts.latin += 1 }
                continue
            }
            switch c {
            case 0xAA, 0xBA, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x24F, 0x1E00...0x1EFF:
                counts.latin += 1
            case 0x400...0x481, 0x48A...0x52F:
                counts.cyrillic += 1
            case 0x620...0x64A, 0x66E...0x66F, 0x671...0x6D3, 0x6D5, 0x6EE...0x6EF, 0x6FA...0x6FC, 0x6FF,
                0x750...0x77F, 0x8A0...0x8C9, 0xFB50...0xFDFB, 0xFE70...0xFEFC:
                counts.arabic += 1
                switch c {
                case 0x679, 0x688, 0x691, 0x6BA, 0x6BE, 0x6C1, 0x6C2, 0x6D2, 0x6D3: counts.urduOnly += 1
                case 0x67E, 0x686, 0x698, 0x6A9, 0x6AF, 0x6CC: counts.persianOrUrdu += 1
                case 0x629, 0x649: counts.arabicOnly += 1
                default: break
                }
            case 0x250...0x2AF, 0x370...0x3FF, 0x531...0x587, 0x5D0...0x5EA, 0x5EF...0x5F2, 0x710...0x74F,
                0x780...0x7B1, 0x7CA...0x7EA, 0x800...0x815, 0x900...0xDFF, 0xE01...0xE30, 0xE40...0xE46,
                0xE81...0xEDF, 0xF00...0xFFF, 0x1000...0x109F, 0x10A0...0x10FF, 0x1100...0x137F,
                0x13A0...0x13FF, 0x1400...0x167F, 0x1780...0x17FF, 0x1800...0x18AF, 0x1F00...0x1FFF,
                0x2C00...0x2DFF, 0x3040...0x30FF, 0x3100...0x318F, 0x31A0...0x31FF, 0x3400...0x4DBF,
                0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA640...0xA69F, 0xAC00...0xD7A3, 0xF900...0xFAFF,
                0xFF21...0xFF3A, 0xFF41...0xFF5A, 0xFF66...0xFFDC, 0x20000...0x3134F:
                counts.other += 1
            default:
                break
            }
        }
        return counts
    }

    // MARK: Unicode tables

    /// Case of a scalar as Python sees it: kind 0 uncased, 1 lower- or title-case,
    /// 2 upper-case (then `lower` is its single-scalar lower-case; U+0130 is handled by
    /// the caller).
    @inline(__always)
    private static func caseKind(_ c: UInt32) -> (kind: UInt8, lower: UInt32) {
        if c < 0x80 {
            if c >= 0x41 && c <= 0x5A { return (2, c + 0x20) }
            if c >= 0x61 && c <= 0x7A { return (1, c) }
            return (0, c)
        }
        if c == 0x130 { return (2, 0x69) }
        let key = UInt64(c) << 43 | 0x7FF_FFFF_FFFF
        let table = caseRuns
        var lo = 0
        var hi = table.count
        while lo < hi {  // first run starting after c
            let mid = (lo + hi) >> 1
            if table[mid] <= key { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return (0, c) }
        let run = table[lo - 1]
        let start = UInt32(truncatingIfNeeded: run >> 43)
        let length = UInt32(truncatingIfNeeded: run >> 27 & 0xFFFF) + 1
        guard c - start < length else { return (0, c) }
        switch run >> 24 & 0x7 {
        case 1:
            return (1, c)
        case 2:
            let delta = Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: run & 0xFF_FFFF) << 8) >> 8
            return (2, UInt32(bitPattern: Int32(bitPattern: c) &+ delta))
        default:  // alternating upper (even offset) / lower (odd offset)
            return (c - start) & 1 == 0 ? (2, c + 1) : (1, c)
        }
    }

    /// The canonical composition of `base` + `mark`, if any (from the table below).
    @inline(__always)
    private static func composition(_ base: UInt32, _ mark: UInt32) -> UInt32? {
        let key = UInt64(base) << 21 | UInt64(mark)
        let table = compositions
        var lo = 0
        var hi = table.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            let k = table[mid] >> 21
            if k < key { lo = mid + 1 } else if k > key { hi = mid } else {
                return UInt32(truncatingIfNeeded: table[mid] & 0x1F_FFFF)
            }
        }
        return nil
    }

    /// CRC-32 (IEEE, as zlib).
    /// zlib's CRC-32, eight bytes a step (slicing by 8: table k gives the CRC of a byte followed
    /// by k zero bytes), then byte by byte.
    private static func crc32(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        crcTables.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            while i + 8 <= n {
                let lo = (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24) ^ crc
                let hi = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)] ^ t[5 * 256 + Int((lo >> 16) & 0xFF)]
                    ^ t[4 * 256 + Int(lo >> 24)] ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(bytes[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    /// Python 3.11 (Unicode 14.0) case runs: start << 43 | (length - 1) << 27 | kind << 24 | delta (24-bit
    /// two's complement). Kind 1: lower- or title-case; 2: upper-case, lower = scalar + delta;
    /// 3: alternating upper/lower pairs (lower = upper + 1). Generated from `str.islower()`,
    /// `unicodedata.category(ch) == "Lt"`, `str.isupper()` and `str.lower()` for U+0000..U+1FFFF.
    private static let caseRuns: [UInt64] = [
        0x00020800CA000020, 0x00030800C9000000, 0x0005500001000000, 0x0005A80001000000, 0x0005D00001000000,
        0x00060000B2000020, 0x0006C00032000020, 0x0006F800B9000000, 0x0007C00039000000, 0x000800017B000000,
        0x0009880001000000, 0x000990002B000000, 0x0009C00001000000, 0x0009C8007B000000, 0x000A480001000000,
        0x000A50016B000000, 0x000BC00002FFFF87, 0x000BC8002B000000, 0x000BF80009000000, 0x000C0800020000D2,
        0x000C10001B000000, 0x000C3000020000CE, 0x000C380002000001, 0x000C400001000000, 0x000C48000A0000CD,
        0x000C580002000001, 0x000C600009000000, 0x000C70000200004F, 0x000C7800020000CA, 0x000C8000020000CB,
        0x000C880002000001, 0x000C900001000000, 0x000C9800020000CD, 0x000CA000020000CF, 0x000CA80001000000,
        0x000CB000020000D3, 0x000CB800020000D1, 0x000CC00002000001, 0x000CC80011000000, 0x000CE000020000D3,
        0x000CE800020000D5, 0x000CF00001000000, 0x000CF800020000D6, 0x000D00002B000000, 0x000D3000020000DA,
        0x000D380002000001, 0x000D400001000000, 0x000D4800020000DA, 0x000D500009000000, 0x000D600002000001,
        0x000D680001000000, 0x000D7000020000DA, 0x000D780002000001, 0x000D800001000000, 0x000D88000A0000D9,
        0x000D98001B000000, 0x000DB800020000DB, 0x000DC00002000001, 0x000DC80009000000, 0x000DE00002000001,
        0x000DE80011000000, 0x000E200002000002, 0x000E280009000000, 0x000E380002000002, 0x000E400009000000,
        0x000E500002000002, 0x000E580009000000, 0x000E68007B000000, 0x000EE80001000000, 0x000EF0008B000000,
        0x000F800001000000, 0x000F880002000002, 0x000F900009000000, 0x000FA00002000001, 0x000FA80001000000,
        0x000FB00002FFFF9F, 0x000FB80002FFFFC8, 0x000FC0013B000000, 0x0011000002FFFF7E, 0x0011080001000000,
        0x001110008B000000, 0x0011A00029000000, 0x0011D00002002A2B, 0x0011D80002000001, 0x0011E00001000000,
        0x0011E80002FFFF5D, 0x0011F00002002A28, 0x0011F80009000000, 0x0012080002000001, 0x0012100001000000,
        0x0012180002FFFF3D, 0x0012200002000045, 0x0012280002000047, 0x001230004B000000, 0x0012800219000000,
        0x0014A80119000000, 0x0016000009000000, 0x0017000021000000, 0x001A280001000000, 0x001B80001B000000,
        0x001BB00002000001, 0x001BB80001000000, 0x001BD00019000000, 0x001BF80002000074, 0x001C300002000026,
        0x001C400012000025, 0x001C600002000040, 0x001C70000A00003F, 0x001C800001000000, 0x001C880082000020,
        0x001D180042000020, 0x001D600111000000, 0x001E780002000008, 0x001E800009000000, 0x001E900012000000,
        0x001EA80011000000, 0x001EC000BB000000, 0x001F800019000000, 0x001FA00002FFFFC4, 0x001FA80001000000,
        0x001FB80002000001, 0x001FC00001000000, 0x001FC80002FFFFF9, 0x001FD00002000001, 0x001FD80009000000,
        0x001FE80012FFFF7E, 0x002000007A000050, 0x00208000FA000020, 0x0021800179000000, 0x002300010B000000,
        0x00245001AB000000, 0x002600000200000F, 0x002608006B000000, 0x0026780001000000, 0x00268002FB000000,
        0x002988012A000030, 0x002B000141000000, 0x008500012A001C60, 0x0086380002001C60, 0x0086680002001C60,
        0x0086800151000000, 0x0087E80011000000, 0x009D00027A0097D0, 0x009F80002A000008, 0x009FC00029000000,
        0x00E4000041000000, 0x00E4800152FFF440, 0x00E5E80012FFF440, 0x00E80005F9000000, 0x00F00004AB000000,
        0x00F4B00039000000, 0x00F4F00002FFE241, 0x00F4F80001000000, 0x00F50002FB000000, 0x00F8000039000000,
        0x00F840003AFFFFF8, 0x00F8800029000000, 0x00F8C0002AFFFFF8, 0x00F9000039000000, 0x00F940003AFFFFF8,
        0x00F9800039000000, 0x00F9C0003AFFFFF8, 0x00FA000029000000, 0x00FA40002AFFFFF8, 0x00FA800039000000,
        0x00FAC80002FFFFF8, 0x00FAD80002FFFFF8, 0x00FAE80002FFFFF8, 0x00FAF80002FFFFF8, 0x00FB000039000000,
        0x00FB40003AFFFFF8, 0x00FB800069000000, 0x00FC0001A1000000, 0x00FDB00009000000, 0x00FDC0000AFFFFF8,
        0x00FDD0000AFFFFB6, 0x00FDE00001000000, 0x00FDF00001000000, 0x00FE100011000000, 0x00FE300009000000,
        0x00FE40001AFFFFAA, 0x00FE600001000000, 0x00FE800019000000, 0x00FEB00009000000, 0x00FEC0000AFFFFF8,
        0x00FED0000AFFFF9C, 0x00FF000039000000, 0x00FF40000AFFFFF8, 0x00FF50000AFFFF90, 0x00FF600002FFFFF9,
        0x00FF900011000000, 0x00FFB00009000000, 0x00FFC0000AFFFF80, 0x00FFD0000AFFFF82, 0x00FFE00001000000,
        0x0103880001000000, 0x0103F80001000000, 0x0104800061000000, 0x0108100002000000, 0x0108380002000000,
        0x0108500001000000, 0x0108580012000000, 0x0108700009000000, 0x0108800012000000, 0x0108980001000000,
        0x0108A80002000000, 0x0108C80022000000, 0x0109200002000000, 0x0109300002FFE2A3, 0x0109400002000000,
        0x0109500002FFDF41, 0x0109580002FFDFBA, 0x010960000A000000, 0x0109780001000000, 0x010980000A000000,
        0x010990000200001C, 0x0109980002000000, 0x0109A00001000000, 0x0109C80001000000, 0x0109E00009000000,
        0x0109F0000A000000, 0x010A280002000000, 0x010A300019000000, 0x010A700001000000, 0x010B00007A000010,
        0x010B800079000000, 0x010C180002000001, 0x010C200001000000, 0x0125B000CA00001A, 0x01268000C9000000,
        0x016000017A000030, 0x0161800179000000, 0x0163000002000001, 0x0163080001000000, 0x0163100002FFD609,
        0x0163180002FFF11A, 0x0163200002FFD619, 0x0163280009000000, 0x016338002B000000, 0x0163680002FFD5E4,
        0x0163700002FFD603, 0x0163780002FFD5E1, 0x0163800002FFD5E2, 0x0163880001000000, 0x0163900002000001,
        0x0163980009000000, 0x0163A80002000001, 0x0163B00039000000, 0x0163F0000AFFD5C1, 0x016400031B000000,
        0x0167200001000000, 0x016758001B000000, 0x0167900002000001, 0x0167980001000000, 0x0168000129000000,
        0x0169380001000000, 0x0169680001000000, 0x053200016B000000, 0x05340000DB000000, 0x0534E00009000000,
        0x053910006B000000, 0x0539800009000000, 0x05399001EB000000, 0x053B800041000000, 0x053BC8001B000000,
        0x053BE80002FF75FC, 0x053BF0004B000000, 0x053C580002000001, 0x053C600001000000, 0x053C680002FF5AD8,
        0x053C700001000000, 0x053C80001B000000, 0x053CA00009000000, 0x053CB0009B000000, 0x053D500002FF5ABC,
        0x053D580002FF5AB1, 0x053D600002FF5AB5, 0x053D680002FF5ABF, 0x053D700002FF5ABC, 0x053D780001000000,
        0x053D800002FF5AEE, 0x053D880002FF5AD6, 0x053D900002FF5AEB, 0x053D9800020003A0, 0x053DA0007B000000,
        0x053E200002FFFFD0, 0x053E280002FF5ABD, 0x053E300002FF75C8, 0x053E38001B000000, 0x053E800002000001,
        0x053E880001000000, 0x053E980001000000, 0x053EA80001000000, 0x053EB0001B000000, 0x053FA80002000001,
        0x053FB00001000000, 0x053FC00011000000, 0x0559800151000000, 0x055AE00061000000, 0x055B800279000000,
        0x07D8000031000000, 0x07D8980021000000, 0x07F90800CA000020, 0x07FA0800C9000000, 0x082000013A000028,
        0x0821400139000000, 0x082580011A000028, 0x0826C00119000000, 0x082B800052000027, 0x082BE00072000027,
        0x082C600032000027, 0x082CA0000A000027, 0x082CB80051000000, 0x082D180071000000, 0x082D980031000000,
        0x082DD80009000000, 0x083C000001000000, 0x083C180011000000, 0x083C380149000000, 0x083D900041000000,
        0x0864000192000040, 0x0866000191000000, 0x08C50000FA000020, 0x08C60000F9000000, 0x0B720000FA000020,
        0x0B730000F9000000, 0x0EA00000CA000000, 0x0EA0D000C9000000, 0x0EA1A000CA000000, 0x0EA2700031000000,
        0x0EA2B00089000000, 0x0EA34000CA000000, 0x0EA41000C9000000, 0x0EA4E00002000000, 0x0EA4F0000A000000,
        0x0EA5100002000000, 0x0EA528000A000000, 0x0EA548001A000000, 0x0EA570003A000000, 0x0EA5B00019000000,
        0x0EA5D80001000000, 0x0EA5E80031000000, 0x0EA6280051000000, 0x0EA68000CA000000, 0x0EA75000C9000000,
        0x0EA820000A000000, 0x0EA838001A000000, 0x0EA868003A000000, 0x0EA8B00032000000, 0x0EA8F000C9000000,
        0x0EA9C0000A000000, 0x0EA9D8001A000000, 0x0EAA000022000000, 0x0EAA300002000000, 0x0EAA500032000000,
        0x0EAA9000C9000000, 0x0EAB6000CA000000, 0x0EAC3000C9000000, 0x0EAD0000CA000000, 0x0EADD000C9000000,
        0x0EAEA000CA000000, 0x0EAF7000C9000000, 0x0EB04000CA000000, 0x0EB11000C9000000, 0x0EB1E000CA000000,
        0x0EB2B000C9000000, 0x0EB38000CA000000, 0x0EB45000D9000000, 0x0EB54000C2000000, 0x0EB61000C1000000,
        0x0EB6E00029000000, 0x0EB71000C2000000, 0x0EB7E000C1000000, 0x0EB8B00029000000, 0x0EB8E000C2000000,
        0x0EB9B000C1000000, 0x0EBA800029000000, 0x0EBAB000C2000000, 0x0EBB8000C1000000, 0x0EBC500029000000,
        0x0EBC8000C2000000, 0x0EBD5000C1000000, 0x0EBE200029000000, 0x0EBE500002000000, 0x0EBE580001000000,
        0x0EF8000049000000, 0x0EF8580099000000, 0x0F4800010A000022, 0x0F49100109000000, 0x0F898000CA000000,
        0x0F8A8000CA000000, 0x0F8B8000CA000000,
    ]

    /// Canonical compositions (Unicode 14.0) whose result is Latin, Greek, Cyrillic or Arabic:
    /// base << 42 | mark << 21 | composed, sorted. Generated from `unicodedata` (pairs whose NFC
    /// is the composed scalar).
    private static let compositions: [UInt64] = [
        0x00010400600000C0, 0x00010400602000C1, 0x00010400604000C2, 0x00010400606000C3, 0x0001040060800100,
        0x0001040060C00102, 0x0001040060E00226, 0x00010400610000C4, 0x0001040061201EA2, 0x00010400614000C5,
        0x00010400618001CD, 0x0001040061E00200, 0x0001040062200202, 0x0001040064601EA0, 0x0001040064A01E00,
        0x0001040065000104, 0x0001080060E01E02, 0x0001080064601E04, 0x0001080066201E06, 0x00010C0060200106,
        0x00010C0060400108, 0x00010C0060E0010A, 0x00010C006180010C, 0x00010C0064E000C7, 0x0001100060E01E0A,
        0x000110006180010E, 0x0001100064601E0C, 0x0001100064E01E10, 0x0001100065A01E12, 0x0001100066201E0E,
        0x00011400600000C8, 0x00011400602000C9, 0x00011400604000CA, 0x0001140060601EBC, 0x0001140060800112,
        0x0001140060C00114, 0x0001140060E00116, 0x00011400610000CB, 0x0001140061201EBA, 0x000114006180011A,
        0x0001140061E00204, 0x0001140062200206, 0x0001140064601EB8, 0x0001140064E00228, 0x0001140065000118,
        0x0001140065A01E18, 0x0001140066001E1A, 0x0001180060E01E1E, 0x00011C00602001F4, 0x00011C006040011C,
        0x00011C0060801E20, 0x00011C0060C0011E, 0x00011C0060E00120, 0x00011C00618001E6, 0x00011C0064E00122,
        0x0001200060400124, 0x0001200060E01E22, 0x0001200061001E26, 0x000120006180021E, 0x0001200064601E24,
        0x0001200064E01E28, 0x0001200065C01E2A, 0x00012400600000CC, 0x00012400602000CD, 0x00012400604000CE,
        0x0001240060600128, 0x000124006080012A, 0x0001240060C0012C, 0x0001240060E00130, 0x00012400610000CF,
        0x0001240061201EC8, 0x00012400618001CF, 0x0001240061E00208, 0x000124006220020A, 0x0001240064601ECA,
        0x000124006500012E, 0x0001240066001E2C, 0x0001280060400134, 0x00012C0060201E30, 0x00012C00618001E8,
        0x00012C0064601E32, 0x00012C0064E00136, 0x00012C0066201E34, 0x0001300060200139, 0x000130006180013D,
        0x0001300064601E36, 0x0001300064E0013B, 0x0001300065A01E3C, 0x0001300066201E3A, 0x0001340060201E3E,
        0x0001340060E01E40, 0x0001340064601E42, 0x00013800600001F8, 0x0001380060200143, 0x00013800606000D1,
        0x0001380060E01E44, 0x0001380061800147, 0x0001380064601E46, 0x0001380064E00145, 0x0001380065A01E4A,
        0x0001380066201E48, 0x00013C00600000D2, 0x00013C00602000D3, 0x00013C00604000D4, 0x00013C00606000D5,
        0x00013C006080014C, 0x00013C0060C0014E, 0x00013C0060E0022E, 0x00013C00610000D6, 0x00013C0061201ECE,
        0x00013C0061600150, 0x00013C00618001D1, 0x00013C0061E0020C, 0x00013C006220020E, 0x00013C00636001A0,
        0x00013C0064601ECC, 0x00013C00650001EA, 0x0001400060201E54, 0x0001400060E01E56, 0x0001480060200154,
        0x0001480060E01E58, 0x0001480061800158, 0x0001480061E00210, 0x0001480062200212, 0x0001480064601E5A,
        0x0001480064E00156, 0x0001480066201E5E, 0x00014C006020015A, 0x00014C006040015C, 0x00014C0060E01E60,
        0x00014C0061800160, 0x00014C0064601E62, 0x00014C0064C00218, 0x00014C0064E0015E, 0x0001500060E01E6A,
        0x0001500061800164, 0x0001500064601E6C, 0x0001500064C0021A, 0x0001500064E00162, 0x0001500065A01E70,
        0x0001500066201E6E, 0x00015400600000D9, 0x00015400602000DA, 0x00015400604000DB, 0x0001540060600168,
        0x000154006080016A, 0x0001540060C0016C, 0x00015400610000DC, 0x0001540061201EE6, 0x000154006140016E,
        0x0001540061600170, 0x00015400618001D3, 0x0001540061E00214, 0x0001540062200216, 0x00015400636001AF,
        0x0001540064601EE4, 0x0001540064801E72, 0x0001540065000172, 0x0001540065A01E76, 0x0001540066001E74,
        0x0001580060601E7C, 0x0001580064601E7E, 0x00015C0060001E80, 0x00015C0060201E82, 0x00015C0060400174,
        0x00015C0060E01E86, 0x00015C0061001E84, 0x00015C0064601E88, 0x0001600060E01E8A, 0x0001600061001E8C,
        0x0001640060001EF2, 0x00016400602000DD, 0x0001640060400176, 0x0001640060601EF8, 0x0001640060800232,
        0x0001640060E01E8E, 0x0001640061000178, 0x0001640061201EF6, 0x0001640064601EF4, 0x0001680060200179,
        0x0001680060401E90, 0x0001680060E0017B, 0x000168006180017D, 0x0001680064601E92, 0x0001680066201E94,
        0x00018400600000E0, 0x00018400602000E1, 0x00018400604000E2, 0x00018400606000E3, 0x0001840060800101,
        0x0001840060C00103, 0x0001840060E00227, 0x00018400610000E4, 0x0001840061201EA3, 0x00018400614000E5,
        0x00018400618001CE, 0x0001840061E00201, 0x0001840062200203, 0x0001840064601EA1, 0x0001840064A01E01,
        0x0001840065000105, 0x0001880060E01E03, 0x0001880064601E05, 0x0001880066201E07, 0x00018C0060200107,
        0x00018C0060400109, 0x00018C0060E0010B, 0x00018C006180010D, 0x00018C0064E000E7, 0x0001900060E01E0B,
        0x000190006180010F, 0x0001900064601E0D, 0x0001900064E01E11, 0x0001900065A01E13, 0x0001900066201E0F,
        0x00019400600000E8, 0x00019400602000E9, 0x00019400604000EA, 0x0001940060601EBD, 0x0001940060800113,
        0x0001940060C00115, 0x0001940060E00117, 0x00019400610000EB, 0x0001940061201EBB, 0x000194006180011B,
        0x0001940061E00205, 0x0001940062200207, 0x0001940064601EB9, 0x0001940064E00229, 0x0001940065000119,
        0x0001940065A01E19, 0x0001940066001E1B, 0x0001980060E01E1F, 0x00019C00602001F5, 0x00019C006040011D,
        0x00019C0060801E21, 0x00019C0060C0011F, 0x00019C0060E00121, 0x00019C00618001E7, 0x00019C0064E00123,
        0x0001A00060400125, 0x0001A00060E01E23, 0x0001A00061001E27, 0x0001A0006180021F, 0x0001A00064601E25,
        0x0001A00064E01E29, 0x0001A00065C01E2B, 0x0001A00066201E96, 0x0001A400600000EC, 0x0001A400602000ED,
        0x0001A400604000EE, 0x0001A40060600129, 0x0001A4006080012B, 0x0001A40060C0012D, 0x0001A400610000EF,
        0x0001A40061201EC9, 0x0001A400618001D0, 0x0001A40061E00209, 0x0001A4006220020B, 0x0001A40064601ECB,
        0x0001A4006500012F, 0x0001A40066001E2D, 0x0001A80060400135, 0x0001A800618001F0, 0x0001AC0060201E31,
        0x0001AC00618001E9, 0x0001AC0064601E33, 0x0001AC0064E00137, 0x0001AC0066201E35, 0x0001B0006020013A,
        0x0001B0006180013E, 0x0001B00064601E37, 0x0001B00064E0013C, 0x0001B00065A01E3D, 0x0001B00066201E3B,
        0x0001B40060201E3F, 0x0001B40060E01E41, 0x0001B40064601E43, 0x0001B800600001F9, 0x0001B80060200144,
        0x0001B800606000F1, 0x0001B80060E01E45, 0x0001B80061800148, 0x0001B80064601E47, 0x0001B80064E00146,
        0x0001B80065A01E4B, 0x0001B80066201E49, 0x0001BC00600000F2, 0x0001BC00602000F3, 0x0001BC00604000F4,
        0x0001BC00606000F5, 0x0001BC006080014D, 0x0001BC0060C0014F, 0x0001BC0060E0022F, 0x0001BC00610000F6,
        0x0001BC0061201ECF, 0x0001BC0061600151, 0x0001BC00618001D2, 0x0001BC0061E0020D, 0x0001BC006220020F,
        0x0001BC00636001A1, 0x0001BC0064601ECD, 0x0001BC00650001EB, 0x0001C00060201E55, 0x0001C00060E01E57,
        0x0001C80060200155, 0x0001C80060E01E59, 0x0001C80061800159, 0x0001C80061E00211, 0x0001C80062200213,
        0x0001C80064601E5B, 0x0001C80064E00157, 0x0001C80066201E5F, 0x0001CC006020015B, 0x0001CC006040015D,
        0x0001CC0060E01E61, 0x0001CC0061800161, 0x0001CC0064601E63, 0x0001CC0064C00219, 0x0001CC0064E0015F,
        0x0001D00060E01E6B, 0x0001D00061001E97, 0x0001D00061800165, 0x0001D00064601E6D, 0x0001D00064C0021B,
        0x0001D00064E00163, 0x0001D00065A01E71, 0x0001D00066201E6F, 0x0001D400600000F9, 0x0001D400602000FA,
        0x0001D400604000FB, 0x0001D40060600169, 0x0001D4006080016B, 0x0001D40060C0016D, 0x0001D400610000FC,
        0x0001D40061201EE7, 0x0001D4006140016F, 0x0001D40061600171, 0x0001D400618001D4, 0x0001D40061E00215,
        0x0001D40062200217, 0x0001D400636001B0, 0x0001D40064601EE5, 0x0001D40064801E73, 0x0001D40065000173,
        0x0001D40065A01E77, 0x0001D40066001E75, 0x0001D80060601E7D, 0x0001D80064601E7F, 0x0001DC0060001E81,
        0x0001DC0060201E83, 0x0001DC0060400175, 0x0001DC0060E01E87, 0x0001DC0061001E85, 0x0001DC0061401E98,
        0x0001DC0064601E89, 0x0001E00060E01E8B, 0x0001E00061001E8D, 0x0001E40060001EF3, 0x0001E400602000FD,
        0x0001E40060400177, 0x0001E40060601EF9, 0x0001E40060800233, 0x0001E40060E01E8F, 0x0001E400610000FF,
        0x0001E40061201EF7, 0x0001E40061401E99, 0x0001E40064601EF5, 0x0001E8006020017A, 0x0001E80060401E91,
        0x0001E80060E0017C, 0x0001E8006180017E, 0x0001E80064601E93, 0x0001E80066201E95, 0x0002A00060200385,
        0x0003080060001EA6, 0x0003080060201EA4, 0x0003080060601EAA, 0x0003080061201EA8, 0x00031000608001DE,
        0x00031400602001FA, 0x00031800602001FC, 0x00031800608001E2, 0x00031C0060201E08, 0x0003280060001EC0,
        0x0003280060201EBE, 0x0003280060601EC4, 0x0003280061201EC2, 0x00033C0060201E2E, 0x0003500060001ED2,
        0x0003500060201ED0, 0x0003500060601ED6, 0x0003500061201ED4, 0x0003540060201E4C, 0x000354006080022C,
        0x0003540061001E4E, 0x000358006080022A, 0x00036000602001FE, 0x00037000600001DB, 0x00037000602001D7,
        0x00037000608001D5, 0x00037000618001D9, 0x0003880060001EA7, 0x0003880060201EA5, 0x0003880060601EAB,
        0x0003880061201EA9, 0x00039000608001DF, 0x00039400602001FB, 0x00039800602001FD, 0x00039800608001E3,
        0x00039C0060201E09, 0x0003A80060001EC1, 0x0003A80060201EBF, 0x0003A80060601EC5, 0x0003A80061201EC3,
        0x0003BC0060201E2F, 0x0003D00060001ED3, 0x0003D00060201ED1, 0x0003D00060601ED7, 0x0003D00061201ED5,
        0x0003D40060201E4D, 0x0003D4006080022D, 0x0003D40061001E4F, 0x0003D8006080022B, 0x0003E000602001FF,
        0x0003F000600001DC, 0x0003F000602001D8, 0x0003F000608001D6, 0x0003F000618001DA, 0x0004080060001EB0,
        0x0004080060201EAE, 0x0004080060601EB4, 0x0004080061201EB2, 0x00040C0060001EB1, 0x00040C0060201EAF,
        0x00040C0060601EB5, 0x00040C0061201EB3, 0x0004480060001E14, 0x0004480060201E16, 0x00044C0060001E15,
        0x00044C0060201E17, 0x0005300060001E50, 0x0005300060201E52, 0x0005340060001E51, 0x0005340060201E53,
        0x0005680060E01E64, 0x00056C0060E01E65, 0x0005800060E01E66, 0x0005840060E01E67, 0x0005A00060201E78,
        0x0005A40060201E79, 0x0005A80061001E7A, 0x0005AC0061001E7B, 0x0005FC0060E01E9B, 0x0006800060001EDC,
        0x0006800060201EDA, 0x0006800060601EE0, 0x0006800061201EDE, 0x0006800064601EE2, 0x0006840060001EDD,
        0x0006840060201EDB, 0x0006840060601EE1, 0x0006840061201EDF, 0x0006840064601EE3, 0x0006BC0060001EEA,
        0x0006BC0060201EE8, 0x0006BC0060601EEE, 0x0006BC0061201EEC, 0x0006BC0064601EF0, 0x0006C00060001EEB,
        0x0006C00060201EE9, 0x0006C00060601EEF, 0x0006C00061201EED, 0x0006C00064601EF1, 0x0006DC00618001EE,
        0x0007A800608001EC, 0x0007AC00608001ED, 0x00089800608001E0, 0x00089C00608001E1, 0x0008A00060C01E1C,
        0x0008A40060C01E1D, 0x0008B80060800230, 0x0008BC0060800231, 0x000A4800618001EF, 0x000E440060200386,
        0x000E540060200388, 0x000E5C0060200389, 0x000E64006020038A, 0x000E6400610003AA, 0x000E7C006020038C,
        0x000E94006020038E, 0x000E9400610003AB, 0x000EA4006020038F, 0x000EC400602003AC, 0x000ED400602003AD,
        0x000EDC00602003AE, 0x000EE400602003AF, 0x000EE400610003CA, 0x000EFC00602003CC, 0x000F1400602003CD,
        0x000F1400610003CB, 0x000F2400602003CE, 0x000F280060200390, 0x000F2C00602003B0, 0x000F4800602003D3,
        0x000F4800610003D4, 0x0010180061000407, 0x0010400060C004D0, 0x00104000610004D2, 0x00104C0060200403,
        0x0010540060000400, 0x0010540060C004D6, 0x0010540061000401, 0x0010580060C004C1, 0x00105800610004DC,
        0x00105C00610004DE, 0x001060006000040D, 0x00106000608004E2, 0x0010600060C00419, 0x00106000610004E4,
        0x001068006020040C, 0x00107800610004E6, 0x00108C00608004EE, 0x00108C0060C0040E, 0x00108C00610004F0,
        0x00108C00616004F2, 0x00109C00610004F4, 0x0010AC00610004F8, 0x0010B400610004EC, 0x0010C00060C004D1,
        0x0010C000610004D3, 0x0010CC0060200453, 0x0010D40060000450, 0x0010D40060C004D7, 0x0010D40061000451,
        0x0010D80060C004C2, 0x0010D800610004DD, 0x0010DC00610004DF, 0x0010E0006000045D, 0x0010E000608004E3,
        0x0010E00060C00439, 0x0010E000610004E5, 0x0010E8006020045C, 0x0010F800610004E7, 0x00110C00608004EF,
        0x00110C0060C0045E, 0x00110C00610004F1, 0x00110C00616004F3, 0x00111C00610004F5, 0x00112C00610004F9,
        0x00113400610004ED, 0x0011580061000457, 0x0011D00061E00476, 0x0011D40061E00477, 0x00136000610004DA,
        0x00136400610004DB, 0x0013A000610004EA, 0x0013A400610004EB, 0x00189C00CA600622, 0x00189C00CA800623,
        0x00189C00CAA00625, 0x00192000CA800624, 0x00192800CA800626, 0x001B0400CA8006C2, 0x001B4800CA8006D3,
        0x001B5400CA8006C0, 0x0078D80060801E38, 0x0078DC0060801E39, 0x0079680060801E5C, 0x00796C0060801E5D,
        0x0079880060E01E68, 0x00798C0060E01E69, 0x007A800060401EAC, 0x007A800060C01EB6, 0x007A840060401EAD,
        0x007A840060C01EB7, 0x007AE00060401EC6, 0x007AE40060401EC7, 0x007B300060401ED8, 0x007B340060401ED9,
    ]
}
