public import BulwarkCore

/// A link found in an item's text or given by the platform, normalised for matching.
public struct Link: Sendable, Hashable {
    /// The normalised URL: lowercase host without `www.`, path, query; no scheme, no fragment.
    public var url: String
    /// The normalised host.
    public var host: String
    /// Offsets in Unicode scalars of the original text, or nil for a link given in `urls`.
    public var start: Int?
    public var end: Int?
}

/// Finds URLs and bare domains in text, including defanged forms (`hxxp://`, `example[.]org`,
/// `example(.)org`, `example[dot]org`), and normalises them.
public struct LinkExtractor: Sendable {
    /// Longest token considered as a link, in bytes.
    public var maxLinkBytes: Int

    public init(maxLinkBytes: Int = 2048) {
        self.maxLinkBytes = maxLinkBytes
    }

    public func links(in text: String) -> [Link] {
        var result: [Link] = []
        var text = text
        text.withUTF8 { bytes in
            var tokenStart = -1
            var hasDot = false
            var i = 0
            func flush(_ end: Int) {
                defer { tokenStart = -1; hasDot = false }
                let length = end - tokenStart
                guard hasDot, length >= 4, length <= maxLinkBytes else { return }
                let token = UnsafeBufferPointer(rebasing: bytes[tokenStart..<end])
                guard LinkExtractor.mayBeLink(token), LinkExtractor.mayHaveDottedHost(token),
                    var link = normalize(Array(token))
                else { return }
                // Offsets in scalars: count the scalars before and inside the token.
                var start = 0
                for k in 0..<tokenStart where bytes[k] & 0xC0 != 0x80 { start += 1 }
                var count = 0
                for k in tokenStart..<end where bytes[k] & 0xC0 != 0x80 { count += 1 }
                link.start = start
                link.end = start + count
                result.append(link)
            }
            while i < bytes.count {
                let b = bytes[i]
                // Separators: ASCII space, tab, newlines, quotes and angle brackets, and the
                // Unicode spaces U+00A0, U+2000-U+200B and U+3000.
                var separator = 0
                switch b {
                case 0x20, 0x09, 0x0A, 0x0D, 0x22, 0x3C, 0x3E: separator = 1
                case 0xC2 where i + 1 < bytes.count && bytes[i + 1] == 0xA0: separator = 2
                case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && bytes[i + 2] <= 0x8B: separator = 3
                case 0xE3 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && bytes[i + 2] == 0x80: separator = 3
                default: break
                }
                if separator > 0 {
                    if tokenStart >= 0 { flush(i) }
                    i += separator
                    continue
                }
                if tokenStart < 0 { tokenStart = i }
                // A dot, or the "d" of a defanged "[dot]" / "(dot)".
                if b == 0x2E || b == 0x64 || b == 0x44 { hasDot = true }
                i += 1
            }
            if tokenStart >= 0 { flush(bytes.count) }
        }
        return result
    }

    /// A cheap first look: a link has a dot, or a defanged dot ("[dot]", "(dot)").
    static func mayBeLink(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        var previous: UInt8 = 0
        for b in token {
            if b == 0x2E { return true }
            // "dot" after a bracket.
            if (b == 0x64 || b == 0x44) && (previous == 0x5B || previous == 0x28) { return true }
            previous = b
        }
        return false
    }

    /// Whether `normalize` can find a host with a dot in `token`: false when the token has no
    /// bracket (so no defanged notation can add a dot) and no dot is left once the punctuation
    /// `normalize` trims from both ends is gone ("end." or "'word'." are words, not links).
    /// Exact: a host is part of the trimmed token, and a host without a dot is not plausible.
    static func mayHaveDottedHost(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in token where b == 0x5B || b == 0x28 || b == 0x7B { return true }
        var lo = 0
        var hi = token.count
        while lo < hi, token[lo] == 0x27 || token[lo] == 0x2A { lo += 1 }
        while hi > lo {
            switch token[hi - 1] {
            case 0x29, 0x5D, 0x7D, 0x27, 0x2E, 0x2C, 0x3B, 0x3A, 0x21, 0x3F, 0x2A: hi -= 1
            default:
                for k in lo..<hi where token[k] == 0x2E { return true }
                return false
            }
        }
        return false
    }

