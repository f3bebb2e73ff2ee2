import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
import BulwarkMedia
import BulwarkMediaProcess
import BulwarkStore
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import BulwarkServer

/// A photo whose EXIF orientation tag turns it is hashed as shown, and also as its pixels are
/// stored, which is what hashers that apply no orientation (HMA's) put in the banks they share.
/// A bank hash of the stored pixels finds the photo by a retro-hunt for the copy stored before
/// the bank knew it and live for the next copy, on both stores, decoded in the service's process
/// and in the decoder process; the evidence and the case page say it was the stored pixels.
extension ConsoleEntityTests {
    @Test(arguments: Backend.allCases, [false, true])
    func aTurnedPhotoIsMatchedByItsPixelsAsStored(_ backend: Backend, _ decodedApart: Bool) async throws {
        try await withServerStore(backend, "turned_photo") { store in try await turnedPhoto(store, decodedApart: decodedApart) }
    }

    func turnedPhoto(_ store: any ModerationStore, decodedApart: Bool) async throws {
        let dir = RetroHuntTests.bankDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await Self.addUser(store, "rev", .reviewer)
        let keys = try await makeKeys(store, [.ingest, .lead])
        var config = RetroHuntTests.config
        if decodedApart { config.mediaDecoder = MediaDecoderSettings(executable: Self.bulwarkBinary) }
        let service = BulwarkService(
            store: store, engine: try ServerFixtures.engine.get(), configuration: config,
            bankRegistry: BankRegistry(directory: try BankDirectory(path: dir, writable: true)))

        // The shared photo, tagged to be turned a quarter clockwise to be shown.
        let photo = OrientationTag.tagged(jpeg: try ServerFixtures.bytes("../shared/data/pdq/misc-images/wee.jpg"), orientation: 6)
        var scratch = PDQScratch()
        let shown = PDQHasher().hash(try ImageDecoder().decode(photo), scratch: &scratch)
        let asStored = PDQHasher().hash(try ImageDecoder(appliesOrientation: false).decode(photo), scratch: &scratch)
        // Far apart: the picture as shown does not match the stored pixels' hash by itself.
        #expect(shown.hash.distance(to: asStored.hash) > 31 && asStored.quality >= BankSet.minimumPDQQuality)

        try await service.application(logger: Logger(label: "test")).test(.live) { client in
            @Sendable func body(_ id: String) -> String {
                #"{"id":"\#(id)","text":"look at this","media":[{"data":"\#(Data(photo).base64EncodedString())"}]}"#
            }
            #expect(try await call(client, keys, .post, "/v1/banks", .lead, #"{"name":"shared","labels":["category:dissemination"]}"#).0 == .created)
            let (_, first) = try await call(client, keys, .post, "/v1/items", .ingest, body("photo-1"))
            let firstID = try firstItemID(first)
            try await waitForJobs(store)
            // Stored: the hash as shown, and the stored pixels' with the orientation, as the
            // retro-hunts read them back.
            let stored = try #require(try await store.mediaHashes(afterID: 0, limit: 10).first)
            #expect(stored.pdq == shown.hash.hex)
            #expect(stored.storedPixels == StoredPixelsPDQ(orientation: 6, hash: asStored.hash, quality: asStored.quality))
            #expect(try await store.cases(CaseFilter(), now: 10).isEmpty)

            // The bank learns the stored pixels' hash: the retro-hunt finds the copy.
            let (status, added) = try await call(
                client, keys, .post, "/v1/banks/shared/entries", .lead, #"{"type":"pdq","values":["\#(asStored.hash.hex)"]}"#)
            #expect(status == .ok && added["added"] as? Int == 1)
            let cases = try await waitForCases(store)
            #expect(cases.map(\.itemID) == [firstID])
            let retro = try #require(try await store.itemContext(itemID: firstID)?.media.first)
            #expect(
                retro.matchEvidence?.contains(#""type":"pdq","distance":0,"stored_pixels":true,"orientation":6"#) == true,
                "\(retro.matchEvidence ?? "nil")")

            // The next copy is matched as it is hashed.
            let (_, second) = try await call(client, keys, .post, "/v1/items", .ingest, body("photo-2"))
            let secondID = try firstItemID(second)
            try await waitForJobs(store)
            #expect(try await store.item(id: secondID)?.decision == .violating)
            let live = try #require(try await store.itemContext(itemID: secondID)?.media.first)
            #expect(
                live.matchEvidence?.contains(#""distance":0,"stored_pixels":true,"orientation":6"#) == true,
                "\(live.matchEvidence ?? "nil")")

            // The case page says what matched.
            let caseID = try #require(try await store.cases(CaseFilter(), now: 10).first { $0.itemID == secondID }?.id)
            var browser = try await Self.signedIn(client, "rev")
            let html = Self.text(try await browser.get(client, "/console/cases/\(caseID)"))
            #expect(
                html.contains("<td>pdq</td><td>0 of 256 bits, its pixels as stored, before orientation 6 turned them</td>"),
                "\(html)")
        }
    }
}

