import BulwarkBanks
import BulwarkCore
import Testing

/// Entries with the same labels, source or bank name hold one instance of each, however they
/// came (added, replayed, loaded from a snapshot); values whose bytes differ stay apart.
struct SharedValuesTests {
    static func storage(_ list: [String]) -> UnsafeRawPointer? {
        list.withUnsafeBufferPointer { $0.baseAddress.map { UnsafeRawPointer($0) } }
    }
    static func storage(_ s: String) -> UnsafeRawPointer? {
        s.utf8.withContiguousStorageIfAvailable { $0.baseAddress.map { UnsafeRawPointer($0) } } ?? nil
    }

    func filled() throws -> (BankSet, [BankEvent]) {
        var set = BankSet()
        var events = try set.create(Bank(name: "a-bank-with-a-long-name", createdAt: 1))
        var rng = SplitMix64(seed: 9)
        for i in 0..<200 {
            // A new list and new strings each time, as a file's rows give them.
            let labels = ["category:" + "dissemination", "collection:gifct-" + String(2026 + i % 2)]
            events += try set.add(
                bank: String("a-bank-with-a-long-name".utf8), signal: Signal(pdq: rng.pdqHash()), labels: labels,
                source: "threatexchange-" + "gifct", provenance: "a-rows-file.csv line \(i)", at: 1
            ).1
        }
        return (set, events)
    }

    func expectShared(_ set: BankSet, _ what: Comment) {
        let entries = Array(set.entries)
        #expect(entries.count == 200)
        let even = entries.filter { $0.labels.last == "collection:gifct-2026" }
        let odd = entries.filter { $0.labels.last == "collection:gifct-2027" }
        #expect(even.count == 100 && odd.count == 100)
        #expect(Set(even.map { Self.storage($0.labels) }).count == 1, what)
        #expect(Set(odd.map { Self.storage($0.labels) }).count == 1, what)
        #expect(Self.storage(even[0].labels) != Self.storage(odd[0].labels), what)
        // The label both lists have is one string.
        #expect(Self.storage(even[0].labels[0]) == Self.storage(odd[0].labels[0]), what)
        #expect(Set(entries.map { Self.storage($0.source) }).count == 1, what)
        #expect(Set(entries.map { Self.storage($0.bank) }).count == 1, what)
        #expect(Set(entries.map { Self.storage($0.provenance) }).count == 200, "each its own")
    }

    @Test func entriesShareTheirValuesHoweverTheyCame() throws {
        let (made, events) = try filled()
        expectShared(made, "added")
        var replayed = BankSet()
        try replayed.apply(contentsOf: events)
        expectShared(replayed, "replayed")
        let (loaded, _) = try BankSet.load(snapshot: made.snapshot(sequence: 1))
        expectShared(loaded, "loaded from a snapshot")
        #expect(loaded.entries == made.entries)
    }

    @Test func valuesWhoseBytesDifferStayApart() throws {
        var shared = SharedValues()
        // The same text to `==` (canonical equivalence), not the same bytes.
        let composed = "caf\u{E9}-label-of-length", decomposed = "cafe\u{301}-label-of-length"
        #expect(composed == decomposed)
        #expect(Array(shared.string(composed).utf8) == Array(composed.utf8))
        #expect(Array(shared.string(decomposed).utf8) == Array(decomposed.utf8))
        #expect(shared.list([decomposed]).map { Array($0.utf8) } == [Array(decomposed.utf8)])
        #expect(shared.list([composed]).map { Array($0.utf8) } == [Array(composed.utf8)])
        #expect(shared.list([]) == [])
    }

    @Test func pastTheLimitValuesAreHeldAsGiven() {
        var shared = SharedValues()
        for i in 0..<SharedValues.limit { _ = shared.list(["label-number-\(i)-of-many"]) }
        let first = shared.list(["label-number-0-of-many"])
        #expect(Self.storage(shared.list(["label-number-0-of-many"])) == Self.storage(first), "kept ones still shared")
        let past = ["label-number-past-the-limit"]
        let given = shared.list(past)
        #expect(given == past)
        #expect(Self.storage(shared.list(["label-number-past-the-limit"])) != Self.storage(given), "not kept")
    }
}
