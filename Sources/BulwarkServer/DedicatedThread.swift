import BulwarkCore
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
