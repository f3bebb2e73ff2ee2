import BulwarkBanks
import BulwarkCore
import Testing

/// Inputs found by the fuzz targets in Fuzz/ (docs/fuzzing.md) that crashed the parsers of bank
/// files, reduced to the smallest file that shows the fault. Each must now be an `invalidData` error.
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
}
