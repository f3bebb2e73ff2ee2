/// SplitMix64: a small, fast, deterministic generator for benchmarks, simulations and test data
/// (the same seed gives the same sequence on every machine).
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniformly random PDQ hash.
    public mutating func pdqHash() -> PDQHash { PDQHash(next(), next(), next(), next()) }

    /// `hash` with exactly `bits` distinct bits flipped (at most 256).
    public mutating func flipping(_ hash: PDQHash, bits: Int) -> PDQHash {
        var positions = Array(0..<256)
        var out = hash
        for i in 0..<min(bits, 256) {
            positions.swapAt(i, i + Int(next() % UInt64(256 - i)))
            out = out.flipping(bit: positions[i])
        }
        return out
    }
}
