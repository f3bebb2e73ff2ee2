public import BulwarkCore

/// A named list of hashes with one policy.
public struct Bank: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Known violating content: a match is evidence against the media.
        case block
        /// Known false positives ("negative bank"): media that matches must never be
        /// actioned on the strength of a block-bank match, whatever the block banks say.
        case allow
    }

    /// 1-64 characters: letters, digits, `-`, `_`, `.`.
    public var name: String
    public var kind: Kind
    /// A quarantined block bank's matches go to review only (a third-party list that
    /// proved noisy); an allow bank's quarantine turns its protection off.
    public var quarantined: Bool
    /// Largest PDQ distance that counts as a match for this bank (0 ... 128; PDQ's
    /// recommended 31 by default).
    public var pdqThreshold: Int
    /// Labels every match of this bank carries (for example `category:dissemination`).
    public var labels: [String]
    public var description: String
    /// Unix seconds.
    public var createdAt: Int64

    public static let defaultPDQThreshold = 31
    public static let maxPDQThreshold = 128

    public init(
        name: String, kind: Kind = .block, quarantined: Bool = false, pdqThreshold: Int = Bank.defaultPDQThreshold,
        labels: [String] = [], description: String = "", createdAt: Int64 = 0
    ) throws(BulwarkError) {
        try Self.validate(name: name)
        guard (0...Self.maxPDQThreshold).contains(pdqThreshold) else {
            throw BulwarkError(
                .invalidField, "PDQ threshold must be 0 ... \(Self.maxPDQThreshold), not \(pdqThreshold)",
                field: "pdq_threshold")
        }
        self.name = name
        self.kind = kind
        self.quarantined = quarantined
        self.pdqThreshold = pdqThreshold
        self.labels = try Label.canonical(labels)
        self.description = description
        self.createdAt = createdAt
    }

    public static func validate(name: String) throws(BulwarkError) {
        let ok =
            (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) || c == 0x2D || c == 0x5F
                    || c == 0x2E
            } && name.first != "."
        guard ok else {
            throw BulwarkError(
                .invalidField,
                "bank name must be 1-64 letters, digits, '-', '_' or '.', not starting with '.': \"\(name)\"",
                field: "bank")
        }
    }
}

/// Labels are short strings without spaces or commas (`group:isis`, `category:dissemination`).
public enum Label {
    public static let maxLength = 128

    /// Validated, deduplicated and sorted.
    public static func canonical(_ labels: [String]) throws(BulwarkError) -> [String] {
        for label in labels {
            guard (1...maxLength).contains(label.utf8.count),
                !label.utf8.contains(where: { $0 <= 0x20 || $0 == 0x2C || $0 == 0x22 || $0 == 0x7F })
            else {
                throw BulwarkError(
                    .invalidField,
                    "label must be 1-\(maxLength) bytes without spaces, commas, quotes or control characters: \"\(label)\"",
                    field: "labels")
            }
        }
        return Array(Set(labels)).sorted()
    }
}

/// One hash in one bank. Entries are never deleted, only marked removed, so what a
/// bank held on any day can be told afterwards.
public struct BankEntry: Sendable, Hashable {
    /// Assigned by the bank set, increasing, never reused.
    public var id: UInt64
    public var bank: String
    public var signal: Signal
    public var labels: [String]
    /// The list it came from (`gifct`, `tat`, `own`, ...).
    public var source: String
    /// How it got here: the file and line it was imported from, or who added it.
    public var provenance: String {
        get { storedProvenance.text }
        set { storedProvenance = Provenance(newValue) }
    }
    var storedProvenance: Provenance
    /// Unix seconds.
    public var addedAt: Int64
    public var removedAt: Int64?

    public init(
        id: UInt64, bank: String, signal: Signal, labels: [String] = [], source: String = "", provenance: String = "",
        addedAt: Int64, removedAt: Int64? = nil
    ) {
        self.id = id
        self.bank = bank
        self.signal = signal
        self.labels = labels
        self.source = source
        self.storedProvenance = Provenance(provenance)
        self.addedAt = addedAt
        self.removedAt = removedAt
    }

    public var isActive: Bool { removedAt == nil }

    /// An entry whose provenance is read already (a snapshot's).
    init(
        id: UInt64, bank: String, signal: Signal, labels: [String], source: String, storedProvenance: Provenance,
        addedAt: Int64
    ) {
        self.init(id: id, bank: bank, signal: signal, labels: labels, source: source, addedAt: addedAt)
        self.storedProvenance = storedProvenance
    }
}

/// An entry's provenance, kept as a file's name and a line number when it is an imported row's
/// ("list.csv line 12": the name shared by the set's entries, `SharedValues`), else as given: a
/// million rows imported held a string each of their provenance, about 60 MB. The text is always
/// the one given: a number with a leading zero, past 32 bits, or anything else after " line "
/// keeps the text.
enum Provenance: Sendable, Hashable {
    case text(String)
    case line(file: String, number: UInt32)

    private static let separator = Array(" line ".utf8)

    init(_ text: String) {
        var copy = text
        self = copy.withUTF8 { Self.line($0) } ?? .text(text)
    }

    /// The provenance of these UTF-8 bytes (a snapshot's, where they are; invalid UTF-8 repaired
    /// as `String(decoding:as:)` does).
    init(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        self = Self.line(bytes) ?? .text(String(decoding: bytes, as: UTF8.self))
    }

    /// "FILE line N": digits at the end (1 to 10, no leading zero, within 32 bits), " line "
    /// before them, and something before that.
    private static func line(_ bytes: UnsafeBufferPointer<UInt8>) -> Provenance? {
        var start = bytes.count
        while start > 0, bytes[start - 1] >= 0x30 && bytes[start - 1] <= 0x39 { start -= 1 }
        let digits = bytes.count - start
        guard digits >= 1, digits <= 10, digits == 1 || bytes[start] != 0x30 else { return nil }
        var number: UInt64 = 0
        for i in start..<bytes.count { number = number * 10 + UInt64(bytes[i] - 0x30) }
        let fileEnd = start - separator.count
        guard number <= UInt64(UInt32.max), fileEnd > 0,
            UnsafeBufferPointer(rebasing: bytes[fileEnd..<start]).elementsEqual(separator)
        else { return nil }
        return .line(file: String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<fileEnd]), as: UTF8.self), number: UInt32(number))
    }

    var text: String {
        switch self {
        case .text(let text): text
        case .line(let file, let number): file + " line " + String(number)
        }
    }

    /// The length of ``text`` in UTF-8 bytes.
    var utf8Count: Int {
        switch self {
        case .text(let text): return text.utf8.count
        case .line(let file, let number):
            var digits = 1
            var rest = number / 10
            while rest > 0 { digits += 1; rest /= 10 }
            return file.utf8.count + Self.separator.count + digits
        }
    }

    /// Appends ``text``'s UTF-8 bytes.
    func appendText(to out: inout [UInt8]) {
        switch self {
        case .text(let text): out.append(contentsOf: text.utf8)
        case .line(let file, let number):
            out.append(contentsOf: file.utf8)
            out.append(contentsOf: Self.separator)
            out.append(contentsOf: String(number).utf8)
        }
    }

    /// The same, its file's name the set's shared one.
    func sharing(_ shared: inout SharedValues) -> Provenance {
        guard case .line(let file, let number) = self else { return self }
        return .line(file: shared.string(file), number: number)
    }
}
