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
