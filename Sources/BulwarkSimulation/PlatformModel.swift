public import BulwarkCore
import BulwarkEntities

/// The size and behaviour of a simulated platform. Every default is documented in the README;
/// `seed` alone decides everything else.
public struct SimulationSettings: Sendable, Hashable {
    public var seed: UInt64 = 1
    /// Ordinary accounts (network accounts come on top).
    public var accounts = 30_000
    /// Containers (pages, groups, channels, rooms), of which `newsContainers` and
    /// `religiousContainers` are the hard negatives: they name the same groups.
    public var containers = 6_000
    public var newsContainers = 120
    public var religiousContainers = 120
    /// Items the benign containers post, in total, over `days` (the networks' come on top).
    public var items = 1_000_000
    public var days = 28
    /// Violating networks: each runs `containersPerNetwork` containers and `accountsPerNetwork`
    /// accounts at once, starting on staggered days, and replaces what is removed.
    public var networks = 6
    public var containersPerNetwork = 3
    public var accountsPerNetwork = 8
    /// Items a network container posts a day, and its share of violating items.
    public var networkItemsPerDay = 60.0
    public var networkViolatingShare = 0.7
    /// Followers a network container starts with, and their growth per day (×).
    public var networkStartReach = 400.0
    public var networkGrowthPerDay = 1.35
    public var networkMaxReach = 250_000.0
    /// Minutes before a removed container or account comes back under a new name.
    public var comebackMinutes: ClosedRange<Int> = 30...360
    /// Share of a removed container's audience that follows its comeback.
    public var comebackAudienceShare = 0.5
    /// How far ahead a removal's prevented exposure is counted: seconds.
    public var preventionHorizon: Int64 = 7 * 86_400
    /// The waiting part of a case's priority stops growing after this many seconds (the
    /// service's ``ReviewPriority/maxWaitingSeconds``; `.max / 4` for uncapped aging).
    public var waitingCapSeconds: Int64 = ReviewPriority.maxWaitingSeconds
    /// Decisions the review team makes per hour.
    public var decisionsPerHour = 10.0

    public init() {}
}

/// Which texts the simulated users post. Built from labelled data the engine was not trained on.
public struct ContentPools: Sendable {
    /// Violating texts, one pool per network (a network re-posts its own material).
    public var violating: [[String]]
    /// Hard negatives by kind: `news`, `research`, `religious`, `counter_speech`, `artistic`,
    /// `metaphor`, `everyday`.
    public var negatives: [String: [String]]
    /// Ordinary chatter.
    public var ordinary: [String]

    public init(violating: [[String]], negatives: [String: [String]], ordinary: [String]) {
        self.violating = violating
        self.negatives = negatives
        self.ordinary = ordinary
    }

    /// Splits labelled items into pools: violating items go to network `hash(group) % networks`
    /// (translations share a group, so a network's pool holds its texts in several languages).
    public static func from(_ items: [TextItem], networks: Int, seed: UInt64) -> ContentPools {
        var violating = [[String]](repeating: [], count: max(networks, 1))
        var negatives: [String: [String]] = [:]
        for item in items {
            if item.label == .violating {
                let key = item.group ?? item.id
                var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
                for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
                violating[Int(h % UInt64(violating.count))].append(item.text)
            } else if item.label == Label.none {
                negatives[item.kind ?? "everyday", default: []].append(item.text)
            }
        }
        var rng = SplitMix64(seed: seed ^ 0x0DD)
        return ContentPools(violating: violating, negatives: negatives, ordinary: OrdinaryChatter.make(count: 6_000, rng: &rng))
    }
}

/// What a simulated entity is, in truth (the pipeline never sees this).
public enum EntityTruth: Sendable, Hashable {
    case ordinary
    case news
    case religious
    /// A container or account of violating network `n`.
    case network(Int)

    public var isViolating: Bool {
        if case .network = self { return true }
        return false
    }
}

/// One account or container of the simulated platform.
struct SimEntity {
    var externalID: String
    var kind: EntityKind
    var truth: EntityTruth
    var name: String
    var description: String
    var avatar: PDQHash
    /// When it was created, and when it was removed (nil while it stands).
    var created: Int64
    var removed: Int64?
    /// Reach at creation, and growth per day (×); capped.
    var reach0: Double
    var growth: Double
    var maxReach: Double
    /// Items a day (containers).
    var rate: Double
    /// The banned entity it replaces, if it is a comeback.
    var predecessor: Int?
    /// Its own random stream, so it posts the same things whatever happens elsewhere.
    var rng: SplitMix64

