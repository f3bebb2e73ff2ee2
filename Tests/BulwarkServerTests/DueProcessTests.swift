import BulwarkCore
import BulwarkEntities
import BulwarkServer
import BulwarkStore
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// A clock a test sets (Unix seconds), for the legal clocks.
final class TestClock: Sendable {
    private let now: Mutex<Int64>
    init(_ start: Int64) { now = Mutex(start) }
    func set(_ t: Int64) { now.withLock { $0 = t } }
    var time: Int64 { now.withLock { $0 } }
}

/// A service over `store` whose clock the test sets, starting at `start`.
func clockedService(
    _ store: any ModerationStore, start: Int64, configuration: ServerConfiguration = ServerConfiguration(port: 0)
) throws -> (BulwarkService, TestClock) {
    let clock = TestClock(start)
    let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: configuration, clock: { clock.time })
    return (service, clock)
}

/// Removal orders (TCO Article 3) over HTTP: executed at once through the decision path, the
/// platform's webhook, the one-hour clock, and answers for what cannot be executed.
struct RemovalOrderTests {
    static let order = #"""
        {"authority":"Example National Authority","reference":"RO-2026-0042","legal_basis":"Regulation (EU) 2021/784, Article 3",
         "reasons":"The item glorifies a terrorist attack and calls for further attacks.","category":"incitement",
         "items":[{"platform":"example","id":"post-1"},{"platform":"example","id":"never-sent"}],
         "urls":["https://example.invalid/p/123"]}
        """#

    @Test(arguments: Backend.allCases)
    func anOrderDisablesTheItemAndSendsThePlatformsWebhookAtOnce(_ backend: Backend) async throws {
        try await withServerStore(backend, "order_e2e") { store in
            let keys = try await makeKeys(store, [.ingest, .authority, .reviewer, .auditor])
            let receiver = Receiver()
            let receiverApp = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await receiverApp.test(.live) { receiverClient in
                try await store.setSetting("webhook.url", "http://127.0.0.1:\(receiverClient.port!)/hook", actor: "test", now: 1)
                try await store.setSetting("webhook.secret", "s3cret", actor: "test", now: 1)
                let config = ServerConfiguration(port: 0, webhookInitialBackoff: 0, workerPollMilliseconds: 20)
                let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config)
                try await service.application(logger: Logger(label: "test")).test(.live) { client in
                    let (ingested, _) = try await call(
                        client, keys, .post, "/v1/items", .ingest, #"{"platform":"example","id":"post-1","text":"a post"}"#)
                    #expect(ingested == .ok)
                    // Only an authority may send an order.
                    #expect(try await call(client, keys, .post, "/v1/removal-orders", .reviewer, Self.order).0 == .forbidden)

                    let sent = ContinuousClock.now
                    let (status, order) = try await call(client, keys, .post, "/v1/removal-orders", .authority, Self.order)
                    #expect(status == .created)
                    var got: [Receiver.Received] = []
                    while got.isEmpty && ContinuousClock.now - sent < .seconds(30) {
                        got = receiver.received.withLock { $0 }
                        if got.isEmpty { try await Task.sleep(nanoseconds: 5_000_000) }
                    }
                    // From sending the order to the platform holding the webhook (checked below, with
                    // up to two more orders if this one was slowed by a loaded machine).
                    let latencies = [ContinuousClock.now - sent]
                    let hook = try #require(got.first)
                    #expect(hook.body.contains(#""action":"remove""#) && hook.body.contains(#""id":"post-1""#))
                    #expect(hook.body.contains(#""reference":"RO-2026-0042""#))

                    // The order answers each target: executed, unknown item, URL.
                    let targets = try #require(order["targets"] as? [[String: Any]])
                    #expect(targets.count == 3)
                    #expect(targets[0]["executed"] as? Bool == true && targets[0]["decision_id"] is Int)
                    #expect(targets[1]["executed"] as? Bool == false)
                    #expect((targets[1]["reason_not_executed"] as? String)?.contains("never sent it") == true)
                    #expect((targets[2]["reason_not_executed"] as? String)?.contains("URL") == true)
                    #expect(order["actioned_at"] is Int)
                    let id = try #require(order["id"] as? Int)

                    // Confirmed once the platform has the webhook: the clock is met in time.
                    var view: [String: Any] = [:]
                    for _ in 0..<100 {
                        view = try await call(client, keys, .get, "/v1/removal-orders/\(id)", .auditor).1
                        if view["confirmed_at"] is Int { break }
                        try await Task.sleep(nanoseconds: 20_000_000)
                    }
                    #expect(view["status"] as? String == "partially_confirmed")
                    #expect((view["clock"] as? [String: Any])?["state"] as? String == "met_in_time")

                    // The same order again changes nothing.
                    let (againStatus, again) = try await call(client, keys, .post, "/v1/removal-orders", .authority, Self.order)
                    #expect(againStatus == .ok && again["id"] as? Int == id)
                    #expect(receiver.received.withLock { $0.count } == 1)
                    // The decision and the audit trail.
                    let audit = try await store.auditLog(after: 0, limit: 100)
                    #expect(audit.contains { $0.action == "removal_order.execute" })
                    #expect(audit.contains { $0.action == "removal_order.receive" && $0.subject == "removal_order:\(id)" })
                    // The transparency report counts it: received, executed, confirmed within the hour.
                    let today = Int64(Date().timeIntervalSince1970)
                    let period = "from=\(CivilDate.isoDate(today - 86_400))&to=\(CivilDate.isoDate(today + 2 * 86_400))"
                    let (reportStatus, report) = try await call(client, keys, .get, "/v1/reports/transparency?\(period)", .auditor)
                    #expect(reportStatus == .ok)
                    let orders = try #require(report["removal_orders"] as? [String: Any])
                    #expect(orders["received"] as? Int == 1 && orders["executed"] as? Int == 1)
                    #expect(orders["confirmed_within_one_hour"] as? Int == 1 && orders["targets_not_executed"] as? Int == 2)
                    #expect(orders["exposed"] as? Bool == false)
                    let restrictions = try #require(report["restrictions"] as? [String: Any])
                    #expect((restrictions["by_source"] as? [String: Any])?["removal_order"] as? Int == 1)
                    #expect((restrictions["by_category"] as? [String: Any])?["incitement"] as? Int == 1)
                    #expect(restrictions["decided_by_a_person"] as? Int == 0)
                    let html = try await client.execute(
                        uri: "/v1/reports/transparency?\(period)&format=html", method: .get, headers: [.authorization: "Bearer \(keys[.auditor]!)"])
                    let page = String(buffer: html.body)
                    #expect(page.contains("<svg") && !page.contains("<script") && !page.contains("src=") && !page.contains("href="))
                    #expect(page.contains("<td>confirmed within one hour</td><td class=\"n\">1</td>"))
                    let markdown = try await client.execute(
                        uri: "/v1/reports/transparency?\(period)&format=markdown", method: .get, headers: [.authorization: "Bearer \(keys[.auditor]!)"])
                    #expect(String(buffer: markdown.body).contains("| confirmed within one hour | 1 |"))
                    #expect(try await call(client, keys, .get, "/v1/reports/transparency?from=2026-13-01&to=2027-01-01", .auditor).0 == .badRequest)
                    // An order naming nothing is refused, naming the field.
                    let (empty, emptyBody) = try await call(
                        client, keys, .post, "/v1/removal-orders", .authority,
                        #"{"authority":"A","reference":"R-2","legal_basis":"TCO","reasons":"r","items":[]}"#)
                    #expect(empty == .badRequest && (emptyBody["error"] as? [String: Any])?["field"] as? String == "items")

                    // Executing the order sends the platform's webhook: it arrived while the test
                    // waited (30 s at most: an instrumented or busy build is slow). How fast is a
                    // figure, printed here, not a timed assertion (a busy machine would decide it).
                    #expect(latencies.min()! < .seconds(30), "order to webhook: \(latencies)")
                    print("removal order to webhook (\(backend)): \(latencies.map { $0.formatted(.units(allowed: [.milliseconds])) })")
                }
            }
        }
    }

    /// The one-hour clock on a controllable clock: running, due soon (15 minutes left: the
    /// alert, in the order and in /metrics), overdue.
    @Test(arguments: Backend.allCases)
    func theOneHourClockAlertsFifteenMinutesBeforeTheDeadlineAndAfterIt(_ backend: Backend) async throws {
        try await withServerStore(backend, "order_clock") { store in
            let keys = try await makeKeys(store, [.ingest, .authority, .auditor])
            let t0: Int64 = 1_800_000_000
            // No webhook receiver: the platform never confirms, so the clock keeps running.
            let (service, now) = try clockedService(store, start: t0)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                _ = try await call(client, keys, .post, "/v1/items", .ingest, #"{"platform":"example","id":"post-1","text":"a post"}"#)
                let (_, order) = try await call(client, keys, .post, "/v1/removal-orders", .authority, RemovalOrderTests.order)
                let id = try #require(order["id"] as? Int)
                func clock(at t: Int64) async throws -> (state: String?, left: Int?, metrics: String) {
                    now.set(t)
                    let view = try await call(client, keys, .get, "/v1/removal-orders/\(id)", .auditor).1
                    let c = view["clock"] as? [String: Any]
                    let metrics = try await client.execute(uri: "/metrics", method: .get)
                    return (c?["state"] as? String, c?["seconds_left"] as? Int, String(buffer: metrics.body))
                }
                let start = try await clock(at: t0 + 10)
                #expect(start.state == "running" && start.left == 3_590)
                #expect(start.metrics.contains("bulwark_removal_orders_open 1\n") && start.metrics.contains("bulwark_removal_orders_due_soon 0\n"))
                let justBefore = try await clock(at: t0 + 3_600 - 901)
                #expect(justBefore.state == "running")
                let alert = try await clock(at: t0 + 3_600 - 900)
                #expect(alert.state == "due_soon" && alert.left == 900)
                #expect(alert.metrics.contains("bulwark_removal_orders_due_soon 1\n"))
                let last = try await clock(at: t0 + 3_600)
                #expect(last.state == "due_soon" && last.left == 0)
                let late = try await clock(at: t0 + 3_601)
                #expect(late.state == "overdue" && late.left == -1)
                #expect(late.metrics.contains("bulwark_removal_orders_overdue 1\n") && late.metrics.contains("bulwark_removal_orders_due_soon 0\n"))
            }
        }
    }
}

/// Statements of reasons exported for the DSA Transparency Database, validated by
/// scripts/validate-statements.py (jsonschema) against docs/schemas/.
struct StatementExportTests {
    @Test(arguments: Backend.allCases)
    func exportedStatementsValidateAgainstTheTransparencyDatabaseSchema(_ backend: Backend) async throws {
        try await withServerStore(backend, "statements") { store in
            let keys = try await makeKeys(store, [.ingest, .authority, .reviewer, .auditor])
            let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: ServerConfiguration(port: 0))
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                // A reviewer's removal of a proactively found item, and an order's removal.
                let (_, ingested) = try await call(
                    client, keys, .post, "/v1/items", .ingest,
                    #"{"platform":"example","id":"room-1","type":"title","text":"Supporters of the Islamic State","container":{"id":"c-1","followers":32000}}"#)
                let caseID = try #require(((ingested["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                let (decided, _) = try await call(
                    client, keys, .post, "/v1/cases/\(caseID)/decisions", .reviewer, #"{"action":"remove","category":"dissemination"}"#)
                #expect(decided == .created)
                _ = try await call(client, keys, .post, "/v1/items", .ingest, #"{"platform":"example","id":"post-1","text":"a post","lang":"es"}"#)
                #expect(try await call(client, keys, .post, "/v1/removal-orders", .authority, RemovalOrderTests.order).0 == .created)
                // A geo-block in two countries: its statement's territorial scope is those two.
                let (_, room2) = try await call(
                    client, keys, .post, "/v1/items", .ingest,
                    #"{"platform":"example","id":"room-2","type":"title","text":"Supporters of the Islamic State","container":{"id":"c-2"}}"#)
                let geoCase = try #require(((room2["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                let (geoDecided, _) = try await call(
                    client, keys, .post, "/v1/cases/\(geoCase)/decisions", .reviewer,
                    #"{"action":"geo_block","category":"dissemination","countries":["DE","AT"]}"#)
                #expect(geoDecided == .created)

                let export = try await client.execute(
                    uri: "/v1/statements?after=0&limit=100", method: .get, headers: [.authorization: "Bearer \(keys[.auditor]!)"])
                #expect(export.status == .ok)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(bytesOf: export.body)) as? [String: Any])
                let statements = try #require(json["statements"] as? [[String: Any]])
                #expect(statements.count == 3)
                #expect(statements.allSatisfy { $0["category"] as? String == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY" })
                #expect((statements[0]["territorial_scope"] as? [String])?.count == StatementOfReasons.allCountries.count)
                #expect(statements[2]["territorial_scope"] as? [String] == ["AT", "DE"])
                #expect(statements[2]["decision_visibility"] as? [String] == ["DECISION_VISIBILITY_CONTENT_DISABLED"])
                #expect(statements.allSatisfy { ($0["category_specification"] as? [String]) == ["KEYWORD_TERRORIST_CONTENT"] })
                #expect(Set(statements.compactMap { $0["puid"] as? String }).count == 3)
                #expect(statements[0]["source_type"] as? String == "SOURCE_VOLUNTARY" && statements[0]["automated_detection"] as? String == "Yes")
                #expect(statements[1]["source_type"] as? String == "SOURCE_TYPE_OTHER_NOTIFICATION")
                #expect(statements[1]["decision_ground"] as? String == "DECISION_GROUND_ILLEGAL_CONTENT")
                #expect((statements[1]["illegal_content_legal_ground"] as? String)?.contains("RO-2026-0042") == true)
                #expect((statements[0]["decision_facts"] as? String)?.contains("Redress") == true)

                // The real export validates; a broken copy does not (the validator bites).
                let dir = NSTemporaryDirectory() + "bulwark-sor-\(UInt32.random(in: 0...UInt32.max))"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: dir) }
                let good = dir + "/export.json"
                try Data(bytesOf: export.body).write(to: URL(fileURLWithPath: good))
                #expect(try Self.validate(good) == 0)
                var broken = statements
                broken[0]["decision_facts"] = nil
                broken[1]["category"] = "STATEMENT_CATEGORY_TERRORISM"
                let bad = dir + "/broken.json"
                try JSONSerialization.data(withJSONObject: ["statements": broken]).write(to: URL(fileURLWithPath: bad))
                #expect(try Self.validate(bad) == 1)

                // One decision's statement, for the content provider; a decision that restricts
                // nothing has none.
                let decisionID = try #require((statements[0]["puid"] as? String)?.split(separator: "-").last.flatMap { Int($0) })
                let (oneStatus, one) = try await call(client, keys, .get, "/v1/decisions/\(decisionID)/statement", .ingest)
                #expect(oneStatus == .ok && one["puid"] as? String == statements[0]["puid"] as? String)
                #expect(try await call(client, keys, .get, "/v1/decisions/999999/statement", .ingest).0 == .notFound)
                // Batches are at most 100.
                let tooMany = try await client.execute(
                    uri: "/v1/statements?limit=101", method: .get, headers: [.authorization: "Bearer \(keys[.auditor]!)"])
                #expect(tooMany.status == .badRequest)
                let next = json["next_after"] as? Int
                let rest = try await call(client, keys, .get, "/v1/statements?after=\(next ?? 0)", .auditor).1
                #expect((rest["statements"] as? [Any])?.isEmpty == true)
            }
        }
    }

    static func validate(_ path: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "scripts/validate-statements.py", path]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Appeals over HTTP: filed by the platform for its content provider, decided by a reviewer
/// other than the one who decided the case, reinstatement through the webhook and audit, and
/// the two-week clock on a controllable clock.
struct AppealTests {
    @Test(arguments: Backend.allCases)
    func anAppealCannotBeDecidedByTheOriginalReviewerAndReinstatesWhenReversed(_ backend: Backend) async throws {
        try await withServerStore(backend, "appeals") { store in
            var roleKeys = try await makeKeys(store, [.ingest, .reviewer, .auditor])
            let second = APIKeys.generate()
            _ = try await store.createKey(name: "reviewer-2", role: .lead, prefix: APIKeys.prefix(second), hash: APIKeys.hash(second), now: 1)
            roleKeys[.lead] = second
            let keys = roleKeys
            let t0: Int64 = 1_800_000_000
            let (service, now) = try clockedService(store, start: t0)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let (_, ingested) = try await call(
                    client, keys, .post, "/v1/items", .ingest,
                    #"{"platform":"example","id":"room-1","type":"title","text":"Supporters of the Islamic State"}"#)
                let caseID = try #require(((ingested["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                let (_, decided) = try await call(
                    client, keys, .post, "/v1/cases/\(caseID)/decisions", .reviewer, #"{"action":"remove","category":"dissemination"}"#)
                let decisionID = try #require(decided["decision_id"] as? Int)
                // Reinstating is not a case action.
                #expect(try await call(client, keys, .post, "/v1/cases/\(caseID)/decisions", .lead, #"{"action":"reinstate"}"#).0 == .badRequest)

                // The platform files the provider's complaint, by the item's id.
                now.set(t0 + 60)
                let (filed, appeal) = try await call(
                    client, keys, .post, "/v1/appeals", .ingest,
                    #"{"platform":"example","id":"room-1","appellant":"u-7f3a","reason":"This room documents propaganda for a research project."}"#)
                #expect(filed == .created)
                let appealID = try #require(appeal["id"] as? Int)
                #expect(appeal["decision_id"] as? Int == decisionID)
                #expect(appeal["deadline_at"] as? Int == Int(t0 + 60 + 14 * 86_400))
                #expect(appeal["status"] as? String == "open")
                // Filing again returns the same appeal; the platform can follow it.
                let (againStatus, again) = try await call(
                    client, keys, .post, "/v1/appeals", .ingest, #"{"decision_id":\#(decisionID),"appellant":"u-7f3a","reason":"again"}"#)
                #expect(againStatus == .ok && again["id"] as? Int == appealID)
                #expect(try await call(client, keys, .get, "/v1/appeals/\(appealID)", .ingest).0 == .ok)

                // The reviewer who removed it may not decide the appeal.
                let (same, sameBody) = try await call(
                    client, keys, .post, "/v1/appeals/\(appealID)/decision", .reviewer, #"{"outcome":"reversed","exemption":"research"}"#)
                #expect(same == .forbidden)
                #expect(((sameBody["error"] as? [String: Any])?["message"] as? String)?.contains("another reviewer") == true)
                #expect(try await store.appeal(id: Int64(appealID))?.status == .open)

                // Another reviewer reverses it: a reinstate decision, its webhook, the audit trail.
                let (reversed, outcome) = try await call(
                    client, keys, .post, "/v1/appeals/\(appealID)/decision", .lead,
                    #"{"outcome":"reversed","exemption":"research","note":"academic archive"}"#)
                #expect(reversed == .created)
                #expect(outcome["status"] as? String == "reversed" && outcome["decided_by"] as? String == "reviewer-2")
                #expect(outcome["exemption"] as? String == "research" && outcome["overdue"] as? Bool == false)
                let deliveryID = try #require(outcome["delivery_id"] as? String)
                let pending = try await store.deliveries(status: "pending")
                let hook = try #require(pending.first { $0.deliveryID == deliveryID })
                #expect(hook.body.contains(#""action":"reinstate""#) && hook.body.contains(#""appeal":{"id":\#(appealID)}"#))
                #expect(hook.body.contains(#""exemption":"research""#))
                let audit = try await store.auditLog(after: 0, limit: 100)
                #expect(audit.contains { $0.action == "appeal.reverse" && $0.subject == "appeal:\(appealID)" })
                #expect(audit.contains { $0.action == "appeal.file" })
                #expect(try await call(client, keys, .post, "/v1/appeals/\(appealID)/decision", .lead, #"{"outcome":"upheld"}"#).0 == .conflict)
                // An account's suspension is appealed and reversed through the entity path.
                _ = try await call(
                    client, keys, .post, "/v1/items", .ingest, #"{"platform":"example","id":"post-9","text":"hello","author":"u-9"}"#)
                let (_, accounts) = try await call(client, keys, .get, "/v1/entities?kind=account", .reviewer)
                let account = try #require((accounts["entities"] as? [[String: Any]])?.first { $0["external_id"] as? String == "u-9" })
                let accountID = try #require(account["id"] as? Int)
                let (_, suspended) = try await call(
                    client, keys, .post, "/v1/entities/\(accountID)/decisions", .reviewer, #"{"action":"suspend","category":"recruitment"}"#)
                let suspension = try #require(suspended["decision_id"] as? Int)
                let (_, accountAppeal) = try await call(
                    client, keys, .post, "/v1/appeals", .ingest, #"{"decision_id":\#(suspension),"appellant":"u-9","reason":"not me"}"#)
                let accountAppealID = try #require(accountAppeal["id"] as? Int)
                #expect(try await call(client, keys, .post, "/v1/appeals/\(accountAppealID)/decision", .reviewer, #"{"outcome":"reversed"}"#).0 == .forbidden)
                let (_, restored) = try await call(
                    client, keys, .post, "/v1/appeals/\(accountAppealID)/decision", .lead, #"{"outcome":"reversed","note":"mistaken identity"}"#)
                #expect(restored["status"] as? String == "reversed")
                #expect(try await store.entity(id: Int64(accountID))?.status == .active)
                let accountHook = try #require(try await store.deliveries(status: "pending").first { $0.deliveryID == restored["delivery_id"] as? String })
                #expect(accountHook.body.contains(#""event":"entity_decision""#) && accountHook.body.contains(#""action":"reinstate""#))
                #expect(accountHook.body.contains(#""appeal":{"id":\#(accountAppealID)}"#))

                // A decision that restricted nothing cannot be appealed.
                let (_, other) = try await call(
                    client, keys, .post, "/v1/items", .ingest, #"{"platform":"example","id":"room-2","type":"title","text":"Supporters of the Islamic State"}"#)
                let otherCase = try #require(((other["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                let (_, kept) = try await call(client, keys, .post, "/v1/cases/\(otherCase)/decisions", .reviewer, #"{"action":"no_violation"}"#)
                let (notAppealable, _) = try await call(
                    client, keys, .post, "/v1/appeals", .ingest, #"{"decision_id":\#(kept["decision_id"] as? Int ?? 0),"appellant":"u-1","reason":"r"}"#)
                #expect(notAppealable == .badRequest)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func theTwoWeekClockRunsOutOnAControllableClock(_ backend: Backend) async throws {
        try await withServerStore(backend, "appeal_clock") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .auditor])
            let t0: Int64 = 1_800_000_000
            let (service, now) = try clockedService(store, start: t0)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let (_, ingested) = try await call(
                    client, keys, .post, "/v1/items", .ingest, #"{"platform":"example","id":"p","type":"title","text":"Supporters of the Islamic State"}"#)
                let caseID = try #require(((ingested["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)
                _ = try await call(client, keys, .post, "/v1/cases/\(caseID)/decisions", .reviewer, #"{"action":"remove","category":"dissemination"}"#)
                let (_, appeal) = try await call(client, keys, .post, "/v1/appeals", .ingest, #"{"platform":"example","id":"p","appellant":"u","reason":"r"}"#)
                let id = try #require(appeal["id"] as? Int)
                func view(at t: Int64) async throws -> [String: Any] {
                    now.set(t)
                    return try await call(client, keys, .get, "/v1/appeals/\(id)", .auditor).1
                }
                let fresh = try await view(at: t0 + 1)
                #expect(fresh["seconds_left"] as? Int == 14 * 86_400 - 1 && fresh["overdue"] as? Bool == false)
                let lastSecond = try await view(at: t0 + 14 * 86_400)
                #expect(lastSecond["seconds_left"] as? Int == 0 && lastSecond["overdue"] as? Bool == false)
                let late = try await view(at: t0 + 14 * 86_400 + 1)
                #expect(late["seconds_left"] as? Int == -1 && late["overdue"] as? Bool == true)
                let open = try await call(client, keys, .get, "/v1/appeals?status=open", .auditor).1
                #expect((open["appeals"] as? [[String: Any]])?.first?["overdue"] as? Bool == true)
            }
        }
    }
}

/// Preservation of removed content (TCO Article 6) on a controllable clock: kept six months,
/// readable by auditors and authorities only, extendable, then purged with an audit entry.
struct PreservationTests {
    @Test(arguments: Backend.allCases)
    func removedContentIsKeptSixMonthsThenPurgedUnlessExtended(_ backend: Backend) async throws {
        try await withServerStore(backend, "preservation") { store in
            let keys = try await makeKeys(store, [.ingest, .reviewer, .auditor, .authority])
            let t0 = CivilDate.seconds(year: 2026, month: 8, day: 31) + 3_600
            let (service, now) = try clockedService(
                store, start: t0, configuration: ServerConfiguration(port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20))
            let image = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                var itemIDs: [Int] = []
                for id in ["room-1", "room-2"] {
                    let body = #"{"platform":"example","id":"\#(id)","type":"title","text":"Supporters of the Islamic State","author":"u-\#(id)","media":[{"data":"\#(Data(image).base64EncodedString())"}]}"#
                    let (_, ingested) = try await call(client, keys, .post, "/v1/items", .ingest, body)
                    let first = try #require((ingested["items"] as? [[String: Any]])?.first)
                    itemIDs.append(try #require(first["item_id"] as? Int))
                    let caseID = try #require(first["case_id"] as? Int)
                    #expect(try await call(client, keys, .post, "/v1/cases/\(caseID)/decisions", .reviewer, #"{"action":"remove","category":"dissemination"}"#).0 == .created)
                }
                // Auditors and authorities may read it; reviewers may not; every read is audited.
                #expect(try await call(client, keys, .get, "/v1/preserved/\(itemIDs[0])", .reviewer).0 == .forbidden)
                let (readStatus, kept) = try await call(client, keys, .get, "/v1/preserved/\(itemIDs[0])", .auditor)
                #expect(readStatus == .ok)
                #expect((kept["item"] as? [String: Any])?["text"] as? String == "Supporters of the Islamic State")
                #expect(kept["media_parts"] as? Int == 1)
                // Six calendar months: 31 August + 6 months is the last day of February.
                let expiry = CivilDate.seconds(year: 2027, month: 2, day: 28) + 3_600
                #expect(kept["expires_at"] as? Int == Int(expiry))
                #expect(try await store.auditLog(after: 0, limit: 100).contains { $0.action == "preservation.read" })

                // The authority extends the second by three months.
                #expect(try await call(client, keys, .post, "/v1/preserved/\(itemIDs[1])/extension", .authority, #"{"months":9,"reason":"x"}"#).0 == .badRequest)
                let (extended, ext) = try await call(
                    client, keys, .post, "/v1/preserved/\(itemIDs[1])/extension", .authority, #"{"months":3,"reason":"court request 17/2026"}"#)
                #expect(extended == .ok && ext["expires_at"] as? Int == Int(CivilDate.seconds(year: 2027, month: 5, day: 28) + 3_600))

                // One second before six months: nothing purged.
                now.set(expiry - 1)
                #expect(try await service.purgeExpiredPreservations() == 0)
                // At six months the first is erased, provably; the extended one is kept.
                now.set(expiry)
                #expect(try await service.purgeExpiredPreservations() == 1)
                let purged = try await call(client, keys, .get, "/v1/preserved/\(itemIDs[0])", .auditor).1
                #expect(purged["purged_at"] as? Int == Int(expiry))
                #expect((purged["item"] as? [String: Any])?["text"] as? String == "")
                #expect(purged["media_parts"] as? Int == 0)
                #expect(try await store.item(id: Int64(itemIDs[0]))?.text == "")
                #expect(try await store.mediaBytes(id: 1)?.isEmpty == true)
                let audit = try await store.auditLog(after: 0, limit: 200)
                let purge = try #require(audit.first { $0.action == "preservation.purge" })
                #expect(purge.subject == "item:\(itemIDs[0])" && purge.detail.contains("\"media_parts\":1"))
                #expect(try await store.item(id: Int64(itemIDs[1]))?.text == "Supporters of the Islamic State")
                // A purged item cannot be extended; the extended one goes at its new expiry.
                #expect(try await call(client, keys, .post, "/v1/preserved/\(itemIDs[0])/extension", .authority, #"{"months":1,"reason":"late"}"#).0 == .notFound)
                now.set(CivilDate.seconds(year: 2027, month: 5, day: 28) + 3_600)
                #expect(try await service.purgeExpiredPreservations() == 1)
                #expect(try await service.purgeExpiredPreservations() == 0)
            }
        }
    }
}
