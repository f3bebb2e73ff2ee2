import BulwarkCore

/// Reads the body of `POST /v1/items` on its bytes with ``JSONObjectReader``, for the bodies
/// platforms send: every field of the expected JSON type (a string, an integer without fraction
/// or exponent, `null` for an optional one), each key once per object, unknown fields skipped.
/// For such a body the items are the ones `JSONDecoder` makes (`IngestBodyReaderTests` compares
/// them). Anything else (a wrong type, a missing field, a repeated key, a number written with a
/// fraction) gives nil, and the body goes through `JSONDecoder`, whose errors the API reports as
/// before. Foundation's decoder was 8% of an API process's samples under ingest with authors and
/// containers (docs/capacity.md).
enum IngestBodyReader {
    /// The body's items, or nil when it is not of that plain shape. The body must have passed
    /// `JSONSyntax` (valid UTF-8 and JSON).
    static func read(_ body: [UInt8]) -> IngestBody? {
        body.withUnsafeBufferPointer { buffer -> IngestBody? in
            var reader = JSONObjectReader(buffer, maxDepth: BulwarkService.maxBodyDepth)
            do throws(BulwarkError) {
                var item = ItemFields()
                var items: [ItemPayload]?
                var seen = Set<String>()
                while let key = try reader.nextKey() {
                    guard seen.insert(key).inserted else { return nil }
                    if key == "items" {
                        var list: [ItemPayload] = []
                        let plain = try plainArray(&reader) { r throws(BulwarkError) in
                            var fields = ItemFields()
                            guard try plainObject(&r, { key, r throws(BulwarkError) in try fields.read(key, &r) }),
                                let payload = fields.payload
                            else { return false }
                            list.append(payload)
                            return true
                        }
                        guard plain else { return nil }
                        items = list
                    } else if !(try item.read(key, &reader)) {
                        return nil
                    }
                }
                // As `IngestBody` decodes: with `items`, the batch (other fields ignored).
                if let items { return .many(items) }
                return item.payload.map { .one($0) }
            } catch {
                return nil
            }
        }
    }

    /// Reads the value, an object, with `field` for each key (false: not of the plain shape;
    /// it must still read or skip the value) while it stays plain: each key once; once it is
    /// not, the rest is skipped. Returns whether it was an object of the plain shape (a value
    /// that is no object is skipped).
    static func plainObject(
        _ r: inout JSONObjectReader, _ field: (String, inout JSONObjectReader) throws(BulwarkError) -> Bool
    ) throws(BulwarkError) -> Bool {
        guard r.nextValueByte == UInt8(ascii: "{") else {
            try r.skipValue()
            return false
        }
        var seen = Set<String>()
        var plain = true
        try r.object { key, r throws(BulwarkError) in
            guard plain, seen.insert(key).inserted else {
                plain = false
                return try r.skipValue()
            }
            plain = try field(key, &r)
        }
        return plain
    }

    /// Reads the value, an array, with `element` for each element (false: not of the plain
    /// shape; it must still read or skip the element) while it stays plain; once it is not, the
    /// rest is skipped. Returns whether it was an array of the plain shape (a value that is no
    /// array is skipped).
    static func plainArray(
        _ r: inout JSONObjectReader, _ element: (inout JSONObjectReader) throws(BulwarkError) -> Bool
    ) throws(BulwarkError) -> Bool {
        guard r.nextValueByte == UInt8(ascii: "[") else {
            try r.skipValue()
            return false
        }
        var plain = true
        try r.array { r throws(BulwarkError) in
            guard plain else { return try r.skipValue() }
            plain = try element(&r)
        }
        return plain
    }

    /// The fields of one item as they are read (each key once: checked by the caller).
    struct ItemFields {
        var platform: String?, id: String?, type: String?, text: String?, lang: String?, author: String?
        var authorAvatar: String?
        var urls: [String]?
        var container: ItemPayload.Container?
        var media: [ItemPayload.Media]?
        var postedAt: Int64?

        /// The item, when it has its required fields.
        var payload: ItemPayload? {
            guard let id, let text else { return nil }
            return ItemPayload(
                platform: platform, id: id, type: type, text: text, urls: urls, lang: lang, author: author,
                author_avatar_pdq: authorAvatar, container: container, media: media, posted_at: postedAt)
        }

