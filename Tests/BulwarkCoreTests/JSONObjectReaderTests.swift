import BulwarkCore
import Testing

/// `JSONObjectReader`: an object's fields read one at a time as the caller expects them, any
/// other value skipped, and each fault said with its field and byte offset.
struct JSONObjectReaderTests {
    /// Every key and what the reader made of its value, or the error.
    func read(_ json: String, _ body: (inout JSONObjectReader, String) throws(BulwarkError) -> String) -> Result<[String], BulwarkError> {
        let bytes: [UInt8] = Array(json.utf8)
        return bytes.withUnsafeBufferPointer { (buffer) -> Result<[String], BulwarkError> in
            var reader = JSONObjectReader(buffer)
            var out: [String] = []
            do throws(BulwarkError) {
                while let key = try reader.nextKey() { out.append("\(key)=\(try body(&reader, key))") }
                return .success(out)
            } catch {
                return .failure(error)
            }
        }
    }

    func value(_ r: inout JSONObjectReader, _ key: String) throws(BulwarkError) -> String {
        switch key.first {
        case "s": return try r.optionalString() ?? "nil"
        case "i": return try r.optionalInteger().map { "\($0)" } ?? "nil"
        case "u": return try r.optionalUnsignedInteger().map { "\($0)" } ?? "nil"
        case "b": return try r.optionalBool().map { "\($0)" } ?? "nil"
        case "a": return try r.optionalStringArray().map { $0.joined(separator: "|") } ?? "nil"
        default:
            try r.skipValue()
            return "skipped"
        }
    }

    @Test func readsEachFieldAsAskedAndSkipsTheRest() throws {
        let json = #" { "s1" : "a\"b\\c\/\n\u00e9\ud83d\ude00", "i1":-9223372036854775808, "u1": 18446744073709551615, "#
            + #""x":{"n":[1,2,{"t":true}],"f":-1.5e3}, "b1":true, "b2":false, "a1":["x","\u0627"], "s2":null, "#
            + #""a2":[], "i2":0, "y":"ignored" } "#
        let fields = try read(json, value).get()
        #expect(
            fields == [
                "s1=a\"b\\c/\né😀", "i1=-9223372036854775808", "u1=18446744073709551615", "x=skipped", "b1=true",
                "b2=false", "a1=x|ا", "s2=nil", "a2=", "i2=0", "y=skipped",
            ])
        #expect(try read("{}", value).get() == [])
        #expect(try read(" {\n}\n", value).get() == [])
    }

    func failure(_ json: String) -> BulwarkError? {
        if case .failure(let error) = read(json, value) { return error }
        return nil
    }

    @Test func eachFaultIsSaidWithItsFieldAndOffset() throws {
        let cases: [(json: String, field: String?, offset: Int, says: String)] = [
            (#"{"i":1.5}"#, "i", 5, "fraction or an exponent"),
            (#"{"i":2e3}"#, "i", 5, "fraction or an exponent"),
            (#"{"i":9223372036854775808}"#, "i", 5, "out of range"),
            (#"{"i":-9223372036854775809}"#, "i", 5, "out of range"),
            (#"{"u":-1}"#, "u", 5, "out of range"),
            (#"{"u":18446744073709551616}"#, "u", 5, "out of range"),
            (#"{"u":"7"}"#, "u", 5, "expected an integer"),
            (#"{"i":01}"#, "i", 6, ""),
            (#"{"s":7}"#, "s", 5, "expected a string"),
            (#"{"b":1}"#, "b", 5, "expected true or false"),
            (#"{"a":["x",1]}"#, "a", 10, "expected a string"),
            (#"{"s":"\q"}"#, "s", 7, "invalid escape"),
            ("{\"s\":\"a\u{1}\"}", "s", 7, "control character"),
            (#"{"s":"x" "t":1}"#, "s", 9, "expected ',' or '}'"),
            (#"{"s" "x"}"#, "s", 5, "':' after a key"),
            (#"{"s":"x""#, "s", 8, "found end of line"),
            (#"{"s":"x"} {}"#, nil, 10, "unexpected bytes after the object"),
            (#"["s"]"#, nil, 0, "'{' at the start"),
        ]
        for c in cases {
            let error = try #require(failure(c.json), "\(c.json) was read")
            #expect(error.field == c.field, "\(c.json): \(error)")
            #expect(error.offset == c.offset, "\(c.json): \(error)")
            #expect(error.message.contains(c.says), "\(c.json): \(error.message)")
        }
    }
}
