import BulwarkCore
import BulwarkEntities
import BulwarkMedia
import BulwarkMediaProcess
public import BulwarkBanks
public import BulwarkCascade
public import BulwarkStore
public import BulwarkText
public import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization
import UnixSignals

/// The request context: who is calling (set by the authentication middleware).
public struct BulwarkRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var key: APIKeyRecord?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// Everything the routes share.
public struct BulwarkService: Sendable {
    public let store: any ModerationStore
    public let engine: TextEngine
    /// The cascade that scans ingested text: `engine` alone (`--model fast`), or with the
    /// sentence encoder on the items it finds uncertain (`--model full`).
    public let scanner: CascadeEngine
    public let configuration: ServerConfiguration
    public let clock: @Sendable () -> Int64
    /// Hash banks media is matched against: a registry the API can change, or a fixed set.
    public let bankRegistry: BankRegistry?
    let fixedBanks: BankSet?
    public var banks: BankSet? { bankRegistry?.banks ?? fixedBanks }
    public let metrics = ServiceMetrics()
    let keyCache = KeyCache()
    let limiter: RateLimiter
    let committer: IngestCommitter
    let reappearance: ReappearanceTracker
    /// The texts removed before, by content key (known content for new copies).
    let removedTexts = RemovedTexts()
    let queue: QueueGauge
    /// With `--model full`: the encoder's workspaces, kept from request to request (one per
    /// core, 8 at most: up to 52 MiB each once full); nil with the fast engine alone.
    let encoderWorkspaces: EncoderWorkspaces?
    /// The console's still images: decoded in child processes too when media is
    /// (``ServerConfiguration/mediaDecoder``), and the last ones shown kept.
    let stills: ConsoleStills

    public init(
        store: any ModerationStore, engine: TextEngine, configuration: ServerConfiguration, banks: BankSet? = nil,
        bankRegistry: BankRegistry? = nil, semantic: SemanticModel? = nil,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.scanner = CascadeEngine(fast: engine, semantic: semantic)
        self.store = store
        self.fixedBanks = banks
        self.bankRegistry = bankRegistry
        self.engine = engine
        self.configuration = configuration
        self.stills = ConsoleStills(configuration: configuration)
        self.clock = clock
        self.limiter = RateLimiter(perSecond: configuration.rateLimitPerKey)
        self.committer = IngestCommitter(store: store, clock: clock)
        self.reappearance = ReappearanceTracker(normalizer: engine.normalizer)
        self.queue = QueueGauge(bound: configuration.maxQueueDepth)
        self.encoderWorkspaces =
            semantic == nil
            ? nil : EncoderWorkspaces(configuration: configuration, cores: ProcessInfo.processInfo.activeProcessorCount)
        // The encoder's counters are in /metrics from the start (at 0) when it runs at all.
        if semantic != nil { metrics.encoder(items: 0, pieceLookups: 0, pieceHits: 0) }
    }

    // MARK: Ingest

