import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorWorkers
import Logging
import Testing

/// Where the integration tests find the real broker, database, configuration and binary.
///
/// Everything comes from the environment `scripts/test.sh` exports, with the local stack's
/// defaults, so `swift test` also works against a stack started by hand (`scripts/stack.sh up`).
enum TestEnvironment {
    static let environment = ProcessInfo.processInfo.environment

    /// `FRONTDOOR_KAFKA_BROKERS`, or the local stack's Tansu.
    static let brokers = environment["FRONTDOOR_KAFKA_BROKERS"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1:59092"

    /// `FRONTDOOR_DATABASE_URL`, or the local stack's PostgreSQL (a superuser that may CREATE DATABASE).
    static let databaseURL =
        environment["FRONTDOOR_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        ?? "postgres://frontdoor:frontdoor@127.0.0.1:55432/frontdoor"

    /// The package root: found by walking up from this file to the directory holding Package.swift.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url = url.deletingLastPathComponent()
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `FRONTDOOR_STACK_SCRIPT`, or the repository's scripts/stack.sh.
    static let stackScript =
        environment["FRONTDOOR_STACK_SCRIPT"].flatMap { $0.isEmpty ? nil : $0 }
        ?? packageRoot.appendingPathComponent("scripts/stack.sh").path

    /// The repository's Config/ (schools, districts, calendars, kent-2016 rules).
    static let configDirectory = packageRoot.appendingPathComponent("Config", isDirectory: true)

    static let config: LoadedConfig = {
        do { return try ConfigLoader(directory: configDirectory).load() } catch { fatalError("Config/ does not load: \(error)") }
    }()

    /// The `frontdoor` executable of this build: `FRONTDOOR_BINARY`, else next to the test
    /// bundle (the build directory `swift test` runs from), else `.build/debug/frontdoor`.
    static func binary() throws -> URL {
        if let path = environment["FRONTDOOR_BINARY"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var candidates: [URL] = []
        // The xctest bundle (or swiftpm-testing-helper's argument) lives in <scratch>/debug.
        for argument in CommandLine.arguments where argument.contains(".xctest") {
            var url = URL(fileURLWithPath: argument)
            while url.path != "/" && !url.lastPathComponent.hasSuffix(".xctest") { url = url.deletingLastPathComponent() }
            candidates.append(url.deletingLastPathComponent().appendingPathComponent("frontdoor"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("frontdoor"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("frontdoor"))
        candidates.append(packageRoot.appendingPathComponent(".build/debug/frontdoor"))
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
        throw TestSetupError("no frontdoor binary in \(candidates.map(\.path)); build it or set FRONTDOOR_BINARY")
    }

    static var logger: Logger {
        var logger = Logger(label: "frontdoor.workers.tests")
        logger.logLevel = environment["FRONTDOOR_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    /// A short random suffix that keeps a test's topics, groups and database apart from every other test's.
    static func uniqueSuffix() -> String {
        String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10)).lowercased()
    }

    /// A school of Config/schools.csv in `district`.
    static func school(in district: String) -> School {
        guard let s = config.register.schools.first(where: { $0.district == district }) else {
            fatalError("no school in district \(district)")
        }
        return s
    }

    static func unit(of school: School) -> String { config.units.unitId(forDistrict: school.district) }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Waits for `condition`, checking every `interval`, for at most `timeout`; records an issue
/// naming `what` (and the last observed state) and throws if it never holds.
@discardableResult
func eventually<T>(
    _ what: String, timeout: Duration = .seconds(60), interval: Duration = .milliseconds(200),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ probe: () async throws -> (done: Bool, state: T)
) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var last = try await probe()
    while !last.done {
        if clock.now >= deadline {
            Issue.record("timed out after \(timeout) waiting for \(what); last state: \(last.state)", sourceLocation: sourceLocation)
            throw TestSetupError("timed out waiting for \(what)")
        }
        try await Task.sleep(for: interval)
        last = try await probe()
    }
    return last.state
}
