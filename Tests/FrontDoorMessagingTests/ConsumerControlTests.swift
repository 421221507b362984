import Foundation
import FrontDoorMessaging
import Testing

@Suite("Consumer control, lag, admin and configuration")
struct ConsumerControlTests {
    /// Pausing a partition stops its delivery, resuming continues where it stopped, and the lag
    /// from librdkafka's statistics follows the committed offset.
    @Test(.timeLimit(.minutes(2)))
    func pauseResumeAndLag() async throws {
        let topic = TestKafka.uniqueTopic("pause")
        try await TestKafka.createTopic(topic, partitions: 1)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let producer = try KafkaProducer(configuration: TestKafka.producerConfiguration(), logger: TestKafka.logger)
        func produce(_ range: Range<Int>) async throws {
            let messages = range.map { KafkaProducerMessage(topic: topic, key: nil, value: Array("\($0)".utf8)) }
            for result in await producer.send(messages) { _ = try result.get() }
        }
        try await produce(0..<20)

        var configuration = TestKafka.consumerConfiguration(group: TestKafka.uniqueGroup("pause"))
        configuration.statisticsInterval = .milliseconds(500)
        let consumer = try KafkaConsumer(configuration: configuration, logger: TestKafka.logger)
        try consumer.subscribe(topics: [topic])
        let first = try await TestKafka.poll(consumer, timeout: .seconds(30)) { $0.count >= 20 }
        #expect(first.map(\.offset) == Array(0..<20))
        #expect(try consumer.assignment() == [partition])

        // Lag = high watermark (20) - committed offset (5).
        try await consumer.commit([KafkaTopicPartitionOffset(partition, offset: 5)])
        let lagDeadline = ContinuousClock.now + .seconds(20)
        while consumer.consumerLag()[partition] != 15 && ContinuousClock.now < lagDeadline {
            _ = try await consumer.poll(maxMessages: 10, timeout: .milliseconds(200))
        }
        #expect(consumer.consumerLag()[partition] == 15)

        try consumer.pause([partition])
        try await produce(20..<25)
        let whilePaused = try await TestKafka.poll(consumer, timeout: .seconds(2)) { _ in false }
        #expect(whilePaused.isEmpty, "a paused partition delivered \(whilePaused.map(\.offset))")

        try consumer.resume([partition])
        let afterResume = try await TestKafka.poll(consumer, timeout: .seconds(20)) { $0.count >= 5 }
        #expect(afterResume.map(\.offset) == Array(20..<25))

        // Stored offsets are what a plain commit() sends.
        try consumer.storeOffsets(afterResume.map(\.nextOffset))
        try await consumer.commit()
        let lagAfterCommit = ContinuousClock.now + .seconds(20)
        while consumer.consumerLag()[partition] != 0 && ContinuousClock.now < lagAfterCommit {
            _ = try await consumer.poll(maxMessages: 10, timeout: .milliseconds(200))
        }
        #expect(consumer.consumerLag()[partition] == 0)

        try await consumer.close()
        await producer.close()
        await #expect(throws: KafkaError.self) { _ = try await consumer.poll() }
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaProducerMessage(topic: topic, key: nil, value: [1]))
        }
    }

    /// Creating an existing topic and deleting a missing one succeed; a missing topic has no partition count.
    @Test func createTopicIsIdempotentAndMetadataReportsPartitions() async throws {
        let topic = TestKafka.uniqueTopic("admin")
        let admin = try KafkaAdmin(
            configuration: KafkaAdminConfiguration(bootstrapServers: TestKafka.brokers),
            logger: TestKafka.logger
        )
        try await admin.createTopic(topic, partitions: 3, replicationFactor: 1)
        try await admin.createTopic(topic, partitions: 3, replicationFactor: 1)
        #expect(try await admin.partitionCount(of: topic) == 3)
        #expect(try await admin.partitionCount(of: TestKafka.uniqueTopic("missing")) == nil)
        let metadata = try await admin.metadata()
        #expect(!metadata.brokers.isEmpty)
        #expect(metadata.topics.first { $0.name == topic }?.partitions == [0, 1, 2])

        try await admin.deleteTopic(topic)
        try await admin.deleteTopic(topic)
        #expect(try await admin.partitionCount(of: topic) == nil)

        // The default replication factor (-1) leaves it to the broker.
        let defaulted = TestKafka.uniqueTopic("admin-default-rf")
        try await admin.createTopic(defaulted, partitions: 2)
        #expect(try await admin.partitionCount(of: defaulted) == 2)
        try await admin.deleteTopic(defaulted)
    }

    /// librdkafka's own validation surfaces as a configuration error naming the key only.
    @Test func invalidPropertiesAreRejected() throws {
        var configuration = TestKafka.consumerConfiguration(group: "unused")
        configuration.additionalProperties["no.such.property"] = "x"
        #expect(throws: KafkaError.self) { _ = try KafkaConsumer(configuration: configuration) }

        var producerConfiguration = TestKafka.producerConfiguration()
        producerConfiguration.additionalProperties["sasl.password"] = "secret-value"
        producerConfiguration.additionalProperties["security.protocol"] = "not-a-protocol"
        do {
            _ = try KafkaProducer(configuration: producerConfiguration)
            Issue.record("an invalid security.protocol was accepted")
        } catch {
            #expect(error.code == .configuration)
            #expect(!String(reflecting: error).contains("secret-value"))
        }
    }
}
