public import BulwarkCore
import BulwarkEntities
public import BulwarkText

/// How the simulated review team picks its next case.
public enum QueueOrder: String, Sendable, CaseIterable {
    /// `ReviewPriority` (severity, confidence, reach, entity risk, waiting).
    case priority
    /// First in, first out.
    case fifo
    /// Nobody reviews: the baseline that prevented exposure is measured against.
    case none
}

/// What one run of the simulation measured.
public struct SimulationReport: Sendable {
    public var order: QueueOrder
    public var itemsPosted = 0
    public var violatingItemsPosted = 0
    /// Σ over violating items posted of their container's reach at the time.
    public var violatingExposure = 0.0
    /// Σ over the containers removed of the violating exposure they would have had in the next
    /// `preventionHorizon` (their own posts, replayed): what the removals prevented.
    public var exposurePrevented = 0.0
    public var decisions = 0
    public var entityDecisions = 0
    public var entitiesRemoved = 0
    /// Per violating container: seconds from its first item to its case being taken from the top
    /// of the queue (containers whose case never reached the top are counted apart).
    public var secondsToTop: [Int64] = []
    public var neverReachedTop = 0
    /// Comebacks of banned entities: how many, how many flagged within their first ten items,
    /// and the seconds from their first item to the flag.
    public var comebacks = 0
    public var comebacksFlaggedWithinTen = 0
    public var secondsToFlag: [Int64] = []
    public var itemsToFlag: [Int] = []
    /// Benign containers that got an entity case or a re-appearance flag, by kind.
    public var benignFlagged: [String: Int] = [:]
    public var benignContainers: [String: Int] = [:]
    /// Each benign entity flagged, and why.
    public var benignFlagDetails: [String] = []
    /// Entity cases opened, and how many were on violating entities.
    public var entityCases = 0
    public var itemCases = 0
    public var entityCasesOnViolating = 0
    public var scanSeconds = 0.0
}

/// A platform simulated in time: benign containers and accounts post, violating networks post,
/// grow their audience, are removed by a review team working a queue, and come back under new
/// names; the pipeline (text engine, entity signals and risk, re-appearance index, review
/// priority) runs on every item as it would in the service.
public struct PlatformSimulation: Sendable {
    public let settings: SimulationSettings
    public let pools: ContentPools
    public let engine: TextEngine

    public init(settings: SimulationSettings, pools: ContentPools, engine: TextEngine) {
        self.settings = settings
        self.pools = pools
        self.engine = engine
    }

    static let networkNames = [
        "Supporters of the Islamic State", "Ansar al-Khilafa Media", "Voice of al-Shabaab", "Atomwaffen Division Updates",
        "The Base Europe", "Nordic Resistance Front", "Hurras al-Din Channel", "Sonnenkrieg Division",
    ]
    static let newsPatterns = [
        "{g} news monitor", "Daily briefing: {g} trial", "Security watch on {g}", "{g}: analysis and reporting",
        "Research notes on {g}", "Fact check: {g} claims",
    ]
    static let religiousNames = [
        "Friday prayer circle", "Quran study group", "Sunnah and reflections", "Jihad al-nafs: daily reflections",
        "Islamic history and ethics", "Ramadan community kitchen", "Mosque youth circle", "Bible and Quran dialogue",
    ]
    static let ordinaryWords = [
        "cyclists", "recipes", "gardeners", "gamers", "football fans", "book club", "photography", "parents",
        "students", "runners", "chess", "jazz", "market", "neighbours", "travel", "hiking",
    ]
    static let cities = ["Lyon", "Madrid", "Berlin", "Cairo", "Leeds", "Sevilla", "Tunis", "Hamburg", "Rabat", "Milan"]

    // MARK: The world

