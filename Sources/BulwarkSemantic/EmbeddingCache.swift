import Synchronization

/// Whole embeddings kept by the piece ids the encoder read, so that a text posted again (a
/// repost, a copied message, a title sent again) is not encoded again.
///
/// The key is the sentence's ids exactly as `SentenceEncoder` reads them, so a hit is the
/// embedding those ids give, never a near one: two texts share an entry only when the tokenizer
/// gives them the same pieces, and then the encoder cannot tell them apart either. A kept
/// embedding is the floats the sentence got when it was computed: the same bits as computing it
/// again, alone or in any batch (`EmbeddingCacheTests`), so keeping changes no score.
///
/// At most `capacity` entries of `SentenceEncoder.dimension` floats (2 KiB each, reserved at the
/// first entry kept) and their ids (4 bytes a piece, at most `SentenceEncoder.maxPieces`); when
/// full, the clock hand replaces an entry not read since it last passed.
final class EmbeddingCache {
    let capacity: Int
    private var slotOfKey: [[Int32]: Int] = [:]
    private var keys: [[Int32]] = []
    private var referenced: [Bool] = []
    private var values: UnsafeMutablePointer<Float>?
    private var hand = 0

    /// A cache of `capacity` entries; 0 keeps none.
    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    deinit { values?.deallocate() }

    /// Copies the kept embedding of `ids` to `result` and says whether there was one.
    func copy(_ ids: [Int32], to result: UnsafeMutablePointer<Float>) -> Bool {
        guard let slot = slotOfKey[ids], let values else { return false }
        referenced[slot] = true
        result.update(from: values + slot * SentenceEncoder.dimension, count: SentenceEncoder.dimension)
        return true
    }

    /// Forgets every entry; the memory stays reserved.
    func removeAll() {
        slotOfKey.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        referenced.removeAll(keepingCapacity: true)
        hand = 0
    }

    /// Keeps `embedding` (`SentenceEncoder.dimension` floats) as the embedding of `ids`.
    func keep(_ ids: [Int32], embedding: UnsafePointer<Float>) {
        guard capacity > 0, slotOfKey[ids] == nil else { return }
        let slot: Int
        if keys.count < capacity {
            if values == nil {
                values = UnsafeMutablePointer<Float>.allocate(capacity: capacity * SentenceEncoder.dimension)
            }
            slot = keys.count
            keys.append(ids)
            referenced.append(false)
        } else {
            while referenced[hand] {
                referenced[hand] = false
                hand = (hand + 1) % capacity
            }
            slot = hand
            hand = (hand + 1) % capacity
            slotOfKey[keys[slot]] = nil
            keys[slot] = ids
            referenced[slot] = false
        }
        slotOfKey[ids] = slot
        (values! + slot * SentenceEncoder.dimension).update(from: embedding, count: SentenceEncoder.dimension)
    }
}

/// Whole embeddings kept for several workspaces at once (the server's, one per core), so that a
/// text routed again finds its embedding whichever workspace encoded it first: with a cache per
/// workspace, a repost found it only in the workspace that had encoded it, about one time in as
/// many as there are workspaces. An `EmbeddingCache` behind a lock, taken once for a batch's
/// look-ups and once for what it keeps.
public final class SharedEmbeddingCache: Sendable {
    private let cache: Mutex<EmbeddingCache>
    /// Entries kept, at most.
    public let capacity: Int

    /// A cache of `capacity` entries; 0 keeps none.
    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        cache = Mutex(EmbeddingCache(capacity: capacity))
    }

    /// Runs `body` on the cache, under the lock.
    func withCache(_ body: (EmbeddingCache) -> Void) {
        cache.withLock { body($0) }
    }
}
