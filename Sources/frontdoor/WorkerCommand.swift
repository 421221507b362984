import ArgumentParser
import FrontDoorConfig
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one worker: attendance, exclusions, referrals or relay.",
        discussion: """
            Each worker is its own consumer group; run as many replicas as the topic has partitions.
            Settings come from environment variables (see docs/operations.md): FRONTDOOR_KAFKA_BROKERS,
            FRONTDOOR_DATABASE_URL, FRONTDOOR_CONFIG_DIR, FRONTDOOR_BATCH_SIZE, FRONTDOOR_BATCH_WAIT_MS, …
            SIGTERM or SIGINT finishes the batch in hand, commits, leaves the group and exits 0.
            Serves /metrics, /health/live and /health/ready on FRONTDOOR_HTTP_HOST:FRONTDOOR_HTTP_PORT
            (default 127.0.0.1:9464; port 0: no listener).
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case attendance, exclusions, referrals, relay
    }

    @Argument(help: "attendance | exclusions | referrals | relay")
    var kind: Kind

    func run() async throws {
        let logger = Logger(label: "frontdoor.\(kind.rawValue)")
        try LibrdkafkaVersion.requireSupported()
        logger.info("starting", metadata: ["librdkafka": "\(LibrdkafkaVersion.loadedString)"])
        let settings = WorkerSettings()
        do { try settings.requirePseudonymKey() } catch {
            logger.critical("refusing to start", metadata: ["reason": "\(error)"])
            throw ExitCode.failure
        }
        let config = try ConfigLoader(directory: settings.configDirectory).load()
        // One Prometheus registry for the process: every Counter, Gauge, Recorder and Timer made
        // through swift-metrics from here on lands in it, and /metrics emits it.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(HealthServer.prometheusFactory(registry: registry))
        let metrics = FrontDoorMetrics()
        let database = FrontDoorDatabase(configuration: try settings.databaseConfiguration(), logger: Logger(label: "frontdoor.store"))
        let producer = try KafkaProducer(
            configuration: settings.producerConfiguration(clientID: "frontdoor-\(kind.rawValue)"),
            logger: Logger(label: "frontdoor.kafka.producer"))

        let worker: any Service & HealthReporting
        var extra: [any Service] = []
        switch kind {
        case .attendance:
            worker = BatchWorker(
                handler: AttendanceHandler(config: config, settings: settings, metrics: metrics), database: database,
                dlqProducer: producer, settings: settings, logger: logger, metrics: metrics)
        case .exclusions:
            worker = BatchWorker(
                handler: ExclusionHandler(config: config, settings: settings), database: database,
                dlqProducer: producer, settings: settings, logger: logger, metrics: metrics)
        case .referrals:
            worker = BatchWorker(
                handler: ReferralHandler(config: config, settings: settings), database: database,
                dlqProducer: producer, settings: settings, logger: logger, metrics: metrics)
            extra.append(CMEOverdueScheduler(config: config, settings: settings, database: database, logger: logger))
        case .relay:
            worker = NotificationRelay(database: database, producer: producer, settings: settings, logger: logger, metrics: metrics)
        }
        // A graceful shutdown reaches the services last to first: the worker drains before the
        // listener stops (which still answers meanwhile), and the pool stops last.
        var services: [any Service] = [database.client]
        if settings.httpPort != 0 {
            services.append(
                HealthServer(
                    host: settings.httpHost, port: settings.httpPort, registry: registry, metrics: metrics,
                    components: [worker], logger: Logger(label: "frontdoor.http")))
        }
        services.append(worker)
        services += extra
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger)
        // Below the 30 s Compose and 40 s Kubernetes grace periods (DeployTests checks it), so that a
        // service still stuck after it (a send waiting out its message timeout) is cancelled and
        // the process exits on its own rather than being killed.
        configuration.maximumGracefulShutdownDuration = WorkerSettings.maximumGracefulShutdownDuration
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        try? await producer.flush(timeout: .seconds(10))
        await producer.close()
        logger.info("stopped")
    }
}