        /// Reads `key`'s value; false when it is not of the plain shape.
        mutating func read(_ key: String, _ r: inout JSONObjectReader) throws(BulwarkError) -> Bool {
            switch key {
            case "platform": return try IngestBodyReader.string(&r, into: &platform)
            case "id": return try IngestBodyReader.requiredString(&r, into: &id)
            case "type": return try IngestBodyReader.string(&r, into: &type)
            case "text": return try IngestBodyReader.requiredString(&r, into: &text)
            case "lang": return try IngestBodyReader.string(&r, into: &lang)
            case "author": return try IngestBodyReader.string(&r, into: &author)
            case "author_avatar_pdq": return try IngestBodyReader.string(&r, into: &authorAvatar)
            case "posted_at": return try IngestBodyReader.integer(&r, into: &postedAt)
            case "urls":
                if try IngestBodyReader.null(&r) { return true }
                var list: [String] = []
                let plain = try IngestBodyReader.plainArray(&r) { r throws(BulwarkError) in
                    guard r.nextValueByte == UInt8(ascii: "\"") else {
                        try r.skipValue()
                        return false
                    }
                    list.append(try r.string())
                    return true
                }
                urls = list
                return plain
            case "container":
                if try IngestBodyReader.null(&r) { return true }
                var c = ItemPayload.Container()
                let plain = try IngestBodyReader.plainObject(&r) { key, r throws(BulwarkError) in
                    switch key {
                    case "id": return try IngestBodyReader.string(&r, into: &c.id)
                    case "title": return try IngestBodyReader.string(&r, into: &c.title)
                    case "kind": return try IngestBodyReader.string(&r, into: &c.kind)
                    case "avatar_pdq": return try IngestBodyReader.string(&r, into: &c.avatar_pdq)
                    case "followers": return try IngestBodyReader.int(&r, into: &c.followers)
                    case "members": return try IngestBodyReader.int(&r, into: &c.members)
                    default:
                        try r.skipValue()
                        return true
                    }
                }
                container = c
                return plain
            case "media":
                if try IngestBodyReader.null(&r) { return true }
                var list: [ItemPayload.Media] = []
                let plain = try IngestBodyReader.plainArray(&r) { r throws(BulwarkError) in
                    var m = ItemPayload.Media()
                    let plain = try IngestBodyReader.plainObject(&r) { key, r throws(BulwarkError) in
                        switch key {
                        case "data": return try IngestBodyReader.string(&r, into: &m.data)
                        case "content_type": return try IngestBodyReader.string(&r, into: &m.content_type)
                        case "md5": return try IngestBodyReader.string(&r, into: &m.md5)
                        case "sha256": return try IngestBodyReader.string(&r, into: &m.sha256)
                        case "pdq": return try IngestBodyReader.string(&r, into: &m.pdq)
                        case "pdq_quality": return try IngestBodyReader.int(&r, into: &m.pdq_quality)
                        case "vpdq": return try IngestBodyReader.string(&r, into: &m.vpdq)
                        case "frames":
                            if try IngestBodyReader.null(&r) { return true }
                            var frames: [ItemPayload.Frame] = []
                            let plain = try IngestBodyReader.plainArray(&r) { r throws(BulwarkError) in
                                var f = ItemPayload.Frame()
                                let plain = try IngestBodyReader.plainObject(&r) { key, r throws(BulwarkError) in
                                    switch key {
                                    case "pdq": return try IngestBodyReader.string(&r, into: &f.pdq)
                                    case "quality": return try IngestBodyReader.int(&r, into: &f.quality)
                                    case "frame": return try IngestBodyReader.int(&r, into: &f.frame)
                                    case "second": return try IngestBodyReader.int(&r, into: &f.second)
                                    default:
                                        try r.skipValue()
                                        return true
                                    }
                                }
                                frames.append(f)
                                return plain
                            }
                            m.frames = frames
                            return plain
                        default:
                            try r.skipValue()
                            return true
                        }
                    }
                    list.append(m)
                    return plain
                }
                media = list
                return plain
            default:
                try r.skipValue()
                return true
            }
        }
    }

    /// Whether the value is `null` (read past it).
    static func null(_ r: inout JSONObjectReader) throws(BulwarkError) -> Bool {
        guard r.nextValueByte == UInt8(ascii: "n") else { return false }
        try r.skipValue()
        return true
    }

    /// An optional string: a string, or `null` (nil); false for anything else.
    static func string(_ r: inout JSONObjectReader, into value: inout String?) throws(BulwarkError) -> Bool {
        if try null(&r) {
            value = nil
            return true
        }
        guard r.nextValueByte == UInt8(ascii: "\"") else { return false }
        value = try r.string()
        return true
    }

    /// A required string: a string only.
    static func requiredString(_ r: inout JSONObjectReader, into value: inout String?) throws(BulwarkError) -> Bool {
        guard r.nextValueByte == UInt8(ascii: "\"") else { return false }
        value = try r.string()
        return true
    }

    /// An optional integer: digits only (no fraction or exponent), within Int64, or `null`.
    static func integer(_ r: inout JSONObjectReader, into value: inout Int64?) throws(BulwarkError) -> Bool {
        if try null(&r) {
            value = nil
            return true
        }
        guard r.valueIsNumber() else { return false }
        guard let exact = try r.number().integer else { return false }
        value = exact
        return true
    }

    static func int(_ r: inout JSONObjectReader, into value: inout Int?) throws(BulwarkError) -> Bool {
        var wide: Int64?
        guard try integer(&r, into: &wide) else { return false }
        value = wide.map { Int($0) }
        return true
    }
}
