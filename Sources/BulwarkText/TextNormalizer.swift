import BulwarkCore

/// Where a byte of normalised text came from: Unicode scalar offsets in the original text.
public struct SourceSpan: Sendable, Hashable {
    /// The first original scalar.
    public var start: Int32
    /// One past the last original scalar.
    public var end: Int32
}

/// Text in Bulwark's normal form, with a map back to what the user wrote.
///
/// `bytes` is UTF-8: words separated by one space, with a space before the first and after the
/// last word (so whole-word matching needs no special case at the ends). Each byte has the span
/// (in Unicode scalars of the original text) of the scalars it came from.
public struct NormalizedText: Sendable {
    /// The normal form, UTF-8.
    public internal(set) var bytes: [UInt8] = []
    /// For each byte of `bytes`: the original scalars it came from.
    public internal(set) var origins: [SourceSpan] = []
    /// How many Unicode scalars the original text has.
    public internal(set) var sourceScalarCount = 0
    /// Punctuation, symbols and emoji of the original text that are not part of words (at most
    /// `maxSymbols`), in order: quotation marks and emoji say something about stance.
    public internal(set) var symbols: [UInt32] = []
    static let maxSymbols = 32
    /// Byte ranges (in `bytes`) of the words that stand inside quotation marks: quoting a slogan
    /// is not asserting it, and the classifier sees the difference.
    public internal(set) var quoted: [Range<Int>] = []

    /// Whether the text in `range` (bytes of `bytes`) begins inside quotation marks.
    public func isQuoted(_ range: Range<Int>) -> Bool {
        quoted.contains { $0.lowerBound <= range.lowerBound && range.lowerBound < $0.upperBound }
    }

    /// How many words stand outside quotation marks, counting up to `limit`.
    public func unquotedWordCount(limit: Int = .max) -> Int {
        var count = 0
        var start = 0
        var q = 0
        while start < bytes.count && count < limit {
            var end = start
            while end < bytes.count && bytes[end] != 0x20 { end += 1 }
            if end > start {
                while q < quoted.count && quoted[q].upperBound <= start { q += 1 }
                let inside = q < quoted.count && quoted[q].lowerBound <= start
                if !inside { count += 1 }
            }
            start = end + 1
        }
        return count
    }

    var inQuote = false
    var quoteIsSingle = false

    /// One scalar of the word being built.
    struct WordScalar {
        var value: UInt32
        var kind: FoldingTable.Kind
        var span: SourceSpan
    }

    /// One letter of a pending run of single-letter words ("d a w l a").
    struct RunLetter {
        var letter: UInt32
        /// What it was in the text (a leet digit stays a digit unless the run is joined).
        var original: UInt32
        var span: SourceSpan
    }

    // Scratch, reused across calls.
    var word: [WordScalar] = []
    var run: [RunLetter] = []
    /// Whether the run has a leet digit, and whether any of its gaps was only spaces: a run with
    /// digits is joined only when symbols split it ("1.S.1.S", not "top 5 a b").
    var runHasDigit = false
    var runHasSpaceGap = false
    var lastGapAllSpaces = true
    var wordStart = 0

    public init() {}

    /// The normal form as a string (for display and debugging; the engine works on `bytes`).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The original scalar range that the normalised byte range came from.
    public func sourceRange(of byteRange: Range<Int>) -> Range<Int> {
        guard !byteRange.isEmpty, byteRange.lowerBound >= 0, byteRange.upperBound <= bytes.count else { return 0..<0 }
        let lower = Int(origins[byteRange.lowerBound].start)
        let upper = Int(origins[byteRange.upperBound - 1].end)
        return lower..<max(lower, upper)
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        origins.removeAll(keepingCapacity: true)
        word.removeAll(keepingCapacity: true)
        run.removeAll(keepingCapacity: true)
        runHasDigit = false
        runHasSpaceGap = false
        lastGapAllSpaces = true
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
        var text = text
        text.withUTF8 { normalize(utf8: $0, into: &out) }
    }

