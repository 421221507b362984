import CRdKafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// A consumer-group member that returns messages in batches and stores and commits offsets only
/// when told.
///
/// Offsets are never stored or committed automatically (`enable.auto.commit=false`,
/// `enable.auto.offset.store=false`), and partitions move between members incrementally
/// (`partition.assignment.strategy=cooperative-sticky`). A ``KafkaRebalanceHandler`` passed at
/// creation is called synchronously before each assignment or revocation completes, so a caller
/// that keeps its offsets elsewhere (frontdoor keeps them in PostgreSQL) decides where each newly
/// assigned partition starts.
///
/// Every call into librdkafka that can block (`rd_kafka_consumer_poll`, `rd_kafka_consumer_close`,
/// synchronous commits) runs on dispatch queues this consumer owns, never on the Swift
/// cooperative thread pool. Polls run one at a time on the consumer's *poll thread*, which is
/// also where the rebalance handler and librdkafka's statistics are served.
///
/// ```swift
/// let consumer = try KafkaConsumer(configuration: config, rebalanceHandler: offsetsFromPostgres, logger: logger)
/// try consumer.subscribe(topics: ["frontdoor.attendance.v1"])
/// while !Task.isCancelled {
///     let batch = try await consumer.poll(maxMessages: 500, timeout: .milliseconds(200))
///     try await process(batch)                  // writes facts and batch.nextOffsets in one transaction
///     try consumer.storeOffsets(batch.nextOffsets)
///     try consumer.commitInBackground()         // Kafka's offsets are only a hint for lag metrics
/// }
/// try await consumer.close()
/// ```
///
/// - Important: Call ``close()`` before dropping the last reference, so that the consumer leaves
///   its group cleanly (revoking its partitions through the handler). Without it, `deinit`
///   closes the consumer itself, blocking the thread that released it.
public final class KafkaConsumer: Sendable {
    private let client: RDKafkaClient
    private let rebalance: RDKafkaRebalanceState
    private let statistics: RDKafkaStatisticsStore
    /// The poll thread: serial, so polls and close never overlap.
    private let pollQueue: DispatchQueue
    /// Synchronous commits wait for the broker here, so they do not wait behind a poll.
    private let commitQueue: DispatchQueue
    /// Watermark queries (metrics) wait for the broker here, behind neither polls nor commits.
    private let queryQueue: DispatchQueue
    private let closed = Atomic<Bool>(false)
    private let logger: Logger

