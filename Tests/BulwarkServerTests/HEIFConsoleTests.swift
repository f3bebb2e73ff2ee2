import BulwarkBanks
import BulwarkCore
import BulwarkMedia
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

/// A HEIC photo, as phones take them, sent through the API: the media job decodes it (libheif,
/// its `irot` turn applied), stores its PDQ hash and matches it against the banks; the case page
/// shows it as a PNG of the pixels it hashed. On both stores, decoded in the service's process and
/// in the decoder process.
extension ConsoleEntityTests {
    @Test(arguments: Backend.allCases, [false, true])
    func aHEICPhotoIsMatchedAndShownAsAPNG(_ backend: Backend, _ decodedApart: Bool) async throws {
        try await withServerStore(backend, "console-heic") { store in try await heicMatch(store, decodedApart: decodedApart) }
    }

    func heicMatch(_ store: any ModerationStore, decodedApart: Bool) async throws {
        try await Self.addUser(store, "rev", .reviewer)
        let key = try await Self.ingestKey(store)
        let photo = try ServerFixtures.bytes("Tests/BulwarkMediaTests/Fixtures/turned.heic")
        let pixels = try ImageDecoder().decode(photo)
        #expect(pixels.width == 24 && pixels.height == 32)  // turned as its irot box says
        var scratch = PDQScratch()
        let hashed = PDQHasher().hash(pixels, scratch: &scratch)
        #expect(hashed.quality >= BankSet.minimumPDQQuality)
        let service = try Self.serviceKnowing(hashed.hash, store: store, decodedApart: decodedApart)
        try await service.application(logger: Logger(label: "test")).test(.live) { client in
            let item = """
                {"platform":"example","id":"heic-1","author":"acct-1","text":"look","lang":"en",
                 "media":[{"data":"\(Data(photo).base64EncodedString())","content_type":"image/heic"}]}
                """
            #expect(try await Self.ingest(client, key, item).status == .ok)
            try await waitForJobs(store)
            let stored = try #require(try await store.item(platform: "example", externalID: "heic-1"))
            #expect(stored.decision == .violating)
            let mediaID = try #require(try await store.mediaIDs(itemID: stored.id).first)
            let record = try #require(try await store.mediaHashes(afterID: 0, limit: 10).first { $0.mediaID == mediaID })
            #expect(record.hashes.pdq == hashed.hash.hex)
            let context = try #require(try await store.itemContext(itemID: stored.id)?.media.first)
            #expect(context.matchEvidence?.contains(#""type":"pdq","distance":0"#) == true, "\(context.matchEvidence ?? "nil")")
            let caseID = try #require(
                try await store.cases(CaseFilter(), now: Self.now).first { $0.itemID == stored.id }?.id)

            var browser = try await Self.signedIn(client, "rev")
            let html = Self.text(try await browser.get(client, "/console/cases/\(caseID)"))
            #expect(html.contains("<td>pdq</td><td>0 of 256 bits</td>"), "\(html)")
            let shown = try await browser.get(client, "/console/media/\(mediaID)")
            #expect(shown.status == .ok && shown.headers[.contentType] == "image/png")
            let same = try ImageDecoder().decode(Array(shown.body.readableBytesView)) == pixels
            #expect(same)
            #expect(service.stills.pids.isEmpty != decodedApart)
        }
    }
}
