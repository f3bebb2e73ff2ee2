import BulwarkCore
import BulwarkEntities
import BulwarkStore
import Foundation
import Hummingbird

/// Who may see which due-process page: the same roles as the matching API routes.
extension ConsoleSettings {
    /// `GET /v1/removal-orders`.
    static let orderReaders: Set<Role> = [.authority, .lead, .auditor, .admin]
    /// `GET /v1/appeals`.
    static let appealReaders: Set<Role> = [.reviewer, .lead, .auditor, .admin]
    /// `POST /v1/appeals/{id}/decision`.
    static let appealDeciders: Set<Role> = [.reviewer, .lead]
    /// `GET /v1/reports/transparency`.
    static let reportReaders: Set<Role> = [.auditor, .admin, .lead, .authority]
}

/// How the console writes times and clocks.
enum ConsoleFormat {
    static func time(_ t: Int64) -> String { CivilDate.isoDateTime(t) }

    /// "13 d 4 h left", "12 min 5 s left", "overdue by 3 min".
    static func left(_ seconds: Int64) -> String {
        seconds >= 0 ? "\(duration(seconds)) left" : "overdue by \(duration(-seconds))"
    }

    static func duration(_ s: Int64) -> String {
        if s >= 86_400 { return "\(s / 86_400) d \(s % 86_400 / 3_600) h" }
        if s >= 3_600 { return "\(s / 3_600) h \(s % 3_600 / 60) min" }
        return "\(s / 60) min \(s % 60) s"
    }
}

extension BulwarkService {
    func addConsoleDueProcessRoutes(_ router: Router<BulwarkRequestContext>) {
        router.get("/console/orders") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.orderReaders.contains(session.user.role) else { return forbiddenPage(session) }
            return html(try await ordersPage(session), status: .ok)
        }

        router.get("/console/orders/:id") { request, context -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.orderReaders.contains(session.user.role) else { return forbiddenPage(session) }
            let id = try context.parameters.require("id", as: Int64.self)
            guard let order = try await store.removalOrder(id: id) else {
                return messagePage(session, "No such order", "There is no removal order \(id).", status: .notFound)
            }
            return html(orderPage(order, session), status: .ok)
        }

