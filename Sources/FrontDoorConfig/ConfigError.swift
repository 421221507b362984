/// A configuration file that cannot be used, with the file and, where known, the line.
///
/// Configuration holds no personal data, so messages may quote what was found.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file, relative to the configuration directory (`schools.csv`, `calendar/2026-27.yaml`).
    public let file: String
    /// 1-based line, when the problem can be placed on one.
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
