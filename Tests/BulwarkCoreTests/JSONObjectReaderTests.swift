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

/// Nested objects and arrays, and numbers, read in place (``JSONObjectReader/object(_:)``,
/// ``JSONObjectReader/array(_:)``, ``JSONObjectReader/number()``), with offsets from the start of
/// the outermost object.
struct JSONObjectReaderNestingTests {
    /// A flat rendering of what was read, or the error.
    func walk(_ json: String, maxDepth: Int = 8) -> Result<String, BulwarkError> {
        let bytes = Array(json.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> Result<String, BulwarkError> in
            var reader = JSONObjectReader(buffer, maxDepth: maxDepth)
            var out = ""
            func value(_ r: inout JSONObjectReader) throws(BulwarkError) {
                switch r.nextValueByte {
                case UInt8(ascii: "{"):
                    out += "{"
                    try r.object { key, r throws(BulwarkError) in
                        out += key + ":"
                        try value(&r)
                        out += ";"
                    }
                    out += "}"
                case UInt8(ascii: "["):
                    out += "["
                    try r.array { r throws(BulwarkError) in
                        try value(&r)
                        out += ","
                    }
                    out += "]"
                case _ where r.valueIsNumber():
                    let n = try r.number()
                    out += n.integer.map { "i\($0)" } ?? "d\(n.double)"
                default:
                    try r.skipValue()
                    out += "_"
                }
            }
            do throws(BulwarkError) {
                while let key = try reader.nextKey() {
                    out += key + "="
                    try value(&reader)
                    out += " "
                }
                return .success(out)
            } catch {
                return .failure(error)
            }
        }
    }

    @Test func nestedValuesAreReadInPlace() throws {
        let json = #"{"a": {"x": 1, "y": [2, 2.5, -0, 1e2, {"z": 9223372036854775807}], "e": {}}, "b": [], "c": "s", "#
            + #""d": [[1], []], "n": -9223372036854775809, "last": 3 }"#
        #expect(
            try walk(json).get()
                == "a={x:i1;y:[i2,d2.5,i0,d100.0,{z:i9223372036854775807;},];e:{};} b=[] c=_ d=[[i1,],[],] "
                + "n=d-9.223372036854776e+18 last=i3 ")
    }

    @Test func nestedFaultsAreSaidWhereTheyAre() {
        let cases: [(String, Int, String)] = [
            (#"{"a": {"x" 1}}"#, 11, "':' after a key"),
            (#"{"a": [1 2]}"#, 9, "expected ',' or ']'"),
            (#"{"a": {"x": 1,}}"#, 14, "string"),
            (#"{"a": [1, 2}"#, 11, "expected ',' or ']'"),
            (#"{"a": {"x": 01}}"#, 13, "number"),
            (#"{"a": {"x": 1}} x"#, 16, "unexpected bytes after the object"),
            (#"{"a": [[[[[1]]]]]}"#, 10, "nesting deeper than 4"),
        ]
        for (json, offset, message) in cases {
            switch walk(json, maxDepth: 4) {
            case .success(let read): Issue.record("\(json) was read: \(read)")
            case .failure(let error):
                #expect(error.offset == offset, "\(json): \(error)")
                #expect(error.message.contains(message), "\(json): \(error.message)")
            }
        }
    }
}
