/// How a ``KafkaProducer`` connects and batches.
///
/// The producer is always idempotent: `enable.idempotence=true` is fixed by the wrapper (which
/// implies `acks=all` and bounded in-flight requests), so retries never duplicate or reorder
/// messages within a partition. Anything else librdkafka understands goes in
/// ``additionalProperties``.
public struct KafkaProducerConfiguration: Sendable {
    /// A compression codec for produced batches.
    public struct Compression: Sendable, Hashable {
        let value: String
        public static let none = Compression(value: "none")
        public static let gzip = Compression(value: "gzip")
        public static let snappy = Compression(value: "snappy")
        public static let lz4 = Compression(value: "lz4")
        public static let zstd = Compression(value: "zstd")
    }

    /// Initial brokers as `host:port`. librdkafka key: `bootstrap.servers`.
    public var bootstrapServers: [String]
    /// Identifies this client in broker logs. Default: `"frontdoor"`. librdkafka key: `client.id`.
    public var clientID: String = "frontdoor"
    /// How long to wait for more messages before sending a batch. Default: `.milliseconds(5)`.
    /// librdkafka key: `linger.ms`.
    public var linger: Duration = .milliseconds(5)
    /// The most messages in one batch. Default: `10_000`. librdkafka key: `batch.num.messages`.
    public var batchMessages: Int = 10_000
    /// The most bytes in one batch. Default: `1_000_000`. librdkafka key: `batch.size`.
    public var batchBytes: Int = 1_000_000
    /// How long a message may wait for the broker's acknowledgement, retries included, before its
    /// send fails with ``KafkaError/Code-swift.struct/delivery``. Default: `.seconds(300)`.
    /// librdkafka key: `message.timeout.ms`.
    public var messageTimeout: Duration = .seconds(300)
    /// Default: ``Compression/none``. librdkafka key: `compression.codec`.
    public var compression: Compression = .none
    /// Any other librdkafka property, passed through as is (for example `security.protocol`,
    /// `sasl.mechanism`, `queue.buffering.max.messages`). Keys here override the typed
    /// properties above, but not the keys the wrapper fixes.
    public var additionalProperties: [String: String] = [:]

    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }
}
