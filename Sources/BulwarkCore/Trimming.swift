extension StringProtocol {
    /// The text without the spaces, tabs and carriage returns at either end. Trimmed on the
    /// UTF-8 bytes (the three are single ASCII bytes, so the ends found are scalar boundaries):
    /// the bank file reader's first version rebuilt the string a Unicode scalar at a time, 41%
    /// of the samples of a million-row `bank import`.
    @inlinable
    public var trimmingSpaces: String {
        let bytes = utf8
        @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }
        var start = bytes.startIndex
        while start < bytes.endIndex, isSpace(bytes[start]) { start = bytes.index(after: start) }
        // Past the last byte that is not a space (the view need not go backwards).
        var end = start
        var i = start
        while i < bytes.endIndex {
            let c = bytes[i]
            i = bytes.index(after: i)
            if !isSpace(c) { end = i }
        }
        return String(self[start..<end])
    }
}
