/// How a ``KafkaConsumer`` connects and behaves.
///
/// The typed properties cover what frontdoor uses; anything else librdkafka understands (TLS,
/// SASL/SCRAM, fetch tuning…) goes in ``additionalProperties``. Some keys are fixed by the
/// wrapper because its API depends on them and cannot be overridden: `enable.auto.commit=false`,
/// `enable.auto.offset.store=false` and `partition.assignment.strategy=cooperative-sticky`.
public struct KafkaConsumerConfiguration: Sendable {
    /// Where a consumer starts in a partition that has no committed offset and no offset from
    /// ``KafkaRebalanceHandler``.
    public struct AutoOffsetReset: Sendable, Hashable {
        let value: String
        /// The oldest message still in the partition.
        public static let earliest = AutoOffsetReset(value: "earliest")
        /// Only messages produced after the partition was assigned.
        public static let latest = AutoOffsetReset(value: "latest")
        /// Fail: the consumer reports an error for the partition.
        public static let error = AutoOffsetReset(value: "error")
    }

    /// Initial brokers as `host:port`. librdkafka key: `bootstrap.servers`.
    public var bootstrapServers: [String]
    /// The consumer group. librdkafka key: `group.id`.
    public var groupID: String
    /// Identifies this client in broker logs. Default: `"frontdoor"`. librdkafka key: `client.id`.
    public var clientID: String = "frontdoor"
    /// How long the group waits for a silent member before it rebalances its partitions away.
    /// Default: `.seconds(45)`. librdkafka key: `session.timeout.ms`.
    public var sessionTimeout: Duration = .seconds(45)
    /// The heartbeat period; keep it under a third of ``sessionTimeout``. Default: `.seconds(3)`.
    /// librdkafka key: `heartbeat.interval.ms`.
    public var heartbeatInterval: Duration = .seconds(3)
    /// The longest time allowed between two polls before the consumer leaves the group.
    /// Default: `.seconds(300)`. librdkafka key: `max.poll.interval.ms`.
    public var maxPollInterval: Duration = .seconds(300)
    /// Default: ``AutoOffsetReset/earliest``. librdkafka key: `auto.offset.reset`.
    public var autoOffsetReset: AutoOffsetReset = .earliest
    /// How often librdkafka emits statistics, from which ``KafkaConsumer/consumerLag()`` is read;
    /// `nil` turns statistics off. Default: `nil`. librdkafka key: `statistics.interval.ms`.
    public var statisticsInterval: Duration? = nil
    /// Any other librdkafka property, passed through as is (for example `security.protocol`,
    /// `sasl.mechanism`, `ssl.ca.location`, `fetch.min.bytes`). Keys here override the typed
    /// properties above, but not the keys the wrapper fixes.
    public var additionalProperties: [String: String] = [:]

    public init(bootstrapServers: [String], groupID: String) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
    }
}
