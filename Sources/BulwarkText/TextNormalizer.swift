import BulwarkCore

/// Text in Bulwark's normal form, with a map back to what the user wrote.
///
/// `bytes` is UTF-8: words separated by one space, with a space before the first and after the
/// last word (so whole-word matching needs no special case at the ends). Each byte has the offsets
/// (in Unicode scalars of the original text) of the scalars it came from.
public struct NormalizedText: Sendable {
    /// The normal form, UTF-8.
    public internal(set) var bytes: [UInt8] = []
    /// For each byte of `bytes`: the first original scalar it came from.
    public internal(set) var starts: [Int32] = []
    /// For each byte of `bytes`: one past the last original scalar it came from.
    public internal(set) var ends: [Int32] = []
    /// How many Unicode scalars the original text has.
    public internal(set) var sourceScalarCount = 0
    /// Punctuation, symbols and emoji of the original text that are not part of words (at most
    /// `maxSymbols`), in order: quotation marks and emoji say something about stance.
    public internal(set) var symbols: [UInt32] = []
    static let maxSymbols = 32
    /// Byte ranges (in `bytes`) of the words that stand inside quotation marks: quoting a slogan
    /// is not asserting it, and the classifier sees the difference.
    public internal(set) var quoted: [Range<Int>] = []
    var inQuote = false
    var quoteIsSingle = false

    // Scratch for the word being built, reused across calls.
    var word: [UInt32] = []
    var wordStarts: [Int32] = []
    var wordEnds: [Int32] = []
    var wordKinds: [FoldingTable.Kind] = []
    // Pending run of single-letter words ("d a w l a").
    var run: [UInt32] = []
    /// What each run letter was in the text (a leet digit stays a digit unless the run is joined).
    var runOriginal: [UInt32] = []
    var runStarts: [Int32] = []
    var runEnds: [Int32] = []
    var runWords = 0
    /// Whether the run has a leet digit, and whether any of its gaps was only spaces: a run with
    /// digits is joined only when symbols split it ("1.S.1.S", not "top 5 a b").
    var runHasDigit = false
    var runHasSpaceGap = false
    var lastGapAllSpaces = true

    public init() {}

    /// The normal form as a string (for display and debugging; the engine works on `bytes`).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The original scalar range that the normalised byte range came from.
    public func sourceRange(of byteRange: Range<Int>) -> Range<Int> {
        guard !byteRange.isEmpty, byteRange.lowerBound >= 0, byteRange.upperBound <= bytes.count else { return 0..<0 }
        let lower = Int(starts[byteRange.lowerBound])
        let upper = Int(ends[byteRange.upperBound - 1])
        return lower..<max(lower, upper)
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        word.removeAll(keepingCapacity: true)
        wordStarts.removeAll(keepingCapacity: true)
        wordEnds.removeAll(keepingCapacity: true)
        wordKinds.removeAll(keepingCapacity: true)
        run.removeAll(keepingCapacity: true)
        runOriginal.removeAll(keepingCapacity: true)
        runStarts.removeAll(keepingCapacity: true)
        runEnds.removeAll(keepingCapacity: true)
        runWords = 0
        runHasDigit = false
        runHasSpaceGap = false
        sourceScalarCount = 0
        symbols.removeAll(keepingCapacity: true)
        quoted.removeAll(keepingCapacity: true)
        inQuote = false
        quoteIsSingle = false
    }
}

/// Normalisation that defeats obfuscation without destroying meaning.
///
/// In order: Unicode NFKC and case folding, accents and Arabic tashkeel removed, Arabic letter
/// variants unified (alef/hamza forms, alef maqsura, ta marbuta, Persian/Urdu letters,
/// Arabic-Indic digits), zero-width and bidi controls and tatweel dropped; then per word:
/// Cyrillic/Greek look-alikes read as Latin in Latin-script words, leetspeak read as letters,
/// repeated letters collapsed ("daaawla" → "dawla"); and runs of single letters split by dots,
/// spaces or symbols joined ("I.S.I.S" → "isis"). Punctuation, `#`, `_` and emoji separate words.
public struct TextNormalizer: Sendable {
    /// Most separator scalars allowed between the letters of a split word ("i - s - i - s").
    public var maxSplitGap: Int
    /// Fewest single letters that make a split word.
    public var minSplitLetters: Int

    let table: FoldingTable

    public init(maxSplitGap: Int = 3, minSplitLetters: Int = 3) {
        self.maxSplitGap = maxSplitGap
        self.minSplitLetters = minSplitLetters
        self.table = FoldingTable.shared
    }

    public func normalize(_ text: String) -> NormalizedText {
        var out = NormalizedText()
        normalize(text, into: &out)
        return out
    }

