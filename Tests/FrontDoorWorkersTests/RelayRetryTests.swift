import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Synchronization
import Testing

/// The relay (issue 8, item 7; operations.md, "A notification that cannot be delivered"): a row
/// the broker can never take does not hold up any other unit's notifications, and is retried
/// with backoff and counted.
@Suite("Relay retries")
struct RelayRetryTests {
    @Test(
        "an undeliverable outbox row does not delay another unit's notifications and is retried with backoff",
        .timeLimit(.minutes(3)))
    func undeliverableRowDoesNotDelayOthers() async throws {
        // One row per claim, so an undeliverable row at the head of the queue would block every
        // row behind it if it stayed there.
        let pipeline = Pipeline("relayretry", inputPartitions: 1, batchSize: 1)
        try await pipeline.createTopics()
        let units = TestEnvironment.config.units.unitIds.sorted()
        let (blocked, other) = (pipeline.topics.earlyHelp(unit: units[0]), pipeline.topics.earlyHelp(unit: units[1]))
        try await TestDatabase.with { db in
            var settings = pipeline.settings(databaseURL: db.url)
            settings.relayRetryInitial = .milliseconds(500)
            settings.relayRetryMaximum = .seconds(4)
            // Undeliverable for real: 1,100,000 bytes is over the relay producer's message.max.bytes
            // (librdkafka's default, 1,000,000), so librdkafka refuses it (MSG_SIZE_TOO_LARGE) every time.
            try await db.store.withTransaction { tx in
                try await tx.enqueue(
                    notificationId: "n-undeliverable", topic: blocked, key: "case-1",
                    payload: Data(repeating: 0x7b, count: 1_100_000))
                try await tx.enqueue(
                    notificationId: "n-other-unit", topic: other, key: "case-2", payload: Data("{\"id\":\"n-other-unit\"}".utf8))
            }
            let reader = try OutputReader(topics: [other])
            defer { Task { await reader.close() } }
            try await InProcessWorkers.with([], relay: true, database: db.store, settings: settings) { workers in
                let out = try await reader.read("the other unit's notification") { $0.contains { $0.id == "n-other-unit" } }
                #expect(out.count == 1)
                // The undeliverable row failed, is recorded, and waits for its next attempt.
                try await eventually("two failed attempts recorded", timeout: .seconds(60)) {
                    let n = try await db.int("SELECT attempts FROM outbox WHERE notification_id = 'n-undeliverable'")
                    return (n >= 2, n)
                }
                let relay = try #require(workers.relay)
                #expect(relay.failedSends.load(ordering: .relaxed) >= 2)
            }
            #expect(try await db.int("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 1)
            let row = try await db.rows(
                """
                SELECT attempts::text, last_error, (next_attempt_at > now())::text FROM outbox
                WHERE notification_id = 'n-undeliverable'
                """)
            let attempts = try #require(Int(row.first?[0] ?? ""))
            #expect(attempts >= 2)
            #expect(row.first?[1]?.contains("(10)") == true, "MSG_SIZE_TOO_LARGE recorded: \(row.first?[1] ?? "-")")
            // Capped exponential backoff: 0.5 s, 1 s, 2 s, 4 s, 4 s …: at most one attempt per
            // backoff, so far fewer attempts than a relay retrying every cycle would make.
            #expect(attempts <= 12)
        }
    }
}
