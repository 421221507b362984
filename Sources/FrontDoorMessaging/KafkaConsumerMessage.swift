import Foundation

/// A message read by ``KafkaConsumer``, copied out of librdkafka's buffers once.
public struct KafkaConsumerMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The message key, `nil` when the producer sent none.
    public var key: [UInt8]?
    /// The message value. A null value (a tombstone) arrives as an empty array.
    public var value: [UInt8]
    /// The message headers in the order they were produced; empty when there are none.
    public var headers: [KafkaHeader]
    /// The message timestamp (create or log-append time), when the broker reported one.
    public var timestamp: Date?

    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestamp: Date? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    public var topicPartition: KafkaTopicPartition {
        KafkaTopicPartition(topic: self.topic, partition: self.partition)
    }

    /// The offset to store or commit once this message is processed: `offset + 1`.
    public var nextOffset: KafkaTopicPartitionOffset {
        KafkaTopicPartitionOffset(topic: self.topic, partition: self.partition, offset: self.offset + 1)
    }

    /// The bytes this message holds: key, value and headers (what ``KafkaConsumer/poll(maxMessages:maxBytes:timeout:)`` bounds).
    public var size: Int {
        (self.key?.count ?? 0) + self.value.count + self.headers.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) }
    }

    /// The value of the first header named `key`, if any.
    public func header(_ key: String) -> [UInt8]? {
        self.headers.first { $0.key == key }?.value
    }
}
