import BulwarkCore
import BulwarkMedia
import BulwarkMediaProcess
import BulwarkStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The reviewer console: server-rendered pages for people, who sign in with a name and a
/// password (API keys stay for machines).
///
/// Sessions: a random 256-bit token in a cookie; the store keeps only its SHA-256. The cookie is
/// `__Host-bulwark_session` with `Secure; HttpOnly; SameSite=Strict; Path=/`: browsers accept
/// `Secure` cookies from `http://localhost` (a secure context), so `bulwark serve` on loopback
/// works as it is; anywhere else the console must be served over TLS (a reverse proxy), or the
/// browser drops the cookie and nobody can sign in, which is the safe way to fail.
///
/// CSRF: every console POST carries a `csrf` form field. Signed in, it must equal the session's
/// token; the sign-in form itself uses a double-submit cookie (`__Host-bulwark_login`), so a
/// foreign page cannot sign a reviewer in to another account.
enum ConsoleSettings {
    /// Open copies of a case's text linked on its page (all of them are counted).
    static let copiesListed = 20
    static let sessionCookie = "__Host-bulwark_session"
    static let loginCookie = "__Host-bulwark_login"
    /// A working day.
    static let sessionSeconds: Int64 = 8 * 3600
    static let maxFailedSignIns = 5
    static let lockSeconds: Int64 = 15 * 60
    static let readers: Set<Role> = [.reviewer, .lead, .admin, .auditor]
    /// How many of the newest items the queue's item search reads its platforms from.
    static let platformsFromRecentItems = 1_000
    static let deciders: Set<Role> = [.reviewer, .lead]
    /// Who sees an item's referrals to law enforcement on its case page (only leads make them).
    static let referralReaders: Set<Role> = [.lead, .auditor, .admin]
    /// Words a case page lists each way under "How the classifier weighs the words now".
    static let weighedWords = 6
    /// The actions the case form offers, with their keyboard shortcuts.
    static let actions: [(ModerationAction, String, String)] = [
        (.remove, "Remove", "r"), (.restrictVisibility, "Restrict visibility", "v"), (.geoBlock, "Geo-block", "g"),
        (.noViolation, "No violation", "n"), (.escalate, "Escalate", "e"),
    ]
}

extension BulwarkService {
    func addConsoleRoutes(_ router: Router<BulwarkRequestContext>) {
        router.get("/login") { request, _ -> Response in
            if try await consoleSession(request) != nil { return redirect("/console") }
            return loginPage(error: nil, status: .ok)
        }

        router.post("/login") { request, _ -> Response in
            let form = Self.form(try await self.body(request))
            guard let cookie = request.cookies[ConsoleSettings.loginCookie]?.value, !cookie.isEmpty,
                Self.sameToken(form["csrf"] ?? "", cookie)
            else {
                return loginPage(error: "The sign-in form had expired. Please try again.", status: .forbidden)
            }
            let name = form["name"] ?? ""
            let password = form["password"] ?? ""
            let now = clock()
            guard let user = try await store.user(name: name), user.disabledAt == nil else {
                Passwords.verifyNothing(password)
                return loginPage(error: "Wrong name or password.", status: .unauthorized)
            }
            if let until = user.lockedUntil, until > now {
                return lockedPage(until: until, now: now)
            }
            guard Passwords.verify(password, against: user.passwordHash) else {
                let after = try await store.recordFailedSignIn(
                    userID: user.id, maxAttempts: ConsoleSettings.maxFailedSignIns,
                    lockSeconds: ConsoleSettings.lockSeconds, now: now)
                if let until = after?.lockedUntil, until > now { return lockedPage(until: until, now: now) }
                return loginPage(error: "Wrong name or password.", status: .unauthorized)
            }
            let token = Self.randomToken()
            try await store.startSession(
                userID: user.id, tokenHash: SHA256.hex(Array(token.utf8)), csrfToken: Self.randomToken(),
                expiresAt: now + ConsoleSettings.sessionSeconds, now: now)
            return redirect(
                "/console",
                cookies: [
                    Self.cookie(ConsoleSettings.sessionCookie, token, maxAge: ConsoleSettings.sessionSeconds),
                    Self.cookie(ConsoleSettings.loginCookie, "", maxAge: 0),
                ])
        }

        router.post("/logout") { request, _ -> Response in
            try await consoleForm(request, allowed: nil) { session, form in
                _ = try await store.endSession(tokenHash: session.tokenHash, now: clock())
                return redirect("/login", cookies: [Self.cookie(ConsoleSettings.sessionCookie, "", maxAge: 0)])
            }
        }

        router.get("/console") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.readers.contains(session.user.role) else { return forbiddenPage(session) }
            let (page, status) = try await queuePage(request, session)
            return html(page, status: status)
        }