    /// Creates a consumer; it joins its group on ``subscribe(topics:)``.
    ///
    /// - Parameters:
    ///   - configuration: Brokers, group and tuning.
    ///   - rebalanceHandler: Called on the poll thread before partitions are assigned or revoked.
    ///     `nil` starts every partition from its committed offset (or `auto.offset.reset`).
    ///   - logger: Receives librdkafka's log lines and this consumer's rebalance events.
    /// - Throws: ``KafkaError`` when a property is rejected or the loaded librdkafka is older than 2.2.
    public init(
        configuration: KafkaConsumerConfiguration,
        rebalanceHandler: (any KafkaRebalanceHandler)? = nil,
        logger: Logger = Logger(label: "frontdoor.kafka.consumer")
    ) throws(KafkaError) {
        let rebalance = RDKafkaRebalanceState(handler: rebalanceHandler)
        let statistics = RDKafkaStatisticsStore()
        let context = RDKafkaClientContext(logger: logger, rebalance: rebalance, statistics: statistics)
        self.client = try RDKafkaClient(type: RD_KAFKA_CONSUMER, properties: configuration.properties, context: context) {
            conf in
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalanceCallback)
            rd_kafka_conf_set_stats_cb(conf, rdKafkaStatisticsCallback)
            rd_kafka_conf_set_offset_commit_cb(conf, rdKafkaOffsetCommitCallback)
        }
        // Serve the main queue (statistics, errors, commit results) from the consumer queue, that
        // is, from our poll thread.
        rd_kafka_poll_set_consumer(self.client.handle)
        self.rebalance = rebalance
        self.statistics = statistics
        self.logger = logger
        let label = "frontdoor.kafka.consumer.\(configuration.groupID)"
        self.pollQueue = DispatchQueue(label: "\(label).poll")
        self.commitQueue = DispatchQueue(label: "\(label).commit")
        self.queryQueue = DispatchQueue(label: "\(label).query")
    }

    /// Joins the group for `topics`, replacing any previous subscription. Returns at once; the
    /// assignment arrives during later polls.
    public func subscribe(topics: [String]) throws(KafkaError) {
        try self.ensureOpen()
        let partitions = topics.map { KafkaTopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) }
        let error = RDKafkaTopicPartitionList.with(partitions) { list in
            rd_kafka_subscribe(self.client.handle, list)
        }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(error) }
    }

    /// Waits for messages and returns up to `maxMessages` of them, and about `maxBytes` at most,
    /// as soon as that many have arrived or `timeout` has passed (possibly none).
    ///
    /// A message's size is its key, value and headers. The batch ends with the message that
    /// brings it to `maxBytes` or more, so it holds at most `maxBytes` plus one message (messages
    /// are limited by the broker's `message.max.bytes`); a message larger than `maxBytes` forms a
    /// batch of its own, never a stalled partition.
    ///
    /// Rebalances happen inside this call: the ``KafkaRebalanceHandler`` runs on the poll thread
    /// meanwhile. Messages of partitions revoked during the call are not returned. Errors that
    /// librdkafka recovers from by itself (a broker briefly down, an unknown topic) are logged,
    /// not thrown.
    ///
    /// - Throws: ``KafkaError`` with code `closed` after ``close()``, or `broker` when the consumer
    ///   hit a fatal error.
    public func poll(
        maxMessages: Int = 1000,
        maxBytes: Int = .max,
        timeout: Duration = .milliseconds(100)
    ) async throws(KafkaError) -> KafkaConsumerBatch {
        let maxMessages = max(1, maxMessages)
        let maxBytes = max(1, maxBytes)
        return try await self.pollQueue.runBlocking { () throws(KafkaError) -> KafkaConsumerBatch in
            try self.pollBlocking(maxMessages: maxMessages, maxBytes: maxBytes, timeout: timeout)
        }
    }

    /// Stores the offsets to commit with the next ``commit()``: for each partition, the offset
    /// of the next message to consume (last processed offset + 1).
    ///
    /// Offsets for partitions no longer assigned to this consumer are skipped (librdkafka refuses
    /// them); the new owner starts from the offsets the caller keeps.
    public func storeOffsets(_ offsets: [KafkaTopicPartitionOffset]) throws(KafkaError) {
        try self.ensureOpen()
        guard !offsets.isEmpty else { return }
        let error = RDKafkaTopicPartitionList.with(offsets) { list -> rd_kafka_resp_err_t in
            let error = rd_kafka_offsets_store(self.client.handle, list)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__STATE {
                return error
            }
            return RDKafkaTopicPartitionList.firstError(in: list, ignoring: [RD_KAFKA_RESP_ERR__STATE.rawValue])
                ?? RD_KAFKA_RESP_ERR_NO_ERROR
        }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(error) }
    }

    /// Stores ``KafkaConsumerBatch/nextOffsets`` of a processed batch.
    public func storeOffsets(for batch: KafkaConsumerBatch) throws(KafkaError) {
        try self.storeOffsets(batch.nextOffsets)
    }

    /// Commits the stored offsets and waits for the broker's answer.
    public func commit() async throws(KafkaError) {
        try self.ensureOpen()
        try await self.commitQueue.runBlocking { () throws(KafkaError) in
            let error = rd_kafka_commit(self.client.handle, nil, 0)
            // _NO_OFFSET: nothing stored since the last commit.
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR || error == RD_KAFKA_RESP_ERR__NO_OFFSET else {
                throw KafkaError.broker(error)
            }
        }
    }

    /// Commits `offsets` (each the next offset to consume) and waits for the broker's answer,
    /// whether or not they were stored.
    public func commit(_ offsets: [KafkaTopicPartitionOffset]) async throws(KafkaError) {
        try self.ensureOpen()
        guard !offsets.isEmpty else { return }
        try await self.commitQueue.runBlocking { () throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(offsets) { list throws(KafkaError) in
                let error = rd_kafka_commit(self.client.handle, list, 0)
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(error) }
                if let error = RDKafkaTopicPartitionList.firstError(in: list) { throw KafkaError.broker(error) }
            }
        }
    }

    /// Starts committing `offsets`, or the stored offsets when `nil`, and returns at once.
    /// A failure is logged when a later poll serves the result.
    public func commitInBackground(_ offsets: [KafkaTopicPartitionOffset]? = nil) throws(KafkaError) {
        try self.ensureOpen()
        let error: rd_kafka_resp_err_t
        if let offsets {
            guard !offsets.isEmpty else { return }
            error = RDKafkaTopicPartitionList.with(offsets) { rd_kafka_commit(self.client.handle, $0, 1) }
        } else {
            error = rd_kafka_commit(self.client.handle, nil, 1)
        }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR || error == RD_KAFKA_RESP_ERR__NO_OFFSET else {
            throw KafkaError.broker(error)
        }
    }

    /// Stops fetching from `partitions` until ``resume(_:)``; they stay assigned. Messages already
    /// fetched for them are discarded and fetched again after resuming.
    ///
    /// Pausing applies to the current assignment only: a partition assigned by a later rebalance
    /// may start unpaused; pause it again once it shows in ``assignment()`` if needed.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try self.ensureOpen()
        try RDKafkaTopicPartitionList.with(partitions) { list throws(KafkaError) in
            let error = rd_kafka_pause_partitions(self.client.handle, list)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(error) }
            if let error = RDKafkaTopicPartitionList.firstError(in: list) { throw KafkaError.broker(error) }
        }
    }

    /// Resumes fetching from paused `partitions`, from the position after the last message returned.
    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try self.ensureOpen()
        try RDKafkaTopicPartitionList.with(partitions) { list throws(KafkaError) in
            let error = rd_kafka_resume_partitions(self.client.handle, list)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(error) }
            if let error = RDKafkaTopicPartitionList.firstError(in: list) { throw KafkaError.broker(error) }
        }
    }

    /// Moves the fetch position of assigned `partitions` (paused or not): the next message
    /// consumed from each is the one at its offset (or ``KafkaTopicPartitionOffset/beginning`` /
    /// ``KafkaTopicPartitionOffset/end``). Messages already fetched for them are discarded.
    /// Waits (at most `timeout`) until librdkafka has applied every seek.
    public func seek(_ offsets: [KafkaTopicPartitionOffset], timeout: Duration = .seconds(10)) async throws(KafkaError) {
        try self.ensureOpen()
        guard !offsets.isEmpty else { return }
        try await self.commitQueue.runBlocking { () throws(KafkaError) in
            try RDKafkaTopicPartitionList.with(offsets) { list throws(KafkaError) in
                if let error = rd_kafka_seek_partitions(self.client.handle, list, timeout.rdKafkaTimeout) {
                    throw KafkaError.consuming(error)
                }
                if let error = RDKafkaTopicPartitionList.firstError(in: list) { throw KafkaError.broker(error) }
            }
        }
    }

    /// The partitions currently assigned to this consumer, sorted by topic and partition.
    public func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        try self.ensureOpen()
        var list: RDKafkaTopicPartitionList.Pointer?
        let error = rd_kafka_assignment(self.client.handle, &list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaError.broker(error) }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return RDKafkaTopicPartitionList.partitions(of: list).sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    /// Per-partition consumer lag (high watermark minus committed offset) from librdkafka's latest
    /// statistics; empty unless ``KafkaConsumerConfiguration/statisticsInterval`` is set.
    ///
    /// Statistics are emitted during polls, so the figures are at most one statistics interval
    /// plus one poll old. Partitions whose lag librdkafka does not know yet (no committed offset,
    /// no fetch response) are absent.
    public func consumerLag() -> [KafkaTopicPartition: Int64] {
        self.statistics.consumerLag
    }

    /// The offsets of `partitions` at `position`: ``KafkaTopicPartitionOffset/end`` (the high
    /// watermark, the offset the next message written gets) or ``KafkaTopicPartitionOffset/beginning``
    /// (the oldest offset still held), as their leaders report them now, whether or not the
    /// partitions are paused. One ListOffsets request per leader (`rd_kafka_offsets_for_times`
    /// with those two special timestamps), on a queue of this consumer's own, never on the poll
    /// thread. A partition the broker answered with an error for is absent.
    ///
    /// - Note: Tansu (the local stack's broker) reports as the high watermark the base offset of
    ///   the partition's last record batch plus one, less than the log end offset when that batch
    ///   holds several messages: a lag computed from it is then approximate (too small by up to
    ///   that batch's size less one).
    /// - Throws: ``KafkaError`` when the request failed as a whole (`timeout` passed, the consumer closed).
    public func listOffsets(
        _ partitions: [KafkaTopicPartition], at position: Int64 = KafkaTopicPartitionOffset.end, timeout: Duration = .seconds(2)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try self.ensureOpen()
        guard !partitions.isEmpty else { return [:] }
        let query = partitions.map { KafkaTopicPartitionOffset($0, offset: position) }
        return try await self.queryQueue.runBlocking { () throws(KafkaError) -> [KafkaTopicPartition: Int64] in
            try RDKafkaTopicPartitionList.with(query) { list throws(KafkaError) -> [KafkaTopicPartition: Int64] in
                let error = rd_kafka_offsets_for_times(self.client.handle, list, timeout.rdKafkaTimeout)
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(error) }
                var found: [KafkaTopicPartition: Int64] = [:]
                for index in 0..<Int(list.pointee.cnt) {
                    let element = list.pointee.elems[index]
                    guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR, element.offset >= 0 else { continue }
                    found[KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
                }
                return found
            }
        }
    }

    /// Leaves the group: revokes the assignment through the ``KafkaRebalanceHandler``, commits
    /// nothing, and waits for the broker to acknowledge. Later calls return at once; other methods
    /// then throw ``KafkaError/Code-swift.struct/closed``.
    public func close() async throws(KafkaError) {
        guard self.closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        try await self.pollQueue.runBlocking { () throws(KafkaError) in
            let error = rd_kafka_consumer_close(self.client.handle)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(error) }
        }
    }

    // MARK: Internals

    private func ensureOpen() throws(KafkaError) {
        if self.closed.load(ordering: .acquiring) {
            throw KafkaError.closed(reason: "the consumer is closed")
        }
    }

    /// The poll loop; runs on `pollQueue`.
    private func pollBlocking(maxMessages: Int, maxBytes: Int, timeout: Duration) throws(KafkaError) -> KafkaConsumerBatch {
        try self.ensureOpen()
        let handle = self.client.handle
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var revocations = self.rebalance.revocations
        var messages: [KafkaConsumerMessage] = []
        messages.reserveCapacity(min(maxMessages, 4096))
        var topicNames = TopicNameCache()
        var polledOnce = false
        var bytes = 0

        while messages.count < maxMessages && bytes < maxBytes {
            let remaining = clock.now.duration(to: deadline)
            if remaining <= .zero && polledOnce { break }
            polledOnce = true
            let raw = rd_kafka_consumer_poll(handle, remaining <= .zero ? 0 : remaining.rdKafkaTimeout)

            // The poll may have served a revocation: drop what we collected for those partitions,
            // the caller has not seen it and the next owner will read it again.
            let currentRevocations = self.rebalance.revocations
            if currentRevocations != revocations {
                revocations = currentRevocations
                let revoked = self.rebalance.takeRevoked()
                messages.removeAll { revoked.contains($0.topicPartition) }
                bytes = messages.reduce(0) { $0 + $1.size }
            }

            guard let raw else { continue }
            defer { rd_kafka_message_destroy(raw) }
            let error = raw.pointee.err
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                if error == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                if let fatal = self.client.fatalError() { throw fatal }
                self.logConsumerError(raw.pointee, cache: &topicNames)
                continue
            }
            let message = Self.message(raw, topicNames: &topicNames)
            bytes += message.size
            messages.append(message)
        }
        return KafkaConsumerBatch(messages: messages)
    }

    /// Copies one librdkafka message into Swift values (``KafkaPartitionReader`` too).
    static func message(
        _ raw: UnsafeMutablePointer<rd_kafka_message_t>,
        topicNames: inout TopicNameCache
    ) -> KafkaConsumerMessage {
        let message = raw.pointee
        let key: [UInt8]? = message.key.map { Self.bytes($0, count: message.key_len) }
        let value: [UInt8] = message.payload.map { Self.bytes($0, count: message.len) } ?? []

        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(raw, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var headerValue: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(
                    KafkaHeader(
                        key: name.map { String(cString: $0) } ?? "",
                        value: headerValue.map { Self.bytes(UnsafeMutableRawPointer(mutating: $0), count: size) }
                    )
                )
                index += 1
            }
        }

        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let milliseconds = rd_kafka_message_timestamp(raw, &timestampType)
        let timestamp = milliseconds >= 0 ? Date(timeIntervalSince1970: Double(milliseconds) / 1000) : nil

        return KafkaConsumerMessage(
            topic: topicNames.name(of: message.rkt),
            partition: message.partition,
            offset: message.offset,
            key: key,
            value: value,
            headers: headers,
            timestamp: timestamp
        )
    }

    /// One copy out of librdkafka's buffer.
    private static func bytes(_ pointer: UnsafeMutableRawPointer, count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                buffer.baseAddress!.update(from: pointer.assumingMemoryBound(to: UInt8.self), count: count)
            }
            initialized = count
        }
    }

    private func logConsumerError(_ message: rd_kafka_message_t, cache: inout TopicNameCache) {
        var metadata: Logger.Metadata = [KafkaLoggingKeys.errorCode: "\(message.err.rawValue)"]
        if message.rkt != nil {
            metadata[KafkaLoggingKeys.topic] = "\(cache.name(of: message.rkt))"
            metadata[KafkaLoggingKeys.partition] = "\(message.partition)"
        }
        self.logger.warning("Consumer error: \(String(cString: rd_kafka_err2str(message.err)))", metadata: metadata)
    }
}

/// Messages of one poll mostly share a topic; avoid building its name once per message.
/// Keyed by the handle and its name's address, so a handle freed and reused for another topic
/// is never mistaken for the cached one.
struct TopicNameCache {
    private var last: (topic: OpaquePointer, cString: UnsafePointer<CChar>, name: String)?

    mutating func name(of topic: OpaquePointer?) -> String {
        guard let topic, let cString = rd_kafka_topic_name(topic) else { return "" }
        if let last, last.topic == topic, last.cString == cString { return last.name }
        let name = String(cString: cString)
        self.last = (topic, cString, name)
        return name
    }
}

/// Results of background commits, served by a poll.
private func rdKafkaOffsetCommitCallback(
    _ handle: OpaquePointer?,
    _ error: rd_kafka_resp_err_t,
    _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard error != RD_KAFKA_RESP_ERR_NO_ERROR, error != RD_KAFKA_RESP_ERR__NO_OFFSET,
        let context = RDKafkaClientContext.from(handle)
    else { return }
    context.logger.warning(
        "Offset commit failed: \(String(cString: rd_kafka_err2str(error)))",
        metadata: [KafkaLoggingKeys.errorCode: "\(error.rawValue)"]
    )
}
