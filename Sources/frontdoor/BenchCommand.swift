import ArgumentParser
import Foundation
import FrontDoorMessaging
import FrontDoorWorkers
import Logging

/// `frontdoor bench …`: micro-benchmarks against the local stack. Not tests: they print figures
/// and assert nothing.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Micro-benchmarks against the local stack.",
        subcommands: [Kafka.self, Report.self, Attendance.self, Gateway.self]
    )

    /// Produces `--messages` messages of `--size` bytes to a new topic through the idempotent
    /// producer, then reads them back with batch polls, and prints both rates.
    struct Kafka: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Produce, then batch-consume, N messages through the broker; print messages/s and MB/s."
        )

        @Option(help: "How many messages to produce and consume.")
        var messages: Int = 1_000_000

        @Option(help: "Value size in bytes.")
        var size: Int = 200

        @Option(help: "Bootstrap brokers, comma-separated (default: FRONTDOOR_KAFKA_BROKERS or 127.0.0.1:59092).")
        var brokers: String = ProcessInfo.processInfo.environment["FRONTDOOR_KAFKA_BROKERS"] ?? "127.0.0.1:59092"

        @Option(help: "Partitions of the benchmark topic.")
        var partitions: Int = 6

        @Option(help: "Most messages per consumer poll.")
        var batch: Int = 10_000

        @Flag(help: "Keep the benchmark topic instead of deleting it afterwards.")
        var keepTopic = false

        func validate() throws {
            guard self.messages > 0 else { throw ValidationError("--messages must be positive") }
            guard self.size >= 1 else { throw ValidationError("--size must be at least 1") }
            guard self.partitions > 0 else { throw ValidationError("--partitions must be positive") }
            guard self.batch > 0 else { throw ValidationError("--batch must be positive") }
        }

        func run() async throws {
            let logger = LogSetup.logger("frontdoor.bench", atLeast: .warning)
            let brokers = self.brokers.split(separator: ",").map(String.init)
            print("librdkafka \(LibrdkafkaVersion.loadedString), brokers \(brokers.joined(separator: ","))")
            print("\(self.messages) messages of \(self.size) bytes, \(self.partitions) partitions")

            let topic = "frontdoor.bench.\(UUID().uuidString.prefix(8).lowercased())"
            var adminConfiguration = KafkaAdminConfiguration(bootstrapServers: brokers)
            adminConfiguration.additionalProperties = Self.kafkaProperties
            let admin = try KafkaAdmin(configuration: adminConfiguration, logger: logger)
            try await admin.createTopic(topic, partitions: Int32(self.partitions), replicationFactor: 1)

            let produced = try await self.produce(topic: topic, brokers: brokers, logger: logger)
            self.report("produce (acknowledged)", messages: self.messages, seconds: produced)

            let consumed = try await self.consume(topic: topic, brokers: brokers, logger: logger)
            self.report("consume (batch poll)", messages: consumed.count, seconds: consumed.seconds)
            if consumed.count != self.messages {
                print("warning: consumed \(consumed.count) of \(self.messages) messages")
            }

            if !self.keepTopic {
                try await admin.deleteTopic(topic)
            }
        }

        /// `FRONTDOOR_KAFKA_<PROPERTY>` (TLS, SASL/SCRAM), as every other command passes them.
        private static var kafkaProperties: [String: String] { WorkerSettings().kafkaProperties }

        /// Seconds from the first send to the last acknowledgement.
        private func produce(topic: String, brokers: [String], logger: Logger) async throws -> Double {
            var configuration = KafkaProducerConfiguration(bootstrapServers: brokers)
            configuration.clientID = "frontdoor-bench"
            configuration.messageTimeout = .seconds(120)
            configuration.additionalProperties = Self.kafkaProperties
            let producer = try KafkaProducer(configuration: configuration, logger: logger)
            // One value buffer shared by every message (copy-on-write): the cost measured is the
            // producer's, not the benchmark's allocation of a million arrays.
            let value = [UInt8]((0..<self.size).map { UInt8(truncatingIfNeeded: $0) })
            let keys = (0..<1024).map { Array("key-\($0)".utf8) }
            let chunk = 50_000
            let inFlight = 4
            let clock = ContinuousClock()
            let start = clock.now
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                var failures = 0
                var next = 0
                func addChunk() {
                    let range = next..<min(next + chunk, self.messages)
                    next = range.upperBound
                    group.addTask {
                        let batch = range.map { index in
                            KafkaProducerMessage(topic: topic, key: keys[index % keys.count], value: value)
                        }
                        return await producer.send(batch).reduce(0) { count, result in
                            if case .failure = result { return count + 1 }
                            return count
                        }
                    }
                }
                for _ in 0..<inFlight where next < self.messages { addChunk() }
                while let chunkFailures = try await group.next() {
                    failures += chunkFailures
                    if next < self.messages { addChunk() }
                }
                return failures
            }
            let seconds = Self.seconds(start.duration(to: clock.now))
            await producer.close()
            if failures > 0 { print("warning: \(failures) sends failed") }
            return seconds
        }

        /// Messages read and seconds from the first message to the last (the group join, about
        /// half the session timeout on Tansu, is not counted).
        private func consume(topic: String, brokers: [String], logger: Logger) async throws -> (count: Int, seconds: Double) {
            var configuration = KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: "frontdoor-bench-\(topic)")
            configuration.clientID = "frontdoor-bench"
            configuration.sessionTimeout = .seconds(6)
            configuration.heartbeatInterval = .milliseconds(500)
            configuration.autoOffsetReset = .earliest
            configuration.additionalProperties = Self.kafkaProperties
            let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
            try consumer.subscribe(topics: [topic])
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(300)
            var first: ContinuousClock.Instant?
            var count = 0
            var bytes = 0
            while count < self.messages && clock.now < deadline {
                let batch = try await consumer.poll(maxMessages: self.batch, timeout: .milliseconds(500))
                guard !batch.isEmpty else { continue }
                if first == nil { first = clock.now }
                count += batch.count
                for message in batch { bytes += message.value.count }
            }
            let seconds = first.map { Self.seconds($0.duration(to: clock.now)) } ?? 0
            try await consumer.close()
            if bytes != count * self.size { print("warning: read \(bytes) value bytes, expected \(count * self.size)") }
            return (count, seconds)
        }

        private func report(_ phase: String, messages: Int, seconds: Double) {
            let rate = seconds > 0 ? Double(messages) / seconds : 0
            let megabytes = rate * Double(self.size) / 1_000_000
            let line =
                "\(phase): \(messages) messages in \(String(format: "%.2f", seconds)) s = "
                + "\(String(format: "%.0f", rate)) msg/s, \(String(format: "%.1f", megabytes)) MB/s (values)"
            print(line)
        }

        private static func seconds(_ duration: Duration) -> Double {
            let (seconds, attoseconds) = duration.components
            return Double(seconds) + Double(attoseconds) / 1e18
        }
    }
}
