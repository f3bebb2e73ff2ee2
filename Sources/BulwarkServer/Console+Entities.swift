import BulwarkCore
import BulwarkEntities
import BulwarkStore
import BulwarkText
import Foundation
import HTTPTypes
import Hummingbird

/// The console's entity pages (accounts and containers: the list, one entity with its items and
/// decisions, a decision form), what the case page shows around its item (the item's author and
/// container, evidence by kind, the claim), and the queue's counts over the whole queue.
extension ConsoleSettings {
    /// The actions the entity form offers, with their keyboard shortcuts: those the entity API
    /// takes (suspend only for accounts).
    static let entityActions: [(ModerationAction, String, String)] = [
        (.remove, "Remove", "r"), (.restrictVisibility, "Restrict visibility", "v"),
        (.suspend, "Suspend the account", "s"), (.noViolation, "No violation", "n"), (.escalate, "Escalate", "e"),
    ]
    /// Entities on the list page, riskiest first.
    static let entityListLimit = 200
    /// Items on an entity's page, newest first.
    static let timelineLimit = 50
    /// Characters of an item's text shown on its entity's page.
    static let excerptLength = 280
    /// Previous decisions shown in an entity's panel on a case page (the latest).
    static let panelDecisions = 3
}

extension BulwarkService {
    func addConsoleEntityRoutes(_ router: Router<BulwarkRequestContext>) {
        router.get("/console/entities") { request, _ -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.readers.contains(session.user.role) else { return forbiddenPage(session) }
            let (page, status) = try await entityListPage(request, session)
            return html(page, status: status)
        }

        router.get("/console/entities/:id") { request, context -> Response in
            guard let session = try await consoleSession(request) else { return redirect("/login") }
            guard ConsoleSettings.readers.contains(session.user.role) else { return forbiddenPage(session) }
            let id = try context.parameters.require("id", as: Int64.self)
            let decided = request.uri.queryParameters["decided"] != nil
            guard
                let page = try await entityPage(
                    id: id, session: session, error: nil, notice: decided ? "Decision recorded." : nil)
            else {
                return messagePage(session, "No such entity", "There is no entity \(id).", status: .notFound)
            }
            return html(page, status: .ok)
        }

        // The entity API's decision, from a form: the same checks, store call, webhook and audit.
        router.post("/console/entities/:id/decisions") { request, context -> Response in
            try await consoleForm(request, allowed: ConsoleSettings.deciders) { session, form in
                let id = try context.parameters.require("id", as: Int64.self)
                do {
                    let payload = try Self.decisionPayload(form)
                    _ = try await decideEntity(id: id, reviewer: session.user.name, payload)
                    return redirect("/console/entities/\(id)?decided=1")
                } catch let error as APIError {
                    guard let page = try await entityPage(id: id, session: session, error: error.message) else {
                        return messagePage(session, "No such entity", "There is no entity \(id).", status: .notFound)
                    }
                    return html(page, status: error.status)
                }
            }
        }

        router.post("/console/cases/:id/claim") { request, context -> Response in
            try await consoleForm(request, allowed: ConsoleSettings.deciders) { session, form in
                let id = try context.parameters.require("id", as: Int64.self)
                let now = clock()
                let message: String
                switch try await store.claim(
                    caseID: id, reviewer: session.user.name, until: now + configuration.claimSeconds, now: now)
                {
                case .claimed: return redirect("/console/cases/\(id)")
                case .heldBy(let who, let until):
                    message = "Case \(id) is claimed by \(who) until \(CivilDate.isoDateTime(until))."
                case .closed: message = "Case \(id) is already decided."
                case .notFound:
                    return messagePage(session, "No such case", "There is no case \(id).", status: .notFound)
                }
                let page = try await casePage(id: id, session: session, error: message)
                return html(page ?? "", status: .conflict)
            }
        }
    }

