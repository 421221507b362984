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
#endif

/// "A crash at any instant loses nothing and counts nothing twice" (architecture.md): a
/// `frontdoor worker attendance` process is killed with SIGKILL while it works through a
/// simulated feed, then restarted; the database ends exactly as after an uninterrupted run of
/// the same feed (through its own topics, in-process, into another database).
@Suite("Crash recovery")
struct CrashRecoveryTests {
    @Test(.timeLimit(.minutes(6)))
    func workerKilledMidStreamAndRestartedEndsAsAnUninterruptedRun() async throws {
        let feed = SimulatedFeed.attendance(pupils: 300, days: 10, seed: 4242)
        let reference = Pipeline("crash-reference", batchSize: 100)
        let crashed = reference.sibling("crash")
        async let uninterrupted = reference.run([.attendance]) { p, _ in
            try await Pipeline.produce(SimulatedFeed.messages(feed, to: p))
        }

        try await crashed.createTopics()
        let actual = try await TestDatabase.with { db in
            let env = crashed.environment(databaseURL: db.url)
            let ends = Pipeline.endOffsets(try await Pipeline.produce(SimulatedFeed.messages(feed, to: crashed)))

            let first = try WorkerProcess(["worker", "attendance"], name: "crash-first", environment: env)
            defer { first.cleanUp() }
            // Kill it once a fifth of the feed is in.
            try await eventually("the first worker to process a fifth of the feed", timeout: .seconds(120), interval: .milliseconds(20)) {
                let n = try await db.int("SELECT count(*) FROM processed_events")
                return (n >= feed.count / 5 || !first.isRunning, "\(n) of \(feed.count); log: \(first.logTail)")
            }
            // The count moves when a batch commits, so seeing it cross the mark means a batch has
            // just committed; wait a random part of a batch's time so the kill lands anywhere in
            // the next one (with batches of 100 here, one takes roughly 100-300 ms).
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<400)))
            first.signal(SIGKILL)
            let exit = try await first.waitForExit()
            #expect(exit.reason == .uncaughtSignal && exit.status == SIGKILL, "killed, not exited: \(exit)")
            let atKill = try await db.int("SELECT count(*) FROM processed_events")
            try #require(atKill < feed.count, "the worker finished (\(atKill) events) before it could be killed; feed more")

            let second = try WorkerProcess(["worker", "attendance"], name: "crash-second", environment: env)
            defer { second.cleanUp() }
            try await crashed.waitUntilConsumed(db, worker: "attendance", ends: ends, timeout: .seconds(240))
            second.signal(SIGTERM)
            let stopped = try await second.waitForExit()
            #expect(stopped.reason == .exit && stopped.status == 0, "restarted worker drained and exited 0: \(second.logTail)")
            #expect(
                second.log.split(separator: "\n").contains {
                    $0.contains("partitions started from stored offsets") && !$0.contains("fromDatabase=0 ")
                },
                "the restarted worker resumed from offsets in PostgreSQL: \(second.logTail)")
            return try await Totals.of(db)
        }
        let expected = try await uninterrupted.totals

        #expect(actual.processedEvents == feed.count, "every event processed once")
        #expect(actual.attendanceMarks == feed.count)
        #expect(actual == expected, "after a crash \(actual) vs uninterrupted \(expected): \(actual.difference(from: expected))")
        #expect(!expected.notifications.isEmpty, "the feed raises notifications to compare")
    }
}
