import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorGateway
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A live gateway for one test: its own topics (``Pipeline``), a fresh database
/// (``TestDatabase``), the real broker, and a real HTTP server on a free port, with a school
/// client (and others on request) whose keys the test sends.
struct GatewayHarness: Sendable {
    let pipeline: Pipeline
    let db: TestDatabase
    let client: any TestClientProtocol
    /// The school of ``schoolKey``: the first school of Config/schools.csv.
    let school: School
    let schoolKey: ClientKey

    static let defaultSchool = TestEnvironment.config.register.schools[0]

    /// Runs `body` against a gateway with `settings` (port and host are the harness's own).
    static func with<R: Sendable>(
        _ name: String, settings: GatewaySettings = GatewaySettings(environment: [:]), brokers: String? = nil,
        setup: TestingSetup = .live, _ body: @Sendable (GatewayHarness) async throws -> R
    ) async throws -> R {
        let pipeline = Pipeline("gw-\(name)", inputPartitions: 1)
        try await pipeline.createTopics()
        return try await TestDatabase.with { db in
            var gatewaySettings = settings
            gatewaySettings.host = "127.0.0.1"
            gatewaySettings.port = 0
            let extra = brokers.map { ["FRONTDOOR_KAFKA_BROKERS": $0] } ?? [:]
            let workerSettings = pipeline.settings(databaseURL: db.url, extra: extra)
            let producer = try KafkaProducer(
                configuration: Gateway.producerConfiguration(worker: workerSettings, gateway: gatewaySettings),
                logger: TestEnvironment.logger)
            let gateway = Gateway(
                settings: gatewaySettings, topics: pipeline.topics, config: TestEnvironment.config, database: db.store,
                producer: producer, logger: TestEnvironment.logger)
            let school = defaultSchool
            let key = try await addClient(db, id: "school-\(school.laestab.value)", kind: .school, laestab: school.laestab)
            let app = try gateway.application()
            do {
                let result = try await app.test(setup) { client in
                    try await body(GatewayHarness(pipeline: pipeline, db: db, client: client, school: school, schoolKey: key))
                }
                await producer.close(timeout: .seconds(1))
                return result
            } catch {
                await producer.close(timeout: .seconds(1))
                throw error
            }
        }
    }

    /// Adds a client as `frontdoor clients add` does and returns its key.
    @discardableResult
    static func addClient(_ db: TestDatabase, id: String, kind: GatewayClient.Kind, laestab: LAESTAB? = nil) async throws -> ClientKey {
        let key = ClientKey.generate()
        let added = try await db.store.withTransaction { tx in
            try await tx.addGatewayClient(id: id, kind: kind.rawValue, laestab: laestab?.value, keySHA256: key.sha256Hex)
        }
        #expect(added)
        return key
    }

    func addClient(id: String, kind: GatewayClient.Kind, laestab: LAESTAB? = nil) async throws -> ClientKey {
        try await Self.addClient(db, id: id, kind: kind, laestab: laestab)
    }

    /// `POST /events` with a body, a content type and the key (none: no Authorization header).
    func post(
        _ body: [UInt8], contentType: String? = CloudEventsHTTP.structuredMediaType, key: ClientKey?, path: String = "/events",
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let contentType { headers[.contentType] = contentType }
        if let key { headers[.authorization] = "Bearer \(key.text)" }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// A batch of events as one JSON array.
    static func batch(_ events: [[UInt8]]) -> [UInt8] {
        Array("[".utf8) + Array(events.joined(separator: Array(",".utf8))) + Array("]".utf8)
    }

    /// Everything on the first partition of `topic`, from the beginning to its end.
    func published(on topic: String) async throws -> [KafkaConsumerMessage] {
        let reader = try KafkaPartitionReader(
            configuration: pipeline.settings(databaseURL: db.url).consumerConfiguration(group: "gateway-tests-check"))
        return try await reader.read(from: [KafkaTopicPartitionOffset(topic: topic, partition: 0, offset: -2)])
    }
}

extension TestResponse {
    /// The body as the gateway's JSON answer.
    /// The body as the gateway's JSON answer (an `error` of `not-json` when it is not one).
    var answer: IntakeResponse {
        (try? JSONDecoder().decode(IntakeResponse.self, from: Data(body.readableBytesView)))
            ?? IntakeResponse(error: "not-json", message: text)
    }

    var text: String { String(buffer: body) }
}
