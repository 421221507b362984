import FrontDoorMessaging
import FrontDoorStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes outbox rows to the Early Help Units' and the enforcement team's topics.
///
/// Rows are claimed with `FOR UPDATE SKIP LOCKED` inside a transaction, sent with an idempotent
/// producer, and marked sent in the same transaction once their delivery reports arrive. A
/// relay that dies after a send but before its commit leaves the rows unsent, so they are sent
/// again: subscribers may see a notification twice and dedupe on its stable `notificationId`;
/// they never miss one. Any number of relay replicas may run.
public final class NotificationRelay: Service, Sendable {
    let database: FrontDoorDatabase
    let producer: KafkaProducer
    let settings: WorkerSettings
    let logger: Logger
    public let published = Atomic<Int>(0)

    public init(database: FrontDoorDatabase, producer: KafkaProducer, settings: WorkerSettings, logger: Logger) {
        self.database = database
        self.producer = producer
        self.settings = settings
        var logger = logger
        logger[metadataKey: "worker"] = "relay"
        self.logger = logger
    }

    public func run() async throws {
        var failures = 0
        var lastReport = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let sent = try await publishOnce(limit: max(1, settings.batchSize))
                failures = 0
                if sent == 0 { try await Task.sleep(for: settings.relayInterval) }
            } catch let error as CancellationError {
                throw error
            } catch {
                failures += 1
                let wait = Duration.milliseconds(min(5000, 200 << min(failures, 5)))
                logger.warning("relay could not publish; retrying", metadata: ["error": "\(error)", "retryInMs": "\(wait.milliseconds)"])
                try await Task.sleep(for: wait)
            }
            if ContinuousClock.now - lastReport > .seconds(30) {
                lastReport = .now
                logger.info("progress", metadata: ["published": "\(published.load(ordering: .relaxed))"])
            }
        }
        logger.info("relay stopping", metadata: ["published": "\(published.load(ordering: .relaxed))"])
    }

    /// Claims up to `limit` unsent rows, publishes them and marks those delivered as sent.
    /// Returns how many were published.
    @discardableResult
    public func publishOnce(limit: Int) async throws -> Int {
        let (count, failure) = try await database.withTransaction { tx -> (Int, KafkaError?) in
            let rows = try await tx.fetchUnsent(limit: limit)
            guard !rows.isEmpty else { return (0, nil) }
            let messages = rows.map { row in
                KafkaProducerMessage(
                    topic: row.topic, key: Array(row.key.utf8), value: Array(row.payload),
                    headers: row.headers.sorted { $0.key < $1.key }.map { KafkaHeader(key: $0.key, string: $0.value) })
            }
            let results = await self.producer.send(messages)
            var delivered: [String] = []
            var firstFailure: KafkaError?
            for (row, result) in zip(rows, results) {
                switch result {
                case .success: delivered.append(row.notificationId)
                case .failure(let e): firstFailure = firstFailure ?? e
                }
            }
            try await tx.markSent(ids: delivered)
            return (delivered.count, firstFailure)
        }
        published.add(count, ordering: .relaxed)
        if let failure { throw failure }
        return count
    }
}
