internal import BulwarkBankFiles
internal import BulwarkBanks
internal import BulwarkCore
internal import Foundation
internal import FuzzDriver
internal import FuzzSupport

// BankEventLine.decode(_:) on the input as one line of the bank log: the reader on the bytes
// (`JSONObjectReader`) that a process replaying the log, or a bank directory opening its file,
// reads every event with. A line it refuses has its error's offset within the line; a line it
// accepts is valid JSON (`JSONSyntax`, the check API bodies go through) and one Foundation reads,
// and its event, written again as a line and read back, is the same event.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // The log's lines are text: invalid UTF-8 is what a store would have repaired already.
    let line = String(decoding: bytes, as: UTF8.self)
    let read: (sequence: UInt64, event: BankEvent)
    do {
        read = try BankEventLine.decode(line)
    } catch {
        if let offset = error.offset, offset < 0 || offset > line.utf8.count {
            Fuzz.fail("offset \(offset) outside the line's \(line.utf8.count) bytes: \(error)")
        }
        guard !error.message.isEmpty else { Fuzz.fail("an error with no message") }
        return 0
    }
    if let syntax = JSONSyntax.firstError(in: Array(line.utf8), maxDepth: 10_000) {
        Fuzz.fail("accepted, but not valid JSON: \(syntax.description)")
    }
    do {
        _ = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
    } catch {
        if !"\(error)".contains("not representable") { Fuzz.fail("accepted, but Foundation refuses it: \(error)") }
    }
    let written = BankEventLine.encode(read.event, sequence: read.sequence)
    do {
        let again = try BankEventLine.decode(written)
        guard again.sequence == read.sequence, again.event == read.event else {
            Fuzz.fail("\(read.event) written as \(written) reads back as \(again.event)")
        }
    } catch {
        Fuzz.fail("\(read.event) written as \(written) is refused: \(error)")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked(seeds)
    return 0
}

/// One line of each event as the log writes them, and one written otherwise.
func seeds() -> [(name: String, bytes: [UInt8])] {
    var lines: [(String, String)] = []
    if let bank = try? Bank(name: "known", quarantined: true, pdqThreshold: 12, labels: ["category:recruitment"], createdAt: 5) {
        lines.append(("bank", BankEventLine.encode(.putBank(bank), sequence: 1)))
    }
    let pdq = Signal(pdq: PDQHash(1, 2, 3, 0xFFFF_FFFF_FFFF_FFFF))
    lines.append(
        ("add", BankEventLine.encode(
            .add(BankEntry(id: 2, bank: "known", signal: pdq, labels: ["source:own"], source: "tat", provenance: "list.csv line 9", addedAt: 7)),
            sequence: 2)))
    if let md5 = try? Signal(.md5, String(repeating: "ab", count: 16)) {
        lines.append(("md5", BankEventLine.encode(.add(BankEntry(id: 3, bank: "known", signal: md5, addedAt: 8)), sequence: 3)))
    }
    if let vpdq = try? Signal(.vpdq, "[\"\(String(repeating: "0f", count: 32)),100,0\",\"\(String(repeating: "a5", count: 32)),90,1.5\"]") {
        lines.append(("vpdq", BankEventLine.encode(.add(BankEntry(id: 4, bank: "known", signal: vpdq, addedAt: 8)), sequence: 4)))
    }
    lines.append(("relabel", BankEventLine.encode(.relabel(entryID: 2, labels: ["a", "b"]), sequence: 4)))
    lines.append(("remove", BankEventLine.encode(.remove(entryID: 2, at: 9), sequence: 5)))
    lines.append(("otherwise", #" { "at":1, "x":{"y":[null,1.5e3]}, "op":"remove", "id":2, "seq":6 } "#))
    return lines.map { ($0.0, Array($0.1.utf8)) }
}

@_cdecl("fuzz_bank_log_line_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
