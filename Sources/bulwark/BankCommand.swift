public import ArgumentParser
import BulwarkBankFiles
public import BulwarkBanks
import BulwarkCore
import BulwarkServer
import BulwarkStore
import Foundation

/// Where banks live: `--banks DIR`, else `$BULWARK_BANKS`, else `.bulwark/banks`.
struct BankDirectoryOption: ParsableArguments {
    @Option(name: .customLong("banks"), help: "Bank directory. Default: $BULWARK_BANKS, else .bulwark/banks.")
    var directory: String?

    var path: String {
        directory ?? ProcessInfo.processInfo.environment["BULWARK_BANKS"] ?? ".bulwark/banks"
    }

    func open(writable: Bool) throws -> BankDirectory {
        let store = try BankDirectory(path: path, writable: writable)
        for note in store.notes { warn("banks: \(note)") }
        return store
    }
}

/// Where a bank command works: the bank directory (`--banks`), or with `--database` the hash banks
/// in that database, which `serve --banks-in-database` and `worker` processes share. There a change
/// is appended to the database's bank log (every running process has it within its --bank-poll),
/// audited with the actor `cli`; new entries queue a retro-hunt, as through the API; and a bank
/// snapshot is stored when one is due, as a server's BankSync does.
struct BankPlaceOption: ParsableArguments {
    @OptionGroup var directory: BankDirectoryOption
    @Option(
        name: .customLong("database"),
        help: """
            Work on the hash banks in this database (SQLite file or postgres://…; those of serve \
            --banks-in-database) instead of the bank directory.
            """)
    var database: String?

    func open(writable: Bool) async throws -> BankPlace {
        guard let database else { return .directory(try directory.open(writable: writable)) }
        var option = DatabaseOption()
        option.database = database
        let store = try await option.open()
        let registry = try await BankRegistry.shared(store: store)
        if let load = registry.loaded { for note in load.notes { warn("banks: \(note)") } }
        return .database(registry, store)
    }
}

/// A bank directory held open, or the database's shared banks (`BankPlaceOption`).
enum BankPlace {
    case directory(BankDirectory)
    case database(BankRegistry, any ModerationStore)

    var banks: BankSet {
        switch self {
        case .directory(let directory): directory.banks
        case .database(let registry, _): registry.banks
        }
    }

    /// Makes a change durable: the directory's event log, or the database's bank log.
    func change<T: Sendable>(_ body: (inout BankSet) throws(BulwarkError) -> (T, [BankEvent])) async throws -> T {
        switch self {
        case .directory(let directory): try directory.change(body)
        case .database(let registry, _): try await registry.change(body)
        }
    }

    /// After a change: in the database, its audit entry (actor `cli`), a retro-hunt for the new
    /// entries and a snapshot if one is due; in a directory, its snapshot when `snapshot`.
    func changed(
        _ action: String, bank: String, detail: String, newEntries: Set<UInt64> = [], snapshot: Bool = true
    ) async throws {
        switch self {
        case .directory(let directory):
            if snapshot { try directory.saveSnapshot() }
        case .database(let registry, let store):
            let at = now()
            try await store.appendAudit(actor: "cli", action: action, subject: "bank:\(bank)", detail: detail, now: at)
            if let first = newEntries.min(), try await store.enqueueRetroHunt(firstEntryID: Int64(first), now: at) {
                print("retro-hunt queued for \(newEntries.count) new entries (a worker or server runs it)")
            }
            try await registry.snapshotIfDue(every: BankRegistry.standardSnapshotEvery, now: at)
        }
    }
}

