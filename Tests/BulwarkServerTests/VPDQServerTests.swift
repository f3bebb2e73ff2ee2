import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
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

/// scripts/video-reference.py's videos `names` (written into a new directory, the caller removes
/// it), and ThreatExchange's vPDQ hash of the first (scripts/vpdq-reference.py), as a partner's
/// list would hold it.
func referenceVideos(_ names: [String]) throws -> (dir: String, vpdq: String) {
    let dir = NSTemporaryDirectory() + "bulwark-vpdq-\(UInt32.random(in: 0...UInt32.max))"
    func run(_ arguments: [String]) throws -> String {
        let process = Process()
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: ServerFixtures.root)
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(arguments[0]) exited with \(process.terminationStatus)")
        return text
    }
    for name in names { _ = try run(["scripts/video-reference.py", "--out", dir, "--only", name]) }
    let vpdq = try run(["scripts/vpdq-reference.py", dir + "/" + names[0]]).trimmingCharacters(in: .whitespacesAndNewlines)
    return (dir, vpdq)
}

extension ConsoleEntityTests {
    /// A bank holds a partner's vPDQ hash of a video (ThreatExchange's hasher, of the H.264
    /// original); a copy in VP9 sent with an item is matched by the media job, on both stores:
    /// the item violating, the evidence giving both counts, the case page saying them.
    @Test(arguments: Backend.allCases)
    func aCopyOfABankedVideoIsMatchedByItsVPDQHash(_ backend: Backend) async throws {
        try await withServerStore(backend, "console-vpdq") { store in
            let (dir, partner) = try referenceVideos(["h264.mp4", "vp9.webm"])
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let copy = [UInt8](try #require(FileManager.default.contents(atPath: dir + "/vp9.webm")))
            try await Self.addUser(store, "rev", .reviewer)
            let key = try await Self.ingestKey(store)
            var banks = BankSet()
            _ = try banks.create(Bank(name: "known", labels: ["category:dissemination"]))
            let entry = try Signal(.vpdq, partner)
            _ = try banks.add(bank: "known", signal: entry, at: 1)
            let config = ServerConfiguration(port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20, workerPollMilliseconds: 20)
            let service = BulwarkService(
                store: store, engine: try ServerFixtures.engine.get(), configuration: config, banks: banks, clock: { Self.now })
            try await service.application(logger: Logger(label: "test")).test(.live) { client in
                let item = """
                    {"platform":"example","id":"clip-1","author":"acct-1","text":"watch","lang":"en",
                     "media":[{"data":"\(Data(copy).base64EncodedString())","content_type":"video/webm"}]}
                    """
                #expect(try await Self.ingest(client, key, item).status == .ok)
                try await waitForJobs(store)
                let stored = try #require(try await store.item(platform: "example", externalID: "clip-1"))
                #expect(stored.decision == .violating)
                let evidence = try #require(try await store.itemContext(itemID: stored.id)?.media.first?.matchEvidence)
                #expect(evidence.contains(#""type":"vpdq""#), "\(evidence)")
                #expect(
                    evidence.contains(
                        #""video":{"frames":4,"frames_matched":4,"percent":100.0,"entry_frames":5,"entry_frames_matched":5,"entry_percent":100.0}"#
                    ), "\(evidence)")
                let caseID = try #require(try await store.cases(CaseFilter(), now: Self.now).first { $0.itemID == stored.id }?.id)
                var browser = try await Self.signedIn(client, "rev")
                let html = Self.text(try await browser.get(client, "/console/cases/\(caseID)"))
                #expect(html.contains("<td>vpdq</td><td>nearest frames 0 of 256 bits apart"), "\(html)")
                #expect(html.contains("4 of its 4 frames found in the banked video, 5 of the banked video&#39;s 5 found in it")
                    || html.contains("4 of its 4 frames found in the banked video, 5 of the banked video's 5 found in it"), "\(html)")
            }
        }
    }
}