    /// Normalises one link string (from text or from the platform's `urls`); nil when it is not a link.
    public func normalize(_ raw: [UInt8]) -> Link? {
        var s = refang(raw)
        let wasDefanged = s != raw
        // Trim surrounding punctuation that text puts around links.
        while let first = s.first, [0x28, 0x5B, 0x7B, 0x27, 0x2A].contains(first) { s.removeFirst() }
        while let last = s.last, [0x29, 0x5D, 0x7D, 0x27, 0x2E, 0x2C, 0x3B, 0x3A, 0x21, 0x3F, 0x2A].contains(last) {
            s.removeLast()
        }
        lowercaseASCII(&s)
        var rest = s[...]
        var hadScheme = false
        if let colon = find(rest, [0x3A, 0x2F, 0x2F]) {
            let scheme = rest[rest.startIndex..<colon]
            guard scheme.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E }) else {
                return nil
            }
            rest = rest[(colon + 3)...]
            hadScheme = true
        }
        // Host ends at / ? # ; strip userinfo and port.
        var hostEnd = rest.endIndex
        for i in rest.indices where rest[i] == 0x2F || rest[i] == 0x3F || rest[i] == 0x23 {
            hostEnd = i
            break
        }
        var host = Array(rest[rest.startIndex..<hostEnd])
        if let at = host.lastIndex(of: 0x40) { host = Array(host[(at + 1)...]) }
        if let colon = host.lastIndex(of: 0x3A) { host = Array(host[..<colon]) }
        while host.last == 0x2E { host.removeLast() }
        var hadWWW = false
        if host.starts(with: Array("www.".utf8)) {
            host.removeFirst(4)
            hadWWW = true
        }
        guard isPlausibleHost(host, strict: !hadScheme && !wasDefanged && !hadWWW) else { return nil }
        var path = Array(rest[hostEnd...])
        if let hash = path.firstIndex(of: 0x23) { path = Array(path[..<hash]) }
        while path.last == 0x2F { path.removeLast() }
        let hostString = String(decoding: host, as: UTF8.self)
        return Link(url: hostString + String(decoding: path, as: UTF8.self), host: hostString, start: nil, end: nil)
    }

    /// Undoes the common defanging notations.
    func refang(_ raw: [UInt8]) -> [UInt8] {
        var s = raw
        let replacements: [(String, String)] = [
            ("hxxps", "https"), ("hxxp", "http"), ("HXXPS", "https"), ("HXXP", "http"),
            ("[.]", "."), ("(.)", "."), ("{.}", "."), ("[dot]", "."), ("(dot)", "."), ("[DOT]", "."),
            ("[:]", ":"), ("[://]", "://"), ("[/]", "/"),
        ]
        for (from, to) in replacements {
            let f = Array(from.utf8)
            guard s.count >= f.count, find(s[...], f) != nil else { continue }
            s = replaceAll(s, f, Array(to.utf8))
        }
        return s
    }

    func isPlausibleHost(_ host: [UInt8], strict: Bool) -> Bool {
        guard host.count >= 3, host.count <= 253 else { return false }
        let labels = host.split(separator: 0x2E, omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 }) else { return false }
        for b in host where !(b >= 0x80 || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E) {
            return false
        }
        guard let tld = labels.last else { return false }
        // A top-level domain is letters (or punycode), at least two.
        let tldIsLetters = tld.count >= 2 && tld.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 >= 0x80 }
        let tldIsPunycode = tld.starts(with: Array("xn--".utf8))
        let isIPv4 = labels.count == 4 && labels.allSatisfy { $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        if isIPv4 { return !strict }
        guard tldIsLetters || tldIsPunycode else { return false }
        if strict {
            // A bare "word.word" in prose ("end.Then") is a link only with a country-code or a
            // common generic top-level domain.
            if tld.count == 2 { return !LinkExtractor.fileSuffixes.contains(Array(tld)) }
            return LinkExtractor.genericTLDs.contains(Array(tld))
        }
        return true
    }

    static let fileSuffixes: Set<[UInt8]> = Set(["js", "py", "md", "sh", "rb", "cs", "go", "rs"].map { Array($0.utf8) })

    static let genericTLDs: Set<[UInt8]> = Set(
        [
            "com", "net", "org", "info", "biz", "edu", "gov", "int", "mil", "app", "dev", "xyz", "online", "site",
            "top", "club", "live", "news", "blog", "link", "click", "shop", "store", "tech", "space", "website",
            "world", "media", "network", "cloud", "host", "icu", "vip", "fun", "pro", "mobi", "name", "onion",
            "example", "tel", "asia", "today", "life", "press", "video", "tube", "chat", "social",
        ].map { Array($0.utf8) })
}


