/// A partition of a topic.
public struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(self.topic)[\(self.partition)]" }
}

/// A partition and an offset in it.
///
/// When stored or committed, ``offset`` is the *next* offset to consume: the offset of the
/// last processed message plus one. When returned from
/// ``KafkaRebalanceHandler/partitionsAssigned(_:)``, it is the offset of the first message
/// to consume; the special values ``beginning`` and ``end`` are accepted there too.
public struct KafkaTopicPartitionOffset: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    /// librdkafka's `RD_KAFKA_OFFSET_BEGINNING`: the oldest message still in the log.
    public static let beginning: Int64 = -2
    /// librdkafka's `RD_KAFKA_OFFSET_END`: only messages produced from now on.
    public static let end: Int64 = -1

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public init(_ topicPartition: KafkaTopicPartition, offset: Int64) {
        self.init(topic: topicPartition.topic, partition: topicPartition.partition, offset: offset)
    }

    public var topicPartition: KafkaTopicPartition {
        KafkaTopicPartition(topic: self.topic, partition: self.partition)
    }

    public var description: String { "\(self.topic)[\(self.partition)]@\(self.offset)" }
}
