import Foundation
import Synchronization
import Testing

@testable import BulwarkServer

/// With `--model full`, the server's encoder threads embed the routed items of concurrent
/// requests together. These tests give the queue a stand-in for the encoder that records the
/// groups it is asked to embed; `ServeFullModelTests` runs the real encoder behind it.
struct EncoderQueueTests {
    /// A stand-in embedding: the text's number and the size of the group it was embedded in.
    static func embedding(_ text: String, group: Int) -> [Float] { [Float(Int(text) ?? -1), Float(group)] }

    /// Waits (up to 10 s) until `condition` holds.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1_000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func textsQueuedWhileTheThreadIsBusyAreEmbeddedTogetherAcrossRequests() async throws {
        let groups = Mutex<[[String]]>([])
        let gate = DispatchSemaphore(value: 0)
        let queue = EncoderQueue(threads: 1, maxItems: 16, maxBytes: 8_192) {
            var first = true
            return { texts in
                // The first group waits for the test, so the others queue up behind it.
                if first { gate.wait() }
                first = false
                groups.withLock { $0.append(texts) }
                return texts.map { Self.embedding($0, group: texts.count) }
            }
        }
        async let busy = queue.embed(["0"])
        #expect(await Self.eventually { queue.threadCount == 1 && queue.waitingItems == 0 })
        // 20 requests of one item each while the thread is busy.
        try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { tasks in
            for i in 1...20 {
                tasks.addTask { (i, await queue.embed([String(i)])) }
            }
            #expect(await Self.eventually { queue.waitingItems == 20 }, "every request queued")
            gate.signal()
            var answered = 0
            for try await (i, result) in tasks {
                // Each request gets its own text's embedding, whichever group it was in.
                #expect(result.count == 1 && result[0][0] == Float(i))
                answered += 1
            }
            #expect(answered == 20)
        }
        #expect(await busy == [Self.embedding("0", group: 1)])
        // One thread only; the 20 queued texts in two groups, in the order they were queued
        // within each request (any order across requests).
        #expect(queue.threadCount == 1)
        let sizes = groups.withLock { $0.map(\.count) }
        #expect(sizes == [1, 16, 4], "\(sizes)")
    }

    @Test func aRequestsTextsKeepTheirOrderAndGroupsRespectTheByteLimit() async {
        let groups = Mutex<[[String]]>([])
        // Texts of 2–3 bytes and a 7-byte group limit: at most three texts to a group (2+2+3),
        // and a text longer than the limit goes alone.
        let queue = EncoderQueue(threads: 1, maxItems: 16, maxBytes: 7) {
            { texts in
                groups.withLock { $0.append(texts) }
                return texts.map { Self.embedding($0, group: texts.count) }
            }
        }
        let texts = (10..<20).map(String.init) + ["12345678"] + ["20"]
        let result = await queue.embed(texts)
        #expect(result.map { Int($0[0]) } == texts.map { Int($0)! }, "in the request's order")
        let recorded = groups.withLock { $0 }
        #expect(recorded.flatMap { $0 } == texts, "each text embedded once, in order")
        for group in recorded {
            let bytes = group.reduce(0) { $0 + $1.utf8.count }
            #expect(group.count == 1 || bytes <= 7, "\(group)")
        }
        #expect(recorded.contains(["12345678"]), "the long text alone: \(recorded)")
        #expect(recorded.count == 6, "\(recorded)")  // 10-11-12 13-14-15 16-17-18 19 | long | 20
    }

    @Test func manyConcurrentRequestsAllGetTheirOwnEmbeddingsFromAtMostTheThreadLimit() async throws {
        let embedded = Atomic<Int>(0)
        let queue = EncoderQueue(threads: 3, maxItems: 16, maxBytes: 8_192) {
            { texts in
                embedded.add(texts.count, ordering: .relaxed)
                return texts.map { Self.embedding($0, group: texts.count) }
            }
        }
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            for r in 0..<200 {
                tasks.addTask {
                    let texts = (0..<(r % 7 + 1)).map { String(r * 100 + $0) }
                    let result = await queue.embed(texts)
                    return result.map { Int($0[0]) } == texts.map { Int($0)! } && result.allSatisfy { $0[1] >= 1 }
                }
            }
            for try await right in tasks { #expect(right) }
        }
        let expected = (0..<200).reduce(0) { $0 + $1 % 7 + 1 }
        #expect(embedded.load(ordering: .relaxed) == expected)
        #expect(queue.threadCount >= 1 && queue.threadCount <= 3)
        #expect(queue.waitingItems == 0)
        #expect(await queue.embed([]) == [])
    }
}
