public import BulwarkCore

/// What an entity looks like, for recognising it when it comes back under a new identifier:
/// its name or title, description and avatar, and its first posts. Texts are given normalised
/// (the text engine's normaliser: case, diacritics, homoglyphs and spacing tricks folded), so
/// "Supp0rters of the I.S." and "supporters of the is" compare equal.
public struct EntityFingerprint: Sendable, Hashable {
    public var entityID: String
    public var kind: EntityKind
    public var name: Shingles
    public var description: Shingles
    public var avatar: PDQHash?
    /// Shingles of posts: a new entity's first ``ReappearanceIndex/maxPosts``; a banned entity's
    /// up to ``ReappearanceIndex/maxBannedPosts`` (its latest, say).
    public var posts: [Shingles]

    public init(
        entityID: String, kind: EntityKind, name: some Collection<UInt8>, description: some Collection<UInt8> = [UInt8](),
        avatar: PDQHash? = nil, posts: [Shingles] = []
    ) {
        self.entityID = entityID
        self.kind = kind
        self.name = Shingles(name, width: 3)
        self.description = Shingles(description, width: 4)
        self.avatar = avatar
        self.posts = posts
    }

    /// Accounts come back as accounts; containers (pages, groups, channels, rooms, threads) as
    /// any container.
    func comparable(to other: EntityFingerprint) -> Bool {
        (kind == .account) == (other.kind == .account)
    }
}

/// A set of hashed character n-grams of a text (letters and digits, runs of anything else read
/// as one space), for Jaccard similarity.
public struct Shingles: Sendable, Hashable {
    /// Sorted, distinct.
    public private(set) var hashes: [UInt32]

