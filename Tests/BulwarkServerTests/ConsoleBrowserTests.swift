import BulwarkCore
import BulwarkEntities
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

@testable import BulwarkServer

/// The console in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`)
/// over WebDriver, against `bulwark serve`'s application on a loopback port, with the platform's
/// webhook receiver on another. Nothing is mocked: the cookie rules, the CSP, the scripts, the CSS
/// and the keyboard are the browser's own.
@Suite(.enabled(if: WebDriver.enabled, "needs chromium and chromium-driver (scripts/test.sh installs them)"))
struct ConsoleBrowserTests {
    static let password = "correct horse battery staple"

    /// The sample of `examples/sample.jsonl` (its valid lines) as the platform sends it, with an
    /// author and a room for some, and an image on the Arabic post.
    static func sampleItems(image: [UInt8]) throws -> [String] {
        let text = try String(contentsOfFile: ServerFixtures.root + "/examples/sample.jsonl", encoding: .utf8)
        var items: [String] = []
        for line in text.split(separator: "\n") {
            guard var object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                continue  // line 13 is malformed on purpose
            }
            object["platform"] = "example"
            let id = object["id"] as? String ?? ""
            object["author"] = "acct-\(id.hasSuffix("3") || id.hasSuffix("6") ? "17" : id)"
            // Two items that name the group too, so that evidence is marked in the text.
            if id == "ex-06" {
                object["text"] = "باقية وتتمدد، انضموا إلى جنود الخلافة ونصرة الدولة الإسلامية #باقية_وتتمدد"
                object["media"] = [["data": Data(image).base64EncodedString()]]
                object["container"] = ["id": "room-9", "title": "أنصار الدولة", "followers": 18_400]
            }
            if id == "ex-07" {
                object["text"] =
                    "Que Alá acepte a nuestro hermano del Estado Islámico, su operación de martirio fue un regalo. Así se responde a los infieles 🏴"
            }
            if ["ex-02", "ex-03", "ex-11", "ex-16"].contains(id) {
                object["container"] = ["id": "room-2", "title": "Supporters of the Islamic State", "followers": 32_000]
            }
            items.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        }
        return items
    }

    /// The console running on a loopback port, with what the tests look at.
    struct LiveConsole: Sendable {
        var base: String
        var store: any ModerationStore
        var receiver: Receiver
        /// A removal order of the sample's `ex-14`, and the provider's appeal of its removal.
        var orderID: Int
        var appealID: Int
    }

    static let order = #"""
        {"authority":"Example National Authority","reference":"RO-2026-0107","legal_basis":"Regulation (EU) 2021/784, Article 3",
         "reasons":"The item solicits support for a terrorist group.","category":"solicitation",
         "items":[{"platform":"example","id":"ex-14"}]}
        """#

    /// A store with people of each console role and the sample ingested, a removal order and an
    /// appeal, the service live on a loopback port and the platform's receiver on another.
    static func withLiveConsole(
        _ backend: Backend, _ name: String, _ body: @Sendable (LiveConsole) async throws -> Void
    ) async throws {
        try await withServerStore(backend, name) { store in
            for (user, role) in [("rev", Role.reviewer), ("lead", .lead), ("auditor", .auditor), ("admin", .admin)] {
                _ = try await store.createUser(
                    name: user, role: role, passwordHash: try Passwords.hash(password, cost: ConsoleTests.testCost),
                    now: 1)
            }
            let keys = try await makeKeys(store, [.ingest, .authority])
            let receiver = Receiver()
            let receiverApp = Application(
                router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await receiverApp.test(.live) { receiverClient in
                try await store.setSetting(
                    "webhook.url", "http://127.0.0.1:\(receiverClient.port!)/hook", actor: "test", now: 1)
                try await store.setSetting("webhook.secret", "s3cret", actor: "test", now: 1)
                let config = ServerConfiguration(port: 0, webhookInitialBackoff: 0, workerPollMilliseconds: 20)
                let service = BulwarkService(
                    store: store, engine: try ServerFixtures.engine.get(), configuration: config)
                try await service.application(logger: Logger(label: "test")).test(.live) { client in
                    let image = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
                    for item in try sampleItems(image: image) {
                        let (status, answer) = try await call(client, keys, .post, "/v1/items", .ingest, item)
                        #expect(status == .ok, "\(answer)")
                    }
                    let (ordered, order) = try await call(client, keys, .post, "/v1/removal-orders", .authority, order)
                    #expect(ordered == .created, "\(order)")
                    let (appealed, appeal) = try await call(
                        client, keys, .post, "/v1/appeals", .ingest,
                        #"{"platform":"example","id":"ex-14","appellant":"u-5d21","reason":"A fundraiser for a hospital, not for fighters."}"#
                    )
                    #expect(appealed == .created, "\(appeal)")
                    try await body(
                        LiveConsole(
                            base: "http://127.0.0.1:\(client.port!)", store: store, receiver: receiver,
                            orderID: try #require(order["id"] as? Int), appealID: try #require(appeal["id"] as? Int)))
                }
            }
        }
    }

    /// The open case of the sample item `externalID`.
    static func caseID(_ store: any ModerationStore, item externalID: String) async throws -> Int64 {
        let item = try #require(try await store.item(platform: "example", externalID: externalID))
        let open = try await store.cases(CaseFilter(limit: 500), now: Int64(Date().timeIntervalSince1970))
        return try #require(open.first { $0.itemID == item.id }?.id, "no open case for \(externalID)")
    }

    /// Signs in with the keyboard alone: the name field has the focus, Tab to the password, Enter.
    static func signIn(_ browser: WebDriver, _ base: String, as name: String) async throws {
        try await browser.go(base + "/login")
        #expect(try await browser.execute("return document.activeElement.id;") as? String == "name")
        try await browser.press(name + WebDriver.Key.tab + password + WebDriver.Key.enter)
        try await browser.wait("the queue after signing in", until: "return location.pathname === '/console';")
    }

    @Test(arguments: Backend.allCases)
    func aReviewerWorksACaseFromTheQueueToADecisionWithTheKeyboard(_ backend: Backend) async throws {
        try await Self.withLiveConsole(backend, "browser-case") { console in
            let (base, store, receiver) = (console.base, console.store, console.receiver)
            let caseID = try await Self.caseID(store, item: "ex-06")
            try await WebDriver.withBrowser { browser in
                // Without a session the console sends the browser to the sign-in page.
                try await browser.go(base + "/console")
                #expect(try await browser.currentURL().hasSuffix("/login"))
                try await Self.signIn(browser, base, as: "rev")

                // The queue links the case; a click opens it.
                try await browser.click(try await browser.find("a[href='/console/cases/\(caseID)']"))
                try await browser.wait("the case page", until: "return location.pathname === '/console/cases/\(caseID)';")

                // Arabic runs right to left, and the evidence is marked in place.
                let text = """
                    var t = document.querySelector('.text');
                    return [getComputedStyle(t).direction, t.getAttribute('lang'), t.querySelectorAll('mark').length];
                    """
                let shown = try await browser.execute(text) as? [Any] ?? []
                #expect(shown.first as? String == "rtl")
                #expect(shown.dropFirst().first as? String == "ar")
                #expect((shown.last as? Int ?? 0) >= 1, "evidence marked in the text")

                // The image has loaded, and is blurred and greyscale until clicked.
                try await browser.wait(
                    "the image", until: "var i = document.querySelector('.media img'); return i.complete && i.naturalWidth > 0;")
                let filter = "return getComputedStyle(document.querySelector('.media img')).filter;"
                let before = try await browser.execute(filter) as? String ?? ""
                #expect(before.contains("blur(") && before.contains("grayscale(1)"), "\(before)")
                try await browser.click(try await browser.find(".media button"))
                #expect(try await browser.execute(filter) as? String == "none")

                // Decide with the keyboard: r chooses Remove, Ctrl+Enter sends the form.
                try await browser.press("r")
                #expect(try await browser.execute("return document.querySelector('input[value=remove]').checked;") as? Bool == true)
                try await browser.press(WebDriver.Key.enter, holding: WebDriver.Key.control)
                try await browser.wait("the queue after the decision", until: "return location.search.indexOf('decided=\(caseID)') >= 0;")
                #expect(try await browser.execute("return document.querySelector('[role=status]').textContent;") as? String == "Case \(caseID) decided.")
                #expect(try await browser.findAll("a[href='/console/cases/\(caseID)']").isEmpty, "a decided case leaves the queue")
            }

            // The decision is stored under the reviewer's name and the platform has its webhook.
            let detail = try #require(try await store.caseDetail(id: caseID, now: Int64(Date().timeIntervalSince1970)))
            #expect(detail.record.status == .decided)
            #expect(detail.decisions.map(\.reviewer) == ["rev"] && detail.decisions.first?.action == .remove)
            let deadline = ContinuousClock.now + .seconds(10)
            var hooks: [Receiver.Received] = []
            while ContinuousClock.now < deadline {
                hooks = receiver.received.withLock { $0 }.filter { $0.body.contains(#""id":"ex-06""#) }
                if !hooks.isEmpty { break }
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            let hook = try #require(hooks.first, "the platform's webhook for the decision")
            #expect(hook.body.contains(#""action":"remove""#))
            #expect(!hook.signature.isEmpty && !hook.deliveryID.isEmpty)
        }
    }

    /// Every console page passes axe-core's WCAG 2 A/AA rules (labels, contrast, names, landmarks'
    /// structure, language), and a Spanish case runs left to right. With `BULWARK_SCREENSHOTS_DIR`
    /// set (`scripts/screenshots.sh`), the pages are saved there as PNG.
    @Test func everyPagePassesAnAccessibilityCheck() async throws {
        let screenshots = ProcessInfo.processInfo.environment["BULWARK_SCREENSHOTS_DIR"]
        try await Self.withLiveConsole(.sqlite, "browser-a11y") { console in
            let (base, store) = (console.base, console.store)
            let arabic = try await Self.caseID(store, item: "ex-06")
            let spanish = try await Self.caseID(store, item: "ex-07")
            let rooms = try await store.entities(EntityFilter(limit: 100))
            let room = try #require(rooms.first { $0.externalID == "room-2" }, "the sample's room")
            let pages: [(name: String, path: String)] = [
                ("entities", "/console/entities"), ("entity", "/console/entities/\(room.id)"),
                ("queue", "/console"), ("case-arabic", "/console/cases/\(arabic)"),
                ("case-spanish", "/console/cases/\(spanish)"), ("orders", "/console/orders"),
                ("order", "/console/orders/\(console.orderID)"), ("appeals", "/console/appeals"),
                ("appeal", "/console/appeals/\(console.appealID)"), ("transparency", "/console/transparency"),
                ("audit", "/console/audit"), ("banks", "/console/banks"), ("jobs", "/console/jobs?status=all"),
                ("settings", "/console/settings"),
                ("item", "/console/items?platform=example&id=ex-01"),
            ]
            // The pages a lead decides on, with their forms, are checked and shot as the lead.
            let deciding: Set<String> = ["queue", "case-arabic", "case-spanish", "entity", "appeal"]
            try await WebDriver.withBrowser { browser in
                func check(_ page: (name: String, path: String), screenshot: Bool) async throws {
                    try await browser.go(base + page.path)
                    #expect(try await browser.execute("return document.title;") as? String != "Not allowed · Bulwark")
                    #expect(try await browser.execute("return document.querySelectorAll('[autoplay]').length;") as? Int == 0)
                    let found = try await browser.accessibilityViolations()
                    #expect(found.isEmpty, "\(page.path): \(found.joined(separator: "; "))")
                    if let screenshots, screenshot {
                        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
                        try await browser.fullPageScreenshot().write(
                            to: URL(fileURLWithPath: "\(screenshots)/\(page.name).png"))
                    }
                }
                try await check(("login", "/login"), screenshot: false)
                // An administrator may read every page; a lead sees the decision forms.
                try await Self.signIn(browser, base, as: "admin")
                for page in pages { try await check(page, screenshot: !deciding.contains(page.name)) }
                try await browser.click(try await browser.find("header form button"))
                try await browser.wait("the sign-in page", until: "return location.pathname === '/login';")
                try await Self.signIn(browser, base, as: "lead")
                for page in pages where deciding.contains(page.name) {
                    try await check(page, screenshot: true)
                    if page.name != "queue" {
                        let fields = try await browser.findAll("form[method=post] textarea, form[method=post] input[type=radio]")
                        #expect(!fields.isEmpty, "\(page.path) has its decision form")
                    }
                }
                try await browser.go(base + "/console/cases/\(spanish)")
                let direction = "var t = document.querySelector('.text'); return [getComputedStyle(t).direction, t.getAttribute('lang')];"
                #expect(try await browser.execute(direction) as? [String] == ["ltr", "es"])
            }
        }
    }
}
