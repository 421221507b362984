import Foundation
import PostgresNIO
import Testing

@testable import FrontDoorStore

@Suite("Transactions", .timeLimit(.minutes(2)))
struct TransactionTests {
    static let upn = "A886200126001"

    static func mark(_ id: String, upn: String = upn) -> MarkRecord {
        MarkRecord(
            source: "urn:laestab:8862001",
            eventId: id,
            upn: upn,
            laestab: "8862001",
            date: day("2026-09-14"),
            session: "AM",
            code: "/",
            category: "present",
            eventTime: .at(0)
        )
    }

    /// Writes one batch's worth of everything: offsets, claims, facts, outbox.
    static func writeBatch(_ tx: StoreTransaction) async throws {
        try await tx.saveOffsets(group: "attendance", topic: "frontdoor.attendance.v1", [(0, 42), (1, 7)], expecting: [:])
        let claimed = try await tx.claimEvents([
            EventClaim(source: "urn:laestab:8862001", id: "e1", topic: "frontdoor.attendance.v1", partition: 0, offset: 41)
        ])
        #expect(claimed.count == 1)
        #expect(try await tx.insertMarks([Self.mark("e1")]) == 1)
        #expect(try await tx.enqueue(notificationId: "n1", topic: "frontdoor.enforcement.v1", key: "c1", payload: Data("{}".utf8)))
        try await tx.audit(rule: "test", subjectRef: "c1", decision: "notify")
    }

    static func snapshot(
        _ database: FrontDoorDatabase
    ) async throws -> (
        offsets: [Int32: Int64], processed: Bool, marks: Int, unsent: Int, audit: Int
    ) {
        try await database.withTransaction(readOnly: true) { tx throws in
            (
                try await tx.loadOffsets(group: "attendance", topic: "frontdoor.attendance.v1"),
                try await tx.isProcessed(source: "urn:laestab:8862001", id: "e1"),
                try await tx.marksThatCount(upn: Self.upn, from: day("2026-09-01"), through: day("2027-08-31")).count,
                try await tx.unsentCount(),
                try await tx.auditEntries(subjectRef: "c1").count
            )
        }
    }

