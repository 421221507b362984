import Dispatch
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The worker runtime: consume a batch, decode it, write its facts, decisions, outbox rows
/// and next offsets in **one** PostgreSQL transaction, then tell Kafka (a hint for lag tools).
///
/// - Offsets live in PostgreSQL: on assignment each partition starts from the offset stored
///   there (``StoredOffsets``), so a crash at any instant loses nothing and counts nothing twice.
/// - Rejects go to `<topic>.dlq` with the headers of events.md in the same batch, before its
///   transaction commits; a rejected message never stops its partition. A crash between the
///   DLQ send and the commit can send a reject to the DLQ twice (at least once).
/// - A database outage pauses consumption (no polling) and retries the batch with capped
///   exponential backoff; then it resumes where it was, with nothing lost.
/// - A statement that fails on one event's data (a bug, a constraint) would fail every retry:
///   the batch is then processed event by event in savepoints and the failing event goes to the
///   DLQ as `processing-failed`, so one bad event never stalls a partition.
/// - On graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`) it finishes the batch in
///   hand, commits, leaves the group and returns.
/// - Every batch first checks that PostgreSQL still holds the offsets this worker last committed
///   for its partitions. A database that loses acknowledged commits (a crash with asynchronous
///   commit, a failover to an asynchronous replica) would otherwise leave the events of those
///   batches unprocessed for ever, since the consumer's position has moved past them: the worker
///   then drops the batch in hand and rejoins the group, which starts every partition again
///   from the offsets the database holds.
public final class BatchWorker: Service, Sendable {
    let handler: any BatchHandler
    let database: FrontDoorDatabase
    let dlqProducer: KafkaProducer
    let settings: WorkerSettings
    let group: String
    let logger: Logger
    public let stats = WorkerStats()
    /// The next offset PostgreSQL holds for each partition this worker owns, as far as it knows:
    /// read on assignment, advanced by each committed batch.
    let committed = CommittedOffsets()

    public init(
        handler: any BatchHandler, database: FrontDoorDatabase, dlqProducer: KafkaProducer, settings: WorkerSettings,
        logger: Logger
    ) {
        self.handler = handler
        self.database = database
        self.dlqProducer = dlqProducer
        self.settings = settings
        self.group = settings.group(handler.name)
        var logger = logger
        logger[metadataKey: "worker"] = "\(handler.name)"
        self.logger = logger
    }

    public func run() async throws {
        while true {
            let offsets = StoredOffsets(database: database, group: group, committed: committed, logger: logger)
            let consumer = try KafkaConsumer(
                configuration: settings.consumerConfiguration(group: group), rebalanceHandler: offsets, logger: logger)
            try consumer.subscribe(topics: handler.topics)
            logger.info("consuming", metadata: ["topics": "\(handler.topics.joined(separator: ","))", "group": "\(group)"])
            do {
                try await consume(consumer)
            } catch let lost as CommittedOffsetsLost {
                logger.error(
                    "PostgreSQL no longer holds offsets this worker committed; rejoining to start again from the offsets it holds",
                    metadata: ["partitions": "\(lost.partitions.map(\.description).sorted().joined(separator: ","))"])
                stats.rejoins.add(1, ordering: .relaxed)
                try? await consumer.close()
                committed.reset()
                continue
            }
            logger.info("draining: last batch committed, leaving the group", metadata: stats.metadata)
            try? await consumer.commit()
            try await consumer.close()
            return
        }
    }

