import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
import BulwarkStore
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import BulwarkServer

/// The console's due-process and administration pages: removal orders, appeals, the
/// transparency report, the audit log, banks and each reviewer's wellness settings, each for the
/// roles that may see it, and their forms through the API's own code paths.
struct ConsoleDueProcessTests {
    typealias Browser = ConsoleTests.Browser

    static func text(_ r: TestResponse) -> String { ConsoleTests.text(r) }
    static func csrf(_ r: TestResponse) -> String { ConsoleTests.csrf(in: r) }

    static func addUsers(_ store: any ModerationStore, _ users: [(String, Role)]) async throws {
        let hash = try Passwords.hash(ConsoleTests.password, cost: ConsoleTests.testCost)
        for (name, role) in users { _ = try await store.createUser(name: name, role: role, passwordHash: hash, now: 1) }
    }

    static func signedIn(_ client: some TestClientProtocol, _ name: String) async throws -> Browser {
        var browser = Browser()
        let r = try await browser.signIn(client, name: name, password: ConsoleTests.password)
        #expect(r.status == .seeOther, "\(name) signs in")
        return browser
    }

    static let order = #"""
        {"authority":"Example National Authority","reference":"RO-2026-0042","legal_basis":"Regulation (EU) 2021/784, Article 3",
         "reasons":"The item glorifies a terrorist attack.","category":"incitement",
         "items":[{"platform":"example","id":"post-1"}],"urls":["https://example.invalid/p/123"]}
        """#

    // MARK: Pages and roles

    @Test(arguments: Backend.allCases)
    func eachPageRendersForItsRolesAndRefusesTheOthers(_ backend: Backend) async throws {
        try await withTestStore(backend, "console-pages") { t in
            let store = t.store
            try await Self.addUsers(
                store, [("rev", .reviewer), ("lead", .lead), ("aud", .auditor), ("adm", .admin), ("auth", .authority)])
            let keys = try await makeKeys(store, [.ingest, .authority])
            let t0: Int64 = 1_800_000_000
            let (service, clock) = try clockedService(store, start: t0)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                _ = try await call(
                    client, keys, .post, "/v1/items", .ingest, #"{"platform":"example","id":"post-1","text":"a post"}"#)
                let (status, order) = try await call(client, keys, .post, "/v1/removal-orders", .authority, Self.order)
                #expect(status == .created)
                let orderID = try #require(order["id"] as? Int)
                clock.set(t0 + 50 * 60)  // 10 minutes left, unconfirmed: the alert

                var rev = try await Self.signedIn(client, "rev")
                var lead = try await Self.signedIn(client, "lead")
                var aud = try await Self.signedIn(client, "aud")
                var adm = try await Self.signedIn(client, "adm")
                var auth = try await Self.signedIn(client, "auth")

                // Removal orders: as the API, for authorities, leads, auditors and admins.
                let orders = try await lead.get(client, "/console/orders")
                #expect(orders.status == .ok)
                let list = Self.text(orders)
                #expect(list.contains("RO-2026-0042") && list.contains("Example National Authority"))
                #expect(list.contains("due_soon") && list.contains("10 min 0 s left"))
                #expect(list.contains(#"<tr class="alert"><td><a href="/console/orders/\#(orderID)">"#))
                #expect(try await auth.get(client, "/console/orders").status == .ok)
                #expect(try await rev.get(client, "/console/orders").status == .forbidden)
                let detail = try await aud.get(client, "/console/orders/\(orderID)")
                #expect(detail.status == .ok)
                let page = Self.text(detail)
                #expect(page.contains("Regulation (EU) 2021/784, Article 3"))
                #expect(page.contains("The item glorifies a terrorist attack."))
                #expect(page.contains("removed") && page.contains("not executed: <span dir=\"auto\">a URL alone"))
                #expect(page.contains("Webhook deliveries pending</dt><dd>1</dd>"))
                #expect(try await rev.get(client, "/console/orders/\(orderID)").status == .forbidden)
                #expect(try await aud.get(client, "/console/orders/999").status == .notFound)

                // Appeals: reviewers, leads, auditors, admins; not an authority.
                #expect(try await rev.get(client, "/console/appeals").status == .ok)
                #expect(try await aud.get(client, "/console/appeals").status == .ok)
                #expect(try await auth.get(client, "/console/appeals").status == .forbidden)

                // The transparency report in the console's chrome: as the API, not for reviewers.
                let period = "from=\(CivilDate.isoDate(t0 - 86_400))&to=\(CivilDate.isoDate(t0 + 86_400))"
                let report = try await aud.get(client, "/console/transparency?\(period)")
                #expect(report.status == .ok)
                let reportPage = Self.text(report)
                #expect(reportPage.contains("<svg") && reportPage.contains(#"<nav aria-label="Console">"#))
                #expect(reportPage.contains("<td>received</td><td class=\"n\">1</td>"))
                #expect(reportPage.contains("<td>not yet confirmed</td><td class=\"n\">1</td>"))
                #expect(!reportPage.contains("<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Transparency"))
                #expect(try await lead.get(client, "/console/transparency").status == .ok)
                #expect(try await auth.get(client, "/console/transparency?\(period)").status == .ok)
                #expect(try await rev.get(client, "/console/transparency?\(period)").status == .forbidden)
                let bad = try await aud.get(client, "/console/transparency?from=2026-13-01&to=2027-01-01")
                #expect(bad.status == .badRequest && Self.text(bad).contains("YYYY-MM-DD"))

                // The audit log: auditors and admins only.
                #expect(try await rev.get(client, "/console/audit").status == .forbidden)
                #expect(try await lead.get(client, "/console/audit").status == .forbidden)
                #expect(try await adm.get(client, "/console/audit").status == .ok)
                // Banks: readable by reviewers (this server has no bank directory: nothing to change).
                let banks = try await rev.get(client, "/console/banks")
                #expect(banks.status == .ok && Self.text(banks).contains("No banks."))
                #expect(try await auth.get(client, "/console/banks").status == .forbidden)
                // Settings: every signed-in person's own.
                for var browser in [rev, lead, aud, adm, auth] {
                    #expect(try await browser.get(client, "/console/settings").status == .ok)
                }
                // Signed out, every page sends to the sign-in form.
                var anonymous = Browser()
                for uri in [
                    "/console/orders", "/console/appeals", "/console/transparency", "/console/audit", "/console/banks",
                    "/console/settings",
                ] {
                    let r = try await anonymous.get(client, uri)
                    #expect(r.status == .seeOther && r.headers[.location] == "/login", "\(uri)")
                }
            }
        }
    }

    // MARK: Audit log

    @Test(arguments: Backend.allCases)
    func theAuditPageShowsEntriesNewestFirstFiltersAndTheChainsState(_ backend: Backend) async throws {
        try await withTestStore(backend, "console-audit") { t in
            let store = t.store
            try await Self.addUsers(store, [("aud", .auditor), ("rev", .reviewer)])
            for n in 1...150 {
                try await store.appendAudit(
                    actor: "tester", action: "test.entry", subject: "n:\(n)", detail: "{}", now: 10)
            }
            let (service, _) = try clockedService(store, start: 1_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                var rev = try await Self.signedIn(client, "rev")
                let refused = try await rev.get(client, "/console/audit")
                #expect(
                    refused.status == .forbidden && Self.text(refused).contains("Your role, reviewer, cannot do this."))

                var aud = try await Self.signedIn(client, "aud")
                let first = try await aud.get(client, "/console/audit")
                #expect(first.status == .ok)
                let page = Self.text(first)
                #expect(page.contains("Hash chain intact"))
                // Newest first: the last sign-in above the test entries, the oldest test entries on a later page.
                let signIn = try #require(page.range(of: "user.sign_in"))
                let entry150 = try #require(page.range(of: "n:150"))
                #expect(signIn.lowerBound < entry150.lowerBound)
                #expect(!page.contains("n:5<"))
                let older = try #require(page.range(of: #"<a href="/console/audit?before="#))
                let olderURI = "/console/audit?before=" + page[older.upperBound...].prefix { $0 != "\"" }
                let second = Self.text(try await aud.get(client, olderURI))
                #expect(second.contains("n:5<") && !second.contains("n:150<"))
                #expect(second.contains("Newer entries"))

                // Filtered by actor and action.
                let filtered = Self.text(try await aud.get(client, "/console/audit?actor=cli&action=user.create"))
                #expect(
                    filtered.contains("user.create") && !filtered.contains("test.entry")
                        && !filtered.contains("user.sign_in"))
                // Paged forward with `after`: the entries above n:148's.
                let seq148 = try #require(
                    try await store.auditLog(after: 0, limit: 500).first { $0.subject == "n:148" }?.seq)
                let after = Self.text(try await aud.get(client, "/console/audit?after=\(seq148)&action=test.entry"))
                #expect(!after.contains("n:147<") && !after.contains("n:148<"))
                #expect(after.contains("n:149<") && after.contains("n:150<"))
                // Newest first on the page, whichever way it was paged.
                #expect(
                    try #require(after.range(of: "n:150<")).lowerBound
                        < (try #require(after.range(of: "n:149<"))).lowerBound)

                // A page bound that is not a sequence number is an error, not the first page.
                let badBound = try await aud.get(client, "/console/audit?before=n:148")
                #expect(badBound.status == .badRequest)
                #expect(Self.text(badBound).contains("before must be an audit entry&#39;s sequence number"))
                #expect(!Self.text(badBound).contains("n:150<"))

                // An altered entry breaks the chain, and the page says where.
                try await t.execute("UPDATE audit_log SET detail = '{\"forged\":true}' WHERE seq = 4")
                let broken = Self.text(try await aud.get(client, "/console/audit"))
                #expect(broken.contains("Hash chain broken at entry 4") && !broken.contains("Hash chain intact"))
            }
        }
    }

    // MARK: Appeals decided in the console

    @Test(arguments: Backend.allCases)
    func anAppealIsRefusedToTheOriginalReviewerAndReversedByAnother(_ backend: Backend) async throws {
        try await withTestStore(backend, "console-appeal") { t in
            let store = t.store
            try await Self.addUsers(store, [("rev", .reviewer), ("lead", .lead), ("aud", .auditor)])
            let keys = try await makeKeys(store, [.ingest])
            let (service, _) = try clockedService(store, start: 1_800_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let (_, ingested) = try await call(
                    client, keys, .post, "/v1/items", .ingest,
                    #"{"platform":"example","id":"room-1","type":"title","text":"Supporters of the Islamic State"}"#)
                let caseID = try #require(((ingested["items"] as? [[String: Any]])?.first)?["case_id"] as? Int)

                // The reviewer removes it in the console; the platform files the provider's complaint.
                var rev = try await Self.signedIn(client, "rev")
                let casePage = try await rev.get(client, "/console/cases/\(caseID)")
                let decided = try await rev.post(
                    client, "/console/cases/\(caseID)/decisions",
                    [("csrf", Self.csrf(casePage)), ("action", "remove"), ("category", "dissemination")])
                #expect(decided.status == .seeOther)
                let (filed, appeal) = try await call(
                    client, keys, .post, "/v1/appeals", .ingest,
                    #"{"platform":"example","id":"room-1","appellant":"u-7f3a","reason":"A research archive of propaganda."}"#
                )
                #expect(filed == .created)
                let appealID = try #require(appeal["id"] as? Int)

                // The list: open first, with the time left on the two-week clock.
                let list = Self.text(try await rev.get(client, "/console/appeals"))
                #expect(list.contains(#"<a href="/console/appeals/\#(appealID)">"#) && list.contains("14 d 0 h left"))

                // The original reviewer sees the appeal, no form, and a POST is refused.
                let own = try await rev.get(client, "/console/appeals/\(appealID)")
                let ownPage = Self.text(own)
                #expect(own.status == .ok)
                #expect(
                    ownPage.contains("A research archive of propaganda.")
                        && ownPage.contains(#"href="/console/cases/\#(caseID)""#))
                #expect(ownPage.contains("Decision") && ownPage.contains("remove dissemination"))
                #expect(ownPage.contains("another reviewer must decide") && !ownPage.contains("/decision\""))
                let refused = try await rev.post(
                    client, "/console/appeals/\(appealID)/decision",
                    [("csrf", Self.csrf(own)), ("outcome", "reversed"), ("exemption", "research")])
                #expect(refused.status == .forbidden)
                #expect(Self.text(refused).contains("another reviewer must"))
                #expect(try await store.appeal(id: Int64(appealID))?.status == .open)
                #expect(try await store.deliveries(status: nil).allSatisfy { !$0.body.contains("reinstate") })

                // An auditor reads it but cannot decide it.
                var aud = try await Self.signedIn(client, "aud")
                let audPage = try await aud.get(client, "/console/appeals/\(appealID)")
                #expect(audPage.status == .ok && !Self.text(audPage).contains("Decide the appeal"))
                let audPost = try await aud.post(
                    client, "/console/appeals/\(appealID)/decision",
                    [("csrf", Self.csrf(audPage)), ("outcome", "upheld")])
                #expect(audPost.status == .forbidden)

                // Another reviewer reverses it: a reinstatement, its webhook, the audit trail, as over the API.
                var lead = try await Self.signedIn(client, "lead")
                let form = try await lead.get(client, "/console/appeals/\(appealID)")
                #expect(Self.text(form).contains("Decide the appeal"))
                let forged = try await lead.post(
                    client, "/console/appeals/\(appealID)/decision", [("csrf", "0"), ("outcome", "reversed")])
                #expect(forged.status == .forbidden)
                let reversed = try await lead.post(
                    client, "/console/appeals/\(appealID)/decision",
                    [
                        ("csrf", Self.csrf(form)), ("outcome", "reversed"), ("exemption", "research"),
                        ("note", "academic archive"),
                    ])
                #expect(reversed.status == .seeOther)
                #expect(reversed.headers[.location] == "/console/appeals/\(appealID)?decided=1")
                let record = try #require(try await store.appeal(id: Int64(appealID)))
                #expect(record.status == .reversed && record.decidedBy == "lead" && record.exemption == .research)
                let reinstatement = try #require(record.reinstatementDecisionID)
                let hook = try #require(
                    try await store.deliveries(status: "pending").first { $0.body.contains(#""action":"reinstate""#) })
                #expect(
                    hook.body.contains(#""appeal":{"id":\#(appealID)}"#)
                        && hook.body.contains(#""exemption":"research""#))
                #expect(
                    hook.body.contains(#""decision_id":\#(reinstatement),"#)
                        && hook.body.contains(#""reviewer":"lead""#))
                let audit = try await store.auditLog(after: 0, limit: 200)
                #expect(
                    audit.contains {
                        $0.action == "appeal.reverse" && $0.subject == "appeal:\(appealID)" && $0.actor == "lead"
                    })
                let done = Self.text(try await lead.get(client, "/console/appeals/\(appealID)?decided=1"))
                #expect(done.contains("Appeal \(appealID) decided.") && done.contains("reversed by"))
                #expect(done.contains("academic archive"))
                // Deciding it again is a conflict, shown on the page.
                let again = try await lead.post(
                    client, "/console/appeals/\(appealID)/decision", [("csrf", Self.csrf(form)), ("outcome", "upheld")])
                #expect(again.status == .conflict && Self.text(again).contains("already decided"))
            }
        }
    }

    // MARK: Banks

    @Test(arguments: Backend.allCases)
    func aLeadAddsABankEntryInTheConsoleThatTheAPIListsAndTheIndexMatches(_ backend: Backend) async throws {
        let dir = NSTemporaryDirectory() + "bulwark-console-banks-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withTestStore(backend, "console-banks") { t in
            let store = t.store
            try await Self.addUsers(store, [("rev", .reviewer), ("lead", .lead)])
            let keys = try await makeKeys(store, [.lead])
            let registry = BankRegistry(directory: try BankDirectory(path: dir, writable: true))
            let service = BulwarkService(
                store: store, engine: try ServerFixtures.engine.get(), configuration: ServerConfiguration(port: 0),
                bankRegistry: registry)
            let sha = String(repeating: "ab", count: 32)
            let pdq = "f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95"
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                var lead = try await Self.signedIn(client, "lead")
                let empty = try await lead.get(client, "/console/banks")
                let token = Self.csrf(empty)
                #expect(Self.text(empty).contains("Create the bank"))
                let created = try await lead.post(
                    client, "/console/banks",
                    [
                        ("csrf", token), ("name", "console-bank"), ("kind", "block"), ("pdq_threshold", "31"),
                        ("labels", "category:dissemination"), ("description", "Known releases"),
                    ])
                #expect(created.status == .seeOther)
                #expect(
                    Self.text(try await lead.get(client, created.headers[.location] ?? "")).contains(
                        "Bank console-bank created."))
                let badName = try await lead.post(client, "/console/banks", [("csrf", token), ("name", "bad name")])
                #expect(badName.status == .badRequest && Self.text(badName).contains("bank name must be"))

                for (type, value) in [("sha256", sha), ("pdq", pdq)] {
                    let added = try await lead.post(
                        client, "/console/banks/entries",
                        [("csrf", token), ("bank", "console-bank"), ("type", type), ("value", value), ("op", "add")])
                    #expect(added.status == .seeOther)
                    #expect(added.headers[.location] == "/console/banks?done=added&bank=console-bank")
                }
                let badHash = try await lead.post(
                    client, "/console/banks/entries",
                    [("csrf", token), ("bank", "console-bank"), ("type", "pdq"), ("value", "abc"), ("op", "add")])
                #expect(badHash.status == .badRequest)
                let noBank = try await lead.post(
                    client, "/console/banks/entries",
                    [("csrf", token), ("bank", "nope"), ("type", "sha256"), ("value", sha), ("op", "add")])
                #expect(noBank.status == .notFound)

                // The API lists it and the shared index matches it.
                let (_, listed) = try await call(client, keys, .get, "/v1/banks", .lead)
                let bank = try #require(
                    (listed["banks"] as? [[String: Any]])?.first { $0["name"] as? String == "console-bank" })
                #expect((bank["entries"] as? [String: Any])?["sha256"] as? Int == 1)
                #expect((bank["entries"] as? [String: Any])?["pdq"] as? Int == 1)
                #expect(bank["labels"] as? [String] == ["category:dissemination"])
                let export = try await client.execute(
                    uri: "/v1/banks/console-bank/export?format=hash-labels", method: .get,
                    headers: [.authorization: "Bearer \(keys[.lead]!)"])
                #expect(String(buffer: export.body).contains(pdq))
                #expect(service.banks?.match(MediaHashes(sha256: sha)).blockMatches.count == 1)
                let audit = try await store.auditLog(after: 0, limit: 200)
                #expect(
                    audit.contains {
                        $0.action == "bank.add" && $0.actor == "lead" && $0.subject == "bank:console-bank"
                    })
                #expect(audit.contains { $0.action == "bank.create" && $0.actor == "lead" })
                // The durable log says the console added it.
                let log = try String(contentsOfFile: dir + "/events.jsonl", encoding: .utf8)
                #expect(log.contains("console: lead"))

                // A reviewer sees the banks but cannot change them.
                var rev = try await Self.signedIn(client, "rev")
                let view = try await rev.get(client, "/console/banks")
                #expect(view.status == .ok)
                let viewPage = Self.text(view)
                #expect(viewPage.contains("console-bank") && viewPage.contains("pdq: 1, sha256: 1"))
                #expect(!viewPage.contains("Create the bank"))
                let refused = try await rev.post(
                    client, "/console/banks/entries",
                    [
                        ("csrf", Self.csrf(view)), ("bank", "console-bank"), ("type", "sha256"), ("value", sha),
                        ("op", "remove"),
                    ])
                #expect(refused.status == .forbidden)
                #expect(registry.banks.activeCount(bank: "console-bank") == 2)

                // The lead removes it again: gone from the index.
                let removed = try await lead.post(
                    client, "/console/banks/entries",
                    [("csrf", token), ("bank", "console-bank"), ("type", "sha256"), ("value", sha), ("op", "remove")])
                #expect(removed.headers[.location] == "/console/banks?done=removed&bank=console-bank")
                #expect(service.banks?.match(MediaHashes(sha256: sha)).blockMatches.isEmpty == true)
                #expect(registry.banks.activeCount(bank: "console-bank") == 1)
            }
        }
    }

    // MARK: Wellness settings

    /// The class of the case page's first image.
    static func imageClass(_ page: String) -> String? {
        guard let img = page.range(of: "<img src=\""), let attribute = page[img.upperBound...].range(of: " class=\"")
        else { return nil }
        return String(page[attribute.upperBound...].prefix { $0 != "\"" })
    }

    @Test(arguments: Backend.allCases)
    func mediaSettingsArePerReviewerPersistAndChangeTheCasePage(_ backend: Backend) async throws {
        try await withTestStore(backend, "console-settings") { t in
            let store = t.store
            try await Self.addUsers(store, [("rev1", .reviewer), ("rev2", .reviewer)])
            let keys = try await makeKeys(store, [.ingest])
            let (service, _) = try clockedService(store, start: 1_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let image = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
                let item =
                    #"{"platform":"example","id":"room-1","text":"Supporters of the Islamic State","media":[{"data":"\#(Data(image).base64EncodedString())"}]}"#
                #expect(try await call(client, keys, .post, "/v1/items", .ingest, item).0 == .ok)
                let caseID = try #require(try await store.cases(CaseFilter(), now: 1_000_000).first?.id)

                var rev1 = try await Self.signedIn(client, "rev1")
                var rev2 = try await Self.signedIn(client, "rev2")
                // The default: blurred and greyscale until clicked, colour once revealed.
                let before = Self.text(try await rev1.get(client, "/console/cases/\(caseID)"))
                #expect(Self.imageClass(before) == "blurred")
                let settings = try await rev1.get(client, "/console/settings")
                let form = Self.text(settings)
                #expect(form.contains(#"name="blurred" value="on" checked"#))
                #expect(form.contains(#"name="keep_greyscale" value="on">"#))
                #expect(try await store.user(name: "rev1")?.media == .standard)

                // Without the session's CSRF token nothing changes.
                let forged = try await rev1.post(
                    client, "/console/settings", [("csrf", "0"), ("keep_greyscale", "on")])
                #expect(forged.status == .forbidden)
                #expect(try await store.user(name: "rev1")?.media == .standard)

                // rev1 turns blurring off and keeps greyscale (an unchecked box is not sent).
                let saved = try await rev1.post(
                    client, "/console/settings", [("csrf", Self.csrf(settings)), ("keep_greyscale", "on")])
                #expect(saved.status == .seeOther && saved.headers[.location] == "/console/settings?saved=1")
                #expect(
                    try await store.user(name: "rev1")?.media == MediaPreference(blurred: false, keepGreyscale: true))
                let after = Self.text(try await rev1.get(client, "/console/settings?saved=1"))
                #expect(
                    after.contains("Settings saved.") && after.contains(#"name="keep_greyscale" value="on" checked"#))
                #expect(!after.contains(#"name="blurred" value="on" checked"#))
                let changed = Self.text(try await rev1.get(client, "/console/cases/\(caseID)"))
                #expect(Self.imageClass(changed) == "unblurred keep-grey")
                #expect(changed.contains("Shown in greyscale"))

                // rev2's page is as it was.
                let other = Self.text(try await rev2.get(client, "/console/cases/\(caseID)"))
                #expect(Self.imageClass(other) == "blurred")
                #expect(try await store.user(name: "rev2")?.media == .standard)

                // Blurred again, and kept greyscale once revealed.
                let back = try await rev1.post(
                    client, "/console/settings",
                    [("csrf", Self.csrf(settings)), ("blurred", "on"), ("keep_greyscale", "on")])
                #expect(back.status == .seeOther)
                let both = Self.text(try await rev1.get(client, "/console/cases/\(caseID)"))
                #expect(Self.imageClass(both) == "blurred keep-grey")
                #expect(both.contains(".media img.keep-grey.revealed"))
                // Nothing the console renders plays by itself.
                #expect(!both.contains("autoplay"))
                let audit = try await store.auditLog(after: 0, limit: 200)
                #expect(audit.filter { $0.action == "user.settings" }.count == 2)
            }
        }
    }
}