/// Parts hashed before schema version 25 have no stored pixels' hash. Version 26 marks a database
/// with hashed parts, and the media job's processes queue the turned photos among them to be
/// hashed again, after which a bank hash of a photo's stored pixels finds it by a retro-hunt; on
/// both stores, called directly and as `serve` runs it.
struct StoredPixelsBackfillTests {
    @Test(arguments: Backend.allCases)
    func photosHashedBeforeStoredPixelsAreHashedAgainAndFoundByTheirStoredPixels(_ backend: Backend) async throws {
        try await withTestStore(backend, "storedbackfill") { t in
            let store = t.store
            let dir = RetroHuntTests.bankDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let keys = try await makeKeys(store, [.ingest, .lead])
            let service = BulwarkService(
                store: store, engine: try ServerFixtures.engine.get(), configuration: RetroHuntTests.config,
                bankRegistry: BankRegistry(directory: try BankDirectory(path: dir, writable: true)))
            let original = try ServerFixtures.bytes("../shared/data/pdq/misc-images/wee.jpg")
            let photo = OrientationTag.tagged(jpeg: original, orientation: 6)
            var scratch = PDQScratch()
            let asStored = PDQHasher().hash(try ImageDecoder(appliesOrientation: false).decode(photo), scratch: &scratch)
            #expect(try await store.setting("stored_pixels_backfill") == nil, "a new database has no parts hashed before")
            @Sendable func body(_ id: String, _ bytes: [UInt8]) -> String {
                #"{"id":"\#(id)","text":"look at this","media":[{"data":"\#(Data(bytes).base64EncodedString())"}]}"#
            }

            // Hashed, then made as a part hashed before version 25 is: no stored pixels' hash.
            let ids = try await service.application(logger: Logger(label: "test")).test(.live) { client -> [String: Int64] in
                #expect(try await call(client, keys, .post, "/v1/banks", .lead, #"{"name":"shared","labels":["category:dissemination"]}"#).0 == .created)
                var ids: [String: Int64] = [:]
                for (id, bytes) in [("turned", photo), ("upright", original)] {
                    let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, body(id, bytes))
                    ids[id] = try await store.mediaIDs(itemID: try firstItemID(reply)).first
                }
                _ = try await call(client, keys, .post, "/v1/items", .ingest, #"{"id":"text-only","text":"nothing to see"}"#)
                try await waitForJobs(store)
                return ids
            }
            let turned = try #require(ids["turned"])
            #expect(try await t.integer("SELECT COUNT(*) FROM media WHERE stored_pdq IS NOT NULL") == 1)
            try await t.execute("UPDATE media SET stored_pdq = NULL")
            try await t.execute(
                backend == .sqlite
                    ? "DELETE FROM grdb_migrations WHERE identifier = 'v26'" : "DELETE FROM schema_migrations WHERE version = 'v26'")
            try await store.migrate()
            let highest = try await t.integer("SELECT MAX(id) FROM media")
            #expect(try await store.setting("stored_pixels_backfill") == "pending:\(highest)")

            // While as many jobs as its limit are queued, or half the depth at which ingest answers
            // 503 when that is less, it waits and queues nothing (here one job queued and no
            // worker: it waits until cancelled, the setting still pending).
            let logger = Logger(label: "test")
            let uprightPart = try #require(ids["upright"])
            #expect(try await store.queueMediaHashing(mediaID: uprightPart, now: 10))
            var shallow = RetroHuntTests.config
            shallow.maxQueueDepth = 3
            let shallowService = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: shallow)
            for (waiter, limit) in [(service, 1), (shallowService, 1_000)] {
                let waiting = Task { try await waiter.hashTurnedPhotosAgain(logger: logger, page: 1, queueLimit: limit) }
                try await Task.sleep(for: .milliseconds(1_500))
                waiting.cancel()
                await #expect(throws: CancellationError.self) { _ = try await waiting.value }
            }
            #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE status = 'queued'") == 1)
            #expect(try await store.setting("stored_pixels_backfill") == "pending:\(highest)")
            try await t.execute("DELETE FROM jobs WHERE status = 'queued'")

            // A part at a time: the turned photo is queued, the upright one is not; once.
            #expect(try await service.hashTurnedPhotosAgain(logger: logger, page: 1) == 1)
            #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE kind = 'hash_media' AND status = 'queued' AND ref = \(turned)") == 1)
            #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE status = 'queued'") == 1)
            #expect(try await store.queueMediaHashing(mediaID: turned, now: 10) == false, "already queued")
            #expect(
                try await store.setting("stored_pixels_backfill")
                    == "done: 1 of 2 parts hashed before schema version 25 turned by an orientation tag, queued to be hashed again")
            #expect(try await t.integer("SELECT COUNT(*) FROM audit_log WHERE actor = 'system' AND action = 'setting.change'") == 1)
            #expect(try await service.hashTurnedPhotosAgain(logger: logger) == nil, "once")