    /// Normalises `text` into `out`, reusing its buffers.
    public func normalize(_ text: String, into out: inout NormalizedText) {
        out.reset()
        out.bytes.append(0x20)
        out.starts.append(0)
        out.ends.append(0)
        let latinDominant = TextNormalizer.isLatinDominant(text)
        var index: Int32 = 0
        var gap = 0
        var gapHasNewline = false
        var gapAllSpaces = true
        for scalar in text.unicodeScalars {
            let entry = table.entry(scalar.value)
            switch entry.kind {
            case .invisible:
                break
            case .letter, .digit, .leetSymbol:
                if out.word.isEmpty {
                    noteGap(gap, newline: gapHasNewline, &out)
                    out.lastGapAllSpaces = gapAllSpaces
                }
                out.word.append(entry.value)
                out.wordKinds.append(entry.kind)
                out.wordStarts.append(index)
                out.wordEnds.append(index + 1)
                gap = 0
                gapHasNewline = false
                gapAllSpaces = true
            case .multi:
                if out.word.isEmpty {
                    noteGap(gap, newline: gapHasNewline, &out)
                    out.lastGapAllSpaces = gapAllSpaces
                }
                for part in table.multi[Int(entry.value)] {
                    if part.kind == .separator || part.kind == .invisible { continue }
                    out.word.append(part.value)
                    out.wordKinds.append(part.kind)
                    out.wordStarts.append(index)
                    out.wordEnds.append(index + 1)
                }
                gap = 0
                gapHasNewline = false
                gapAllSpaces = true
            case .separator:
                let afterWord = !out.word.isEmpty
                if afterWord { finishWord(&out, latinDominant: latinDominant) }
                TextNormalizer.trackQuotes(scalar.value, afterWord: afterWord, &out)
                if entry.value > 0x20, entry.value != 0xA0, out.symbols.count < NormalizedText.maxSymbols {
                    out.symbols.append(entry.value)
                }
                gap += 1
                if scalar.value != 0x20 { gapAllSpaces = false }
                if scalar.value == 0x0A || scalar.value == 0x0D { gapHasNewline = true }
            }
            index += 1
        }
        if !out.word.isEmpty { finishWord(&out, latinDominant: latinDominant) }
        flushRun(&out)
        out.sourceScalarCount = Int(index)
        if out.bytes.count == 1 {
            return
        }
        out.bytes.append(0x20)
        out.starts.append(index)
        out.ends.append(index)
    }

    /// Follows quotation marks: double quotes and guillemets open and close; a single quote opens
    /// before a word and closes after one. A line break ends a quotation.
    static func trackQuotes(_ v: UInt32, afterWord: Bool, _ out: inout NormalizedText) {
        switch v {
        case 0xAB, 0x201E, 0x300C:
            out.inQuote = true
            out.quoteIsSingle = false
        case 0xBB, 0x300D:
            out.inQuote = false
        case 0x22, 0x201C, 0x201D, 0x201F:
            out.inQuote.toggle()
            out.quoteIsSingle = false
        case 0x27, 0x2018, 0x2019:
            if !out.inQuote && !afterWord {
                out.inQuote = true
                out.quoteIsSingle = true
            } else if out.inQuote && out.quoteIsSingle && afterWord {
                out.inQuote = false
            }
        case 0x0A, 0x0D:
            out.inQuote = false
        default:
            break
        }
    }

    /// A separator run between two words: a long gap ends a pending run of single letters.
    @inline(__always)
    private func noteGap(_ gap: Int, newline: Bool, _ out: inout NormalizedText) {
        if out.runWords > 0 && (gap > maxSplitGap || newline) { flushRun(&out) }
    }

