import BulwarkBanks
import BulwarkCore
import BulwarkStore
import Foundation
import Hummingbird
import Logging

extension ConsoleSettings {
    /// `GET /v1/audit`.
    static let auditReaders: Set<Role> = [.auditor, .admin]
    /// `GET /v1/banks`.
    static let bankReaders: Set<Role> = [.reviewer, .lead, .admin, .auditor]
    /// `POST /v1/banks`, `POST` and `DELETE /v1/banks/{name}/entries`.
    static let bankChangers: Set<Role> = [.lead, .admin]
    /// Audit entries on one page.
    static let auditPage = 100
    /// `GET /v1/jobs`.
    static let jobReaders: Set<Role> = [.lead, .admin, .auditor]
    /// `POST /v1/jobs/{id}/retry`.
    static let jobRetriers: Set<Role> = [.lead, .admin]
    /// Jobs on one page.
    static let jobsPage = 100
}

extension BulwarkService {
    func addConsoleAdminRoutes(_ router: Router<BulwarkRequestContext>) {
        router.get("/console/audit") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.auditReaders.contains(session.user.role) else { return forbiddenPage(session) }
            let (page, status) = try await auditPage(request, session)
            return html(page, status: status)
        }

        router.get("/console/banks") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.bankReaders.contains(session.user.role) else { return forbiddenPage(session) }
            // Only fixed sentences and an existing bank's name: a link cannot put words on the page.
            let q = request.uri.queryParameters
            let bank = q["bank"].map(String.init).flatMap { banks?.banks[$0] != nil ? $0 : nil } ?? "the bank"
            let notice: String? =
                switch q["done"].map(String.init) {
                case "created": "Bank \(bank) created."
                case "exists": "Bank \(bank) already exists as given."
                case "added": "Entry added to \(bank)."
                case "unchanged": "\(bank) already had this entry."
                case "removed": "Entry removed from \(bank)."
                case "absent": "\(bank) had no such active entry."
                default: nil
                }
            return html(banksPage(session, error: nil, notice: notice), status: .ok)
        }

        // A new bank, through the bank API's code path (durable, audited).
        router.post("/console/banks") { request, context -> Response in
            try await consoleForm(request, allowed: ConsoleSettings.bankChangers) { session, form in
                try await bankForm(session) { registry in
                    let name = form["name"] ?? ""
                    var threshold: Int? = nil
                    if let t = form["pdq_threshold"], !t.isEmpty {
                        guard let n = Int(t) else {
                            throw APIError.invalid("the PDQ threshold is a number", field: "pdq_threshold")
                        }
                        threshold = n
                    }
                    let payload = BankPayload(
                        name: name, kind: Bank.Kind(rawValue: form["kind"] ?? "") ?? .block,
                        quarantined: form["quarantined"] == "on", pdq_threshold: threshold,
                        labels: Self.list(form["labels"]), description: form["description"] ?? "")
                    let created = try await createBank(payload, actor: session.user.name, registry: registry)
                    return "/console/banks?done=\(created ? "created" : "exists")&bank=" + Self.queryEscaped(name)
                }
            }
        }

        // One entry added to or removed from a bank, through the bank API's code path (the
        // shared index, the bank directory's log, the audit log and the retro-hunt alike).
        router.post("/console/banks/entries") { request, context -> Response in
            try await consoleForm(request, allowed: ConsoleSettings.bankChangers) { session, form in
                try await bankForm(session) { registry in
                    let bank = form["bank"] ?? ""
                    let payload = EntriesPayload(
                        type: form["type"] ?? "", values: [form["value"] ?? ""], labels: Self.list(form["labels"]),
                        source: nil)
                    let done: String
                    if form["op"] == "remove" {
                        let removed = try await removeBankEntries(
                            bank: bank, payload, actor: session.user.name, registry: registry)
                        done = removed == 1 ? "removed" : "absent"
                    } else {
                        let (added, _) = try await addBankEntries(
                            bank: bank, payload, actor: session.user.name, via: "console", registry: registry,
                            logger: context.logger)
                        done = added == 1 ? "added" : "unchanged"
                    }
                    return "/console/banks?done=\(done)&bank=" + Self.queryEscaped(bank)
                }
            }
        }

        router.get("/console/jobs") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.jobReaders.contains(session.user.role) else { return forbiddenPage(session) }
            return html(try await jobsPage(request, session), status: .ok)
        }

        // A job that ended, done again: the API's code path (queueJobAgain).
        router.post("/console/jobs/retry") { request, context -> Response in
            try await consoleForm(request, allowed: ConsoleSettings.jobRetriers) { session, form in
                guard let id = form["id"].flatMap({ Int64($0) }) else {
                    return messagePage(session, "No such job", "The form named no job.", status: .badRequest)
                }
                do {
                    try await queueJobAgain(id: id, actor: session.user.name, logger: context.logger)
                    return redirect("/console/jobs?status=queued&queued=\(id)")
                } catch let error as APIError {
                    return messagePage(session, "Job not queued again", error.message, status: error.status)
                }
            }
        }

        // Each person's own wellness settings: any signed-in account.
        router.get("/console/settings") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            let notice = request.uri.queryParameters["saved"] != nil ? "Settings saved." : nil
            return html(settingsPage(session, notice: notice), status: .ok)
        }

        router.post("/console/settings") { request, _ -> Response in
            try await consoleForm(request, allowed: nil) { session, form in
                // An unchecked box is absent from the form.
                let preference = MediaPreference(
                    blurred: form["blurred"] == "on", keepGreyscale: form["keep_greyscale"] == "on")
                _ = try await store.setMediaPreference(userID: session.user.id, preference, now: clock())
                return redirect("/console/settings?saved=1")
            }
        }
    }

    /// A bank change from the console: `change` runs on the registry and returns where to go
    /// next; a refused change (no banks, bad input, no such bank) shows the banks page with the
    /// reason and the API's status.
    func bankForm(_ session: SessionRecord, _ change: (BankRegistry) async throws -> String) async throws -> Response {
        do {
            return redirect(try await change(try registry()))
        } catch let error as APIError {
            return html(banksPage(session, error: error.message, notice: nil), status: error.status)
        }
    }

    /// Comma-separated values, trimmed, empty ones dropped.
    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func queryEscaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "-._~").union(.alphanumerics))
            ?? ""
    }

    // MARK: Pages

    /// A page of the audit log, newest first, filtered by the query's actor and action and paged
    /// by `after` or `before` (entry sequence numbers); a page bound that is not one is a 400 with
    /// the error on the page and no entries listed.
    func auditPage(_ request: Request, _ session: SessionRecord) async throws -> (String, HTTPResponse.Status) {
        let reader = QueryReader(request, emptyIsAbsent: true)
        let actor = reader.text("actor")
        let action = reader.text("action")
        var after: Int64?
        var before: Int64?
        let pageError = try QueryReader.pageError {
            after = try reader.integer("after", in: 0...Int64.max, meaning: "an audit entry's sequence number")
            before = after == nil ? try reader.integer("before", in: 0...Int64.max, meaning: "an audit entry's sequence number") : nil
        }
        var entries =
            pageError != nil
            ? []
            : try await store.auditEntries(
                AuditQuery(after: after, before: before, actor: actor, action: action, limit: ConsoleSettings.auditPage))
        if after != nil { entries.reverse() }  // newest first on the page, whichever way it was paged
        let verified = try await store.verifyAudit()
        var object: [String: Any] = [
            "title": "Audit log", "user": userObject(session), "actor": actor ?? "", "action": action ?? "",
            "checked": verified.checked,
            "entries": entries.map { e -> [String: Any] in
                [
                    "seq": e.seq, "at": ConsoleFormat.time(e.at), "actor": e.actor, "action": e.action,
                    "subject": e.subject,
                    "detail": e.detail,
                ]
            },
        ]
        if let brokenAt = verified.brokenAt {
            object["broken"] = true
            object["brokenAt"] = brokenAt
            object["reason"] = verified.reason ?? ""
        } else {
            object["intact"] = true
        }
        var filter = ""
        if let actor { filter += "&actor=" + Self.queryEscaped(actor) }
        if let action { filter += "&action=" + Self.queryEscaped(action) }
        if let newest = entries.first?.seq, after != nil || before != nil {
            object["newer"] = "/console/audit?after=\(newest)" + filter
        }
        if let oldest = entries.last?.seq, oldest > 1, entries.count == ConsoleSettings.auditPage || after != nil {
            object["older"] = "/console/audit?before=\(oldest)" + filter
        }
        if let pageError { object["error"] = pageError }
        return (ConsoleTemplates.render("audit", object), pageError == nil ? .ok : .badRequest)
    }

    func banksPage(_ session: SessionRecord, error: String?, notice: String?) -> String {
        let summaries = bankSummaries()
        var object: [String: Any] = [
            "title": "Banks", "user": userObject(session), "csrf": session.csrfToken, "available": bankRegistry != nil,
            "canChange": bankRegistry != nil && ConsoleSettings.bankChangers.contains(session.user.role),
            "types": SignalType.allCases.map(\.rawValue), "defaultThreshold": Bank.defaultPDQThreshold,
            "banks": summaries.map { b -> [String: Any] in
                let entries = b.entries.keys.sorted().map { "\($0): \(b.entries[$0] ?? 0)" }.joined(separator: ", ")
                return [
                    "name": b.name, "kind": b.kind, "allow": b.kind == Bank.Kind.allow.rawValue,
                    "quarantined": b.quarantined, "threshold": b.pdq_threshold,
                    "labels": b.labels.joined(separator: ", "), "entries": entries.isEmpty ? "none" : entries,
                    "description": b.description,
                ]
            },
        ]
        if let error { object["error"] = error }
        if let notice { object["notice"] = notice }
        return ConsoleTemplates.render("banks", object)
    }

    /// `?status=` (failed by default; `all`) and `?after=` (a job id); `?queued=N` says job N was
    /// queued again (a number only: a link cannot put words on the page).
    func jobsPage(_ request: Request, _ session: SessionRecord) async throws -> String {
        let q = request.uri.queryParameters
        let statuses = ["failed", "queued", "running", "done"]
        let asked = q["status"].map(String.init) ?? "failed"
        let status = statuses.contains(asked) ? asked : nil
        let after = q["after"].flatMap { Int64($0) }.map { max(0, $0) } ?? 0
        let jobs = try await store.jobs(status: status, afterID: after, limit: ConsoleSettings.jobsPage)
        let canRetry = ConsoleSettings.jobRetriers.contains(session.user.role)
        var object: [String: Any] = [
            "title": "Jobs", "user": userObject(session), "csrf": session.csrfToken, "canRetry": canRetry,
            "statuses": (statuses + ["all"]).map { value -> [String: Any] in
                ["value": value, "label": value, "selected": value == (status ?? "all")]
            },
            "jobs": jobs.map { j -> [String: Any] in
                var row: [String: Any] = [
                    "id": j.id, "kind": j.kind == JobKind.hashMedia ? "media hashing" : j.kind == JobKind.retroHunt ? "retro-hunt" : j.kind,
                    "ref": j.kind == JobKind.hashMedia ? "media part \(j.ref)" : j.kind == JobKind.retroHunt ? "bank entries from \(j.ref)" : "\(j.ref)",
                    "status": j.status, "attempts": j.attempts, "lastError": j.lastError ?? "",
                    "ended": j.status == "failed" || j.status == "done", "csrf": session.csrfToken,
                ]
                if j.status == "queued" { row["runAfter"] = ConsoleFormat.time(j.runAfter) }
                if let ended = j.endedAt { row["endedAt"] = ConsoleFormat.time(ended) }
                return row
            },
        ]
        if jobs.count == ConsoleSettings.jobsPage, let last = jobs.last {
            object["more"] = "/console/jobs?status=\(status ?? "all")&after=\(last.id)"
        }
        if let queued = q["queued"].flatMap({ Int64($0) }) { object["notice"] = "Job \(queued) queued again." }
        return ConsoleTemplates.render("jobs", object)
    }

    func settingsPage(_ session: SessionRecord, notice: String?) -> String {
        var object: [String: Any] = [
            "title": "Settings", "user": userObject(session), "csrf": session.csrfToken,
            "blurred": session.user.media.blurred, "keepGreyscale": session.user.media.keepGreyscale,
        ]
        if let notice { object["notice"] = notice }
        return ConsoleTemplates.render("settings", object)
    }
}