            // Hashed again; a bank hash of its stored pixels then finds it.
            try await service.application(logger: logger).test(.live) { client in
                try await waitForJobs(store)
                let record = try #require(try await store.mediaHashes(afterID: 0, limit: 10).first { $0.mediaID == turned })
                #expect(record.storedPixels == StoredPixelsPDQ(orientation: 6, hash: asStored.hash, quality: asStored.quality))
                #expect(try await t.integer("SELECT COUNT(*) FROM media WHERE stored_pdq IS NOT NULL") == 1)
                let (status, _) = try await call(
                    client, keys, .post, "/v1/banks/shared/entries", .lead, #"{"type":"pdq","values":["\#(asStored.hash.hex)"]}"#)
                #expect(status == .ok)
                // Both items: the turned photo by its stored pixels, the upright original (the same
                // pixels, untagged) by its own hash.
                var cases = try await waitForCases(store)
                for _ in 0..<200 where cases.count < 2 {
                    try await Task.sleep(for: .milliseconds(50))
                    cases = try await store.cases(CaseFilter(), now: 10)
                }
                let turnedItem = Int64(try await t.integer("SELECT item_id FROM media WHERE id = \(turned)"))
                let uprightItem = Int64(try await t.integer("SELECT item_id FROM media WHERE id = \(try #require(ids["upright"]))"))
                #expect(Set(cases.compactMap(\.itemID)) == [turnedItem, uprightItem])
                let media = try #require(try await store.itemContext(itemID: turnedItem)?.media.first)
                #expect(media.matchEvidence?.contains(#""stored_pixels":true,"orientation":6"#) == true, "\(media.matchEvidence ?? "nil")")
                let upright = try #require(try await store.itemContext(itemID: uprightItem)?.media.first)
                #expect(upright.matchEvidence?.contains(#""distance":0}"#) == true, "\(upright.matchEvidence ?? "nil")")
            }

            // As `serve` runs it, alongside: the part is queued and hashed again.
            try await t.execute("UPDATE media SET stored_pdq = NULL")
            try await t.execute("UPDATE settings SET value = 'pending:\(highest)' WHERE key = 'stored_pixels_backfill'")
            try await service.application(logger: logger).test(.live) { _ in
                var setting = try await store.setting("stored_pixels_backfill")
                for _ in 0..<200 where setting?.hasPrefix("pending") == true {
                    try await Task.sleep(for: .milliseconds(50))
                    setting = try await store.setting("stored_pixels_backfill")
                }
                #expect(setting?.hasPrefix("done: 1 of 2 parts") == true, "\(setting ?? "nil")")
                try await waitForJobs(store)
                #expect(try await t.integer("SELECT COUNT(*) FROM media WHERE stored_pdq IS NOT NULL AND id = \(turned)") == 1)
            }
        }
    }
}

