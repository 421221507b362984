import Foundation
import Logging
import PostgresNIO
import Testing

@testable import FrontDoorStore

/// A throw-away database per test, on the server named by `FRONTDOOR_DATABASE_URL`.
///
/// Each call creates a uniquely named database, so tests run in parallel and repeatedly
/// without seeing each other's rows, and drops it afterwards (also when the test throws).
enum TestDatabase {
    static let baseURL =
        ProcessInfo.processInfo.environment["FRONTDOOR_DATABASE_URL"]
        ?? "postgres://frontdoor:frontdoor@127.0.0.1:55432/frontdoor"

    static var logger: Logger {
        var logger = Logger(label: "frontdoor.store.tests")
        logger.logLevel = .warning
        return logger
    }

    static func baseConfiguration() throws -> DatabaseConfiguration {
        var configuration = try DatabaseConfiguration(url: baseURL)
        configuration.tls = .disable
        return configuration
    }

    /// Creates a database, runs `body` with a migrated (or, with `migrate: false`, empty)
    /// ``FrontDoorDatabase`` whose pool is running, then drops the database.
    static func with<Result: Sendable>(
        migrate: Bool = true,
        _ body: (FrontDoorDatabase) async throws -> Result
    ) async throws -> Result {
        try await Self.with(configure: { _ in }, migrate: migrate, body)
    }

    /// ``with(migrate:_:)`` with the test's connection settings adjusted by `configure`
    /// (session limits, pool size).
    static func with<Result: Sendable>(
        configure: (inout DatabaseConfiguration) -> Void,
        migrate: Bool = true,
        _ body: (FrontDoorDatabase) async throws -> Result
    ) async throws -> Result {
        let name = "fd_store_test_\(UInt64.random(in: 0...UInt64.max) % 1_000_000_000_000)"
        let admin = try baseConfiguration()
        try await Self.administer(admin, "CREATE DATABASE \(name)")
        do {
            var configuration = admin.with(database: name)
            configure(&configuration)
            let result = try await Self.withRunning(configuration) { database in
                if migrate { try await database.migrate() }
                return try await body(database)
            }
            try await Self.administer(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            try? await Self.administer(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Runs `body` with a ``FrontDoorDatabase`` whose pool runs for the duration of the call.
    static func withRunning<Result: Sendable>(
        _ configuration: DatabaseConfiguration,
        _ body: (FrontDoorDatabase) async throws -> Result
    ) async throws -> Result {
        let database = FrontDoorDatabase(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    /// Runs one statement outside any transaction (CREATE/DROP DATABASE cannot run in one).
    static func administer(_ configuration: DatabaseConfiguration, _ sql: String) async throws {
        try await Self.withRunning(configuration) { database in
            _ = try await database.client.query(PostgresQuery(unsafeSQL: sql)).collect()
        }
    }
}

/// A one-shot signal between two concurrent tasks.
struct Signal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        self.stream = stream
        self.continuation = continuation
    }

    func fire() {
        self.continuation.yield()
        self.continuation.finish()
    }

    func wait() async {
        for await _ in self.stream { return }
    }
}

struct TestFailure: Error, Equatable {}

extension Date {
    /// An instant `seconds` after 2026-09-14T09:00:00Z.
    static func at(_ seconds: Double) -> Date {
        Date(timeIntervalSince1970: 1_789_376_400 + seconds)
    }
}

func day(_ iso: String) -> StoreDate {
    guard let date = StoreDate(iso) else { fatalError("bad test date \(iso)") }
    return date
}

/// `days` days from 14 September 2026 of present marks (AM and PM, UUID ids) for 1,000 pupils of
/// one school, a day a transaction as the worker writes them, then `VACUUM ANALYZE mark_log`, so
/// the mark log's size can be measured.
func insertPresentDays(_ days: Int, into database: FrontDoorDatabase) async throws {
    // The store needs a UPN's shape only (the decoder checks the letter).
    let upns = (0..<1_000).map { "B886" + String(format: "%08d", $0) + "0" }
    for d in 0..<days {
        let date = StoreDate(daysSince1970: day("2026-09-14").daysSince1970 + d)
        let marks = upns.flatMap { upn in
            ["AM", "PM"].map { s in
                MarkRecord(
                    source: "urn:laestab:8862001", eventId: UUID().uuidString.lowercased(), upn: upn, laestab: "8862001",
                    date: date, session: s, code: "/", category: "present", eventTime: .at(Double(d)))
            }
        }
        _ = try await database.withTransaction { tx in try await tx.insertMarks(marks) }
    }
    try await database.client.query("VACUUM ANALYZE mark_log")
}
