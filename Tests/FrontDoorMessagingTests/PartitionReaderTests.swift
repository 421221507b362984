import Foundation
import FrontDoorMessaging
import Testing

/// ``KafkaPartitionReader``: reads partitions up to their high watermark without a consumer group
/// (what `frontdoor dlq` reads the dead-letter queues with).
@Suite("Partition reader")
struct PartitionReaderTests {
    @Test(
        "reads every partition to its end, empty ones included, from a given offset, with a filter",
        .timeLimit(.minutes(2)))
    func readsUpToTheHighWatermark() async throws {
        let topic = TestKafka.uniqueTopic("reader")
        try await TestKafka.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: TestKafka.producerConfiguration(), logger: TestKafka.logger)
        // Partition 0 gets 5 messages, partition 1 gets 2, partition 2 none.
        let messages =
            (0..<5).map {
                KafkaProducerMessage(
                    topic: topic, partition: 0, key: nil, value: Array("p0-\($0)".utf8),
                    headers: [KafkaHeader(key: "n", string: "\($0)")])
            } + (0..<2).map { KafkaProducerMessage(topic: topic, partition: 1, key: Array("k".utf8), value: Array("p1-\($0)".utf8)) }
        for result in await producer.send(messages) { _ = try result.get() }

        let reader = try KafkaPartitionReader(
            configuration: TestKafka.consumerConfiguration(group: TestKafka.uniqueGroup("reader")), logger: TestKafka.logger)
        #expect(try await reader.partitions(of: topic) == [0, 1, 2])
        #expect(try await reader.partitions(of: TestKafka.uniqueTopic("absent")) == nil)
        let marks = try await reader.watermarks(of: KafkaTopicPartition(topic: topic, partition: 0))
        // Not 5: Tansu reports the last batch's base offset + 1 (one batch of 5 here), which is why
        // a read ends at the end-of-partition event, not at this watermark.
        #expect(marks.low == 0 && marks.high >= 1, "\(marks)")

        let starts = (0..<3).map { KafkaTopicPartitionOffset(topic: topic, partition: Int32($0), offset: KafkaTopicPartitionOffset.beginning) }
        let all = try await reader.read(from: starts, timeout: .seconds(30))
        #expect(all.map { String(decoding: $0.value, as: UTF8.self) } == ["p0-0", "p0-1", "p0-2", "p0-3", "p0-4", "p1-0", "p1-1"])
        #expect(all.first?.header("n") == Array("0".utf8))

        // From offset 3, and only what the filter keeps.
        let some = try await reader.read(from: [KafkaTopicPartitionOffset(topic: topic, partition: 0, offset: 3)]) { $0.offset != 4 }
        #expect(some.map(\.offset) == [3])

        // A later read sees what was produced since.
        _ = try await producer.send(KafkaProducerMessage(topic: topic, partition: 2, key: nil, value: Array("p2-0".utf8)))
        #expect(try await reader.read(from: starts).count == 8)
        await producer.close()
    }
}
