public import BulwarkCore

/// The hash-list formats banks import and export, one record per line.
public enum SignalFileFormat: String, Sendable, Hashable, CaseIterable {
    /// ThreatExchange's CSV signal files (the `threatexchange` CLI's `simple.<type>.te`
    /// state files and HMA's exchange exports): `value,descriptor_id,added_on,labels`,
    /// labels separated by spaces; RFC 4180 quoting.
    case threatexchange = "te"
    /// python-threatexchange's local-file exchange, as HMA reads it: `signal_type value`
    /// per line, or just `value` when the type is given.
    case hma
    /// Plain lists: `value,labels`: the hash, then labels in further comma-separated
    /// fields, each of which may hold several separated by spaces, `;` or `|`.
    case hashLabels = "hash-labels"
}

/// One record of a signal file.
public struct SignalRecord: Sendable, Hashable {
    public var signal: Signal
    public var labels: [String]
    /// What the file said about the record's origin (ThreatExchange descriptor id and date).
    public var note: String
}

/// Reads one line of a signal file at a time.
public struct SignalFileReader: Sendable {
    /// A vPDQ value (at most ``VPDQHash/maxTextBytes``) and 64 KiB more.
    public static let maxLineBytes = VPDQHash.maxTextBytes + 65_536
    public static let maxLabels = 64

    public var format: SignalFileFormat
    /// The type of values that do not say theirs (`te` and `hash-labels` files, `hma`
    /// lines with the value alone). Without it, 32 hex digits are MD5, a JSON array (`[...`) is
    /// vPDQ and 64 digits are an error (PDQ or SHA-256?).
    public var type: SignalType?

    public init(format: SignalFileFormat, type: SignalType? = nil) {
        self.format = format
        self.type = type
    }

    /// The record on a line, nil for a blank line, a `#` comment, or a header on line 1.
    public func read(_ line: some StringProtocol, number: Int) throws(BulwarkError) -> SignalRecord? {
        guard line.utf8.count <= Self.maxLineBytes else {
            throw BulwarkError(
                .limitExceeded, "line is \(line.utf8.count) bytes, the limit is \(Self.maxLineBytes)", line: number)
        }
        let trimmed = line.trimmingSpaces
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
        do throws(BulwarkError) {
            switch format {
            case .threatexchange:
                let fields = try CSV.fields(of: trimmed)
                if number == 1 && Self.looksLikeHeader(fields[0]) { return nil }
                let signal = try value(fields[0], type: type)
                var note: [String] = []
                if fields.count > 1 && !fields[1].isEmpty { note.append("descriptor \(fields[1])") }
                if fields.count > 2 && !fields[2].isEmpty { note.append("added \(fields[2])") }
                let labels = fields.count > 3 ? Self.split(fields[3]) : []
                return SignalRecord(signal: signal, labels: try Self.labels(labels), note: note.joined(separator: ", "))
            case .hma:
                let parts = trimmed.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
                if parts.count == 2 {
                    guard let named = SignalType(name: parts[0]) else {
                        throw BulwarkError(.invalidField, "unknown signal type \"\(parts[0])\"", field: "signal_type")
                    }
                    if let type, type != named {
                        throw BulwarkError(
                            .invalidField, "line is \(named.rawValue), the import is of \(type.rawValue)",
                            field: "signal_type")
                    }
                    return SignalRecord(signal: try Signal(named, parts[1]), labels: [], note: "")
                }
                return SignalRecord(signal: try value(String(trimmed), type: type), labels: [], note: "")
            case .hashLabels:
                let fields = try CSV.fields(of: trimmed)
                if number == 1 && Self.looksLikeHeader(fields[0]) { return nil }
                let signal = try value(fields[0], type: type)
                let labels = fields.dropFirst().flatMap { Self.split($0) }
                return SignalRecord(signal: signal, labels: try Self.labels(labels), note: "")
            }
        } catch {
            throw error.at(line: number)
        }
    }

    private func value(_ text: String, type: SignalType?) throws(BulwarkError) -> Signal {
        if let type { return try Signal(type, text) }
        let digits = text.utf8.count
        if digits == 32 { return try Signal(.md5, text) }
        if text.utf8.first == UInt8(ascii: "[") { return try Signal(.vpdq, text) }
        throw BulwarkError(
            .invalidField,
            digits == 64
                ? "a 64-digit value may be PDQ or SHA-256: give the type (--type pdq or --type sha256)"
                : "cannot tell the hash type of a \(digits)-character value: give the type",
            field: "value")
    }

    private static func looksLikeHeader(_ first: String) -> Bool {
        !first.isEmpty && first.utf8.first != UInt8(ascii: "[") && !first.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x66) }
    }

    /// At the separator bytes themselves: split as Characters, a space followed by a combining
    /// mark would be one Character and no separator.
    private static func split(_ field: String) -> [String] {
        field.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x3B || $0 == 0x7C || $0 == 0x09 })
            .map { String(decoding: $0, as: UTF8.self) }
    }

    private static func labels(_ labels: [String]) throws(BulwarkError) -> [String] {
        guard labels.count <= maxLabels else {
            throw BulwarkError(.limitExceeded, "\(labels.count) labels, the limit is \(maxLabels)", field: "labels")
        }
        return try Label.canonical(labels)
    }
}

/// Writes bank entries in a signal file format.
public struct SignalFileWriter: Sendable {
    public var format: SignalFileFormat

    public init(format: SignalFileFormat) {
        self.format = format
    }

    /// A header line, if the format has one (with its newline), else "".
    public var header: String {
        switch format {
        case .threatexchange, .hma: ""
        case .hashLabels: "hash,labels\n"
        }
    }

    /// One line for the entry, with its newline.
    public func line(_ entry: BankEntry) -> String {
        switch format {
        case .threatexchange:
            let date = CivilDate.isoDate(entry.addedAt)
            return "\(CSV.quoted(entry.signal.value)),\(entry.id),\(date),\(CSV.quoted(entry.labels.joined(separator: " ")))\n"
        case .hma:
            return "\(entry.signal.type.rawValue) \(entry.signal.value)\n"
        case .hashLabels:
            return "\(CSV.quoted(entry.signal.value)),\(CSV.quoted(entry.labels.joined(separator: " ")))\n"
        }
    }
}

/// RFC 4180 fields of one line.
enum CSV {
    static func fields(of line: some StringProtocol) throws(BulwarkError) -> [String] {
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var quotedField = false
        var bytes = Array(line.utf8)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(c)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == UInt8(ascii: ",") {
                fields.append(String(decoding: field, as: UTF8.self).trimmingSpaces)
                field.removeAll(keepingCapacity: true)
                quotedField = false
            } else if c == UInt8(ascii: "\"") && field.allSatisfy({ $0 == 0x20 }) && !quotedField {
                field.removeAll(keepingCapacity: true)
                inQuotes = true
                quotedField = true
            } else {
                field.append(c)
            }
            i += 1
        }
        guard !inQuotes else {
            throw BulwarkError(.invalidData, "unterminated quoted field", offset: bytes.count)
        }
        fields.append(String(decoding: field, as: UTF8.self).trimmingSpaces)
        return fields
    }

    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
