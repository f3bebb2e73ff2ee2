import BulwarkBanks
import BulwarkCore
import BulwarkStore
import Foundation
import Hummingbird
import Logging
import NIOCore

struct BankPayload: Decodable, Sendable {
    var name: String
    var kind: Bank.Kind?
    var quarantined: Bool?
    var pdq_threshold: Int?
    var labels: [String]?
    var description: String?
}

struct EntriesPayload: Decodable, Sendable {
    var type: String
    var values: [String]
    var labels: [String]?
    var source: String?
}

struct BankSummary: Encodable, Sendable {
    var name: String
    var kind: String
    var quarantined: Bool
    var pdq_threshold: Int
    var labels: [String]
    var description: String
    var entries: [String: Int]
}


extension BulwarkService {
    /// Banks over HTTP: list and create banks, add and remove entries, import and export
    /// hash lists. Changes are durable (the bank directory's log) and audited; new PDQ entries
    /// start a retro-hunt over the media already stored.
    func addBankRoutes(_ v1: RouterGroup<BulwarkRequestContext>) {
        v1.get("banks") { request, _ -> Response in
            _ = try await require(request, [.reviewer, .lead, .admin, .auditor])
            return try encode(["banks": bankSummaries()])
        }

        v1.post("banks") { request, _ -> Response in
            let key = try await require(request, [.lead, .admin])
            let registry = try self.registry()
            let p = try decode(BankPayload.self, try await self.body(request))
            let created = try await createBank(p, actor: key.name, registry: registry)
            return try encode(["name": p.name, "created": created ? "true" : "false"], status: created ? .created : .ok)
        }

        v1.post("banks/:name/entries") { request, context -> Response in
            let key = try await require(request, [.lead, .admin])
            let registry = try self.registry()
            let name = try context.parameters.require("name")
            let p = try decode(EntriesPayload.self, try await self.body(request))
            let (added, unchanged) = try await addBankEntries(
                bank: name, p, actor: key.name, via: "api", registry: registry, logger: context.logger)
            return try encode(["added": added, "unchanged": unchanged])
        }

        v1.delete("banks/:name/entries") { request, context -> Response in
            let key = try await require(request, [.lead, .admin])
            let registry = try self.registry()
            let name = try context.parameters.require("name")
            let p = try decode(EntriesPayload.self, try await self.body(request))
            let removed = try await removeBankEntries(bank: name, p, actor: key.name, registry: registry)
            return try encode(["removed": removed])
        }

        v1.post("banks/:name/import") { request, context -> Response in
            let key = try await require(request, [.lead, .admin])
            let registry = try self.registry()
            let name = try context.parameters.require("name")
            let q = request.uri.queryParameters
            guard let format = SignalFileFormat(rawValue: q["format"].map(String.init) ?? "hash-labels") else {
                throw APIError.invalid("format is te, hma or hash-labels", field: "format")
            }
            let type = try q["type"].map { v -> SignalType in
                guard let t = SignalType(name: v) else { throw APIError.invalid("unknown type \(v)", field: "type") }
                return t
            }
            let text = String(decoding: try await self.body(request), as: UTF8.self)
            let reader = SignalFileReader(format: format, type: type)
            var records: [(Int, SignalRecord)] = []
            var bad: [[String: String]] = []
            // The records' labels, held until the change is made, shared as the set shares them.
            var shared = SharedValues()
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                do {
                    if var r = try reader.read(line, number: i + 1) {
                        r.labels = shared.list(r.labels)
                        records.append((i + 1, r))
                    }
                } catch let error as BulwarkError {
                    bad.append(["line": String(i + 1), "message": error.message])
                }
            }
            let source = q["source"].map(String.init) ?? "api import"
            let at = clock()
            let (added, unchanged, newEntries) = try await bankChange(registry) { (set: inout BankSet) throws(BulwarkError) in
                let made = try set.add(
                    bank: name,
                    records.lazy.map { line, r in
                        (r.signal, r.labels, "\(source) line \(line)" + (r.note.isEmpty ? "" : " (\(r.note))"))
                    }, source: source, at: at)
                return ((made.added, made.unchanged, made.newEntries), made.events)
            }
            try? registry.checkpoint()
            try await store.appendAudit(
                actor: key.name, action: "bank.import", subject: "bank:\(name)",
                detail: "{\"added\":\(added),\"unchanged\":\(unchanged),\"bad\":\(bad.count)}", now: at)
            try await queueRetroHunt(entryIDs: newEntries, logger: context.logger)
            struct ImportResult: Encodable {
                var added: Int
                var unchanged: Int
                var bad_rows: [[String: String]]
            }
            return try encode(ImportResult(added: added, unchanged: unchanged, bad_rows: Array(bad.prefix(1000))))
        }

