import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
import Testing

/// The bank log's lines: every event reads back as it was written, whatever its strings hold;
/// a line written otherwise (keys in another order, spaces, fields this version does not know)
/// reads the same; a faulty one is refused with its field and offset.
struct BankEventLineTests {
    static let odd = "a \"quoted\" \\ back/slash\nnew line\t تسمية 😀 \u{1}"

    @Test func everyEventReadsBackAsWritten() throws {
        var rng = SplitMix64(seed: 5)
        let events: [BankEvent] = [
            .putBank(
                try Bank(
                    name: "known-1", kind: .allow, quarantined: true, pdqThreshold: 12, labels: ["category:recruitment"],
                    description: Self.odd, createdAt: -5)),
            .add(
                BankEntry(
                    id: 1, bank: "known-1", signal: Signal(pdq: rng.pdqHash()), labels: ["source:" + Self.odd],
                    source: Self.odd, provenance: "file.csv line 9", addedAt: 1_800_000_000)),
            .add(BankEntry(id: UInt64.max, bank: "b", signal: try Signal(.md5, String(repeating: "ab", count: 16)), addedAt: 0)),
            .add(BankEntry(id: 3, bank: "b", signal: try Signal(.sha256, String(repeating: "0f", count: 32)), addedAt: Int64.min)),
            .relabel(entryID: 2, labels: []),
            .relabel(entryID: 2, labels: ["a", "b"]),
            .remove(entryID: 7, at: Int64.max),
        ]
        for (i, event) in events.enumerated() {
            let line = BankEventLine.encode(event, sequence: UInt64(i + 1))
            #expect(!line.contains("\n"), "one line")
            let (sequence, read) = try BankEventLine.decode(line)
            #expect(sequence == UInt64(i + 1))
            #expect(read == event, "\(line)")
        }
    }

    @Test func aLineWrittenOtherwiseReadsTheSame() throws {
        let hash = String(repeating: "3c", count: 32)
        let written = BankEventLine.encode(
            .add(BankEntry(id: 4, bank: "b", signal: try Signal(.pdq, hash), labels: ["x"], source: "s", addedAt: 9)), sequence: 12)
        let other = #" { "at" : 9 , "later":{"v":[1,{"w":null}]}, "labels":["x"], "value":"\#(hash.uppercased())", "#
            + #""type":"pdq","bank":"b","id":4,"op":"add","seq":12,"source":"s","provenance":null } "#
        let a = try BankEventLine.decode(written)
        let b = try BankEventLine.decode(other)
        #expect(a.sequence == b.sequence)
        #expect(a.event == b.event)
    }

    @Test func aFaultyLineIsRefusedWithItsFieldAndOffset() throws {
        let cases: [(line: String, field: String?, offset: Int?, says: String)] = [
            (#"{"seq":3,"op":"remove","id":"7","at":1}"#, "id", 28, "expected an integer"),
            (#"{"seq":3,"op":"remove","id":7,"at":1.5}"#, "at", 35, "fraction"),
            (#"{"seq":-3,"op":"remove","id":7}"#, "seq", 7, "out of range"),
            (#"{"op":"remove","id":7}"#, "seq", nil, "no seq"),
            (#"{"seq":3,"id":7}"#, "op", nil, "no op"),
            (#"{"seq":3,"op":"remove"}"#, "id", nil, "has no id"),
            (#"{"seq":3,"op":"add","id":1,"bank":"b","type":"pdq","value":"xyz"}"#, "value", nil, "not hexadecimal"),
            (#"{"seq":3,"op":"rename","id":7}"#, "op", nil, "unknown op"),
            (#"{"seq":3,"op":"remove","id":7"#, "id", 29, "end of line"),
        ]
        for c in cases {
            do {
                _ = try BankEventLine.decode(c.line)
                Issue.record("\(c.line) was read")
            } catch {
                #expect(error.field == c.field, "\(c.line): \(error)")
                #expect(error.offset == c.offset, "\(c.line): \(error)")
                #expect(error.message.contains(c.says), "\(c.line): \(error.message)")
            }
        }
    }
}
