import Foundation
import FrontDoorMessaging
import Logging
import Synchronization
import Testing

/// Shared settings and helpers for the integration tests, which run against a real broker.
enum TestKafka {
    /// `FRONTDOOR_KAFKA_BROKERS`, or the local stack's Tansu.
    static let brokers: [String] = (ProcessInfo.processInfo.environment["FRONTDOOR_KAFKA_BROKERS"] ?? "127.0.0.1:59092")
        .split(separator: ",").map(String.init)

    static let logger: Logger = {
        var logger = Logger(label: "frontdoor.messaging.tests")
        let level = ProcessInfo.processInfo.environment["FRONTDOOR_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .warning
        return logger
    }()

    /// A topic name no other test (or engineer) uses.
    static func uniqueTopic(_ name: String) -> String {
        "frontdoor.test.\(name).\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func uniqueGroup(_ name: String) -> String {
        "frontdoor-test-\(name)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Creates `topic` with `partitions` and waits until the metadata shows them.
    static func createTopic(_ topic: String, partitions: Int32, brokers: [String] = brokers) async throws {
        let admin = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: brokers), logger: logger)
        try await admin.createTopic(topic, partitions: partitions, replicationFactor: 1)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(15)
        while clock.now < deadline {
            if try await admin.partitionCount(of: topic) == Int(partitions) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("topic \(topic) did not show \(partitions) partitions")
    }

    /// Consumer settings for the tests: Tansu completes a join after about half the session
    /// timeout, so a short one keeps rebalances to a few seconds.
    static func consumerConfiguration(group: String, brokers: [String] = brokers) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: group)
        configuration.clientID = "frontdoor-messaging-tests"
        configuration.sessionTimeout = .milliseconds(6000)
        configuration.heartbeatInterval = .milliseconds(500)
        configuration.autoOffsetReset = .earliest
        return configuration
    }

    static func producerConfiguration(brokers: [String] = brokers) -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: brokers)
        configuration.clientID = "frontdoor-messaging-tests"
        configuration.messageTimeout = .seconds(30)
        return configuration
    }

    /// Polls until `done` returns true for everything received so far, or `timeout` passes.
    /// Returns all messages received.
    @discardableResult
    static func poll(
        _ consumer: KafkaConsumer,
        timeout: Duration,
        until done: ([KafkaConsumerMessage]) -> Bool
    ) async throws -> [KafkaConsumerMessage] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var received: [KafkaConsumerMessage] = []
        while clock.now < deadline {
            if done(received) { return received }
            let batch = try await consumer.poll(maxMessages: 5000, timeout: .milliseconds(200))
            received.append(contentsOf: batch)
        }
        return received
    }
}

/// Records what the consumer's rebalance hooks were called with, and hands out start offsets.
final class RebalanceRecorder: KafkaRebalanceHandler {
    struct Calls: Sendable {
        var assigned: [[KafkaTopicPartition]] = []
        var revoked: [[KafkaTopicPartition]] = []
    }

    private let calls = Mutex(Calls())
    private let startOffsets: [KafkaTopicPartition: Int64]

    init(startOffsets: [KafkaTopicPartition: Int64] = [:]) {
        self.startOffsets = startOffsets
    }

    var recorded: Calls { self.calls.withLock { $0 } }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64] {
        self.calls.withLock { $0.assigned.append(partitions) }
        return self.startOffsets.filter { partitions.contains($0.key) }
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool) {
        self.calls.withLock { $0.revoked.append(partitions) }
    }
}

extension Array where Element == UInt8 {
    var string: String { String(decoding: self, as: UTF8.self) }
}
