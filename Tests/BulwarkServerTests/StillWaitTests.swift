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
import Synchronization
import Testing

@testable import BulwarkServer

/// The console's stills come from decoder processes, and waiting for one holds no thread the
/// server needs.
extension ConsoleEntityTests {
    /// Four stills whose decoder never answers (a stand-in decoder that the test ends), more than
    /// the server has threads: while all four are in hand, another request is answered, and two
    /// decoder processes run side by side, the other two stills waiting for them. Once the test
    /// ends each decoder as it starts, all four are answered, each by a process of its own.
    /// (Nothing here is timed: with the whole suite on two cores, a request can reach the server
    /// seconds late.)
    @Test func aSlowStillHoldsNoThreadTheServerNeeds() async throws {
        try await withServerStore(.sqlite, "console-still-wait") { store in
            try await withSilentDecoder(store, connections: 5) { _ in } run: { connections, service, decoders in
                let stills = service.stills
                try await withThrowingTaskGroup(of: TestClient.Response.self) { group in
                    for frame in 0..<4 {
                        group.addTask { try await connections[frame].still(frame) }
                    }
                    _ = try await eventually(within: 60) { stills.stillsInHand >= 4 && decoders.started.count >= 2 }
                    #expect(stills.stillsInHand == 4 && decoders.started.count == 2, "\(decoders.started)")
                    // Waiting for the decoder on the request's own thread, as the console once
                    // did, left no thread for this until the first stills were answered.
                    let healthz = try await Self.answeredWhileHeld(decoders) { try await connections[4].get("/healthz") }
                    #expect(healthz.status == .ok)
                    #expect(stills.stillsInHand == 4 && decoders.started.count == 2, "\(decoders.started)")
                    decoders.startEnding()
                    var answered = 0
                    for try await still in group {
                        #expect(still.status == .ok)
                        answered += 1
                    }
                    #expect(answered == 4 && decoders.started.count == 4, "\(decoders.started)")
                }
            }
        }
    }

    /// One decoder and at most one still waiting for it: a third still asked for meanwhile is
    /// refused at once (503, `Retry-After`), the two others are made one after the other, and
    /// once they are, a still is taken again. The decoder never answers and the test ends each
    /// decoder process itself, only once the third still has its answer, so that answer cannot
    /// have waited for either of the others. (With the decoder's 1.5 s time limit ending them, a
    /// CI run of the whole suite on two cores got the third request to the server only after the
    /// first still had ended, and all three were made.)
    @Test func aStillPastTheOnesWaitingIsRefusedAtOnce() async throws {
        try await withServerStore(.sqlite, "console-still-bound") { store in
            try await withSilentDecoder(store, connections: 3) { config in
                config.stillDecoders = 1
                config.maxStillsWaiting = 1
            } run: { connections, service, decoders in
                let stills = service.stills
                let (held, refused) = try await withThrowingTaskGroup(of: (Int, TestClient.Response).self) { group in
                    for frame in 0..<2 {
                        group.addTask { (frame, try await connections[frame].still(frame)) }
                    }
                    // Sent once the two others are in hand (one being made, one waiting).
                    _ = try await eventually(within: 60) { stills.stillsInHand >= 2 && !decoders.started.isEmpty }
                    #expect(stills.stillsInHand == 2 && decoders.started.count == 1, "\(decoders.started)")
                    let refused = try await Self.answeredWhileHeld(decoders) { try await connections[2].still(2) }
                    // Both others are still in hand: the answer did not wait for them.
                    #expect(stills.stillsInHand == 2 && decoders.started.count == 1, "\(decoders.started)")
                    decoders.startEnding()
                    var held: [(Int, TestClient.Response)] = []
                    for try await one in group { held.append(one) }
                    return (held.sorted { $0.0 < $1.0 }.map(\.1), refused)
                }
                #expect(held.map(\.status) == [.ok, .ok] && refused.status == .serviceUnavailable, "\(held.map(\.status)), \(refused.status)")
                #expect(refused.headers[.retryAfter] == "2")
                #expect(String(buffer: refused.body ?? ByteBuffer()).contains("2 still images are being made or waiting"))
                // Ended by the test: neither still was shown (the part's bytes, not rendered), and
                // the second had a decoder process of its own, started after the first's ended.
                #expect(held.allSatisfy { $0.headers[.contentType] == "application/octet-stream" })
                #expect(decoders.started.count == 2 && stills.stillsInHand == 0, "\(decoders.started)")
                // A still not shown is not kept: asked again, it goes to the decoder, and is taken.
                #expect(try await connections[2].still(2).status == .ok)
                #expect(decoders.started.count == 3, "\(decoders.started)")
            }
        }
    }

