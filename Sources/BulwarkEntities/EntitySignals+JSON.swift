import BulwarkCore

/// The signals as JSON text, written and read by hand: the stores keep them in a TEXT column and
/// rewrite them for every entity an ingest batch touches, where Foundation's coders cost more
/// than the SQL. The keys are those of the `Codable` conformance, so either reads the other's.
extension EntitySignals {
    public var jsonText: String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        func key(_ name: String) {
            out.append(out.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
            appendJSONString(name, to: &out)
            out.append(UInt8(ascii: ":"))
        }
        func int(_ name: String, _ value: some BinaryInteger) {
            key(name)
            out += String(value).utf8
        }
        func double(_ name: String, _ value: Double) {
            key(name)
            out += (value.isFinite ? "\(value)" : "0").utf8
        }
        int("items", items)
        int("violating", violating)
        int("review", review)
        int("knownContent", knownContent)
        double("maxScore", maxScore)
        key("categories")
        out.append(UInt8(ascii: "{"))
        for (i, (name, count)) in categories.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(name, to: &out)
            out += ":\(count)".utf8
        }
        out.append(UInt8(ascii: "}"))
        int("reach", reach)
        int("peakReach", peakReach)
        key("reachHistory")
        out.append(UInt8(ascii: "["))
        for (i, sample) in reachHistory.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += "{\"time\":\(sample.time),\"reach\":\(sample.reach)}".utf8
        }
        out.append(UInt8(ascii: "]"))
        int("firstSeen", firstSeen)
        int("lastSeen", lastSeen)
        int("activeDays", activeDays)
        int("lastActiveDay", lastActiveDay)
        double("exposure", exposure)
        double("velocity", velocity)
        int("velocityTime", velocityTime)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads what ``jsonText`` writes (or the `Codable` form); nil if it is not such an object.
    public init?(jsonText: String) {
        let bytes = Array(jsonText.utf8)
        guard let value = bytes.withUnsafeBufferPointer({ buffer -> MiniJSON? in
            var parser = MiniJSON.Parser(bytes: buffer)
            return parser.parseDocument()
        }), case .object(let fields) = value
        else { return nil }
        self.init()
        for (name, v) in fields {
            switch name {
            case "items": items = v.int ?? 0
            case "violating": violating = v.int ?? 0
            case "review": review = v.int ?? 0
            case "knownContent": knownContent = v.int ?? 0
            case "maxScore": maxScore = v.double ?? 0
            case "categories":
                if case .object(let counts) = v { for (c, n) in counts { categories[c] = n.int ?? 0 } }
            case "reach": reach = v.int ?? 0
            case "peakReach": peakReach = v.int ?? 0
            case "reachHistory":
                if case .array(let samples) = v {
                    for case .object(let s) in samples {
                        let time = s.first { $0.0 == "time" }?.1.int64 ?? 0
                        let reach = s.first { $0.0 == "reach" }?.1.int ?? 0
                        reachHistory.append(ReachSample(time: time, reach: reach))
                    }
                }
            case "firstSeen": firstSeen = v.int64 ?? 0
            case "lastSeen": lastSeen = v.int64 ?? 0
            case "activeDays": activeDays = v.int ?? 0
            case "lastActiveDay": lastActiveDay = v.int64 ?? -1
            case "exposure": exposure = v.double ?? 0
            case "velocity": velocity = v.double ?? 0
            case "velocityTime": velocityTime = v.int64 ?? 0
            default: break
            }
        }
    }
}

/// Just enough JSON for the signals: objects, arrays, strings without escapes beyond the
/// simple ones, and numbers (integers kept exact).
enum MiniJSON {
    case object([(String, MiniJSON)])
    case array([MiniJSON])
    case string(String)
    case integer(Int64)
    case number(Double)
    case other

    var int64: Int64? {
        switch self {
        case .integer(let v): v
        case .number(let v): v.isFinite ? Int64(v) : nil
        default: nil
        }
    }
    var int: Int? { int64.map { Int($0) } }
    var double: Double? {
        switch self {
        case .integer(let v): Double(v)
        case .number(let v): v
        default: nil
        }
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func parseDocument() -> MiniJSON? {
            guard let v = value() else { return nil }
            skip()
            return i == bytes.count ? v : nil
        }

        mutating func skip() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func value(depth: Int = 0) -> MiniJSON? {
            skip()
            guard i < bytes.count, depth < 16 else { return nil }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var fields: [(String, MiniJSON)] = []
                skip()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(fields)
                }
                while true {
                    skip()
                    guard case .string(let name)? = string() else { return nil }
                    skip()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                    i += 1
                    guard let v = value(depth: depth + 1) else { return nil }
                    fields.append((name, v))
                    skip()
                    guard i < bytes.count else { return nil }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                    } else if bytes[i] == UInt8(ascii: "}") {
                        i += 1
                        return .object(fields)
                    } else {
                        return nil
                    }
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [MiniJSON] = []
                skip()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
                while true {
                    guard let v = value(depth: depth + 1) else { return nil }
                    items.append(v)
                    skip()
                    guard i < bytes.count else { return nil }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                    } else if bytes[i] == UInt8(ascii: "]") {
                        i += 1
                        return .array(items)
                    } else {
                        return nil
                    }
                }
            case UInt8(ascii: "\""):
                return string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = i
                var integral = true
                while i < bytes.count {
                    let b = bytes[i]
                    if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || b == UInt8(ascii: "+") {
                        integral = false
                    } else if !(b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39)) {
                        break
                    }
                    i += 1
                }
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                if integral, let v = Int64(text) { return .integer(v) }
                return Double(text).map { .number($0) }
            default:
                // true, false, null: read as other.
                let start = i
                while i < bytes.count, bytes[i] >= UInt8(ascii: "a"), bytes[i] <= UInt8(ascii: "z") { i += 1 }
                return i > start ? .other : nil
            }
        }

        mutating func string() -> MiniJSON? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                if b == UInt8(ascii: "\"") { return .string(String(decoding: out, as: UTF8.self)) }
                if b == UInt8(ascii: "\\") {
                    guard i < bytes.count else { return nil }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "u"):
                        guard i + 4 <= bytes.count,
                            let scalar = UInt32(String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<i + 4]), as: UTF8.self), radix: 16)
                                .flatMap(Unicode.Scalar.init)
                        else { return nil }
                        out += Array(String(Character(scalar)).utf8)
                        i += 4
                    default: out.append(e)
                    }
                } else {
                    out.append(b)
                }
            }
            return nil
        }
    }
}