    /// A decision form's fields as the API's decision payload.
    static func decisionPayload(_ form: [String: String]) throws -> DecisionPayload {
        func nonEmpty(_ key: String) -> String? { form[key].flatMap { $0.isEmpty ? nil : $0 } }
        guard let action = nonEmpty("action").flatMap(ModerationAction.init(rawValue:)) else {
            throw APIError.invalid("choose an action", field: "action")
        }
        var category: Category? = nil
        if let c = nonEmpty("category") {
            guard let known = Category(rawValue: c) else {
                throw APIError.invalid("unknown category \(c)", field: "category")
            }
            category = known
        }
        // Countries as a person types them: "de, at" or "DE AT".
        let countries = nonEmpty("countries").map { text in
            text.split(whereSeparator: { $0 == " " || $0 == "," }).map { $0.uppercased() }
        }
        return DecisionPayload(
            action: action, category: category, exemption: nonEmpty("exemption"), note: nonEmpty("note"),
            countries: countries?.isEmpty == true ? nil : countries, copies: form["copies"] == "true" ? true : nil)
    }

    // MARK: Pages

    /// The entities, riskiest first, filtered by the query's kind and status; a kind or status
    /// that does not exist is a 400 with the error on the page and no entities listed.
    func entityListPage(_ request: Request, _ session: SessionRecord) async throws -> (String, HTTPResponse.Status) {
        let reader = QueryReader(request, emptyIsAbsent: true)
        var filter = EntityFilter(limit: ConsoleSettings.entityListLimit)
        let filterError = try QueryReader.pageError {
            filter.kind = try reader.choice("kind", as: EntityKind.self)
            filter.status = try reader.choice("status", as: EntityStatus.self)
        }
        let now = clock()
        let found = filterError == nil ? try await store.entities(filter) : []
        let rows = found.map { e -> [String: Any] in
            var row = Self.entityObject(e, now: now)
            row["items"] = e.itemCount
            row["violating"] = e.signals.violating
            row["review"] = e.signals.review
            row["lastSeen"] = CivilDate.isoDate(e.lastSeen)
            return row
        }
        var object: [String: Any] = [
            "title": "Entities", "user": userObject(session), "entities": rows, "count": rows.count,
            "hasEntities": !rows.isEmpty,
            "kinds": EntityKind.allCases.map { ["name": $0.rawValue, "selected": $0 == filter.kind] as [String: Any] },
            "statuses": EntityStatus.allCases.map {
                ["name": $0.rawValue, "selected": $0 == filter.status] as [String: Any]
            },
        ]
        if let filterError { object["error"] = filterError }
        return (ConsoleTemplates.render("entities", object), filterError == nil ? .ok : .badRequest)
    }

    func entityPage(id: Int64, session: SessionRecord, error: String?, notice: String? = nil) async throws -> String? {
        guard let d = try await store.entityDetail(id: id, itemLimit: 1) else { return nil }
        let now = clock()
        let e = d.record
        let timeline = try await store.entityTimeline(entityID: id, limit: ConsoleSettings.timelineLimit)
        var object: [String: Any] = [
            "title": "\(Self.kindLabel(e.kind)) \(id)", "user": userObject(session), "id": id,
            "csrf": session.csrfToken,
            "entity": Self.entityObject(e, now: now),
            "parts": e.riskParts(at: now).map {
                ["name": $0.name, "value": String(format: "%.2f", $0.value), "detail": $0.detail]
            },
            "signals": [
                ["name": "items", "value": String(e.signals.items)],
                ["name": "violating items", "value": String(e.signals.violating)],
                ["name": "items for review", "value": String(e.signals.review)],
                ["name": "known content", "value": String(e.signals.knownContent)],
                ["name": "reach now", "value": String(e.signals.reach)],
                ["name": "largest reach seen", "value": String(e.signals.peakReach)],
                ["name": "days with violating or review items", "value": String(e.signals.activeDays)],
                ["name": "first seen", "value": CivilDate.isoDateTime(e.firstSeen)],
                ["name": "last seen", "value": CivilDate.isoDateTime(e.lastSeen)],
            ],
            "timeline": timeline.map(Self.timelineRow),
            "hasTimeline": !timeline.isEmpty,
            "decisions": d.decisions.map(Self.decisionRow),
            "hasDecisions": !d.decisions.isEmpty,
            "canDecide": ConsoleSettings.deciders.contains(session.user.role),
            "actions": ConsoleSettings.entityActions.filter { $0.0 != .suspend || e.kind == .account }.map {
                ["value": $0.0.rawValue, "label": $0.1, "key": $0.2]
            },
            "categories": Category.allCases.map {
                ["name": $0.rawValue, "selected": $0 == e.signals.topCategory] as [String: Any]
            },
        ]
        if let description = e.description, !description.isEmpty { object["description"] = description }
        if let open = d.openCase {
            var row: [String: Any] = ["id": open.id, "status": open.status.rawValue]
            if let who = open.claimedBy, let until = open.claimUntil, until > now {
                row["claimedBy"] = who
                row["until"] = CivilDate.isoDateTime(until)
            }
            object["openCase"] = row
        }
        if let of = e.reappearanceOf {
            var row: [String: Any] = [
                "of": of, "similarity": String(format: "%.2f", e.reappearanceSimilarity),
                "evidence": e.reappearanceEvidence ?? "",
            ]
            if let banned = try await store.entity(id: of) {
                row["name"] = banned.name ?? banned.externalID
                row["status"] = banned.status.rawValue
            }
            object["reappearance"] = row
        }
        if let error { object["error"] = error }
        if let notice { object["notice"] = notice }
        return ConsoleTemplates.render("entity", object)
    }

