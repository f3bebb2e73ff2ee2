import BulwarkBanks
import BulwarkCore
import Testing

let pdqA = "f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95"
let md5A = "d41d8cd98f00b204e9800998ecf8427e"

struct SignalFileTests {
    @Test func threatExchangeRows() throws {
        let reader = SignalFileReader(format: .threatexchange, type: .pdq)
        let record = try #require(try reader.read("\(pdqA),1234567,2021-05-01,group:x category:propaganda", number: 1))
        #expect(record.signal == (try Signal(.pdq, pdqA)))
        #expect(record.labels == ["category:propaganda", "group:x"])
        #expect(record.note == "descriptor 1234567, added 2021-05-01")
        // Quoted labels field, CRLF line end.
        let quoted = try #require(try reader.read("\(pdqA),1,2021-05-01,\"a b\"\r", number: 2))
        #expect(quoted.labels == ["a", "b"])
        // A header on line 1 is skipped; blank lines and comments too.
        #expect(try reader.read("indicator,descriptor_id,added_on,labels", number: 1) == nil)
        #expect(try reader.read("   ", number: 3) == nil)
        #expect(try reader.read("# comment", number: 4) == nil)
    }

    @Test func hmaLines() throws {
        let reader = SignalFileReader(format: .hma)
        #expect(try reader.read("pdq \(pdqA)", number: 1)?.signal.type == .pdq)
        #expect(try reader.read("md5 \(md5A)", number: 2)?.signal.type == .md5)
        #expect(try reader.read(md5A, number: 3)?.signal.type == .md5)  // 32 digits: MD5
        expectBad(reader, pdqA, line: 4, "64 hex digits without a type")
        expectBad(reader, "video_tmk \(pdqA)", line: 5, "unknown type")
        let typed = SignalFileReader(format: .hma, type: .md5)
        expectBad(typed, "pdq \(pdqA)", line: 6, "type differs from --type")
    }

    @Test func hashLabelLists() throws {
        let reader = SignalFileReader(format: .hashLabels, type: .sha256)
        let sha = String(repeating: "ab", count: 32)
        #expect(try reader.read("hash,labels", number: 1) == nil)
        #expect(try reader.read("\(sha),group:x;group:y,category:threat", number: 2)?.labels == ["category:threat", "group:x", "group:y"])
        #expect(try reader.read("\(sha)", number: 3)?.labels == [])
        expectBad(reader, "\(sha.dropLast()),x", line: 4, "short value")
        expectBad(reader, "\(sha),\"unterminated", line: 5, "unterminated quote")
        expectBad(reader, "zz\(sha.dropFirst(2)),x", line: 6, "not hex")
        expectBad(reader, "\(sha)," + String(repeating: "x", count: SignalFileReader.maxLineBytes), line: 7, "line too long")
        expectBad(reader, "\(sha)," + (0...SignalFileReader.maxLabels).map { "l\($0)" }.joined(separator: " "), line: 8, "too many labels")
    }

    @Test func exportThenImportIsTheSameList() throws {
        var set = BankSet()
        _ = try set.create(Bank(name: "b"))
        var rng = SplitMix64(seed: 8)
        for i in 0..<50 {
            _ = try set.add(bank: "b", signal: Signal(pdq: rng.pdqHash()), labels: ["n:\(i % 3)", "k:v"], at: 1_700_000_000)
        }
        for format in SignalFileFormat.allCases {
            let writer = SignalFileWriter(format: format)
            var text = writer.header
            for entry in set.activeEntries(bank: "b") { text += writer.line(entry) }
            let reader = SignalFileReader(format: format, type: .pdq)
            var records: [SignalRecord] = []
            for (i, line) in text.split(separator: "\n").enumerated() {
                if let r = try reader.read(line, number: i + 1) { records.append(r) }
            }
            #expect(records.map(\.signal) == set.activeEntries(bank: "b").map(\.signal), "\(format)")
            if format != .hma {
                #expect(records.map(\.labels) == set.activeEntries(bank: "b").map(\.labels), "\(format)")
            }
            if format == .threatexchange { #expect(text.contains(",2023-11-14,")) }
        }
    }
}

func expectBad(
    _ reader: SignalFileReader, _ line: String, line number: Int, _ why: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        _ = try reader.read(line, number: number)
        Issue.record("\(why): accepted", sourceLocation: sourceLocation)
    } catch {
        #expect(error.line == number, "\(why): \(error)", sourceLocation: sourceLocation)
    }
}
