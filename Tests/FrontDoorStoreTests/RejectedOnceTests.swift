import Foundation
import PostgresNIO
import Testing

@testable import FrontDoorStore

/// architecture.md, rejects: `rejected_events` counts a rejected message once, however often
/// its batch is retried after the DLQ send or read again after a crash.
@Suite("Rejected events counted once", .timeLimit(.minutes(2)))
struct RejectedOnceTests {
    static let topic = "frontdoor.attendance.v1"

    @Test("recording the same reject again, alone or in a batch, counts it once")
    func sameRejectTwiceCountsOnce() async throws {
        try await TestDatabase.with { database in
            for _ in 0..<2 {
                try await database.withTransaction { tx throws in
                    try await tx.recordRejected(topic: Self.topic, partition: 0, offset: 5, errorCode: "invalid-json")
                    try await tx.recordRejected([
                        RejectedEventRecord(topic: Self.topic, partition: 0, offset: 5, errorCode: "invalid-json"),
                        RejectedEventRecord(topic: Self.topic, partition: 1, offset: 5, errorCode: "not-a-school-day"),
                        RejectedEventRecord(topic: Self.topic, partition: 1, offset: 5, errorCode: "not-a-school-day"),
                    ])
                }
            }
            let counts = try await database.withTransaction { tx throws in try await tx.rejectedCounts(topic: Self.topic) }
            #expect(counts == ["invalid-json": 1, "not-a-school-day": 1])
        }
    }

    @Test("the rejected-once migration keeps one row of each message recorded twice before it")
    func migrationRemovesDuplicates() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let before = Migrator(migrations: Migration.all.filter { $0.version < Migration.rejectedOnce.version })
            _ = try await before.migrate(client: database.client, logger: TestDatabase.logger)
            for code in ["invalid-json", "invalid-json", "invalid-json"] {
                try await database.client.query(
                    """
                    INSERT INTO rejected_events (topic, partition, "offset", error_code)
                    VALUES (\(Self.topic), 0, 7, \(code))
                    """)
            }
            try await database.client.query(
                "INSERT INTO rejected_events (topic, partition, \"offset\", error_code) VALUES (\(Self.topic), 0, 8, 'invalid-json')")
            try await database.migrate()
            let counts = try await database.withTransaction { tx throws in try await tx.rejectedCounts(topic: Self.topic) }
            #expect(counts == ["invalid-json": 2])
        }
    }
}