    /// Builds the entities that exist from the start. Deterministic in the seed.
    func world() -> (entities: [SimEntity], ordinaryAccounts: Range<Int>, networkAccounts: [[Int]]) {
        var rng = SplitMix64(seed: settings.seed)
        var entities: [SimEntity] = []
        let horizon = Int64(settings.days) * 86_400
        func avatar() -> PDQHash { PDQHash(rng.next(), rng.next(), rng.next(), rng.next()) }
        let kinds: [EntityKind] = [.page, .group, .channel, .room]
        let perDay = Double(settings.items) / Double(settings.days)
        // Benign containers: posting rates with a heavy tail.
        var weights: [Double] = []
        let benign = settings.containers
        for _ in 0..<benign { weights.append(1 / max(0.02, rng.unit()).squareRoot()) }
        // Containers created during the run post only from then: rates are scaled so the total
        // over the run is `items`.
        let created = (0..<benign).map { i in i % 10 < 3 ? Int64(rng.unit() * Double(horizon)) : Int64(0) }
        let total = zip(weights, created).reduce(0) { $0 + $1.0 * Double(horizon - $1.1) / Double(horizon) }
        for i in 0..<benign {
            let truth: EntityTruth
            let name: String
            if i < settings.newsContainers {
                truth = .news
                let group = Self.networkNames[i % Self.networkNames.count]
                name = Self.newsPatterns[(i / Self.networkNames.count) % Self.newsPatterns.count]
                    .replacing("{g}", with: group)
            } else if i < settings.newsContainers + settings.religiousContainers {
                truth = .religious
                let k = i - settings.newsContainers
                name = Self.religiousNames[k % Self.religiousNames.count] + " " + Self.cities[(k / 8) % Self.cities.count]
            } else {
                truth = .ordinary
                name = Self.cities[Int(rng.next() % 10)] + " " + Self.ordinaryWords[Int(rng.next() % 16)] + " \(i)"
            }
            let reach = Double(10) * pow10(rng.unit() * 4.5)
            entities.append(
                SimEntity(
                    externalID: "c\(i)", kind: kinds[i % kinds.count], truth: truth, name: name,
                    description: truth == .news ? "Independent reporting and analysis" : "A community on our platform",
                    avatar: avatar(), created: created[i], reach0: reach, growth: 1.0 + rng.unit() * 0.01, maxReach: 2_000_000,
                    rate: perDay * weights[i] / total, rng: SplitMix64(seed: settings.seed &+ 0x1000 &+ UInt64(i))))
        }
        // Ordinary accounts.
        let firstAccount = entities.count
        for i in 0..<settings.accounts {
            entities.append(
                SimEntity(
                    externalID: "a\(i)", kind: .account, truth: .ordinary,
                    name: ["ana", "karim", "lena", "youssef", "marie", "jonas", "fatima", "pablo"][i % 8] + "_\(i)",
                    description: "", avatar: avatar(), created: i % 10 < 3 ? Int64(rng.unit() * Double(horizon)) : 0,
                    reach0: 0, growth: 1, maxReach: 0, rate: 0, rng: SplitMix64(seed: settings.seed &+ 0x9000_0000 &+ UInt64(i))))
        }
        let ordinaryAccounts = firstAccount..<entities.count
        // Networks: containers start on staggered days, accounts with them.
        var networkAccounts: [[Int]] = []
        for n in 0..<settings.networks {
            let start = Int64(n) * Int64(settings.days) * 86_400 / Int64(max(settings.networks * 2, 1))
            let base = Self.networkNames[n % Self.networkNames.count]
            let suffixes = ["", " Media", " Archive", " Official", " Releases"]
            for k in 0..<settings.containersPerNetwork {
                entities.append(
                    networkContainer(
                        network: n, name: base + suffixes[k % suffixes.count], created: start + Int64(k) * 3_600,
                        avatar: avatar(), predecessor: nil, slot: k, generation: 0))
            }
            var roster: [Int] = []
            for k in 0..<settings.accountsPerNetwork {
                roster.append(entities.count)
                entities.append(
                    SimEntity(
                        externalID: "n\(n)-a\(k)", kind: .account, truth: .network(n),
                        name: ["abu_muhajir", "ghuraba", "al_ansari", "wolf", "nordic_storm", "white_legion", "khattab", "rune"][
                            (n + k) % 8] + "_\(10 + k)",
                        description: "", avatar: avatar(), created: start, reach0: 0, growth: 1, maxReach: 0, rate: 0,
                        rng: SplitMix64(seed: settings.seed &+ 0x5000_0000 &+ UInt64(n * 100 + k))))
            }
            networkAccounts.append(roster)
        }
        return (entities, ordinaryAccounts, networkAccounts)
    }

