import BulwarkBanks
import BulwarkCore
import Testing

/// Faults in the parsers of bank files found with the fuzz targets in Fuzz/ (docs/fuzzing.md), each
/// reduced to the smallest file that shows it.
struct FuzzFindingsTests {
    /// FNV-1a 64, the checksum of both file formats, little-endian.
    static func checksum(_ bytes: [UInt8]) -> [UInt8] {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: h >> UInt64(8 * $0)) }
    }

    static func u64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * $0)) } }

    /// fuzz-pdq-index: a postings length of 2^63 or more was converted to Int before it was
    /// compared, a runtime trap ("Not enough bits to represent the passed value").
    @Test func aPostingsLengthBeyondIntIsAnError() throws {
        for postings: UInt64 in [.max, 1 << 63] {
            // 0 slots, 0 indexed, 0 live, the postings length, then a checksum.
            var bytes = Array("BWPDQX01".utf8) + Self.u64(0) + Self.u64(0) + Self.u64(0) + Self.u64(postings)
            bytes += Self.checksum(bytes)
            #expect(bytes.count == 48)
            do {
                _ = try PDQIndex(serialized: bytes)
                Issue.record("a postings length of \(postings) was accepted")
            } catch {
                #expect(error.code == .invalidData)
                #expect(error.offset == 32)
                #expect(error.message.contains("postings length \(postings)"))
            }
        }
    }

    /// fuzz-bank-snapshot: the fields were read up to the end of the data, so a snapshot whose PDQ
    /// index length lay in its checksum (here: no banks, no entries, nothing after the entry count)
    /// left the reader past the checksum's start and `UInt64(checksumAt - r.at)` trapped
    /// ("Negative value is not representable"). Reads now stop where the checksum starts.
    @Test func aSnapshotCutBeforeItsIndexIsAnError() throws {
        // Magic, sequence 0, 0 banks (u32), 0 entries (u64), then only the checksum.
        var bytes = Array("BWBANK01".utf8) + Self.u64(0) + [0, 0, 0, 0] + Self.u64(0)
        bytes += Self.checksum(bytes)
        #expect(bytes.count == 36)
        do {
            _ = try BankSet.load(snapshot: bytes)
            Issue.record("a snapshot without an index was accepted")
        } catch {
            #expect(error.code == .invalidData)
            #expect(error.offset == 28)
            #expect(error.message.contains("truncated"))
        }
        // The same with a real index after it still loads.
        let whole = BankSet().snapshot(sequence: 0)
        let (loaded, sequence) = try BankSet.load(snapshot: whole)
        #expect(sequence == 0 && loaded.entries.isEmpty)
    }

    /// fuzz-pdq-index, by its check against a brute-force scan: a posting changed to name another
    /// slot that is in range was accepted, so an entry dropped out of one bucket table and a hash
    /// within 31 bits of it that is near it in that table only was not found. The fuzzer's input
    /// (12 hashes, one changed posting) reduced by hand to 2 hashes.
    @Test func aPostingOutOfPlaceIsAnError() throws {
        let a = PDQHash(
            words: SIMD4(0x0123_4567_89AB_0001, 0x1357_9BDF_0246_8ACE, 0xFEDC_BA98_7654_3210, 0x0F1E_2D3C_4B5A_6978))
        let b = PDQHash(
            words: SIMD4(0x7654_3210_FEDC_0002, 0xECA8_6420_FDB9_7531, 0x0123_4567_89AB_CDEF, 0x8796_A5B4_C3D2_E1F0))
        var index = PDQIndex()
        index.insert(a, id: 1)
        index.insert(b, id: 2)
        index.rebuild()
        // b with 2 bits flipped in each substring but the first: 30 bits away, within 1 bit of b
        // in table 0 only.
        var query = b
        for k in 1..<PDQIndex.substrings { query = query.flipping(bit: 16 * k + 2).flipping(bit: 16 * k + 9) }
        #expect(query.distance(to: b) == 30)
        let good = index.serialized()
        #expect(try PDQIndex(serialized: good).search(query, radius: 31).map(\.id) == [2])

        // Table 0's postings are the first two of the 32 before the checksum; the one naming
        // slot 1 (b) is made to name slot 0 (a).
        var bytes = good
        let postingsAt = bytes.count - 8 - 4 * PDQIndex.substrings * 2
        let k = bytes[postingsAt] == 1 ? 0 : 1
        #expect(bytes[postingsAt + 4 * k] == 1)
        bytes[postingsAt + 4 * k] = 0
        bytes.replaceSubrange((bytes.count - 8)..., with: Self.checksum(Array(bytes.dropLast(8))))
        do {
            let loaded = try PDQIndex(serialized: bytes)
            Issue.record("accepted; the search finds \(loaded.search(query, radius: 31).map(\.id)), a scan [2]")
        } catch {
            #expect(error.code == .invalidData)
            #expect(error.offset == postingsAt + 4 * k)
        }
    }

    /// Found writing the bank-snapshot target's seeds with the library (its own snapshot of a valid
    /// set did not load): every entry was added before any was removed, so in a set where a signal
    /// was removed from a bank and added to it again the later entry "duplicates an active entry",
    /// and a bank directory ignored such a snapshot and replayed its whole log on every opening.
    @Test func aSignalRemovedAndAddedAgainSurvivesASnapshot() throws {
        var set = BankSet()
        _ = try set.create(Bank(name: "noisy", createdAt: 1))
        let pdq = Signal(pdq: PDQHash(words: SIMD4(1, 2, 3, 4)))
        let md5 = try Signal(.md5, String(repeating: "ab", count: 16))
        for signal in [pdq, md5] {
            _ = try set.add(bank: "noisy", signal: signal, at: 10)
            _ = try set.remove(bank: "noisy", signal: signal, at: 11)
            _ = try set.add(bank: "noisy", signal: signal, at: 12)
        }
        let (loaded, sequence) = try BankSet.load(snapshot: set.snapshot(sequence: 6))
        #expect(sequence == 6)
        #expect(loaded.entries == set.entries)
        #expect(loaded.activeEntries().map(\.id) == [2, 4])
        #expect(loaded.match(MediaHashes(pdq: pdq.pdq)).matches.map(\.entry.id) == [2])
        #expect(loaded.match(MediaHashes(md5: md5.value)).matches.map(\.entry.id) == [4])
    }

    /// Found reading `adoptIndex` while writing the bank-snapshot target's check that every active
    /// entry is matched by its own hash, and shown with that target on a hand-made file (the
    /// fuzzer itself did not get there): the saved index was compared with the active PDQ entries
    /// by count and by each live slot's id and hash, so an index listing one entry twice, in place
    /// of another, was adopted and the other entry was never matched.
    @Test func anIndexListingAnEntryTwiceIsRefused() throws {
        var set = BankSet()
        _ = try set.create(Bank(name: "block", createdAt: 1))
        // 256 bits apart: each matches only itself.
        let first = PDQHash.zero
        let second = PDQHash(words: SIMD4(repeating: .max))
        _ = try set.add(bank: "block", signal: Signal(pdq: first), at: 1)
        _ = try set.add(bank: "block", signal: Signal(pdq: second), at: 2)
        var bytes = set.snapshot(sequence: 2)
        #expect(try BankSet.load(snapshot: bytes).0.match(MediaHashes(pdq: second)).matches.map(\.entry.id) == [2])

        // In the index: slot 1 (entry 2) made a copy of slot 0 (entry 1), hash and id.
        let magic = Array("BWPDQX01".utf8)
        let at = try #require((0...(bytes.count - 8)).first { bytes[$0..<($0 + 8)].elementsEqual(magic) })
        let length = bytes[(at - 8)..<at].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(bytes[at + 8] == 2)  // slots
        let hashes = at + 40
        let ids = hashes + 32 * 2
        bytes.replaceSubrange((hashes + 32)..<(hashes + 64), with: Array(bytes[hashes..<(hashes + 32)]))
        bytes.replaceSubrange((ids + 8)..<(ids + 16), with: Array(bytes[ids..<(ids + 8)]))
        let indexEnd = at + length
        bytes.replaceSubrange((indexEnd - 8)..<indexEnd, with: Self.checksum(Array(bytes[at..<(indexEnd - 8)])))
        bytes.replaceSubrange((bytes.count - 8)..., with: Self.checksum(Array(bytes.dropLast(8))))
        do {
            let (loaded, _) = try BankSet.load(snapshot: bytes)
            Issue.record("adopted; entry 2 matches: \(loaded.match(MediaHashes(pdq: second)).matches.map(\.entry.id))")
        } catch {
            #expect(error.code == .invalidData)
            #expect(error.message.contains("does not hold exactly the active PDQ entries"))
        }
    }

    /// Found reading the snapshot loader, shown with fuzz-bank-snapshot on a hand-made 20 MB file
    /// (libFuzzer: out-of-memory, malloc of 2.24 GB): the entry count was only checked against the
    /// file's size in bytes and memory for that many entries, about 112 bytes each, was reserved
    /// before any was read. A count the rest of the file cannot hold at 48 bytes an entry is refused.
    @Test func anEntryCountTheFileCannotHoldIsRefusedFirst() throws {
        var entries = BankSet()
        _ = try entries.create(Bank(name: "b", createdAt: 1))
        _ = try entries.add(bank: "b", signal: Signal(.md5, String(repeating: "0", count: 32)), at: 1)
        let good = entries.snapshot(sequence: 1)
        #expect(try BankSet.load(snapshot: good).0.entries.count == 1)
        // The same file claiming one entry per byte that follows the count.
        // Magic, sequence, bank count, then bank "b": name, kind "block", quarantined, threshold,
        // no labels, empty description, creation time.
        let countAt = 8 + 8 + 4 + (4 + 1) + (4 + 5) + 1 + 4 + 4 + 4 + 8
        #expect(good[countAt] == 1)
        var bytes = good
        bytes.replaceSubrange(countAt..<(countAt + 8), with: Self.u64(UInt64(good.count - countAt)))
        bytes.replaceSubrange((bytes.count - 8)..., with: Self.checksum(Array(bytes.dropLast(8))))
        do {
            _ = try BankSet.load(snapshot: bytes)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidData)
            #expect(error.offset == countAt)
            #expect(error.message.contains("impossible entry count"))
        }
    }

    /// fuzz-signal-file, by its check that a record written back reads the same: labels were split
    /// at spaces, `;`, `|` and tabs as Characters, and a separator followed by a combining mark is
    /// one Character. `<md5>,8,\u{0326}` read as labels ["8", "\u{0326}"], was written back as
    /// `<md5>,8 \u{0326}`, and that line was refused (one label with a space in it).
    @Test func labelsAreSplitAtSeparatorsFollowedByCombiningMarks() throws {
        let md5 = "b519f17a0c0be8ae0471334aecb1757a"
        let reader = SignalFileReader(format: .hashLabels, type: .md5)
        let record = try #require(try reader.read("\(md5),8,\u{0326}", number: 1))
        #expect(record.labels == ["8", "\u{0326}"])
        let entry = BankEntry(id: 1, bank: "b", signal: record.signal, labels: record.labels, addedAt: 0)
        let line = SignalFileWriter(format: .hashLabels).line(entry)
        #expect(try reader.read(line.dropLast(), number: 2)?.labels == record.labels)
        let te = SignalFileReader(format: .threatexchange, type: .md5)
        let labels = try te.read("\(md5),1,2024-01-01,a \u{0301}b;\u{0301}c|\u{0301}d\t\u{0301}e", number: 2)?.labels
        #expect(Set(labels ?? []) == ["a", "\u{0301}b", "\u{0301}c", "\u{0301}d", "\u{0301}e"])
    }
}
