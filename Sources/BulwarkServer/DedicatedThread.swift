import BulwarkCore
import BulwarkStore
import Foundation

/// Runs CPU-heavy work that takes seconds (a bank snapshot of a million entries, a large batch of
/// bank events applied to the set) on a thread of its own, so that it does not hold one of the
/// concurrency pool's threads (as many as cores: two on a small machine), which every request
/// handler and database callback needs. Short work (scanning one request's items) stays where it is.
enum DedicatedThread {
    /// `work`'s result, computed on a new thread named `name`.
    static func run<T: Sendable>(_ name: String, _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// `work`'s result or error, computed on a new thread named `name`.
    static func run<T: Sendable>(_ name: String, _ work: @escaping @Sendable () throws(BulwarkError) -> T) async throws(BulwarkError) -> T {
        let result: Result<T, BulwarkError> = await run(name) { () -> Result<T, BulwarkError> in
            do throws(BulwarkError) { return .success(try work()) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

extension DedicatedThread {
    /// Parts that `make` writes on a thread of its own (named `name`), handed to the store as it
    /// asks for them: the thread waits while a part is made and not yet taken, so that at most
    /// two are in memory besides the one `make` is writing, and it is told to stop (its `emit`
    /// returns false) once the store lets the parts go, having taken them or not.
    static func parts(
        _ name: String, byteCount: Int, partBytes: Int,
        _ make: @escaping @Sendable (_ emit: @escaping ([UInt8]) -> Bool) -> Void
    ) -> BankSnapshotParts {
        let handoff = PartHandoff(ahead: 1)
        let thread = Thread {
            make { handoff.put($0) }
            handoff.finish()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
        return BankSnapshotParts(
            byteCount: byteCount, partBytes: partBytes, next: { await handoff.next() }, stop: { handoff.close() })
    }
}

/// Parts made on one thread and taken, in order, by one async caller. The making thread waits
/// while `ahead` parts are made and not yet taken; once the taker has let go (``close()``), what
/// it makes is dropped.
final class PartHandoff: @unchecked Sendable {
    // Every field below is read and written with `condition` locked.
    private let condition = NSCondition()
    private var ready: [[UInt8]] = []
    private var finished = false
    private var closed = false
    private var waiting: CheckedContinuation<[UInt8]?, Never>?
    private let ahead: Int

    init(ahead: Int) { self.ahead = max(1, ahead) }

    /// The making thread hands a part on, after waiting for room; false once the taker has let go.
    func put(_ part: [UInt8]) -> Bool {
        condition.lock()
        while ready.count >= ahead && !closed { condition.wait() }
        guard !closed else {
            condition.unlock()
            return false
        }
        if let taker = waiting {
            waiting = nil
            condition.unlock()
            taker.resume(returning: part)
        } else {
            ready.append(part)
            condition.unlock()
        }
        return true
    }

    /// The making thread has made its last part.
    func finish() {
        condition.lock()
        finished = true
        let taker = waiting
        waiting = nil
        condition.unlock()
        taker?.resume(returning: nil)
    }

    /// The next part, once it is made; nil after the last, or once let go.
    func next() async -> [UInt8]? {
        await withCheckedContinuation { (taker: CheckedContinuation<[UInt8]?, Never>) in
            condition.lock()
            if !ready.isEmpty {
                let part = ready.removeFirst()
                condition.signal()
                condition.unlock()
                taker.resume(returning: part)
            } else if finished || closed {
                condition.unlock()
                taker.resume(returning: nil)
            } else {
                waiting = taker
                condition.unlock()
            }
        }
    }

    /// The taker lets go: parts waiting are dropped, and the making thread no longer waits.
    func close() {
        condition.lock()
        closed = true
        ready.removeAll()
        let taker = waiting
        waiting = nil
        condition.broadcast()
        condition.unlock()
        taker?.resume(returning: nil)
    }
}
