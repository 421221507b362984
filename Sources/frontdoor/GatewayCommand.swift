import ArgumentParser
import FrontDoorConfig
import FrontDoorGateway
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Logging
import ServiceLifecycle
import UnixSignals

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the Digital Front Door: CloudEvents over HTTP(S) for schools, agencies and officers' tools.",
        discussion: """
            POST /events takes structured (application/cloudevents+json), binary (ce-* headers) and batched
            (application/cloudevents-batch+json) events from clients of `frontdoor clients add`, validates them with
            the workers' decoder and publishes them; GET/POST /refer is the referral form. docs/gateway.openapi.yaml
            describes it. Settings: FRONTDOOR_GATEWAY_HOST, FRONTDOOR_GATEWAY_PORT, FRONTDOOR_GATEWAY_TLS_CERT and
            FRONTDOOR_GATEWAY_TLS_KEY (HTTPS when both are set), FRONTDOOR_GATEWAY_MAX_BODY_BYTES, …_MAX_EVENTS,
            …_RATE, …_BURST, …_PUBLISH_TIMEOUT_MS, with the workers' FRONTDOOR_KAFKA_*, FRONTDOOR_DATABASE_URL,
            FRONTDOOR_CONFIG_DIR and FRONTDOOR_TOPIC_*. SIGTERM or SIGINT stops taking connections, finishes the
            requests in hand and exits 0.
            """)

    func run() async throws {
        LogSetup.bootstrap()
        let logger = Logger(label: "frontdoor.gateway")
        try LibrdkafkaVersion.requireSupported()
        let settings = WorkerSettings()
        let gatewaySettings = GatewaySettings()
        let config = try ConfigLoader(directory: settings.configDirectory).load()
        let database = FrontDoorDatabase(configuration: try settings.databaseConfiguration(), logger: Logger(label: "frontdoor.store"))
        let producer = try KafkaProducer(
            configuration: Gateway.producerConfiguration(worker: settings, gateway: gatewaySettings),
            logger: Logger(label: "frontdoor.kafka.producer"))
        let gateway = Gateway(
            settings: gatewaySettings, topics: settings.topics, config: config, database: database, producer: producer, logger: logger)
        let scheme = gatewaySettings.usesTLS ? "https" : "http"
        let application = try gateway.application()
        logger.info("starting", metadata: ["url": "\(scheme)://\(gatewaySettings.host):\(gatewaySettings.port)"])
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: database.client),
                .init(service: application, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = WorkerSettings.maximumGracefulShutdownDuration
        try await ServiceGroup(configuration: configuration).run()
        try? await producer.flush(timeout: .seconds(10))
        await producer.close()
        logger.info("stopped")
    }
}