private func lowercaseASCII(_ s: inout [UInt8]) {
    for i in s.indices where s[i] >= 0x41 && s[i] <= 0x5A { s[i] += 0x20 }
}

private func find(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    var i = haystack.startIndex
    while i + needle.count <= haystack.endIndex {
        if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i += 1
    }
    return nil
}

private func replaceAll(_ s: [UInt8], _ from: [UInt8], _ to: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(s.count)
    var i = 0
    while i < s.count {
        if i + from.count <= s.count && s[i..<(i + from.count)].elementsEqual(from) {
            out.append(contentsOf: to)
            i += from.count
        } else {
            out.append(s[i])
            i += 1
        }
    }
    return out
}

/// Lists of known URLs and domains (for example from a platform's own removals or an industry list).
public struct LinkList: Sendable {
    public struct Entry: Sendable, Hashable {
        public var value: String
        public var label: String
    }

    private var domains: [String: String] = [:]
    private var urls: [String: String] = [:]

    public init() {}

    public var isEmpty: Bool { domains.isEmpty && urls.isEmpty }
    public var count: Int { domains.count + urls.count }

    /// The list in a list file's text: a link per line (`add`); blank lines and `#` comments
    /// are skipped, and any other line that is not a URL or domain is an error naming its line.
    public init(listing text: String, extractor: LinkExtractor = LinkExtractor()) throws(BulwarkError) {
        self.init()
        // "\r\n" is one Character, so a split at "\n" alone would leave a CRLF file as one line.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (i, line) in lines.enumerated() {
            let trimmed = String(line).trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard add(trimmed, extractor: extractor) else {
                throw BulwarkError(.invalidData, "not a URL or domain: \(trimmed)", line: i + 1)
            }
        }
    }

    /// Adds a line of a list file: `domain.tld[,label]` or `https://host/path[,label]`.
    public mutating func add(_ line: String, extractor: LinkExtractor = LinkExtractor()) -> Bool {
        let parts = line.split(separator: ",", maxSplits: 1).map { String($0) }
        guard let first = parts.first?.trimmingSpaces, !first.isEmpty, !first.hasPrefix("#") else { return false }
        let label = parts.count > 1 ? parts[1].trimmingSpaces : ""
        guard let link = extractor.normalize(Array(first.utf8)) else { return false }
        if link.url == link.host {
            domains[link.host] = label
        } else {
            urls[link.url] = label
        }
        return true
    }

    /// The listed URL equal to `link`, if any.
    public func urlMatch(_ link: Link) -> String? {
        urls[link.url].map { _ in link.url }
    }

    /// The listed domain that is `link`'s host or one of its parents, if any.
    public func domainMatch(_ link: Link) -> String? {
        var host = Substring(link.host)
        while true {
            if domains[String(host)] != nil { return String(host) }
            guard let dot = host.firstIndex(of: ".") else { return nil }
            host = host[host.index(after: dot)...]
            if !host.contains(".") { return nil }
        }
    }

    public func label(ofURL url: String) -> String? { urls[url] }
    public func label(ofDomain domain: String) -> String? { domains[domain] }
}
