import Foundation
import FrontDoorStore
import Logging
import PostgresNIO
import Testing

/// A throw-away, migrated database for one test (or one run of a test's feed), on the server
/// of `FRONTDOOR_DATABASE_URL` or another one (a private cluster).
///
/// ``with(server:_:)`` creates a uniquely named database, runs the pool while `body` runs and
/// drops the database afterwards, also when `body` throws.
struct TestDatabase: Sendable {
    /// The database's own URL (what a worker process gets as `FRONTDOOR_DATABASE_URL`).
    let url: String
    let name: String
    /// A running pool on it, for the test's own queries (and for in-process workers).
    let store: FrontDoorDatabase

    static func with<Result: Sendable>(
        server: String = TestEnvironment.databaseURL, _ body: (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let name = "fd_workers_test_\(TestEnvironment.uniqueSuffix())"
        try await administer(server, "CREATE DATABASE \(name)")
        let url = try Self.url(server, database: name)
        do {
            let result = try await withRunning(url) { store in
                try await store.migrate()
                return try await body(TestDatabase(url: url, name: name, store: store))
            }
            try await administer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            try? await administer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    /// `server` with its database name replaced.
    static func url(_ server: String, database: String) throws -> String {
        guard var c = URLComponents(string: server) else { throw TestSetupError("bad database URL") }
        c.path = "/" + database
        guard let s = c.string else { throw TestSetupError("bad database URL") }
        return s
    }

    static var logger: Logger {
        var logger = Logger(label: "frontdoor.workers.tests.store")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` with a pool on `url` that runs for the duration of the call.
    static func withRunning<Result: Sendable>(
        _ url: String, _ body: (FrontDoorDatabase) async throws -> Result
    ) async throws
        -> Result
    {
        let store = try FrontDoorDatabase(url: url, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    /// One statement outside a transaction (CREATE/DROP DATABASE).
    static func administer(_ server: String, _ sql: String) async throws {
        try await withRunning(server) { store in
            _ = try await store.client.query(PostgresQuery(unsafeSQL: sql)).collect()
        }
    }

    // MARK: Queries for assertions

    /// The rows of `sql`, every column cast to text by the query (`NULL` → nil).
    func rows(_ sql: String) async throws -> [[String?]] {
        var out: [[String?]] = []
        for try await row in try await store.client.query(PostgresQuery(unsafeSQL: sql)) {
            out.append(try row.map { cell in try cell.decode(String?.self) })
        }
        return out
    }

    /// The single integer `sql` returns (`SELECT count(*) …`).
    func int(_ sql: String) async throws -> Int {
        let r = try await rows("SELECT (\(sql))::text")
        guard let text = r.first?.first ?? nil, let n = Int(text) else { throw TestSetupError("no integer from \(sql)") }
        return n
    }

    /// The first column of every row.
    func strings(_ sql: String) async throws -> [String] {
        try await rows(sql).map { $0.first.flatMap { $0 } ?? "NULL" }
    }
}
