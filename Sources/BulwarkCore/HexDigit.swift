/// The value of one hex digit (0-9, a-f, A-F), or nil: for PDQ hashes written in hex and the
/// `\u` escapes of JSON.
@inlinable @inline(__always)
public func hexDigitValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: b - 0x30
    case 0x41...0x46: b - 0x41 + 10
    case 0x61...0x66: b - 0x61 + 10
    default: nil
    }
}

/// The value of up to 16 hex digits (either case), the first the most significant; nil when one
/// is not a hex digit. PDQ hashes, bank signals and content keys are read 16 digits a word
/// (inlinable: made for the caller's collection, not called through its protocol per digit).
@inlinable @inline(__always)
public func hexWord(_ digits: some Sequence<UInt8>) -> UInt64? {
    var value: UInt64 = 0
    for b in digits {
        guard let digit = hexDigitValue(b) else { return nil }
        value = value << 4 | UInt64(digit)
    }
    return value
}