        v1.get("banks/:name/export") { request, context -> Response in
            _ = try await require(request, [.lead, .admin, .auditor])
            let name = try context.parameters.require("name")
            guard let set = banks, set.banks[name] != nil else { throw APIError.notFound("no bank \(name)") }
            guard let format = SignalFileFormat(rawValue: request.uri.queryParameters["format"].map(String.init) ?? "hash-labels")
            else { throw APIError.invalid("format is te, hma or hash-labels", field: "format") }
            let writer = SignalFileWriter(format: format)
            var text = writer.header
            for e in set.activeEntries(bank: name) { text += writer.line(e) }
            return Response(status: .ok, headers: [.contentType: "text/csv"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// The banks by name, with their active entries counted by type.
    func bankSummaries() -> [BankSummary] {
        let set = banks ?? BankSet()
        var counts: [String: [String: Int]] = [:]
        for e in set.entries where e.isActive { counts[e.bank, default: [:]][e.signal.type.rawValue, default: 0] += 1 }
        return set.banks.values.sorted { $0.name < $1.name }.map {
            BankSummary(
                name: $0.name, kind: $0.kind.rawValue, quarantined: $0.quarantined, pdq_threshold: $0.pdqThreshold,
                labels: $0.labels, description: $0.description, entries: counts[$0.name] ?? [:])
        }
    }

    // MARK: Bank changes, for the API and the console alike

    /// Creates a bank (durable, audited); false when it already existed as given.
    func createBank(_ p: BankPayload, actor: String, registry: BankRegistry) async throws -> Bool {
        let bank: Bank
        do {
            bank = try Bank(
                name: p.name, kind: p.kind ?? .block, quarantined: p.quarantined ?? false,
                pdqThreshold: p.pdq_threshold ?? Bank.defaultPDQThreshold, labels: p.labels ?? [],
                description: p.description ?? "", createdAt: clock())
        } catch { throw APIError.invalid(error.message, field: error.field) }
        let events = try await bankChange(registry) { (set: inout BankSet) throws(BulwarkError) in
            let events = try set.create(bank)
            return (events, events)
        }
        try await store.appendAudit(
            actor: actor, action: "bank.create", subject: "bank:\(bank.name)",
            detail: "{\"kind\":\"\(bank.kind.rawValue)\",\"quarantined\":\(bank.quarantined)}", now: clock())
        return !events.isEmpty
    }

    /// Adds entries to a bank (durable, audited); new PDQ entries start a retro-hunt. `via`
    /// (`api`, `console`) is the entries' default source and their provenance.
    func addBankEntries(
        bank name: String, _ p: EntriesPayload, actor: String, via: String, registry: BankRegistry, logger: Logger
    ) async throws -> (added: Int, unchanged: Int) {
        let signals = try Self.signals(p)
        let at = clock()
        let (added, unchanged, newEntries) = try await bankChange(registry) { (set: inout BankSet) throws(BulwarkError) in
            let made = try set.add(
                bank: name, signals.lazy.map { ($0, p.labels ?? [], "\(via): \(actor)") }, source: p.source ?? via, at: at)
            return ((made.added, made.unchanged, made.newEntries), made.events)
        }
        try await store.appendAudit(
            actor: actor, action: "bank.add", subject: "bank:\(name)", detail: "{\"added\":\(added),\"unchanged\":\(unchanged)}",
            now: at)
        try await queueRetroHunt(entryIDs: newEntries, logger: logger)
        return (added, unchanged)
    }

    /// Removes entries from a bank (durable, audited); returns how many were active.
    func removeBankEntries(bank name: String, _ p: EntriesPayload, actor: String, registry: BankRegistry) async throws
        -> Int
    {
        let signals = try Self.signals(p)
        let at = clock()
        let removed = try await bankChange(registry) { (set: inout BankSet) throws(BulwarkError) in
            var removed = 0
            var events: [BankEvent] = []
            for signal in signals {
                let (entry, e) = try set.remove(bank: name, signal: signal, at: at)
                if entry != nil { removed += 1 }
                events += e
            }
            return (removed, events)
        }
        try await store.appendAudit(actor: actor, action: "bank.remove", subject: "bank:\(name)", detail: "{\"removed\":\(removed)}", now: at)
        return removed
    }

    func registry() throws -> BankRegistry {
        guard let bankRegistry else {
            throw APIError(.serviceUnavailable, "no_banks", "this server was started without a bank directory")
        }
        return bankRegistry
    }

    /// Runs a bank change; bank errors (no such bank, bad label) are 400/404.
    func bankChange<T: Sendable>(
        _ registry: BankRegistry, _ body: (inout BankSet) throws(BulwarkError) -> (T, [BankEvent])
    ) async throws -> T {
        do {
            return try await registry.change(body)
        } catch let error as BulwarkError {
            if error.message.hasPrefix("no bank named") { throw APIError.notFound(error.message) }
            throw APIError.invalid(error.message, field: error.field)
        }
    }

    static func signals(_ p: EntriesPayload) throws -> [Signal] {
        guard let type = SignalType(name: p.type) else { throw APIError.invalid("unknown type \(p.type)", field: "type") }
        guard p.values.count <= 10_000 else {
            throw APIError.tooLarge("\(p.values.count) values, the limit is 10,000", field: "values", limit: 10_000)
        }
        return try p.values.enumerated().map { i, v in
            do { return try Signal(type, v) } catch let error as BulwarkError { throw APIError.invalid(error.message, field: "values[\(i)]") }
        }
    }
}
