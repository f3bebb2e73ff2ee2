import BulwarkStore
import BulwarkText
public import Logging

extension BulwarkService {
    /// The setting schema version 14 sets to `pending` on a database with cases opened before
    /// cases had content keys, and this process sets to what it did once they have them.
    static let contentKeyBackfillSetting = "content_keys_backfill"
    /// Cases read, keyed and written at a time.
    public static let contentKeyBackfillPage = 1_000

    /// Gives the cases opened before schema version 13 their content keys (``ContentKey``: the
    /// item's normalised text, hashed), when schema version 14 marked the database as having
    /// some: so that their removals reach later copies and their open copies are decided
    /// together, as for cases opened since. Cases whose item has media, or whose text is too short,
    /// keep none, as at ingest. Returns how many cases were given a key, or nil when there was
    /// nothing to do. `serve` runs it in the background once it listens
    /// (``OnceAlongside/contentKeyBackfill(_:logger:retrySeconds:)``); when it is done, this process's index of removed texts is read
    /// again from the first decision, since the decisions on the cases just keyed are older than
    /// those it has read. Two processes may run it at once (it only fills keys still missing).
    /// Cancelled between pages, it stops with the keys given so far kept and the setting still
    /// `pending`. The setting's change is audited (actor `system`) with the count. `page`: cases
    /// looked at a time, each page one transaction.
    public func giveOlderCasesContentKeys(logger: Logger, page size: Int = contentKeyBackfillPage) async throws -> Int? {
        guard try await store.setting(Self.contentKeyBackfillSetting) == "pending" else { return nil }
        // Said, so that an operator knows why copies of old removed texts are not yet known
        // content (200,000 cases took 6.3 s, a million 45.5 s, on SQLite).
        logger.info("giving content keys to cases opened before schema version 13, in the background")
        let start = ContinuousClock.now
        let normalizer = engine.normalizer
        var after: Int64 = 0
        var read = 0
        var given = 0
        while true {
            try Task.checkCancellation()
            let page = try await store.casesWithoutContentKey(after: after, limit: max(1, size))
            guard let through = page.through else { break }
            read += page.cases.count
            let keys = page.cases.compactMap { c in
                ContentKey.of(c.text, normalizer: normalizer).map { (caseID: c.caseID, key: $0) }
            }
            given += try await store.setContentKeys(keys)
            after = through
        }
        try await store.setSetting(
            Self.contentKeyBackfillSetting, "done: \(given) of \(read) cases without media given a content key",
            actor: "system", now: clock())
        await removedTexts.readAgainFromTheStart()
        logger.info(
            "content keys given to cases opened before schema version 13",
            metadata: ["cases.read": "\(read)", "cases.keyed": "\(given)", "duration": "\(ContinuousClock.now - start)"])
        return given
    }
}
