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
}
