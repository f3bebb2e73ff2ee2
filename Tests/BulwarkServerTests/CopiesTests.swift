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

/// A text posted many times: the copies' cases (the same normalised text, no media) are found
/// and listed on each case, and a reviewer decides them with one decision, each copy getting a
/// decision, webhook, audit entry and statement of reasons of its own; a copy claimed by another
/// reviewer is left to them, and nothing else is touched.
struct CopiesTests {
    static let text = ContentKeyCopies.text

    static func item(_ id: String, _ text: String, media: Bool = false) -> String {
        var payload: [String: Any] = ["platform": "example", "id": id, "text": text, "author": "u-\(id)"]
        if media { payload["media"] = [["md5": String(repeating: "ab", count: 16)]] }
        return String(decoding: try! JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
    }

    @Test(arguments: Backend.allCases)
    func aReviewerDecidesTheOpenCopiesOfATextWithOneDecision(_ backend: Backend) async throws {
        try await withServerStore(backend, "copies") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .auditor])
            _ = try await store.createKey(
                name: "reviewer-2", role: .reviewer, prefix: APIKeys.prefix("bwk_other_reviewer_key_0000000000"),
                hash: APIKeys.hash("bwk_other_reviewer_key_0000000000"), now: 1)
            let (service, clock) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let posts: [(String, String, Bool)] = [
                    ("c-1", Self.text, false),
                    ("c-2", Self.text.uppercased(), false),
                    ("c-3", Self.text.replacingOccurrences(of: "Caliphate", with: "Cali\u{200B}phate"), false),
                    ("c-4", Self.text.replacingOccurrences(of: "Soldiers", with: "Sóldiers"), false),
                    ("with-image", Self.text, true),
                    ("other", Self.text.replacingOccurrences(of: "make hijra", with: "come to us"), false),
                ]
                var cases: [String: Int] = [:]
                for (id, text, media) in posts {
                    let (status, reply) = try await call(client, keys, .post, "/v1/items", .ingest, Self.item(id, text, media: media))
                    #expect(status == .ok)
                    let caseID = try #require(((reply["items"] as? [[String: Any]])?.first)?["case_id"] as? Int, "\(id) opens a case")
                    cases[id] = caseID
                }
                let first = try #require(cases["c-1"])
                let copies = ["c-2", "c-3", "c-4"].compactMap { cases[$0] }

                // Each case lists the others: not the one with an image, not the other text.
                let (_, detail) = try await call(client, keys, .get, "/v1/cases/\(first)", .reviewer)
                #expect(detail["open_copies"] as? [Int] == copies)
                let (_, ofImage) = try await call(client, keys, .get, "/v1/cases/\(cases["with-image"]!)", .reviewer)
                #expect(ofImage["open_copies"] as? [Int] == [])
                let (_, ofOther) = try await call(client, keys, .get, "/v1/cases/\(cases["other"]!)", .reviewer)
                #expect(ofOther["open_copies"] as? [Int] == [])
                // The queue counts them.
                let (_, list) = try await call(client, keys, .get, "/v1/cases", .reviewer)
                let listed = try #require(list["cases"] as? [[String: Any]])
                #expect(listed.count == 6)
                for row in listed {
                    let id = try #require(row["id"] as? Int)
                    let expected: Int? = ([first] + copies).contains(id) ? 3 : nil
                    #expect(row["open_copies"] as? Int == expected, "case \(id)")
                }

                // Another reviewer holds c-3.
                var other = keys
                other[.reviewer] = "bwk_other_reviewer_key_0000000000"
                #expect(try await call(client, other, .post, "/v1/cases/\(copies[1])/claim", .reviewer).0 == .ok)