        router.get("/console/cases/:id") { request, context -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.readers.contains(session.user.role) else { return forbiddenPage(session) }
            let id = try context.parameters.require("id", as: Int64.self)
            guard let page = try await casePage(id: id, session: session, error: nil) else {
                return messagePage(session, "No such case", "There is no case \(id).", status: .notFound)
            }
            return html(page, status: .ok)
        }

        // An item by the platform's id (the queue's search form): its case page, or, when no case
        // was opened, the item with the engine's verdict.
        router.get("/console/items") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.readers.contains(session.user.role) else { return forbiddenPage(session) }
            let form = QueryReader.formFields(request)
            guard let platform = form["platform"], !platform.isEmpty, let id = form["id"], !id.isEmpty else {
                return messagePage(session, "Find an item", "Give the platform and the item's id.", status: .badRequest)
            }
            guard platform.utf8.count <= Self.maxPlatformBytes, id.utf8.count <= Self.maxItemIDBytes else {
                return messagePage(
                    session, "Find an item",
                    "A platform is at most \(Self.maxPlatformBytes) bytes and an item id at most \(Self.maxItemIDBytes).",
                    status: .badRequest)
            }
            guard let item = try await store.item(platform: platform, externalID: id) else {
                return messagePage(
                    session, "No such item", "There is no item \(platform) / \(id): the platform never sent it to Bulwark.",
                    status: .notFound)
            }
            if let caseID = try await store.caseID(ofItem: item.id) { return redirect("/console/cases/\(caseID)") }
            let verdict = ConsoleVerdict(json: item.verdictJSON)
            let object: [String: Any] = [
                "title": "Item \(item.platform) / \(item.externalID)", "user": userObject(session),
                "platform": item.platform, "externalID": item.externalID, "received": CivilDate.isoDateTime(item.receivedAt),
                "standing": ItemStanding.active.rawValue, "decision": item.decision.rawValue,
                "score": String(format: "%.2f", item.score), "language": item.language, "text": item.text,
                "evidence": verdict.evidence, "hasEvidence": !verdict.evidence.isEmpty,
            ]
            return html(ConsoleTemplates.render("item", object), status: .ok)
        }

        // An item's image for the case page, which shows it blurred and greyscale until clicked.
        router.get("/console/media/:id") { request, context -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.readers.contains(session.user.role) else { return forbiddenPage(session) }
            let id = try context.parameters.require("id", as: Int64.self)
            guard let bytes = try await store.mediaBytes(id: id), !bytes.isEmpty else {
                return messagePage(
                    session, "No such image", "There is no image \(id), or it was purged.", status: .notFound)
            }
            // Still, whatever the format: a GIF or an animated PNG as its first frame (a PNG); an
            // animated WebP, or anything a browser should not show, as bytes it does not render.
            // `?frame=n` (0 ... maxMediaFrames - 1): frame n of an animation, as a PNG (the frame a
            // bank matched, linked from the case page).
            let frame = request.uri.queryParameters.get("frame", as: Int.self) ?? 0
            guard (0..<max(1, configuration.maxMediaFrames)).contains(frame) else {
                return messagePage(
                    session, "No such frame", "frame must be 0 to \(max(1, configuration.maxMediaFrames) - 1).",
                    status: .badRequest)
            }
            let type: String
            var body = bytes
            let display: StillImage.Display
            do {
                display = try await stills.display(mediaID: id, bytes: bytes, frame: frame)
            } catch let busy as ConsoleStills.Busy {
                var page = messagePage(
                    session, "Busy",
                    "\(busy.inHand) still images are being made or waiting, the most the console holds: try again in a few seconds.",
                    status: .serviceUnavailable)
                page.headers[.retryAfter] = "2"
                return page
            }
            switch display {
            case .asIs(let format): type = "image/" + format.rawValue
            case .png(let png):
                type = "image/png"
                body = png
            case .notShown: type = "application/octet-stream"
            }
            let headers: HTTPFields = [
                .contentType: type, .cacheControl: "private, no-store",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; sandbox",
            ]
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }

        router.post("/console/cases/:id/decisions") { request, context -> Response in
            try await consoleForm(request, allowed: ConsoleSettings.deciders) { session, form in
                let id = try context.parameters.require("id", as: Int64.self)
                do {
                    let payload = try Self.decisionPayload(form)
                    let result = try await recordCaseDecision(id: id, reviewer: session.user.name, payload)
                    if case .item(_, _, let copies?) = result {
                        return redirect("/console?decided=\(id)&copies=\(copies.decided.count)")
                    }
                    return redirect("/console?decided=\(id)")
                } catch let error as APIError {
                    let page = try await casePage(id: id, session: session, error: error.message)
                    return html(page ?? "", status: error.status)
                }
            }
        }

        // A lead's referral of the case's item to law enforcement (TCO Article 14(5)).
        router.post("/console/cases/:id/referrals") { request, context -> Response in
            try await consoleForm(request, allowed: [.lead]) { session, form in
                let id = try context.parameters.require("id", as: Int64.self)
                guard let itemID = try await store.caseDetail(id: id, now: clock())?.item?.id else {
                    return messagePage(session, "No such case", "There is no case \(id) with an item.", status: .notFound)
                }
                do {
                    let state = form["member_state"] ?? ""
                    _ = try await refer(
                        itemID: itemID, authority: form["authority"] ?? "", memberState: state.isEmpty ? nil : state,
                        grounds: form["grounds"] ?? "", attested: form["imminent_threat_to_life"] == "true", by: session.user.name)
                    return redirect("/console/cases/\(id)")
                } catch let error as APIError {
                    let page = try await casePage(id: id, session: session, error: error.message)
                    return html(page ?? "", status: error.status)
                }
            }
        }

        addConsoleEntityRoutes(router)
    }

    // MARK: Sessions

    /// The caller's session, from the session cookie; nil when absent, unknown or expired.
    func consoleSession(_ request: Request) async throws -> SessionRecord? {
        guard let token = request.cookies[ConsoleSettings.sessionCookie]?.value, !token.isEmpty, token.utf8.count <= 128
        else { return nil }
        return try await store.session(tokenHash: SHA256.hex(Array(token.utf8)), now: clock())
    }

    /// A console form's POST: signed in (else to the sign-in page), the session's CSRF token in the
    /// form (else 403), and a role in `roles` when given (else 403), checked in that order; then
    /// `body` with the session and the form's fields.
    func consoleForm(
        _ request: Request, allowed roles: Set<Role>?,
        _ body: (SessionRecord, [String: String]) async throws -> Response
    ) async throws -> Response {
        guard let session = try await consoleSession(request) else { return redirect("/login") }
        let form = Self.form(try await self.body(request))
        guard Self.sameToken(form["csrf"] ?? "", session.csrfToken) else { return csrfRejected() }
        if let roles, !roles.contains(session.user.role) { return forbiddenPage(session) }
        return try await body(session, form)
    }

    /// 256 random bits as 64 hex digits.
    static func randomToken() -> String {
        hexString(secureRandomBytes(32))
    }

    static func sameToken(_ a: String, _ b: String) -> Bool {
        !a.isEmpty && HMACSHA256.constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }

    static func cookie(_ name: String, _ value: String, maxAge: Int64) -> String {
        "\(name)=\(value); Max-Age=\(maxAge); Path=/; Secure; HttpOnly; SameSite=Strict"
    }

    /// An `application/x-www-form-urlencoded` body's fields (the first of each name).
    static func form(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let key = decode(kv[0])
            if fields[key] == nil { fields[key] = kv.count == 2 ? decode(kv[1]) : "" }
        }
        return fields
    }

    // MARK: Responses

    func html(_ text: String, status: HTTPResponse.Status, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
            HTTPField.Name("Content-Security-Policy")!:
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// The sign-in form, with a fresh double-submit token in its cookie and its field.
    func loginPage(error: String?, status: HTTPResponse.Status) -> Response {
        let token = Self.randomToken()
        var object: [String: Any] = ["title": "Sign in", "csrf": token]
        if let error { object["error"] = error }
        return html(
            ConsoleTemplates.render("login", object), status: status,
            cookies: [Self.cookie(ConsoleSettings.loginCookie, token, maxAge: 3600)])
    }

    func lockedPage(until: Int64, now: Int64) -> Response {
        let minutes = (until - now + 59) / 60
        var response = loginPage(
            error:
                "Too many failed sign-ins: this account is locked for \(minutes) more minute\(minutes == 1 ? "" : "s").",
            status: .tooManyRequests)
        response.headers[.retryAfter] = String(until - now)
        return response
    }

    func userObject(_ session: SessionRecord) -> [String: Any] {
        ["name": session.user.name, "role": session.user.role.rawValue, "csrf": session.csrfToken]
    }

    func messagePage(_ session: SessionRecord?, _ title: String, _ message: String, status: HTTPResponse.Status)
        -> Response
    {
        var object: [String: Any] = ["title": title, "message": message, "back": "/console"]
        if let session { object["user"] = userObject(session) }
        return html(ConsoleTemplates.render("message", object), status: status)
    }

    func forbiddenPage(_ session: SessionRecord) -> Response {
        messagePage(
            session, "Not allowed", "Your role, \(session.user.role.rawValue), cannot do this.", status: .forbidden)
    }

    func csrfRejected() -> Response {
        messagePage(
            nil, "Form expired", "The form was stale or not sent by the console. Reload the page and try again.",
            status: .forbidden)
    }

    // MARK: Pages

    /// The queue, filtered by the query's language, category and source; a category or source
    /// the queue does not have is a 400 with the error on the page and no cases listed (a queue
    /// filtered by nothing must not pass for a filtered one).
    func queuePage(_ request: Request, _ session: SessionRecord) async throws -> (String, HTTPResponse.Status) {
        let q = request.uri.queryParameters
        let now = clock()
        var filter = CaseFilter(limit: 200)
        let language = q["language"].map(String.init) ?? ""
        if !language.isEmpty { filter.language = language }
        let reader = QueryReader(request, emptyIsAbsent: true)
        let filterError = try QueryReader.pageError {
            filter.category = try reader.choice("category", as: Category.self)
            filter.source = try reader.choice("source", as: CaseSource.self)
        }
        // The counts over the whole queue are read while the page's cases are: each reads every
        // open case, so on a database with cores to spare the page waits for the slower of the
        // two, not for both.
        async let counts = store.queueCounts()
        let cases = filterError == nil ? try await store.cases(filter, now: now) : []
        let copies = try await store.openCopyCounts(ofCases: cases.map(\.id))
        func round(_ x: Double) -> String { String(format: "%.2f", x) }
        let rows: [[String: Any]] = cases.map { c in
            var row: [String: Any] = [
                "id": c.id, "priority": round(c.priority), "base": round(c.basePriority),
                "age": round(c.priority - c.basePriority),
                "userReports": c.userReports, "trustedReports": c.trustedReports, "source": c.source.rawValue,
                "category": c.category?.rawValue ?? "", "language": c.language ?? "", "status": c.status.rawValue,
            ]
            if let who = c.claimedBy { row["claimedBy"] = who }
            if let n = copies[c.id] { row["copies"] = n == 1 ? "1 open copy" : "\(n) open copies" }
            return row
        }
        // Removal orders of the last week still waiting for the platform's confirmation, nearest deadline first.
        let orders = try await store.removalOrders(receivedFrom: now - 7 * 86_400, to: now + 1, limit: 100)
            .filter { $0.executedCount > 0 && $0.confirmedAt == nil }
            .sorted { $0.deadlineAt < $1.deadlineAt }
            .map { o -> [String: Any] in
                let state = o.clock.state(now: now)
                let left = o.clock.secondsLeft(now: now) ?? 0
                return [
                    "id": o.id, "reference": o.reference, "authority": o.authority, "state": state.rawValue,
                    "left": left >= 0 ? "\(left / 60) min \(left % 60) s" : "overdue by \(-left / 60) min",
                    "alert": state == .dueSoon || state == .overdue,
                ]
            }
        var object: [String: Any] = [
            "title": "Queue", "user": userObject(session), "cases": rows, "count": rows.count,
            "queueCounts": queueCountsObject(try await counts),
            "language": language, "orders": orders, "hasOrders": !orders.isEmpty,
            "categories": Category.allCases.map {
                ["name": $0.rawValue, "selected": $0 == filter.category] as [String: Any]
            },
            "sources": CaseSource.allCases.map {
                ["name": $0.rawValue, "selected": $0 == filter.source] as [String: Any]
            },
        ]
        // The item search offers the platforms of the recent items, and fills in the only one.
        let platforms = try await store.recentPlatforms(items: ConsoleSettings.platformsFromRecentItems)
        object["platforms"] = platforms
        object["platform"] = platforms.count == 1 ? platforms[0] : ""

        if let decided = q["decided"].flatMap({ Int64(String($0)) }) {
            let copies = q["copies"].flatMap { Int(String($0)) }
            object["notice"] =
                switch copies {
                case nil: "Case \(decided) decided."
                case 1: "Case \(decided) decided, and 1 open copy of its text with it."
                case let n?: "Case \(decided) decided, and \(n) open copies of its text with it."
                }
        }
        if let filterError { object["error"] = filterError }
        return (ConsoleTemplates.render("queue", object), filterError == nil ? .ok : .badRequest)
    }

    func casePage(id: Int64, session: SessionRecord, error: String?) async throws -> String? {
        let now = clock()
        guard let d = try await store.caseDetail(id: id, now: now) else { return nil }
        let r = d.record
        var object: [String: Any] = [
            "title": "Case \(id)", "user": userObject(session), "id": id, "csrf": session.csrfToken,
            "source": r.source.rawValue, "status": r.status.rawValue, "priority": String(format: "%.2f", r.priority),
            "language": r.language ?? d.item?.language ?? "",
            "canDecide": ConsoleSettings.deciders.contains(session.user.role) && r.status != .decided,
            "actions": ConsoleSettings.actions.map { ["value": $0.0.rawValue, "label": $0.1, "key": $0.2] },
            "exemptions": Exemption.allCases.map {
                ["value": $0.rawValue, "label": $0.rawValue.replacingOccurrences(of: "_", with: " ")]
            },
            "categories": Category.allCases.map {
                ["name": $0.rawValue, "selected": $0 == r.category] as [String: Any]
            },
            "reports": d.reports.map { report -> [String: Any] in
                // Absent, not empty: an empty string still opens a Mustache section.
                var row: [String: Any] = [
                    "reporter": report.reporter, "trusted": report.trusted, "reason": report.reason,
                ]
                if let text = report.text, !text.isEmpty { row["text"] = text }
                return row
            },
            "decisions": d.decisions.map {
                [
                    "reviewer": $0.reviewer, "action": $0.action.rawValue, "category": $0.category?.rawValue ?? "",
                    "note": $0.note ?? "", "countries": $0.countries.map { "in " + $0.joined(separator: ", ") } ?? "",
                ]
            },
        ]
        if let error { object["error"] = error }
        // The open copies of the text (the same normalised text, no media): listed, and decided
        // with this case when the reviewer ticks the box.
        let copies = try await store.openCopies(ofCase: id, limit: Self.maxCopiesPerDecision + 1)
        if !copies.isEmpty {
            let shown = copies.prefix(ConsoleSettings.copiesListed)
            object["copies"] = [
                "count": copies.count > Self.maxCopiesPerDecision ? "more than \(Self.maxCopiesPerDecision)" : "\(copies.count)",
                "one": copies.count == 1, "decidable": min(copies.count, Self.maxCopiesPerDecision),
                "cases": shown.map { ["id": $0] as [String: Any] }, "more": copies.count > shown.count,
            ] as [String: Any]
        }
        let context = try await addCaseContext(d, session: session, to: &object)
        if let item = d.item {
            let verdict = ConsoleVerdict(json: item.verdictJSON)
            var itemObject: [String: Any] = [
                "segments": ConsoleVerdict.segments(item.text, verdict.spans), "language": item.language,
                "platform": item.platform, "externalID": item.externalID,
            ]
            if let author = item.author { itemObject["author"] = author }
            if let container = item.containerTitle ?? item.containerID { itemObject["container"] = container }
            object["item"] = itemObject
            let media = try await store.mediaIDs(itemID: item.id)
            if !media.isEmpty {
                object["hasMedia"] = true
                // The reviewer's own wellness settings (Settings page); the style sheet blurs by default.
                let look = session.user.media
                object["mediaClass"] = (look.blurred ? "blurred" : "unblurred") + (look.keepGreyscale ? " keep-grey" : "")
                object["mediaHint"] =
                    look.blurred
                    ? "Blurred and greyscale: click one to see it" + (look.keepGreyscale ? " (it stays greyscale)" : "")
                    : look.keepGreyscale ? "Shown in greyscale" : "Shown as they are"
                object["mediaHint"] = (object["mediaHint"] as? String ?? "") + "; a moving image as its first frame, never played, and beside it the frame a bank matched"
                // The frame of an animation a bank matched, shown beside its first frame.
                var matchedFrames: [Int64: (frame: Int, name: String)] = [:]
                for part in context?.media ?? [] {
                    if let frame = part.matchedFrame, let name = part.matchedFrameName { matchedFrames[part.id] = (frame, name) }
                }
                object["media"] = media.enumerated().map { n, id in
                    var row: [String: Any] = ["id": id, "n": n + 1]
                    if let (frame, name) = matchedFrames[id] {
                        // The alt text names the frame as the case's table does.
                        row["matched"] = ["frame": frame, "shown": name] as [String: Any]
                    }
                    return row
                }
            }
            // Referrals of the item: seen by leads, auditors and admins, as through the API.
            if ConsoleSettings.referralReaders.contains(session.user.role) {
                object["showReferrals"] = true
                object["referrals"] = try await store.referrals(itemID: item.id, beforeID: nil, limit: Referrals.maxPage).map {
                    referral -> [String: Any] in
                    var row: [String: Any] = [
                        "at": CivilDate.isoDateTime(referral.referredAt), "authority": referral.authority,
                        "by": referral.referredBy, "grounds": referral.grounds,
                    ]
                    if let state = referral.memberState { row["memberState"] = state }
                    return row
                }
            }
            if session.user.role == .lead {
                object["canRefer"] = true
                object["memberStates"] = Referrals.memberStates.sorted().map { ["code": $0] }
            }
            object["scores"] = verdict.scores
            object["evidence"] = verdict.evidence
            if let context = verdict.context { object["context"] = context }
        }
        return ConsoleTemplates.render("case", object)
    }
}

