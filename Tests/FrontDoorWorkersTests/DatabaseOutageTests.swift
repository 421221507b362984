import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Synchronization
import Testing

/// A database outage mid-stream (architecture.md; the runtime pauses consumption and retries
/// with backoff): the attendance worker writes to a private PostgreSQL cluster that is stopped
/// for ten seconds while it works through a simulated feed, then started again. Nothing is lost
/// and nothing doubled: the database ends as after an uninterrupted run of the same feed.
@Suite("Database outage")
struct DatabaseOutageTests {
    @Test(.timeLimit(.minutes(6)))
    func tenSecondOutageLosesNothingAndDoublesNothing() async throws {
        let feed = SimulatedFeed.attendance(pupils: 300, days: 10, seed: 99)
        let reference = Pipeline("outage-reference", batchSize: 100)
        let pipeline = reference.sibling("outage")
        async let uninterrupted = reference.run([.attendance]) { p, _ in
            try await Pipeline.produce(SimulatedFeed.messages(feed, to: p))
        }

        try await pipeline.createTopics()
        let actual: Totals = try await withPrivateCluster { server, dir, port in
            try await TestDatabase.with(server: server) { db in
                try await InProcessWorkers.with(
                    [.attendance], relay: false, database: db.store, settings: pipeline.settings(databaseURL: db.url)
                ) { workers in
                    let worker = workers.workers[.attendance]!
                    let ends = Pipeline.endOffsets(try await Pipeline.produce(SimulatedFeed.messages(feed, to: pipeline)))
                    try await eventually("a fifth of the feed processed", timeout: .seconds(120), interval: .milliseconds(20)) {
                        let n = worker.stats.processed.load(ordering: .relaxed)
                        return (n >= feed.count / 5, n)
                    }
                    try await stackScript(["pg-private-stop", dir])
                    let atStop = worker.stats.processed.load(ordering: .relaxed)
                    try #require(atStop < feed.count, "the worker finished before the outage; feed more")
                    try await Task.sleep(for: .seconds(10))
                    let duringOutage = worker.stats.processed.load(ordering: .relaxed)
                    try await stackScript(["pg-private-start", dir, String(port)])

                    try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends, timeout: .seconds(240))
                    let lost = try await db.unprocessedOffsets(ends: ends)
                    #expect(lost == "none", "offsets never processed: \(lost)")
                    // The worker either failed a batch and retried it or waited for a connection;
                    // either way it stalled mid-stream: at most the batch in hand when the
                    // database went can have committed meanwhile.
                    #expect(duringOutage < feed.count, "the outage stalled the worker mid-stream")
                    #expect(duringOutage - atStop <= pipeline.batchSize, "nothing committed while the database was down")
                }
                return try await Totals.of(db)
            }
        }
        let expected = try await uninterrupted.totals

        #expect(actual.processedEvents == feed.count, "every event processed once")
        #expect(actual.attendanceMarks == feed.count)
        #expect(actual == expected, "after an outage \(actual) vs uninterrupted \(expected): \(actual.difference(from: expected))")
    }
}
