import BulwarkStore
import BulwarkTestSupport
import Synchronization
import Testing

@testable import BulwarkServer

/// Parts made on a thread of their own for a store that takes them one at a time.
@Suite struct PartHandoffTests {
    /// The making thread hands its parts on in order, stays one part ahead of the taker, and
    /// stops once the taker lets the parts go.
    @Test func theMakerStaysAPartAheadAndStopsOnceLetGo() async throws {
        let handedOn = Mutex(0)
        let ended = Mutex(false)
        var parts: BankSnapshotParts? = DedicatedThread.parts("test-parts", byteCount: 1_000, partBytes: 10) { emit in
            for i in 0..<100 {
                guard emit([UInt8](repeating: UInt8(i), count: 10)) else { break }
                handedOn.withLock { $0 += 1 }
            }
            ended.withLock { $0 = true }
        }
        #expect(parts?.partCount == 100)
        for i in 0..<3 {
            #expect(await parts?.next() == [UInt8](repeating: UInt8(i), count: 10))
        }
        // Three taken and one ready; the fifth waits for room.
        #expect(try await eventually { handedOn.withLock { $0 } == 4 })
        try await Task.sleep(for: .milliseconds(100))
        #expect(handedOn.withLock { $0 } == 4)
        #expect(!ended.withLock { $0 })
        parts = nil
        #expect(try await eventually { ended.withLock { $0 } }, "the maker stops once the parts are let go")
        #expect(handedOn.withLock { $0 } == 4)
    }

    /// Taken to the end: every part, then nil, and nil again.
    @Test func everyPartThenTheEnd() async throws {
        let parts = DedicatedThread.parts("test-parts", byteCount: 25, partBytes: 10) { emit in
            for part in [[UInt8](repeating: 1, count: 10), [UInt8](repeating: 2, count: 10), [3, 3, 3, 3, 3]] {
                guard emit(part) else { return }
            }
        }
        var taken: [[UInt8]] = []
        while let part = await parts.next() { taken.append(part) }
        #expect(taken.map(\.count) == [10, 10, 5])
        #expect(taken.map { $0[0] } == [1, 2, 3])
        #expect(await parts.next() == nil)
    }
}