/// What the case page shows of a stored verdict (the JSON the engine wrote).
struct ConsoleVerdict {
    struct Span {
        var start: Int
        var end: Int
        var why: String
    }

    /// One piece of evidence as the engine wrote it.
    struct Entry {
        var kind: String
        var detail: String
        var start: Int?
        var end: Int?
    }

    var scores: [[String: String]] = []
    var evidence: [[String: String]] = []
    var entries: [Entry] = []
    var spans: [Span] = []
    var context: String?

    init(json: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return }
        for c in object["categories"] as? [[String: Any]] ?? [] {
            scores.append([
                "name": c["name"] as? String ?? "",
                "score": String(format: "%.3f", (c["score"] as? NSNumber)?.doubleValue ?? 0),
            ])
        }
        context = object["context"] as? String
        for e in object["evidence"] as? [[String: Any]] ?? [] {
            let kind = e["kind"] as? String ?? ""
            let detail = e["detail"] as? String ?? ""
            var row = ["kind": kind, "detail": detail]
            entries.append(
                Entry(
                    kind: kind, detail: detail, start: (e["start"] as? NSNumber)?.intValue,
                    end: (e["end"] as? NSNumber)?.intValue))
            if let start = (e["start"] as? NSNumber)?.intValue, let end = (e["end"] as? NSNumber)?.intValue, start < end
            {
                spans.append(Span(start: start, end: end, why: "\(kind): \(detail)"))
                row["span"] = "characters \(start)–\(end)"
            }
            evidence.append(row)
        }
    }

    /// The text cut into runs, each marked or not: evidence offsets count Unicode scalars, end
    /// exclusive; overlapping spans merge into one mark (titled by the first span over it).
    static func segments(_ text: String, _ spans: [Span]) -> [[String: Any]] {
        let scalars = Array(text.unicodeScalars)
        var cover = [Int](repeating: -1, count: scalars.count)
        for (i, span) in spans.enumerated() {
            let lo = max(0, span.start)
            let hi = min(scalars.count, span.end)
            guard lo < hi else { continue }
            for j in lo..<hi where cover[j] < 0 { cover[j] = i }
        }
        var out: [[String: Any]] = []
        var start = 0
        while start < scalars.count {
            let marked = cover[start] >= 0
            var end = start + 1
            while end < scalars.count, (cover[end] >= 0) == marked { end += 1 }
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[start..<end])
            var segment: [String: Any] = ["text": String(piece), "hit": marked]
            if marked { segment["why"] = spans[cover[start]].why }
            out.append(segment)
            start = end
        }
        return out
    }
}
