import FrontDoorMessaging
import Metrics
import Synchronization

/// A consumer worker's health and read-on-demand gauges.
///
/// - Live while its poll loop turned within ``WorkerSettings/livenessDeadline``: the loop polls
///   at least every batch wait, and keeps polling while it waits out an outage or a slow
///   database call, so a loop that does not turn is stuck.
/// - Ready while its group has assigned it partitions and PostgreSQL answers. A replica beyond
///   the topics' partition count is live but never ready.
/// - Lag per owned partition: the high watermark the partition's leader reports now minus the
///   next offset PostgreSQL holds for it (the low watermark when none is stored yet), so it keeps
///   growing while the worker is paused by an outage. A partition whose offset is being read
///   again keeps its last figure; the gauges of partitions the worker lost are removed.
extension BatchWorker: HealthReporting {
    public func livenessProblem() -> String? {
        pulse.problem.map { "\(handler.name): \($0)" }
    }

    public func readinessProblem() async -> String? {
        if committed.owned.isEmpty { return "\(handler.name): no partitions assigned" }
        if !(await database.answers()) { return "\(handler.name): PostgreSQL does not answer" }
        return nil
    }

    public func refreshMetrics() async {
        let worker = [("worker", handler.name)]
        metrics.metrics.gauge(MetricName.pollLoopLastTurn, worker).record(pulse.lastTurnUnixTime)
        // The readiness probe (up to one probe timeout while PostgreSQL is away) runs beside the
        // lag query, so a scrape waits for the slower of the two, not their sum.
        async let problem = readinessProblem()
        await handler.refreshMetrics()
        await refreshLag()
        metrics.metrics.gauge(MetricName.workerReady, worker).record(await problem == nil ? 1 : 0)
    }

    /// Per-partition lag: the partitions' end offsets (one ListOffsets request per leader)
    /// minus the next offsets stored in PostgreSQL.
    func refreshLag() async {
        guard let consumer = currentConsumer.withLock({ $0 }) else { return }
        // One query at a time: scrapes that come while the broker is slow keep the last figures
        // rather than queue up behind it.
        guard metrics.lagQuery.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        let owned = committed.owned
        let ready = Array(committed.ready)
        let stored = committed.snapshot
        // A partition with no stored offset yet starts at its low watermark, which moves only with
        // retention: it is asked for once a minute, not at every scrape.
        let unstored = ready.filter { stored[$0] == nil }
        let answer = await withProbeTimeout { [metrics] in
            defer { metrics.lagQuery.store(false, ordering: .releasing) }
            let high = try await consumer.listOffsets(ready, at: KafkaTopicPartitionOffset.end)
            let stale = metrics.staleLowWatermarks(of: unstored)
            if !stale.isEmpty {
                metrics.remember(lowWatermarks: try await consumer.listOffsets(stale, at: KafkaTopicPartitionOffset.beginning))
            }
            return high
        }
        let low = metrics.lowWatermarks
        var lag: [KafkaTopicPartition: Int64] = [:]
        for (tp, high) in answer ?? [:] {
            guard let start = stored[tp] ?? low[tp] else { continue }
            lag[tp] = max(0, high - start)
        }
        metrics.report(lag: lag, owned: owned)
    }
}
