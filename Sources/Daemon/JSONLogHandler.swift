import Foundation
import Logging
import Synchronization

/// A swift-log handler writing one JSON object per line to standard error:
/// `{"time", "level", "label", "message", …metadata}`. The daemon never puts names or NIRs in metadata.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    /// Serialises the writes, so that lines from different threads never interleave.
    private static let output = Mutex(())

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(level: event.level, message: event.message, metadata: event.metadata)
    }

    func write(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?) {
        var fields: [String: String] = [:]
        for (k, v) in metadata { fields[k] = "\(v)" }
        if let provided = metadataProvider?.get() { for (k, v) in provided { fields[k] = "\(v)" } }
        if let explicit { for (k, v) in explicit { fields[k] = "\(v)" } }
        var line = "{\"time\":\(Self.quote(Timestamp.now())),\"level\":\(Self.quote(level.rawValue)),\"label\":\(Self.quote(label)),\"message\":\(Self.quote(message.description))"
        for key in fields.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            line += ",\(Self.quote(key)):\(Self.quote(fields[key]!))"
        }
        line += "}\n"
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