        router.get("/console/appeals") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.appealReaders.contains(session.user.role) else { return forbiddenPage(session) }
            return html(try await appealsPage(session), status: .ok)
        }

        router.get("/console/appeals/:id") { request, context -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.appealReaders.contains(session.user.role) else { return forbiddenPage(session) }
            let id = try context.parameters.require("id", as: Int64.self)
            let notice = request.uri.queryParameters["decided"] != nil ? "Appeal \(id) decided." : nil
            guard let page = try await appealPage(id: id, session: session, error: nil, notice: notice) else {
                return messagePage(session, "No such appeal", "There is no appeal \(id).", status: .notFound)
            }
            return html(page, status: .ok)
        }

        // The appeal's decision through the API's code path: the original reviewer is refused,
        // a reversal reinstates and queues the platform's webhook.
        router.post("/console/appeals/:id/decision") { request, context -> Response in
            try await consoleForm(request, allowed: ConsoleSettings.appealDeciders) { session, form in
                let id = try context.parameters.require("id", as: Int64.self)
                do {
                    guard let outcome = form["outcome"].flatMap(AppealDecisionPayload.Outcome.init(rawValue:)) else {
                        throw APIError.invalid("choose an outcome: uphold or reverse", field: "outcome")
                    }
                    var exemption: Exemption? = nil
                    if let e = form["exemption"], !e.isEmpty {
                        guard let known = Exemption(rawValue: e) else {
                            throw APIError.invalid("unknown exemption \(e)", field: "exemption")
                        }
                        exemption = known
                    }
                    let note = form["note"].flatMap { $0.isEmpty ? nil : $0 }
                    _ = try await decideAppeal(
                        id: id, reviewer: session.user.name,
                        AppealDecisionPayload(outcome: outcome, exemption: exemption, note: note))
                    return redirect("/console/appeals/\(id)?decided=1")
                } catch let error as APIError {
                    guard let page = try await appealPage(id: id, session: session, error: error.message, notice: nil)
                    else {
                        return messagePage(session, "No such appeal", "There is no appeal \(id).", status: .notFound)
                    }
                    return html(page, status: error.status)
                }
            }
        }

        router.get("/console/transparency") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.reportReaders.contains(session.user.role) else { return forbiddenPage(session) }
            let q = request.uri.queryParameters
            let now = clock()
            // The last whole 30 days by default.
            let today = now - ((now % 86_400) + 86_400) % 86_400
            let fromText = q["from"].map(String.init) ?? CivilDate.isoDate(today - 29 * 86_400)
            let toText = q["to"].map(String.init) ?? CivilDate.isoDate(today + 86_400)
            var object: [String: Any] = [
                "title": "Transparency report", "user": userObject(session), "from": fromText, "to": toText,
            ]
            guard let from = CivilDate.parse(fromText), let to = CivilDate.parse(toText) else {
                object["error"] = "Dates are YYYY-MM-DD."
                return html(ConsoleTemplates.render("transparency", object), status: .badRequest)
            }
            guard from < to else {
                object["error"] = "The start must be before the end."
                return html(ConsoleTemplates.render("transparency", object), status: .badRequest)
            }
            // The core's rendering: every label in it is escaped there, and it has no scripts,
            // styles or external resources, only inline SVG.
            object["report"] = try await TransparencyReport.build(from: from, to: to, store: store).htmlBody
            return html(ConsoleTemplates.render("transparency", object), status: .ok)
        }
    }

    // MARK: Pages

    func ordersPage(_ session: SessionRecord) async throws -> String {
        let now = clock()
        let orders = try await store.removalOrders(receivedFrom: 0, to: now + 1, limit: 200).map { o -> [String: Any] in
            let view = RemovalOrderView(o, now: now)
            return [
                "id": o.id, "authority": o.authority, "reference": o.reference,
                "received": ConsoleFormat.time(o.receivedAt),
                "state": view.clock.state, "left": view.clock.seconds_left.map(ConsoleFormat.left) ?? "",
                "alert": view.clock.alert, "executed": o.executedCount,
                "notExecuted": o.outcomes.count - o.executedCount,
            ]
        }
        return ConsoleTemplates.render(
            "orders", ["title": "Removal orders", "user": userObject(session), "orders": orders])
    }

    func orderPage(_ o: RemovalOrderRecord, _ session: SessionRecord) -> String {
        let now = clock()
        let view = RemovalOrderView(o, now: now)
        var object: [String: Any] = [
            "title": "Removal order \(o.id)", "user": userObject(session), "id": o.id, "authority": o.authority,
            "reference": o.reference, "legalBasis": o.legalBasis, "reasons": o.reasons,
            "category": o.category?.rawValue ?? "not stated", "receivedBy": o.receivedBy,
            "received": ConsoleFormat.time(o.receivedAt), "deadline": ConsoleFormat.time(o.deadlineAt),
            "state": view.clock.state, "alert": view.clock.alert, "pending": o.pendingDeliveries,
            "targets": o.outcomes.map { t -> [String: Any] in
                var row: [String: Any] = ["executed": t.decisionID != nil]
                if let platform = t.target.platform { row["platform"] = platform }
                if let id = t.target.id { row["id"] = id }
                if let url = t.target.url { row["url"] = url }
                if let itemID = t.itemID { row["itemID"] = itemID }
                if let decisionID = t.decisionID { row["decisionID"] = decisionID }
                if let deliveryID = t.deliveryID { row["deliveryID"] = deliveryID }
                if let failure = t.failure { row["reason"] = failure }
                return row
            },
        ]
        if let left = view.clock.seconds_left { object["left"] = ConsoleFormat.left(left) }
        if let t = o.issuedAt { object["issued"] = ConsoleFormat.time(t) }
        if let t = o.actionedAt { object["actioned"] = ConsoleFormat.time(t) }
        if let t = o.confirmedAt { object["confirmed"] = ConsoleFormat.time(t) }
        return ConsoleTemplates.render("order", object)
    }

    func appealsPage(_ session: SessionRecord) async throws -> String {
        let now = clock()
        let open = try await store.appeals(status: .open, limit: 500).map { a -> [String: Any] in
            [
                "id": a.id, "decisionID": a.decisionID, "appellant": a.appellant,
                "filed": ConsoleFormat.time(a.filedAt),
                "deadline": ConsoleFormat.time(a.deadlineAt), "left": ConsoleFormat.left(a.deadlineAt - now),
                "overdue": now > a.deadlineAt,
            ]
        }
        var decided = try await store.appeals(status: .upheld, limit: 500)
        decided += try await store.appeals(status: .reversed, limit: 500)
        decided.sort { ($0.decidedAt ?? 0, $0.id) > ($1.decidedAt ?? 0, $1.id) }
        let rows = decided.prefix(100).map { a -> [String: Any] in
            [
                "id": a.id, "status": a.status.rawValue, "decidedBy": a.decidedBy ?? "",
                "decidedAt": ConsoleFormat.time(a.decidedAt ?? 0), "overdue": (a.decidedAt ?? 0) > a.deadlineAt,
            ]
        }
        return ConsoleTemplates.render(
            "appeals", ["title": "Appeals", "user": userObject(session), "open": open, "decided": Array(rows)])
    }

    func appealPage(id: Int64, session: SessionRecord, error: String?, notice: String?) async throws -> String? {
        guard let a = try await store.appeal(id: id) else { return nil }
        let now = clock()
        var object: [String: Any] = [
            "title": "Appeal \(id)", "user": userObject(session), "id": a.id, "csrf": session.csrfToken,
            "status": a.status.rawValue, "appellant": a.appellant, "reason": a.reason,
            "filed": ConsoleFormat.time(a.filedAt), "deadline": ConsoleFormat.time(a.deadlineAt), "caseID": a.caseID,
            "exemptions": Exemption.allCases.map(\.rawValue),
        ]
        if let error { object["error"] = error }
        if let notice { object["notice"] = notice }
        if let itemID = a.itemID { object["itemID"] = itemID }
        if a.status == .open {
            object["left"] = ConsoleFormat.left(a.deadlineAt - now)
            let same = a.originalReviewer == session.user.name
            object["sameReviewer"] = same && ConsoleSettings.appealDeciders.contains(session.user.role)
            object["canDecide"] = !same && ConsoleSettings.appealDeciders.contains(session.user.role)
        } else {
            var outcome: [String: Any] = [
                "status": a.status.rawValue, "decidedBy": a.decidedBy ?? "",
                "decidedAt": ConsoleFormat.time(a.decidedAt ?? 0),
            ]
            if let e = a.exemption { outcome["exemption"] = e.rawValue }
            if let r = a.reinstatementDecisionID { outcome["reinstatement"] = r }
            if let note = a.note, !note.isEmpty { outcome["note"] = note }
            object["outcome"] = outcome
        }
        if let detail = try await store.caseDetail(id: a.caseID, now: now) {
            if let d = detail.decisions.first(where: { $0.id == a.decisionID }) {
                var decision: [String: Any] = [
                    "id": d.id, "reviewer": d.reviewer, "at": ConsoleFormat.time(d.createdAt),
                    "action": d.action.rawValue,
                    "category": d.category?.rawValue ?? "",
                ]
                if let note = d.note, !note.isEmpty { decision["note"] = note }
                object["decision"] = decision
            }
            if let item = detail.item {
                object["item"] = [
                    "text": item.text, "language": item.language, "platform": item.platform,
                    "externalID": item.externalID,
                ]
            } else if detail.record.entityID != nil, let e = detail.entity {
                object["entity"] = [
                    "name": e.name ?? e.externalID, "kind": e.kind.rawValue, "status": e.status.rawValue,
                ]
            }
        }
        return ConsoleTemplates.render("appeal", object)
    }
}
