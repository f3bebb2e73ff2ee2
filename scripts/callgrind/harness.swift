// Callgrind harness: decode + scan + encode of a JSON Lines file, one thread, no Foundation.
import BulwarkCore
import BulwarkText
import Glibc

func readAll(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { fatalError("open \(path)") }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}
func lines(_ b: [UInt8]) -> [ArraySlice<UInt8>] {
    var r: [ArraySlice<UInt8>] = []; var s = 0
    for (i, x) in b.enumerated() where x == 0x0A { r.append(b[s..<i]); s = i + 1 }
    return r
}
let root = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] + "/" : "./"
let lexicon = try IndicatorLexicon(json: readAll(root + "data/lexicon/indicators.json"))
let cues = try ContextCues(json: readAll(root + "data/lexicon/contexts.json"))
let model = try ClassifierModel(serialized: readAll(root + "models/text-classifier.bwtc"))
let lid = try LanguageIdentifier(modelBytes: readAll(root + ".bulwark/models/langid.bin"))
let normalizer = TextNormalizer()
let decoder = TextItemDecoder()
var bank = KnownTextBank()
for l in lines(readAll(root + "data/known/texts.jsonl")) where !l.isEmpty {
    let item = try decoder.decode(l)
    bank.add(normalizer.normalize(item.text), entry: KnownTextBank.Entry(id: item.id, category: item.category, source: item.kind ?? "known"))
}
var links = LinkList()
for l in String(decoding: readAll(root + "data/known/links.txt"), as: UTF8.self).split(separator: "\n") {
    let t = l.trimmingCharacters(in: " \t\r")
    if t.isEmpty || t.hasPrefix("#") { continue }
    _ = links.add(String(t))
}
let engine = TextEngine(lexicon: lexicon, contextCues: cues, model: model, languageIdentifier: lid, knownTexts: bank, linkList: links)
let input = readAll(CommandLine.arguments[1])
let encoder = VerdictEncoder()
var scratch = EngineScratch()
var out: [UInt8] = []
var checksum: UInt64 = 0
for l in lines(input) {
    let v = engine.scan(try decoder.decode(l), scratch: &scratch)
    encoder.encode(v, into: &out)
    for b in out { checksum = (checksum ^ UInt64(b)) &* 0x100000001b3 }
    out.removeAll(keepingCapacity: true)
}
print("checksum \(checksum)")
extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return s
    }
}