    /// The answer to `request`, sent while the decoders are held. Should it wait for them, after
    /// 30 s the decoders are ended (from then on) so that it is answered at all, and the test
    /// fails.
    static func answeredWhileHeld(
        _ decoders: SilentDecoders, _ request: @escaping @Sendable () async throws -> TestClient.Response
    ) async throws -> TestClient.Response {
        let rescue = Task {
            try await Task.sleep(for: .seconds(30))
            Issue.record("the request waited for the held decoders")
            decoders.startEnding()
        }
        defer { rescue.cancel() }
        return try await request()
    }

    /// A connection to the service of ``withSilentDecoder(_:connections:configure:run:)``:
    /// a request for a frame of its one image part, signed in as a reviewer, and for any path.
    struct StillConnection: Sendable {
        let client: TestClient
        let mediaID: Int64
        let cookie: String

        func still(_ frame: Int) async throws -> TestClient.Response {
            try await client.execute(TestClient.Request("/console/media/\(mediaID)?frame=\(frame)", method: .get, headers: [.cookie: cookie]))
        }

        func get(_ uri: String) async throws -> TestClient.Response {
            try await client.execute(TestClient.Request(uri, method: .get))
        }
    }

    /// The decoder processes of ``withSilentDecoder(_:connections:configure:run:)``: each writes
    /// its process id to the file `file` as it starts.
    final class SilentDecoders: Sendable {
        let file: String
        private let ending = Mutex<Task<Void, Never>?>(nil)

        init(file: String) {
            self.file = file
        }

        /// The ids of the decoder processes started, in order (of whole lines only: one may be
        /// read as it is written).
        var started: [Int32] {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().compactMap { Int32($0) }
        }

        /// From now on, until ``stopEnding()``, ends each decoder process as it starts.
        func startEnding() {
            ending.withLock { task in
                if task == nil { task = Task { await self.endEach() } }
            }
        }

        func stopEnding() {
            ending.withLock { task in
                task?.cancel()
                task = nil
            }
        }

