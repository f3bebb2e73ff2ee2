import BulwarkCore
import BulwarkMedia
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

/// The reviewer console over HTTP: sign-in, lock-out, sign-out, CSRF, and a case worked from the
/// queue to a decision through the console's form.
struct ConsoleTests {
    static let password = "correct horse battery staple"
    /// A cheap scrypt cost (2^10) so the tests stay fast; the parameters travel with the hash.
    static let testCost = Passwords.Cost(logN: 10)

    /// A browser's state, as far as these tests need it: the cookies it holds.
    struct Browser {
        var cookies: [String: String] = [:]

        var cookieHeader: String { cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }

        mutating func keep(_ response: TestResponse) {
            for field in response.headers where field.name == .setCookie {
                let pair = field.value.split(separator: ";")[0].split(
                    separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let value = pair.count == 2 ? String(pair[1]) : ""
                if value.isEmpty || field.value.contains("Max-Age=0") {
                    cookies[String(pair[0])] = nil
                } else {
                    cookies[String(pair[0])] = value
                }
            }
        }

        mutating func get(_ client: some TestClientProtocol, _ uri: String) async throws -> TestResponse {
            let r = try await client.execute(uri: uri, method: .get, headers: [.cookie: cookieHeader])
            keep(r)
            return r
        }

        mutating func post(_ client: some TestClientProtocol, _ uri: String, _ fields: [(String, String)]) async throws
            -> TestResponse
        {
            let allowed = CharacterSet.alphanumerics
            let body = fields.map {
                "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
            }.joined(separator: "&")
            let r = try await client.execute(
                uri: uri, method: .post,
                headers: [.cookie: cookieHeader, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: body))
            keep(r)
            return r
        }

        /// Opens the sign-in form and sends it.
        mutating func signIn(_ client: some TestClientProtocol, name: String, password: String) async throws
            -> TestResponse
        {
            let form = try await get(client, "/login")
            #expect(form.status == .ok)
            return try await post(
                client, "/login", [("csrf", csrf(in: form)), ("name", name), ("password", password)])
        }
    }

    static func text(_ r: TestResponse) -> String { String(buffer: r.body) }

