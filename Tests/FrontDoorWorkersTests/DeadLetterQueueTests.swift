import Crypto
import Foundation
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import Synchronization
import Testing

@testable import FrontDoorWorkers

/// "The DLQ can always take a reject" (issue 8, item 3; events.md, "Envelope"): a reject that the
/// DLQ refuses for its size goes there as a stub (headers, size, SHA-256 of the value), and one
/// the DLQ refuses even as a stub is still recorded in `rejected_events`; either way the partition
/// moves on to the events behind it.
@Suite("Dead-letter queue")
struct DeadLetterQueueTests {
    /// A producer for the test's input that may send values over librdkafka's default 1,000,000 bytes.
    static func largeMessageProducer() throws -> KafkaProducer {
        var c = Pipeline.producerConfiguration(clientID: "frontdoor-workers-tests-large")
        c.additionalProperties["message.max.bytes"] = "4000000"
        return try KafkaProducer(configuration: c, logger: TestEnvironment.logger)
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test(
        "a 1,040,000-byte value is dead-lettered as a stub with its size and hash, and the partition moves on",
        .timeLimit(.minutes(3)))
    func oversizedRejectGoesAsAStub() async throws {
        let pipeline = Pipeline("dlqstub", inputPartitions: 1)
        try await pipeline.createTopics()
        let t = pipeline.topics
        let school = TestEnvironment.school(in: "Ashford")
        let upn = Events.upn(school, serial: 21)
        let days = Events.markDays(from: Events.date("2026-09-07"), count: 2)
        // A valid event padded to 1,040,000 bytes: rejected as value-too-large; the DLQ producer's
        // message.max.bytes (librdkafka's default, 1,000,000) refuses it whole.
        var object = Events.markObject(
            id: "huge", upn: upn, laestab: school.laestab.value, date: days[0], session: "PM", code: "/",
            time: Events.time(days[0], 13))
        object["padding"] = ""
        let unpadded = Events.json(object).count
        object["padding"] = String(repeating: "x", count: 1_040_000 - unpadded)
        let huge = Events.json(object)
        #expect(huge.count == 1_040_000)
        let messages = [
            KafkaProducerMessage(
                topic: t.attendance, partition: 0, key: Array(upn.utf8), value: huge,
                headers: [KafkaHeader(key: "x-trace", string: "huge")]),
            KafkaProducerMessage(
                topic: t.attendance, partition: 0, key: Array(upn.utf8),
                value: Events.mark(id: "behind", upn: upn, laestab: school.laestab.value, date: days[1], session: "AM", code: "/")),
        ]

        try await TestDatabase.with { db in
            let reader = try OutputReader(topics: pipeline.dlqTopics)
            defer { Task { await reader.close() } }
            let reports = try await InProcessWorkers.with(
                [.attendance], relay: false, database: db.store,
                settings: pipeline.settings(databaseURL: db.url)
            ) { workers in
                let producer = try Self.largeMessageProducer()
                var reports: [KafkaDeliveryReport] = []
                for r in await producer.send(messages) { reports.append(try r.get()) }
                await producer.close()
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(reports))
                return reports
            }
            let dead = try await reader.read("the stub") { $0.count >= 1 }
            #expect(dead.count == 1)
            let stub = try #require(dead.first)
            #expect(stub.topic == t.dlq(of: t.attendance))
            #expect(stub.message.value.isEmpty, "a stub carries no value")
            #expect(stub.message.key == Array(upn.utf8))
            #expect(stub.header("x-trace") == "huge", "original headers kept")
            #expect(stub.header("frontdoor-error-code") == "value-too-large")
            #expect(!(stub.header("frontdoor-error") ?? "").isEmpty)
            #expect(stub.header("frontdoor-original-topic") == t.attendance)
            #expect(stub.header("frontdoor-original-partition") == "0")
            #expect(stub.header("frontdoor-original-offset") == String(reports[0].offset))
            #expect(stub.header("frontdoor-original-size") == "1040000")
            #expect(stub.header("frontdoor-original-sha256") == Self.sha256Hex(huge))
            #expect(stub.header("frontdoor-dlq-refused") == "10", "refused as MSG_SIZE_TOO_LARGE")

            #expect(try await db.strings("SELECT error_code FROM rejected_events") == ["value-too-large"])
            #expect(try await db.strings("SELECT event_id FROM attendance_marks") == ["behind"])
        }
    }

