import CRdKafka
import Dispatch
import Foundation
import Logging

/// Reads whole partitions, from a given offset to their end, without joining a consumer group.
///
/// For tools that inspect a topic (the dead-letter console) rather than consume it: partitions
/// are assigned explicitly (`rd_kafka_assign`), nothing is ever committed, and no group member is
/// disturbed. A ``read(from:timeout:where:)`` ends when it has caught up with every partition
/// (librdkafka's end-of-partition event), so on a topic still being written it includes what
/// arrived meanwhile; meant for quiet topics such as dead-letter queues.
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
        // A read ends at each partition's end: librdkafka reports it (also for an empty partition).
        properties["enable.partition.eof"] = "true"
        // A start past the end reads nothing rather than the whole partition again (on a broker
        // that answers it with OFFSET_OUT_OF_RANGE; Tansu does not, and the read times out).
        properties["auto.offset.reset"] = "latest"
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
    /// `partition`, as the partition leader reports them now (ListOffsets).
    ///
    /// - Note: Tansu (the local stack's broker) reports as the high watermark the base offset of the
    ///   partition's last record batch plus one, which is less than the log end offset when that
    ///   batch holds several messages; ``read(from:timeout:where:)`` therefore does not rely on it.
    public func watermarks(
        of partition: KafkaTopicPartition,
        timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> (low: Int64, high: Int64) {
        try await self.queue.runBlocking { () throws(KafkaError) -> (low: Int64, high: Int64) in
            try self.watermarksBlocking(partition, timeout: timeout)
        }
    }

    /// Reads every message of the given partitions from each start offset (or
    /// ``KafkaTopicPartitionOffset/beginning``) to the partition's end, and returns those `include` accepts, in offset order per partition (partitions in
    /// the order given). `include` runs on the reader's queue as each message arrives, so that a
    /// large topic is not held in memory whole.
    ///
    /// - Throws: ``KafkaError/Code-swift.struct/timedOut`` when a partition's end was not reached
    ///   within `timeout`; ``KafkaError`` for a watermark query or assignment
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
        guard !starts.isEmpty else { return [] }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        // A start below the low watermark (deleted by retention) starts at the oldest message held.
        // The high watermark is not used to end the read: Tansu answers ListOffsets(latest) with
        // the base offset of the last record batch plus one, not the log end offset, so a read
        // that stopped there missed every message after the first of a batch. The read ends at
        // each partition's end-of-partition event instead, which follows the fetch position.
        var assigned: [KafkaTopicPartitionOffset] = []
        for start in starts {
            let low = try self.watermarksBlocking(start.topicPartition, timeout: clock.now.duration(to: deadline)).low
            assigned.append(KafkaTopicPartitionOffset(start.topicPartition, offset: start.offset < 0 ? low : max(start.offset, low)))
        }

        let handle = self.client.handle
        let assignError = RDKafkaTopicPartitionList.with(assigned) { rd_kafka_assign(handle, $0) }
        guard assignError == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(assignError) }
        defer { _ = rd_kafka_assign(handle, nil) }

        var read: [KafkaTopicPartition: [KafkaConsumerMessage]] = [:]
        var pending = Set(assigned.map(\.topicPartition))
        var topicNames = TopicNameCache()
        while !pending.isEmpty {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw KafkaError.timedOut(
                    reason: "read did not reach the end of \(pending.map(\.description).sorted().joined(separator: ", ")) in time")
            }
            guard let raw = rd_kafka_consumer_poll(handle, min(remaining, .milliseconds(500)).rdKafkaTimeout) else { continue }
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
            guard pending.contains(partition) else { continue }
            let copy = KafkaConsumer.message(raw, topicNames: &topicNames)
            if include(copy) { read[partition, default: []].append(copy) }
        }
        return assigned.flatMap { read[$0.topicPartition] ?? [] }
    }
}