    /// The CSRF token a page's form carries.
    static func csrf(in r: TestResponse) -> String {
        let page = text(r)
        guard let range = page.range(of: #"name="csrf" value=""#) else { return "" }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test(arguments: Backend.allCases)
    func signInSetsAStrictSessionCookieAndSignOutEndsIt(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-signin") { store in
            _ = try await store.createUser(
                name: "rev", role: .reviewer, passwordHash: try Passwords.hash(Self.password, cost: Self.testCost),
                now: 1)
            let (service, _) = try clockedService(store, start: 1_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                var browser = Browser()
                let anonymous = try await browser.get(client, "/console")
                #expect(anonymous.status == .seeOther)
                #expect(anonymous.headers[.location] == "/login")

                let signedIn = try await browser.signIn(client, name: "rev", password: Self.password)
                #expect(signedIn.status == .seeOther)
                #expect(signedIn.headers[.location] == "/console")
                let cookie = try #require(
                    signedIn.headers[values: .setCookie].first { $0.hasPrefix("__Host-bulwark_session=") })
                for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
                    #expect(cookie.contains(attribute), "\(attribute) missing from \(cookie)")
                }
                let token = try #require(browser.cookies["__Host-bulwark_session"])
                #expect(token.count == 64)

                let queue = try await browser.get(client, "/console")
                #expect(queue.status == .ok)
                #expect(Self.text(queue).contains("<h1>Queue</h1>"))
                #expect(
                    queue.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)

                // Sign-out is a POST: without the session's CSRF token it is refused.
                let forged = try await browser.post(client, "/logout", [("csrf", "0")])
                #expect(forged.status == .forbidden)
                #expect(try await browser.get(client, "/console").status == .ok)

                let out = try await browser.post(client, "/logout", [("csrf", Self.csrf(in: queue))])
                #expect(out.status == .seeOther)
                #expect(out.headers[.location] == "/login")
                #expect(browser.cookies["__Host-bulwark_session"] == nil)
                // The old token no longer works, even if a copy of the cookie was kept.
                var stale = Browser()
                stale.cookies["__Host-bulwark_session"] = token
                #expect(try await stale.get(client, "/console").status == .seeOther)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func wrongPasswordsLockTheAccountForFifteenMinutes(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-lockout") { store in
            _ = try await store.createUser(
                name: "rev", role: .reviewer, passwordHash: try Passwords.hash(Self.password, cost: Self.testCost),
                now: 1)
            let (service, clock) = try clockedService(store, start: 1_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                var browser = Browser()
                // The sign-in form without its double-submit cookie is refused (login CSRF).
                let form = try await browser.get(client, "/login")
                browser.cookies = [:]
                let noCookie = try await browser.post(
                    client, "/login", [("csrf", Self.csrf(in: form)), ("name", "rev"), ("password", Self.password)])
                #expect(noCookie.status == .forbidden)

                // An unknown name and a wrong password answer alike.
                let unknown = try await browser.signIn(client, name: "nobody", password: Self.password)
                #expect(unknown.status == .unauthorized)
                #expect(Self.text(unknown).contains("Wrong name or password."))
                for attempt in 1...4 {
                    let wrong = try await browser.signIn(client, name: "rev", password: "wrong \(attempt)")
                    #expect(wrong.status == .unauthorized)
                }
                let fifth = try await browser.signIn(client, name: "rev", password: "wrong 5")
                #expect(fifth.status == .tooManyRequests)
                #expect(fifth.headers[.retryAfter] == "900")
                // Locked: even the right password is refused, and no session is made.
                let right = try await browser.signIn(client, name: "rev", password: Self.password)
                #expect(right.status == .tooManyRequests)
                #expect(browser.cookies["__Host-bulwark_session"] == nil)
                let user = try #require(try await store.user(name: "rev"))
                #expect(user.lockedUntil == Int64(1_000_900))

                clock.set(1_000_000 + 901)
                let after = try await browser.signIn(client, name: "rev", password: Self.password)
                #expect(after.status == .seeOther)
                #expect(try await store.user(name: "rev")?.failedAttempts == 0)
                let actions = try await store.auditLog(after: 0, limit: 100).map(\.action)
                #expect(actions.contains("user.locked"))
                #expect(actions.contains("user.sign_in"))
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func aReviewerWorksACaseFromTheQueueToADecision(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-case") { store in
            _ = try await store.createUser(
                name: "rev", role: .reviewer, passwordHash: try Passwords.hash(Self.password, cost: Self.testCost),
                now: 1)
            let ingestKey = APIKeys.generate()
            _ = try await store.createKey(
                name: "example", role: .ingest, prefix: APIKeys.prefix(ingestKey), hash: APIKeys.hash(ingestKey), now: 1
            )
            let (service, _) = try clockedService(store, start: 1_000_000)
            try await service.application(logger: Logger(label: "test")).test(.router) { client in
                let image = try ServerFixtures.bytes("../shared/data/pdq/bridge-mods/aaa-orig.jpg")
                let gif = try ServerFixtures.bytes("Tests/BulwarkMediaTests/Fixtures/animated.gif")
                let item =
                    #"{"platform":"example","id":"room-1","text":"Supporters of the Islamic State","container":{"id":"c-1","title":"Supporters of the Islamic State","followers":32000},"media":[{"data":"\#(Data(image).base64EncodedString())"},{"data":"\#(Data(gif).base64EncodedString())"}]}"#
                let ingested = try await client.execute(
                    uri: "/v1/items", method: .post,
                    headers: [.contentType: "application/json", .authorization: "Bearer \(ingestKey)"],
                    body: ByteBuffer(string: item))
                #expect(ingested.status == .ok)
                let open = try await store.cases(CaseFilter(), now: 1_000_000)
                let caseID = try #require(open.first?.id)

                var browser = Browser()
                #expect(try await browser.signIn(client, name: "rev", password: Self.password).status == .seeOther)
                let queue = try await browser.get(client, "/console")
                #expect(Self.text(queue).contains("href=\"/console/cases/\(caseID)\""))

                let page = try await browser.get(client, "/console/cases/\(caseID)")
                #expect(page.status == .ok)
                let html = Self.text(page)
                #expect(html.contains(#"dir="auto""#))
                #expect(html.contains("<mark"), "the evidence is highlighted in the text")
                #expect(html.contains("<li>term: raised violating: "), "the words the classifier's score rests on")
                #expect(html.contains("How the classifier weighs the words now"))
                #expect(html.contains("<li>raised: <span dir=\"auto\""), "every word both ways")
                #expect(html.contains(">State +"), "the strongest word first")
                #expect(html.contains(#"data-key="r""#), "the actions have keyboard shortcuts")
                let csrf = Self.csrf(in: page)
                #expect(csrf.count == 64)
                // The item's image: on the page blurred and greyscale (revealed by a click), served to a signed-in reader only.
                #expect(html.contains(".media img{filter:blur(24px) grayscale(1)"))
                let src = try #require(html.range(of: #"<img src="/console/media/"#))
                let mediaURI = "/console/media/" + html[src.upperBound...].prefix { $0 != "\"" }
                let served = try await browser.get(client, mediaURI)
                #expect(served.status == .ok)
                #expect(served.headers[.contentType] == "image/jpeg")
                #expect(served.body.readableBytes == image.count)
                // The GIF, an animation, is served still: its first frame as a PNG.
                #expect(html.contains("a moving image as its first frame, never played"))
                let rest = html[src.upperBound...]
                let second = try #require(rest.range(of: #"<img src="/console/media/"#))
                let gifURI = "/console/media/" + rest[second.upperBound...].prefix { $0 != "\"" }
                let still = try await browser.get(client, gifURI)
                #expect(still.status == .ok && still.headers[.contentType] == "image/png")
                let frame = try ImageDecoder().decode(Array(still.body.readableBytesView))
                let first = try ImageDecoder().decode(gif)
                let same = frame == first
                #expect(same, "the GIF's first frame")
                var anonymous = Browser()
                #expect(try await anonymous.get(client, mediaURI).status == .seeOther)

                let category = open.first?.category?.rawValue ?? Category.dissemination.rawValue
                // Without the CSRF token nothing is decided.
                let forged = try await browser.post(
                    client, "/console/cases/\(caseID)/decisions", [("action", "remove"), ("category", category)])
                #expect(forged.status == .forbidden)
                #expect(try await store.caseDetail(id: caseID, now: 1_000_000)?.decisions.isEmpty == true)

                // A restricting action without a category is answered on the case page.
                let incomplete = try await browser.post(
                    client, "/console/cases/\(caseID)/decisions",
                    [("csrf", csrf), ("action", "remove"), ("category", "")])
                #expect(incomplete.status == .badRequest)
                #expect(Self.text(incomplete).contains("needs the policy category"))

                // A geo-block names its countries; one that names none, or one outside the EU/EEA, is answered on the page.
                #expect(html.contains(#"<input id="countries" name="countries""#))
                let nowhere = try await browser.post(
                    client, "/console/cases/\(caseID)/decisions", [("csrf", csrf), ("action", "geo_block"), ("category", category)])
                #expect(nowhere.status == .badRequest && Self.text(nowhere).contains("a geo_block names the EU/EEA countries"))
                let abroad = try await browser.post(
                    client, "/console/cases/\(caseID)/decisions",
                    [("csrf", csrf), ("action", "geo_block"), ("category", category), ("countries", "de, us")])
                #expect(abroad.status == .badRequest && Self.text(abroad).contains("&quot;US&quot; is not an EU/EEA country code"))
                #expect(try await store.caseDetail(id: caseID, now: 1_000_000)?.decisions.isEmpty == true)

                let decided = try await browser.post(
                    client, "/console/cases/\(caseID)/decisions",
                    [("csrf", csrf), ("action", "geo_block"), ("category", category), ("countries", "de, at"), ("note", "praise of IS")])
                #expect(decided.status == .seeOther)
                #expect(decided.headers[.location] == "/console?decided=\(caseID)")

                let detail = try #require(try await store.caseDetail(id: caseID, now: 1_000_000))
                #expect(detail.record.status == .decided)
                #expect(detail.decisions.map(\.reviewer) == ["rev"])
                #expect(detail.decisions.first?.action == .geoBlock && detail.decisions.first?.countries == ["AT", "DE"])
                #expect(detail.decisions.first?.note == "praise of IS")
                #expect(Self.text(try await browser.get(client, "/console/cases/\(caseID)")).contains("rev: geo_block in AT, DE"))
                // The platform's webhook is queued, as for a decision through the API.
                let deliveries = try await store.deliveries(status: nil)
                #expect(deliveries.contains {
                    $0.body.contains("\"geo_block\"") && $0.body.contains(#""countries":["AT","DE"]"#) && $0.body.contains("room-1")
                })
                let after = try await browser.get(client, try #require(decided.headers[.location]))
                #expect(Self.text(after).contains("Case \(caseID) decided."))
            }
        }
    }

    @Test func evidenceSpansCountUnicodeScalarsAndMerge() {
        let spans = [
            ConsoleVerdict.Span(start: 2, end: 5, why: "a"), ConsoleVerdict.Span(start: 4, end: 7, why: "b"),
            ConsoleVerdict.Span(start: 50, end: 60, why: "out of range"),
        ]
        let segments = ConsoleVerdict.segments("ab😀دولة x", spans)
        #expect(segments.map { $0["text"] as? String } == ["ab", "😀دولة", " x"])
        #expect(segments.map { $0["hit"] as? Bool } == [false, true, false])
    }
}
