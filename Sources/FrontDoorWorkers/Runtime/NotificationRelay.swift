import Foundation
import FrontDoorMessaging
import FrontDoorStore
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes outbox rows to the Early Help Units' and the enforcement team's topics.
///
/// - Rows are **claimed** in a short transaction (``StoreTransaction/claimUnsent(limit:lease:)``:
///   `FOR UPDATE SKIP LOCKED`, then a lease of ``WorkerSettings/relayLease`` written to the row),
///   sent with an idempotent producer **outside** any transaction, and marked sent (or failed)
///   in a second short one. No row lock is held while a send waits for its delivery report.
/// - Up to ``maximumInFlight`` claimed batches are in flight at once, so a batch waiting out the
///   message timeout on an undeliverable row (a unit's topic missing or denied) never delays the
///   rows claimed after it: one undeliverable row does not delay any other unit's notifications.
/// - A failed send is recorded on its row (`attempts`, `last_error`, `next_attempt_at`): the row is
///   retried with exponential backoff (``WorkerSettings/relayRetryInitial`` doubling up to
///   ``WorkerSettings/relayRetryMaximum``) and no longer sits at the head of the queue. Failed
///   sends are counted (``failedSends``) and logged with the progress line.
/// - A relay that dies after a send but before marking it leaves the row to be claimed again when
///   its lease ends, so subscribers may see a notification twice and dedupe on its stable
///   `notificationId`; they never miss one. Any number of relay replicas may run.
/// - On graceful shutdown it stops claiming at once (also while the database is down: waits for
///   the database and sleeps are cut short), waits for the batches in flight (at most the
///   producer's message timeout) and returns.
public final class NotificationRelay: Service, Sendable {
    let database: FrontDoorDatabase
    let producer: KafkaProducer
    let settings: WorkerSettings
    let logger: Logger
    /// Notifications delivered and marked sent.
    public let published = Atomic<Int>(0)
    /// Sends that failed (each failure of each row counts once).
    public let failedSends = Atomic<Int>(0)
    /// Claimed batches whose sends have not all completed.
    let inFlight = Atomic<Int>(0)
    /// Most claimed batches in flight at once.
    public let maximumInFlight = 4
    let metrics: FrontDoorMetrics
    /// The claim loop's last turn (`/health/live`).
    public let pulse: LoopPulse

    public init(
        database: FrontDoorDatabase, producer: KafkaProducer, settings: WorkerSettings, logger: Logger,
        metrics: FrontDoorMetrics = FrontDoorMetrics()
    ) {
        self.database = database
        self.producer = producer
        self.settings = settings
        self.metrics = metrics
        self.pulse = LoopPulse(deadline: settings.relayLivenessDeadline)
        var logger = logger
        logger[metadataKey: "worker"] = "relay"
        self.logger = logger
    }

