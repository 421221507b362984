import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bootstraps swift-log once, to standard error: level from `FRONTDOOR_LOG_LEVEL` (default info),
/// format from `FRONTDOOR_LOG_FORMAT` (`json`, the default unless standard error is a terminal,
/// or `text`).
enum LogSetup {
    private static let done = Mutex(false)

    enum Format: String {
        case json, text
    }

    /// The format an environment asks for: `FRONTDOOR_LOG_FORMAT`, else `text` on a terminal and `json` otherwise.
    static func format(environment: [String: String], terminal: Bool) -> Format {
        environment["FRONTDOOR_LOG_FORMAT"].flatMap { Format(rawValue: $0.lowercased()) } ?? (terminal ? .text : .json)
    }

    /// A logger for a command that prints its own result: it logs `level` and above, or only
    /// what `FRONTDOOR_LOG_LEVEL` asks for when that is stricter.
    static func logger(_ label: String, atLeast level: Logger.Level) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = max(logger.logLevel, level)
        return logger
    }

    static func bootstrap() {
        let first = done.withLock { d -> Bool in
            defer { d = true }
            return !d
        }
        guard first else { return }
        let env = ProcessInfo.processInfo.environment
        let level = env["FRONTDOOR_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let format = format(environment: env, terminal: isatty(STDERR_FILENO) == 1)
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = level
                return h
            case .json:
                var h = JSONLineLogHandler(label: label)
                h.logLevel = level
                return h
            }
        }
    }
}

/// One JSON object per line on standard error: `timestamp` (RFC 3339, UTC, milliseconds),
/// `level`, `label`, `message` and `metadata` (an object: the logger's, the provider's and the
/// call's, later ones winning). Keys are sorted so lines compare and grep the same way every run.
/// A line is written with one `write(2)` under a process-wide lock, so lines never interleave.
struct JSONLineLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider

    private static let lock = Mutex(())

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let object: [String: Any] = [
            "timestamp": Self.timestamp(),
            "level": event.level.rawValue,
            "label": label,
            "message": event.message.description,
            "metadata": merged.mapValues(Self.json),
        ]
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        line.append(0x0A)
        Self.lock.withLock { _ in
            line.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                var offset = 0
                while offset < buffer.count {
                    let n = write(STDERR_FILENO, base + offset, buffer.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return }
                    offset += n
                }
            }
        }
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array(let a): a.map(json)
        case .dictionary(let d): d.mapValues(json)
        }
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ts.tv_nsec / 1_000_000))
    }
}
