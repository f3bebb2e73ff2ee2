/// What the normaliser reads for each Unicode scalar: its folded form and its class.
///
/// Built once from the generated data (`FoldingTable+Data.swift`, made by
/// `scripts/generate-folding-table.py` from Unicode NFKC, case folding and Bulwark's Arabic
/// unifications), so the hot path does a single array lookup per scalar.
struct FoldingTable: Sendable {
    enum Kind: UInt8, Sendable {
        /// Not part of a word: punctuation, spaces, symbols, emoji.
        case separator = 0
        case letter = 1
        case digit = 2
        /// Zero-width and bidi controls, tatweel: dropped without breaking the word.
        case invisible = 3
        /// Maps to several scalars; the value indexes `multi`.
        case multi = 4
        /// A symbol that leetspeak uses as a letter (`@`, `$`, `!`, `|`).
        case leetSymbol = 5
    }

    struct Entry: Sendable, Hashable {
        let raw: UInt32
        @inline(__always) var kind: Kind { Kind(rawValue: UInt8(truncatingIfNeeded: raw >> 24)) ?? .separator }
        @inline(__always) var value: UInt32 { raw & 0x00FF_FFFF }
        init(kind: Kind, value: UInt32) { raw = UInt32(kind.rawValue) << 24 | (value & 0x00FF_FFFF) }
    }

    static let shared = FoldingTable()

    private(set) var bmp: [Entry]
    private(set) var multi: [[Entry]] = []
    private(set) var astral: [UInt32: Entry] = [:]

    init() {
        var mappings: [UInt32: [UInt32]] = [:]
        for row in FoldingTable.source.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let trimmed = row.drop(while: { $0 == " " })
            guard let colon = trimmed.firstIndex(of: ":"), let key = UInt32(trimmed[..<colon], radix: 16) else {
                continue
            }
            let values = trimmed[trimmed.index(after: colon)...].split(separator: " ").compactMap {
                UInt32($0, radix: 16)
            }
            mappings[key] = values
        }
        bmp = []
        bmp.reserveCapacity(0x10000)
        var multi: [[Entry]] = []
        var astral: [UInt32: Entry] = [:]
        func entry(for scalar: UInt32) -> Entry {
            if let mapped = mappings[scalar] {
                if mapped.isEmpty { return Entry(kind: .invisible, value: 0) }
                if mapped.count == 1 { return FoldingTable.classify(mapped[0]) }
                multi.append(mapped.map(FoldingTable.classify))
                return Entry(kind: .multi, value: UInt32(multi.count - 1))
            }
            return FoldingTable.classify(scalar)
        }
        for scalar in UInt32(0)..<0x10000 {
            bmp.append(entry(for: scalar))
        }
        for key in mappings.keys where key >= 0x10000 {
            astral[key] = entry(for: key)
        }
        self.multi = multi
        self.astral = astral
    }

    /// The class of a scalar that needs no mapping.
    static func classify(_ value: UInt32) -> Entry {
        switch value {
        case 0x30...0x39: return Entry(kind: .digit, value: value)
        case 0x61...0x7A: return Entry(kind: .letter, value: value)
        case 0x40, 0x24, 0x21, 0x7C: return Entry(kind: .leetSymbol, value: value)
        case 0..<0x80: return Entry(kind: .separator, value: value)
        default: break
        }
        guard let scalar = Unicode.Scalar(value) else { return Entry(kind: .separator, value: value) }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark:
            return Entry(kind: .letter, value: value)
        case .decimalNumber:
            return Entry(kind: .digit, value: value)
        case .format:
            return Entry(kind: .invisible, value: 0)
        default:
            return properties.isAlphabetic ? Entry(kind: .letter, value: value) : Entry(kind: .separator, value: value)
        }
    }

    @inline(__always)
    func entry(_ scalar: UInt32) -> Entry {
        if scalar < 0x10000 { return bmp[Int(scalar)] }
        if let e = astral[scalar] { return e }
        return FoldingTable.classify(scalar)
    }
}