    private func finishWord(_ out: inout NormalizedText, latinDominant: Bool) {
        // Trailing '!' and '|' are punctuation, not leetspeak; leading '!' too.
        while let last = out.wordKinds.last, last == .leetSymbol,
            out.word.last == 0x21 || out.word.last == 0x7C
        {
            out.word.removeLast()
            out.wordKinds.removeLast()
            out.wordStarts.removeLast()
            out.wordEnds.removeLast()
        }
        var hasLatin = false
        var hasLookAlikeScript = false
        var allLookAlikes = true
        var letters = 0
        var leetCandidate = false
        var sawLetter = false
        for (i, kind) in out.wordKinds.enumerated() {
            let value = out.word[i]
            switch kind {
            case .letter:
                letters += 1
                sawLetter = true
                if TextNormalizer.isLatin(value) {
                    hasLatin = true
                } else if value >= 0x370 && value < 0x530 {
                    hasLookAlikeScript = true
                    if TextNormalizer.lookAlike(value) == nil { allLookAlikes = false }
                } else {
                    allLookAlikes = false
                }
            case .digit, .leetSymbol:
                // A digit or symbol followed by a letter, or after one, inside a word is leetspeak.
                if i + 1 < out.wordKinds.count, out.wordKinds[i + 1] == .letter { leetCandidate = true }
                if sawLetter, kind == .leetSymbol { leetCandidate = true }
            default:
                break
            }
        }
        if letters == 0 && out.word.count == 1 && out.wordKinds[0] == .digit, let letter = TextNormalizer.leet(out.word[0]) {
            // A lone leet digit is a letter of a run of single letters ("1.S.1.S"); it stays a
            // digit if the run is not joined.
            appendToRun(&out, letter: letter, original: out.word[0], isDigit: true)
            truncateWord(&out, to: 0)
            return
        }
        if letters == 0 {
            // Digits only (or symbols): symbols are not letters here.
            var keep = 0
            for i in 0..<out.word.count where out.wordKinds[i] == .digit {
                out.word[keep] = out.word[i]
                out.wordKinds[keep] = .digit
                out.wordStarts[keep] = out.wordStarts[i]
                out.wordEnds[keep] = out.wordEnds[i]
                keep += 1
            }
            truncateWord(&out, to: keep)
            if keep == 0 { return }
        } else {
            if hasLookAlikeScript && (hasLatin || (allLookAlikes && latinDominant)) {
                for i in 0..<out.word.count where out.wordKinds[i] == .letter {
                    if let latin = TextNormalizer.lookAlike(out.word[i]) {
                        out.word[i] = latin
                        hasLatin = true
                    }
                }
            }
            if hasLatin && leetCandidate {
                for i in 0..<out.word.count where out.wordKinds[i] != .letter {
                    if let letter = TextNormalizer.leet(out.word[i]) {
                        out.word[i] = letter
                        out.wordKinds[i] = .letter
                    }
                }
            }
            // Symbols that are not read as letters are dropped.
            var keep = 0
            for i in 0..<out.word.count where out.wordKinds[i] != .leetSymbol {
                out.word[keep] = out.word[i]
                out.wordKinds[keep] = out.wordKinds[i]
                out.wordStarts[keep] = out.wordStarts[i]
                out.wordEnds[keep] = out.wordEnds[i]
                keep += 1
            }
            truncateWord(&out, to: keep)
            collapseRepeats(&out)
        }
        if out.word.count == 1 && out.wordKinds[0] == .letter {
            appendToRun(&out, letter: out.word[0], original: out.word[0], isDigit: false)
        } else {
            flushRun(&out)
            emit(out.word, out.wordStarts, out.wordEnds, into: &out)
        }
        truncateWord(&out, to: 0)
    }

    /// Adds the one-scalar word being finished to the pending run of single letters.
    private func appendToRun(_ out: inout NormalizedText, letter: UInt32, original: UInt32, isDigit: Bool) {
        if out.runWords > 0 && out.lastGapAllSpaces { out.runHasSpaceGap = true }
        out.run.append(letter)
        out.runOriginal.append(original)
        out.runStarts.append(out.wordStarts[0])
        out.runEnds.append(out.wordEnds[0])
        out.runWords += 1
        if isDigit { out.runHasDigit = true }
    }

    @inline(__always)
    private func truncateWord(_ out: inout NormalizedText, to count: Int) {
        let extra = out.word.count - count
        guard extra > 0 else { return }
        out.word.removeLast(extra)
        out.wordKinds.removeLast(extra)
        out.wordStarts.removeLast(extra)
        out.wordEnds.removeLast(extra)
    }

    /// Collapses runs of one repeated letter to that letter, keeping the span of the whole run.
    private func collapseRepeats(_ out: inout NormalizedText) {
        guard out.word.count > 1 else { return }
        var keep = 1
        for i in 1..<out.word.count {
            if out.word[i] == out.word[keep - 1] && out.wordKinds[i] == .letter && out.wordKinds[keep - 1] == .letter {
                out.wordEnds[keep - 1] = out.wordEnds[i]
                continue
            }
            out.word[keep] = out.word[i]
            out.wordKinds[keep] = out.wordKinds[i]
            out.wordStarts[keep] = out.wordStarts[i]
            out.wordEnds[keep] = out.wordEnds[i]
            keep += 1
        }
        truncateWord(&out, to: keep)
    }

