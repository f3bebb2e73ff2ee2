/// Small, fast, deterministic hashes for features and signatures (not for security).
enum Hashing {
    static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    @inline(__always)
    static func fnv1a<C: Collection<UInt8>>(_ bytes: C, seed: UInt64 = fnvOffset) -> UInt64 {
        var h = seed
        for b in bytes {
            h ^= UInt64(b)
            h = h &* fnvPrime
        }
        return h
    }

    @inline(__always)
    static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, seed: UInt64 = fnvOffset) -> UInt64 {
        var h = seed
        for i in range {
            h ^= UInt64(bytes[i])
            h = h &* fnvPrime
        }
        return h
    }

    /// A strong 64-bit finaliser (splitmix64).
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
