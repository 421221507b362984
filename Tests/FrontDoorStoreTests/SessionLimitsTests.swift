import Foundation
import PostgresNIO
import Testing

@testable import FrontDoorStore

/// Session limits (issue 8, item 8): every connection sets `statement_timeout`, `lock_timeout`
/// and `idle_in_transaction_session_timeout`, so a statement on a stalled server or behind a lock
/// fails fast with a retryable error instead of hanging.
@Suite("Session limits")
struct SessionLimitsTests {
    static func show(_ database: FrontDoorDatabase, _ setting: String) async throws -> String {
        try await database.withTransaction(readOnly: true) { tx in
            try await tx.rows(PostgresQuery(unsafeSQL: "SHOW \(setting)"), "show \(setting)").first?.decode(String.self) ?? ""
        }
    }

    @Test("the defaults: 30 s per statement, 10 s per lock wait, 60 s idle in a transaction")
    func defaults() async throws {
        try await TestDatabase.with { database in
            let statement1 = try await Self.show(database, "statement_timeout")
            #expect(statement1 == "30s")
            let lock2 = try await Self.show(database, "lock_timeout")
            #expect(lock2 == "10s")
            let idle3 = try await Self.show(database, "idle_in_transaction_session_timeout")
            #expect(idle3 == "1min")
        }
    }

    @Test("URL options set them; a statement over statement_timeout fails with a retryable error")
    func urlOptionsAndTimeout() async throws {
        let options = try DatabaseConfiguration(
            url: "postgres://u@h/d?statement_timeout=1500&lock_timeout=700&idle_in_transaction_session_timeout=0")
        #expect(options.statementTimeout == .milliseconds(1500))
        #expect(options.lockTimeout == .milliseconds(700))
        #expect(options.idleInTransactionSessionTimeout == nil)
        #expect(options.withStatementTimeoutDefault(.seconds(1800)).statementTimeout == .milliseconds(1500), "the URL wins")
        #expect(try DatabaseConfiguration(url: "postgres://u@h/d").withStatementTimeoutDefault(nil).statementTimeout == nil)
        #expect(throws: StoreError.self) { try DatabaseConfiguration(url: "postgres://u@h/d?lock_timeout=5s") }

        try await TestDatabase.with(configure: {
            $0.statementTimeout = options.statementTimeout
            $0.lockTimeout = options.lockTimeout
            $0.idleInTransactionSessionTimeout = options.idleInTransactionSessionTimeout
        }) { database in
            let statement4 = try await Self.show(database, "statement_timeout")
            #expect(statement4 == "1500ms")
            let lock5 = try await Self.show(database, "lock_timeout")
            #expect(lock5 == "700ms")
            let idle6 = try await Self.show(database, "idle_in_transaction_session_timeout")
            #expect(idle6 == "0")
            let error = await #expect(throws: StoreError.self) {
                try await database.withTransaction { tx in _ = try await tx.execute("SELECT pg_sleep(5)", "sleep") }
            }
            #expect(error?.sqlState == "57014")
            #expect(error?.isRetryable == true)
            // The connection is still good afterwards.
            let statement7 = try await Self.show(database, "statement_timeout")
            #expect(statement7 == "1500ms")
        }
    }
}
