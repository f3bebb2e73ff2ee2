internal import BulwarkCore
internal import Foundation
internal import FuzzDriver
internal import FuzzSupport

// JSONSyntax.firstError(in:) on the input, the check every API request body goes through. An
// error's offset is within the input and its line and column agree with the bytes before it; the
// same input gives the same answer with a limit of nesting far above its depth; a text it accepts
// Foundation reads too (Foundation takes a little more than the standard, never less, but for
// numbers beyond a Double's range), and what Foundation writes back from it is accepted again.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let error = JSONSyntax.firstError(in: bytes)
    guard let error else {
        accepted(bytes)
        return 0
    }
    guard error.offset >= 0 && error.offset <= size else { Fuzz.fail("offset \(error.offset) outside \(size) bytes") }
    let before = bytes[0..<error.offset]
    let newlines = before.filter { $0 == 0x0A }.count
    let lineStart = (before.lastIndex(of: 0x0A) ?? -1) + 1
    guard error.line == newlines + 1, error.column == error.offset - lineStart + 1 else {
        Fuzz.fail("line \(error.line), column \(error.column) for offset \(error.offset)")
    }
    guard !error.reason.isEmpty else { Fuzz.fail("an error with no reason") }
    // A deeper limit can only move a nesting error later, or find the text valid.
    if !error.reason.contains("nesting"), JSONSyntax.firstError(in: bytes, maxDepth: 10_000) != error {
        Fuzz.fail("\(error.description) changes with a deeper limit")
    }
    return 0
}

func accepted(_ bytes: UnsafeBufferPointer<UInt8>) {
    let data = Data(buffer: bytes)
    let object: Any
    do {
        object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
        // Foundation refuses numbers beyond a Double's range, which JSON allows (the API answers
        // them as a body it cannot decode).
        if "\(error)".contains("not representable") { return }
        Fuzz.fail("accepted, but Foundation refuses it: \(error)")
    }
    guard let written = try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]) else { return }
    if let again = JSONSyntax.firstError(in: Array(written), maxDepth: 10_000) {
        Fuzz.fail("Foundation wrote \(String(decoding: written, as: UTF8.self)), refused: \(again.description)")
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked(seeds)
    return 0
}

/// A few valid texts: an ingest body, numbers, escapes, other scripts, nesting.
func seeds() -> [(name: String, bytes: [UInt8])] {
    [
        ("ingest", #"{"items":[{"id":"a-1","text":"Hola, ¿qué tal?","author":{"id":"u7","name":"Ana"},"container":{"id":"r1","kind":"room","title":"x"},"reach":12000}]}"#),
        ("values", #"[0,-0.5,1e3,2E-2,true,false,null,"\u00e9\uD83D\uDE00\n\\\"\/",{"k":[[],{}]}]"#),
        ("scripts", "{\"text\":\"مرحبا بالعالم 😀 Grüße\",\"score\":0.125,\"tags\":[\"a\",\"b\"]}\n"),
        ("nested", "[[[[[[[[{\"a\":[1,[2,[3]]]}]]]]]]]]"),
        ("scalar", "  \"just a string\"  "),
    ].map { ($0.0, Array($0.1.utf8)) }
}

@_cdecl("fuzz_json_syntax_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
