import Foundation
import Glibc

/// Gives the memory malloc keeps free for reuse back to the system: glibc's `malloc_trim(0)`,
/// looked up when first called (Swift's Glibc module does not declare it); nothing where there is
/// none. A bank change replaces the set's changed chunks and tables, blocks small enough for
/// malloc to keep when they are freed: 100 single-hash additions to a set of a million entries
/// left the process 50 MB larger (586 to 637 MB), and a trim gave back 39 MB of it.
enum MemoryTrim {
    private typealias Trim = @convention(c) (Int) -> Int32

    private static let trim: Trim? = {
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: Trim.self)
    }()

    /// Whether this process's C library has `malloc_trim`.
    static var isAvailable: Bool { trim != nil }

    /// Trims; returns whether any memory was given back.
    @discardableResult
    static func giveBack() -> Bool { (trim?(0) ?? 0) == 1 }

    private typealias Option = @convention(c) (Int32, Int32) -> Int32

    private static let option: Option? = {
        guard let symbol = dlsym(nil, "mallopt") else { return nil }
        return unsafeBitCast(symbol, to: Option.self)
    }()

    /// glibc's `M_ARENA_MAX`.
    private static let arenaMax: Int32 = -8

    /// The most malloc arenas a server process uses, unless `MALLOC_ARENA_MAX` says otherwise:
    /// one per core, at least 2. glibc makes up to eight per core, one for each thread that finds
    /// the others busy, and a freed block stays in its arena: with a million bank entries, an
    /// API import of 110,000 and the snapshot that followed took the process from 334 MB to a
    /// peak of 540 MB with glibc's default on 2 cores, and to 476 MB with two arenas, in the same
    /// time (docs/banks.md, "Fewer malloc arenas").
    static func defaultArenas(cores: Int) -> Int { max(2, cores) }

    /// Limits malloc's arenas to `count` (``defaultArenas(cores:)``) unless the environment sets
    /// `MALLOC_ARENA_MAX`; returns the limit set, nil when none was (set by the environment, or
    /// no glibc).
    @discardableResult
    static func limitArenas(cores: Int, environment: [String: String]) -> Int? {
        guard environment["MALLOC_ARENA_MAX"] == nil, let option else { return nil }
        let count = defaultArenas(cores: cores)
        return option(arenaMax, Int32(clamping: count)) == 1 ? count : nil
    }
}

/// Limits this process's malloc arenas (``MemoryTrim/limitArenas(cores:environment:)``): called by
/// `bulwark serve` as it starts. Returns the limit set (nil: none).
public func limitMallocArenas() -> Int? {
    MemoryTrim.limitArenas(
        cores: ProcessInfo.processInfo.activeProcessorCount, environment: ProcessInfo.processInfo.environment)
}
