import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `count` marks of one pupil of a Dover school, ids `<prefix>-<n>`, all on partition 0 of the
/// attendance topic.
private func faultMarks(_ prefix: String, _ count: Int, serial: Int, to pipeline: Pipeline) -> [KafkaProducerMessage] {
    let school = TestEnvironment.school(in: "Dover")
    let upn = Events.upn(school, serial: serial)
    let codes = (0..<count).map { $0 % 3 == 0 ? "O" : "/" }
    return Events.register(prefix: prefix, upn: upn, laestab: school.laestab.value, from: Events.date("2026-09-07"), codes: codes)
        .map { KafkaProducerMessage(topic: pipeline.topics.attendance, partition: 0, key: Array($0.key.utf8), value: $0.value) }
}

private var faultSource: String { "urn:laestab:\(TestEnvironment.school(in: "Dover").laestab.value)" }

/// The attendance group's stored offset of partition 0.
/// What a database that lost its last commits holds: the events from `offset` on are neither
/// claimed nor stored, and the stored offset is back at `offset`.
private func loseCommits(_ db: TestDatabase, from offset: Int) async throws {
    _ = try await db.rows("DELETE FROM processed_events WHERE \"offset\" >= \(offset)")
    _ = try await db.rows(
        "DELETE FROM attendance_marks m WHERE NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = m.event_id)")
    _ = try await db.rows("UPDATE consumer_offsets SET next_offset = \(offset)")
}

private func storedOffset(_ db: TestDatabase, _ pipeline: Pipeline) async throws -> Int {
    try await db.int(
        "SELECT coalesce(max(next_offset), 0) FROM consumer_offsets WHERE group_id = '\(pipeline.groupPrefix)-attendance'")
}

/// Faults the runtime must survive without losing, doubling or dead-lettering anything
/// (architecture.md, the worker runtime's guarantees): a failure every event hits, a single
/// failing event, a zombie owner, PostgreSQL down at assignment, SIGTERM during an outage.
@Suite("Runtime faults")
struct RuntimeFaultTests {
    /// A missing column (a rolling deploy) fails every event the same way: nothing may be
    /// dead-lettered or marked processed; once the column is back, the batch commits whole.
    @Test(.timeLimit(.minutes(4)))
    func failureOfEveryEventIsRetriedNotDeadLettered() async throws {
        let pipeline = Pipeline("systemic", inputPartitions: 1, batchSize: 20)
        try await pipeline.createTopics()
        try await TestDatabase.with { db in try await Self.retryWithoutDeadLettering(db, pipeline) }
    }