                let deliveriesBefore = try await store.deliveries(status: nil).count
                let (status, decided) = try await call(
                    client, keys, .post, "/v1/cases/\(first)/decisions", .reviewer,
                    #"{"action":"remove","category":"recruitment","note":"recruitment post","copies":true}"#)
                #expect(status == .created)
                let result = try #require(decided["copies"] as? [String: Any])
                let done = try #require(result["decided"] as? [[String: Any]])
                #expect(done.map { $0["case_id"] as? Int } == [copies[0], copies[2]])
                #expect((result["skipped"] as? [[String: Any]])?.map { $0["case_id"] as? Int } == [copies[1]])
                #expect((result["skipped"] as? [[String: Any]])?.first?["reason"] as? String == "claimed by reviewer-2")
                #expect(result["more"] as? Bool == false)

                // Each copy: its own decision by the same reviewer, the note naming the case, a webhook, a statement.
                let originalDecision = try #require(decided["decision_id"] as? Int)
                for (i, copy) in [copies[0], copies[2]].enumerated() {
                    let d = try #require(try await store.caseDetail(id: Int64(copy), now: 1_790_000_000))
                    #expect(d.record.status == .decided)
                    let decision = try #require(d.decisions.first)
                    #expect(decision.reviewer == "reviewer-1" && decision.action == .remove && decision.category == .recruitment)
                    #expect(decision.note == "a copy of case \(first)'s text, decided with it (decision \(originalDecision)): recruitment post")
                    #expect(Int(decision.id) == done[i]["decision_id"] as? Int)
                    let (statementStatus, statement) = try await call(client, keys, .get, "/v1/decisions/\(decision.id)/statement", .auditor)
                    #expect(statementStatus == .ok && statement["decision_visibility"] != nil)
                }
                #expect(try await store.deliveries(status: nil).count == deliveriesBefore + 3)
                // The copy another reviewer holds, the one with an image and the other text stay open.
                for id in [copies[1], cases["with-image"]!, cases["other"]!] {
                    #expect(try await store.caseDetail(id: Int64(id), now: 1_790_000_000)?.record.status != .decided)
                }
                // A new copy of the removed text is known content: violating at once, the evidence
                // naming the case and decision; the other text is not. (The server's index of removed
                // texts reads the store's decisions at most every second: the clock moves on.)
                clock.set(1_790_000_010)
                func ingest(_ id: String, _ text: String) async throws -> [String: Any] {
                    let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, Self.item(id, text))
                    return try #require((reply["items"] as? [[String: Any]])?.first)
                }
                let later = try await ingest("c-5", Self.text.replacingOccurrences(of: "your brothers", with: "YOUR brothers"))
                let laterVerdict = try #require(later["verdict"] as? [String: Any])
                #expect(laterVerdict["decision"] as? String == "violating")
                let known = try #require((laterVerdict["evidence"] as? [[String: Any]])?.first)
                #expect(known["kind"] as? String == "known_text")
                // The latest removal: the copy decided last with the first case (they are decided concurrently).
                let latest = try #require(done.max { ($0["decision_id"] as? Int ?? 0) < ($1["decision_id"] as? Int ?? 0) })
                let (latestCase, latestDecision) = (try #require(latest["case_id"] as? Int), try #require(latest["decision_id"] as? Int))
                #expect(known["detail"] as? String == "removed before: a copy of this text, case \(latestCase) (decision \(latestDecision), recruitment)")
                #expect(later["case_id"] is Int)
                let unrelated = try await ingest("other-2", Self.text.replacingOccurrences(of: "make hijra", with: "come to us"))
                #expect(((unrelated["verdict"] as? [String: Any])?["evidence"] as? [[String: Any]])?.contains { $0["kind"] as? String == "known_text" } == false)

                // That reviewer decides it alone: nothing else is decided.
                let (alone, aloneReply) = try await call(
                    client, other, .post, "/v1/cases/\(copies[1])/decisions", .reviewer, #"{"action":"no_violation"}"#)
                #expect(alone == .created && aloneReply["copies"] == nil)
                #expect(try await store.caseDetail(id: Int64(cases["with-image"]!), now: 1_790_000_000)?.record.status != .decided)
                // The latest decision on the text is no longer a removal: a further copy is not known content.
                clock.set(1_790_000_020)
                let afterCleared = try await ingest("c-6", Self.text)
                #expect(((afterCleared["verdict"] as? [String: Any])?["evidence"] as? [[String: Any]])?.contains { $0["kind"] as? String == "known_text" } == false)
                let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(metrics.contains("bulwark_copies_decided_total 2\n"))
            }
        }
    }

    /// A text the engine lets through, reported by users and removed: the report's case carries
    /// the key, its reported copies are decided with it, and a later copy is known content.
    @Test(arguments: Backend.allCases)
    func copiesOfAReportedTextAreDecidedTogetherAndALaterOneIsKnownContent(_ backend: Backend) async throws {
        try await withServerStore(backend, "reported-copies") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer])
            let (service, clock) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let text = "Everyone bring what was agreed to the usual place on Saturday, we start at noon and tell nobody else"
                func ingest(_ id: String, _ text: String) async throws -> [String: Any] {
                    let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, Self.item(id, text))
                    return try #require((reply["items"] as? [[String: Any]])?.first)
                }
                var cases: [Int] = []
                for (n, copy) in [text, text.uppercased()].enumerated() {
                    let stored = try await ingest("r-\(n)", copy)
                    #expect((stored["verdict"] as? [String: Any])?["decision"] as? String == "none", "the engine lets it through")
                    #expect(stored["case_id"] is NSNull)
                    let (status, report) = try await call(
                        client, keys, .post, "/v1/reports", .ingest,
                        #"{"platform":"example","item_id":"r-\#(n)","reporter":"user-\#(n)","reason":"terrorism"}"#)
                    #expect(status == .created)
                    cases.append(try #require(report["case_id"] as? Int))
                }
                let (_, detail) = try await call(client, keys, .get, "/v1/cases/\(cases[0])", .reviewer)
                #expect(detail["open_copies"] as? [Int] == [cases[1]])
                let (status, decided) = try await call(
                    client, keys, .post, "/v1/cases/\(cases[0])/decisions", .reviewer,
                    #"{"action":"remove","category":"solicitation","copies":true}"#)
                #expect(status == .created)
                #expect(((decided["copies"] as? [String: Any])?["decided"] as? [[String: Any]])?.count == 1)
                // The index of removed texts is read again at most every second: the clock moves on.
                clock.set(1_790_000_005)
                let later = try await ingest("r-later", text.replacingOccurrences(of: "Saturday", with: "SATURDAY"))
                let verdict = try #require(later["verdict"] as? [String: Any])
                #expect(verdict["decision"] as? String == "violating")
                #expect((verdict["evidence"] as? [[String: Any]])?.first?["kind"] as? String == "known_text")
                // As the data contract has it: a category (the removal's), no non-violating context.
                #expect((verdict["categories"] as? [[String: Any]])?.first?["name"] as? String == "solicitation")
                #expect(verdict["context"] is NSNull)
                let laterCase = try #require(later["case_id"] as? Int)
                let (_, laterDetail) = try await call(client, keys, .get, "/v1/cases/\(laterCase)", .reviewer)
                #expect((laterDetail["case"] as? [String: Any])?["status"] as? String == "open")
            }
        }
    }

    /// A text the engine lets through, removed by an authority's order: the order's case carries
    /// the key, a copy waiting in the queue is listed with it, and a later copy is known content,
    /// in `dissemination` when the order names no category.
    @Test(arguments: Backend.allCases)
    func aTextRemovedByAnOrderReachesItsCopies(_ backend: Backend) async throws {
        try await withServerStore(backend, "ordered-copies") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .authority])
            let (service, clock) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let text = "Everyone bring what was agreed to the usual place on Saturday, we start at noon and tell nobody else"
                func ingest(_ id: String, _ text: String, media: Bool = false) async throws -> [String: Any] {
                    let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, Self.item(id, text, media: media))
                    return try #require((reply["items"] as? [[String: Any]])?.first)
                }
                for (id, copy) in [("o-1", text), ("o-2", text.uppercased())] {
                    let stored = try await ingest(id, copy)
                    #expect((stored["verdict"] as? [String: Any])?["decision"] as? String == "none", "the engine lets it through")
                }
                _ = try await ingest("o-image", text, media: true)
                // o-2 waits in the queue, reported by a user.
                let (_, report) = try await call(
                    client, keys, .post, "/v1/reports", .ingest, #"{"platform":"example","item_id":"o-2","reporter":"user-1","reason":"terrorism"}"#)
                let waiting = try #require(report["case_id"] as? Int)
                let order = #"""
                    {"authority":"Example National Authority","reference":"RO-2026-0311","legal_basis":"Regulation (EU) 2021/784, Article 3",
                     "reasons":"The item calls for participation in a terrorist group's activities.",
                     "items":[{"platform":"example","id":"o-1"},{"platform":"example","id":"o-image"}]}
                    """#
                let (status, received) = try await call(client, keys, .post, "/v1/removal-orders", .authority, order)
                #expect(status == .created)
                let targets = try #require(received["targets"] as? [[String: Any]])
                let decisionID = try #require(targets.first?["decision_id"] as? Int)
                let ordered = try #require(try await store.item(platform: "example", externalID: "o-1"))
                let orderCase = try #require(try await store.cases(CaseFilter(status: .decided), now: 1_790_000_000).first { $0.itemID == ordered.id })
                // The copy in the queue is listed with the order's case; the item with an image is not a copy.
                let (_, detail) = try await call(client, keys, .get, "/v1/cases/\(orderCase.id)", .reviewer)
                #expect(detail["open_copies"] as? [Int] == [waiting])

                clock.set(1_790_000_005)
                let later = try await ingest("o-3", text.replacingOccurrences(of: "noon", with: "NOON"))
                let verdict = try #require(later["verdict"] as? [String: Any])
                #expect(verdict["decision"] as? String == "violating")
                let known = try #require((verdict["evidence"] as? [[String: Any]])?.first)
                #expect(known["detail"] as? String == "removed before: a copy of this text, case \(orderCase.id) (decision \(decisionID))")
                #expect((verdict["categories"] as? [[String: Any]])?.first?["name"] as? String == "dissemination")
                #expect(verdict["context"] is NSNull)
                // The same words over an image are other content.
                let overImage = try await ingest("o-image-2", text, media: true)
                #expect(((overImage["verdict"] as? [String: Any])?["evidence"] as? [[String: Any]])?.contains { $0["kind"] as? String == "known_text" } == false)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func theConsoleListsTheCopiesAndDecidesThemWhenAsked(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-copies") { store in
            try await ConsoleDueProcessTests.addUsers(store, [("rev", .reviewer)])
            let keys = try await makeKeys(store, [.ingest])
            let (service, _) = try clockedService(store, start: 1_790_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                var ids: [Int] = []
                for (n, text) in [Self.text, Self.text.uppercased(), Self.text + " "].enumerated() {
                    let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, Self.item("p-\(n)", text))
                    ids.append(try #require(((reply["items"] as? [[String: Any]])?.first)?["case_id"] as? Int))
                }
                var rev = try await ConsoleDueProcessTests.signedIn(client, "rev")
                let queuePage = String(buffer: try await rev.get(client, "/console").body)
                #expect(queuePage.contains(#"<a href="/console/cases/\#(ids[0])">case \#(ids[0])</a> · 2 open copies</td>"#))
                let page = try await rev.get(client, "/console/cases/\(ids[0])")
                let html = String(buffer: page.body)
                #expect(html.contains("Open copies of this text (the same words once normalised, no images): 2"))
                #expect(html.contains(#"<a href="/console/cases/\#(ids[1])">case \#(ids[1])</a>"#))
                #expect(html.contains(#"<input type="checkbox" name="copies" value="true"> Decide 2 open copies the same way"#))
                // Without the box: only the case.
                let plain = try await rev.post(
                    client, "/console/cases/\(ids[0])/decisions",
                    [("csrf", ConsoleTests.csrf(in: page)), ("action", "remove"), ("category", "recruitment")])
                #expect(plain.headers[.location] == "/console?decided=\(ids[0])")
                #expect(try await store.caseDetail(id: Int64(ids[1]), now: 1_790_000_000)?.record.status == .open)
                // With it, from a copy: the last open one goes with it.
                let second = try await rev.get(client, "/console/cases/\(ids[1])")
                #expect(String(buffer: second.body).contains("Decide its open copy the same way"))
                let both = try await rev.post(
                    client, "/console/cases/\(ids[1])/decisions",
                    [("csrf", ConsoleTests.csrf(in: second)), ("action", "remove"), ("category", "recruitment"), ("copies", "true")])
                #expect(both.headers[.location] == "/console?decided=\(ids[1])&copies=1")
                #expect(try await store.caseDetail(id: Int64(ids[2]), now: 1_790_000_000)?.record.status == .decided)
                let queue = String(buffer: try await rev.get(client, "/console?decided=\(ids[1])&copies=1").body)
                #expect(!queue.contains("</a> · "), "no open copies left to count")
                #expect(queue.contains("Case \(ids[1]) decided, and 1 open copy of its text with it."))
            }
        }
    }
}

enum ContentKeyCopies {
    static let text = "Soldiers of the Caliphate, join the Islamic State now: your brothers wait for you, make hijra and fight with them"
}
