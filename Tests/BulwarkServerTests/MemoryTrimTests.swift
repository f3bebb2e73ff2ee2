import Testing

@testable import BulwarkServer

@Suite struct MemoryTrimTests {
    /// glibc's `malloc_trim` is found and called: blocks freed below one still held are given
    /// back (malloc keeps them otherwise: it gives back on its own only what is freed at the top).
    @Test func freedBlocksAreGivenBack() {
        #expect(MemoryTrim.isAvailable)
        var blocks: [[UInt8]] = (0..<800).map { _ in [UInt8](repeating: 1, count: 64 << 10) }
        let pin = [UInt8](repeating: 2, count: 1 << 10)
        blocks.removeAll()
        #expect(MemoryTrim.giveBack(), "50 MB freed under a block still held")
        #expect(pin.count == 1 << 10 && blocks.isEmpty)
    }

    /// The server limits malloc's arenas to one per core, at least two, unless the environment
    /// sets `MALLOC_ARENA_MAX` (then glibc reads that itself and the server leaves it).
    @Test func arenasAreLimitedUnlessTheEnvironmentSaysOtherwise() {
        #expect(MemoryTrim.defaultArenas(cores: 1) == 2)
        #expect(MemoryTrim.defaultArenas(cores: 2) == 2)
        #expect(MemoryTrim.defaultArenas(cores: 16) == 16)
        #expect(MemoryTrim.limitArenas(cores: 4, environment: ["MALLOC_ARENA_MAX": "8"]) == nil)
        // glibc accepts the limit (mallopt returns 1).
        #expect(MemoryTrim.limitArenas(cores: 4, environment: ["PATH": "/usr/bin"]) == 4)
    }
}
