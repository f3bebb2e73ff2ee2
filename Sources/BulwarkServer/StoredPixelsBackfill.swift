import BulwarkMedia
import BulwarkStore
public import Logging

extension BulwarkService {
    /// The setting schema version 26 sets to `pending:` and the highest media id on a database
    /// with media parts hashed before version 25, and this process sets to what it did; to
    /// ``storedPixelsHashOff`` by a process whose media job makes no stored pixels' hash, and back
    /// to `pending:` and the highest media id by the next process that makes it.
    static let storedPixelsBackfillSetting = "stored_pixels_backfill"
    /// The setting's value while parts are hashed without their stored pixels' hash
    /// (``ServerConfiguration/hashesStoredPixels`` off).
    static let storedPixelsHashOff =
        "off: parts hashed without the stored pixels' hash (--no-stored-pixels-hash); turned on again, the turned ones are queued to be hashed again"
    /// Media parts looked at a time (each read whole, one at a time: at most 4 MiB).
    public static let storedPixelsBackfillPage = 100
    /// The backfill queues no more while this many jobs are queued or running (or half the
    /// depth at which ingest answers 503, `maxQueueDepth`, when that is less): it waits, a
    /// second at a time, for the media job to work them off. So the parts of a large database
    /// never fill the queue up to that depth, and new posts' media wait behind at most about
    /// this many parts.
    public static let storedPixelsBackfillQueueLimit = 1_000

    /// Queues the photos hashed before schema version 25 that an orientation tag turns to be
    /// hashed again by the media job, when version 26 marked the database as having such parts:
    /// so that they get the hash of their pixels as stored, which hashers that apply no
    /// orientation (HMA's) put in shared banks, and retro-hunts find them by it (a PNG or WebP
    /// part hashed before 2026-12-07 gets the hash of its picture as shown too). The parts are
    /// read one at a time and only their metadata is looked at (`ImageDecoder.orientation(of:)`,
    /// no pixel decoded here); a part a job is already hashing is not queued twice, so two
    /// processes may run this at once. Before each page it waits while `queueLimit` jobs or more
    /// are queued or running, or half `maxQueueDepth` when that is less. Returns how many parts were queued, or nil when there was nothing
    /// to do. Cancelled between parts, it stops with those queued kept and the setting
    /// still pending (the next process looks at them again and queues none twice). The
    /// setting's change is audited (actor `system`) with the counts.
    ///
    /// With ``ServerConfiguration/hashesStoredPixels`` off it queues nothing and sets the setting
    /// to ``storedPixelsHashOff`` (nil). With it on, after a process that had it off (the
    /// setting says so), every part up to the highest media id is looked at as above: those
    /// hashed in between, and any a backfill left pending. Every process that runs the media job
    /// should be told the same; a part hashed by one with it off while another with it on has
    /// already started is looked at when a process with it on next starts after it.
    public func hashTurnedPhotosAgain(
        logger: Logger, page size: Int = storedPixelsBackfillPage, queueLimit: Int = storedPixelsBackfillQueueLimit
    ) async throws -> Int? {
        var value = try await store.setting(Self.storedPixelsBackfillSetting)
        guard configuration.hashesStoredPixels else {
            if value != Self.storedPixelsHashOff {
                try await store.setSetting(Self.storedPixelsBackfillSetting, Self.storedPixelsHashOff, actor: "system", now: clock())
                logger.info("the stored pixels' hash of turned photos is off: they are matched by their hash as shown only")
            }
            return nil
        }
        if value?.hasPrefix("off") == true {
            // " (off)": the parts to look at are those hashed while it was off (and any left pending).
            let pending = "pending:\(try await store.highestMediaID()) (off)"
            try await store.setSetting(Self.storedPixelsBackfillSetting, pending, actor: "system", now: clock())
            value = pending
        }
        guard let value, value.hasPrefix("pending:"),
            let through = Int64(value.dropFirst("pending:".count).prefix { $0 != " " })
        else { return nil }
        let hashedWhen = value.hasSuffix(" (off)") ? "while the stored pixels' hash was off" : "before schema version 25"
        logger.info("queueing photos hashed without their stored pixels' hash that an orientation tag turns, in the background")
        let start = ContinuousClock.now
        let decoder = ImageDecoder(limits: configuration.imageLimits)
        var after: Int64 = 0
        var read = 0
        var queued = 0
        let depthBound = configuration.maxQueueDepth > 0 ? configuration.maxQueueDepth / 2 : Int.max
        let waitAt = max(1, min(queueLimit, depthBound))
        while true {
            while try await store.pendingJobCount() >= waitAt {
                try await Task.sleep(for: .seconds(1))
            }
            let ids = try await store.mediaWithoutStoredPixelsHash(after: after, through: through, limit: max(1, size))
            guard let last = ids.last else { break }
            for id in ids {
                try Task.checkCancellation()
                guard let bytes = try await store.mediaBytes(id: id) else { continue }
                read += 1
                if decoder.orientation(of: bytes) != .up, try await store.queueMediaHashing(mediaID: id, now: clock()) {
                    queued += 1
                }
            }
            after = last
        }
        try await store.setSetting(
            Self.storedPixelsBackfillSetting,
            "done: \(queued) of \(read) parts hashed \(hashedWhen) turned by an orientation tag, queued to be hashed again",
            actor: "system", now: clock())
        logger.info(
            "photos turned by an orientation tag queued to be hashed again",
            metadata: ["media.read": "\(read)", "media.queued": "\(queued)", "duration": "\(ContinuousClock.now - start)"])
        return queued
    }
}