    public init(_ text: some Collection<UInt8>, width: Int) {
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(text.count)
        var space = true
        for b in text {
            // ASCII letters and digits and every non-ASCII byte (letters of other scripts) count.
            let keep = b >= 0x80 || (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
            if keep {
                cleaned.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
                space = false
            } else if !space {
                cleaned.append(0x20)
                space = true
            }
        }
        if cleaned.last == 0x20 { cleaned.removeLast() }
        var set: [UInt32] = []
        if cleaned.count < width {
            if !cleaned.isEmpty { set.append(Self.hash(cleaned[...])) }
        } else {
            set.reserveCapacity(cleaned.count - width + 1)
            for i in 0...(cleaned.count - width) { set.append(Self.hash(cleaned[i..<i + width])) }
        }
        set.sort()
        var unique: [UInt32] = []
        unique.reserveCapacity(set.count)
        for h in set where unique.last != h { unique.append(h) }
        hashes = unique
    }

    public var isEmpty: Bool { hashes.isEmpty }

    static func hash(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in bytes {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        return h
    }

    /// |A ∩ B| / |A ∪ B| (0 when both are empty).
    public func jaccard(_ other: Shingles) -> Double {
        let a = hashes
        let b = other.hashes
        guard !a.isEmpty || !b.isEmpty else { return 0 }
        var i = 0
        var j = 0
        var common = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                common += 1
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return Double(common) / Double(a.count + b.count - common)
    }
}

/// A banned entity that a new one resembles, with the evidence.
public struct ReappearanceMatch: Sendable, Hashable {
    public var bannedEntityID: String
    /// 0–1: the strongest of the signals below, as combined by ``ReappearanceIndex``.
    public var similarity: Double
    public var nameSimilarity: Double
    public var descriptionSimilarity: Double
    /// PDQ distance between the avatars, if both have one.
    public var avatarDistance: Int?
    /// Early posts of the new entity that near-duplicate a post of the banned one.
    public var matchingPosts: Int

    public init(
        bannedEntityID: String, similarity: Double, nameSimilarity: Double, descriptionSimilarity: Double,
        avatarDistance: Int?, matchingPosts: Int
    ) {
        self.bannedEntityID = bannedEntityID
        self.similarity = similarity
        self.nameSimilarity = nameSimilarity
        self.descriptionSimilarity = descriptionSimilarity
        self.avatarDistance = avatarDistance
        self.matchingPosts = matchingPosts
    }

    /// The evidence in words, for the case.
    public var explanation: String {
        var parts: [String] = []
        if nameSimilarity > 0 { parts.append("name \(Int((nameSimilarity * 100).rounded()))% alike") }
        if descriptionSimilarity > 0 { parts.append("description \(Int((descriptionSimilarity * 100).rounded()))% alike") }
        if let d = avatarDistance { parts.append("avatar PDQ distance \(d)") }
        if matchingPosts > 0 { parts.append("\(matchingPosts) early posts repeat its posts") }
        return "resembles banned entity \(bannedEntityID): " + parts.joined(separator: ", ")
    }
}

/// The fingerprints of banned entities, searched when a new entity appears and as its first
/// posts arrive. Names and posts are found through inverted indexes of their shingles, so a
/// lookup reads only the banned entities that share something with the new one.
public struct ReappearanceIndex: Sendable {
    /// Similarity at or above which a new entity is flagged as a re-appearance.
    public var threshold: Double
    /// Avatars within this PDQ distance are the same picture.
    public var avatarRadius: Int
    /// A post near-duplicates another at this Jaccard similarity of 5-byte shingles.
    public var postSimilarity: Double
    /// Early posts of a new entity compared.
    public static let maxPosts = 10
    /// Posts of a banned entity kept to compare them with.
    public static let maxBannedPosts = 50

    /// Each shingle remembers the banned entities (name index) or banned posts (post index)
    /// that have it, up to this many, the most recent kept: a lookup's cost stays bounded however
    /// many bans share a common shingle, and the recent bans (where evasion happens) are kept.
    public static let maxPostings = 256

    private var banned: [EntityFingerprint] = []
    private var byID: [String: Int] = [:]
    private var nameIndex: [UInt32: [Int32]] = [:]
    /// Shingle → (banned slot, index of the post in its fingerprint).
    private var postIndex: [UInt32: [PostRef]] = [:]
    private var avatars: [(hash: PDQHash, entity: Int32)] = []

    private struct PostRef: Hashable {
        var slot: Int32
        var post: Int32
    }

    public init(threshold: Double = 0.7, avatarRadius: Int = 31, postSimilarity: Double = 0.5) {
        self.threshold = threshold
        self.avatarRadius = avatarRadius
        self.postSimilarity = postSimilarity
    }

    /// Banned entities indexed.
    public var count: Int { byID.count }

    /// Adds (or replaces) a banned entity's fingerprint.
    public mutating func add(_ fingerprint: EntityFingerprint) {
        var fingerprint = fingerprint
        fingerprint.posts = Array(fingerprint.posts.suffix(Self.maxBannedPosts))
        if byID[fingerprint.entityID] != nil { remove(fingerprint.entityID) }
        let slot = Int32(banned.count)
        banned.append(fingerprint)
        byID[fingerprint.entityID] = Int(slot)
        for h in fingerprint.name.hashes { Self.append(slot, to: &nameIndex[h, default: []]) }
        for (k, post) in fingerprint.posts.enumerated() {
            for h in post.hashes { Self.append(PostRef(slot: slot, post: Int32(k)), to: &postIndex[h, default: []]) }
        }
        if let avatar = fingerprint.avatar { avatars.append((avatar, slot)) }
    }

    private static func append<T>(_ value: T, to list: inout [T]) {
        if list.count >= maxPostings { list.removeFirst(list.count - maxPostings + 1) }
        list.append(value)
    }

    /// Forgets a banned entity (reinstated on appeal, say). Its slot stays, emptied.
    public mutating func remove(_ entityID: String) {
        guard let slot = byID.removeValue(forKey: entityID) else { return }
        banned[slot] = EntityFingerprint(entityID: "", kind: banned[slot].kind, name: [UInt8]())
        avatars.removeAll { $0.entity == Int32(slot) }
    }

    /// The best match among banned entities at or above ``threshold``, if any.
    public func bestMatch(for fingerprint: EntityFingerprint) -> ReappearanceMatch? {
        matches(for: fingerprint).first
    }

    /// Matches at or above ``threshold``, most similar first.
    public func matches(for fingerprint: EntityFingerprint) -> [ReappearanceMatch] {
        var candidates: Set<Int32> = []
        var nameHits: [Int32: Int] = [:]
        for h in fingerprint.name.hashes {
            for slot in nameIndex[h] ?? [] { nameHits[slot, default: 0] += 1 }
        }
        // A name similar enough to count (Jaccard ≥ 0.4) shares at least 40% of its shingles.
        let needed = max(1, Int((Double(fingerprint.name.hashes.count) * 0.4).rounded(.up)))
        for (slot, hits) in nameHits where hits >= needed { candidates.insert(slot) }
        // Early posts: each one counts once per banned entity with a near-duplicate post.
        var matchingPosts: [Int32: Int] = [:]
        for post in fingerprint.posts.prefix(Self.maxPosts) where !post.isEmpty {
            var hits: [PostRef: Int] = [:]
            for h in post.hashes {
                for ref in postIndex[h] ?? [] { hits[ref, default: 0] += 1 }
            }
            // Jaccard ≥ s needs at least s × |post| shared shingles.
            let enough = max(1, Int((Double(post.hashes.count) * postSimilarity).rounded(.up)))
            var matched: Set<Int32> = []
            for (ref, n) in hits where n >= enough && !matched.contains(ref.slot) {
                let other = banned[Int(ref.slot)]
                guard Int(ref.post) < other.posts.count, other.posts[Int(ref.post)].jaccard(post) >= postSimilarity
                else { continue }
                matched.insert(ref.slot)
            }
            for slot in matched { matchingPosts[slot, default: 0] += 1 }
        }
        for (slot, n) in matchingPosts where n >= 2 { candidates.insert(slot) }
        var avatarDistances: [Int32: Int] = [:]
        if let avatar = fingerprint.avatar {
            for entry in avatars {
                let d = entry.hash.distance(to: avatar)
                if d <= avatarRadius { avatarDistances[entry.entity] = min(d, avatarDistances[entry.entity] ?? d) }
            }
            candidates.formUnion(avatarDistances.keys)
        }
        var out: [ReappearanceMatch] = []
        for slot in candidates {
            let other = banned[Int(slot)]
            guard !other.entityID.isEmpty, other.entityID != fingerprint.entityID, other.comparable(to: fingerprint)
            else { continue }
            let name = fingerprint.name.jaccard(other.name)
            let description =
                fingerprint.description.isEmpty || other.description.isEmpty
                ? 0 : fingerprint.description.jaccard(other.description)
            let posts = matchingPosts[slot] ?? 0
            let avatarDistance = avatarDistances[slot]
            let similarity = Self.combine(
                name: name, description: description, avatarDistance: avatarDistance, avatarRadius: avatarRadius,
                matchingPosts: posts, posts: min(fingerprint.posts.count, Self.maxPosts))
            if similarity >= threshold {
                out.append(
                    ReappearanceMatch(
                        bannedEntityID: other.entityID, similarity: similarity, nameSimilarity: name,
                        descriptionSimilarity: description, avatarDistance: avatarDistance, matchingPosts: posts))
            }
        }
        return out.sorted { $0.similarity > $1.similarity || ($0.similarity == $1.similarity && $0.bannedEntityID < $1.bannedEntityID) }
    }

    /// How the signals combine, in one place: the strongest single signal, raised when a second
    /// one agrees.
    /// - avatar: the same picture (distance ≤ radius) is 0.6 + 0.4 × (1 − distance / (radius + 1));
    /// - name alone: its Jaccard similarity, counted only from 0.8 (a news page named after a
    ///   group shares most of a banned room's name: "X news monitor" against "X");
    /// - name and description together: their mean, when both are at least 0.4;
    /// - posts: 0.5 + 0.15 per early post that repeats a banned entity's post, once two do.
    /// The result is the largest, plus 0.15 if a second signal is at least 0.5 (capped at 1).
    static func combine(
        name: Double, description: Double, avatarDistance: Int?, avatarRadius: Int, matchingPosts: Int, posts: Int
    ) -> Double {
        var signals: [Double] = []
        if let d = avatarDistance { signals.append(0.6 + 0.4 * (1 - Double(d) / Double(avatarRadius + 1))) }
        if name >= 0.8 { signals.append(name) }
        if name >= 0.4 && description >= 0.4 { signals.append((name + description) / 2) }
        if matchingPosts >= 2 { signals.append(min(1, 0.5 + 0.15 * Double(matchingPosts))) }
        signals.sort(by: >)
        guard let best = signals.first else { return 0 }
        let second = signals.dropFirst().first ?? 0
        return min(1, best + (second >= 0.5 ? 0.15 : 0))
    }
}
