import BulwarkCore
import BulwarkMedia
import Testing

struct PDQHashTests {
    @Test func hexRoundTripsAndPutsBit255First() throws {
        let hex = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"
        let hash = try #require(PDQHash(hex: hex))
        #expect(hash.hex == hex)
        #expect(PDQHash(hex: hex.uppercased()) == hash)
        var one = PDQHash.zero
        one[bit: 0] = true
        #expect(one.hex == String(repeating: "0", count: 63) + "1")
        var top = PDQHash.zero
        top[bit: 255] = true
        #expect(top.hex == "8" + String(repeating: "0", count: 63))
        var mid = PDQHash.zero
        mid[bit: 17] = true
        #expect(mid.hex.suffix(5) == "20000")
    }

    @Test(arguments: ["", "00", String(repeating: "g", count: 64), String(repeating: "0", count: 65)])
    func malformedHexIsRejected(text: String) {
        #expect(PDQHash(hex: text) == nil)
    }

    @Test func distanceCountsDifferingBits() throws {
        let a = try #require(PDQHash(hex: "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"))
        let b = try #require(PDQHash(hex: "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"))
        // Rows of the shared CSV for the same photo: cpp-reference and python-reference.
        #expect(a.distance(to: b) == 4)
        #expect(a.distance(to: a) == 0)
        let ones = try #require(PDQHash(hex: String(repeating: "f", count: 64)))
        #expect(ones.popcount == 256 && ones.distance(to: .zero) == 256)
    }
}
