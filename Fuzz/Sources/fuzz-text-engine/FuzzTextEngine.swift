internal import BulwarkCore
internal import BulwarkText
internal import Foundation
internal import FuzzDriver
internal import FuzzEngines
internal import FuzzSupport

// The text engine as `bulwark scan` runs it (the repository's lexicon, context cues, classifier,
// language identifier, known texts and link list), on what users write. The first byte picks the
// mode; the rest is:
//   0: JSON Lines. Each line is decoded (an error must name an offset within the line); the items
//      are scanned as one batch, and each again alone with a fresh scratch space: the verdicts
//      must be equal.
//   1: one text, of the item type the first byte picks, scanned; then another text, then the
//      first again with the same scratch space: the same verdict (nothing carries over).
//   2: two texts (the rest cut in two), scanned in turn and in the other order with one scratch
//      space: each gets the same verdict either way.
// Every verdict: a score in 0...1, category scores in 0...1 in descending order, a language,
// evidence spans inside the item's text (scalar offsets, start <= end), and a JSON line that
// parses back with the same id, decision and score.

let engine = FuzzEngines.loadTextEngine(target: "text-engine")
let decoder = FuzzEngines.decoder
let types: [ItemType?] = [nil] + ItemType.allCases

func read(_ relative: String) -> [UInt8] { FuzzEngines.read(relative, target: "text-engine") }
func check(_ verdict: Verdict, of item: TextItem) { FuzzEngines.check(verdict, of: item) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let mode = Int(data[0]) % 3
    let rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
    var scratch = EngineScratch()
    switch mode {
    case 0:
        var items: [TextItem] = []
        for line in rest.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            do {
                items.append(try decoder.decode(line))
            } catch {
                if let offset = error.offset, !(0...line.count).contains(offset) {
                    Fuzz.fail("error offset \(offset) outside a line of \(line.count) bytes: \(error)")
                }
            }
        }
        let verdicts = engine.scan(batch: items, scratch: &scratch)
        for (item, verdict) in zip(items, verdicts) {
            check(verdict, of: item)
            guard engine.scan(item) == verdict else { Fuzz.fail("item \(item.id): the batch's verdict differs from its own") }
        }
    case 1:
        let type = types[(Int(data[0]) / 3) % types.count]
        let item = TextItem(id: "a", text: String(decoding: rest, as: UTF8.self), type: type)
        let first = engine.scan(item, scratch: &scratch)
        check(first, of: item)
        let other = TextItem(id: "b", text: "Join the brothers of the caliphate, victory is near \u{1F3F4} hxxp://example[.]com")
        check(engine.scan(other, scratch: &scratch), of: other)
        guard engine.scan(item, scratch: &scratch) == first else { Fuzz.fail("the verdict changed after another item") }
    default:
        let half = rest.count / 2
        let a = TextItem(id: "a", text: String(decoding: UnsafeBufferPointer(rebasing: rest[..<half]), as: UTF8.self))
        let b = TextItem(id: "b", text: String(decoding: UnsafeBufferPointer(rebasing: rest[half...]), as: UTF8.self))
        let va = engine.scan(a, scratch: &scratch)
        let vb = engine.scan(b, scratch: &scratch)
        check(va, of: a)
        check(vb, of: b)
        guard engine.scan(b, scratch: &scratch) == vb, engine.scan(a, scratch: &scratch) == va else {
            Fuzz.fail("a verdict depends on the item scanned before it")
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked(seeds)
    _ = engine  // loaded before the first input, not inside its time
    return 0
}

/// The sample input (all of it as JSON Lines; each text alone as a raw text), and obfuscated,
/// mixed-script, defanged, quoted and control-character texts.
func seeds() -> [(name: String, bytes: [UInt8])] {
    var out: [(String, [UInt8])] = [("sample.jsonl", [0] + read("examples/sample.jsonl"))]
    for (i, text) in FuzzEngines.sampleTexts(target: "text-engine").enumerated() {
        out.append(("sample-\(i)", [UInt8(1 + 3 * (i % 6))] + Array(text.utf8)))
    }
    let texts = [
        "I.S.I.S d a w l a daaaawla 1s1s \u{200B}\u{202E}الدولة الإسلامية\u{202C}",
        "ٱلدَّوْلَة ـــ الاسلاميه ١٢٣ ۴۵۶ ی ک",
        "Аллах ΑΒΓ «quoted slogan» \"Supporters of the Islamic State\" hxxps://t[.]me/x",
        "\u{0}\u{1}\u{7F}\u{FEFF}e\u{301}\u{1F3F4}\u{E0067}\u{E007F} ＦＵＬＬ ｗｉｄｔｈ",
        #"{"id":"x","text":"a\ud800b","type":"title","urls":["http://a.b/c"],"extra":{"n":[1,2,{"k":null}]}}"#,
    ]
    for (i, text) in texts.enumerated() {
        out.append(("text-\(i)", [UInt8(1 + 3 * (i % 6))] + Array(text.utf8)))
        out.append(("pair-\(i)", [2] + Array((text + text.reversed()).utf8)))
        if text.hasPrefix("{") { out.append(("line-\(i)", [0] + Array(text.utf8))) }
    }
    return out
}

@_cdecl("fuzz_text_engine_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
