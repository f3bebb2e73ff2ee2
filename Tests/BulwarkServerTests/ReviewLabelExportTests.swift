import BulwarkCore
import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Reviewers' decisions made through the API come out of `ReviewLabelExport` (what `bulwark
/// labels` writes) as labelled lines that `TextItemDecoder` reads, with each case's latest
/// decision, a text decided on several copies once, escalations and purged texts left out, and
/// the days asked for.
struct ReviewLabelExportTests {
    static let recruitment = ContentKeyCopies.text
    static let title = "Supporters of the Islamic State"
    static let news = "Police say the Islamic State claimed the attack; join us live for the latest on the investigation"
    static let threat = "Soldiers of the Caliphate are coming for you, apostates, your day is near"
    static let waiting = "The Islamic State calls its supporters to join the fight"

    static func item(_ id: String, _ text: String, type: String = "post", lang: String? = nil) -> String {
        var payload: [String: Any] = ["platform": "example", "id": id, "text": text, "type": type, "author": "u-\(id)"]
        if let lang { payload["lang"] = lang }
        return String(decoding: try! JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
    }

    static func export(
        _ store: any ModerationStore, from: Int64? = nil, to: Int64? = nil, pageSize: Int = 2
    ) async throws -> ([TextItem], ReviewLabelExport.Summary) {
        var lines: [String] = []
        let summary = try await ReviewLabelExport.run(store, from: from, to: to, pageSize: pageSize) { lines.append($0.jsonLine) }
        let decoder = TextItemDecoder()
        return (try lines.map { try decoder.decode(Array($0.utf8)) }, summary)
    }

    @Test(arguments: Backend.allCases)
    func reviewersDecisionsBecomeLabelledLines(_ backend: Backend) async throws {
        try await withServerStore(backend, "labels") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .auditor, .lead])
            let t0: Int64 = 1_800_000_000  // 2027-01-15
            let (service, clock) = try clockedService(store, start: t0)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                var cases: [String: Int] = [:]
                for (id, text, type, lang) in [
                    ("copy-1", Self.recruitment, "post", "en"), ("copy-2", Self.recruitment.uppercased(), "comment", nil),
                    ("room-1", Self.title, "title", nil), ("news-1", Self.news, "post", "en"),
                    ("threat-1", Self.threat, "post", nil), ("open-1", Self.waiting, "post", nil),
                ] as [(String, String, String, String?)] {
                    let (status, reply) = try await call(
                        client, keys, .post, "/v1/items", .ingest, Self.item(id, text, type: type, lang: lang))
                    #expect(status == .ok)
                    if let caseID = ((reply["items"] as? [[String: Any]])?.first)?["case_id"] as? Int { cases[id] = caseID }
                }
                // The engine lets the news item through; a user reports it.
                #expect(cases["news-1"] == nil)
                let (_, report) = try await call(
                    client, keys, .post, "/v1/reports", .ingest, #"{"platform":"example","item_id":"news-1","reporter":"user-1","reason":"terrorism"}"#)
                cases["news-1"] = try #require(report["case_id"] as? Int)
                #expect(cases.count == 6, "every other item opens a case: \(cases)")
                func decide(_ id: String, _ body: String, role: Role = .reviewer) async throws -> [String: Any] {
                    let (status, reply) = try await call(client, keys, .post, "/v1/cases/\(cases[id]!)/decisions", role, body)
                    #expect(status == .created, "\(id): \(reply)")
                    return reply
                }
                // Day 1: the two copies removed with one decision; the news item kept as journalism.
                _ = try await decide("copy-1", #"{"action":"remove","category":"recruitment","copies":true}"#)
                clock.set(t0 + 60)
                _ = try await decide("news-1", #"{"action":"no_violation","exemption":"journalistic"}"#)
                // The title removed, then reinstated on appeal by another reviewer, as research.
                clock.set(t0 + 120)
                let removed = try await decide("room-1", #"{"action":"remove","category":"dissemination"}"#)
                let (filed, appeal) = try await call(
                    client, keys, .post, "/v1/appeals", .ingest,
                    #"{"decision_id":\#(removed["decision_id"] as! Int),"appellant":"u-1","reason":"a research archive"}"#)
                #expect(filed == .created)
                clock.set(t0 + 180)
                let (reversed, _) = try await call(
                    client, keys, .post, "/v1/appeals/\(appeal["id"] as! Int)/decision", .lead,
                    #"{"outcome":"reversed","exemption":"research"}"#)
                #expect(reversed == .created)
                // Day 2: the threat escalated, then removed by the lead; the last one only escalated.
                clock.set(t0 + 86_400)
                _ = try await decide("threat-1", #"{"action":"escalate","note":"a lead should look"}"#)
                _ = try await decide("open-1", #"{"action":"escalate"}"#)
                clock.set(t0 + 86_400 + 60)
                _ = try await decide("threat-1", #"{"action":"remove","category":"threat"}"#, role: .lead)

                let (items, summary) = try await Self.export(store)
                // Newest decision first; one line for the two copies; no line for the escalated one.
                #expect(items.map(\.id) == ["case-\(cases["threat-1"]!)", "case-\(cases["room-1"]!)", "case-\(cases["news-1"]!)", "case-\(cases["copy-2"]!)"])
                #expect(summary.decisions == 5 && summary.written == 4 && summary.copies == 1 && summary.purged == 0)
                #expect(summary.violating == 2 && summary.none == 2)
                let byID = Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0) })
                let threat = try #require(byID["case-\(cases["threat-1"]!)"])
                #expect(threat.label == .violating && threat.category == .threat && threat.kind == nil && threat.text == Self.threat)
                let room = try #require(byID["case-\(cases["room-1"]!)"])
                #expect(room.label == Label.none && room.kind == "research" && room.category == nil && room.type == .title)
                let news = try #require(byID["case-\(cases["news-1"]!)"])
                #expect(news.label == Label.none && news.kind == "news" && news.lang == "en")
                let copy = try #require(byID["case-\(cases["copy-2"]!)"])
                #expect(copy.label == .violating && copy.category == .recruitment && copy.type == .comment)
                #expect(copy.lang == "en", "the language the engine found, when the platform gave none")
                #expect(items.allSatisfy { $0.author == nil && $0.container == nil })

                // The days asked for: day 1 only, and day 2 only.
                let (dayOne, _) = try await Self.export(store, from: t0 - 3_600, to: t0 + 86_400 - 3_600)
                #expect(Set(dayOne.map(\.id)) == ["case-\(cases["room-1"]!)", "case-\(cases["news-1"]!)", "case-\(cases["copy-2"]!)"])
                let (dayTwo, _) = try await Self.export(store, from: t0 + 86_400 - 3_600)
                #expect(dayTwo.map(\.id) == ["case-\(cases["threat-1"]!)"])

                // Six months on, the texts once removed are purged (the reinstated title too: its
                // preservation began with the removal): their lines go, the kept one stays.
                let purged = try await store.purgeExpiredPreservations(now: t0 + 400 * 86_400, limit: 100)
                #expect(purged == 4)
                let (after, afterSummary) = try await Self.export(store, pageSize: 1_000)
                #expect(after.map(\.id) == ["case-\(cases["news-1"]!)"])
                #expect(afterSummary.purged == 4 && afterSummary.written == 1 && afterSummary.copies == 0)
            }
        }
    }
}
