import Dispatch
import Foundation
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import Logging
import ServiceLifecycle
import Synchronization

/// The worker runtime: consume a batch, decode it, write its facts, decisions, outbox rows
/// and next offsets in **one** PostgreSQL transaction, then tell Kafka (a hint for lag tools).
///
/// - Offsets live in PostgreSQL: a newly assigned partition stays paused until its offset has
///   been read from there (``StoredOffsets``), however long the database takes to answer, so a
///   crash or an outage at any instant loses nothing and counts nothing twice. Each batch moves
///   the stored offsets by compare-and-set from the ones this worker read or last committed: a
///   worker that lost a partition (a zombie, after a long pause) can never commit for it, and
///   drops the batch and reads the offset again instead.
/// - Rejects go to `<topic>.dlq` with the headers of events.md in the same batch, before its
///   transaction commits; a rejected message never stops its partition. A crash between the
///   DLQ send and the commit can send a reject to the DLQ twice (at least once); it is counted in
///   `rejected_events` once. An original the DLQ refuses for good (too large) goes as a stub with
///   its headers, size and SHA-256 (``DeadLetterQueue``); if even the stub is refused, the reject
///   stays recorded in `rejected_events` and the partition moves on.
/// - A database outage pauses every partition and retries the batch with capped exponential
///   backoff, polling meanwhile so that the group membership survives (also while a database
///   call has not answered for a second: a pool waiting for a server that is down); partitions revoked
///   meanwhile leave the batch in hand. Then it resumes where it was, with nothing lost.
/// - A statement that fails on one event's data (a bug, a constraint) would fail every retry:
///   the batch is then processed event by event in savepoints and the failing event goes to the
///   DLQ as `processing-failed`, unclaimed, so a replay processes it once the fault is fixed.
///   A failure that is not about one event's data (``isSystemic(_:)``: a missing column, a
///   privilege, a read-only database, or the same SQLSTATE for more than half of the batch's
///   events, at least two) dead-letters nothing: the batch is rolled back and retried with
///   backoff, and the partition waits for the fault to be fixed.
/// - On graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`) it finishes the batch in
///   hand if the database answers, commits, leaves the group and returns; while it is retrying
///   (a database outage, a systemic failure), waiting for stored offsets or for a database call
///   that has not answered for a second, it returns at once without committing the batch in
///   hand, which the next owner reads again.
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
    /// The partitions this worker owns and the next offset PostgreSQL holds for each, as far as
    /// it knows: read after assignment, advanced by each committed batch.
    let committed = CommittedOffsets()
    /// Counters and histograms of ``MetricName`` (see BatchWorker+Health.swift for the gauges).
    let metrics: BatchWorkerMetrics
    /// The poll loop's last turn (`/health/live`).
    public let pulse: LoopPulse
    /// The consumer of the current membership, for the lag gauges.
    let currentConsumer = Mutex<KafkaConsumer?>(nil)

    public init(
        handler: any BatchHandler, database: FrontDoorDatabase, dlqProducer: KafkaProducer, settings: WorkerSettings,
        logger: Logger, metrics: FrontDoorMetrics = FrontDoorMetrics()
    ) {
        self.handler = handler
        self.database = database
        self.dlqProducer = dlqProducer
        self.settings = settings
        self.group = settings.group(handler.name)
        self.metrics = BatchWorkerMetrics(metrics: metrics, worker: handler.name)
        self.pulse = LoopPulse(deadline: settings.livenessDeadline)
        var logger = logger
        logger[metadataKey: "worker"] = "\(handler.name)"
        self.logger = logger
    }

    public func run() async throws {
        while true {
            let offsets = StoredOffsets(committed: committed, logger: logger)
            let consumer = try KafkaConsumer(
                configuration: settings.consumerConfiguration(group: group), rebalanceHandler: offsets, logger: logger)
            try consumer.subscribe(topics: handler.topics)
            currentConsumer.withLock { $0 = consumer }
            logger.info("consuming", metadata: ["topics": "\(handler.topics.joined(separator: ","))", "group": "\(group)"])
            do {
                try await consume(consumer)
            } catch let lost as CommittedOffsetsLost {
                logger.error(
                    "PostgreSQL no longer holds offsets this worker committed; rejoining to start again from the offsets it holds",
                    metadata: ["partitions": "\(lost.partitions.map(\.description).sorted().joined(separator: ","))"])
                stats.rejoins.add(1, ordering: .relaxed)
                metrics.rejoined()
                try? await consumer.close()
                committed.reset()
                continue
            }
            logger.info("draining: leaving the group", metadata: stats.metadata)
            try? await consumer.commit()
            try await consumer.close()
            return
        }
    }

    /// Whether the worker must stop: a graceful shutdown or cancellation.
    var isStopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    /// Polls and processes batches until shutdown.
    func consume(_ consumer: KafkaConsumer) async throws {
        var lastReport = ContinuousClock.now
        while !isStopping {
            pulse.beat()
            guard try await startPendingPartitions(consumer) else { return }
            let polled = try await consumer.poll(
                maxMessages: settings.batchSize, maxBytes: settings.batchBytes, timeout: settings.batchWait)
            let batch = readyMessages(of: polled)
            if !batch.isEmpty {
                guard let done = try await process(batch, consumer: consumer) else { return }
                try consumer.storeOffsets(for: done)
                try? consumer.commitInBackground()
            }
            if ContinuousClock.now - lastReport > .seconds(30) {
                lastReport = .now
                logger.info("progress", metadata: stats.metadata)
            }
        }
    }

    /// The messages of `batch` this worker may process: those of partitions it owns whose
    /// start it has read from PostgreSQL. A message of any other partition (librdkafka returned
    /// it before the partition was paused) moved the consumer's position past an unprocessed
    /// message, so that partition's offset is read again before it is consumed further.
    func readyMessages(of batch: KafkaConsumerBatch) -> KafkaConsumerBatch {
        guard !batch.isEmpty else { return batch }
        let ready = committed.ready
        let kept = batch.messages.filter { ready.contains($0.topicPartition) }
        if kept.count == batch.count { return batch }
        let strays = Set(batch.messages.map(\.topicPartition)).subtracting(ready)
        committed.readAgain(strays)
        return KafkaConsumerBatch(messages: kept)
    }

    /// Reads the stored offsets of partitions assigned (or sent back) since the last batch, moves
    /// them there and resumes them. While PostgreSQL does not answer, every partition stays
    /// paused and the consumer keeps polling, so it stays in its group, until the offsets are
    /// read: a partition never starts from Kafka's committed offset, which is ahead of
    /// PostgreSQL's exactly when the database lost commits. Returns `false` on shutdown.
    func startPendingPartitions(_ consumer: KafkaConsumer) async throws -> Bool {
        var attempt = 0
        while true {
            let pending = committed.pending
            guard !pending.isEmpty else { return true }
            if isStopping { return false }
            do {
                var paused = false
                let starts = try await whilePolling(consumer, paused: &paused) { [database, group] in
                    try await database.withTransaction(readOnly: true) { tx in
                        var starts: [KafkaTopicPartition: Int64?] = [:]
                        for topic in Set(pending.map(\.topic)) {
                            let stored = try await tx.loadOffsets(group: group, topic: topic)
                            for p in pending where p.topic == topic { starts[p] = stored[p.partition] }
                        }
                        return starts
                    }
                }
                // A partition PostgreSQL has no offset for has never had a batch committed: it
                // starts from the beginning, not from Kafka's committed offset (only a hint).
                let seeks = starts.map { KafkaTopicPartitionOffset($0.key, offset: $0.value ?? KafkaTopicPartitionOffset.beginning) }
                try await consumer.seek(seeks)
                committed.started(starts)
                resumeReady(consumer)
                logger.info(
                    "partitions started from stored offsets",
                    metadata: [
                        "partitions": "\(starts.keys.map(\.description).sorted().joined(separator: ","))",
                        "fromDatabase": "\(starts.values.filter { $0 != nil }.count)",
                    ])
                if attempt > 0 || paused {
                    logger.notice("stored offsets read after waiting for the database", metadata: ["attempts": "\(attempt + 1)"])
                }
                return true
            } catch {
                if isStopping { return false }
                if error is CancellationError { throw error }
                pauseAssignment(consumer)
                let wait = backoff(attempt)
                logger.warning(
                    "could not read stored offsets; partitions stay paused, retrying",
                    metadata: ["error": "\(error)", "attempt": "\(attempt + 1)", "retryInMs": "\(wait.milliseconds)"])
                stats.retries.add(1, ordering: .relaxed)
                metrics.retried()
                attempt += 1
                guard try await idle(consumer, for: wait) else { return false }
            }
        }
    }

    /// Pauses every assigned partition (the ready ones are resumed by ``resumeReady(_:)``).
    func pauseAssignment(_ consumer: KafkaConsumer) {
        if let assigned = try? consumer.assignment(), !assigned.isEmpty { try? consumer.pause(assigned) }
    }

    /// Resumes the partitions whose start is known; pending ones stay paused until
    /// ``startPendingPartitions(_:)`` has moved them.
    func resumeReady(_ consumer: KafkaConsumer) {
        let ready = committed.ready
        if let assigned = try? consumer.assignment() {
            let resumable = assigned.filter { ready.contains($0) }
            if !resumable.isEmpty { try? consumer.resume(resumable) }
        }
    }

    /// Runs a database call; if it has not answered within a second (a pool waiting for a
    /// server that is down, a lock), pauses every partition and polls until it does, so that the
    /// consumer stays in its group and serves rebalances meanwhile. On shutdown such a slow call
    /// is cancelled (it throws `CancellationError`): nothing it did is committed.
    func whilePolling<T: Sendable>(
        _ consumer: KafkaConsumer, paused: inout Bool, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let done = CompletionFlag()
        let task = Task {
            defer { done.set() }
            return try await operation()
        }
        return try await withTaskCancellationHandler {
            let patience = ContinuousClock.now + .seconds(1)
            while !done.isSet && ContinuousClock.now < patience { try? await Task.sleep(for: .milliseconds(2)) }
            if !done.isSet {
                logger.warning("database not answering; consumption paused, polling meanwhile")
                pauseAssignment(consumer)
                paused = true
            }
            while !done.isSet {
                pulse.beat()
                if isStopping { task.cancel() }
                let stray = try await consumer.poll(
                    maxMessages: settings.batchSize, maxBytes: settings.batchBytes, timeout: .milliseconds(100))
                if !stray.isEmpty {
                    committed.readAgain(Set(stray.map(\.topicPartition)))
                    pauseAssignment(consumer)
                }
            }
            return try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Waits `wait` while polling, partitions paused, so that the consumer stays in its group
    /// (`max.poll.interval.ms`) and serves rebalances. Returns `false` at once on shutdown.
    func idle(_ consumer: KafkaConsumer, for wait: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + wait
        repeat {
            pulse.beat()
            if isStopping { return false }
            let remaining = ContinuousClock.now.duration(to: deadline)
            let stray = try await consumer.poll(
                maxMessages: settings.batchSize, maxBytes: settings.batchBytes,
                timeout: max(.zero, min(remaining, .milliseconds(100))))
            if !stray.isEmpty {
                // Paused partitions return nothing; a message here moved a position past a message
                // not processed: read that partition's offset again before consuming it.
                committed.readAgain(Set(stray.map(\.topicPartition)))
                pauseAssignment(consumer)
            }
        } while ContinuousClock.now < deadline
        return !isStopping
    }

    /// Processes one polled batch until it is committed, retrying while the database is down or
    /// a systemic failure lasts. Returns the messages it committed (the batch less the partitions
    /// this worker lost meanwhile), or `nil` when it stopped for a shutdown without committing.
    func process(_ polled: KafkaConsumerBatch, consumer: KafkaConsumer) async throws -> KafkaConsumerBatch? {
        let started = ContinuousClock.now
        var batch = polled
        var (valid, rejects) = decode(batch)
        var attempt = 0
        var isolate = false
        var paused = false
        var interrupted = false
        defer { if paused { resumeReady(consumer) } }

        /// Logs why the batch waits, counts the retry, and waits out the backoff with every
        /// partition paused, polling meanwhile (``idle(_:for:)`` returns early on shutdown, which
        /// the loop's next turn honours).
        func waitToRetry(
            _ level: Logger.Level, _ message: Logger.Message, _ metadata: Logger.Metadata, counted: Bool = true
        ) async throws {
            let wait = backoff(attempt)
            logger.log(
                level: level, message,
                metadata: metadata.merging(["attempt": "\(attempt + 1)", "retryInMs": "\(wait.milliseconds)"]) { a, _ in a })
            if counted {
                stats.retries.add(1, ordering: .relaxed)
                metrics.retried()
            }
            attempt += 1
            pauseAssignment(consumer)
            paused = true
            _ = try await idle(consumer, for: wait)
        }

        while true {
            // Partitions revoked (or sent back to be read again) while this batch waited are no
            // longer this worker's to commit: their next owner reads them again.
            let ready = committed.ready
            if batch.contains(where: { !ready.contains($0.topicPartition) }) {
                batch = KafkaConsumerBatch(messages: batch.messages.filter { ready.contains($0.topicPartition) })
                (valid, rejects) = decode(batch)
                logger.notice("batch in hand reduced to the partitions this worker still owns", metadata: ["messages": "\(batch.count)"])
                if batch.isEmpty { return batch }
            }
            if (attempt > 0 || interrupted) && isStopping {
                logger.notice("shutting down; the batch in hand is not committed, its partitions' next owner reads it again")
                return nil
            }
            do {
                let isolated = isolate
                let outcome: BatchOutcome
                let write: @Sendable () async throws -> BatchOutcome = { [batch, valid, rejects] in
                    try await self.database.withTransaction { tx in
                        try await self.apply(batch, valid: valid, rejects: rejects, isolate: isolated, in: tx)
                    }
                }
                outcome = try await whilePolling(consumer, paused: &paused, write)
                committed.advance(batch.nextOffsets)
                stats.record(outcome)
                metrics.committed(batch, rejected: outcome.rejectedByTopic, duration: .now - started)
                if attempt > 0 { logger.notice("batch committed after retry", metadata: ["attempts": "\(attempt + 1)"]) }
                return batch
            } catch let moved as StoredOffsetsMoved {
                // Another worker committed for these partitions since this one read their offsets:
                // drop their messages and read where they stand now.
                logger.warning(
                    "stored offsets moved under this worker; dropping their messages and reading the offsets again",
                    metadata: ["topic": "\(moved.topic)", "partitions": "\(moved.partitions.map(String.init).joined(separator: ","))"])
                stats.fenced.add(1, ordering: .relaxed)
                committed.readAgain(Set(moved.partitions.map { KafkaTopicPartition(topic: moved.topic, partition: $0) }))
                continue
            } catch is CancellationError where Task.isShuttingDownGracefully {
                interrupted = true
                continue
            } catch let error as StoreError where error.isRetryable {
                try await waitToRetry(.warning, "database unavailable; consumption paused, retrying", ["error": "\(error)"])
            } catch let error as KafkaError {
                try await waitToRetry(
                    .warning, "dead-letter queue unavailable; retrying the batch", ["error": "\(error)"], counted: false)
            } catch let failure as SystemicFailure {
                // Not about any one event: dead-letter nothing, wait for the fault to be fixed. The
                // next attempt writes the batch as a whole again.
                isolate = false
                try await waitToRetry(
                    .error, "batch fails for a reason that is not one event's data; nothing dead-lettered, retrying",
                    ["error": "\(failure.error)", "failed": "\(failure.failed)", "events": "\(failure.events)"])
            } catch let error as StoreError {
                if !isolate && !Self.isSystemic(error) {
                    // Not retryable as a whole: find the event that fails and dead-letter only it.
                    logger.error("batch failed; retrying event by event", metadata: ["error": "\(error)"])
                    isolate = true
                    continue
                }
                // A systemic failure, or even event by event the batch fails outside any one
                // event's processing (a schema not migrated yet, a permission): keep the partition
                // where it is and retry with backoff rather than skip or crash.
                isolate = false
                try await waitToRetry(.error, "batch cannot be written; retrying", ["error": "\(error)"])
            }
        }

    }

    /// Decodes a batch into valid events and rejects (pure).
    func decode(_ batch: KafkaConsumerBatch) -> (valid: [IncomingEvent], rejects: [RejectedMessage]) {
        var valid: [IncomingEvent] = []
        var rejects: [RejectedMessage] = []
        for message in batch {
            switch handler.decode(message) {
            case .success(let event): valid.append(IncomingEvent(message: message, event: event))
            case .failure(let reject): rejects.append(RejectedMessage(message: message, reject: reject))
            }
        }
        return (valid, rejects)
    }

    struct BatchOutcome: Sendable {
        var processed = 0
        var duplicates = 0
        var rejected: [RejectCode: Int] = [:]
        var rejectedByTopic: [TopicRejects: Int] = [:]
    }

    /// SQLSTATE classes no event's data can cause: 42 (syntax error or access rule violation:
    /// an undefined column or table, a privilege), 3F (invalid schema), 25 (invalid transaction
    /// state: a read-only database), 0A (feature not supported), 58 and XX (system and internal
    /// errors), F0 (configuration file).
    static let systemicClasses: Set<String> = ["42", "3F", "25", "0A", "58", "XX", "F0"]

    /// Whether `error` says the store is wrong for this code (a schema or privilege mismatch), not
    /// that an event is: a row that cannot be decoded, or an SQLSTATE of ``systemicClasses``.
    static func isSystemic(_ error: StoreError) -> Bool {
        if error.code == .decoding || error.code == .migration || error.code == .invalidConfiguration { return true }
        guard let state = error.sqlState, state.count >= 2 else { return false }
        return systemicClasses.contains(String(state.prefix(2)))
    }

    /// The rule for a batch processed event by event: its failures are systemic (the batch is
    /// retried, nothing dead-lettered) when one is systemic by its kind (``isSystemic(_:)``), or
    /// when the same failure (SQLSTATE, or store error code without one) hit at least two events
    /// and more than half of the events processed.
    static func systemicFailure(_ failures: [StoreError], events: Int) -> SystemicFailure? {
        if let first = failures.first(where: isSystemic) {
            return SystemicFailure(error: first, failed: failures.count, events: events)
        }
        let byKind = Dictionary(grouping: failures) { $0.sqlState ?? "\($0.code)" }
        guard let same = byKind.values.max(by: { $0.count < $1.count }), same.count >= 2, same.count * 2 > events,
            let first = same.first
        else { return nil }
        return SystemicFailure(error: first, failed: failures.count, events: events)
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

        var failedCount = 0
        if isolate {
            var failures: [StoreError] = []
            var failed: [IncomingEvent] = []
            for event in new {
                do {
                    try await tx.withSavepoint { sp in try await self.handler.handle([event], in: sp) }
                } catch let error as StoreError where !error.isRetryable {
                    failures.append(error)
                    failed.append(event)
                    // A missing column fails every event the same way: stop at the first.
                    if Self.isSystemic(error) { break }
                }
            }
            if let systemic = Self.systemicFailure(failures, events: new.count) { throw systemic }
            for (event, error) in zip(failed, failures) {
                rejects.append(
                    RejectedMessage(
                        message: event.message,
                        reject: Reject(.processingFailed, "The event could not be processed and needs investigation.")))
                logger.error(
                    "event dead-lettered after a processing failure",
                    metadata: [
                        "error": "\(error)", "partition": "\(event.message.partition)", "offset": "\(event.message.offset)",
                        LogKeys.eventID: "\(event.event.envelope.id)",
                    ])
            }
            // A dead-lettered event was not processed: give its claim back, so that replaying it
            // from the DLQ once the fault is fixed processes it.
            try await tx.releaseClaims(failed.map { EventKey(source: $0.event.envelope.source, id: $0.event.envelope.id) })
            failedCount = failed.count
        } else if !new.isEmpty {
            try await handler.handle(new, in: tx)
        }

        try await tx.recordRejected(
            rejects.map {
                RejectedEventRecord(
                    topic: $0.message.topic, partition: $0.message.partition, offset: $0.message.offset,
                    errorCode: $0.reject.code.rawValue)
            })
        try await DeadLetterQueue(producer: dlqProducer, topics: settings.topics, logger: logger).send(rejects)

        // Compare-and-set from the offsets this worker read or last committed: a worker that
        // lost these partitions meanwhile cannot move them (StoredOffsetsMoved rolls back).
        let expected = committed.snapshot
        var byTopic: [String: [(partition: Int32, nextOffset: Int64)]] = [:]
        for o in batch.nextOffsets { byTopic[o.topic, default: []].append((o.partition, o.offset)) }
        for (topic, offsets) in byTopic {
            var expecting: [Int32: Int64] = [:]
            for (tp, offset) in expected where tp.topic == topic { expecting[tp.partition] = offset }
            try await tx.saveOffsets(group: group, topic: topic, offsets, expecting: expecting)
        }

        var outcome = BatchOutcome()
        outcome.processed = new.count - failedCount
        outcome.duplicates = candidates.count - new.count
        for r in rejects {
            outcome.rejected[r.reject.code, default: 0] += 1
            outcome.rejectedByTopic[TopicRejects(topic: r.message.topic, code: r.reject.code), default: 0] += 1
        }
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
    /// Batches dropped because another worker had moved their partitions' stored offsets.
    public let fenced = Atomic<Int>(0)
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

/// Starts each newly assigned partition paused, to be moved to its stored offset by the batch
/// loop (``BatchWorker/startPendingPartitions(_:)``) once PostgreSQL answers.
///
/// Runs on the consumer's poll thread (see ``KafkaRebalanceHandler``) and never waits for the
/// database there: a poll that blocked until PostgreSQL answered would stop the worker from
/// serving rebalances and shutdowns for as long as an outage lasts. The provisional start (the
/// partition's beginning) is never consumed from: the partition is paused as part of the
/// assignment, and the seek to the stored offset comes before it is resumed.
final class StoredOffsets: KafkaRebalanceHandler {
    let committed: CommittedOffsets
    let logger: Logger

    init(committed: CommittedOffsets, logger: Logger) {
        self.committed = committed
        self.logger = logger
    }

    var pausesAssignedPartitions: Bool { true }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64] {
        committed.assigned(partitions)
        logger.info(
            "partitions assigned",
            metadata: ["partitions": "\(partitions.map(\.description).sorted().joined(separator: ","))"])
        return Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaTopicPartitionOffset.beginning) })
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) {
        committed.revoked(partitions)
        // A revocation runs inside a poll: between batches, or while the batch loop waits to
        // retry a batch, which then drops these partitions' messages before its next attempt.
        logger.info(
            "partitions revoked",
            metadata: ["partitions": "\(partitions.map(\.description).sorted().joined(separator: ","))", "lost": "\(lost)"])
    }
}