        /// Ends each decoder process as it starts (SIGKILL, once: an id reaped may be reused),
        /// until the task is cancelled. (The service's own `pids` waits while a decoder has a
        /// request in hand.)
        private func endEach() async {
            var ended: Set<Int32> = []
            while !Task.isCancelled {
                for pid in started where ended.insert(pid).inserted {
                    kill(pid, SIGKILL)
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// A service whose media decoder never answers (its time limit, 300 s, is not what ends it:
    /// the test ends it with ``SilentDecoders/startEnding()``, and so does this once `run` is
    /// over), with one image part: `run` is given
    /// `connections` connections, each of its own and each opened and used once already, so that
    /// requests sent on them side by side arrive together however busy the machine is.
    func withSilentDecoder(
        _ store: any ModerationStore, connections: Int, configure: (inout ServerConfiguration) -> Void,
        run: @escaping @Sendable (_ connections: [StillConnection], _ service: BulwarkService, _ decoders: SilentDecoders) async throws -> Void
    ) async throws {
        try await Self.addUser(store, "rev", .reviewer)
        let key = try await Self.ingestKey(store)
        let dir = NSTemporaryDirectory() + "bulwark-still-wait-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let silent = dir + "/silent-decoder"
        let decoders = SilentDecoders(file: dir + "/started")
        defer { decoders.stopEnding() }
        // The shell's process id is the sleep's too (exec).
        try "#!/bin/sh\necho $$ >> '\(decoders.file)'\nexec /bin/sleep 600\n".write(toFile: silent, atomically: true, encoding: .utf8)
        #expect(chmod(silent, 0o755) == 0)
        var config = ServerConfiguration(port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20)
        config.mediaDecoder = MediaDecoderSettings(executable: silent, timeoutSeconds: 300)
        configure(&config)
        let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config, clock: { Self.now })
        let image = try ServerFixtures.bytes("../shared/data/pdq/misc-images/wee.jpg")
        // No job worker: the part stays queued, and only the console asks for it.
        try await service.application(logger: Logger(label: "test"), background: false).test(.live) { client in
            let item = #"{"platform":"example","id":"img-1","text":"look","media":[{"data":"\#(Data(image).base64EncodedString())"}]}"#
            #expect(try await Self.ingest(client, key, item).status == .ok)
            let stored = try #require(try await store.item(platform: "example", externalID: "img-1"))
            let mediaID = try #require(try await store.mediaIDs(itemID: stored.id).first)
            let cookie = try await Self.signedIn(client, "rev").cookieHeader
            let port = try #require(client.port)
            @Sendable func opened(_ done: [StillConnection]) async throws {
                guard done.count < connections else {
                    // However `run` ends, the stills the decoders hold are answered then, so that
                    // the server can stop.
                    defer { decoders.startEnding() }
                    return try await run(done, service, decoders)
                }
                try await TestClient.withClient(host: "127.0.0.1", port: port) { own in
                    #expect(try await own.execute(TestClient.Request("/healthz", method: .get)).status == .ok)
                    try await opened(done + [StillConnection(client: own, mediaID: mediaID, cookie: cookie)])
                }
            }
            try await opened([])
        }
    }
}

extension ConsoleEntityTests {
    /// A still shown is kept: shown again it is not decoded again (the bytes given the second
    /// time would not decode), while another frame is; a still not shown is not kept. The kept
    /// stills hold at most 32 MiB and 256 stills, and the one shown longest ago goes first.
    @Test func aStillShownIsKeptAndTheOneShownLongestAgoGoesFirst() async throws {
        let stills = ConsoleStills(configuration: ServerConfiguration(port: 0))
        let video = try Self.video()
        let shown = try await stills.display(mediaID: 7, bytes: video, frame: 4)
        guard case .png(let png) = shown else {
            Issue.record("frame 4 of the video is not shown as a PNG: \(shown)")
            return
        }
        #expect(try ImageDecoder().decode(png).width == 320)
        #expect(try await stills.display(mediaID: 7, bytes: [1, 2, 3], frame: 4) == shown)
        guard case .notShown = try await stills.display(mediaID: 7, bytes: [1, 2, 3], frame: 6) else {
            Issue.record("frame 6 was not decoded")
            return
        }
        #expect(try await stills.display(mediaID: 7, bytes: video, frame: 6) != shown)

        var kept = KeptStills()
        let tenMiB = StillImage.Display.png([UInt8](repeating: 0, count: 10 << 20))
        let keys = (1...4).map { KeptStills.Key(mediaID: Int64($0), frame: 0) }
        for key in keys.prefix(3) { kept.keep(tenMiB, for: key) }
        #expect(kept.take(keys[0]) == tenMiB)
        // 40 MiB would pass the bound: the one shown longest ago (2) goes.
        kept.keep(tenMiB, for: keys[3])
        #expect(kept.take(keys[1]) == nil)
        #expect([keys[0], keys[2], keys[3]].allSatisfy { kept.take($0) == tenMiB })
        #expect(kept.bytes == 30 << 20 && kept.count == 3)
        // A still larger than the bound is not kept.
        kept.keep(.png([UInt8](repeating: 0, count: (32 << 20) + 1)), for: KeptStills.Key(mediaID: 9, frame: 0))
        #expect(kept.count == 3)
        // At most 256 stills.
        for n in 0..<300 { kept.keep(.asIs(.jpeg), for: KeptStills.Key(mediaID: 100 + Int64(n), frame: 0)) }
        #expect(kept.count == 256)
        #expect(kept.take(KeptStills.Key(mediaID: 399, frame: 0)) == .asIs(.jpeg))
        #expect(kept.take(KeptStills.Key(mediaID: 100, frame: 0)) == nil)
    }

    /// A still goes to the lane (decoder process or thread) with the fewest in hand; past the
    /// ones each lane makes, at most `maxWaiting` wait, and one made frees its place.
    @Test func aStillGoesToTheLeastBusyLaneOrIsRefusedPastTheOnesWaiting() {
        var lanes = StillLanes(lanes: 2, maxWaiting: 2)
        #expect([lanes.take(), lanes.take()] == [0, 1])
        #expect(lanes.waiting == 0 && lanes.total == 2)
        #expect([lanes.take(), lanes.take()] == [0, 1])
        #expect(lanes.waiting == 2)
        #expect(lanes.take() == nil)
        lanes.give(1)
        #expect(lanes.take() == 1)
        #expect(lanes.take() == nil && lanes.total == 4)
        lanes.give(0)
        lanes.give(0)
        // A lane with nothing in hand takes a still whatever waits elsewhere.
        #expect(lanes.counts == [0, 2] && lanes.waiting == 1)
        #expect(lanes.take() == 0 && lanes.take() == 0)
        #expect(lanes.take() == nil)
        // None waiting: one still per lane.
        var none = StillLanes(lanes: 1, maxWaiting: 0)
        #expect(none.take() == 0 && none.take() == nil)
    }
}
