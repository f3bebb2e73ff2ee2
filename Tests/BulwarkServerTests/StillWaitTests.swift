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

/// The console's stills come from decoder processes, and waiting for one holds no thread the
/// server needs.
extension ConsoleEntityTests {
    /// Four stills whose decoder takes long (a stand-in decoder that reads its request and never
    /// answers, ended by the decoder time limit, 4 s), more than the server has threads: while
    /// they wait, another request is answered at once; and two decoders wait side by side.
    /// (Durations are the server's own, `Server-Timing`, where they can be: with the whole suite
    /// on two cores, answers reach the test late.)
    @Test func aSlowStillHoldsNoThreadTheServerNeeds() async throws {
        try await withServerStore(.sqlite, "console-still-wait") { store in try await slowStills(store) }
    }

    func slowStills(_ store: any ModerationStore) async throws {
        try await withSilentDecoder(store, timeout: 4, connections: 5) { _ in } run: { connections, _ in
            let (stills, healthz) = try await withThrowingTaskGroup(of: (Int, TestClient.Response, Duration).self) { group in
                for frame in 0..<4 {
                    group.addTask { (frame, try await connections[frame].still(frame), .zero) }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(500))
                    let sent = ContinuousClock.now
                    let response = try await connections[4].get("/healthz")
                    return (-1, response, ContinuousClock.now - sent)
                }
                var stills: [TestClient.Response] = []
                var healthz: (TestClient.Response, Duration)?
                for try await (frame, response, took) in group {
                    if frame < 0 { healthz = (response, took) } else { stills.append(response) }
                }
                return (stills, healthz)
            }
            let answered = try #require(healthz)
            let times = stills.map(Self.serverMilliseconds).sorted()
            let summary = "stills \(times) ms, healthz \(answered.1)"
            #expect(stills.count == 4 && stills.allSatisfy { $0.status == .ok } && answered.0.status == .ok, "\(summary)")
            // The other request, sent 0.5 s after the stills, does not wait for them. (Waiting
            // for the decoder on the request's own thread, as the console did, answered it only
            // with the first stills.)
            #expect(answered.1 < .seconds(2.5), "\(summary)")
            // Two decoder processes: two stills at a time, each ended by the 4 s limit, the other
            // two after them (8 s, less what their arrival was behind).
            #expect(times.count == 4 && times[0] >= 4000 && times[1] < 6000, "\(summary)")
            #expect(times.count == 4 && times[2] >= 6000 && times[3] >= 6000, "\(summary)")
        }
    }

    /// One decoder and at most one still waiting for it: a third still asked for meanwhile is
    /// refused at once (503, `Retry-After`), the two others are made one after the other, and
    /// once they are, a still is taken again.
    @Test func aStillPastTheOnesWaitingIsRefusedAtOnce() async throws {
        try await withServerStore(.sqlite, "console-still-bound") { store in
            try await withSilentDecoder(store, timeout: 1.5, connections: 3) { config in
                config.stillDecoders = 1
                config.maxStillsWaiting = 1
            } run: { connections, service in
                let finished = try await withThrowingTaskGroup(of: (Int, TestClient.Response).self) { group in
                    for frame in 0..<2 {
                        group.addTask { (frame, try await connections[frame].still(frame)) }
                    }
                    group.addTask {
                        // Sent once the two others are in hand (one made, one waiting): after a
                        // fixed 0.5 s, one of them reached the server after it in a CI run of the
                        // whole suite, and all three were made.
                        for _ in 0..<200 where service.stills.stillsInHand < 2 {
                            try await Task.sleep(for: .milliseconds(25))
                        }
                        return (2, try await connections[2].still(2))
                    }
                    var all: [(Int, TestClient.Response)] = []
                    for try await one in group { all.append(one) }
                    return all.sorted { $0.0 < $1.0 }.map(\.1)
                }
                let times = finished.map(Self.serverMilliseconds)
                let summary = "\(finished.map(\.status)), \(times) ms"
                #expect(finished.map(\.status) == [.ok, .ok, .serviceUnavailable], "\(summary)")
                #expect(finished[2].headers[.retryAfter] == "2")
                #expect(String(buffer: finished[2].body ?? ByteBuffer()).contains("2 still images are being made or waiting"))
                // Refused as it came, not after a wait (queued, it would take longer than both
                // stills: in CI the server's own time for it has been 1.5 s, with the whole suite
                // on two cores); the two others each ended by the 1.5 s limit, one after the other
                // (3 s, less what the second's arrival was behind).
                #expect(times[2] < max(times[0], times[1]), "\(summary)")
                #expect(min(times[0], times[1]) >= 1500 && max(times[0], times[1]) >= 2000, "\(summary)")
                // A still not shown is not kept: asked again, it goes to the decoder, and is taken.
                #expect(try await connections[2].still(2).status == .ok)
            }
        }
    }

    /// The service's own time for a response (`Server-Timing: app;dur=MS`); -1 without one.
    static func serverMilliseconds(_ response: TestClient.Response) -> Double {
        let field = response.headers[HTTPField.Name("Server-Timing")!] ?? ""
        return Double(field.split(separator: "=").last ?? "") ?? -1
    }

    /// A connection to the service of ``withSilentDecoder(_:timeout:connections:configure:run:)``:
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

    /// A service whose media decoder reads its request and never answers (ended by the decoder
    /// time limit, `timeout` seconds), with one image part: `run` is given `connections`
    /// connections, each of its own and each opened and used once already, so that requests sent
    /// on them side by side arrive together however busy the machine is.
    func withSilentDecoder(
        _ store: any ModerationStore, timeout: Double, connections: Int, configure: (inout ServerConfiguration) -> Void,
        run: @escaping @Sendable (_ connections: [StillConnection], _ service: BulwarkService) async throws -> Void
    ) async throws {
        try await Self.addUser(store, "rev", .reviewer)
        let key = try await Self.ingestKey(store)
        let dir = NSTemporaryDirectory() + "bulwark-still-wait-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let silent = dir + "/silent-decoder"
        try "#!/bin/sh\nexec /bin/sleep 60\n".write(toFile: silent, atomically: true, encoding: .utf8)
        #expect(chmod(silent, 0o755) == 0)
        var config = ServerConfiguration(port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20)
        config.mediaDecoder = MediaDecoderSettings(executable: silent, timeoutSeconds: timeout)
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
                guard done.count < connections else { return try await run(done, service) }
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
