import Foundation
import FrontDoorMessaging
import Synchronization
import Testing

/// A batch bounded in bytes, and partitions assigned paused then moved with a seek: what the
/// workers need to keep memory bounded and to wait for PostgreSQL's offsets without blocking
/// the poll thread.
@Suite("Consumer bounds, paused assignment and seek")
struct ConsumerBoundsTests {
    /// 500 rejects of 1 MB must not make a 500 MB batch: a poll stops at `maxBytes` (plus the
    /// message that crossed it), and a message larger than the bound comes alone.
    @Test(.timeLimit(.minutes(2)))
    func batchesAreBoundedInBytes() async throws {
        let topic = TestKafka.uniqueTopic("bytes")
        try await TestKafka.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: TestKafka.producerConfiguration(), logger: TestKafka.logger)
        let big = KafkaProducerMessage(topic: topic, key: nil, value: [UInt8](repeating: 1, count: 5_000))
        let small = (0..<10).map { _ in KafkaProducerMessage(topic: topic, key: nil, value: [UInt8](repeating: 2, count: 1_000)) }
        for result in await producer.send([big] + small) { _ = try result.get() }
        await producer.close()

        let consumer = try KafkaConsumer(
            configuration: TestKafka.consumerConfiguration(group: TestKafka.uniqueGroup("bytes")), logger: TestKafka.logger)
        try consumer.subscribe(topics: [topic])
        var batches: [KafkaConsumerBatch] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while batches.reduce(0, { $0 + $1.count }) < 11 && ContinuousClock.now < deadline {
            let batch = try await consumer.poll(maxMessages: 100, maxBytes: 2_500, timeout: .milliseconds(500))
            if !batch.isEmpty { batches.append(batch) }
        }
        try await consumer.close()

        #expect(batches.flatMap { $0.map(\.offset) } == Array(0..<11))
        #expect(batches.first?.map(\.offset) == [0], "the 5,000-byte message forms a batch of its own")
        for batch in batches {
            // Below the bound until its last message.
            #expect(batch.dropLast().reduce(0) { $0 + $1.size } < 2_500, "batch of \(batch.map(\.size))")
        }
        #expect(batches.count >= 4, "ten 1,000-byte messages need at least 4 batches of 2,500 bytes")
    }

    /// A handler that asks for paused assignments gets no message of its partitions until it
    /// seeks and resumes them; then they start at the offset it chose.
    @Test(.timeLimit(.minutes(2)))
    func pausedAssignmentStartsWhereTheSeekSays() async throws {
        let topic = TestKafka.uniqueTopic("seek")
        try await TestKafka.createTopic(topic, partitions: 1)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let producer = try KafkaProducer(configuration: TestKafka.producerConfiguration(), logger: TestKafka.logger)
        let messages = (0..<10).map { KafkaProducerMessage(topic: topic, key: nil, value: Array("\($0)".utf8)) }
        for result in await producer.send(messages) { _ = try result.get() }
        await producer.close()

        let handler = PausingHandler()
        let consumer = try KafkaConsumer(
            configuration: TestKafka.consumerConfiguration(group: TestKafka.uniqueGroup("seek")), rebalanceHandler: handler,
            logger: TestKafka.logger)
        try consumer.subscribe(topics: [topic])
        var whilePaused: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while handler.assigned.isEmpty && ContinuousClock.now < deadline {
            whilePaused += try await consumer.poll(maxMessages: 100, timeout: .milliseconds(200))
        }
        #expect(handler.assigned == [partition])
        // Well past the time a fetch from the beginning takes.
        whilePaused += try await TestKafka.poll(consumer, timeout: .seconds(3)) { _ in false }
        #expect(whilePaused.isEmpty, "a partition assigned paused delivered \(whilePaused.map(\.offset))")

        try await consumer.seek([KafkaTopicPartitionOffset(partition, offset: 6)])
        try consumer.resume([partition])
        let afterSeek = try await TestKafka.poll(consumer, timeout: .seconds(20)) { $0.count >= 4 }
        #expect(afterSeek.map(\.offset) == [6, 7, 8, 9])
        try await consumer.close()
    }
}

/// Starts every assigned partition from its beginning, paused.
private final class PausingHandler: KafkaRebalanceHandler {
    private let partitions = Mutex<[KafkaTopicPartition]>([])
    var assigned: [KafkaTopicPartition] { partitions.withLock { $0 } }
    var pausesAssignedPartitions: Bool { true }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64] {
        self.partitions.withLock { $0 += partitions }
        return Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaTopicPartitionOffset.beginning) })
    }
}