    func reach(at time: Int64) -> Int {
        let days = Double(max(0, time - created)) / 86_400
        var r = reach0
        var g = growth
        var d = days
        // growth^days without Foundation: square-and-multiply on the whole days, linear on the rest.
        var whole = Int(d)
        d -= Double(whole)
        while whole > 0 && r < maxReach {
            if whole & 1 == 1 { r *= g }
            g *= g
            whole >>= 1
        }
        r *= 1 + (growth - 1) * d
        return Int(min(r, maxReach))
    }
}

extension SplitMix64 {
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// An exponential wait with the given mean.
    mutating func exponential(mean: Double) -> Double {
        // -ln(1-u) by the series of ln around 1 is slow to converge; use the binary log.
        let u = max(1e-12, 1 - unit())
        return -mean * log2Approx(u) * 0.693_147_180_559_945_3
    }
}

/// log2 for x in (0, 1].
func log2Approx(_ x: Double) -> Double {
    let e = Double(x.exponent)
    let m = x.significand  // [1, 2)
    let t = (m - 1) / (m + 1)
    let t2 = t * t
    var term = t
    var sum = 0.0
    var k = 1.0
    for _ in 0..<16 {
        sum += term / k
        term *= t2
        k += 2
    }
    return e + 2 * sum / 0.693_147_180_559_945_3
}

/// Everyday posts in the five languages, from templates: the bulk of a platform's traffic.
enum OrdinaryChatter {
    static let templates: [[String]] = [
        [
            "Great match last night, {t} played so well", "Who is coming to the {p} on Saturday?",
            "My {f} recipe finally worked, so happy", "The weather in {c} is lovely today",
            "Happy birthday {n}! Have a wonderful day", "Anyone selling a used bike near {c}?",
            "Traffic on the ring road again, leave early", "Just finished the new season, no spoilers please",
        ],
        [
            "Qué partido anoche, {t} jugó genial", "¿Quién viene al {p} el sábado?",
            "Por fin me salió la receta de {f}", "Hace un día precioso en {c}",
            "¡Feliz cumpleaños {n}! Que lo pases genial", "¿Alguien vende una bici usada cerca de {c}?",
        ],
        [
            "Quel match hier soir, {t} a très bien joué", "Qui vient au {p} samedi ?",
            "Ma recette de {f} a enfin marché", "Il fait beau à {c} aujourd'hui",
            "Joyeux anniversaire {n} ! Passe une belle journée", "Quelqu'un vend un vélo d'occasion près de {c} ?",
        ],
        [
            "Was für ein Spiel gestern, {t} war stark", "Wer kommt am Samstag zum {p}?",
            "Mein {f}-Rezept hat endlich geklappt", "Das Wetter in {c} ist heute herrlich",
            "Alles Gute zum Geburtstag {n}!", "Verkauft jemand ein gebrauchtes Fahrrad in der Nähe von {c}?",
        ],
        [
            "مباراة رائعة أمس، {t} لعب بشكل ممتاز", "من سيأتي إلى {p} يوم السبت؟",
            "أخيرا نجحت وصفة {f}", "الطقس جميل اليوم في {c}",
            "عيد ميلاد سعيد يا {n}", "هل يبيع أحد دراجة مستعملة قرب {c}؟",
        ],
    ]
    static let fillers: [Character: [String]] = [
        "t": ["the keeper", "our striker", "the whole team", "the new coach", "number nine"],
        "p": ["market", "concert", "picnic", "park", "book club", "football"],
        "f": ["lasagna", "paella", "couscous", "apple cake", "hummus", "ramen"],
        "c": ["Madrid", "Lyon", "Berlin", "Cairo", "Leeds", "Sevilla", "Tunis", "Hamburg"],
        "n": ["Ana", "Karim", "Lena", "Youssef", "Marie", "Jonas", "Fatima", "Pablo"],
    ]

    static func make(count: Int, rng: inout SplitMix64) -> [String] {
        var out: [String] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let language = templates[i % templates.count]
            var text = ""
            let template = language[Int(rng.next() % UInt64(language.count))]
            var pending: Character? = nil
            for ch in template {
                if pending == "{" {
                    text += fillers[ch].map { $0[Int(rng.next() % UInt64($0.count))] } ?? ""
                    pending = ch
                    continue
                }
                if ch == "{" {
                    pending = "{"
                    continue
                }
                if ch == "}" {
                    pending = nil
                    continue
                }
                if pending == nil { text.append(ch) }
            }
            if rng.next() % 3 == 0 { text += [" 😊", " !!", " 👍", " :)", " 🙏"][Int(rng.next() % 5)] }
            out.append(text)
        }
        return out
    }
}
