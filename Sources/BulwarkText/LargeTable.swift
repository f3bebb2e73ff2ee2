#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An immutable, cache-line-aligned table for the large model tables the language identifier
/// reads at random (its words and its packed automaton). Filled once at creation; shared
/// read-only by copies of the owning value.
final class LargeTable<Element: BitwiseCopyable>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    /// A table of `count` elements, filled by `fill` (which must initialise every one).
    init(count: Int, fill: (UnsafeMutableBufferPointer<Element>) -> Void) {
        let bytes = max(count, 1) * MemoryLayout<Element>.stride
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("out of memory allocating a \(bytes)-byte model table")
        }
        base = raw.bindMemory(to: Element.self, capacity: max(count, 1))
        self.count = count
        fill(UnsafeMutableBufferPointer(start: base, count: count))
    }

    deinit { free(base) }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }
}