    /// A container of a network; a comeback (generation > 0) starts with `reach` (the share of
    /// the banned one's audience that follows it).
    func networkContainer(
        network: Int, name: String, created: Int64, avatar: PDQHash, predecessor: Int?, slot: Int, generation: Int,
        reach: Double? = nil
    ) -> SimEntity {
        SimEntity(
            externalID: "n\(network)-c\(slot)-g\(generation)", kind: [.channel, .room, .page][slot % 3], truth: .network(network),
            name: name, description: "Official releases and news of the brothers. Join us and share.", avatar: avatar,
            created: created, reach0: max(reach ?? settings.networkStartReach, settings.networkStartReach / 2),
            growth: settings.networkGrowthPerDay, maxReach: settings.networkMaxReach, rate: settings.networkItemsPerDay,
            predecessor: predecessor,
            rng: SplitMix64(seed: settings.seed &+ 0x7000_0000 &+ UInt64(network * 10_000 + slot * 100 + generation)))
    }

    /// A comeback's new name: the old one with a number, a prefix, look-alike letters or a word
    /// dropped, chosen by `variant`.
    static func comebackName(_ name: String, variant: UInt64, generation: Int) -> String {
        switch variant % 5 {
        case 0: return name + " \(generation + 1)"
        case 1: return "Official " + name
        case 2:
            return String(name.map { c -> Character in
                switch c {
                case "o": "0"
                case "e": "3"
                case "a": "@"
                default: c
                }
            })
        case 3: return name + " (backup)"
        default:
            let words = name.split(separator: " ")
            return words.count > 2 ? words.dropFirst().joined(separator: " ") + " new" : name + " new"
        }
    }

    // MARK: The run

    struct CaseEntry: Comparable {
        var key: Double
        var created: Int64
        var caseID: Int
        var version: Int
        static func < (a: CaseEntry, b: CaseEntry) -> Bool {
            a.key != b.key ? a.key < b.key : a.caseID > b.caseID
        }
    }

    struct OpenCase {
        var entity: Int?  // nil: an item case
        /// An item case's container and author.
        var container: Int = -1
        var author: Int = -1
        var itemViolating: Bool
        var created: Int64
        var version: Int
        var open: Bool
    }