    /// Polls and processes batches until shutdown.
    func consume(_ consumer: KafkaConsumer) async throws {
        var lastReport = ContinuousClock.now
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let batch = try await consumer.poll(maxMessages: settings.batchSize, timeout: settings.batchWait)
            if !batch.isEmpty {
                try await process(batch, consumer: consumer)
                try consumer.storeOffsets(for: batch)
                try? consumer.commitInBackground()
            }
            if ContinuousClock.now - lastReport > .seconds(30) {
                lastReport = .now
                logger.info("progress", metadata: stats.metadata)
            }
        }
    }

    /// Processes one polled batch until it is committed, retrying while the database is down.
    func process(_ batch: KafkaConsumerBatch, consumer: KafkaConsumer) async throws {
        var valid: [IncomingEvent] = []
        var rejects: [RejectedMessage] = []
        for message in batch {
            switch handler.decode(message) {
            case .success(let event): valid.append(IncomingEvent(message: message, event: event))
            case .failure(let reject): rejects.append(RejectedMessage(message: message, reject: reject))
            }
        }
        var attempt = 0
        var isolate = false
        var paused: [KafkaTopicPartition] = []
        defer { if !paused.isEmpty { try? consumer.resume(paused) } }
        while true {
            do {
                let outcome = try await database.withTransaction { tx in
                    try await self.apply(batch, valid: valid, rejects: rejects, isolate: isolate, in: tx)
                }
                committed.advance(batch.nextOffsets)
                stats.record(outcome)
                if attempt > 0 { logger.notice("batch committed after retry", metadata: ["attempts": "\(attempt + 1)"]) }
                return
            } catch let error as StoreError where error.isRetryable {
                if paused.isEmpty, let assigned = try? consumer.assignment() {
                    paused = assigned
                    try? consumer.pause(assigned)
                }
                let wait = backoff(attempt)
                logger.warning(
                    "database unavailable; consumption paused, retrying",
                    metadata: ["error": "\(error)", "attempt": "\(attempt + 1)", "retryInMs": "\(wait.milliseconds)"])
                stats.retries.add(1, ordering: .relaxed)
                attempt += 1
                try await Task.sleep(for: wait)
            } catch let error as KafkaError {
                let wait = backoff(attempt)
                logger.warning(
                    "dead-letter queue unavailable; retrying the batch",
                    metadata: ["error": "\(error)", "retryInMs": "\(wait.milliseconds)"])
                attempt += 1
                try await Task.sleep(for: wait)
            } catch let error as StoreError {
                if !isolate {
                    // Not retryable as a whole: find the event that fails and dead-letter only it.
                    logger.error("batch failed; retrying event by event", metadata: ["error": "\(error)"])
                    isolate = true
                    continue
                }
                // Even event by event the batch fails outside any one event's processing (a
                // schema not migrated yet, a permission): keep the partition where it is and
                // retry with backoff rather than skip or crash.
                let wait = backoff(attempt)
                logger.error(
                    "batch cannot be written; retrying",
                    metadata: ["error": "\(error)", "attempt": "\(attempt + 1)", "retryInMs": "\(wait.milliseconds)"])
                stats.retries.add(1, ordering: .relaxed)
                attempt += 1
                try await Task.sleep(for: wait)
            }
        }
    }

    struct BatchOutcome: Sendable {
        var processed = 0
        var duplicates = 0
        var rejected: [RejectCode: Int] = [:]
    }

    func apply(
        _ batch: KafkaConsumerBatch, valid: [IncomingEvent], rejects decodeRejects: [RejectedMessage], isolate: Bool,
        in tx: StoreTransaction
    ) async throws -> BatchOutcome {
        try await checkCommittedOffsets(in: tx)
        var rejects = decodeRejects
        let prechecked = try await handler.precheck(valid, in: tx)
        let precheckedOffsets = Set(prechecked.map { MessagePosition($0.message) })
        rejects += prechecked
        let candidates = valid.filter { !precheckedOffsets.contains(MessagePosition($0.message)) }

        // Idempotency: (source, id) is claimed once; a re-sent event has no second effect, on
        // any partition, in this batch or any later one.
        let claims = candidates.map {
            EventClaim(
                source: $0.event.envelope.source, id: $0.event.envelope.id, topic: $0.message.topic,
                partition: $0.message.partition, offset: $0.message.offset)
        }
        let fresh = try await tx.claimEvents(claims)
        var seen = Set<EventKey>()
        let new = candidates.filter {
            let key = EventKey(source: $0.event.envelope.source, id: $0.event.envelope.id)
            return fresh.contains(key) && seen.insert(key).inserted
        }

        if isolate {
            for event in new {
                do {
                    try await tx.withSavepoint { sp in try await self.handler.handle([event], in: sp) }
                } catch let error as StoreError where !error.isRetryable {
                    rejects.append(
                        RejectedMessage(
                            message: event.message,
                            reject: Reject(.processingFailed, "The event could not be processed and needs investigation.")))
                    logger.error(
                        "event dead-lettered after a processing failure",
                        metadata: ["error": "\(error)", "partition": "\(event.message.partition)", "offset": "\(event.message.offset)"])
                }
            }
        } else if !new.isEmpty {
            try await handler.handle(new, in: tx)
        }

        for r in rejects {
            try await tx.recordRejected(
                topic: r.message.topic, partition: r.message.partition, offset: r.message.offset, errorCode: r.reject.code.rawValue)
        }
        try await DeadLetterQueue(producer: dlqProducer, topics: settings.topics, logger: logger).send(rejects)

        var byTopic: [String: [(partition: Int32, nextOffset: Int64)]] = [:]
        for o in batch.nextOffsets { byTopic[o.topic, default: []].append((o.partition, o.offset)) }
        for (topic, offsets) in byTopic { try await tx.saveOffsets(group: group, topic: topic, offsets) }

        var outcome = BatchOutcome()
        outcome.processed = new.count
        outcome.duplicates = candidates.count - new.count
        for r in rejects { outcome.rejected[r.reject.code, default: 0] += 1 }
        return outcome
    }

    /// Throws ``CommittedOffsetsLost`` when PostgreSQL holds an offset below the one this worker
    /// last committed for a partition it owns (or none at all): commits it was told succeeded
    /// are gone, and the events they covered must be read again.
    func checkCommittedOffsets(in tx: StoreTransaction) async throws {
        let expected = committed.snapshot
        guard !expected.isEmpty else { return }
        var lost: [KafkaTopicPartition] = []
        for topic in Set(expected.keys.map(\.topic)) {
            let stored = try await tx.loadOffsets(group: group, topic: topic)
            for (tp, offset) in expected where tp.topic == topic && (stored[tp.partition] ?? -1) < offset {
                lost.append(tp)
            }
        }
        if !lost.isEmpty { throw CommittedOffsetsLost(partitions: lost) }
    }

    func backoff(_ attempt: Int) -> Duration {
        let initial = settings.retryInitial.milliseconds
        let capped = min(settings.retryMaximum.milliseconds, initial << min(attempt, 16))
        return .milliseconds(capped)
    }
}

