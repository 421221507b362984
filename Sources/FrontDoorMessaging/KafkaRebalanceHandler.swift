/// Hooks the consumer calls synchronously while a consumer-group rebalance is in progress,
/// before the assignment or revocation completes.
///
/// Workers that keep their offsets outside Kafka (in PostgreSQL) use this to finish their work
/// on partitions that are being taken away, and to tell the consumer where each newly assigned
/// partition must start.
///
/// - Important: Both methods run on the consumer's own poll thread, inside a call to
///   ``KafkaConsumer/poll(maxMessages:maxBytes:timeout:)`` or ``KafkaConsumer/close()``; never on the
///   Swift cooperative thread pool. They may block (for example while waiting for a database
///   query or for in-flight work to commit), and the group's rebalance waits for them; keep
///   that well under `max.poll.interval.ms`. Do not call ``KafkaConsumer/poll(maxMessages:maxBytes:timeout:)``
///   or ``KafkaConsumer/close()`` from them (that would deadlock); the other consumer methods are safe.
public protocol KafkaRebalanceHandler: Sendable {
    /// Called before `partitions` are taken from this consumer.
    ///
    /// When this returns, the consumer gives up the partitions (`rd_kafka_incremental_unassign`).
    /// Messages of these partitions that the consumer had fetched but not yet returned from
    /// ``KafkaConsumer/poll(maxMessages:maxBytes:timeout:)`` are dropped; the next owner reads them again
    /// from the offsets the caller stored.
    ///
    /// - Parameters:
    ///   - partitions: The partitions being revoked.
    ///   - lost: `true` when the group already considers the partitions lost (for example after
    ///     a session timeout): another member may own them already, so don't commit for them.
    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool)

    /// Called before `partitions` are given to this consumer; returns where each must start.
    ///
    /// The consumer then assigns the partitions (`rd_kafka_incremental_assign`) starting at the
    /// returned offsets: the offset of the first message to consume, or
    /// ``KafkaTopicPartitionOffset/beginning`` / ``KafkaTopicPartitionOffset/end``. A partition
    /// missing from the result starts from the group's committed offset, or from
    /// `auto.offset.reset` when there is none.
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64]

    /// Whether newly assigned partitions start paused (default `false`).
    ///
    /// A handler that cannot tell yet where a partition must start (its offsets store is
    /// unreachable) returns a provisional start and sets this; the consumer then pauses the
    /// partitions as part of the assignment, before any of their messages is returned, and the
    /// caller later moves them with ``KafkaConsumer/seek(_:timeout:)`` and
    /// ``KafkaConsumer/resume(_:)``, without blocking the poll thread meanwhile.
    var pausesAssignedPartitions: Bool { get }
}

extension KafkaRebalanceHandler {
    public func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) {}

    public func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64] { [:] }

    public var pausesAssignedPartitions: Bool { false }
}