    static func retryWithoutDeadLettering(_ db: TestDatabase, _ pipeline: Pipeline) async throws {
        let workers = try InProcessWorkers(
            [.attendance], relay: false, database: db.store, settings: pipeline.settings(databaseURL: db.url))
        let worker = workers.workers[.attendance]!
        let first = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("sys-a", 10, serial: 21, to: pipeline)))
        try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: first)
        let retriesBefore = worker.stats.retries.load(ordering: .relaxed)

        _ = try await db.rows("ALTER TABLE mark_log RENAME COLUMN minutes_late TO minutes_late_gone")
        let ends = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("sys-b", 10, serial: 22, to: pipeline)))
        let stats = worker.stats
        try await eventually("the worker to retry the batch", timeout: .seconds(60)) {
            let n = stats.retries.load(ordering: .relaxed) - retriesBefore
            return (n >= 3, n)
        }
        let rejectedWhileFailing = try await db.int("SELECT count(*) FROM rejected_events")
        let claimedWhileFailing = try await db.int("SELECT count(*) FROM processed_events")
        let offsetWhileFailing = try await storedOffset(db, pipeline)
        #expect(rejectedWhileFailing == 0, "nothing dead-lettered")
        #expect(claimedWhileFailing == 10, "nothing of the failing batch claimed")
        #expect(offsetWhileFailing == 10, "no offset committed past the failing batch")

        _ = try await db.rows("ALTER TABLE mark_log RENAME COLUMN minutes_late_gone TO minutes_late")
        try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends)
        try await workers.stop()
        let claimed = try await db.int("SELECT count(*) FROM processed_events")
        let marks = try await db.int("SELECT count(*) FROM attendance_marks")
        let rejected = try await db.int("SELECT count(*) FROM rejected_events")
        #expect(claimed == 20)
        #expect(marks == 20)
        #expect(rejected == 0)

        let reader = try OutputReader(topics: pipeline.dlqTopics)
        let dead = try await reader.read("the dead-letter topics", timeout: .seconds(30), quiet: .seconds(4)) { _ in true }
        await reader.close()
        #expect(dead.isEmpty, "dead-lettered: \(dead.count)")
    }

    /// One event that fails on its own data goes to the DLQ as `processing-failed`, and only it;
    /// it is not recorded as processed, so a replay from the DLQ after the fix processes it.
    @Test(.timeLimit(.minutes(3)))
    func oneFailingEventIsDeadLetteredAndLeftUnprocessed() async throws {
        let pipeline = Pipeline("poison", inputPartitions: 1, batchSize: 20)
        try await pipeline.createTopics()
        try await TestDatabase.with { db in
            // A constraint only one event of the batch breaks (SQLSTATE 23514, about its data).
            _ = try await db.rows(
                "ALTER TABLE mark_log ADD CONSTRAINT fdtest_poison CHECK (event_text IS DISTINCT FROM 'poison-3') NOT VALID")
            try await InProcessWorkers.with(
                [.attendance], relay: false, database: db.store, settings: pipeline.settings(databaseURL: db.url)
            ) { _ in
                let ends = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("poison", 10, serial: 23, to: pipeline)))
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends)
            }
            let codes = try await db.strings("SELECT error_code FROM rejected_events")
            #expect(codes == ["processing-failed"])
            let poisonClaims = try await db.int("SELECT count(*) FROM processed_events WHERE event_id = 'poison-3'")
            #expect(poisonClaims == 0, "not claimed")
            let claimed = try await db.int("SELECT count(*) FROM processed_events")
            #expect(claimed == 9)
            let marks = try await db.int("SELECT count(*) FROM attendance_marks")
            #expect(marks == 9)
            let reader = try OutputReader(topics: pipeline.dlqTopics)
            let dead = try await reader.read("the dead-lettered event", timeout: .seconds(30)) { $0.count >= 1 }
            await reader.close()
            #expect(dead.map { $0.header("frontdoor-error-code") } == ["processing-failed"])
        }
    }

    /// A zombie: the partition's owner stalls with a batch in hand (here, a systemic failure)
    /// while another member of its group processes further and commits. When it can write
    /// again it must not move the stored offset back, nor read again what the other committed:
    /// its compare-and-set fails, it drops the batch and starts from the offset PostgreSQL holds.
    @Test(.timeLimit(.minutes(4)))
    func staleOwnerNeverMovesTheStoredOffset() async throws {
        let pipeline = Pipeline("zombie", inputPartitions: 1, batchSize: 20)
        try await pipeline.createTopics()
        let group = "\(pipeline.groupPrefix)-attendance"
        try await TestDatabase.with { db in
            // Every change of a stored offset, to check none went backwards.
            _ = try await db.rows("CREATE TABLE fdtest_offset_moves (old_offset bigint, new_offset bigint)")
            _ = try await db.rows(
                """
                CREATE FUNCTION fdtest_record_move() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO fdtest_offset_moves VALUES (OLD.next_offset, NEW.next_offset); RETURN NEW; END $$
                """)
            _ = try await db.rows(
                "CREATE TRIGGER fdtest_moves AFTER UPDATE ON consumer_offsets FOR EACH ROW EXECUTE FUNCTION fdtest_record_move()")
            try await InProcessWorkers.with(
                [.attendance], relay: false, database: db.store, settings: pipeline.settings(databaseURL: db.url)
            ) { workers in
                let worker = workers.workers[.attendance]!
                let first = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("z-a", 10, serial: 31, to: pipeline)))
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: first)

                // Stall the owner with a batch of offsets 10..<30 at most in hand.
                _ = try await db.rows("ALTER TABLE mark_log RENAME COLUMN minutes_late TO minutes_late_gone")
                _ = try await Pipeline.produce(faultMarks("z-b", 30, serial: 32, to: pipeline))
                try await eventually("the owner to stall", timeout: .seconds(60)) {
                    let n = worker.stats.retries.load(ordering: .relaxed)
                    return (n >= 2, n)
                }
                // Another member processes offsets 10..<40 and commits 40, in one transaction (as a
                // worker does); the stalled owner has not polled any of it as a processed batch.
                _ = try await db.rows(
                    """
                    WITH claimed AS (
                        INSERT INTO processed_events (source, event_id, topic, partition, "offset")
                        SELECT '\(faultSource)', 'z-b-' || n, '\(pipeline.topics.attendance)', 0, 10 + n
                        FROM generate_series(0, 29) AS n
                        RETURNING 1
                    )
                    UPDATE consumer_offsets SET next_offset = 40
                    WHERE group_id = '\(group)' AND (SELECT count(*) FROM claimed) = 30
                    """)
                _ = try await db.rows("ALTER TABLE mark_log RENAME COLUMN minutes_late_gone TO minutes_late")

                let ends = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("z-c", 5, serial: 33, to: pipeline)))
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends)
                let backwards = try await db.strings(
                    "SELECT old_offset || '->' || new_offset FROM fdtest_offset_moves WHERE new_offset < old_offset")
                #expect(backwards.isEmpty, "stored offset moved back: \(backwards)")
                #expect(worker.stats.fenced.load(ordering: .relaxed) >= 1, "the stale batch was refused")
                #expect(worker.stats.duplicates.load(ordering: .relaxed) == 0, "it read nothing the other member committed")
                let stored = try await storedOffset(db, pipeline)
                #expect(stored == 45)
                let marks = try await db.int("SELECT count(*) FROM attendance_marks")
                #expect(marks == 15, "z-a and z-c, each once")
            }
        }
    }

    /// PostgreSQL down when the partitions are assigned, after it lost commits Kafka's committed
    /// offset reflects: the worker must wait for PostgreSQL's offsets, however long, and never
    /// start from Kafka's (which would skip the events of the lost commits for ever). (An outage
    /// this short, under the pool's 60 s circuit breaker, left the old handler waiting in its
    /// first read; the next test makes every read fail.)
    @Test(.timeLimit(.minutes(5)))
    func partitionsWaitForPostgreSQLAtAssignment() async throws {
        let pipeline = Pipeline("assign", inputPartitions: 1, batchSize: 50)
        try await pipeline.createTopics()
        try await withPrivateCluster { server, dir, port in
            try await TestDatabase.with(server: server) { db in
                let settings = pipeline.settings(databaseURL: db.url)
                let first = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("as-a", 40, serial: 41, to: pipeline)))
                // A first run processes everything and commits 40 to Kafka too (on leaving the group).
                try await InProcessWorkers.with([.attendance], relay: false, database: db.store, settings: settings) { _ in
                    try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: first)
                }
                // The database loses its last commits (a restore, an asynchronous replica promoted).
                try await loseCommits(db, from: 20)
                // The private cluster commits asynchronously and stops in immediate mode: flush
                // what this test just wrote, or the stop could lose it too.
                _ = try await db.rows("CHECKPOINT")
                try await stackScript(["pg-private-stop", dir])

                try await InProcessWorkers.with([.attendance], relay: false, database: db.store, settings: settings) { _ in
                    // Longer than the 10 reads of about 2 s the rebalance handler used to try.
                    try await Task.sleep(for: .seconds(30))
                    try await stackScript(["pg-private-start", dir, String(port)])
                    let ends = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("as-b", 5, serial: 42, to: pipeline)))
                    try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends, timeout: .seconds(120))
                    let lost = try await db.unprocessedOffsets(ends: ends)
                    #expect(lost == "none", "offsets never processed: \(lost)")
                    let claimed = try await db.int("SELECT count(*) FROM processed_events")
                    #expect(claimed == 45)
                }
            }
        }
    }

    /// The same with a database that answers, but with an error (here the offsets table is
    /// missing), so every read of the stored offsets fails at once: the partitions still wait.
    @Test(.timeLimit(.minutes(4)))
    func partitionsWaitWhileStoredOffsetsCannotBeRead() async throws {
        let pipeline = Pipeline("assignread", inputPartitions: 1, batchSize: 50)
        try await pipeline.createTopics()
        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url)
            let first = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("ar-a", 40, serial: 43, to: pipeline)))
            try await InProcessWorkers.with([.attendance], relay: false, database: db.store, settings: settings) { _ in
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: first)
            }
            try await loseCommits(db, from: 20)
            _ = try await db.rows("ALTER TABLE consumer_offsets RENAME TO consumer_offsets_gone")
            try await InProcessWorkers.with([.attendance], relay: false, database: db.store, settings: settings) { workers in
                let stats = workers.workers[.attendance]!.stats
                // Longer than the 10 reads of about 2 s the rebalance handler used to try.
                try await Task.sleep(for: .seconds(25))
                let processedMeanwhile = stats.processed.load(ordering: .relaxed)
                _ = try await db.rows("ALTER TABLE consumer_offsets_gone RENAME TO consumer_offsets")
                let ends = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("ar-b", 5, serial: 44, to: pipeline)))
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends, timeout: .seconds(120))
                let lost = try await db.unprocessedOffsets(ends: ends)
                #expect(lost == "none", "offsets never processed: \(lost)")
                #expect(processedMeanwhile == 0, "nothing processed before the stored offsets could be read")
                #expect(stats.retries.load(ordering: .relaxed) > 0)
            }
            let claimed = try await db.int("SELECT count(*) FROM processed_events")
            #expect(claimed == 45)
        }
    }

    /// SIGTERM while the batch retry loop waits out a database outage: the worker stops within
    /// a few seconds, without committing the batch in hand (its offsets live in PostgreSQL; the
    /// private cluster stops in immediate mode with asynchronous commit, so what it held after
    /// the restart says nothing here).
    @Test(.timeLimit(.minutes(4)))
    func sigtermDuringAnOutageStopsTheWorker() async throws {
        let pipeline = Pipeline("sigterm", inputPartitions: 1, batchSize: 20)
        try await pipeline.createTopics()
        try await withPrivateCluster { server, dir, port in
            try await TestDatabase.with(server: server) { db in
                let process = try WorkerProcess(
                    ["worker", "attendance"], name: "sigterm", environment: pipeline.environment(databaseURL: db.url))
                defer { process.cleanUp() }
                let first = Pipeline.endOffsets(try await Pipeline.produce(faultMarks("st-a", 10, serial: 51, to: pipeline)))
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: first)
                try await stackScript(["pg-private-stop", dir])
                _ = try await Pipeline.produce(faultMarks("st-b", 10, serial: 52, to: pipeline))
                try await eventually("the worker to retry against the stopped database", timeout: .seconds(60)) {
                    (process.log.contains("consumption paused"), process.logTail)
                }
                // Let the backoff grow past a second or two.
                try await Task.sleep(for: .seconds(5))
                let signalled = ContinuousClock.now
                process.signal(SIGTERM)
                let exit = try await process.waitForExit(timeout: .seconds(20))
                let took = ContinuousClock.now - signalled
                #expect(exit.reason == .exit && exit.status == 0, "exited cleanly: \(exit); \(process.logTail)")
                #expect(took < .seconds(10), "stopped \(took) after SIGTERM")
                #expect(process.log.contains("the batch in hand is not committed"), "\(process.logTail)")
                try await stackScript(["pg-private-start", dir, String(port)])
            }
        }
    }
}
