/// A message for ``KafkaProducer`` to send.
public struct KafkaProducerMessage: Sendable, Hashable {
    public var topic: String
    /// The partition to write to; `nil` lets the partitioner choose from the key
    /// (librdkafka's `partitioner`, default `consistent_random`: the same key always goes
    /// to the same partition, keyless messages are spread randomly).
    public var partition: Int32?
    public var key: [UInt8]?
    /// The value; an empty array is sent as a null value.
    public var value: [UInt8]
    public var headers: [KafkaHeader]

    public init(
        topic: String,
        partition: Int32? = nil,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// The broker's acknowledgement of a produced message.
public struct KafkaDeliveryReport: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    /// The offset the broker gave the message, or `-1` when the broker did not return one.
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}