extension RetroHuntTests {
    /// A video stored before the bank knew it is found by the retro-hunt when a partner's vPDQ
    /// hash of it is added over the API; one that shows other pictures is not; removed, the entry
    /// no longer matches a new copy.
    @Test(arguments: Backend.allCases)
    func aVPDQEntryAddedLaterFindsAStoredVideo(_ backend: Backend) async throws {
        try await withServerStore(backend, "retro_vpdq") { store in
            let bankDir = Self.bankDirectory()
            defer { try? FileManager.default.removeItem(atPath: bankDir) }
            let (dir, partner) = try referenceVideos(["h264.mp4", "keyed-h264.mp4"])
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let keys = try await makeKeys(store, [.ingest, .lead])
            let (service, _) = try Self.bankedService(store, bankDir)
            let original = try #require(FileManager.default.contents(atPath: dir + "/h264.mp4")).base64EncodedString()
            let other = try #require(FileManager.default.contents(atPath: dir + "/keyed-h264.mp4")).base64EncodedString()
            try await service.application(logger: Logger(label: "test")).test(.live) { client in
                @Sendable func body(_ id: String, _ data: String) -> String {
                    #"{"id":"\#(id)","text":"watch","media":[{"data":"\#(data)","content_type":"video/mp4"}]}"#
                }
                #expect(try await call(client, keys, .post, "/v1/banks", .lead, #"{"name":"videos","labels":["category:dissemination"]}"#).0 == .created)
                let firstID = try firstItemID(try await call(client, keys, .post, "/v1/items", .ingest, body("vid-1", original)).1)
                let otherID = try firstItemID(try await call(client, keys, .post, "/v1/items", .ingest, body("vid-2", other)).1)
                try await waitForJobs(store)
                #expect(try await store.item(id: firstID)?.decision == Decision.none)

                let values = String(decoding: try JSONSerialization.data(withJSONObject: [partner]), as: UTF8.self)
                let (status, added) = try await call(
                    client, keys, .post, "/v1/banks/videos/entries", .lead, #"{"type":"vpdq","values":\#(values)}"#)
                #expect(status == .ok && added["added"] as? Int == 1, "\(added)")
                let cases = try await waitForCases(store)
                #expect(cases.map(\.itemID) == [firstID])
                #expect(try await store.item(id: firstID)?.decision == .violating)
                #expect(try await store.item(id: otherID)?.decision == Decision.none)
                let evidence = try await store.itemContext(itemID: firstID)?.media.first?.matchEvidence
                #expect(evidence?.contains(#""type":"vpdq""#) == true, "\(evidence ?? "nil")")
                let (_, banks) = try await call(client, keys, .get, "/v1/banks", .lead)
                let counted = (banks["banks"] as? [[String: Any]])?.first?["entries"] as? [String: Int]
                #expect(counted?["vpdq"] == 1, "\(banks)")
                // A bad value is refused with its place.
                let (badStatus, bad) = try await call(
                    client, keys, .post, "/v1/banks/videos/entries", .lead, #"{"type":"vpdq","values":["[\"00,100,0\"]"]}"#)
                #expect(badStatus == .badRequest)
                #expect("\(bad)".contains("values[0]") && "\(bad)".contains("vpdq frame 1"), "\(bad)")

                // A platform that hashed a video with vPDQ itself sends that hash in place of the
                // bytes: its first frame is the part's PDQ hash, its later frames showing another
                // picture its frames (the grey card's three repeats and the repeated pictures left
                // out), matched live.
                let given = #"{"id":"vid-hashed","text":"watch","media":[{"vpdq":\#(values.dropFirst().dropLast()),"content_type":"video/mp4"}]}"#
                let hashedID = try firstItemID(try await call(client, keys, .post, "/v1/items", .ingest, given).1)
                try await waitForJobs(store)
                #expect(try await store.item(id: hashedID)?.decision == .violating)
                let kept = try #require(try await store.itemContext(itemID: hashedID)?.media.first)
                #expect(kept.matchEvidence?.contains(#""frames":4,"frames_matched":4"#) == true, "\(kept.matchEvidence ?? "nil")")
                // Refused, naming the field: not a vPDQ hash, or one beside a pdq.
                let h = String(repeating: "ab", count: 32)
                for (media, field, message) in [
                    (#"{"vpdq":"[\"\#(h),100\"]"}"#, "media[0].vpdq", "vpdq frame 1"),
                    (#"{"vpdq":"[\"\#(h),100,0\"]","pdq":"\#(h)"}"#, "media[0].vpdq", "without pdq"),
                    (#"{"vpdq":"[]"}"#, "media[0].vpdq", "no frames"),
                ] {
                    let (status, reply) = try await call(client, keys, .post, "/v1/items", .ingest, #"{"id":"bad","text":"x","media":[\#(media)]}"#)
                    let error = reply["error"] as? [String: Any]
                    #expect(status == .badRequest && error?["field"] as? String == field, "\(media): \(reply)")
                    #expect((error?["message"] as? String)?.contains(message) == true, "\(media): \(reply)")
                }
                // More frames showing other pictures than a part may carry: 101 after the first.
                var rng = SplitMix64(seed: 5)
                let many = (0...101).map { "\"\(rng.pdqHash().hex),100,\($0)\"" }.joined(separator: ",")
                let manyText = String(decoding: try JSONSerialization.data(withJSONObject: ["[" + many + "]"]), as: UTF8.self).dropFirst().dropLast()
                let (tooMany, tooManyReply) = try await call(
                    client, keys, .post, "/v1/items", .ingest, #"{"id":"bad","text":"x","media":[{"vpdq":\#(manyText)}]}"#)
                #expect(tooMany == .contentTooLarge, "\(tooManyReply)")

                // Removed: a new copy is not matched.
                #expect(try await call(client, keys, .delete, "/v1/banks/videos/entries", .lead, #"{"type":"vpdq","values":\#(values)}"#).1["removed"] as? Int == 1)
                let againID = try firstItemID(try await call(client, keys, .post, "/v1/items", .ingest, body("vid-3", original)).1)
                try await waitForJobs(store)
                #expect(try await store.item(id: againID)?.decision == Decision.none)
            }
        }
    }
}

extension BankSnapshotTests {
    /// vPDQ entries in the banks the database's processes share: another process reads them from
    /// the bank log, a third from a snapshot (its frames' index built as it loads), and an entry
    /// one process adds reaches the first by its sync; each matches copies and not removed ones.
    @Test(arguments: Backend.allCases)
    func vpdqEntriesTravelThroughTheSharedBankLogAndSnapshots(_ backend: Backend) async throws {
        try await withTestStore(backend, "bankvpdq") { t in
            let store = t.store
            var rng = SplitMix64(seed: 12)
            let videos = try (0..<4).map { _ in
                try VPDQHash(features: (0..<8).map { .init(hash: rng.pdqHash(), quality: 90, milliseconds: Int64($0) * 1000) })
            }
            func copy(_ video: VPDQHash) -> MediaHashes { MediaHashes(video: video) }
            func matches(_ registry: BankRegistry, _ video: VPDQHash) -> Bool {
                registry.banks.match(copy(video)).blockMatches.contains { $0.entry.signal == Signal(video: video) }
            }
            let a = try await BankRegistry.shared(store: store)
            try await a.change { set throws(BulwarkError) in ((), try set.create(Bank(name: "videos", labels: ["category:dissemination"]))) }
            for video in videos.prefix(3) {
                try await a.change { set throws(BulwarkError) in ((), try set.add(bank: "videos", signal: Signal(video: video), at: 10).1) }
            }
            try await a.change { set throws(BulwarkError) in ((), try set.remove(bank: "videos", signal: Signal(video: videos[1]), at: 20).1) }

            // From the log.
            let b = try await BankRegistry.shared(store: store)
            #expect(b.loaded?.replayedEvents == 5)
            #expect(b.banks.entries == a.banks.entries)
            #expect(matches(b, videos[0]) && !matches(b, videos[1]) && matches(b, videos[2]))

            // From a snapshot.
            #expect(try await a.snapshotIfDue(every: 1, now: 30) > 0)
            let c = try await BankRegistry.shared(store: store)
            #expect(c.loaded?.snapshotSequence == 5 && c.loaded?.replayedEvents == 0)
            #expect(c.banks.videoIndex.count == 16 && c.banks.videoIndex.pendingCount == 0)
            #expect(matches(c, videos[0]) && !matches(c, videos[1]) && matches(c, videos[2]))

            // Added through the third, reaching the first.
            try await c.change { set throws(BulwarkError) in ((), try set.add(bank: "videos", signal: Signal(video: videos[3]), at: 40).1) }
            #expect(!matches(a, videos[3]))
            _ = try await a.sync()
            #expect(matches(a, videos[3]))
            #expect(a.banks.entry(4)?.signal.value == videos[3].text)
        }
    }
}
