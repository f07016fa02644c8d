import Foundation
import Logging

/// One JSON object a line (`YIWANG_LOG_FORMAT=json`), for log collectors: time, level, label,
/// message and the metadata (request id, route, status, duration, actor kind). The platform logs
/// no personal data in any format; this one only changes the shape.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [
            "ts": Self.timestamp(), "level": event.level.rawValue, "label": label, "message": event.message.description,
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged { object[key == "request-id" ? "request_id" : key] = Self.plain(value) }
        guard JSONSerialization.isValidJSONObject(object),
            var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        line.append(UInt8(ascii: "\n"))
        // write(2) directly: a closed or full stderr loses the line, never the process.
        _ = line.withUnsafeBytes { Foundation.write(2, $0.baseAddress, $0.count) }
    }

    static func plain(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(plain)
        case .dictionary(let values): values.mapValues(plain)
        }
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    /// Installs the handler when `YIWANG_LOG_FORMAT=json`; answers whether it did.
    public static func bootstrapIfAsked(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard environment["YIWANG_LOG_FORMAT"]?.lowercased() == "json" else { return false }
        let level = environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        return true
    }
}