    @Test(
        "a reject the DLQ refuses even as a stub is recorded in rejected_events, and the partition moves on",
        .timeLimit(.minutes(3)))
    func rejectRefusedEvenAsAStubIsRecorded() async throws {
        let pipeline = Pipeline("dlqnone", inputPartitions: 1)
        try await pipeline.createTopics()
        let t = pipeline.topics
        let school = TestEnvironment.school(in: "Ashford")
        let upn = Events.upn(school, serial: 22)
        let days = Events.markDays(from: Events.date("2026-09-07"), count: 2)
        // A worker whose producer allows at most 4,000 bytes a message: a reject with 6 KiB of
        // headers (under the stub's 16 KiB bound) is refused whole and as a stub, locally, by
        // librdkafka (MSG_SIZE_TOO_LARGE), exactly as a DLQ topic the broker refuses would be.
        let headers = (0..<6).map { KafkaHeader(key: "x-bulk-\($0)", string: String(repeating: "h", count: 1024)) }
        let messages = [
            KafkaProducerMessage(
                topic: t.attendance, partition: 0, key: Array(upn.utf8), value: Array("{\"specversion\":".utf8), headers: headers),
            KafkaProducerMessage(
                topic: t.attendance, partition: 0, key: Array(upn.utf8),
                value: Events.mark(id: "behind", upn: upn, laestab: school.laestab.value, date: days[1], session: "AM", code: "/")),
        ]
        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url, extra: ["FRONTDOOR_KAFKA_MESSAGE_MAX_BYTES": "4000"])
            try await InProcessWorkers.with([.attendance], relay: false, database: db.store, settings: settings) { workers in
                let reports = try await Pipeline.produce(messages)
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(reports))
                // The worker counts a batch's rejects after its commit, so the count may trail the
                // offsets the database already shows by a moment.
                let rejected = try await eventually("the worker to count its reject", timeout: .seconds(10)) {
                    let n = workers.workers[.attendance].map { $0.stats.rejected.load(ordering: .relaxed) } ?? -1
                    return (n >= 1, n)
                }
                #expect(rejected == 1)
            }
            #expect(try await db.strings("SELECT error_code FROM rejected_events") == ["invalid-json"])
            #expect(try await db.strings("SELECT event_id FROM attendance_marks") == ["behind"])
        }
    }

    @Test("a stub's headers are bounded however many headers the original had")
    func stubHeadersAreBounded() throws {
        let producer = try KafkaProducer(
            configuration: Pipeline.producerConfiguration(clientID: "frontdoor-workers-tests-stub"), logger: TestEnvironment.logger)
        defer { Task { await producer.close() } }
        let dlq = DeadLetterQueue(producer: producer, topics: TopicNames(), logger: TestEnvironment.logger)
        let absurd = (0..<1000).map { KafkaHeader(key: "x-\($0)", string: String(repeating: "v", count: 4096)) }
        let message = KafkaConsumerMessage(
            topic: "frontdoor.attendance.v1", partition: 2, offset: 7, key: Array(repeating: 0x6b, count: 5000),
            value: Array(repeating: 0x7b, count: 300_000), headers: absurd, timestamp: nil)
        let reject = RejectedMessage(message: message, reject: Reject(.valueTooLarge, "The value is larger than 256 KiB."))
        let stub = dlq.stub(of: reject, refusedCode: 10)
        let headerBytes = stub.headers.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) }
        #expect(headerBytes < DeadLetterQueue.stubHeaderBytes + 1024)
        #expect(stub.value.isEmpty)
        #expect(stub.key == nil, "a key over 1 KiB is dropped")
        func header(_ k: String) -> String? { stub.headers.first { $0.key == k }?.value.map { String(decoding: $0, as: UTF8.self) } }
        // x-0 … x-2 fit in 16 KiB (3 × 4,099 bytes); a fourth would not.
        #expect(header("frontdoor-original-headers-dropped") == "997")
        #expect(header("frontdoor-original-size") == "300000")
        #expect(header("frontdoor-original-sha256") == Self.sha256Hex(message.value))
        #expect(header("frontdoor-original-offset") == "7")
        #expect(header("frontdoor-error-code") == "value-too-large")
    }
}