    /// `normalize(_:into:)` over the UTF-8 of a `String` (well-formed: each scalar is decoded
    /// the way `unicodeScalars` would).
    private func normalize(utf8: UnsafeBufferPointer<UInt8>, into out: inout NormalizedText) {
        out.reset()
        out.bytes.append(0x20)
        out.origins.append(SourceSpan(start: 0, end: 0))
        let latinDominant = TextNormalizer.isLatinDominant(utf8)
        var index: Int32 = 0
        var gap = 0
        var gapHasNewline = false
        var gapAllSpaces = true
        table.bmp.withUnsafeBufferPointer { bmp in
            var p = 0
            let count = utf8.count
            while p < count {
                let b0 = UInt32(utf8[p])
                let v: UInt32
                if b0 < 0x80 {
                    v = b0
                    p += 1
                } else if b0 < 0xE0 {
                    v = (b0 & 0x1F) << 6 | UInt32(utf8[p + 1] & 0x3F)
                    p += 2
                } else if b0 < 0xF0 {
                    v = (b0 & 0x0F) << 12 | UInt32(utf8[p + 1] & 0x3F) << 6 | UInt32(utf8[p + 2] & 0x3F)
                    p += 3
                } else {
                    v = (b0 & 0x07) << 18 | UInt32(utf8[p + 1] & 0x3F) << 12 | UInt32(utf8[p + 2] & 0x3F) << 6
                        | UInt32(utf8[p + 3] & 0x3F)
                    p += 4
                }
                let entry = v < 0x10000 ? bmp[Int(v)] : table.entry(v)
                switch entry.kind {
                case .invisible:
                    break
                case .letter, .digit, .leetSymbol:
                    if out.word.isEmpty {
                        noteGap(gap, newline: gapHasNewline, &out)
                        out.lastGapAllSpaces = gapAllSpaces
                    }
                    out.word.append(.init(value: entry.value, kind: entry.kind, span: SourceSpan(start: index, end: index + 1)))
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
                        out.word.append(.init(value: part.value, kind: part.kind, span: SourceSpan(start: index, end: index + 1)))
                    }
                    gap = 0
                    gapHasNewline = false
                    gapAllSpaces = true
                case .separator:
                    let afterWord = !out.word.isEmpty
                    if afterWord { finishWord(&out, latinDominant: latinDominant) }
                    if v != 0x20 {
                        TextNormalizer.trackQuotes(v, afterWord: afterWord, &out)
                        if entry.value > 0x20, entry.value != 0xA0, out.symbols.count < NormalizedText.maxSymbols {
                            out.symbols.append(entry.value)
                        }
                        gapAllSpaces = false
                        if v == 0x0A || v == 0x0D { gapHasNewline = true }
                    }
                    gap += 1
                }
                index += 1
            }
        }
        if !out.word.isEmpty { finishWord(&out, latinDominant: latinDominant) }
        flushRun(&out)
        out.sourceScalarCount = Int(index)
        if out.bytes.count == 1 {
            return
        }
        out.bytes.append(0x20)
        out.origins.append(SourceSpan(start: index, end: index))
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
        if !out.run.isEmpty && (gap > maxSplitGap || newline) { flushRun(&out) }
    }

    private func finishWord(_ out: inout NormalizedText, latinDominant: Bool) {
        // Trailing '!' and '|' are punctuation, not leetspeak.
        while let last = out.word.last, last.kind == .leetSymbol, last.value == 0x21 || last.value == 0x7C {
            out.word.removeLast()
        }
        var hasLatin = false
        var hasLookAlikeScript = false
        var allLookAlikes = true
        var letters = 0
        var leetCandidate = false
        var sawLetter = false
        var allASCIILetters = true
        let count = out.word.count
        for i in 0..<count {
            let w = out.word[i]
            switch w.kind {
            case .letter:
                letters += 1
                sawLetter = true
                if w.value < 0x80 {
                    hasLatin = true
                } else {
                    allASCIILetters = false
                    if TextNormalizer.isLatin(w.value) {
                        hasLatin = true
                    } else if w.value >= 0x370 && w.value < 0x530 {
                        hasLookAlikeScript = true
                        if TextNormalizer.lookAlike(w.value) == nil { allLookAlikes = false }
                    } else {
                        allLookAlikes = false
                    }
                }
            case .digit, .leetSymbol:
                allASCIILetters = false
                // A digit or symbol followed by a letter, or a symbol after one, inside a word is leetspeak.
                if i + 1 < count, out.word[i + 1].kind == .letter { leetCandidate = true }
                if sawLetter, w.kind == .leetSymbol { leetCandidate = true }
            default:
                allASCIILetters = false
            }
        }
        if letters == 0 && count == 1 && out.word[0].kind == .digit, let letter = TextNormalizer.leet(out.word[0].value) {
            // A lone leet digit is a letter of a run of single letters ("1.S.1.S"); it stays a
            // digit if the run is not joined.
            appendToRun(&out, letter: letter, isDigit: true)
            out.word.removeAll(keepingCapacity: true)
            return
        }
        if letters == 0 {
            // Digits only (or symbols): symbols are not letters here.
            out.word.removeAll { $0.kind != .digit }
            if out.word.isEmpty { return }
        } else if !allASCIILetters {
            if hasLookAlikeScript && (hasLatin || (allLookAlikes && latinDominant)) {
                for i in 0..<count where out.word[i].kind == .letter {
                    if let latin = TextNormalizer.lookAlike(out.word[i].value) {
                        out.word[i].value = latin
                        hasLatin = true
                    }
                }
            }
            if hasLatin && leetCandidate {
                for i in 0..<count where out.word[i].kind != .letter {
                    if let letter = TextNormalizer.leet(out.word[i].value) {
                        out.word[i].value = letter
                        out.word[i].kind = .letter
                    }
                }
            }
            // Symbols that are not read as letters are dropped.
            out.word.removeAll { $0.kind == .leetSymbol }
        }
        if letters > 0 { collapseRepeats(&out) }
        if out.word.count == 1 && out.word[0].kind == .letter {
            appendToRun(&out, letter: out.word[0].value, isDigit: false)
        } else {
            flushRun(&out)
            emitWord(&out)
        }
        out.word.removeAll(keepingCapacity: true)
    }

    /// Adds the one-scalar word being finished to the pending run of single letters.
    private func appendToRun(_ out: inout NormalizedText, letter: UInt32, isDigit: Bool) {
        if !out.run.isEmpty && out.lastGapAllSpaces { out.runHasSpaceGap = true }
        out.run.append(.init(letter: letter, original: out.word[0].value, span: out.word[0].span))
        if isDigit { out.runHasDigit = true }
    }

    /// Collapses runs of one repeated letter to that letter, keeping the span of the whole run.
    private func collapseRepeats(_ out: inout NormalizedText) {
        guard out.word.count > 1 else { return }
        var keep = 1
        for i in 1..<out.word.count {
            let w = out.word[i]
            if w.value == out.word[keep - 1].value && w.kind == .letter && out.word[keep - 1].kind == .letter {
                out.word[keep - 1].span.end = w.span.end
                continue
            }
            out.word[keep] = w
            keep += 1
        }
        out.word.removeLast(out.word.count - keep)
    }

    /// Ends a pending run of single letters: joined into one word when long enough, else word by word.
    private func flushRun(_ out: inout NormalizedText) {
        guard !out.run.isEmpty else { return }
        if out.run.count >= minSplitLetters && !(out.runHasDigit && out.runHasSpaceGap) {
            separateWord(&out)
            var previous: UInt32 = 0
            for (i, r) in out.run.enumerated() {
                // Repeated letters collapse here too ("d a a w l a").
                if i > 0 && r.letter == previous {
                    extendLastScalar(&out, to: r.span.end)
                    continue
                }
                appendScalar(r.letter, r.span, &out)
                previous = r.letter
            }
            noteQuoted(&out)
        } else {
            for r in out.run {
                separateWord(&out)
                appendScalar(r.original, r.span, &out)
                noteQuoted(&out)
            }
        }
        out.run.removeAll(keepingCapacity: true)
        out.runHasDigit = false
        out.runHasSpaceGap = false
    }

    private func emitWord(_ out: inout NormalizedText) {
        separateWord(&out)
        for i in 0..<out.word.count {
            appendScalar(out.word[i].value, out.word[i].span, &out)
        }
        noteQuoted(&out)
    }

    /// Starts a new word: a space after the previous one. Records where the word starts.
    @inline(__always)
    private func separateWord(_ out: inout NormalizedText) {
        if out.bytes.count > 1 {
            out.bytes.append(0x20)
            let previous = out.origins[out.origins.count - 1].end
            out.origins.append(SourceSpan(start: previous, end: previous))
        }
        out.wordStart = out.bytes.count
    }

    @inline(__always)
    private func noteQuoted(_ out: inout NormalizedText) {
        if out.inQuote { out.quoted.append(out.wordStart..<out.bytes.count) }
    }

    @inline(__always)
    private func appendScalar(_ scalar: UInt32, _ span: SourceSpan, _ out: inout NormalizedText) {
        if scalar < 0x80 {
            out.bytes.append(UInt8(truncatingIfNeeded: scalar))
            out.origins.append(span)
            return
        }
        let before = out.bytes.count
        appendUTF8(scalar, to: &out.bytes)
        for _ in before..<out.bytes.count { out.origins.append(span) }
    }

    /// Widens the span of the last scalar written (all its bytes) to end at `end`.
    private func extendLastScalar(_ out: inout NormalizedText, to end: Int32) {
        var i = out.bytes.count - 1
        while i > 0 {
            out.origins[i].end = end
            if out.bytes[i] & 0xC0 != 0x80 { break }
            i -= 1
        }
    }

    @inline(__always)
    static func isLatin(_ v: UInt32) -> Bool {
        (v >= 0x61 && v <= 0x7A) || (v >= 0xDF && v < 0x250) || (v >= 0x1E00 && v < 0x1F00)
    }

    /// Whether Latin letters outnumber Cyrillic and Greek ones (a cheap pass over UTF-8 lead bytes).
    static func isLatinDominant(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isLatinDominant($0) }
    }

    static func isLatinDominant(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        var latin = 0
        var other = 0
        for b in utf8 {
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
