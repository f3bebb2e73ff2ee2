import BulwarkBanks
import BulwarkCore
import BulwarkStore
public import Logging

extension BulwarkService {
    /// Media stored before a bank gained entries, matched against them: a linear pass over the
    /// stored PDQ hashes, each looked up in the banks' index. A hit that the new entries make
    /// (and no allow bank overrides) is recorded as the media worker records a live match: the
    /// item's verdict and case, and known content in its entities' signals. Each media part's
    /// match is counted once. Returns the number of matches recorded.
    public func retroHunt(entryIDs: Set<UInt64>, logger: Logger) async throws -> Int {
        guard let banks, !entryIDs.isEmpty else { return 0 }
        var after: Int64 = 0
        var recorded = 0
        var scanned = 0
        while true {
            let page = try await store.mediaHashes(afterID: after, limit: 1_000)
            guard let last = page.last else { break }
            after = last.mediaID
            scanned += page.count
            for media in page {
                guard let pdq = PDQHash(hex: media.pdq) else { continue }
                let outcome = banks.match(MediaHashes(pdq: pdq, pdqQuality: media.quality))
                guard outcome.blockMatches.contains(where: { entryIDs.contains($0.entry.id) }) else { continue }
                var result = MediaResult(pdq: media.pdq, quality: media.quality, md5: "", sha256: "")
                MediaWorker.record(outcome, in: &result)
                guard result.matchDecision != nil else { continue }
                if try await store.recordRetroMatch(mediaID: media.mediaID, match: result, now: clock()) { recorded += 1 }
            }
        }
        logger.info(
            "retro-hunt done",
            metadata: ["retro.entries": "\(entryIDs.count)", "retro.media": "\(scanned)", "retro.matches": "\(recorded)"])
        return recorded
    }

    /// Runs a retro-hunt for new entries in the background (the request that added them does not wait).
    func startRetroHunt(entryIDs: Set<UInt64>, logger: Logger) {
        guard !entryIDs.isEmpty else { return }
        Task {
            do {
                _ = try await retroHunt(entryIDs: entryIDs, logger: logger)
            } catch {
                logger.error("retro-hunt failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
