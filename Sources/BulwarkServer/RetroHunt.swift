import BulwarkBanks
import BulwarkCore
import BulwarkStore
public import Logging

extension BulwarkService {
    /// Media stored before a bank gained entries, matched against them: a linear pass over the
    /// stored PDQ hashes, each looked up in the banks' index. A hit on an entry from
    /// `firstEntryID` on (that no allow bank overrides) is recorded as the job worker records a
    /// live match: the item's verdict and case, and known content in its entities' signals. Each
    /// media part's match is counted once, so a hunt that is repeated (after a crash, or for an
    /// overlapping range) records nothing twice.
    ///
    /// `afterPage` runs after each page of 1,000 media parts (the worker renews its lease there);
    /// when it returns false the hunt stops and returns false. Returns true when every stored
    /// media part was looked at.
    public func retroHunt(
        fromEntryID firstEntryID: UInt64, logger: Logger, afterPage: () async throws -> Bool = { true }
    ) async throws -> Bool {
        guard let banks else { return true }
        var after: Int64 = 0
        var recorded = 0
        var scanned = 0
        while true {
            let page = try await store.mediaHashes(afterID: after, limit: 1_000)
            guard let last = page.last else { break }
            after = last.mediaID
            scanned += page.count
            for media in page {
                // PDQ for the images Bulwark decodes; MD5 and SHA-256 for every part (videos too).
                let outcome = banks.match(media.hashes.matchable)
                guard outcome.blockMatches.contains(where: { $0.entry.id >= firstEntryID }) else { continue }
                var result = media.hashes.unmatched
                JobWorker.record(outcome, in: &result)
                guard result.matchDecision != nil else { continue }
                if try await store.recordRetroMatch(mediaID: media.mediaID, match: result, now: clock()) { recorded += 1 }
            }
            guard try await afterPage() else {
                logger.info("retro-hunt handed over", metadata: ["retro.from": "\(firstEntryID)", "retro.media": "\(scanned)"])
                return false
            }
        }
        logger.info(
            "retro-hunt done",
            metadata: ["retro.from": "\(firstEntryID)", "retro.media": "\(scanned)", "retro.matches": "\(recorded)"])
        return true
    }

    /// Queues a retro-hunt for newly added entries (PDQ, MD5, SHA-256); the job worker runs it (the request that
    /// added them does not wait), and a queued hunt survives a restart.
    func queueRetroHunt(entryIDs: Set<UInt64>, logger: Logger) async throws {
        guard let first = entryIDs.min() else { return }
        if try await store.enqueueRetroHunt(firstEntryID: Int64(first), now: clock()) {
            logger.info("retro-hunt queued", metadata: ["retro.from": "\(first)", "retro.entries": "\(entryIDs.count)"])
        }
    }
}
