/// The value of one hex digit (0-9, a-f, A-F), or nil: for PDQ hashes written in hex and the
/// `\u` escapes of JSON.
@inline(__always)
func hexDigitValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: b - 0x30
    case 0x41...0x46: b - 0x41 + 10
    case 0x61...0x66: b - 0x61 + 10
    default: nil
    }
}
