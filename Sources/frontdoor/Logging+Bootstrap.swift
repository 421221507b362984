import Foundation
import Logging
import Synchronization

/// Bootstraps swift-log once: to standard error, level from `FRONTDOOR_LOG_LEVEL` (default info).
enum LogSetup {
    private static let done = Mutex(false)

    static func bootstrap() {
        let first = done.withLock { d -> Bool in
            defer { d = true }
            return !d
        }
        guard first else { return }
        let level = ProcessInfo.processInfo.environment["FRONTDOOR_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}
