import BulwarkCore
import CTextKernels
import Testing

/// The language identifier's half-precision rows (Sources/CTextKernels/halves.c).
struct HalfRowsTests {
    /// IEEE half → float, written out here as the reference.
    static func float(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int(h >> 10 & 0x1F)
        let mantissa = Float(h & 0x3FF)
        if exponent == 0 { return sign * mantissa * 0x1p-24 }
        if exponent == 31 { return mantissa == 0 ? sign * .infinity : .nan }
        return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }

    @Test func everyFiniteHalfConvertsExactlyAndNothingElseDoes() {
        let finite = (0...UInt16.max).filter { $0 >> 10 & 0x1F != 31 }
        let floats = finite.map(Self.float)
        for convert in [bulwark_floats_to_halves, bulwark_floats_to_halves_portable] {
            var halves = [UInt16](repeating: 0, count: floats.count)
            #expect(convert(floats, &halves, floats.count) == floats.count)
            #expect(halves == finite)
            // Not exactly a half: too many mantissa bits, too large, too small, not finite.
            let inexact: [Float] = [-1.1, 70_000, 1e-8, .infinity, .nan, 1 + 0x1p-11, 0x1p-25]
            for value in inexact {
                let row: [Float] = [-1, 0.5, -0, value, 2]
                var out = [UInt16](repeating: 0, count: row.count)
                #expect(convert(row, &out, row.count) == 3, "\(value)")
            }
            // In the second block of eight (F16C converts eight at a time).
            var block = [Float](repeating: -2.5, count: 19)
            block[13] = 0.1
            var out = [UInt16](repeating: 0, count: block.count)
            #expect(convert(block, &out, block.count) == 13)
        }
    }

    @Test func rowSumsAreAProductThenASumPerFeatureInOrder() {
        var rng = SplitMix64(seed: 5)
        let classes = 41
        let rowCount = 300
        // Finite halves of every kind, subnormals and zeros of both signs included.
        var table = (0..<(rowCount * classes)).map { _ -> UInt16 in
            var h: UInt16
            repeat { h = UInt16(truncatingIfNeeded: rng.next()) } while h >> 10 & 0x1F == 31
            return h
        }
        table += [UInt16](repeating: 0, count: 8)
        let n = 57
        let keys = (0..<n).map { _ in UInt32(rng.next() % UInt64(rowCount)) }
        let weights = (0..<n).map { _ in Float(rng.next() % 1000) / 97 }
        var expected = [Float](repeating: 0, count: classes)
        for i in 0..<n {
            for k in 0..<classes {
                let product = weights[i] * Self.float(table[Int(keys[i]) * classes + k])
                expected[k] = expected[k] + product
            }
        }
        for add in [bulwark_add_half_rows, bulwark_add_half_rows_portable] {
            var acc = [Float](repeating: 0, count: 48)
            add(table, classes, keys, weights, n, &acc)
            #expect(acc.prefix(classes).map(\.bitPattern) == expected.map(\.bitPattern))
        }
    }
}
