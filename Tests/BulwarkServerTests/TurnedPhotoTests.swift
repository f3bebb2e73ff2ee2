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