/// The partitions a worker owns and, for each, the next offset PostgreSQL holds as far as the
/// worker knows: set once it has read the offset after assignment, advanced by each batch it
/// commits. A partition whose offset has not been read (yet, or again) is *pending*: it stays
/// paused and none of its messages is processed.
final class CommittedOffsets: Sendable {
    private struct State: Sendable {
        var offsets: [KafkaTopicPartition: Int64] = [:]
        var owned: Set<KafkaTopicPartition> = []
        var pending: Set<KafkaTopicPartition> = []
    }
    private let state = Mutex(State())

    /// The offsets of partitions started from a stored offset or with a batch committed since;
    /// a ready partition absent from it has no stored offset yet.
    var snapshot: [KafkaTopicPartition: Int64] { state.withLock { $0.offsets } }

    /// Owned partitions whose start is known.
    var ready: Set<KafkaTopicPartition> { state.withLock { $0.owned.subtracting($0.pending) } }

    /// Every partition assigned to this worker, started or pending.
    var owned: Set<KafkaTopicPartition> { state.withLock { $0.owned } }

    /// Owned partitions whose stored offset must be read before they are consumed.
    var pending: [KafkaTopicPartition] { state.withLock { Array($0.pending) } }

    /// Partitions newly assigned: pending until their offsets are read.
    func assigned(_ partitions: [KafkaTopicPartition]) {
        state.withLock {
            for p in partitions {
                $0.owned.insert(p)
                $0.pending.insert(p)
                $0.offsets[p] = nil
            }
        }
    }

