public import ArgumentParser
import BulwarkBanks
import BulwarkCore
public import BulwarkEntities
import BulwarkStore
import Foundation

extension EntityKind: ExpressibleByArgument {}

struct EntitiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entities",
        abstract: "Accounts and containers in the store, ranked by risk.",
        subcommands: [Top.self, Show.self]
    )

    struct Top: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The riskiest entities: id, kind, status, risk, items, the largest parts of the risk.")
        @OptionGroup var database: DatabaseOption
        @Option(help: "How many.") var limit = 20
        @Option(help: "Only this kind: account, page, group, channel, room or thread.") var kind: EntityKind?
        @Flag(help: "One JSON object per line.") var json = false

        func validate() throws {
            guard (1...500).contains(limit) else { throw ValidationError("--limit is 1-500") }
        }

        func run() async throws {
            let store = try await database.open()
            let at = now()
            for e in try await store.entities(EntityFilter(kind: kind, limit: limit)) {
                let parts = e.riskParts(at: at).filter { $0.value > 0 }.sorted { $0.value > $1.value }.prefix(3)
                if json {
                    var o: [String: Any] = [
                        "id": e.id, "platform": e.platform, "kind": e.kind.rawValue, "external_id": e.externalID,
                        "status": e.status.rawValue, "risk": round2(e.risk), "items": e.itemCount,
                        "parts": parts.map { ["name": $0.name, "value": round2($0.value), "detail": $0.detail] },
                    ]
                    if let name = e.name { o["name"] = name }
                    if let of = e.reappearanceOf { o["reappearance_of"] = of }
                    let data = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    let shown = parts.map { "\($0.name) \(format($0.value))" }.joined(separator: ", ")
                    print(
                        "\(e.id)\t\(e.kind.rawValue)\t\(e.status.rawValue)\trisk \(format(e.risk))\t\(e.itemCount) items\t"
                            + "\(e.platform)/\(e.externalID)\(e.name.map { " \"\($0)\"" } ?? "")\t\(shown)")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One entity: its record, the parts of its risk, re-appearance evidence, items and decisions.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The entity's id (from `entities top`).") var id: Int64

        func run() async throws {
            let store = try await database.open()
            guard let d = try await store.entityDetail(id: id, itemLimit: 10) else {
                throw CommandFailure("no entity \(id)")
            }
            let e = d.record
            let at = now()
            print("entity \(e.id): \(e.kind.rawValue) \(e.platform)/\(e.externalID)\(e.name.map { " \"\($0)\"" } ?? "")")
            if let description = e.description { print("description: \(description)") }
            print("status: \(e.status.rawValue); first seen \(CivilDate.isoDateTime(e.firstSeen)), last seen \(CivilDate.isoDateTime(e.lastSeen))")
            let s = e.signals
            print("items: \(s.items) (\(s.violating) violating, \(s.review) review, \(s.knownContent) known content); reach \(s.reach), peak \(s.peakReach)")
            print("risk \(format(e.risk)):")
            for part in e.riskParts(at: at) { print("  \(part.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(format(part.value))\t\(part.detail)") }
            if let of = e.reappearanceOf {
                print("re-appearance of entity \(of) (\(format(e.reappearanceSimilarity * 100))%): \(e.reappearanceEvidence ?? "")")
            }
            if let c = d.openCase { print("open case \(c.id) (\(c.status.rawValue), priority \(format(c.basePriority)))") }
            print("highest-scoring items:")
            for item in d.topItems {
                print("  \(item.externalID)\t\(item.decision.rawValue)\t\(format(item.score))\t\(item.text.prefix(80))")
            }
            print("decisions:")
            for decision in d.decisions {
                print("  \(CivilDate.isoDateTime(decision.createdAt))\t\(decision.reviewer)\t\(decision.action.rawValue)\t\(decision.note ?? "")")
            }
        }
    }
}

private func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
private func format(_ x: Double) -> String { String(format: "%.1f", x) }