func warn(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

extension SignalType: ExpressibleByArgument {}
extension SignalFileFormat: ExpressibleByArgument {}

struct BankCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank",
        abstract: "Create hash banks, add and remove hashes, import and export industry hash lists.",
        discussion: """
            A bank is a named list of hashes (PDQ, MD5, SHA-256) with one policy: a block bank's \
            matches are known violating content (a quarantined one's go to review only); an allow \
            bank lists known false positives that must never be actioned. Banks live in a \
            directory (--banks): an append-only event log and a snapshot with the PDQ index.
            """,
        subcommands: [
            Create.self, Update.self, List.self, Add.self, Remove.self, Import.self, Export.self,
        ]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a bank.")
        @OptionGroup var banks: BankPlaceOption
        @Argument(help: "Bank name: letters, digits, '-', '_', '.'.") var name: String
        @Flag(help: "An allow-list of known false positives (a \"negative bank\").") var allow = false
        @Flag(help: "Matches go to review only (a noisy third-party list).") var quarantined = false
        @Option(help: "Largest PDQ distance that matches (0-\(Bank.maxPDQThreshold)).") var threshold = Bank.defaultPDQThreshold
        @Option(name: .customLong("label"), help: "A label every match carries (repeatable), e.g. category:dissemination.")
        var labels: [String] = []
        @Option(help: "What the bank holds and where it comes from.") var description = ""

        func run() async throws {
            let store = try await banks.open(writable: true)
            let bank = try Bank(
                name: name, kind: allow ? .allow : .block, quarantined: quarantined, pdqThreshold: threshold,
                labels: labels, description: description, createdAt: now())
            let events = try await store.change { (set: inout BankSet) throws(BulwarkError) in
                let events = try set.create(bank)
                return (events, events)
            }
            if !events.isEmpty {
                try await store.changed(
                    "bank.create", bank: name, detail: "{\"kind\":\"\(bank.kind.rawValue)\",\"quarantined\":\(bank.quarantined)}",
                    snapshot: false)
            }
            print(events.isEmpty ? "bank \(name) exists (unchanged)" : "created \(bank.kind.rawValue) bank \(name)")
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a bank's settings.")
        @OptionGroup var banks: BankPlaceOption
        @Argument var name: String
        @Option(help: "true: matches go to review only; false: back in force.") var quarantined: Bool?
        @Option(help: "Largest PDQ distance that matches.") var threshold: Int?
        @Option(help: "New description.") var description: String?
        @Option(name: .customLong("label"), help: "Replace the bank's labels (repeatable).") var labels: [String] = []

        func run() async throws {
            let store = try await banks.open(writable: true)
            guard var bank = store.banks.banks[name] else { throw CommandFailure("no bank named \"\(name)\"") }
            if let quarantined { bank.quarantined = quarantined }
            if let threshold {
                bank = try Bank(
                    name: bank.name, kind: bank.kind, quarantined: bank.quarantined, pdqThreshold: threshold,
                    labels: bank.labels, description: bank.description, createdAt: bank.createdAt)
            }
            if let description { bank.description = description }
            if !labels.isEmpty { bank.labels = try Label.canonical(labels) }
            let events = try await store.change { (set: inout BankSet) throws(BulwarkError) in
                let events = try set.update(bank)
                return (events, events)
            }
            if !events.isEmpty {
                try await store.changed(
                    "bank.update", bank: name,
                    detail: "{\"quarantined\":\(bank.quarantined),\"pdq_threshold\":\(bank.pdqThreshold)}", snapshot: false)
            }
            print(events.isEmpty ? "bank \(name) unchanged" : "updated bank \(name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List banks and their active entries.")
        @OptionGroup var banks: BankPlaceOption
        @Flag(help: "One JSON line per bank.") var json = false

        func run() async throws {
            let store = try await banks.open(writable: false)
            var counts: [String: [SignalType: Int]] = [:]
            for entry in store.banks.entries where entry.isActive {
                counts[entry.bank, default: [:]][entry.signal.type, default: 0] += 1
            }
            for bank in store.banks.banks.values.sorted(by: { $0.name < $1.name }) {
                let c = counts[bank.name] ?? [:]
                if json {
                    var line: [UInt8] = []
                    line.append(contentsOf: "{\"name\":".utf8)
                    appendJSONString(bank.name, to: &line)
                    line.append(contentsOf: ",\"kind\":\"\(bank.kind.rawValue)\",\"quarantined\":\(bank.quarantined)".utf8)
                    line.append(contentsOf: ",\"pdq_threshold\":\(bank.pdqThreshold)".utf8)
                    line.append(contentsOf: ",\"entries\":{\"pdq\":\(c[.pdq] ?? 0),\"md5\":\(c[.md5] ?? 0),\"sha256\":\(c[.sha256] ?? 0),\"vpdq\":\(c[.vpdq] ?? 0)}".utf8)
                    line.append(contentsOf: ",\"labels\":[".utf8)
                    for (i, l) in bank.labels.enumerated() {
                        if i > 0 { line.append(UInt8(ascii: ",")) }
                        appendJSONString(l, to: &line)
                    }
                    line.append(contentsOf: "],\"description\":".utf8)
                    appendJSONString(bank.description, to: &line)
                    line.append(UInt8(ascii: "}"))
                    print(String(decoding: line, as: UTF8.self))
                } else {
                    let state = bank.kind == .allow ? "allow" : "block"
                    let q = bank.quarantined ? ", quarantined" : ""
                    print(
                        "\(bank.name)\t\(state)\(q)\tpdq<=\(bank.pdqThreshold)\tpdq \(c[.pdq] ?? 0), md5 \(c[.md5] ?? 0), sha256 \(c[.sha256] ?? 0), vpdq \(c[.vpdq] ?? 0)\t\(bank.labels.joined(separator: " "))"
                    )
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add hashes to a bank (idempotent).")
        @OptionGroup var banks: BankPlaceOption
        @Argument var name: String
        @Option(help: "Hash type: pdq, md5, sha256, vpdq.") var type: SignalType
        @Argument(help: "Hash values (hex; a vpdq value is HMA's JSON array of \"HEX,QUALITY,SECONDS\" strings).") var values: [String]
        @Option(name: .customLong("label"), help: "Label (repeatable), e.g. group:example.") var labels: [String] = []
        @Option(help: "The list the hashes come from.") var source = "own"
        @Option(help: "Who or what added them.") var provenance = "bulwark bank add"

        func run() async throws {
            let store = try await banks.open(writable: true)
            let signals = try values.map { try Signal(type, $0) }
            let at = now()
            let outcomes = try await store.change { (set: inout BankSet) throws(BulwarkError) in
                var outcomes: [BankSet.AddOutcome] = []
                var events: [BankEvent] = []
                for signal in signals {
                    let (outcome, e) = try set.add(
                        bank: name, signal: signal, labels: labels, source: source, provenance: provenance, at: at)
                    outcomes.append(outcome)
                    events += e
                }
                return (outcomes, events)
            }
            var newEntries: Set<UInt64> = []
            for outcome in outcomes {
                switch outcome {
                case .added(let entry):
                    newEntries.insert(entry.id)
                    print("added \(entry.signal) as entry \(entry.id)")
                case .unchanged(let entry): print("unchanged \(entry.signal) (entry \(entry.id))")
                }
            }
            try await store.changed(
                "bank.add", bank: name, detail: "{\"added\":\(newEntries.count),\"unchanged\":\(outcomes.count - newEntries.count)}",
                newEntries: newEntries)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark hashes removed from a bank (history is kept).")
        @OptionGroup var banks: BankPlaceOption
        @Argument var name: String
        @Option(help: "Hash type: pdq, md5, sha256, vpdq.") var type: SignalType
        @Argument(help: "Hash values (hex; a vpdq value is HMA's JSON array of \"HEX,QUALITY,SECONDS\" strings).") var values: [String]

        func run() async throws {
            let store = try await banks.open(writable: true)
            let signals = try values.map { try Signal(type, $0) }
            let at = now()
            let removed = try await store.change { (set: inout BankSet) throws(BulwarkError) in
                var removed: [(Signal, BankEntry?)] = []
                var events: [BankEvent] = []
                for signal in signals {
                    let (entry, e) = try set.remove(bank: name, signal: signal, at: at)
                    removed.append((signal, entry))
                    events += e
                }
                return (removed, events)
            }
            for (signal, entry) in removed {
                print(entry.map { "removed \(signal) (entry \($0.id))" } ?? "not in \(name): \(signal)")
            }
            try await store.changed("bank.remove", bank: name, detail: "{\"removed\":\(removed.count(where: { $0.1 != nil }))}")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a hash list into a bank (idempotent: a second import of the same file changes nothing).",
            discussion: """
                Formats: te (ThreatExchange CSV: value,descriptor_id,added_on,labels), hma \
                (python-threatexchange / HMA local files: 'signal_type value' per line), hash-labels \
                (value,labels). A bad row is reported with its line number and skipped; the good \
                rows are imported (with --strict nothing is imported if any row is bad). \
                Lines longer than \(SignalFileReader.maxLineBytes) bytes are bad rows.
                """
        )
        @OptionGroup var banks: BankPlaceOption
        @Argument var name: String
        @Argument(help: "The list file.") var file: String
        @Option(help: "te, hma or hash-labels.") var format: SignalFileFormat = .hashLabels
        @Option(help: "Type of values that do not say theirs: pdq, md5, sha256, vpdq.") var type: SignalType?
        @Option(help: "Name of the list (kept on every entry). Default: the file name.") var source: String?
        @Option(name: .customLong("label"), help: "Label added to every entry (repeatable).") var labels: [String] = []
        @Flag(help: "Import nothing if any row is bad.") var strict = false

        func run() async throws {
            // The file's bytes are let go once its rows are read (a million rows: 65 MB).
            let (records, bad) = try readRecords()
            let store = try await banks.open(writable: true)
            let list = source ?? URL(fileURLWithPath: file).lastPathComponent
            let at = now()
            let (added, unchanged, newEntries) = try await store.change { (set: inout BankSet) throws(BulwarkError) in
                set.reserveCapacity(entries: records.count)
                let made = try set.add(
                    bank: name,
                    records.lazy.map { number, record in
                        (record.signal, record.labels + labels, "\(list) line \(number)" + (record.note.isEmpty ? "" : " (\(record.note))"))
                    }, source: list, at: at)
                return ((made.added, made.unchanged, made.newEntries), made.events)
            }
            try await store.changed(
                "bank.import", bank: name, detail: "{\"added\":\(added),\"unchanged\":\(unchanged),\"bad\":\(bad)}",
                newEntries: newEntries)
            print("imported \(file) into \(name): \(added) added, \(unchanged) unchanged, \(bad) bad rows")
        }

        /// The file's good rows with their line numbers, and how many were bad (each reported).
        private func readRecords() throws -> (records: [(Int, SignalRecord)], bad: Int) {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure("cannot read \(file)")
            }
            // ThreatExchange state files say their type in their name: simple.<type>.te.
            var type = self.type
            let fileName = URL(fileURLWithPath: file).lastPathComponent
            if type == nil, format == .threatexchange, fileName.hasPrefix("simple."), fileName.hasSuffix(".te") {
                type = SignalType(name: fileName.dropFirst("simple.".count).dropLast(".te".count))
            }
            let reader = SignalFileReader(format: format, type: type)
            var records: [(Int, SignalRecord)] = []
            var bad = 0
            var lineNumber = 0
            // The records' labels, held until the change is made, shared as the set shares them.
            var shared = SharedValues()
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                do {
                    if var record = try reader.read(String(decoding: line, as: UTF8.self), number: lineNumber) {
                        record.labels = shared.list(record.labels)
                        records.append((lineNumber, record))
                    }
                } catch {
                    bad += 1
                    warn("\(file): \(error)")
                    if strict { throw ExitCode(1) }
                }
            }
            return (records, bad)
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a bank's active entries as a hash list.")
        @OptionGroup var banks: BankPlaceOption
        @Argument var name: String
        @Option(help: "te, hma or hash-labels.") var format: SignalFileFormat = .hashLabels
        @Option(help: "Only this type.") var type: SignalType?
        @Option(name: .shortAndLong, help: "Output file. Standard output when omitted.") var out: String?

        func run() async throws {
            let store = try await banks.open(writable: false)
            guard store.banks.banks[name] != nil else { throw CommandFailure("no bank named \"\(name)\"") }
            let writer = SignalFileWriter(format: format)
            var text = writer.header
            for entry in store.banks.activeEntries(bank: name) where type == nil || entry.signal.type == type {
                text += writer.line(entry)
            }
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else {
                    throw CommandFailure("cannot write \(out)")
                }
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