    /// Validates, scans and stores items; returns the response body.
    func ingest(_ payloads: [ItemPayload], platformDefault: String) async throws -> [UInt8] {
        guard payloads.count <= configuration.maxBatchItems else {
            throw APIError.tooLarge(
                "\(payloads.count) items in one request, the limit is \(configuration.maxBatchItems)", field: "items",
                limit: configuration.maxBatchItems)
        }
        var scanned: [ScannedItem] = []
        scanned.reserveCapacity(payloads.count)
        let encoder = VerdictEncoder()
        // Every item validated first, then all scanned as one batch (with `--model full`, the
        // items routed to the encoder go through it together).
        var items: [NewItem] = []
        var textItems: [TextItem] = []
        for (i, p) in payloads.enumerated() {
            let at = payloads.count > 1 ? "items[\(i)]." : ""
            items.append(try validate(p, field: at, platformDefault: platformDefault))
            textItems.append(
                TextItem(
                    id: p.id, text: p.text, lang: p.lang, type: p.type.flatMap(ItemType.init(rawValue:)), urls: p.urls ?? [], author: p.author,
                    container: p.container?.id))
        }
        // With the encoder, a kept workspace: only this request uses it until it is given back.
        var scratch = encoderWorkspaces.map { CascadeScratch(workspace: $0.take()) } ?? scanner.makeScratch()
        // Each text's content key from the normal form the scan makes of it.
        scratch.engine.keepsContentKeys = true
        let lookups = scratch.pieceLookups, hits = scratch.pieceHits
        let sentenceLookups = scratch.embeddingLookups, sentenceHits = scratch.embeddingHits
        let verdicts = scanner.scan(batch: textItems, scratch: &scratch)
        if let encoderWorkspaces {
            metrics.encoder(
                items: scratch.encoded, routes: scratch.routes, pieceLookups: scratch.pieceLookups - lookups,
                pieceHits: scratch.pieceHits - hits, sentenceLookups: scratch.embeddingLookups - sentenceLookups,
                sentenceHits: scratch.embeddingHits - sentenceHits)
            encoderWorkspaces.give(scratch.workspace)
        }
        // Copies of a text removed before (by a reviewer or a removal order) are known content,
        // whatever the engine made of them: the index of removed texts, kept in memory.
        let keys = zip(items, scratch.engine.batchContentKeys).map { item, key in Self.hasContentKey(item) ? key : nil }
        let removals =
            keys.contains { $0 != nil } ? try await removedTexts.removals(keys, store: store, now: clock()) : keys.map { _ in nil }
        for (i, (item, scannedVerdict)) in zip(items, verdicts).enumerated() {
            var verdict = scannedVerdict
            let removedBefore = removals[i]
            if let removedBefore { Self.markRemovedBefore(&verdict, removedBefore, maxEvidence: engine.configuration.maxEvidence) }
            var json: [UInt8] = []
            encoder.encode(verdict, into: &json)
            if json.last == UInt8(ascii: "\n") { json.removeLast() }
            let top = verdict.categories.first
            let category = top?.name ?? removedBefore?.category
            let priority: Double? =
                verdict.decision == .none
                ? nil
                : ReviewPriority.base(
                    score: removedBefore == nil ? verdict.score : 1, category: category, reach: item.containerReach ?? 0,
                    userReports: 0, trustedReports: 0)
            scanned.append(
                ScannedItem(
                    item: item, decision: verdict.decision, score: verdict.score, category: category,
                    context: verdict.context?.rawValue, language: verdict.language,
                    verdictJSON: String(decoding: json, as: UTF8.self), casePriority: priority,
                    contentKey: verdict.decision == .none ? nil : keys[i]))
        }
        let outcomes = try await committer.ingest(scanned)
        for (s, o) in zip(scanned, outcomes) where o.created { metrics.verdict(s.decision.rawValue) }
        try await checkReappearance(outcomes)
        var out = Array("{\"items\":[".utf8)
        for (i, (p, o)) in zip(payloads, outcomes).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("{\"id\":".utf8)
            appendJSONString(p.id, to: &out)
            out += Array(",\"item_id\":\(o.itemID),\"created\":\(o.created),\"case_id\":".utf8)
            out += Array((o.caseID.map(String.init) ?? "null").utf8)
            out += Array(",\"verdict\":".utf8)
            out += Array(o.verdictJSON.utf8)
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}".utf8)
        return out
    }

    /// A copy of a text removed before: `violating` (known content, verified by a person or an
    /// authority: the platform may act on it at once), with evidence naming the case and decision.
    /// As the data contract has it, a violating verdict names a category (the removal's, when the
    /// engine found none; `dissemination`, posting removed content again, when neither names one,
    /// as a removal order may not) and no non-violating context.
    static func markRemovedBefore(_ verdict: inout Verdict, _ removed: RemovedText, maxEvidence: Int) {
        verdict.decision = .violating
        verdict.context = nil
        if verdict.categories.isEmpty {
            verdict.categories = [CategoryScore(name: removed.category ?? .dissemination, score: 1)]
        }
        let category = removed.category.map { ", \($0.rawValue)" } ?? ""
        verdict.evidence.insert(
            Evidence(
                kind: .knownText,
                detail: "removed before: a copy of this text, case \(removed.caseID) (decision \(removed.decisionID)\(category))"),
            at: 0)
        if verdict.evidence.count > maxEvidence { verdict.evidence.removeLast(verdict.evidence.count - maxEvidence) }
    }

    /// An item's content key (``ContentKey``): a flagged item's case carries it, so that its open
    /// copies are found and decided together, and any item with the key of a removed text is
    /// known content. An item with media has none: the same words over other images are not
    /// the same content.
    static func hasContentKey(_ item: NewItem) -> Bool { item.media.isEmpty && item.givenMedia.isEmpty }

    func validate(_ p: ItemPayload, field at: String, platformDefault: String) throws -> NewItem {
        func check(_ value: String, _ name: String, max: Int) throws {
            guard !value.isEmpty else { throw APIError.invalid("\(name) is empty", field: at + name) }
            guard value.utf8.count <= max else {
                throw APIError.tooLarge("\(name) is \(value.utf8.count) bytes, the limit is \(max)", field: at + name, limit: max)
            }
        }
        let platform = p.platform ?? platformDefault
        try check(platform, "platform", max: Self.maxPlatformBytes)
        try check(p.id, "id", max: Self.maxItemIDBytes)
        guard p.text.utf8.count <= configuration.maxTextBytes else {
            throw APIError.tooLarge(
                "text is \(p.text.utf8.count) bytes, the limit is \(configuration.maxTextBytes)", field: at + "text",
                limit: configuration.maxTextBytes)
        }
        if let type = p.type, ItemType(rawValue: type) == nil {
            throw APIError.invalid("unknown type \"\(type)\" (post, comment, message, profile, title)", field: at + "type")
        }
        var containerKind: EntityKind? = nil
        if let kind = p.container?.kind {
            guard let k = EntityKind(rawValue: kind), k != .account else {
                throw APIError.invalid(
                    "unknown container kind \"\(kind)\" (page, group, channel, room, thread)", field: at + "container.kind")
            }
            containerKind = k
        }
        for (value, name) in [(p.author, "author"), (p.container?.id, "container.id")] {
            if let value { try check(value, name, max: 256) }
        }
        let media = p.media ?? []
        guard media.count <= configuration.maxMediaPerItem else {
            throw APIError.tooLarge(
                "\(media.count) media parts, the limit is \(configuration.maxMediaPerItem)", field: at + "media",
                limit: configuration.maxMediaPerItem)
        }
        var decoded: [[UInt8]] = []
        var given: [StoredMediaHashes] = []
        for (k, m) in media.enumerated() {
            let hashed = m.md5 != nil || m.sha256 != nil || m.pdq != nil || m.pdq_quality != nil || m.frames != nil || m.vpdq != nil
            guard let base64 = m.data else {
                guard hashed else {
                    throw APIError.invalid("a media part needs data (base64) or its hashes (md5, sha256, pdq, vpdq)", field: at + "media[\(k)]")
                }
                given.append(try Self.givenHashes(m, field: at + "media[\(k)].", maxFrames: configuration.maxMediaFrames))
                continue
            }
            guard !hashed else {
                throw APIError.invalid("a media part has data or hashes, not both (Bulwark hashes the data)", field: at + "media[\(k)]")
            }
            guard base64.utf8.count <= (configuration.maxMediaBytes + 2) / 3 * 4 + 4 else {
                throw APIError.tooLarge(
                    "media part is over \(configuration.maxMediaBytes) bytes", field: at + "media[\(k)].data",
                    limit: configuration.maxMediaBytes)
            }
            guard let data = Data(base64Encoded: base64) else {
                throw APIError.invalid("not base64", field: at + "media[\(k)].data")
            }
            guard !data.isEmpty else { throw APIError.invalid("media data is empty", field: at + "media[\(k)].data") }
            guard data.count <= configuration.maxMediaBytes else {
                throw APIError.tooLarge(
                    "media part is \(data.count) bytes, the limit is \(configuration.maxMediaBytes)",
                    field: at + "media[\(k)].data", limit: configuration.maxMediaBytes)
            }
            let bytes = [UInt8](data)
            do {
                _ = try ImageDecoder(limits: configuration.imageLimits).header(bytes)
            } catch where error.code == .tooManyPixels {
                throw APIError.tooLarge(
                    "media part: \(error.message)", field: at + "media[\(k)].data", limit: configuration.maxMediaPixels)
            } catch {
                // Any other fault of the image is recorded against the part by the media job.
            }
            decoded.append(bytes)
        }
        for (value, name) in [(p.container?.followers, "container.followers"), (p.container?.members, "container.members")] {
            if let value, !(0...ItemPayload.maxReach).contains(value) {
                throw APIError.invalid("\(name) must be 0 ... \(ItemPayload.maxReach): got \(value)", field: at + name)
            }
        }
        if let posted = p.posted_at, !ItemPayload.postedAtRange.contains(posted) {
            throw APIError.invalid(
                "posted_at must be Unix seconds from 0 to \(ItemPayload.postedAtRange.upperBound) (the end of 9999): got \(posted)",
                field: at + "posted_at")
        }
        let reach = max(p.container?.followers ?? 0, p.container?.members ?? 0)
        // Avatars come as PDQ hashes the platform computed (64 hex digits), stored in lower case.
        func avatar(_ hex: String?, _ name: String) throws -> String? {
            guard let hex else { return nil }
            guard let hash = PDQHash(hex: hex) else {
                throw APIError.invalid("\(name) is not a PDQ hash (64 hex digits)", field: at + name)
            }
            return hash.hex
        }
        return NewItem(
            platform: platform, externalID: p.id, type: p.type, text: p.text, langHint: p.lang, urls: p.urls ?? [],
            author: p.author, containerID: p.container?.id, containerTitle: p.container?.title,
            containerKind: containerKind, containerReach: p.container == nil ? nil : reach, postedAt: p.posted_at,
            media: decoded, containerAvatarPDQ: try avatar(p.container?.avatar_pdq, "container.avatar_pdq"),
            authorAvatarPDQ: try avatar(p.author_avatar_pdq, "author_avatar_pdq"), givenMedia: given)
    }

    /// A part's hashes as the platform sent them, checked (hex of the right length, a PDQ
    /// quality 0 ... 100 with a PDQ hash only; later frames with a PDQ hash only, each with its
    /// hash and quality, numbered 1 or more, at most `maxFrames`) and in lower case. A vPDQ hash
    /// (`vpdq`) stands for the PDQ hash and the frames: its first frame is the part's PDQ hash,
    /// and its later frames that show another picture (more than ``FramePDQ/sameFrameBits`` from
    /// every one kept before, as the media job keeps a video's) its frames, numbered by their place
    /// in the list, each with its second; at most `maxFrames` of them.
    static func givenHashes(_ m: ItemPayload.Media, field at: String, maxFrames: Int) throws -> StoredMediaHashes {
        func hex(_ value: String?, _ name: String, digits: Int) throws -> String? {
            guard let value else { return nil }
            guard value.utf8.count == digits, value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) })
            else { throw APIError.invalid("\(name) is not \(digits) hex digits", field: at + name) }
            return value.lowercased()
        }
        let md5 = try hex(m.md5, "md5", digits: 32)
        let sha256 = try hex(m.sha256, "sha256", digits: 64)
        let pdq = try hex(m.pdq, "pdq", digits: 64)
        if let quality = m.pdq_quality {
            guard pdq != nil else { throw APIError.invalid("pdq_quality goes with a pdq hash", field: at + "pdq_quality") }
            guard (0...100).contains(quality) else {
                throw APIError.invalid("pdq_quality must be 0 ... 100: got \(quality)", field: at + "pdq_quality")
            }
        }
        if let text = m.vpdq {
            guard pdq == nil, m.pdq_quality == nil, m.frames == nil else {
                throw APIError.invalid("vpdq holds the video's frames: send it without pdq, pdq_quality and frames", field: at + "vpdq")
            }
            return try givenVideo(text, md5: md5, sha256: sha256, field: at + "vpdq", maxFrames: maxFrames)
        }
        guard md5 != nil || sha256 != nil || pdq != nil else {
            throw APIError.invalid("a media part sent as hashes needs md5, sha256, pdq or vpdq", field: at + "md5")
        }
        var frames: [FramePDQ] = []
        if let given = m.frames {
            guard pdq != nil else { throw APIError.invalid("frames go with a pdq hash (the first frame's)", field: at + "frames") }
            guard given.count <= maxFrames else {
                throw APIError.tooLarge("\(given.count) frames, the limit is \(maxFrames)", field: at + "frames", limit: maxFrames)
            }
            for (n, f) in given.enumerated() {
                let field = at + "frames[\(n)]."
                guard let hex = try hex(f.pdq, "frames[\(n)].pdq", digits: 64), let hash = PDQHash(hex: hex) else {
                    throw APIError.invalid("a frame needs its pdq hash", field: field + "pdq")
                }
                guard let quality = f.quality, (0...100).contains(quality) else {
                    throw APIError.invalid("a frame needs its quality, 0 ... 100\(f.quality.map { ": got \($0)" } ?? "")", field: field + "quality")
                }
                let number = f.frame ?? n + 1
                guard number >= 1 else {
                    throw APIError.invalid("frame must be 1 or more (the first frame is the part's pdq): got \(number)", field: field + "frame")
                }
                if let second = f.second, !(0...ItemPayload.maxFrameSecond).contains(second) {
                    throw APIError.invalid(
                        "second must be 0 ... \(ItemPayload.maxFrameSecond) (a video frame's time from the start): got \(second)",
                        field: field + "second")
                }
                frames.append(FramePDQ(frame: number, hash: hash, quality: quality, second: f.second))
            }
        }
        return StoredMediaHashes(pdq: pdq, quality: pdq == nil ? nil : m.pdq_quality, md5: md5, sha256: sha256, frames: frames)
    }

    /// A part's hashes from its vPDQ hash (``givenHashes(_:field:maxFrames:)``).
    static func givenVideo(_ text: String, md5: String?, sha256: String?, field: String, maxFrames: Int) throws -> StoredMediaHashes {
        let video: VPDQHash
        do {
            video = try VPDQHash(text)
        } catch {
            throw APIError.invalid(error.message + (error.offset.map { " (byte \($0) of the value)" } ?? ""), field: field)
        }
        let first = video.features[0]
        var kept = [first.hash]
        var frames: [FramePDQ] = []
        for (n, f) in video.features.enumerated().dropFirst()
        where FramePDQ.showsAnotherPicture(f.hash, than: kept) {
            guard f.milliseconds / 1000 <= Int64(ItemPayload.maxFrameSecond) else {
                throw APIError.invalid(
                    "vpdq frame \(n + 1) is at \(f.milliseconds / 1000) s, past \(ItemPayload.maxFrameSecond) (a week)", field: field)
            }
            kept.append(f.hash)
            frames.append(FramePDQ(frame: n, hash: f.hash, quality: f.quality, second: Int(f.milliseconds / 1000)))
        }
        guard frames.count <= maxFrames else {
            throw APIError.tooLarge(
                "\(frames.count) frames after the first show another picture, the limit is \(maxFrames)", field: field, limit: maxFrames)
        }
        return StoredMediaHashes(pdq: first.hash.hex, quality: first.quality, md5: md5, sha256: sha256, frames: frames)
    }

    // MARK: Re-appearance

    /// Checks the entities that got one of their first ``ReappearanceIndex/maxPosts`` items in
    /// this ingest against the banned ones; a match is recorded on the entity (its risk and
    /// case follow). Nothing is read when no entity is banned.
    func checkReappearance(_ outcomes: [IngestOutcome]) async throws {
        var fresh: [Int64: Int] = [:]
        for o in outcomes where o.created {
            for id in [o.authorEntityID, o.containerEntityID].compactMap({ $0 }) { fresh[id, default: 0] += 1 }
        }
        guard let most = fresh.values.max() else { return }
        let now = clock()
        try await reappearance.refresh(store, now: now)
        let index = await reappearance.snapshot
        guard index.count > 0 else { return }
        let sources = try await store.entityFingerprints(
            ids: fresh.keys.sorted(), maxItemCount: ReappearanceIndex.maxPosts + most - 1)
        for source in sources where source.itemCount - (fresh[source.entityID] ?? 0) < ReappearanceIndex.maxPosts {
            guard let match = reappearance.match(source, in: index) else { continue }
            _ = try await store.recordReappearance(entityID: source.entityID, match: match, now: now)
        }
    }

    // MARK: Authentication

    /// The key named by `Authorization: Bearer KEY`: 401 if none or unknown or revoked.
    func authenticate(_ request: Request) async throws -> APIKeyRecord {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("no API key: send Authorization: Bearer KEY")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("the Authorization header must be: Bearer KEY")
        }
        let hash = APIKeys.hash(String(parts[1]))
        let now = clock()
        let record: APIKeyRecord?
        if let cached = keyCache.get(hash, now: now) {
            record = cached
        } else {
            record = try await store.key(hash: hash)
            if let record { keyCache.put(hash, record, now: now) }
        }
        guard let record, record.revokedAt == nil else { throw APIError.unauthorized("unknown or revoked API key") }
        if !limiter.allow(key: record.id, now: Date().timeIntervalSince1970) {
            throw APIError(
                .tooManyRequests, "rate_limited",
                "more than \(configuration.rateLimitPerKey) requests per second for this key",
                // The seconds until the bucket holds a token again.
                headers: [.retryAfter: "\(max(1, Int((1 / configuration.rateLimitPerKey).rounded(.up))))"])
        }
        return record
    }

    // MARK: Webhooks

    /// A webhook body (one JSON object) with one more field, `name`, whose value is the JSON text
    /// `value`: how an order or an appeal rides on the decision webhook it caused.
    static func webhook(_ body: String, adding name: String, _ value: [UInt8]) -> String {
        var out = Array(body.utf8.dropLast())
        out += Array(",\"\(name)\":".utf8)
        out += value
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `"item":{"platform":…,"id":…}`: how every webhook names the item, by the platform's own
    /// ids (the OpenAPI document's `WebhookItem`).
    static func appendWebhookItem(_ item: ItemRecord, to out: inout [UInt8]) {
        out += Array("\"item\":{\"platform\":".utf8)
        appendJSONString(item.platform, to: &out)
        out += Array(",\"id\":".utf8)
        appendJSONString(item.externalID, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    func webhookBody(_ d: DecisionRecord, _ item: ItemRecord) -> String {
        var out = Array("{\"event\":\"decision\",\"decision_id\":\(d.id),\"case_id\":\(d.caseID),".utf8)
        Self.appendWebhookItem(item, to: &out)
        out += Array(",\"action\":\"\(d.action.rawValue)\",\"category\":".utf8)
        out += Array((d.category.map { "\"\($0.rawValue)\"" } ?? "null").utf8)
        out += Array(",\"exemption\":".utf8)
        if let e = d.exemption { appendJSONString(e, to: &out) } else { out += Array("null".utf8) }
        // Where the platform applies it: the countries a geo-block or restriction names, null: everywhere.
        out += Array(",\"countries\":".utf8)
        if let countries = d.countries {
            out.append(UInt8(ascii: "["))
            for (i, code) in countries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendJSONString(code, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        } else {
            out += Array("null".utf8)
        }
        out += Array(",\"reviewer\":".utf8)
        appendJSONString(d.reviewer, to: &out)
        out += Array(",\"decided_at\":\(d.createdAt)}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// The webhook of an entity decision: the entity, the action, and as evidence the platform
    /// ids of its violating and review items (most recent first) and what it resembles.
    func entityWebhookBody(_ d: DecisionRecord, _ entity: EntityRecord, _ evidence: [ItemRecord]) -> String {
        var out = Array("{\"event\":\"entity_decision\",\"decision_id\":\(d.id),\"case_id\":\(d.caseID)".utf8)
        out += Array(",\"entity\":{\"platform\":".utf8)
        appendJSONString(entity.platform, to: &out)
        out += Array(",\"kind\":\"\(entity.kind.rawValue)\",\"id\":".utf8)
        appendJSONString(entity.externalID, to: &out)
        out += Array(",\"status\":\"\(entity.status.rawValue)\"},\"action\":\"\(d.action.rawValue)\",\"category\":".utf8)
        out += Array((d.category.map { "\"\($0.rawValue)\"" } ?? "null").utf8)
        out += Array(",\"reviewer\":".utf8)
        appendJSONString(d.reviewer, to: &out)
        out += Array(",\"decided_at\":\(d.createdAt),\"evidence\":{\"items\":[".utf8)
        for (i, item) in evidence.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(item.externalID, to: &out)
        }
        out += Array("],\"risk\":\((entity.risk * 100).rounded() / 100),\"reappearance\":".utf8)
        if let e = entity.reappearanceEvidence { appendJSONString(e, to: &out) } else { out += Array("null".utf8) }
        out += Array("}}".utf8)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Recently seen keys, so that a key is not read from the database on every request.
/// Entries live 5 seconds: a revocation takes effect within that time.
final class KeyCache: Sendable {
    private let entries = Mutex<[String: (APIKeyRecord, Int64)]>([:])

    func get(_ hash: String, now: Int64) -> APIKeyRecord? {
        entries.withLock { e in
            guard let (record, at) = e[hash], now - at < 5 else { return nil }
            return record
        }
    }

    func put(_ hash: String, _ record: APIKeyRecord, now: Int64) {
        entries.withLock { e in
            if e.count > 10_000 { e.removeAll() }
            e[hash] = (record, now)
        }
    }
}

/// A token bucket per key: `perSecond` tokens a second, bursts of two seconds' worth.
final class RateLimiter: Sendable {
    let perSecond: Double
    private let buckets = Mutex<[Int64: (tokens: Double, at: Double)]>([:])

    init(perSecond: Double) { self.perSecond = perSecond }

    func allow(key: Int64, now: Double) -> Bool {
        guard perSecond > 0 else { return true }
        return buckets.withLock { b in
            let capacity = perSecond * 2
            var bucket = b[key] ?? (capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * perSecond)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                b[key] = bucket
                return false
            }
            bucket.tokens -= 1
            b[key] = bucket
            return true
        }
    }
}

extension BulwarkService {
    /// The background loops a worker runs: media hashing and retro-hunts, webhook delivery,
    /// removal-order clocks, preservation purges, and after an upgrade from before schema version
    /// 25 the turned photos queued to be hashed again (``OnceAlongside/storedPixelsBackfill(_:logger:retrySeconds:)``). Each takes its
    /// work with a lease or is idempotent, so any number of processes may run them against one
    /// database.
    public func backgroundServices(logger: Logger) -> [any Service] {
        [
            WebhookSender(service: self, logger: logger), JobWorker(service: self, logger: logger),
            RemovalOrderWatch(service: self, logger: logger), PreservationPurger(service: self, logger: logger),
            OnceAlongside.storedPixelsBackfill(self, logger: logger),
        ]
    }

    /// What keeps this process's view of shared state current (a shared bank log's changes).
    func syncServices(logger: Logger) -> [any Service] {
        guard let bankRegistry, bankRegistry.isShared else { return [] }
        return [BankSync(
                registry: bankRegistry, intervalMilliseconds: configuration.bankPollMilliseconds,
                snapshotEvery: configuration.bankSnapshotEvery, logger: logger)]
    }

    /// The HTTP application, with the background loops alongside unless `background` is false
    /// (an API process that leaves them to `bulwark worker` processes). After an upgrade from
    /// before schema version 13 it also gives the older cases their content keys
    /// (``OnceAlongside/contentKeyBackfill(_:logger:retrySeconds:)``), whatever `background`: its index of removed texts needs them;
    /// and it reads that index as it starts (``OnceAlongside/removedTextsWarmUp(_:logger:retrySeconds:)``; `/readyz` waits for it).
    public func application(
        logger: Logger, background: Bool = true, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "bulwark"),
            services: syncServices(logger: logger)
                + [OnceAlongside.contentKeyBackfill(self, logger: logger), OnceAlongside.removedTextsWarmUp(self, logger: logger)]
                + (background ? backgroundServices(logger: logger) : []),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}

extension BulwarkService {
    /// Scans and stores items that did not come through HTTP (sample data, imports).
    public func ingestNew(_ items: [NewItem]) async throws -> Int {
        let payloads = items.map { item in
            ItemPayload(
                platform: item.platform, id: item.externalID, type: item.type, text: item.text, urls: item.urls,
                lang: item.langHint, author: item.author,
                container: item.containerID.map {
                    ItemPayload.Container(
                        id: $0, title: item.containerTitle, kind: item.containerKind?.rawValue,
                        followers: item.containerReach)
                })
        }
        _ = try await ingest(payloads, platformDefault: "sample")
        return payloads.count
    }
}

extension BulwarkService {
    /// Runs the server and the worker until SIGTERM or SIGINT (graceful shutdown).
    public func serve(logger: Logger, background: Bool = true) async throws {
        try await application(logger: logger, background: background).runService()
    }

    /// Runs the background loops only, no HTTP, until SIGTERM or SIGINT: then each stops
    /// taking work, finishes what it has in hand or hands it back, and this returns.
    /// `onRunning` is called once the loops are started.
    public func work(logger: Logger, onRunning: @escaping @Sendable () async -> Void = {}) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: (syncServices(logger: logger) + backgroundServices(logger: logger)).map {
                    .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await onRunning()
            try await tasks.waitForAll()
        }
    }
}