    var progress: Logger.Metadata {
        ["published": "\(published.load(ordering: .relaxed))", "failedSends": "\(failedSends.load(ordering: .relaxed))"]
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            var failures = 0
            var lastReport = ContinuousClock.now
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                pulse.beat()
                if ContinuousClock.now - lastReport > .seconds(30) {
                    lastReport = .now
                    logger.info("progress", metadata: progress)
                }
                if inFlight.load(ordering: .relaxed) >= maximumInFlight {
                    await sleepUnlessShuttingDown(settings.relayInterval)
                    continue
                }
                let rows: [OutboxMessage]
                do {
                    rows = try await claim(limit: max(1, settings.batchSize))
                    failures = 0
                } catch {
                    if Task.isShuttingDownGracefully || Task.isCancelled { break }
                    failures += 1
                    let wait = Duration.milliseconds(min(5000, 200 << min(failures, 5)))
                    logger.warning(
                        "relay could not claim notifications; retrying", metadata: ["error": "\(error)", "retryInMs": "\(wait.milliseconds)"])
                    await sleepUnlessShuttingDown(wait)
                    continue
                }
                if rows.isEmpty {
                    await sleepUnlessShuttingDown(settings.relayInterval)
                    continue
                }
                inFlight.add(1, ordering: .relaxed)
                group.addTask {
                    await self.deliver(rows)
                    self.inFlight.subtract(1, ordering: .relaxed)
                }
            }
        }
        logger.info("relay stopping", metadata: progress)
    }

    /// Claims due rows in a transaction of its own; cut short by graceful shutdown.
    func claim(limit: Int) async throws -> [OutboxMessage] {
        try await cancelWhenGracefulShutdown { [database, settings] in
            try await database.withTransaction { tx in try await tx.claimUnsent(limit: limit, lease: settings.relayLease) }
        }
    }

    /// Sends claimed rows and records the outcome of each: sent, or failed with backoff.
    func deliver(_ rows: [OutboxMessage]) async {
        let results = await producer.send(rows.map(Self.message))
        var delivered: [String] = []
        var failed: [(notificationId: String, error: String)] = []
        var publishedByTopic: [String: Int] = [:]
        for (row, result) in zip(rows, results) {
            switch result {
            case .success:
                delivered.append(row.notificationId)
                publishedByTopic[row.topic, default: 0] += 1
            case .failure(let e): failed.append((row.notificationId, e.description))
            }
        }
        for (topic, n) in publishedByTopic {
            metrics.count(MetricName.notificationsPublished, [("topic", topic)], by: n)
        }
        failedSends.add(failed.count, ordering: .relaxed)
        for (row, result) in zip(rows, results) {
            guard case .failure(let error) = result else { continue }
            logger.warning(
                "notification not delivered; will retry with backoff",
                metadata: [
                    "notificationId": "\(row.notificationId)", LogKeys.eventID: "\(row.notificationId)", "topic": "\(row.topic)",
                    "attempts": "\(row.attempts + 1)",
                    "error": "\(error)",
                ])
        }
        await record(delivered: delivered, failed: failed)
    }

    /// Marks `delivered` sent and records `failed`, retrying while the database is unavailable
    /// (not after a graceful shutdown began: those rows are sent again when their lease ends).
    func record(delivered: [String], failed: [(notificationId: String, error: String)]) async {
        var attempt = 0
        while true {
            do {
                let marked = try await database.withTransaction { [settings] tx in
                    let marked = try await tx.markSent(ids: delivered)
                    try await tx.recordSendFailures(
                        failed, initialBackoff: settings.relayRetryInitial, maximumBackoff: settings.relayRetryMaximum)
                    return marked
                }
                published.add(marked, ordering: .relaxed)
                return
            } catch {
                attempt += 1
                if Task.isShuttingDownGracefully || Task.isCancelled || attempt >= 10 {
                    logger.error(
                        "could not record sends; the rows will be sent again when their lease ends",
                        metadata: ["error": "\(error)", "delivered": "\(delivered.count)", "failed": "\(failed.count)"])
                    return
                }
                await sleepUnlessShuttingDown(.milliseconds(min(5000, 200 << min(attempt, 5))))
            }
        }
    }

    static func message(_ row: OutboxMessage) -> KafkaProducerMessage {
        KafkaProducerMessage(
            topic: row.topic, key: Array(row.key.utf8), value: Array(row.payload),
            headers: row.headers.sorted { $0.key < $1.key }.map { KafkaHeader(key: $0.key, string: $0.value) })
    }

    /// Claims up to `limit` due rows, publishes them and records the outcome, in the calling task.
    /// Returns how many were published (tests, tools).
    @discardableResult
    public func publishOnce(limit: Int) async throws -> Int {
        let rows = try await database.withTransaction { [settings] tx in
            try await tx.claimUnsent(limit: limit, lease: settings.relayLease)
        }
        guard !rows.isEmpty else { return 0 }
        let before = published.load(ordering: .relaxed)
        await deliver(rows)
        return published.load(ordering: .relaxed) - before
    }
}

/// Sleeps for `duration`, returning early on graceful shutdown or cancellation.
func sleepUnlessShuttingDown(_ duration: Duration) async {
    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}