struct MessagePosition: Hashable {
    var topic: String
    var partition: Int32
    var offset: Int64
    init(_ m: KafkaConsumerMessage) {
        topic = m.topic
        partition = m.partition
        offset = m.offset
    }
}

/// Counters of one worker process, logged every 30 seconds and at shutdown.
public final class WorkerStats: Sendable {
    public let processed = Atomic<Int>(0)
    public let duplicates = Atomic<Int>(0)
    public let rejected = Atomic<Int>(0)
    public let retries = Atomic<Int>(0)
    public let batches = Atomic<Int>(0)
    /// Times the worker rejoined its group because PostgreSQL had lost offsets it committed.
    public let rejoins = Atomic<Int>(0)
    let rejectedByCode = Mutex<[RejectCode: Int]>([:])

    func record(_ o: BatchWorker.BatchOutcome) {
        processed.add(o.processed, ordering: .relaxed)
        duplicates.add(o.duplicates, ordering: .relaxed)
        batches.add(1, ordering: .relaxed)
        let n = o.rejected.values.reduce(0, +)
        rejected.add(n, ordering: .relaxed)
        if n > 0 { rejectedByCode.withLock { for (k, v) in o.rejected { $0[k, default: 0] += v } } }
    }

    public var metadata: Logger.Metadata {
        var m: Logger.Metadata = [
            "batches": "\(batches.load(ordering: .relaxed))", "processed": "\(processed.load(ordering: .relaxed))",
            "duplicates": "\(duplicates.load(ordering: .relaxed))", "rejected": "\(rejected.load(ordering: .relaxed))",
            "retries": "\(retries.load(ordering: .relaxed))",
        ]
        for (code, n) in rejectedByCode.withLock({ $0 }) { m["rejected.\(code.rawValue)"] = "\(n)" }
        return m
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// Starts each newly assigned partition at the offset stored in PostgreSQL.
///
/// Runs on the consumer's poll thread (see ``KafkaRebalanceHandler``), so it may block while
/// it asks the database. If the database cannot answer within about 20 seconds, the partition
/// starts from Kafka's committed offset instead: that offset is committed only after the
/// database transaction, so it is never ahead of PostgreSQL's, and the events between are
/// recognised as already processed by their `(source, id)`.
final class StoredOffsets: KafkaRebalanceHandler {
    let database: FrontDoorDatabase
    let group: String
    let committed: CommittedOffsets
    let logger: Logger

    init(database: FrontDoorDatabase, group: String, committed: CommittedOffsets, logger: Logger) {
        self.database = database
        self.group = group
        self.committed = committed
        self.logger = logger
    }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64] {
        let topics = Set(partitions.map(\.topic))
        let database = self.database
        let group = self.group
        for attempt in 0..<10 {
            let result = blockingWait { () async throws -> [String: [Int32: Int64]] in
                try await database.withTransaction(readOnly: true) { tx in
                    var out: [String: [Int32: Int64]] = [:]
                    for t in topics { out[t] = try await tx.loadOffsets(group: group, topic: t) }
                    return out
                }
            }
            switch result {
            case .success(let stored):
                // A partition PostgreSQL has no offset for has never had a batch committed: it
                // starts from the beginning, not from Kafka's committed offset (only a hint, and
                // ahead of the database if the database lost commits or was restored).
                var starts: [KafkaTopicPartition: Int64] = [:]
                for p in partitions { starts[p] = stored[p.topic]?[p.partition] ?? KafkaTopicPartitionOffset.beginning }
                committed.assigned(starts)
                logger.info(
                    "partitions assigned",
                    metadata: ["partitions": "\(partitions.map(\.description).sorted().joined(separator: ","))",
                               "fromDatabase": "\(starts.values.filter { $0 >= 0 }.count)"])
                return starts
            case .failure(let error):
                logger.warning("could not read stored offsets", metadata: ["error": "\(error)", "attempt": "\(attempt + 1)"])
                Thread.sleep(forTimeInterval: 2)
            }
        }
        logger.warning("starting assigned partitions from Kafka's committed offsets")
        return [:]
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) {
        committed.revoked(partitions)
        // The batch loop polls, processes and commits one batch at a time, so when a revocation
        // runs (inside a poll) no batch is in flight: there is nothing to finish.
        logger.info(
            "partitions revoked",
            metadata: ["partitions": "\(partitions.map(\.description).sorted().joined(separator: ","))", "lost": "\(lost)"])
    }
}

/// The next offsets PostgreSQL holds for the partitions a worker owns, as far as the worker
/// knows: set on assignment from the database, advanced by each batch the worker commits.
final class CommittedOffsets: Sendable {
    private let offsets = Mutex<[KafkaTopicPartition: Int64]>([:])

