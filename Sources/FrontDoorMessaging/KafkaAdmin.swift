import CRdKafka
import Dispatch
import Logging
import Synchronization

/// Topic administration and cluster metadata.
///
/// Each call blocks in librdkafka on a dispatch queue this client owns, never on the Swift
/// cooperative thread pool.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let queue: DispatchQueue

    /// - Throws: ``KafkaError`` when a property is rejected or the loaded librdkafka is older than 2.2.
    public init(
        configuration: KafkaAdminConfiguration,
        logger: Logger = Logger(label: "frontdoor.kafka.admin")
    ) throws(KafkaError) {
        // librdkafka runs admin requests on any client; a producer handle needs no group.
        self.client = try RDKafkaClient(
            type: RD_KAFKA_PRODUCER,
            properties: configuration.properties,
            context: RDKafkaClientContext(logger: logger)
        )
        self.queue = DispatchQueue(label: "frontdoor.kafka.admin")
    }

    /// Creates `topic` (`rd_kafka_CreateTopics`); a topic that already exists counts as success,
    /// whatever its partition count.
    ///
    /// - Parameters:
    ///   - topic: The topic name.
    ///   - partitions: How many partitions it gets.
    ///   - replicationFactor: Copies of each partition; `-1` uses the broker's
    ///     `default.replication.factor`.
    ///   - config: Topic-level configuration (`retention.ms`, `cleanup.policy`…).
    ///   - timeout: How long to wait for the broker.
    public func createTopic(
        _ topic: String,
        partitions: Int32,
        replicationFactor: Int32 = -1,
        config: [String: String] = [:],
        timeout: Duration = .seconds(30)
    ) async throws(KafkaError) {
        try await self.queue.runBlocking { () throws(KafkaError) in
            try self.createTopicBlocking(topic, partitions, replicationFactor, config, timeout)
        }
    }

    /// Deletes `topic` (`rd_kafka_DeleteTopics`); a topic that does not exist counts as success.
    ///
    /// - Warning: The data is gone for every consumer. Only delete topics you created.
    public func deleteTopic(_ topic: String, timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await self.queue.runBlocking { () throws(KafkaError) in
            let handle = self.client.handle
            let deleteTopic = rd_kafka_DeleteTopic_new(topic)
            defer { rd_kafka_DeleteTopic_destroy(deleteTopic) }
            let event = try self.request(RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout: timeout) { options, resultQueue in
                var topics: [OpaquePointer?] = [deleteTopic]
                rd_kafka_DeleteTopics(handle, &topics, 1, options, resultQueue)
            }
            defer { rd_kafka_event_destroy(event) }
            guard let result = rd_kafka_event_DeleteTopics_result(event) else {
                throw KafkaError.broker(RD_KAFKA_RESP_ERR__BAD_MSG, reason: "unexpected admin result event")
            }
            var count = 0
            let results = rd_kafka_DeleteTopics_result_topics(result, &count)
            try Self.check(results, count: count, accepting: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        }
    }

    /// Brokers and topics as the cluster reports them (`rd_kafka_metadata` for all topics).
    public func metadata(timeout: Duration = .seconds(10)) async throws(KafkaError) -> KafkaClusterMetadata {
        try await self.queue.runBlocking { () throws(KafkaError) -> KafkaClusterMetadata in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(self.client.handle, 1, nil, &metadata, timeout.rdKafkaTimeout)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError.broker(error) }
            defer { rd_kafka_metadata_destroy(metadata) }
            return KafkaClusterMetadata(metadata.pointee)
        }
    }

    /// How many partitions `topic` has, or `nil` when the cluster does not know it.
    public func partitionCount(of topic: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> Int? {
        try await self.metadata(timeout: timeout).topics.first { $0.name == topic }?.partitions.count
    }

    private func createTopicBlocking(
        _ topic: String,
        _ partitions: Int32,
        _ replicationFactor: Int32,
        _ config: [String: String],
        _ timeout: Duration
    ) throws(KafkaError) {
        let handle = self.client.handle
        var errorString = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(topic, partitions, replicationFactor, &errorString, errorString.count)
        else {
            throw KafkaError.configuration(reason: "invalid topic '\(topic)': \(Self.string(errorString))")
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (key, value) in config.sorted(by: { $0.key < $1.key }) {
            let error = rd_kafka_NewTopic_set_config(newTopic, key, value)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError.broker(error, reason: "invalid topic configuration '\(key)'")
            }
        }

        let event = try self.request(RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout: timeout) { options, resultQueue in
            var topics: [OpaquePointer?] = [newTopic]
            rd_kafka_CreateTopics(handle, &topics, 1, options, resultQueue)
        }
        defer { rd_kafka_event_destroy(event) }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError.broker(RD_KAFKA_RESP_ERR__BAD_MSG, reason: "unexpected admin result event")
        }
        var count = 0
        let results = rd_kafka_CreateTopics_result_topics(result, &count)
        try Self.check(results, count: count, accepting: RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    }

    /// Sends one admin request, with `timeout` as both its operation and request timeout, and
    /// returns its result event; the caller destroys it.
    private func request(
        _ operation: rd_kafka_admin_op_t,
        timeout: Duration,
        _ send: (_ options: OpaquePointer?, _ resultQueue: OpaquePointer?) -> Void
    ) throws(KafkaError) -> OpaquePointer {
        let handle = self.client.handle
        var errorString = [CChar](repeating: 0, count: 512)
        let options = rd_kafka_AdminOptions_new(handle, operation)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.rdKafkaTimeout, &errorString, errorString.count)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.rdKafkaTimeout, &errorString, errorString.count)
        let resultQueue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(resultQueue) }
        send(options, resultQueue)
        do {
            return try Self.waitForResult(resultQueue, timeout: timeout)
        } catch {
            // A cluster that refuses the credentials (or the TLS handshake) only shows as a
            // timeout or transport failure here; name the refusal instead.
            if let failure = self.client.context.authenticationFailure.withLock({ $0 }) {
                throw KafkaError.broker(RD_KAFKA_RESP_ERR__AUTHENTICATION, reason: "authentication failed: \(failure)")
            }
            throw error
        }
    }

    /// The admin result event from `queue`; the caller destroys it.
    private static func waitForResult(_ queue: OpaquePointer?, timeout: Duration) throws(KafkaError) -> OpaquePointer {
        // The request times out by itself after `timeout`; wait a little longer for that answer.
        guard let event = rd_kafka_queue_poll(queue, (timeout + .seconds(5)).rdKafkaTimeout) else {
            throw KafkaError.timedOut(reason: "no admin result")
        }
        let eventError = rd_kafka_event_error(event)
        guard eventError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let reason = String(cString: rd_kafka_event_error_string(event))
            rd_kafka_event_destroy(event)
            throw KafkaError.broker(eventError, reason: reason)
        }
        return event
    }

    /// Throws the first per-topic error other than `accepted`.
    private static func check(
        _ results: UnsafeMutablePointer<OpaquePointer?>?,
        count: Int,
        accepting accepted: rd_kafka_resp_err_t
    ) throws(KafkaError) {
        guard let results else { return }
        for index in 0..<count {
            let topicResult = results[index]
            let error = rd_kafka_topic_result_error(topicResult)
            guard error != RD_KAFKA_RESP_ERR_NO_ERROR, error != accepted else { continue }
            let reason = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) }
            throw KafkaError.broker(error, reason: reason ?? String(cString: rd_kafka_err2str(error)))
        }
    }

    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Brokers and topics reported by the cluster.
public struct KafkaClusterMetadata: Sendable, Hashable {
    public struct Broker: Sendable, Hashable {
        public var id: Int32
        public var host: String
        public var port: Int32
    }

    public struct Topic: Sendable, Hashable {
        public var name: String
        /// The partition ids, sorted.
        public var partitions: [Int32]
        /// The topic-level error the broker reported, if any (`rd_kafka_resp_err_t`).
        public var rdKafkaError: Int32?
    }

    public var brokers: [Broker]
    /// Sorted by name.
    public var topics: [Topic]

    init(_ metadata: rd_kafka_metadata) {
        self.brokers = (0..<Int(metadata.broker_cnt)).map { index in
            let broker = metadata.brokers[index]
            return Broker(id: broker.id, host: String(cString: broker.host), port: broker.port)
        }
        self.topics = (0..<Int(metadata.topic_cnt)).map { index in
            let topic = metadata.topics[index]
            let partitions = (0..<Int(topic.partition_cnt)).map { topic.partitions[$0].id }.sorted()
            let error = topic.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : topic.err.rawValue
            return Topic(name: String(cString: topic.topic), partitions: partitions, rdKafkaError: error)
        }
        .sorted { $0.name < $1.name }
    }
}
