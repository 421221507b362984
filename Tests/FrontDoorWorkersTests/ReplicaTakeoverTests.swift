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

/// Scaling out (architecture.md): two `frontdoor worker attendance` replicas share a
/// six-partition topic; one is stopped with SIGTERM mid-stream, drains (finishes its batch,
/// commits, leaves the group) and exits 0; the other takes its partitions over from the offsets
/// in PostgreSQL. The database ends exactly as after one uninterrupted worker.
@Suite("Replica takeover")
struct ReplicaTakeoverTests {
    @Test(.timeLimit(.minutes(6)))
    func stoppedReplicaDrainsAndTheOtherTakesOver() async throws {
        let feed = SimulatedFeed.attendance(pupils: 300, days: 10, seed: 31337)
        let reference = Pipeline("replicas-reference", inputPartitions: 6, batchSize: 100)
        let pipeline = reference.sibling("replicas")
        async let uninterrupted = reference.run([.attendance]) { p, _ in
            try await Pipeline.produce(SimulatedFeed.messages(feed, to: p))
        }

        try await pipeline.createTopics()
        let actual = try await TestDatabase.with { db in
            let env = pipeline.environment(databaseURL: db.url)
            let a = try WorkerProcess(["worker", "attendance"], name: "replica-a", environment: env)
            defer { a.cleanUp() }
            let b = try WorkerProcess(["worker", "attendance"], name: "replica-b", environment: env)
            defer { b.cleanUp() }
            // Both own partitions before the feed arrives, so both work on it.
            let all = Set((0..<6).map { "\(pipeline.topics.attendance)[\($0)]" })
            @Sendable func attendance(_ p: WorkerProcess) -> Set<String> { p.ownedPartitions.intersection(all) }
            try await eventually("the replicas to share the six partitions", timeout: .seconds(90)) {
                let (pa, pb) = (attendance(a), attendance(b))
                return (!pa.isEmpty && !pb.isEmpty && pa.isDisjoint(with: pb) && pa.union(pb) == all, "a=\(pa.sorted()) b=\(pb.sorted())")
            }
            let ends = Pipeline.endOffsets(try await Pipeline.produce(SimulatedFeed.messages(feed, to: pipeline)))

            try await eventually("a quarter of the feed processed", timeout: .seconds(120), interval: .milliseconds(20)) {
                let n = try await db.int("SELECT count(*) FROM processed_events")
                return (n >= feed.count / 4, n)
            }
            let owned = attendance(a)
            a.signal(SIGTERM)
            let exit = try await a.waitForExit(timeout: .seconds(60))
            #expect(exit.reason == .exit && exit.status == 0, "the stopped replica drained and exited 0: \(exit) \(a.logTail)")
            #expect(a.log.contains("draining"), "it logged its drain: \(a.logTail)")
            // Its partitions still had work left when it stopped, so the other one really took over.
            let stored = try await storedOffsets(db, pipeline)
            let left = owned.filter { tp in (stored[tp] ?? 0) < (ends.first { "\($0.key)" == tp }?.value ?? 0) }
            #expect(!left.isEmpty, "the stopped replica's partitions \(owned.sorted()) had nothing left to take over")

            try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends, timeout: .seconds(240))
            #expect(attendance(b) == all, "the remaining replica owns every partition: \(attendance(b).sorted())")
            b.signal(SIGTERM)
            let bExit = try await b.waitForExit(timeout: .seconds(60))
            #expect(bExit.reason == .exit && bExit.status == 0)
            return try await Totals.of(db)
        }
        let expected = try await uninterrupted.totals

        #expect(actual.processedEvents == feed.count, "every event processed once")
        #expect(actual == expected, "two replicas \(actual) vs one \(expected): \(actual.difference(from: expected))")
    }

    /// `topic[partition]` → next offset stored for the attendance group.
    private func storedOffsets(_ db: TestDatabase, _ pipeline: Pipeline) async throws -> [String: Int64] {
        let rows = try await db.rows(
            "SELECT topic, partition::text, next_offset::text FROM consumer_offsets WHERE group_id = '\(pipeline.groupPrefix)-attendance'")
        return Dictionary(uniqueKeysWithValues: rows.map { ("\($0[0]!)[\($0[1]!)]", Int64($0[2]!)!) })
    }
}