    var snapshot: [KafkaTopicPartition: Int64] { offsets.withLock { $0 } }

    /// Partitions assigned with their start offsets; those starting from the beginning have
    /// nothing committed yet.
    func assigned(_ starts: [KafkaTopicPartition: Int64]) {
        offsets.withLock { for (p, o) in starts { $0[p] = o >= 0 ? o : nil } }
    }

    func revoked(_ partitions: [KafkaTopicPartition]) {
        offsets.withLock { for p in partitions { $0[p] = nil } }
    }

    func advance(_ next: [KafkaTopicPartitionOffset]) {
        offsets.withLock { for o in next { $0[o.topicPartition] = max($0[o.topicPartition] ?? 0, o.offset) } }
    }

    func reset() { offsets.withLock { $0 = [:] } }
}

/// PostgreSQL holds offsets below those the worker committed for these partitions.
struct CommittedOffsetsLost: Error {
    var partitions: [KafkaTopicPartition]
}

/// Runs async work from a thread that may block (the consumer's poll thread) and waits for it.
func blockingWait<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
    let done = DispatchSemaphore(value: 0)
    let box = Mutex<Result<T, any Error>?>(nil)
    Task {
        let r: Result<T, any Error>
        do { r = .success(try await operation()) } catch { r = .failure(error) }
        box.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return box.withLock { $0! }
}
