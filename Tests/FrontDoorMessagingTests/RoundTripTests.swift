import Foundation
import FrontDoorMessaging
import Testing

@Suite("Round trip through the broker")
struct RoundTripTests {
    /// 100,000 keyed messages with headers over 6 partitions: every one arrives once, each key
    /// stays in one partition, and each key's messages arrive in the order they were sent.
    @Test(.timeLimit(.minutes(3)))
    func hundredThousandKeyedMessagesKeepPerKeyOrder() async throws {
        let topic = TestKafka.uniqueTopic("roundtrip")
        try await TestKafka.createTopic(topic, partitions: 6)
        let keys = 1000
        let perKey = 100

        let producer = try KafkaProducer(configuration: TestKafka.producerConfiguration(), logger: TestKafka.logger)
        var partitionsWritten = Set<Int32>()
        for chunk in 0..<(perKey / 10) {
            // Sequence numbers 10*chunk ..< 10*chunk+10 of every key.
            var messages: [KafkaProducerMessage] = []
            messages.reserveCapacity(keys * 10)
            for sequence in (chunk * 10)..<(chunk * 10 + 10) {
                for key in 0..<keys {
                    messages.append(
                        KafkaProducerMessage(
                            topic: topic,
                            key: Array("pupil-\(key)".utf8),
                            value: Array("\(key):\(sequence)".utf8),
                            headers: [
                                KafkaHeader(key: "sequence", string: "\(sequence)"),
                                KafkaHeader(key: "source", string: "round-trip-test"),
                                KafkaHeader(key: "empty", value: nil),
                            ]
                        )
                    )
                }
            }
            for result in await producer.send(messages) {
                let report = try result.get()
                #expect(report.topic == topic)
                #expect(report.offset >= 0)
                partitionsWritten.insert(report.partition)
            }
        }
        await producer.close()
        #expect(partitionsWritten == Set(0..<6), "keys should spread over all 6 partitions")

        let consumer = try KafkaConsumer(
            configuration: TestKafka.consumerConfiguration(group: TestKafka.uniqueGroup("roundtrip")),
            logger: TestKafka.logger
        )
        try consumer.subscribe(topics: [topic])
        var nextSequence = [String: Int]()
        var partitionOfKey = [String: Int32]()
        var received = 0
        var problems: [String] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(120)
        while received < keys * perKey && clock.now < deadline {
            let batch = try await consumer.poll(maxMessages: 10_000, timeout: .milliseconds(500))
            for message in batch {
                received += 1
                let key = message.key?.string ?? "<none>"
                let parts = message.value.string.split(separator: ":")
                let sequence = Int(parts.last ?? "") ?? -1
                if "pupil-\(parts.first ?? "")" != key { problems.append("value \(message.value.string) under key \(key)") }
                if message.header("sequence")?.string != "\(sequence)" { problems.append("sequence header of \(key)") }
                if message.header("source")?.string != "round-trip-test" { problems.append("source header of \(key)") }
                if message.headers.map(\.key) != ["sequence", "source", "empty"] || message.headers[2].value != nil {
                    problems.append("headers of \(key): \(message.headers.map(\.key))")
                }
                if sequence != nextSequence[key, default: 0] {
                    problems.append("\(key): expected \(nextSequence[key, default: 0]), got \(sequence)")
                }
                nextSequence[key] = sequence + 1
                if partitionOfKey[key, default: message.partition] != message.partition {
                    problems.append("\(key) in two partitions")
                }
                partitionOfKey[key] = message.partition
                if message.topic != topic { problems.append("topic \(message.topic)") }
            }
            try consumer.storeOffsets(for: batch)
        }
        try await consumer.commit()
        try await consumer.close()

        #expect(problems.isEmpty, "\(problems.prefix(10))")
        #expect(received == keys * perKey)
        #expect(nextSequence.count == keys)
        #expect(nextSequence.values.allSatisfy { $0 == perKey })
        #expect(Set(partitionOfKey.values) == Set(0..<6))
    }
}
