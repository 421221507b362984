import FrontDoorMessaging
import FrontDoorStore
import Metrics

/// The relay's health and outbox gauges.
///
/// - Live while its claim loop turned within ``WorkerSettings/relayLivenessDeadline``: the loop
///   turns every ``WorkerSettings/relayInterval`` when idle, but a claim may wait out the pool's
///   circuit breaker (about 60 s) while PostgreSQL is down.
/// - Ready while PostgreSQL answers and its producer can send (not closed, no fatal error).
/// - `frontdoor_outbox_backlog` and `frontdoor_outbox_oldest_age_seconds` are read from the
///   outbox at each scrape; when PostgreSQL does not answer they keep their last figures.
extension NotificationRelay: HealthReporting {
    public func livenessProblem() -> String? {
        pulse.problem.map { "relay: \($0)" }
    }

    public func readinessProblem() async -> String? {
        if let problem = producer.problem { return "relay: \(problem)" }
        if !(await database.answers()) { return "relay: PostgreSQL does not answer" }
        return nil
    }

    public func refreshMetrics() async {
        let worker = [("worker", "relay")]
        metrics.gauge(MetricName.pollLoopLastTurn, worker).record(pulse.lastTurnUnixTime)
        // Side by side, so a scrape while PostgreSQL is away takes one probe timeout, not two.
        async let problem = readinessProblem()
        async let backlog = withProbeTimeout { [database] in
            try await database.withTransaction(readOnly: true) { tx in try await tx.unsentBacklog() }
        }
        metrics.gauge(MetricName.workerReady, worker).record(await problem == nil ? 1 : 0)
        if let backlog = await backlog {
            metrics.gauge(MetricName.outboxBacklog).record(backlog.count)
            metrics.gauge(MetricName.outboxOldestAge).record(backlog.oldestAgeSeconds)
        }
    }
}
