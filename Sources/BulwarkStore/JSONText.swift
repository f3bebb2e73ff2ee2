import BulwarkCore

/// JSON text for the values both stores write into TEXT columns (url lists, audit details).
enum JSONText {
    static func encode(_ value: String) -> String {
        var out: [UInt8] = []
        appendJSONString(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func encode(_ list: [String]) -> String {
        "[" + list.map { encode($0) }.joined(separator: ",") + "]"
    }
}

/// One JSON object appended to a byte buffer, field by field; nil is written as null.
struct JSONRecord {
    private var out: [UInt8] = []
    private var fields = 0

    /// Appends `{...}` with the fields `body` writes to `out` (moved in and out, not copied).
    static func append(to out: inout [UInt8], _ body: (inout JSONRecord) -> Void) {
        var record = JSONRecord()
        swap(&record.out, &out)
        record.out.append(UInt8(ascii: "{"))
        body(&record)
        record.out.append(UInt8(ascii: "}"))
        swap(&record.out, &out)
    }

    private mutating func name(_ name: String) {
        if fields > 0 { out.append(UInt8(ascii: ",")) }
        fields += 1
        appendJSONString(name, to: &out)
        out.append(UInt8(ascii: ":"))
    }

    mutating func field(_ name: String, _ value: String?) {
        self.name(name)
        if let value { appendJSONString(value, to: &out) } else { out += "null".utf8 }
    }

    mutating func field(_ name: String, _ value: Int64?) {
        self.name(name)
        out += (value.map { String($0) } ?? "null").utf8
    }

    mutating func field(_ name: String, _ value: Bool) {
        self.name(name)
        out += (value ? "true" : "false").utf8
    }

    mutating func field(_ name: String, _ value: Double?) {
        self.name(name)
        if let value, value.isFinite { out += "\(value)".utf8 } else { out += "null".utf8 }
    }
}
