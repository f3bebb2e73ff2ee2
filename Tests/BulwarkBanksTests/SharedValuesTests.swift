@testable import BulwarkBanks
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
        // A row's provenance: the file's name, shared, and its number.
        let files = entries.map { entry -> String? in
            if case .line(let file, _) = entry.storedProvenance { return file } else { return nil }
        }
        #expect(files.allSatisfy { $0 == "a-rows-file.csv" }, what)
        #expect(Set(files.map { Self.storage($0 ?? "") }).count == 1, what)
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

/// An entry's provenance reads back as given, whatever it is; an imported row's ("list.csv line
/// 12") is kept as the file's name, shared by the set, and the number.
struct ProvenanceTests {
    @Test func theProvenanceIsTheTextGiven() throws {
        let texts = [
            "", "list.csv line 12", "list.csv line 0", "list.csv line 007", "list.csv line 4294967295",
            "list.csv line 4294967296", "list.csv line 99999999999", "list.csv line ", "list.csv line 12 (note)",
            " line 5", "line 5", "a line 5", "a  line 5", "café.csv line 3", "cafe\u{301}.csv line 3", "bulwark bank add",
            "api import line 1", "x line -1", "x line 1.5", "一 line 2", "list.csv line 12\n",
        ]
        var rng = SplitMix64(seed: 6)
        var set = BankSet()
        _ = try set.create(Bank(name: "b"))
        for text in texts {
            let entry = BankEntry(id: 1, bank: "b", signal: Signal(pdq: rng.pdqHash()), provenance: text, addedAt: 1)
            #expect(Array(entry.provenance.utf8) == Array(text.utf8), "\(text)")
            var changed = entry
            changed.provenance = text + "!"
            #expect(changed.provenance == text + "!")
            let added = try set.add(bank: "b", signal: entry.signal, provenance: text, at: 1)
            guard case .added(let kept) = added.0 else { Issue.record("not added"); continue }
            #expect(Array(kept.provenance.utf8) == Array(text.utf8), "\(text)")
            #expect(Array(set.entries.last!.provenance.utf8) == Array(text.utf8), "\(text)")
        }
        // Through a snapshot, the same.
        let (loaded, _) = try BankSet.load(snapshot: set.snapshot(sequence: 1))
        #expect(loaded.entries == set.entries)
        #expect(loaded.entries.map { Array($0.provenance.utf8) } == texts.map { Array($0.utf8) })
    }

    @Test func anImportedRowsFileNameIsShared() throws {
        var set = BankSet()
        _ = try set.create(Bank(name: "b"))
        var rng = SplitMix64(seed: 7)
        let rows = (1...50).map { (signal: Signal(pdq: rng.pdqHash()), labels: [String](), provenance: "a-long-list-file-name.csv line \($0)") }
        _ = try set.add(bank: "b", rows, source: "test", at: 1)
        let entries = Array(set.entries)
        #expect(entries.map(\.provenance) == rows.map(\.provenance))
        #expect(entries.map(\.storedProvenance) == (1...50).map { .line(file: "a-long-list-file-name.csv", number: UInt32($0)) })
        let loaded = try BankSet.load(snapshot: set.snapshot(sequence: 1)).0
        #expect(loaded.entries == set.entries)
        // Texts that are not a row's stay text.
        for text in ["list.csv line 007", "list.csv line 4294967296", "line 5", "a line 5 (note)", "x line "] {
            #expect(BankEntry(id: 1, bank: "b", signal: rows[0].signal, provenance: text, addedAt: 1).storedProvenance == .text(text))
        }
    }
}
