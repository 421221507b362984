import Foundation
import FrontDoorMessaging
import Synchronization
import Testing

@Suite("Consumer groups and caller-owned offsets")
struct ConsumerGroupTests {
    /// Two members split six partitions; a third joining takes partitions away from them through
    /// an incremental (cooperative) rebalance that the rebalance hooks see.
    @Test(.timeLimit(.minutes(2)))
    func thirdMemberTriggersRebalanceSeenByHooks() async throws {
        let topic = TestKafka.uniqueTopic("rebalance")
        try await TestKafka.createTopic(topic, partitions: 6)
        let group = TestKafka.uniqueGroup("rebalance")
        let all = Set((0..<6).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) })

        let recorders = (0..<3).map { _ in RebalanceRecorder() }
        let consumers = try recorders.map { recorder in
            try KafkaConsumer(
                configuration: TestKafka.consumerConfiguration(group: group),
                rebalanceHandler: recorder,
                logger: TestKafka.logger
            )
        }
        let members = Members()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            // Each member polls on its own until told to stop, as a worker would.
            func start(_ index: Int) throws {
                try consumers[index].subscribe(topics: [topic])
                tasks.addTask {
                    while !members.stopped {
                        _ = try await consumers[index].poll(maxMessages: 100, timeout: .milliseconds(100))
                    }
                }
            }
            try start(0)
            try start(1)
            let splitByTwo = try await waitForAssignments(of: Array(consumers[0...1]), covering: all)
            #expect(splitByTwo.allSatisfy { !$0.isEmpty }, "both members own partitions: \(splitByTwo)")
            let revokedBeforeThird = recorders[0...1].map { $0.recorded.revoked.joined().count }

            try start(2)
            _ = try await waitForAssignments(of: consumers, covering: all)
            members.stop()
            try await tasks.waitForAll()
            let splitByThree = try consumers.map { Set(try $0.assignment()) }

            #expect(splitByThree.allSatisfy { !$0.isEmpty }, "all three members own partitions: \(splitByThree)")
            // The hooks saw the third member's arrival: partitions revoked from the first two, and
            // exactly the third member's partitions assigned to it.
            let revokedForThird = zip(recorders[0...1], revokedBeforeThird).flatMap { recorder, before in
                recorder.recorded.revoked.joined().dropFirst(before)
            }
            #expect(Set(revokedForThird) == splitByThree[2], "revoked \(revokedForThird), third owns \(splitByThree[2])")
            #expect(Set(recorders[2].recorded.assigned.joined()) == splitByThree[2])
            #expect(recorders[2].recorded.revoked.isEmpty)
            // What each member was told matches what it owns.
            for (recorder, owned) in zip(recorders, splitByThree) {
                var held = Set<KafkaTopicPartition>()
                let calls = recorder.recorded
                for assigned in calls.assigned { held.formUnion(assigned) }
                for revoked in calls.revoked { held.subtract(revoked) }
                #expect(held == owned)
            }
        }
        for consumer in consumers { try await consumer.close() }
        // Closing revoked everything through the hooks.
        for recorder in recorders {
            let calls = recorder.recorded
            #expect(Set(calls.assigned.joined()) == Set(calls.revoked.joined()))
        }
    }

    /// A restarted member starts each partition where the caller says, not at the committed offset;
    /// a partition without a caller offset falls back to the committed one.
    @Test(.timeLimit(.minutes(2)))
    func restartedConsumerResumesAtCallerSuppliedOffsets() async throws {
        let topic = TestKafka.uniqueTopic("resume")
        try await TestKafka.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: TestKafka.producerConfiguration(), logger: TestKafka.logger)
        let messages = (0..<2).flatMap { partition in
            (0..<50).map { index in
                KafkaProducerMessage(topic: topic, partition: Int32(partition), key: nil, value: Array("\(index)".utf8))
            }
        }
        for result in await producer.send(messages) { _ = try result.get() }
        await producer.close()
        let p0 = KafkaTopicPartition(topic: topic, partition: 0)
        let p1 = KafkaTopicPartition(topic: topic, partition: 1)
        let group = TestKafka.uniqueGroup("resume")

        // First run: process ten messages of each partition and commit them to Kafka.
        let first = try KafkaConsumer(configuration: TestKafka.consumerConfiguration(group: group), logger: TestKafka.logger)
        try first.subscribe(topics: [topic])
        let seen = try await TestKafka.poll(first, timeout: .seconds(30)) { received in
            Set(received.map(\.partition)) == [0, 1] && received.count >= 20
        }
        #expect(seen.filter { $0.partition == 0 }.first?.offset == 0)
        #expect(seen.filter { $0.partition == 1 }.first?.offset == 0)
        try await first.commit([KafkaTopicPartitionOffset(p0, offset: 10), KafkaTopicPartitionOffset(p1, offset: 10)])
        try await first.close()

        // Restart: the caller's store says partition 0 is done up to offset 22, and knows nothing of partition 1.
        let recorder = RebalanceRecorder(startOffsets: [p0: 23])
        let second = try KafkaConsumer(
            configuration: TestKafka.consumerConfiguration(group: group),
            rebalanceHandler: recorder,
            logger: TestKafka.logger
        )
        try second.subscribe(topics: [topic])
        let resumed = try await TestKafka.poll(second, timeout: .seconds(30)) { received in
            Set(received.map(\.partition)) == [0, 1]
        }
        try await second.close()

        #expect(Set(recorder.recorded.assigned.joined()) == [p0, p1])
        #expect(resumed.first { $0.partition == 0 }?.offset == 23, "first message of partition 0 at the supplied offset")
        #expect(resumed.first { $0.partition == 0 }?.value.string == "23")
        #expect(resumed.first { $0.partition == 1 }?.offset == 10, "partition 1 falls back to the committed offset")
        let offsets0 = resumed.filter { $0.partition == 0 }.map(\.offset)
        #expect(offsets0 == Array(23..<(23 + Int64(offsets0.count))), "no gaps or repeats after resuming")
    }

    /// Waits until the members own all partitions between them, disjoint and balanced, with no
    /// change for a second (a cooperative rebalance takes several rounds).
    private func waitForAssignments(
        of consumers: [KafkaConsumer],
        covering all: Set<KafkaTopicPartition>
    ) async throws -> [Set<KafkaTopicPartition>] {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(45)
        var assignments: [Set<KafkaTopicPartition>] = []
        var settledSince: ContinuousClock.Instant?
        var settled: [Set<KafkaTopicPartition>] = []
        while clock.now < deadline {
            assignments = try consumers.map { Set(try $0.assignment()) }
            let union = assignments.reduce(into: Set()) { $0.formUnion($1) }
            let counts = assignments.map(\.count)
            let balanced = union == all && counts.reduce(0, +) == union.count && counts.max()! - counts.min()! <= 1
            if balanced && assignments == settled, let since = settledSince {
                if since.duration(to: clock.now) >= .seconds(1) { return assignments }
            } else {
                settled = assignments
                settledSince = balanced ? clock.now : nil
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("assignments did not settle: \(assignments)")
        return assignments
    }
}

/// A stop flag the polling tasks share.
private final class Members: Sendable {
    private let flag = Atomic<Bool>(false)
    var stopped: Bool { self.flag.load(ordering: .relaxed) }
    func stop() { self.flag.store(true, ordering: .relaxed) }
}
