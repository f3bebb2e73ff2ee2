import BulwarkBanks
import BulwarkCore
import Testing

/// A signal is kept as its bits: its value, equality, order and PDQ hash are what its canonical
/// hex gives, for each type.
extension SignalType {
    /// The types of hex values (a vPDQ value is a list: VPDQTests).
    static let hexTypes = allCases.filter { $0.hexDigits != nil }
}

struct SignalTests {
    static func hex(_ rng: inout SplitMix64, digits: Int) -> String {
        String((0..<digits).map { _ in Array("0123456789abcdef")[Int(rng.next() % 16)] })
    }

    @Test func theValueIsTheCanonicalHex() throws {
        var rng = SplitMix64(seed: 3)
        for type in SignalType.hexTypes {
            for _ in 0..<200 {
                let digits = Self.hex(&rng, digits: type.hexDigits!)
                let signal = try Signal(type, " \t" + digits.uppercased() + " \r")
                #expect(signal.type == type)
                #expect(signal.value == digits)
                #expect(signal.description == "\(type.rawValue):\(digits)")
                #expect(try Signal(type, digits) == signal)
            }
            // Leading zeros, all digits zero, all f.
            for digits in [String(repeating: "0", count: type.hexDigits!), String(repeating: "f", count: type.hexDigits!)] {
                #expect(try Signal(type, digits).value == digits)
            }
        }
    }

    @Test func aValueOfTheWrongLengthOrNotHexIsRefused() {
        for type in SignalType.hexTypes {
            for digits in [type.hexDigits! - 1, type.hexDigits! + 1, 0, 96] {
                do {
                    _ = try Signal(type, String(repeating: "a", count: digits))
                    Issue.record("\(type) of \(digits) digits accepted")
                } catch {
                    #expect(error.field == "value")
                    #expect(error.message.contains("not \(digits)"), "\(error.message)")
                }
            }
            do {
                _ = try Signal(type, String(repeating: "a", count: type.hexDigits! - 1) + "g")
                Issue.record("\(type): a g accepted")
            } catch {
                #expect(error.message.contains("not hexadecimal"))
            }
        }
    }

    @Test func equalityAndOrderAreTheValues() throws {
        var rng = SplitMix64(seed: 4)
        var signals: [Signal] = []
        for _ in 0..<300 {
            let type = SignalType.hexTypes[Int(rng.next() % 3)]
            // Values sharing their first digits, so that later words decide the order too.
            let prefix = String(repeating: "7", count: Int(rng.next() % UInt64(type.hexDigits!)))
            let digits = prefix + Self.hex(&rng, digits: type.hexDigits! - prefix.count)
            signals.append(try Signal(type, digits))
        }
        let byText = signals.sorted { ($0.type.rawValue, $0.value) < ($1.type.rawValue, $1.value) }
        #expect(signals.sorted() == byText)
        // The same digits as two types are two signals.
        let digits = Self.hex(&rng, digits: 64)
        #expect(try Signal(.pdq, digits) != Signal(.sha256, digits))
        #expect(Set(try [Signal(.pdq, digits), Signal(.sha256, digits), Signal(.pdq, digits.uppercased())]).count == 2)
    }

    @Test func aPDQSignalIsItsHash() throws {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<100 {
            let hash = rng.pdqHash()
            let signal = Signal(pdq: hash)
            #expect(signal.value == hash.hex)
            #expect(signal.pdq == hash)
            #expect(try Signal(.pdq, hash.hex) == signal)
        }
        #expect(try Signal(.sha256, rng.pdqHash().hex).pdq == nil)
    }
}
