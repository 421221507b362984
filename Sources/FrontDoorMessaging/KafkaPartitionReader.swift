import CRdKafka
import Dispatch
import Foundation
import Logging

/// Reads whole partitions, from a given offset up to the high watermark they had when the read
/// began, without joining a consumer group.
///
/// For tools that inspect a topic (the dead-letter console) rather than consume it: partitions
/// are assigned explicitly (`rd_kafka_assign`), nothing is ever committed, and no group member is
/// disturbed. Each ``read(from:timeout:)`` queries the watermarks first, so messages produced while
/// it runs are not waited for.
///
/// Blocking librdkafka calls run on a dispatch queue this reader owns, one at a time.
public final class KafkaPartitionReader: Sendable {
    private let client: RDKafkaClient
    private let queue: DispatchQueue
    private let logger: Logger

    /// Creates the reader. `configuration`'s group is only a name for the broker: the reader never
    /// subscribes, joins or commits.
    ///
    /// - Throws: ``KafkaError`` when a property is rejected or the loaded librdkafka is older than 2.2.
    public init(
        configuration: KafkaConsumerConfiguration,
        logger: Logger = Logger(label: "frontdoor.kafka.reader")
    ) throws(KafkaError) {
        var properties = configuration.properties
        // An empty partition must end a read at once: librdkafka reports the end of each partition.
        properties["enable.partition.eof"] = "true"
        let context = RDKafkaClientContext(logger: logger)
        self.client = try RDKafkaClient(type: RD_KAFKA_CONSUMER, properties: properties, context: context)
        rd_kafka_poll_set_consumer(self.client.handle)
        self.queue = DispatchQueue(label: "frontdoor.kafka.reader.\(configuration.groupID)")
        self.logger = logger
    }

    /// The partitions of `topic`, ascending, or `nil` when the cluster does not know it.
    public func partitions(of topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [Int32]? {
        try await self.queue.runBlocking { () throws(KafkaError) -> [Int32]? in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(self.client.handle, 1, nil, &metadata, timeout.rdKafkaTimeout)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError.broker(error) }
            defer { rd_kafka_metadata_destroy(metadata) }
            let cluster = KafkaClusterMetadata(metadata.pointee)
            guard let found = cluster.topics.first(where: { $0.name == topic }), found.rdKafkaError == nil else { return nil }
            return found.partitions.sorted()
        }
    }

    /// The low (oldest offset still held) and high (next offset to be written) watermarks of
    /// `partition`, as the partition leader reports them now.
    public func watermarks(
        of partition: KafkaTopicPartition,
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> (low: Int64, high: Int64) {
        try await self.queue.runBlocking { () throws(KafkaError) -> (low: Int64, high: Int64) in
            try self.watermarksBlocking(partition, timeout: timeout)
        }
    }

    /// Reads every message of the given partitions from each start offset (or
    /// ``KafkaTopicPartitionOffset/beginning``) up to the partition's high watermark at the time of
    /// the call, and returns those `include` accepts, in offset order per partition (partitions in
    /// the order given). `include` runs on the reader's queue as each message arrives, so that a
    /// large topic is not held in memory whole.
    ///
    /// - Throws: ``KafkaError/Code-swift.struct/timedOut`` when the messages up to the watermarks
    ///   did not all arrive within `timeout`; ``KafkaError`` for a watermark query or assignment
    ///   the broker refused.
    public func read(
        from starts: [KafkaTopicPartitionOffset],
        timeout: Duration = .seconds(60),
        where include: @escaping @Sendable (KafkaConsumerMessage) -> Bool = { _ in true }
    ) async throws(KafkaError) -> [KafkaConsumerMessage] {
        try await self.queue.runBlocking { () throws(KafkaError) -> [KafkaConsumerMessage] in
            try self.readBlocking(starts, timeout: timeout, include: include)
        }
    }

    // MARK: Internals

    private func watermarksBlocking(_ partition: KafkaTopicPartition, timeout: Duration) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(
            self.client.handle, partition.topic, partition.partition, &low, &high, timeout.rdKafkaTimeout)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.broker(error, reason: "watermarks of \(partition): \(String(cString: rd_kafka_err2str(error)))")
        }
        return (low, high)
    }

    private func readBlocking(
        _ starts: [KafkaTopicPartitionOffset],
        timeout: Duration,
        include: (KafkaConsumerMessage) -> Bool
    ) throws(KafkaError) -> [KafkaConsumerMessage] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        // Where each partition's read ends (exclusive), and where it starts.
        var ends: [KafkaTopicPartition: Int64] = [:]
        var assigned: [KafkaTopicPartitionOffset] = []
        for start in starts {
            let (low, high) = try self.watermarksBlocking(start.topicPartition, timeout: clock.now.duration(to: deadline))
            let first = start.offset < 0 ? low : max(start.offset, low)
            guard first < high else { continue }
            ends[start.topicPartition] = high
            assigned.append(KafkaTopicPartitionOffset(start.topicPartition, offset: first))
        }
        guard !assigned.isEmpty else { return [] }

        let handle = self.client.handle
        let assignError = RDKafkaTopicPartitionList.with(assigned) { rd_kafka_assign(handle, $0) }
        guard assignError == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(assignError) }
        defer { _ = rd_kafka_assign(handle, nil) }

        var read: [KafkaTopicPartition: [KafkaConsumerMessage]] = [:]
        var pending = Set(ends.keys)
        var topicNames = TopicNameCache()
        while !pending.isEmpty {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw KafkaError.timedOut(
                    reason: "read did not reach the high watermark of \(pending.sorted { $0.description < $1.description }) in time")
            }
            guard let raw = rd_kafka_consumer_poll(handle, min(remaining, .milliseconds(500)).rdKafkaTimeout) else {
                self.finishByPosition(&pending, ends: ends)
                continue
            }
            defer { rd_kafka_message_destroy(raw) }
            let message = raw.pointee
            let partition = KafkaTopicPartition(topic: topicNames.name(of: message.rkt), partition: message.partition)
            if message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                pending.remove(partition)
                continue
            }
            guard message.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                if let fatal = self.client.fatalError() { throw fatal }
                self.logger.warning(
                    "Reader error: \(String(cString: rd_kafka_err2str(message.err)))",
                    metadata: [KafkaLoggingKeys.errorCode: "\(message.err.rawValue)", KafkaLoggingKeys.topic: "\(partition)"])
                continue
            }
            guard let end = ends[partition], message.offset < end else {
                pending.remove(partition)
                continue
            }
            let copy = KafkaConsumer.message(raw, topicNames: &topicNames)
            if include(copy) { read[partition, default: []].append(copy) }
            if message.offset + 1 >= end { pending.remove(partition) }
        }
        return assigned.flatMap { read[$0.topicPartition] ?? [] }
    }

    /// Ends the partitions whose position already passed their end: offsets with no message
    /// (transaction markers, compacted records) below the high watermark.
    private func finishByPosition(_ pending: inout Set<KafkaTopicPartition>, ends: [KafkaTopicPartition: Int64]) {
        let partitions = Array(pending)
        let positions: [KafkaTopicPartitionOffset] = RDKafkaTopicPartitionList.with(partitions) { list in
            guard rd_kafka_position(self.client.handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [] }
            return RDKafkaTopicPartitionList.offsets(of: list)
        }
        for position in positions where position.offset >= 0 {
            if let end = ends[position.topicPartition], position.offset >= end { pending.remove(position.topicPartition) }
        }
    }
}
