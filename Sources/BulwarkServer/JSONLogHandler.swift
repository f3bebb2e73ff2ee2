import BulwarkCore
public import Foundation
public import Logging

/// Log records as JSON Lines on standard error: one object per record with `time`, `level`,
/// `label`, `message`, `source` and the record's metadata as string fields, so a log pipeline
/// can index them without parsing prose.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let own = event.metadata { fields.merge(own) { _, new in new } }
        let line = Self.line(
            time: Date(), level: event.level, label: label, message: "\(event.message)", source: event.source,
            metadata: fields)
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// One record as a line of JSON (with its newline).
    public static func line(
        time: Date, level: Logger.Level, label: String, message: String, source: String, metadata: Logger.Metadata
    ) -> String {
        var out: [UInt8] = Array("{\"time\":".utf8)
        appendJSONString(time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)), to: &out)
        for (key, value) in [("level", level.rawValue), ("label", label), ("message", message), ("source", source)] {
            out += Array(",\"\(key)\":".utf8)
            appendJSONString(value, to: &out)
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            out.append(UInt8(ascii: ","))
            appendJSONString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendJSONString("\(value)", to: &out)
        }
        out += Array("}\n".utf8)
        return String(decoding: out, as: UTF8.self)
    }
}
