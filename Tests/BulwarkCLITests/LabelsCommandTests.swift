import BulwarkCore
import BulwarkStore
import Foundation
import Testing

/// `bulwark labels` writes a database's decided cases as labelled lines that `bulwark eval`
/// reads, with its summary on stderr; bad days are refused with the usage status.
struct LabelsCommandTests {
    @Test func writesDecidedCasesThatEvalReads() async throws {
        let dir = NSTemporaryDirectory() + "bulwark-labels-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = dir + "/b.db"
        do {
            let store = try SQLiteStore(path: database)
            try await store.migrate()
            let texts = [
                ("a", "Soldiers of the Caliphate, join the Islamic State now: make hijra", "en"),
                ("b", "La policía detuvo a dos sospechosos del atentado, informa la agencia", "es"),
                ("c", "Still waiting for a reviewer", "en"),
            ]
            let stored = try await store.ingest(
                texts.map { id, text, lang in
                    ScannedItem(
                        item: NewItem(platform: "p", externalID: id, text: text, langHint: lang), decision: .review, score: 0.7,
                        category: .recruitment, context: nil, language: lang, verdictJSON: #"{"id":"\#(id)"}"#, casePriority: 50)
                }, now: 1_800_000_000)
            let cases = stored.compactMap(\.caseID)
            #expect(cases.count == 3)
            _ = try await store.decide(
                caseID: cases[0], reviewer: "r", decision: NewDecision(action: .remove, category: .recruitment),
                webhookBody: { _, _ in nil }, now: 1_800_000_100)
            _ = try await store.decide(
                caseID: cases[1], reviewer: "r", decision: NewDecision(action: .noViolation, exemption: "journalistic"),
                webhookBody: { _, _ in nil }, now: 1_800_000_200)
        }
        let out = dir + "/labels.jsonl"
        let run = try CLI.run(["labels", "--database", database, "-o", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("labels: 2 written (1 violating, 1 none) from 2 decided cases"), "\(run.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(#""lang":"es""#) == true && lines.first?.contains(#""kind":"news""#) == true)
        #expect(lines.last?.contains(#""label":"violating","category":"recruitment""#) == true)

        let eval = try CLI.run(["eval", out, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let overall = try #require(
            (try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])?["overall"] as? [String: Any])
        #expect(overall["n"] as? Int == 2)

        // Only the days asked for; bad days are refused before the database is opened.
        let none = try CLI.run(["labels", "--database", database, "--from", "2027-01-16"])
        #expect(none.status == 0 && none.stdout.isEmpty && none.stderr.contains("labels: 0 written"), "\(none.stderr)")
        let bad = try CLI.run(["labels", "--database", database, "--from", "2027-13-01"])
        #expect(bad.status == 64 && bad.stderr.contains("--from is not a date YYYY-MM-DD: 2027-13-01"), "\(bad.stderr)")
        let backwards = try CLI.run(["labels", "--database", database, "--from", "2027-01-16", "--to", "2027-01-15"])
        #expect(backwards.status == 64 && backwards.stderr.contains("--from must be before --to"), "\(backwards.stderr)")
    }
}