    /// Ends a pending run of single letters: joined into one word when long enough, else word by word.
    private func flushRun(_ out: inout NormalizedText) {
        guard out.runWords > 0 else { return }
        if out.runWords >= minSplitLetters && !(out.runHasDigit && out.runHasSpaceGap) {
            var letters = out.run
            var starts = out.runStarts
            var ends = out.runEnds
            var keep = 1
            for i in 1..<letters.count {
                if letters[i] == letters[keep - 1] {
                    ends[keep - 1] = ends[i]
                    continue
                }
                letters[keep] = letters[i]
                starts[keep] = starts[i]
                ends[keep] = ends[i]
                keep += 1
            }
            emit(letters[0..<keep], starts[0..<keep], ends[0..<keep], into: &out)
        } else {
            for i in 0..<out.run.count {
                emit(out.runOriginal[i...i], out.runStarts[i...i], out.runEnds[i...i], into: &out)
            }
        }
        out.run.removeAll(keepingCapacity: true)
        out.runOriginal.removeAll(keepingCapacity: true)
        out.runStarts.removeAll(keepingCapacity: true)
        out.runEnds.removeAll(keepingCapacity: true)
        out.runWords = 0
        out.runHasDigit = false
        out.runHasSpaceGap = false
    }

    private func emit(
        _ scalars: some RandomAccessCollection<UInt32>,
        _ starts: some RandomAccessCollection<Int32>,
        _ ends: some RandomAccessCollection<Int32>,
        into out: inout NormalizedText
    ) {
        if out.bytes.count > 1 {
            out.bytes.append(0x20)
            let previous = out.ends[out.ends.count - 1]
            out.starts.append(previous)
            out.ends.append(previous)
        }
        let wordStart = out.bytes.count
        defer { if out.inQuote { out.quoted.append(wordStart..<out.bytes.count) } }
        var s = starts.makeIterator()
        var e = ends.makeIterator()
        for scalar in scalars {
            let start = s.next() ?? 0
            let end = e.next() ?? 0
            let before = out.bytes.count
            appendUTF8(scalar, to: &out.bytes)
            for _ in before..<out.bytes.count {
                out.starts.append(start)
                out.ends.append(end)
            }
        }
    }

    @inline(__always)
    static func isLatin(_ v: UInt32) -> Bool {
        (v >= 0x61 && v <= 0x7A) || (v >= 0xDF && v < 0x250) || (v >= 0x1E00 && v < 0x1F00)
    }

    /// Whether Latin letters outnumber Cyrillic and Greek ones (a cheap pass over UTF-8 lead bytes).
    static func isLatinDominant(_ text: String) -> Bool {
        var latin = 0
        var other = 0
        for b in text.utf8 {
            if (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) {
                latin += 1
            } else if b >= 0xCD && b <= 0xD4 {
                other += 1
            }
        }
        return latin > other
    }

    /// Latin reading of a Cyrillic or Greek look-alike letter (after case folding).
    static func lookAlike(_ v: UInt32) -> UInt32? {
        switch v {
        // Cyrillic
        case 0x430: 0x61  // а
        case 0x432: 0x62  // в
        case 0x435, 0x451: 0x65  // е ё
        case 0x433: 0x72  // г
        case 0x43A: 0x6B  // к
        case 0x43C: 0x6D  // м
        case 0x43D: 0x68  // н
        case 0x43E: 0x6F  // о
        case 0x43F: 0x6E  // п
        case 0x440: 0x70  // р
        case 0x441: 0x63  // с
        case 0x442: 0x74  // т
        case 0x443, 0x4AF: 0x79  // у ү
        case 0x445: 0x78  // х
        case 0x44C: 0x62  // ь
        case 0x455: 0x73  // ѕ
        case 0x456, 0x457: 0x69  // і ї
        case 0x458: 0x6A  // ј
        case 0x4BB: 0x68  // һ
        case 0x501: 0x64  // ԁ
        case 0x51B: 0x71  // ԛ
        case 0x51D: 0x77  // ԝ
        // Greek
        case 0x3B1: 0x61  // α
        case 0x3B2: 0x62  // β
        case 0x3B5: 0x65  // ε
        case 0x3B6: 0x7A  // ζ
        case 0x3B7: 0x6E  // η
        case 0x3B9: 0x69  // ι
        case 0x3BA: 0x6B  // κ
        case 0x3BD: 0x76  // ν
        case 0x3BF: 0x6F  // ο
        case 0x3C1: 0x70  // ρ
        case 0x3C2: 0x63  // ς
        case 0x3C3: 0x6F  // σ
        case 0x3C4: 0x74  // τ
        case 0x3C5: 0x75  // υ
        case 0x3C7: 0x78  // χ
        case 0x3C9: 0x77  // ω
        default: nil
        }
    }

    /// Letter reading of a leetspeak digit or symbol.
    static func leet(_ v: UInt32) -> UInt32? {
        switch v {
        case 0x30: 0x6F  // 0 → o
        case 0x31, 0x21, 0x7C: 0x69  // 1 ! | → i
        case 0x33: 0x65  // 3 → e
        case 0x34, 0x40: 0x61  // 4 @ → a
        case 0x35, 0x24: 0x73  // 5 $ → s
        case 0x37: 0x74  // 7 → t
        case 0x38: 0x62  // 8 → b
        case 0x39: 0x67  // 9 → g
        default: nil
        }
    }
}
