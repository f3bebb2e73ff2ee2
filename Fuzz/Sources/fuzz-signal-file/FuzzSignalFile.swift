internal import BulwarkBanks
internal import BulwarkCore
internal import FuzzDriver
internal import FuzzSupport

// SignalFileReader(format:type:).read(_:number:) on every line of the input. The first byte picks the
// format (ThreatExchange CSV, HMA, hash-labels) and the type given (none, pdq, md5, sha256, vpdq); the
// rest is the file. Every record read must be canonical (lowercase hex of its type's length, or a vPDQ
// hash's canonical text that reads back as itself; at most 64 labels, sorted, distinct, valid), and writing it back with SignalFileWriter then reading that line
// must give the same signal (and labels, where the format carries them).

let formats = SignalFileFormat.allCases
let types: [SignalType?] = [nil, .pdq, .md5, .sha256, .vpdq]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let format = formats[Int(data[0]) % formats.count]
    let type = types[(Int(data[0]) / formats.count) % types.count]
    let reader = SignalFileReader(format: format, type: type)
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        do {
            guard let record = try reader.read(line, number: i + 1) else { continue }
            check(record, format: format)
        } catch {
            guard error.line == i + 1 else {
                Fuzz.fail("error at line \(String(describing: error.line)), read line \(i + 1)")
            }
        }
    }
    return 0
}

func check(_ record: SignalRecord, format: SignalFileFormat) {
    let value = record.signal.value
    if let video = record.signal.video {
        guard value == video.text, (try? Signal(.vpdq, value)) == record.signal, (try? VPDQHash(value))?.text == value else {
            Fuzz.fail("vpdq value \"\(value)\" is not canonical")
        }
    } else {
        guard value.utf8.count == record.signal.type.hexDigits,
            value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { Fuzz.fail("value \"\(value)\" is not canonical \(record.signal.type)") }
    }
    guard record.labels.count <= SignalFileReader.maxLabels, record.labels == Array(Set(record.labels)).sorted(),
        (try? Label.canonical(record.labels)) == record.labels
    else { Fuzz.fail("labels \(record.labels) are not canonical") }
    let entry = BankEntry(id: 7, bank: "b", signal: record.signal, labels: record.labels, addedAt: 1_700_000_000)
    let line = SignalFileWriter(format: format).line(entry)
    do {
        let back = try SignalFileReader(format: format, type: record.signal.type).read(line.dropLast(), number: 2)
        guard let back, back.signal == record.signal, format == .hma || back.labels == record.labels else {
            Fuzz.fail("\(record) written as \"\(line)\" reads back as \(String(describing: back))")
        }
    } catch {
        Fuzz.fail("\(record) written as \"\(line)\" does not read back: \(error)")
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked(seeds)
    return 0
}

/// Small valid files of each format, made with SignalFileWriter, plus headers, comments and quoting.
func seeds() -> [(name: String, bytes: [UInt8])] {
    var rng = SplitMix(1)
    func hex(_ digits: Int) -> String {
        String((0..<digits).map { _ in Array("0123456789abcdef")[Int(rng.next() % 16)] })
    }
    /// A value of the type: hex digits, or a vPDQ hash of 1 to 3 frames.
    func value(_ type: SignalType) -> String {
        if let digits = type.hexDigits { return hex(digits) }
        let frames = 1 + Int(rng.next() % 3)
        return "[" + (0..<frames).map { "\"\(hex(64)),\(rng.next() % 101),\($0).5\"" }.joined(separator: ", ") + "]"
    }
    var out: [(String, [UInt8])] = []
    for (f, format) in formats.enumerated() {
        for (t, type) in types.enumerated() where type != nil {
            let type = type!
            let writer = SignalFileWriter(format: format)
            var text = writer.header
            for i in 0..<3 {
                let entry = BankEntry(
                    id: UInt64(i + 1), bank: "b", signal: try! Signal(type, value(type)),
                    labels: ["group:x", "n:\(i)"], addedAt: 1_700_000_000 + Int64(i) * 86_400)
                text += writer.line(entry)
            }
            out.append(("\(format.rawValue)-\(type.rawValue)", [UInt8(f + formats.count * t)] + Array(text.utf8)))
        }
    }
    let pdq = hex(64)
    let md5 = hex(32)
    let extra: [(String, UInt8, String)] = [
        ("te-header", 0 + 3, "indicator,descriptor_id,added_on,labels\n\(pdq),1,2021-05-01,\"a b\"\r\n# comment\n\n"),
        ("te-quoted", 0 + 3, "\"\(pdq)\",\"1\",,\"x \"\"y\"\" z\"\n"),
        ("hma-typed", 1, "pdq \(pdq)\nmd5 \(md5)\nHASH_SHA256 \(hex(64))\n\(md5)\n"),
        ("hash-labels-mixed", 2 + 3 * 2, "hash,labels\n\(md5),a;b|c,d e\n  \(md5.uppercased())  \n"),
        ("hma-vpdq", 1, "vpdq [\"\(pdq),100,0.0\", \"\(pdq.uppercased()),7,1.23e+02\"]\nvpdq []\n"),
    ]
    for (name, selector, text) in extra { out.append((name, [selector] + Array(text.utf8))) }
    return out
}

@_cdecl("fuzz_signal_file_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
