import Foundation
import FrontDoorStore
import FrontDoorWorkers
import Testing

/// Shutdown during an outage (issue 8, item 9; operations.md, "SIGTERM / SIGINT"): the relay and
/// the CME scheduler honour a graceful shutdown while they wait for a database that is down,
/// instead of waiting out the connection pool (about 60 s) or their retry sleeps.
@Suite("Shutdown during a database outage")
struct ShutdownDuringOutageTests {
    @Test("the relay and the CME scheduler stop on graceful shutdown while PostgreSQL is unreachable", .timeLimit(.minutes(2)))
    func relayAndSchedulerStopDuringOutage() async throws {
        // Nothing listens on port 1: every connection attempt is refused, as when PostgreSQL is down.
        let unreachable = "postgres://frontdoor:frontdoor@127.0.0.1:1/frontdoor?sslmode=disable"
        let pipeline = Pipeline("outagestop", inputPartitions: 1)
        var settings = pipeline.settings(databaseURL: unreachable)
        settings.schedulerInterval = .seconds(30)
        try await TestDatabase.withRunning(unreachable) { database in
            let services = try InProcessWorkers([], relay: true, scheduler: true, database: database, settings: settings)
            // Both are now waiting on the pool for a connection (set-up, not a measurement).
            try await Task.sleep(for: .seconds(2))
            // `stop` records an issue (and cancels) if the group has not stopped within `grace`.
            try await services.stop(grace: .seconds(10))
        }
    }
}