    /// The queue's counts over every open case, each value a link to the queue filtered by it.
    func queueCountsObject(_ counts: QueueCounts) -> [String: Any] {
        // RFC 3986's unreserved characters stay as they are; anything else is percent-encoded.
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        func rows(_ list: [QueueCount], _ parameter: String) -> [[String: Any]] {
            list.map { c in
                var row: [String: Any] = ["name": c.name.isEmpty ? "none" : c.name, "count": c.count]
                if !c.name.isEmpty {
                    row["href"] =
                        "/console?\(parameter)="
                        + (c.name.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")
                }
                return row
            }
        }
        return [
            "total": counts.total, "sources": rows(counts.sources, "source"),
            "languages": rows(counts.languages, "language"), "categories": rows(counts.categories, "category"),
        ]
    }

    /// What the case page shows besides the case itself: the claim, the item's author and
    /// container (or an entity case's entity), and the evidence by kind.
    /// Returns the item's context it read (nil for an entity case), for the caller's own use.
    @discardableResult
    func addCaseContext(_ d: CaseDetail, session: SessionRecord, to object: inout [String: Any]) async throws -> ItemContext? {
        let now = clock()
        let r = d.record
        let decider = ConsoleSettings.deciders.contains(session.user.role)
        var heldByOther = false
        if r.status != .decided, let who = r.claimedBy, let until = r.claimUntil, until > now {
            heldByOther = who != session.user.name
            object["claim"] = ["by": who, "until": CivilDate.isoDateTime(until), "mine": !heldByOther] as [String: Any]
        }
        object["canClaim"] = decider && r.status != .decided && !heldByOther
        object["claimMinutes"] = configuration.claimSeconds / 60

        var entities: [(String, EntityRecord)] = []
        var context: ItemContext?
        if let item = d.item {
            context = try await store.itemContext(itemID: item.id)
            if let author = context?.author { entities.append(("Author", author)) }
            if let container = context?.container { entities.append(("Posted in", container)) }
        } else if let entity = d.entity {
            entities.append(("This case is about", entity))
        }
        var panels: [[String: Any]] = []
        for (role, e) in entities {
            var panel = Self.entityObject(e, now: now)
            panel["role"] = role
            let decisions = try await store.entityDetail(id: e.id, itemLimit: 1)?.decisions ?? []
            panel["decisions"] = decisions.suffix(ConsoleSettings.panelDecisions).reversed().map(Self.decisionRow)
            panel["hasDecisions"] = !decisions.isEmpty
            panel["decisionCount"] = decisions.count
            panels.append(panel)
        }
        object["entities"] = panels
        object["hasEntities"] = !panels.isEmpty

        guard let item = d.item else { return nil }
        let verdict = ConsoleVerdict(json: item.verdictJSON)
        let sections = verdict.sections(
            text: item.text, urls: context?.urls ?? [], media: context?.media ?? [], engine: engine)
        object["lexicon"] = sections.lexicon
        object["hasLexicon"] = !sections.lexicon.isEmpty
        object["known"] = sections.known
        object["hasKnown"] = !sections.known.isEmpty
        object["images"] = sections.images
        object["hasImages"] = !sections.images.isEmpty
        object["links"] = sections.links
        object["hasLinks"] = !sections.links.isEmpty
        object["otherEvidence"] = sections.other
        object["hasOtherEvidence"] = !sections.other.isEmpty
        // Every word both ways, as the classifier weighs them now (the verdict is from the scan;
        // the model may have been retrained since).
        if let explanation = engine.explain(TextItem(id: "case", text: item.text)) {
            let (raised, lowered) = explanation.strongest(ConsoleSettings.weighedWords)
            func list(_ words: [ScoreExplanation.Word]) -> String {
                words.isEmpty
                    ? "none"
                    : words.map { "\($0.text) \(ScoreExplanation.percent($0.share))" }.joined(separator: ", ")
            }
            object["weighed"] = [
                "violating": String(format: "%.2f", explanation.violating), "raised": list(raised),
                "lowered": list(lowered),
            ]
        }
        if let lang = Self.langAttribute(item.language) { object["itemLang"] = lang }
        return context
    }

    // MARK: Rows

    static func kindLabel(_ kind: EntityKind) -> String {
        kind == .account ? "Account" : kind.rawValue.prefix(1).uppercased() + String(kind.rawValue.dropFirst())
    }

    /// What a list row, a panel and the entity page show of an entity.
    static func entityObject(_ e: EntityRecord, now: Int64) -> [String: Any] {
        var row: [String: Any] = [
            "id": e.id, "kind": e.kind.rawValue, "kindLabel": kindLabel(e.kind), "platform": e.platform,
            "externalID": e.externalID, "name": e.name ?? e.externalID, "hasName": e.name != nil,
            "status": e.status.rawValue, "banned": e.status.isBanned, "risk": String(format: "%.1f", e.risk),
            "reach": e.signals.reach, "reachLabel": e.kind == .account ? "followers" : "followers or members",
            "topParts": e.riskParts(at: now).filter { $0.value > 0 }.sorted { $0.value > $1.value }.prefix(3).map {
                ["name": $0.name, "value": String(format: "%.1f", $0.value)]
            },
        ]
        if let of = e.reappearanceOf { row["reappearanceOf"] = of }
        return row
    }

    static func decisionRow(_ d: DecisionRecord) -> [String: Any] {
        var row: [String: Any] = [
            "when": CivilDate.isoDateTime(d.createdAt), "reviewer": d.reviewer, "action": d.action.rawValue,
            "caseID": d.caseID,
        ]
        if let c = d.category { row["category"] = c.rawValue }
        if let x = d.exemption, !x.isEmpty { row["exemption"] = x }
        if let n = d.note, !n.isEmpty { row["note"] = n }
        return row
    }

    static func timelineRow(_ t: EntityTimelineEntry) -> [String: Any] {
        let i = t.item
        var text = i.text
        if text.count > ConsoleSettings.excerptLength {
            text = String(text.prefix(ConsoleSettings.excerptLength)) + "…"
        }
        var row: [String: Any] = [
            "when": CivilDate.isoDateTime(i.postedAt ?? i.receivedAt), "externalID": i.externalID,
            "type": i.type ?? "item", "text": text, "decision": i.decision.rawValue,
            "score": String(format: "%.2f", i.score),
        ]
        if let lang = langAttribute(i.language) { row["lang"] = lang }
        if let c = t.caseID { row["caseID"] = c }
        if let s = t.caseStatus { row["caseStatus"] = s.rawValue }
        if let a = t.lastAction { row["lastAction"] = a.rawValue }
        return row
    }

    /// A language code fit for a `lang` attribute, or nil for "und" and anything that is not a
    /// plain BCP 47 tag (letters, digits and hyphens).
    static func langAttribute(_ code: String) -> String? {
        guard !code.isEmpty, code != "und", code.utf8.count <= 35,
            code.unicodeScalars.allSatisfy({ s in
                switch s {
                case "a"..."z", "A"..."Z", "0"..."9", "-": true
                default: false
                }
            })
        else { return nil }
        return code
    }
}

// MARK: Evidence by kind

extension ConsoleVerdict {
    /// The verdict's evidence and the item's media results, in the case page's sections.
    struct Sections {
        /// Lexicon entries: id, kind, name, category and weight (from the engine's lexicon), the text matched.
        var lexicon: [[String: Any]] = []
        /// Known-text and near-duplicate matches: the entry and the similarity.
        var known: [[String: Any]] = []
        /// Images: the bank match and its distance, or what became of the image.
        var images: [[String: Any]] = []
        /// Links in the text and sent with the item, and whether they are listed.
        var links: [[String: Any]] = []
        /// Classifier and context scores, and any other evidence.
        var other: [[String: Any]] = []
    }

