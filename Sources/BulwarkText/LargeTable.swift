#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An immutable table for the large, randomly read model tables (the language-id
/// automaton and log-probabilities, the classifier's weights): 2 MiB-aligned and, on Linux,
/// marked for transparent huge pages, so random reads across megabytes cost few TLB misses.
/// Filled once at creation; shared read-only by copies of the owning value.
final class LargeTable<Element: BitwiseCopyable>: @unchecked Sendable {
    /// Alignment of the storage (one huge page on x86-64 Linux).
    static var alignment: Int { 2 << 20 }

    let base: UnsafeMutablePointer<Element>
    let count: Int

    /// A table of `count` elements, filled by `fill` (which must initialise every one).
    init(count: Int, fill: (UnsafeMutableBufferPointer<Element>) -> Void) {
        let bytes = max(count, 1) * MemoryLayout<Element>.stride
        // Tables of a megabyte or more get whole huge pages; smaller ones plain alignment.
        let align = bytes >= 1 << 20 ? Self.alignment : 64
        let rounded = (bytes + align - 1) / align * align
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, align, rounded) == 0, let raw else {
            fatalError("out of memory allocating a \(rounded)-byte model table")
        }
        #if os(Linux)
            if align == Self.alignment {
                // A hint: where transparent huge pages are off it does nothing.
                _ = madvise(raw, rounded, MADV_HUGEPAGE)
            }
        #endif
        base = raw.bindMemory(to: Element.self, capacity: max(count, 1))
        self.count = count
        fill(UnsafeMutableBufferPointer(start: base, count: count))
    }

    deinit { free(base) }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }
}