    /// Pending partitions now moved to their stored offsets (`nil`: none stored, from the start).
    func started(_ starts: [KafkaTopicPartition: Int64?]) {
        state.withLock {
            for (p, o) in starts where $0.pending.contains(p) {
                $0.pending.remove(p)
                $0.offsets[p] = o
            }
        }
    }

    /// Owned partitions whose position can no longer be trusted: read their offsets again.
    func readAgain(_ partitions: Set<KafkaTopicPartition>) {
        state.withLock {
            for p in partitions where $0.owned.contains(p) {
                $0.pending.insert(p)
                $0.offsets[p] = nil
            }
        }
    }

    func revoked(_ partitions: [KafkaTopicPartition]) {
        state.withLock {
            for p in partitions {
                $0.owned.remove(p)
                $0.pending.remove(p)
                $0.offsets[p] = nil
            }
        }
    }

    func advance(_ next: [KafkaTopicPartitionOffset]) {
        state.withLock {
            for o in next where $0.owned.contains(o.topicPartition) {
                $0.offsets[o.topicPartition] = max($0.offsets[o.topicPartition] ?? 0, o.offset)
            }
        }
    }

    func reset() { state.withLock { $0 = State() } }
}

/// Event-by-event processing found the batch's failures systemic (``BatchWorker/systemicFailure(_:events:)``):
/// the transaction rolls back and the batch is retried; nothing is dead-lettered.
struct SystemicFailure: Error {
    /// One of the failures, for the log (data-free, as every ``StoreError``).
    var error: StoreError
    /// Events that failed, and events processed event by event.
    var failed: Int
    var events: Int
}

/// PostgreSQL holds offsets below those the worker committed for these partitions.
struct CommittedOffsetsLost: Error {
    var partitions: [KafkaTopicPartition]
}

/// Set once when a task finishes; read without waiting.
final class CompletionFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
