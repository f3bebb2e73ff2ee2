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

/// A video sent with an item: hashed a frame a second by the media job, matched by a later frame
/// a bank knows, and shown still on the case page (its first frame and the matched one), on
/// both stores; decoded in the service's process, and in the decoder process `bulwark serve`
/// uses (the built `bulwark media-decoder`), with the same result.
extension ConsoleEntityTests {
    @Test(arguments: Backend.allCases, [false, true])
    func aVideoIsMatchedByALaterFrameAndShownStill(_ backend: Backend, _ decodedApart: Bool) async throws {
        try await withServerStore(backend, "console-video") { store in try await videoMatch(store, decodedApart: decodedApart) }
    }

    /// The `bulwark` binary built beside the test bundle.
    static var bulwarkBinary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.lastPathComponent.hasSuffix(".xctest") || dir.path.contains(".xctest/") { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("bulwark").path
    }

    /// scripts/video-reference.py's H.264 video: a grey title card for 2 s, then three pictures.
    static func video() throws -> [UInt8] {
        let out = NSTemporaryDirectory() + "bulwark-video-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "scripts/video-reference.py", "--out", out, "--only", "h264.mp4"]
        process.currentDirectoryURL = URL(fileURLWithPath: ServerFixtures.root)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "scripts/video-reference.py exited with \(process.terminationStatus)")
        return [UInt8](try #require(FileManager.default.contents(atPath: out + "/h264.mp4")))
    }

    /// A service whose bank "known" (labelled `category:dissemination`) holds `hash`, its media
    /// job polling every 20 ms, decoding in the `bulwark media-decoder` process when
    /// `decodedApart`.
    static func serviceKnowing(_ hash: PDQHash, store: any ModerationStore, decodedApart: Bool) throws -> BulwarkService {
        var banks = BankSet()
        _ = try banks.create(Bank(name: "known", labels: ["category:dissemination"]))
        _ = try banks.add(bank: "known", signal: Signal(pdq: hash), at: 1)
        var config = ServerConfiguration(port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20, workerPollMilliseconds: 20)
        if decodedApart { config.mediaDecoder = MediaDecoderSettings(executable: Self.bulwarkBinary) }
        return BulwarkService(
            store: store, engine: try ServerFixtures.engine.get(), configuration: config, banks: banks, clock: { Self.now })
    }

    func videoMatch(_ store: any ModerationStore, decodedApart: Bool) async throws {
        try await Self.addUser(store, "rev", .reviewer)
        let key = try await Self.ingestKey(store)
        let video = try Self.video()
        // The bank knows the picture the video shows from its fourth second (the mirror image).
        var scratch = PDQScratch()
        let hashed = try PDQHasher().hashFrames(video, decoder: ImageDecoder(), scratch: &scratch)
        let fourth = try #require(hashed.laterFrames.first { $0.second == 4 })
        let service = try Self.serviceKnowing(fourth.hash, store: store, decodedApart: decodedApart)
        try await service.application(logger: Logger(label: "test")).test(.live) { client in
            let item = """
                {"platform":"example","id":"clip-1","author":"acct-1","text":"watch","lang":"en",
                 "media":[{"data":"\(Data(video).base64EncodedString())","content_type":"video/mp4"}]}
                """
            #expect(try await Self.ingest(client, key, item).status == .ok)
            try await waitForJobs(store)
            let stored = try #require(try await store.item(platform: "example", externalID: "clip-1"))
            let mediaID = try #require(try await store.mediaIDs(itemID: stored.id).first)
            // Stored: the first frame's hash and the later frames that show another picture, each
            // with its time, as the retro-hunts read them back.
            let record = try #require(try await store.mediaHashes(afterID: 0, limit: 10).first { $0.mediaID == mediaID })
            #expect(record.hashes.pdq == hashed.first.hash.hex && record.hashes.frames == hashed.laterFrames)
            #expect(record.hashes.frames.map(\.second) == [3, 4, 6, 9])
            let caseID = try #require(
                try await store.cases(CaseFilter(), now: Self.now).first { $0.itemID == stored.id }?.id)

            var browser = try await Self.signedIn(client, "rev")
            let html = Self.text(try await browser.get(client, "/console/cases/\(caseID)"))
            #expect(
                html.contains(
                    "<td>image 1<br><small>a video: its first frame and 4 later frames showing another picture hashed (a frame every second)</small></td><td>known</td>"
                ), "\(html)")
            #expect(html.contains("<td>pdq</td><td>0 of 256 bits, the frame at 0:04</td>"))
            #expect(
                html.contains(
                    #"<img src="/console/media/\#(mediaID)?frame=4" class="blurred" alt="Image 1, the frame at 0:04: the frame a bank matched">"#
                ))
            // Still: the first frame and the matched one as PNGs of the frames the job hashed.
            var frames: [RGBImage] = []
            _ = try ImageDecoder().forEachFrame(video) { _, frame in
                frames.append(frame)
                return true
            }
            for (uri, expected) in [("/console/media/\(mediaID)", frames[0]), ("/console/media/\(mediaID)?frame=4", frames[4])] {
                let shown = try await browser.get(client, uri)
                #expect(shown.status == .ok && shown.headers[.contentType] == "image/png", "\(uri)")
                #expect(try ImageDecoder().decode(Array(shown.body.readableBytesView)) == expected, "\(uri)")
            }
            // Shown by the decoder process when media is decoded apart.
            #expect(service.stills.pids.isEmpty != decodedApart)
        }
    }
}