/// `--no-stored-pixels-hash`: a turned photo is hashed as shown only, and the setting says so;
/// the next process with the hash on queues the turned photos hashed in between to be hashed
/// again, and they get it; on both stores, as `serve` runs it, decoded in the service's process
/// and in the decoder process.
extension StoredPixelsBackfillTests {
    @Test(arguments: Backend.allCases, [false, true])
    func photosHashedWithTheStoredPixelsHashOffAreHashedAgainWhenItIsOn(_ backend: Backend, _ decodedApart: Bool) async throws {
        try await withTestStore(backend, "storedoff") { t in
            let store = t.store
            let keys = try await makeKeys(store, [.ingest])
            let original = try ServerFixtures.bytes("../shared/data/pdq/misc-images/wee.jpg")
            let photo = OrientationTag.tagged(jpeg: original, orientation: 6)
            var scratch = PDQScratch()
            let shown = PDQHasher().hash(try ImageDecoder().decode(photo), scratch: &scratch)
            let asStored = PDQHasher().hash(try ImageDecoder(appliesOrientation: false).decode(photo), scratch: &scratch)
            let logger = Logger(label: "test")
            @Sendable func body(_ id: String, _ bytes: [UInt8]) -> String {
                #"{"id":"\#(id)","text":"look at this","media":[{"data":"\#(Data(bytes).base64EncodedString())"}]}"#
            }
            @Sendable func setting(becomes wanted: @Sendable (String?) -> Bool) async throws -> String? {
                var value = try await store.setting("stored_pixels_backfill")
                for _ in 0..<400 where !wanted(value) {
                    try await Task.sleep(for: .milliseconds(50))
                    value = try await store.setting("stored_pixels_backfill")
                }
                return value
            }

            var on = RetroHuntTests.config
            if decodedApart { on.mediaDecoder = MediaDecoderSettings(executable: ConsoleEntityTests.bulwarkBinary) }
            var off = on
            off.hashesStoredPixels = false
            let offService = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: off)
            let turned = try await offService.application(logger: logger).test(.live) { client -> Int64 in
                let value = try await setting { $0?.hasPrefix("off") == true }
                #expect(value == BulwarkService.storedPixelsHashOff)
                var ids: [Int64] = []
                for (id, bytes) in [("turned", photo), ("upright", original)] {
                    let (_, reply) = try await call(client, keys, .post, "/v1/items", .ingest, body(id, bytes))
                    ids += try await store.mediaIDs(itemID: try firstItemID(reply))
                }
                try await waitForJobs(store)
                return try #require(ids.first)
            }
            // Hashed as shown only.
            let hashed = try #require(try await store.mediaHashes(afterID: 0, limit: 10).first { $0.mediaID == turned })
            #expect(hashed.pdq == shown.hash.hex && hashed.storedPixels == nil)
            #expect(try await t.integer("SELECT COUNT(*) FROM media WHERE stored_pdq IS NOT NULL") == 0)
            #expect(try await t.integer("SELECT COUNT(*) FROM audit_log WHERE actor = 'system' AND action = 'setting.change'") == 1)
            // Told again, it records nothing more.
            #expect(try await offService.hashTurnedPhotosAgain(logger: logger) == nil)
            #expect(try await t.integer("SELECT COUNT(*) FROM audit_log WHERE actor = 'system' AND action = 'setting.change'") == 1)

            // On again: the two parts are looked at, the turned one hashed again with its stored pixels.
            let onService = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: on)
            try await onService.application(logger: logger).test(.live) { _ in
                let value = try await setting { $0?.hasPrefix("done") == true }
                #expect(
                    value == "done: 1 of 2 parts hashed while the stored pixels' hash was off turned by an orientation tag, queued to be hashed again",
                    "\(value ?? "nil")")
                try await waitForJobs(store)
            }
            let again = try #require(try await store.mediaHashes(afterID: 0, limit: 10).first { $0.mediaID == turned })
            #expect(again.pdq == shown.hash.hex)
            #expect(again.storedPixels == StoredPixelsPDQ(orientation: 6, hash: asStored.hash, quality: asStored.quality))
            #expect(try await t.integer("SELECT COUNT(*) FROM media WHERE stored_pdq IS NOT NULL") == 1)
            // Off, then pending through the highest media id, then done: each audited.
            #expect(try await t.integer("SELECT COUNT(*) FROM audit_log WHERE actor = 'system' AND action = 'setting.change'") == 3)
            #expect(try await onService.hashTurnedPhotosAgain(logger: logger) == nil, "once")
        }
    }
}