    @Test("a transaction that throws leaves nothing behind, and the caller gets its own error back")
    func rollbackLeavesNothing() async throws {
        try await TestDatabase.with { database in
            await #expect(throws: TestFailure.self) {
                try await database.withTransaction { tx throws in
                    try await Self.writeBatch(tx)
                    throw TestFailure()
                }
            }
            let after = try await Self.snapshot(database)
            #expect(after.offsets.isEmpty)
            #expect(after.processed == false)
            #expect(after.marks == 0)
            #expect(after.unsent == 0)
            #expect(after.audit == 0)

            // The same batch committed is all there (so the checks above can tell the difference).
            try await database.withTransaction { tx throws in try await Self.writeBatch(tx) }
            let committed = try await Self.snapshot(database)
            #expect(committed.offsets == [0: 42, 1: 7])
            #expect(committed.processed)
            #expect(committed.marks == 1)
            #expect(committed.unsent == 1)
            #expect(committed.audit == 1)
        }
    }

    @Test("saveOffsets moves each offset from the expected one, backwards too when expected")
    func offsetsMoveFromTheExpectedOnes() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                try await tx.saveOffsets(group: "g", topic: "t", [(0, 100), (2, 5)], expecting: [:])
                try await tx.saveOffsets(group: "other", topic: "t", [(0, 1)], expecting: [:])
            }
            try await database.withTransaction { tx throws in
                try await tx.saveOffsets(group: "g", topic: "t", [(0, 90), (1, 3), (1, 4)], expecting: [0: 100])
            }
            let offsets = try await database.withTransaction { tx throws in try await tx.loadOffsets(group: "g", topic: "t") }
            #expect(offsets == [0: 90, 1: 4, 2: 5])
        }
    }

    /// architecture.md, a zombie worker: an owner that lost its partitions (a long pause, a
    /// database outage) must not move the new owner's offsets, backwards or at all.
    @Test("a stale expected offset aborts the write and leaves every stored offset as it was")
    func staleExpectedOffsetIsRefused() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                try await tx.saveOffsets(group: "g", topic: "t", [(0, 100), (1, 7)], expecting: [:])
            }
            // The zombie read 40 (and 7); the new owner has committed up to 100 since.
            let stale = await #expect(throws: StoredOffsetsMoved.self) {
                try await database.withTransaction { tx throws in
                    try await tx.saveOffsets(group: "g", topic: "t", [(0, 50), (1, 9)], expecting: [0: 40, 1: 7])
                }
            }
            #expect(stale?.partitions == [0])
            // Expecting no stored offset where there is one is just as stale.
            let fresh = await #expect(throws: StoredOffsetsMoved.self) {
                try await database.withTransaction { tx throws in
                    try await tx.saveOffsets(group: "g", topic: "t", [(1, 9), (3, 1)], expecting: [:])
                }
            }
            #expect(fresh?.partitions == [1])
            // Expecting a stored offset where there is none, too.
            await #expect(throws: StoredOffsetsMoved.self) {
                try await database.withTransaction { tx throws in
                    try await tx.saveOffsets(group: "g", topic: "t", [(4, 9)], expecting: [4: 3])
                }
            }
            let offsets = try await database.withTransaction { tx throws in try await tx.loadOffsets(group: "g", topic: "t") }
            #expect(offsets == [0: 100, 1: 7])
        }
    }

    @Test("a failed step inside a savepoint is undone alone; the transaction carries on")
    func savepointKeepsTheRest() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                let kept = try await tx.insertMarks([Self.mark("kept")])
                #expect(kept == 1)
                await #expect(throws: StoreError.self) {
                    try await tx.withSavepoint { tx throws in
                        #expect(try await tx.insertMarks([Self.mark("undone")]) == 1)
                        // A referral for a case that does not exist violates a foreign key.
                        _ = try await tx.insertReferral(CaseTests.referral(id: "r1", caseId: "no-such-case"))
                    }
                }
                let after = try await tx.insertMarks([Self.mark("after")])
                #expect(after == 1)
            }
            let stored = try await Self.storedMarkIds(database)
            #expect(stored == ["after", "kept"])
        }
    }

    @Test("a query error is a .query StoreError whose description names no personal data")
    func queryErrorsCarryNoPersonalData() async throws {
        try await TestDatabase.with { database in
            let error = await #expect(throws: StoreError.self) {
                try await database.withTransaction { tx throws in
                    _ = try await tx.insertReferral(CaseTests.referral(id: "r1", caseId: "missing-case"))
                }
            }
            #expect(error?.code == .query)
            #expect(error?.sqlState == "23503")
            #expect(error?.isRetryable == false)
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("insert referral"))
            for secret in ["Smith", "Jo", "missing-case", "CT1 1AA", "2015-03-02"] {
                #expect(!text.contains(secret), "description leaks \(secret)")
            }
        }
    }

    @Test("a connection killed mid-transaction is reported as unavailable")
    func killedConnectionIsUnavailable() async throws {
        try await TestDatabase.with { database in
            let error = await #expect(throws: StoreError.self) {
                try await database.withTransaction { tx throws in
                    let pid = try await tx.rows("SELECT pg_backend_pid()", "pid").first!.decode(Int32.self)
                    try await database.client.query("SELECT pg_terminate_backend(\(pid))")
                    try await tx.execute("SELECT 1", "after kill")
                }
            }
            #expect(error?.isUnavailable == true)
            #expect(error?.isRetryable == true)
            #expect(StoreError.isDatabaseUnavailable(error!))
            // The pool replaces the dead connection.
            let value = try await database.withTransaction { tx throws in
                try await tx.rows("SELECT 41 + 1", "answer").first!.decode(Int.self)
            }
            #expect(value == 42)
        }
    }

    @Test("a connection killed while idle in the pool does not fail the next transaction")
    func idleConnectionKilledIsReplaced() async throws {
        try await TestDatabase.with { database in
            var single = database.configuration
            single.maximumConnections = 1  // the next transaction gets the same (dead) connection back
            try await TestDatabase.withRunning(single) { pool in
                for _ in 0..<5 {
                    let pid = try await pool.withTransaction { tx throws in
                        try await tx.rows("SELECT pg_backend_pid()", "pid").first!.decode(Int32.self)
                    }
                    try await database.client.query("SELECT pg_terminate_backend(\(pid))")
                    let value = try await pool.withTransaction { tx throws in
                        try await tx.rows("SELECT 6 * 7", "answer").first!.decode(Int.self)
                    }
                    #expect(value == 42)
                }
            }
        }
    }

    @Test("cancelling a transaction that waits for an unreachable server throws CancellationError")
    func cancelWhileUnreachable() async throws {
        var configuration = try TestDatabase.baseConfiguration()
        configuration.port = 1  // nothing listens there: connection refused
        try await TestDatabase.withRunning(configuration) { database in
            let task = Task {
                try await database.withTransaction { tx throws in try await tx.execute("SELECT 1", "unreachable") }
            }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
        }
    }

    @Test(
        "an unreachable server is reported as unavailable once the pool gives up (about 60 s)",
        .enabled(if: ProcessInfo.processInfo.environment["FRONTDOOR_LONG_TESTS"] != nil, "set FRONTDOOR_LONG_TESTS=1"),
        .timeLimit(.minutes(3))
    )
    func unreachableIsUnavailable() async throws {
        var configuration = try TestDatabase.baseConfiguration()
        configuration.port = 1
        try await TestDatabase.withRunning(configuration) { database in
            let error = await #expect(throws: StoreError.self) {
                try await database.withTransaction { tx throws in try await tx.execute("SELECT 1", "unreachable") }
            }
            #expect(error?.isUnavailable == true)
            // While the pool's circuit breaker is open, later calls fail at once.
            let start = ContinuousClock.now
            let again = await #expect(throws: StoreError.self) {
                try await database.withTransaction { tx throws in try await tx.execute("SELECT 1", "unreachable") }
            }
            #expect(again?.isUnavailable == true)
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }

    @Test("a read-only transaction refuses writes")
    func readOnlyRefusesWrites() async throws {
        try await TestDatabase.with { database in
            let error = await #expect(throws: StoreError.self) {
                try await database.withTransaction(readOnly: true) { tx throws in
                    try await tx.saveOffsets(group: "g", topic: "t", [(0, 1)], expecting: [:])
                }
            }
            #expect(error?.sqlState == "25006")
        }
    }

    static func storedMarkIds(_ database: FrontDoorDatabase) async throws -> [String] {
        var ids: [String] = []
        for try await id in try await database.client.query("SELECT event_id::text FROM attendance_marks ORDER BY 1")
            .decode(String.self)
        {
            ids.append(id)
        }
        return ids
    }
}
