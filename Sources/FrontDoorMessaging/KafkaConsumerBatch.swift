/// The messages returned by one ``KafkaConsumer/poll(maxMessages:maxBytes:timeout:)``, in the order
/// librdkafka delivered them (offset order within each partition).
public struct KafkaConsumerBatch: Sendable, RandomAccessCollection {
    public var messages: [KafkaConsumerMessage]

    public init(messages: [KafkaConsumerMessage]) {
        self.messages = messages
    }

    public var startIndex: Int { self.messages.startIndex }
    public var endIndex: Int { self.messages.endIndex }
    public subscript(position: Int) -> KafkaConsumerMessage { self.messages[position] }

    /// For every partition in the batch, the offset to store once the whole batch is processed:
    /// the highest offset seen plus one. Sorted by topic and partition.
    public var nextOffsets: [KafkaTopicPartitionOffset] {
        var highest: [KafkaTopicPartition: Int64] = [:]
        for message in self.messages {
            let key = message.topicPartition
            if message.offset >= highest[key, default: -1] {
                highest[key] = message.offset
            }
        }
        return highest.map { KafkaTopicPartitionOffset($0.key, offset: $0.value + 1) }
            .sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }
}
