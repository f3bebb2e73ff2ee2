import BulwarkBanks
import BulwarkCore
import BulwarkEntities
import BulwarkMedia
import BulwarkStore
import BulwarkTestSupport
import BulwarkText
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import BulwarkServer

/// The console's entity pages, the case page's entity panel and evidence by kind, the queue's
/// counts over the whole queue, and claiming a case, on both stores.
struct ConsoleEntityTests {
    typealias Browser = ConsoleTests.Browser
    static let now: Int64 = 1_000_000

    static func text(_ r: TestResponse) -> String { ConsoleTests.text(r) }

    static func addUser(_ store: any ModerationStore, _ name: String, _ role: Role) async throws {
        _ = try await store.createUser(
            name: name, role: role,
            passwordHash: try Passwords.hash(ConsoleTests.password, cost: ConsoleTests.testCost), now: 1)
    }

    static func ingestKey(_ store: any ModerationStore) async throws -> String {
        let key = APIKeys.generate()
        _ = try await store.createKey(
            name: "example", role: .ingest, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key), now: 1)
        return key
    }

    static func ingest(_ client: some TestClientProtocol, _ key: String, _ json: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/items", method: .post,
            headers: [.contentType: "application/json", .authorization: "Bearer \(key)"],
            body: ByteBuffer(string: json))
    }

    static func signedIn(_ client: some TestClientProtocol, _ name: String) async throws -> Browser {
        var browser = Browser()
        let r = try await browser.signIn(client, name: name, password: ConsoleTests.password)
        #expect(r.status == .seeOther, "\(name) signs in")
        return browser
    }

    // MARK: Entity pages

    @Test(arguments: Backend.allCases)
    func entityPagesShowAnEntityAndItsConsoleDecisionTakesTheEntityPath(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-entity-pages") { store in try await entityPages(store) }
    }

    func entityPages(_ store: any ModerationStore) async throws {
        try await Self.addUser(store, "rev", .reviewer)
        try await Self.addUser(store, "aud", .auditor)
        let key = try await Self.ingestKey(store)
        let (service, _) = try clockedService(store, start: Self.now)
        try await service.application(logger: Logger(label: "test")).test(.router) { client in
            let item =
                #"{"platform":"example","id":"room-1","author":"acct-7","text":"Supporters of the Islamic State","container":{"id":"c-1","title":"Supporters of the Islamic State","kind":"room","followers":32000}}"#
            #expect(try await Self.ingest(client, key, item).status == .ok)
            let entities = try await store.entities(EntityFilter())
            let room = try #require(entities.first { $0.externalID == "c-1" })
            let account = try #require(entities.first { $0.externalID == "acct-7" })
            let caseID = try #require(try await store.cases(CaseFilter(), now: Self.now).first { $0.itemID != nil }?.id)

            var browser = try await Self.signedIn(client, "rev")
            let list = try await browser.get(client, "/console/entities")
            #expect(list.status == .ok)
            let listed = Self.text(list)
            #expect(
                listed.contains(
                    #"<a href="/console/entities/\#(room.id)"><span dir="auto">Supporters of the Islamic State</span></a>"#
                ))
            #expect(listed.contains(#"<a href="/console/entities/\#(account.id)"><span dir="auto">acct-7</span></a>"#))
            #expect(listed.contains("<td>32000</td>"), "the room's followers")
            #expect(listed.contains("<td>\(String(format: "%.1f", room.risk))</td>"), "the room's risk")
            let accounts = Self.text(try await browser.get(client, "/console/entities?kind=account"))
            #expect(accounts.contains("/console/entities/\(account.id)\""))
            #expect(!accounts.contains("/console/entities/\(room.id)\""), "the kind filter leaves the room out")
            let removedOnly = Self.text(try await browser.get(client, "/console/entities?status=removed"))
            #expect(!removedOnly.contains("/console/entities/\(room.id)\""))
            let any = try await browser.get(client, "/console/entities?kind=&status=")
            #expect(any.status == .ok)
            #expect(Self.text(any).contains("/console/entities/\(room.id)\"") && Self.text(any).contains("/console/entities/\(account.id)\""))
            let unknownStatus = try await browser.get(client, "/console/entities?status=banned")
            #expect(unknownStatus.status == .badRequest)
            #expect(Self.text(unknownStatus).contains("status must be one of"))
            #expect(!Self.text(unknownStatus).contains("/console/entities/\(room.id)\""))
            #expect(!Self.text(unknownStatus).contains("No account or container matches."))
            let unknownKind = try await browser.get(client, "/console/entities?kind=forum")
            #expect(unknownKind.status == .badRequest)
            #expect(Self.text(unknownKind).contains("kind must be one of"))

            let page = try await browser.get(client, "/console/entities/\(room.id)")
            #expect(page.status == .ok)
            let html = Self.text(page)
            #expect(html.contains(#"<h1>Room <span dir="auto">Supporters of the Islamic State</span></h1>"#))
            #expect(html.contains("reach 32000 followers or members"))
            #expect(html.contains("status <strong>active</strong>"))
            let reachPart = try #require(room.riskParts(at: Self.now).first { $0.name == "reach" })
            #expect(
                html.contains(
                    "<tr><td>reach</td><td>\(String(format: "%.2f", reachPart.value))</td><td>peak reach 32000</td></tr>"
                ))
            #expect(
                html.contains(#"<a href="/console/cases/\#(caseID)">case \#(caseID)</a>"#), "its item links to its case"
            )
            #expect(html.contains(#"data-key="r""#), "the actions have keyboard shortcuts")
            #expect(!html.contains(#"value="suspend""#), "suspend is for accounts")
            #expect(
                Self.text(try await browser.get(client, "/console/entities/\(account.id)")).contains(
                    #"value="suspend""#))
            #expect(try await browser.get(client, "/console/entities/999999").status == .notFound)

            let csrf = ConsoleTests.csrf(in: page)
            let uri = "/console/entities/\(room.id)/decisions"
            let forged = try await browser.post(client, uri, [("action", "remove"), ("category", "dissemination")])
            #expect(forged.status == .forbidden)
            // The entity API's own check answers, on the entity's page.
            let wrong = try await browser.post(
                client, uri, [("csrf", csrf), ("action", "suspend"), ("category", "dissemination")])
            #expect(wrong.status == .badRequest)
            #expect(Self.text(wrong).contains("suspend is for accounts"))
            #expect(try await store.entity(id: room.id)?.status == .active)

            let decided = try await browser.post(
                client, uri,
                [
                    ("csrf", csrf), ("action", "remove"), ("category", "dissemination"),
                    ("note", "a room of IS supporters"),
                ])
            #expect(decided.status == .seeOther)
            #expect(decided.headers[.location] == "/console/entities/\(room.id)?decided=1")
            #expect(try await store.entity(id: room.id)?.status == .removed)
            let audit = try await store.auditLog(after: 0, limit: 500)
            #expect(
                audit.contains {
                    $0.action == "entity.decide" && $0.subject == "entity:\(room.id)" && $0.actor == "rev"
                })
            let deliveries = try await store.deliveries(status: nil)
            #expect(
                deliveries.contains {
                    $0.event == "entity_decision" && $0.body.contains(#""id":"c-1""#)
                        && $0.body.contains(#""action":"remove""#)
                        && $0.body.contains(#""reviewer":"rev""#)
                })
            let after = Self.text(try await browser.get(client, try #require(decided.headers[.location])))
            #expect(after.contains("Decision recorded."))
            #expect(after.contains("status <strong>removed</strong>"))
            #expect(after.contains("<td>rev</td><td>remove</td><td>dissemination</td>"))

            // The item's case page shows the room, now removed, with the decision.
            let casePage = Self.text(try await browser.get(client, "/console/cases/\(caseID)"))
            #expect(
                casePage.contains(
                    #"Posted in: <a href="/console/entities/\#(room.id)">Room <span dir="auto">Supporters of the Islamic State</span></a>"#
                ))
            #expect(
                casePage.contains(
                    #"Author: <a href="/console/entities/\#(account.id)">Account <span dir="auto">acct-7</span></a>"#))
            #expect(casePage.contains("status <strong>removed</strong> · reach 32000 followers or members"))
            #expect(casePage.contains("Previous decisions (1), latest first:"))
            #expect(casePage.contains("rev: remove (dissemination)"))

            // An auditor reads the pages but cannot decide.
            var auditor = try await Self.signedIn(client, "aud")
            let read = try await auditor.get(client, "/console/entities/\(room.id)")
            #expect(read.status == .ok)
            #expect(!Self.text(read).contains(#"action="/console/entities/\#(room.id)/decisions""#))
            let refused = try await auditor.post(
                client, uri, [("csrf", ConsoleTests.csrf(in: read)), ("action", "no_violation")])
            #expect(refused.status == .forbidden)
            #expect(try await store.entity(id: room.id)?.status == .removed)
        }
    }

    // MARK: Case page

    @Test(arguments: Backend.allCases)
    func theCasePageShowsLexiconEntriesLinksAndTheBankMatchDistance(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-evidence") { store in try await caseEvidence(store) }
    }

    func caseEvidence(_ store: any ModerationStore) async throws {
        try await Self.addUser(store, "rev", .reviewer)
        let key = try await Self.ingestKey(store)
        let text = "Join the Islamic State: https://propaganda.example.org/watch and https://news.example.com/story"
        // A known text, a listed domain and a bank holding the original of the image sent.
        let normalizer = TextNormalizer()
        var known = KnownTextBank()
        known.add(
            normalizer.normalize(text), entry: KnownTextBank.Entry(id: "kt-1", category: .recruitment, source: "gifct"))
        var links = LinkList()
        let added = links.add("propaganda.example.org,an outlet of IS")
        #expect(added)
        let engine = TextEngine(
            lexicon: try IndicatorLexicon(json: ServerFixtures.bytes("data/lexicon/indicators.json")),
            model: try ClassifierModel(serialized: ServerFixtures.bytes("models/text-classifier.bwtc")),
            knownTexts: known, linkList: links)
        let original = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
        let copy = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/blur-a-little.jpg")
        let bankHash = PDQHasher().hash(try ImageDecoder().decode(original)).hash
        let distance = PDQHasher().hash(try ImageDecoder().decode(copy)).hash.distance(to: bankHash)
        var banks = BankSet()
        _ = try banks.create(Bank(name: "known", labels: ["category:dissemination"]))
        _ = try banks.add(bank: "known", signal: Signal(pdq: bankHash), at: 1)
        // And an animation behind a title card, whose second frame the bank knows.
        let animation = try ServerFixtures.bytes("Tests/BulwarkMediaTests/Fixtures/title-card.gif")
        let secondFrame = PDQHasher().hash(
            try ImageDecoder().decode(ServerFixtures.bytes("Tests/BulwarkMediaTests/Fixtures/title-card.gif.frame-1.ppm")))
        _ = try banks.add(bank: "known", signal: Signal(pdq: secondFrame.hash), at: 1)
        let config = ServerConfiguration(
            port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20, workerPollMilliseconds: 20)
        let service = BulwarkService(
            store: store, engine: engine, configuration: config, banks: banks, clock: { Self.now })
        try await service.application(logger: Logger(label: "test")).test(.live) { client in
            let item = """
                {"platform":"example","id":"post-1","author":"acct-1","text":"\(text)","lang":"en",
                 "urls":["https://mirror.example.net/x"],
                 "container":{"id":"c-9","title":"Lions of the caliphate","kind":"channel","followers":32000},
                 "media":[{"data":"\(Data(copy).base64EncodedString())"},{"data":"\(Data(animation).base64EncodedString())"}]}
                """
            #expect(try await Self.ingest(client, key, item).status == .ok)
            for _ in 0..<200 {
                if try await store.pendingJobCount() == 0 { break }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            let stored = try #require(try await store.item(platform: "example", externalID: "post-1"))
            let caseID = try #require(
                try await store.cases(CaseFilter(), now: Self.now).first { $0.itemID == stored.id }?.id)
            let entities = try await store.entities(EntityFilter())
            let author = try #require(entities.first { $0.externalID == "acct-1" })
            let channel = try #require(entities.first { $0.externalID == "c-9" })

            var browser = try await Self.signedIn(client, "rev")
            let page = try await browser.get(client, "/console/cases/\(caseID)")
            #expect(page.status == .ok)
            let html = Self.text(page)
            // The entity panel.
            #expect(
                html.contains(
                    #"Author: <a href="/console/entities/\#(author.id)">Account <span dir="auto">acct-1</span></a>"#))
            #expect(
                html.contains(
                    #"Posted in: <a href="/console/entities/\#(channel.id)">Channel <span dir="auto">Lions of the caliphate</span></a>"#
                ))
            #expect(html.contains("reach 32000 followers or members"))
            #expect(html.contains("No previous decisions."))
            // The lexicon entry, with its kind, weight and the words it matched.
            #expect(html.contains("<td>org.islamic-state</td><td>organisation</td>"))
            #expect(html.contains("<td>0.50</td>"), "the entry's weight")
            #expect(html.contains(#"<td dir="auto" lang="en">Islamic State</td>"#))
            // The known text.
            #expect(html.contains("<td>same text</td><td>gifct:kt-1</td><td>1.00</td>"))
            // Links: the listed domain, and the unlisted ones, in the text and sent with the item.
            #expect(
                html.contains(
                    #"<td dir="ltr">propaganda.example.org</td><td><strong>listed domain propaganda.example.org: an outlet of IS</strong></td>"#
                ))
            #expect(html.contains(#"<td dir="ltr">news.example.com</td><td>not listed</td>"#))
            #expect(html.contains(#"<td dir="ltr">mirror.example.net</td><td>not listed</td>"#))
            // The image's bank match and its distance.
            #expect(html.contains("<td>image 1</td><td>known</td>"))
            #expect(html.contains("<td>pdq</td><td>\(distance) of 256 bits</td>"))
            // The animation's: matched by its second frame, and said to be an animation.
            #expect(
                html.contains(
                    "<td>image 2<br><small>an animation: its first frame and 2 later frames showing another picture hashed</small></td><td>known</td>"
                ), "\(html)")
            #expect(html.contains("<td>pdq</td><td>0 of 256 bits, frame 2</td>"))
            // Beside the animation's first frame, the frame the bank matched, still.
            let animationID = try #require(try await store.mediaIDs(itemID: stored.id).last)
            #expect(html.contains(#"<img src="/console/media/\#(animationID)?frame=1" class="blurred" alt="Image 2, frame 2: the frame a bank matched">"#))
            #expect(!html.contains(#"?frame=1" class="blurred" alt="Image 1"#))
            let matched = try await browser.get(client, "/console/media/\(animationID)?frame=1")
            #expect(matched.status == .ok && matched.headers[.contentType] == "image/png")
            let shownFrame = try ImageDecoder().decode(Array(matched.body.readableBytesView))
            let pillowFrame = try ImageDecoder().decode(
                ServerFixtures.bytes("Tests/BulwarkMediaTests/Fixtures/title-card.gif.frame-1.ppm"))
            #expect(shownFrame == pillowFrame)
            #expect(try await browser.get(client, "/console/media/\(animationID)?frame=100").status == .badRequest)
            #expect(try await browser.get(client, "/console/media/\(animationID)?frame=-1").status == .badRequest)
            // Nothing the platform sent is put on the page unescaped.
            #expect(!html.contains("<script>alert"))
        }
    }

    // MARK: Queue counts and claims

    @Test(arguments: Backend.allCases)
    func theQueueCountsTheWholeQueueAndAClaimHoldsACaseForOneReviewer(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-counts") { store in try await countsAndClaims(store) }
    }

    static func scanned(_ id: String, language: String, category: Category?, decision: Decision) -> ScannedItem {
        ScannedItem(
            item: NewItem(platform: "example", externalID: id, text: "text of \(id)"), decision: decision,
            score: decision == .none ? 0.1 : 0.6, category: category, context: nil, language: language,
            verdictJSON:
                #"{"id":"\#(id)","decision":"\#(decision.rawValue)","score":0.6,"categories":[],"context":null,"language":"\#(language)","evidence":[]}"#,
            casePriority: decision == .none ? nil : 0.5)
    }

    func countsAndClaims(_ store: any ModerationStore) async throws {
        try await Self.addUser(store, "rev", .reviewer)
        try await Self.addUser(store, "rev2", .reviewer)
        // 150 Arabic incitement cases, 60 English ones without a category, 3 reported French items:
        // 213 open cases, more than the 200 the queue lists; then one English case is decided.
        var items = (0..<150).map { Self.scanned("ar-\($0)", language: "ar", category: .incitement, decision: .review) }
        items += (0..<60).map { Self.scanned("en-\($0)", language: "en", category: nil, decision: .review) }
        items += (0..<3).map { Self.scanned("fr-\($0)", language: "fr", category: nil, decision: .none) }
        let outcomes = try await store.ingest(items, now: Self.now)
        for o in outcomes.suffix(3) {
            _ = try await store.report(
                itemID: o.itemID, reporter: "user-1", trusted: false, reason: "terrorism", text: nil, basePriority: 0.4,
                now: Self.now)
        }
        let english = try #require(outcomes[150].caseID)
        let outcome = try await store.decide(
            caseID: english, reviewer: "lead", decision: NewDecision(action: .noViolation),
            webhookBody: { _, _ in nil }, now: Self.now)
        guard case .decided = outcome else {
            Issue.record("the English case was not decided: \(outcome)")
            return
        }

        let (service, clock) = try clockedService(store, start: Self.now)
        try await service.application(logger: Logger(label: "test")).test(.router) { client in
            var rev = try await Self.signedIn(client, "rev")
            let queue = Self.text(try await rev.get(client, "/console"))
            #expect(queue.contains("212 open cases in the queue"))
            #expect(queue.contains("200 shown below"))
            #expect(queue.contains(#"<a href="/console?source=proactive">proactive</a>: 209"#))
            #expect(queue.contains(#"<a href="/console?source=user_report">user_report</a>: 3"#))
            #expect(queue.contains(#"<a href="/console?language=ar">ar</a>: 150"#))
            #expect(queue.contains(#"<a href="/console?language=en">en</a>: 59"#))
            #expect(queue.contains(#"<a href="/console?language=fr">fr</a>: 3"#))
            #expect(queue.contains(#"<a href="/console?category=incitement">incitement</a>: 150"#))
            #expect(queue.contains("none: 62"))
            // A filter lists only what it names; an empty one is "any"; an unknown one is an
            // error on the page with no cases, not the whole queue passing for a filtered one.
            func caseLinks(_ page: String) -> Int { page.components(separatedBy: #"<a href="/console/cases/"#).count - 1 }
            let incitement = try await rev.get(client, "/console?language=&category=incitement&source=")
            #expect(incitement.status == .ok)
            #expect(caseLinks(Self.text(incitement)) == 150)
            #expect(caseLinks(Self.text(try await rev.get(client, "/console?source=user_report"))) == 3)
            let misspelt = try await rev.get(client, "/console?category=recruitement")
            #expect(misspelt.status == .badRequest)
            #expect(Self.text(misspelt).contains(#"category must be one of incitement, solicitation"#))
            #expect(Self.text(misspelt).contains(#"got &quot;recruitement&quot;"#))
            #expect(caseLinks(Self.text(misspelt)) == 0)
            let badSource = try await rev.get(client, "/console?category=incitement&source=tip")
            #expect(badSource.status == .badRequest)
            #expect(Self.text(badSource).contains("source must be one of"))
            #expect(caseLinks(Self.text(badSource)) == 0)

            let caseID = try #require(outcomes[0].caseID)
            let uri = "/console/cases/\(caseID)/claim"
            let page = try await rev.get(client, "/console/cases/\(caseID)")
            #expect(Self.text(page).contains(#"<form method="post" action="\#(uri)">"#))
            #expect(try await rev.post(client, uri, []).status == .forbidden, "a claim needs the CSRF token")
            #expect(try await store.caseDetail(id: caseID, now: Self.now)?.record.claimedBy == nil)
            let claimed = try await rev.post(client, uri, [("csrf", ConsoleTests.csrf(in: page))])
            #expect(claimed.status == .seeOther)
            #expect(claimed.headers[.location] == "/console/cases/\(caseID)")
            let record = try #require(try await store.caseDetail(id: caseID, now: Self.now)?.record)
            #expect(record.status == .claimed)
            #expect(record.claimedBy == "rev")
            #expect(record.claimUntil == Self.now + service.configuration.claimSeconds)
            let until = CivilDate.isoDateTime(Self.now + service.configuration.claimSeconds)
            let held = Self.text(try await rev.get(client, "/console/cases/\(caseID)"))
            #expect(held.contains("You hold this case until \(until)."))
            #expect(held.contains("Extend my claim"))
            #expect(
                try await store.auditLog(after: 0, limit: 1000).contains {
                    $0.action == "case.claim" && $0.actor == "rev"
                })

            // A second reviewer sees who holds it, cannot take it over, and cannot decide it meanwhile.
            var other = try await Self.signedIn(client, "rev2")
            let seen = try await other.get(client, "/console/cases/\(caseID)")
            let seenHTML = Self.text(seen)
            #expect(seenHTML.contains("Claimed by rev until \(until)"))
            #expect(!seenHTML.contains(#"action="\#(uri)""#), "no claim button while another holds the case")
            let taken = try await other.post(client, uri, [("csrf", ConsoleTests.csrf(in: seen))])
            #expect(taken.status == .conflict)
            #expect(Self.text(taken).contains("Case \(caseID) is claimed by rev until \(until)."))
            let decided = try await other.post(
                client, "/console/cases/\(caseID)/decisions",
                [("csrf", ConsoleTests.csrf(in: seen)), ("action", "no_violation")])
            #expect(decided.status == .conflict)
            #expect(try await store.caseDetail(id: caseID, now: Self.now)?.record.claimedBy == "rev")
            #expect(Self.text(try await other.get(client, "/console")).contains("claimed · rev"))

            // Once the claim runs out, the other reviewer may claim it.
            clock.set(Self.now + service.configuration.claimSeconds + 1)
            let later = try await other.get(client, "/console/cases/\(caseID)")
            #expect(Self.text(later).contains(#"action="\#(uri)""#))
            #expect(try await other.post(client, uri, [("csrf", ConsoleTests.csrf(in: later))]).status == .seeOther)
            #expect(try await store.caseDetail(id: caseID, now: clock.time)?.record.claimedBy == "rev2")
        }
    }
}