    /// Runs the simulation with the review team working in `order`. Verdicts are cached by text
    /// across runs (the engine is deterministic and judges each item alone).
    public func run(order: QueueOrder, verdicts: inout [String: Verdict]) -> SimulationReport {
        var report = SimulationReport(order: order)
        var (entities, ordinaryAccounts, networkAccounts) = world()
        let horizon = Int64(settings.days) * 86_400
        var scratch = EngineScratch()
        var normalized = NormalizedText()
        func normalize(_ text: String) -> [UInt8] {
            engine.normalizer.normalize(text, into: &normalized)
            return normalized.bytes
        }

        // Per-entity state of the pipeline.
        var signals: [EntitySignals] = []
        var risk: [Double] = []
        var openCase: [Int?] = []
        var cleared: [Double] = []  // risk at which a reviewer found it benign
        var reappearance: [Double] = []
        var earlyPosts: [[Shingles]] = []
        var recentPosts: [[Shingles]] = []
        var firstItem: [Int64?] = []
        var flagged: [Bool] = []
        func grow(to n: Int) {
            while signals.count < n {
                signals.append(EntitySignals())
                risk.append(0)
                openCase.append(nil)
                cleared.append(-1)
                reappearance.append(0)
                earlyPosts.append([])
                recentPosts.append([])
                firstItem.append(nil)
                flagged.append(false)
            }
        }
        grow(to: entities.count)
        for e in entities where e.kind != .account && !e.truth.isViolating {
            let kind = e.truth == .news ? "news" : e.truth == .religious ? "religious" : "ordinary"
            report.benignContainers[kind, default: 0] += 1
        }
        var index = ReappearanceIndex()
        var flaggedBenign: Set<Int> = []

        // The queue.
        var cases: [OpenCase] = []
        var itemCases: [Int: [Int]] = [:]  // entity → its items' cases
        // Priority order: a case's priority is base + waiting part, the waiting part growing
        // linearly up to its cap. Cases still growing live in `young`, keyed so the order does
        // not change with time (base − created × w); once capped they move to `aged` (base + cap).
        var heap = Heap<CaseEntry>()  // young (or FIFO)
        var aged = Heap<CaseEntry>()
        var youngOrder: [Int] = []  // case ids in creation order, for moving them to `aged`
        var youngHead = 0
        var currentBase: [Double] = []
        var isAged: [Bool] = []
        let w = ReviewPriority.waitingWeight
        let cap = settings.waitingCapSeconds
        let capPoints = Double(cap) * w
        func push(_ caseID: Int, base: Double) {
            cases[caseID].version += 1
            while currentBase.count <= caseID {
                currentBase.append(0)
                isAged.append(false)
            }
            if cases[caseID].version == 1 { youngOrder.append(caseID) }
            currentBase[caseID] = base
            let created = cases[caseID].created
            let version = cases[caseID].version
            switch order {
            case .fifo, .none:
                heap.insert(CaseEntry(key: -Double(created), created: created, caseID: caseID, version: version))
            case .priority:
                if isAged[caseID] {
                    aged.insert(CaseEntry(key: base + capPoints, created: created, caseID: caseID, version: version))
                } else {
                    heap.insert(CaseEntry(key: base - Double(created) * w, created: created, caseID: caseID, version: version))
                }
            }
        }
        func popTop(at t: Int64) -> CaseEntry? {
            guard order == .priority else { return heap.popMax() }
            while youngHead < youngOrder.count, cases[youngOrder[youngHead]].created + cap <= t {
                let c = youngOrder[youngHead]
                youngHead += 1
                isAged[c] = true
                if cases[c].open {
                    aged.insert(CaseEntry(key: currentBase[c] + capPoints, created: cases[c].created, caseID: c, version: cases[c].version))
                }
            }
            while true {
                let young = heap.max.map { $0.key + Double(t) * w }
                let old = aged.max?.key
                guard young != nil || old != nil else { return nil }
                let entry = (young ?? -.infinity) >= (old ?? -.infinity) ? heap.popMax()! : aged.popMax()!
                // A young entry of a case that has aged is stale (its aged entry stands for it).
                if isAged[entry.caseID] && entry.key != currentBase[entry.caseID] + capPoints { continue }
                return entry
            }
        }
        func entityBase(_ e: Int) -> Double {
            ReviewPriority.base(
                score: signals[e].maxScore, category: signals[e].topCategory, reach: signals[e].reach, userReports: 0,
                trustedReports: 0, entityRisk: risk[e], entityCase: true)
        }
        func flagBenign(_ e: Int, _ why: String) {
            guard !entities[e].truth.isViolating, flaggedBenign.insert(e).inserted else { return }
            let kind: String
            switch entities[e].truth {
            case _ where entities[e].kind == .account: kind = "account"
            case .news: kind = "news"
            case .religious: kind = "religious"
            default: kind = "ordinary"
            }
            report.benignFlagged[kind, default: 0] += 1
            report.benignFlagDetails.append("\(kind) \(entities[e].externalID) \"\(entities[e].name)\": \(why)")
        }
        func rescore(_ e: Int, at t: Int64) {
            let old = risk[e]
            risk[e] = EntityRisk.score(signals[e], at: t, reappearance: reappearance[e])
            guard entities[e].removed == nil else { return }
            if let c = openCase[e] {
                if risk[e] >= old + 1 { push(c, base: entityBase(e)) }
            } else if (risk[e] >= EntityRisk.caseThreshold || reappearance[e] > 0) && risk[e] >= cleared[e] + 20 {
                cases.append(OpenCase(entity: e, itemViolating: false, created: t, version: 0, open: true))
                openCase[e] = cases.count - 1
                push(cases.count - 1, base: entityBase(e))
                report.entityCases += 1
                if entities[e].truth.isViolating {
                    report.entityCasesOnViolating += 1
                } else {
                    flagBenign(e, "risk \(Int(risk[e])) after \(signals[e].items) items (\(signals[e].violating) violating, \(signals[e].review) review)")
                }
            }
        }
        var fingerprints: [Int: EntityFingerprint] = [:]  // name, description, avatar: computed once
        func fingerprint(_ e: Int, posts: [Shingles]) -> EntityFingerprint {
            var f =
                fingerprints[e]
                ?? EntityFingerprint(
                    entityID: String(e), kind: entities[e].kind, name: normalize(entities[e].name),
                    description: normalize(entities[e].description), avatar: entities[e].avatar)
            fingerprints[e] = f
            f.posts = posts
            return f
        }
        func checkReappearance(_ e: Int, at t: Int64) {
            guard !flagged[e], index.count > 0 else { return }
            if let match = index.bestMatch(for: fingerprint(e, posts: earlyPosts[e])) {
                flagged[e] = true
                reappearance[e] = match.similarity
                if entities[e].predecessor != nil {
                    report.comebacksFlaggedWithinTen += 1
                    report.secondsToFlag.append(t - (firstItem[e] ?? t))
                    report.itemsToFlag.append(signals[e].items)
                } else {
                    flagBenign(e, match.explanation)
                }
                rescore(e, at: t)
            }
        }

        // Events: posts of containers, comebacks, review decisions.
        enum Event { case post(Int), comeback(network: Int, predecessor: Int, slot: Int, generation: Int) }
        struct Scheduled: Comparable {
            var time: Int64
            var seq: Int
            var event: Int
            static func < (a: Scheduled, b: Scheduled) -> Bool { a.time != b.time ? a.time > b.time : a.seq > b.seq }
        }
        var events: [Event] = []
        var agenda = Heap<Scheduled>()
        var seq = 0
        func schedule(_ event: Event, at time: Int64) {
            guard time < horizon else { return }
            events.append(event)
            seq += 1
            agenda.insert(Scheduled(time: time, seq: seq, event: events.count - 1))
        }
        var pendingPost: [Int: Int64] = [:]
        func nextPost(_ c: Int, after t: Int64) {
            let wait = entities[c].rng.exponential(mean: 86_400 / max(entities[c].rate, 1e-9))
            pendingPost[c] = t + Int64(wait.rounded(.up)) + 1
            schedule(.post(c), at: t + Int64(wait.rounded(.up)) + 1)
        }
        /// The violating exposure a container removed at `t` would have had in the next
        /// `preventionHorizon` seconds: its own random stream replayed, post by post, as the
        /// post handler draws it (violating?, text, author, then the wait).
        func preventedExposure(_ c: Int, removedAt t: Int64) -> Double {
            guard case .network = entities[c].truth, var time = pendingPost[c] else { return 0 }
            var rng = entities[c].rng
            let end = min(t + settings.preventionHorizon, horizon)
            var exposure = 0.0
            while time < end {
                let violating = rng.unit() < settings.networkViolatingShare
                _ = rng.next()
                _ = rng.next()
                if violating { exposure += Double(entities[c].reach(at: time)) }
                time += Int64(rng.exponential(mean: 86_400 / max(entities[c].rate, 1e-9)).rounded(.up)) + 1
            }
            return exposure
        }
        for c in entities.indices where entities[c].kind != .account { nextPost(c, after: entities[c].created) }
        var generations: [Int: Int] = [:]

        let reviewInterval = order == .none ? Int64.max : Int64(3_600 / settings.decisionsPerHour)
        var nextReview = reviewInterval
        var itemSeq = 0

        func review(at t: Int64) {
            while let top = popTop(at: t) {
                let c = top.caseID
                guard cases[c].open, cases[c].version == top.version else { continue }
                cases[c].open = false
                report.decisions += 1
                guard let e = cases[c].entity else { return }  // an item case: the item is removed or kept
                report.entityDecisions += 1
                openCase[e] = nil
                if entities[e].truth.isViolating {
                    if let first = firstItem[e], entities[e].kind != .account { report.secondsToTop.append(t - first) }
                    report.exposurePrevented += preventedExposure(e, removedAt: t)
                    entities[e].removed = t
                    report.entitiesRemoved += 1
                    // Its items go with it: their cases are closed by the one decision.
                    for item in itemCases.removeValue(forKey: e) ?? [] { cases[item].open = false }
                    index.add(fingerprint(e, posts: recentPosts[e]))
                    if case .network(let n) = entities[e].truth {
                        let g = (generations[e] ?? 0) + 1
                        let delay = Int64(
                            settings.comebackMinutes.lowerBound
                                + Int(entities[e].rng.next() % UInt64(settings.comebackMinutes.count))) * 60
                        let slot = networkAccounts[n].firstIndex(of: e) ?? -1
                        schedule(.comeback(network: n, predecessor: e, slot: slot, generation: g), at: t + delay)
                    }
                } else {
                    cleared[e] = risk[e]
                }
                return
            }
        }

        while let next = agenda.popMax() {
            let t = next.time
            while nextReview <= t {
                review(at: nextReview)
                nextReview += reviewInterval
            }
            switch events[next.event] {
            case .comeback(let n, let predecessor, let slot, let generation):
                let old = entities[predecessor]
                let variant = entities[predecessor].rng.next() ^ UInt64(generation)
                let keepsAvatar = variant % 5 < 3
                var avatar = old.avatar
                if keepsAvatar {
                    avatar.words.x ^= (1 << (variant % 64)) | (1 << ((variant >> 8) % 64))
                } else {
                    var r = SplitMix64(seed: variant)
                    avatar = PDQHash(r.next(), r.next(), r.next(), r.next())
                }
                let name = Self.comebackName(old.name, variant: variant >> 3, generation: generation)
                var successor: SimEntity
                if old.kind == .account {
                    successor = old
                    successor.externalID = old.externalID + "-g\(generation)"
                    successor.name = name
                    successor.avatar = avatar
                    successor.created = t
                    successor.removed = nil
                    successor.predecessor = predecessor
                    successor.rng = SplitMix64(seed: variant)
                } else {
                    successor = networkContainer(
                        network: n, name: name, created: t, avatar: avatar, predecessor: predecessor,
                        slot: Int(old.externalID.split(separator: "-")[1].dropFirst()) ?? 0, generation: generation,
                        reach: Double(old.reach(at: old.removed ?? t)) * settings.comebackAudienceShare)
                    successor.description = variant % 2 == 0 ? old.description : "Our new home. " + old.description
                }
                entities.append(successor)
                grow(to: entities.count)
                let e = entities.count - 1
                generations[e] = generation
                report.comebacks += 1
                if old.kind == .account, slot >= 0 {
                    networkAccounts[n][slot] = e
                } else {
                    nextPost(e, after: t)
                }
                firstItem[e] = nil
                checkReappearance(e, at: t)

            case .post(let c):
                guard entities[c].removed == nil else { continue }
                // What is posted: a network's material or chatter; a benign container's kind of text.
                var rng = entities[c].rng
                let violating: Bool
                let text: String
                var author: Int
                switch entities[c].truth {
                case .network(let n):
                    violating = rng.unit() < settings.networkViolatingShare
                    let pool = violating ? pools.violating[n % pools.violating.count] : pools.ordinary
                    text = pool.isEmpty ? "..." : pool[Int(rng.next() % UInt64(pool.count))]
                    let roster = networkAccounts[n]
                    author = roster[Int(rng.next() % UInt64(roster.count))]
                case .news:
                    violating = false
                    let kinds = ["news", "news", "research", "counter_speech"]
                    let pool = pools.negatives[kinds[Int(rng.next() % 4)]] ?? pools.ordinary
                    text = pool[Int(rng.next() % UInt64(pool.count))]
                    author = ordinaryAccounts.lowerBound + Int(rng.next() % UInt64(ordinaryAccounts.count))
                case .religious:
                    violating = false
                    let kinds = ["religious", "religious", "religious", "counter_speech"]
                    let pool = pools.negatives[kinds[Int(rng.next() % 4)]] ?? pools.ordinary
                    text = pool[Int(rng.next() % UInt64(pool.count))]
                    author = ordinaryAccounts.lowerBound + Int(rng.next() % UInt64(ordinaryAccounts.count))
                case .ordinary:
                    violating = false
                    // Mostly chatter; one post in ten talks about the news, faith, art or uses
                    // violent words in a figure of speech: the hard negatives.
                    let u = rng.unit()
                    let kinds = ["everyday", "metaphor", "artistic", "news", "counter_speech", "religious", "research"]
                    let pool =
                        u < 0.9 ? pools.ordinary : (pools.negatives[kinds[Int(rng.next() % UInt64(kinds.count))]] ?? pools.ordinary)
                    text = pool[Int(rng.next() % UInt64(pool.count))]
                    // Heavy posters: the square pulls towards the first accounts.
                    let v = rng.unit()
                    author = ordinaryAccounts.lowerBound + Int(v * v * Double(ordinaryAccounts.count))
                }
                if entities[author].created > t {
                    // Not on the platform yet: a neighbour who is (every tenth account, from 5, is there from the start).
                    author = ordinaryAccounts.lowerBound + (author - ordinaryAccounts.lowerBound) / 10 * 10 + 5
                }
                entities[c].rng = rng
                nextPost(c, after: t)
                guard entities[author].removed == nil else { continue }

                itemSeq += 1
                report.itemsPosted += 1
                let reach = entities[c].reach(at: t)
                if violating {
                    report.violatingItemsPosted += 1
                    report.violatingExposure += Double(reach)
                }
                let verdict: Verdict
                if let cached = verdicts[text] {
                    verdict = cached
                } else {
                    let start = ContinuousClock.now
                    verdict = engine.scan(TextItem(id: "i\(itemSeq)", text: text), scratch: &scratch)
                    let d = ContinuousClock.now - start
                    report.scanSeconds += Double(d.components.attoseconds) / 1e18 + Double(d.components.seconds)
                    verdicts[text] = verdict
                }
                let top = verdict.categories.first?.name
                let signal = ItemSignal(time: t, decision: verdict.decision, score: verdict.score, category: top)
                signals[c].observeReach(reach, at: t)
                for e in [c, author] {
                    if firstItem[e] == nil { firstItem[e] = t }
                    signals[e].record(signal)
                    let early = signals[e].items <= ReappearanceIndex.maxPosts
                    if verdict.decision != .none || early {
                        let shingles = Shingles(normalize(text), width: 5)
                        if early { earlyPosts[e].append(shingles) }
                        // What a ban fingerprints: the entity's latest flagged posts.
                        if verdict.decision != .none {
                            recentPosts[e].append(shingles)
                            if recentPosts[e].count > ReappearanceIndex.maxBannedPosts { recentPosts[e].removeFirst() }
                        }
                    }
                    // Checked at the first item (name, description, avatar) and at each early
                    // item the engine flags (a comeback re-posts its material); an unflagged
                    // post cannot match a ban's fingerprint, which holds flagged posts only.
                    if early && (signals[e].items == 1 || verdict.decision != .none) {
                        checkReappearance(e, at: t)
                    } else if !early && !earlyPosts[e].isEmpty {
                        earlyPosts[e] = []
                        fingerprints[e] = nil
                    }
                    rescore(e, at: t)
                }
                if verdict.decision != .none {
                    cases.append(
                        OpenCase(entity: nil, container: c, author: author, itemViolating: violating, created: t, version: 0, open: true))
                    report.itemCases += 1
                    itemCases[c, default: []].append(cases.count - 1)
                    itemCases[author, default: []].append(cases.count - 1)
                    push(
                        cases.count - 1,
                        base: ReviewPriority.base(
                            score: verdict.score, category: top, reach: reach, userReports: 0, trustedReports: 0,
                            entityRisk: max(risk[c], risk[author])))
                }
            }
        }
        // Containers of the networks whose case never reached the top.
        for (e, entity) in entities.enumerated() where entity.truth.isViolating && entity.kind != .account {
            if entity.removed == nil && firstItem[e] != nil { report.neverReachedTop += 1 }
        }
        return report
    }
}

/// 10^x for x in [0, 5].
func pow10(_ x: Double) -> Double {
    var r = 1.0
    var whole = Int(x)
    while whole > 0 {
        r *= 10
        whole -= 1
    }
    let f = x - Double(Int(x))
    // 10^f = 2^(f log2 10)
    let y = f * 3.321_928_094_887_362
    let w = Int(y)
    var s = 1.0
    var term = 1.0
    let z = (y - Double(w)) * 0.693_147_180_559_945_3
    for k in 1...14 {
        term *= z / Double(k)
        s += term
    }
    return r * Double(sign: .plus, exponent: w, significand: 1) * s
}

/// A binary max-heap.
struct Heap<Element: Comparable> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }
    var max: Element? { items.first }

    mutating func insert(_ x: Element) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[parent] < items[i] else { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func popMax() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var largest = i
            if l < items.count && items[largest] < items[l] { largest = l }
            if r < items.count && items[largest] < items[r] { largest = r }
            if largest == i { break }
            items.swapAt(i, largest)
            i = largest
        }
        return top
    }
}
