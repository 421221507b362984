import CRdKafka

extension KafkaError {
    /// Whether sending the same message again cannot succeed: the broker or librdkafka refused
    /// *this message* (its size, its topic's name or permissions, its contents), so a retry with
    /// the same bytes to the same topic fails the same way.
    ///
    /// Delivery reports and `rd_kafka_produceva` give a bare `rd_kafka_resp_err_t` (librdkafka's
    /// `rd_kafka_error_is_retriable` needs an `rd_kafka_error_t`, which those paths do not keep),
    /// so the decision is this table over ``rdKafkaCode``:
    ///
    /// | permanent | code |
    /// | --- | --- |
    /// | the message is too large (locally, over `message.max.bytes`, or for the broker) | `MSG_SIZE_TOO_LARGE` (10), `INVALID_MSG_SIZE` (4), `RECORD_LIST_TOO_LARGE` (18) |
    /// | the broker refuses its contents | `INVALID_RECORD` (87), `INVALID_TIMESTAMP` (32), `UNSUPPORTED_FOR_MESSAGE_FORMAT` (43), `POLICY_VIOLATION` (44) |
    /// | the topic name is invalid, or access to it is denied | `TOPIC_EXCEPTION` (17), `TOPIC_AUTHORIZATION_FAILED` (29), `CLUSTER_AUTHORIZATION_FAILED` (31) |
    /// | the topic does not exist, after librdkafka waited for it (`topic.metadata.propagation.max.ms` or the message timeout) | `UNKNOWN_TOPIC_OR_PART` (3), `_UNKNOWN_TOPIC` (-188), `_UNKNOWN_PARTITION` (-190) |
    /// | librdkafka refused the arguments | `_INVALID_ARG` (-186) |
    ///
    /// Everything else is transient: timeouts (`_MSG_TIMED_OUT`, `REQUEST_TIMED_OUT`), transport
    /// and broker availability (`_TRANSPORT`, `_ALL_BROKERS_DOWN`, `BROKER_NOT_AVAILABLE`,
    /// `LEADER_NOT_AVAILABLE`, `NOT_LEADER_FOR_PARTITION`, `NOT_ENOUGH_REPLICAS`), a full queue,
    /// purges on close, and `_FATAL` (the idempotent producer is unusable: the process must
    /// restart, and treating it as permanent would give up messages that a new producer can send).
    /// Errors not raised by librdkafka (``Code-swift.struct/closed``, ``Code-swift.struct/configuration``…)
    /// are not permanent either.
    public var isPermanent: Bool {
        guard let code = self.rdKafkaCode else { return false }
        return Self.permanentCodes.contains(code)
    }

    /// The opposite of ``isPermanent``: the same send may succeed later.
    public var isRetriable: Bool { !self.isPermanent }

    /// Whether the message was refused for its size (a smaller one to the same topic may go through).
    public var isMessageTooLarge: Bool {
        guard let code = self.rdKafkaCode else { return false }
        return [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
        ].map(\.rawValue).contains(code)
    }

    private static let permanentCodes: Set<Int32> = Set(
        [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
            RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP,
            RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT, RD_KAFKA_RESP_ERR_POLICY_VIOLATION,
            RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
            RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR__INVALID_ARG,
        ].map(\.rawValue))
}