    func sections(text: String, urls: [String], media: [MediaPartRecord], engine: TextEngine) -> Sections {
        var s = Sections()
        let scalars = Array(text.unicodeScalars)
        func excerpt(_ e: Entry) -> String? {
            guard let start = e.start, let end = e.end, 0 <= start, start < end, end <= scalars.count else {
                return nil
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[start..<end])
            return String(view)
        }
        var listedAtScan: [String: String] = [:]
        for e in entries {
            switch e.kind {
            case "indicator":
                // "id (kind): name"
                var row: [String: Any] = ["id": "", "kind": "", "name": "", "category": "", "weight": "", "text": ""]
                if let open = e.detail.range(of: " ("),
                    let close = e.detail.range(of: "): ", range: open.upperBound..<e.detail.endIndex)
                {
                    let id = String(e.detail[..<open.lowerBound])
                    row["id"] = id
                    row["kind"] = String(e.detail[open.upperBound..<close.lowerBound])
                    row["name"] = String(e.detail[close.upperBound...])
                    if let entry = engine.indicators?.lexicon.entries.first(where: { $0.id == id }) {
                        row["weight"] = String(format: "%.2f", entry.weight)
                        row["category"] = entry.category.rawValue
                    }
                } else {
                    row["id"] = e.detail
                }
                if let matched = excerpt(e) { row["text"] = matched }
                s.lexicon.append(row)
            case "known_text", "near_duplicate":
                // "source:id similarity 0.93"
                var row: [String: Any] = [
                    "match": e.kind == "known_text" ? "same text" : "near-duplicate", "entry": e.detail,
                ]
                if let r = e.detail.range(of: " similarity ", options: .backwards) {
                    row["entry"] = String(e.detail[..<r.lowerBound])
                    row["similarity"] = String(e.detail[r.upperBound...])
                }
                s.known.append(row)
            case "url", "domain":
                // "value (label)"
                let open = e.detail.range(of: " (")
                let value = open.map { String(e.detail[..<$0.lowerBound]) } ?? e.detail
                var why = e.kind == "url" ? "listed URL" : "listed domain \(value)"
                if let open, e.detail.hasSuffix(")") { why += ": " + String(e.detail[open.upperBound...].dropLast()) }
                listedAtScan[value] = why
            default:
                var row: [String: Any] = ["kind": e.kind, "detail": e.detail]
                // A term's detail names the word as written already.
                if e.kind != "term", let matched = excerpt(e) { row["text"] = matched }
                s.other.append(row)
            }
        }

        // Links: those in the text and those sent with the item, each once, with the list's
        // answer now and, if it differs, the evidence of the scan.
        let extractor = LinkExtractor()
        var links = extractor.links(in: text)
        for raw in urls { if let l = extractor.normalize(Array(raw.utf8)) { links.append(l) } }
        var seen = Set<String>()
        var covered = Set<String>()
        for link in links where seen.insert(link.url).inserted {
            let list = engine.linkList
            var row: [String: Any] = ["url": link.url, "host": link.host]
            if let url = list.urlMatch(link) {
                row["listed"] = "listed URL" + (list.label(ofURL: url).map { $0.isEmpty ? "" : ": \($0)" } ?? "")
                covered.insert(url)
            } else if let domain = list.domainMatch(link) {
                row["listed"] =
                    "listed domain \(domain)" + (list.label(ofDomain: domain).map { $0.isEmpty ? "" : ": \($0)" } ?? "")
                covered.insert(domain)
            } else if let value = listedAtScan.keys.first(where: {
                $0 == link.url || link.host == $0 || link.host.hasSuffix("." + $0)
            }) {
                row["listed"] = (listedAtScan[value] ?? "") + " (when scanned)"
                covered.insert(value)
            } else {
                row["listed"] = "not listed"
            }
            row["isListed"] = (row["listed"] as? String) != "not listed"
            s.links.append(row)
        }
        for (value, why) in listedAtScan.sorted(by: { $0.key < $1.key }) where !covered.contains(value) {
            s.links.append(["url": value, "host": "", "listed": why + " (when scanned)", "isListed": true])
        }

        // Images: the bank match each one had, with its distance.
        for (n, part) in media.enumerated() {
            var row: [String: Any] = ["n": n + 1, "matched": false]
            if let match = part.matchEvidenceObject {
                let type = match["type"] as? String ?? ""
                let distance = (match["distance"] as? NSNumber)?.intValue ?? 0
                row["bank"] = match["bank"] as? String ?? ""
                row["entry"] = (match["entry"] as? NSNumber)?.stringValue ?? ""
                row["type"] = type
                row["distance"] =
                    type == "pdq"
                    ? "\(distance) of 256 bits"
                    : type == "vpdq" ? "nearest frames \(distance) of 256 bits apart" : (distance == 0 ? "exact" : String(distance))
                // A vPDQ entry: how much of each video was found in the other.
                if let video = match["video"] as? [String: Any] {
                    func n(_ key: String) -> Int { (video[key] as? NSNumber)?.intValue ?? 0 }
                    row["video"] =
                        "\(n("frames_matched")) of its \(n("frames")) frames found in the banked video, "
                        + "\(n("entry_frames_matched")) of the banked video's \(n("entry_frames")) found in it"
                }
                // An animation's or a video's later frame, if that is what matched.
                if let name = part.matchedFrameName { row["frame"] = name }
                // A turned photo matched by its pixels as stored (a bank hash made without the turn).
                if match["stored_pixels"] as? Bool == true {
                    let orientation = (match["orientation"] as? NSNumber)?.intValue ?? 0
                    row["asStored"] = "its pixels as stored, before orientation \(orientation) turned them"
                }
                row["matched"] = true
            } else if part.matchedAt != nil {
                row["outcome"] = "matched a bank (the details were not recorded)"
            } else {
                let outcome: String =
                    switch part.status {
                    case "hashed" where part.hashesOnly: "sent as the platform's hashes, no bank match"
                    case "hashed": part.pdq == nil ? "not an image Bulwark decodes: matched by MD5 and SHA-256 only, no bank match" : "no bank match"
                    case "failed": "could not be decoded"
                    default: "not hashed yet"
                    }
                row["outcome"] = outcome
            }
            if let q = part.quality { row["quality"] = q }
            if !part.frames.isEmpty {
                let n = part.frames.count
                let later = "\(n) later \(n == 1 ? "frame" : "frames") showing another picture hashed"
                if let last = part.frames.last, let second = last.second, last.frame > 0 {
                    let every = second / last.frame
                    row["frames"] = "a video: its first frame and \(later) (a frame every \(every == 1 ? "second" : "\(every) seconds"))"
                } else {
                    row["frames"] = "an animation: its first frame and \(later)"
                }
            }
            s.images.append(row)
        }
        return s
    }
}

extension MediaPartRecord {
    /// The bank match the worker recorded, as a JSON object (`bank`, `entry`, `type`, `distance`,
    /// and `frame` for an animation's later frame); nil when there is none or it does not read.
    var matchEvidenceObject: [String: Any]? {
        guard let json = matchEvidence else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    }

    /// The later frame of an animation or a video (counted from 0) whose hash a bank matched, if
    /// one did.
    var matchedFrame: Int? { (matchEvidenceObject?["frame"] as? NSNumber)?.intValue }

    /// The time of a video's frame that a bank matched, in seconds from the start.
    var matchedSecond: Int? { (matchEvidenceObject?["second"] as? NSNumber)?.intValue }

    /// The matched frame as the reviewer reads it: an animation's by number counted from 1 (the
    /// first is frame 1), a video's by its time; nil when no later frame matched.
    var matchedFrameName: String? {
        guard let frame = matchedFrame else { return nil }
        return matchedSecond.map { "the frame at \(Self.clock($0))" } ?? "frame \(frame + 1)"
    }

    /// `seconds` as minutes and seconds (`1:05`), or hours too (`1:02:05`).
    static func clock(_ seconds: Int) -> String {
        let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60)
        let ss = s < 10 ? "0\(s)" : "\(s)"
        if h > 0 { return "\(h):\(m < 10 ? "0\(m)" : "\(m)"):\(ss)" }
        return "\(m):\(ss)"
    }
}
