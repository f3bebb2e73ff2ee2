import BulwarkCore

/// The signals as JSON text, written and read by hand: the stores keep them in a TEXT column and
/// rewrite them for every entity an ingest batch touches, where Foundation's coders cost more
/// than the SQL. The keys are those of the `Codable` conformance, so either reads the other's.
extension EntitySignals {
    public var jsonText: String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        // The field names are plain ASCII: copied as they are, quoted, with no escaping to do.
        func key(_ name: StaticString) {
            out.append(out.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }
        func int(_ name: StaticString, _ value: some BinaryInteger) {
            key(name)
            appendDecimal(Int64(value), to: &out)
        }
        func double(_ name: StaticString, _ value: Double) {
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
            out.append(UInt8(ascii: ":"))
            appendDecimal(Int64(count), to: &out)
        }
        out.append(UInt8(ascii: "}"))
        int("reach", reach)
        int("peakReach", peakReach)
        key("reachHistory")
        out.append(UInt8(ascii: "["))
        for (i, sample) in reachHistory.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += #"{"time":"#.utf8
            appendDecimal(sample.time, to: &out)
            out += #","reach":"#.utf8
            appendDecimal(Int64(sample.reach), to: &out)
            out.append(UInt8(ascii: "}"))
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
    /// A field of another type than expected reads as its default (0; -1 for `lastActiveDay`),
    /// a number with a fraction where an integer is expected as its integral part; unknown
    /// fields are skipped. Read with ``JSONObjectReader`` on the text's bytes, each field as it
    /// comes: the stores read the signals of every entity an ingest batch touches (until
    /// 2026-12-05 through a tree of the whole document, 6.8% of the server's samples under
    /// ingest with authors and containers).
    public init?(jsonText: String) {
        var text = jsonText
        let read = text.withUTF8 { bytes -> EntitySignals? in
            var reader = JSONObjectReader(bytes, maxDepth: 16)
            var signals = EntitySignals()
            do {
                while let key = try reader.nextKey() { try signals.read(key, &reader) }
            } catch {
                return nil
            }
            return signals
        }
        guard let read else { return nil }
        self = read
    }

    /// Reads the field `key`'s value from `r`.
    private mutating func read(_ key: String, _ r: inout JSONObjectReader) throws(BulwarkError) {
        switch key {
        case "items": items = try Self.int(&r)
        case "violating": violating = try Self.int(&r)
        case "review": review = try Self.int(&r)
        case "knownContent": knownContent = try Self.int(&r)
        case "maxScore": maxScore = try Self.double(&r)
        case "categories":
            guard r.nextValueByte == UInt8(ascii: "{") else { return try r.skipValue() }
            try r.object { name, r throws(BulwarkError) in categories[name] = try Self.int(&r) }
        case "reach": reach = try Self.int(&r)
        case "peakReach": peakReach = try Self.int(&r)
        case "reachHistory":
            guard r.nextValueByte == UInt8(ascii: "[") else { return try r.skipValue() }
            try r.array { r throws(BulwarkError) in
                guard r.nextValueByte == UInt8(ascii: "{") else { return try r.skipValue() }
                var time: Int64?, reach: Int?
                try r.object { key, r throws(BulwarkError) in
                    // The first of a repeated key, as before.
                    switch key {
                    case "time" where time == nil: time = try Self.int64(&r)
                    case "reach" where reach == nil: reach = try Self.int(&r)
                    default: try r.skipValue()
                    }
                }
                reachHistory.append(ReachSample(time: time ?? 0, reach: reach ?? 0))
            }
        case "firstSeen": firstSeen = try Self.int64(&r)
        case "lastSeen": lastSeen = try Self.int64(&r)
        case "activeDays": activeDays = try Self.int(&r)
        case "lastActiveDay": lastActiveDay = try Self.int64(&r, default: -1)
        case "exposure": exposure = try Self.double(&r)
        case "velocity": velocity = try Self.double(&r)
        case "velocityTime": velocityTime = try Self.int64(&r)
        default: try r.skipValue()
        }
    }

    /// The value as an integer: exact, or a number's integral part within `Int64`; `default`
    /// for anything else (skipped).
    private static func int64(_ r: inout JSONObjectReader, default value: Int64 = 0) throws(BulwarkError) -> Int64 {
        guard r.valueIsNumber() else {
            try r.skipValue()
            return value
        }
        let n = try r.number()
        if let exact = n.integer { return exact }
        return n.double.isFinite && n.double.magnitude < 9.2e18 ? Int64(n.double) : value
    }

    private static func int(_ r: inout JSONObjectReader) throws(BulwarkError) -> Int { Int(try int64(&r)) }

    /// The value as a number; 0 for anything else (skipped).
    private static func double(_ r: inout JSONObjectReader) throws(BulwarkError) -> Double {
        guard r.valueIsNumber() else {
            try r.skipValue()
            return 0
        }
        return try r.number().double
    }
}
