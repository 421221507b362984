import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// One test's own slice of the shared broker: topic names and consumer groups with a unique
/// suffix, the worker settings (and the environment a `frontdoor` process gets) that use them.
struct Pipeline: Sendable {
    let suffix: String
    let topics: TopicNames
    let groupPrefix: String
    let inputPartitions: Int
    let batchSize: Int

    init(_ name: String, inputPartitions: Int = 3, batchSize: Int = 200) {
        suffix = "\(name).\(TestEnvironment.uniqueSuffix())"
        var t = TopicNames()
        t.attendance = "fdtest.\(suffix).attendance.v1"
        t.exclusions = "fdtest.\(suffix).exclusions.v1"
        t.referrals = "fdtest.\(suffix).referrals.v1"
        t.decisions = "fdtest.\(suffix).decisions.v1"
        t.rolls = "fdtest.\(suffix).rolls.v1"
        t.enforcement = "fdtest.\(suffix).enforcement.v1"
        t.earlyHelpPattern = "fdtest.\(suffix).early-help.{unit}.v1"
        topics = t
        groupPrefix = "fdtest-\(suffix)"
        self.inputPartitions = inputPartitions
        self.batchSize = batchSize
    }

    /// What a worker process (or ``settings(databaseURL:)``) reads.
    func environment(databaseURL: String, extra: [String: String] = [:]) -> [String: String] {
        var env: [String: String] = [
            "FRONTDOOR_KAFKA_BROKERS": TestEnvironment.brokers,
            "FRONTDOOR_DATABASE_URL": databaseURL,
            "FRONTDOOR_CONFIG_DIR": TestEnvironment.configDirectory.path,
            "FRONTDOOR_BATCH_SIZE": String(batchSize),
            "FRONTDOOR_BATCH_WAIT_MS": "100",
            // Tansu completes a join after about half the session timeout.
            "FRONTDOOR_SESSION_TIMEOUT_MS": "6000",
            "FRONTDOOR_GROUP_PREFIX": groupPrefix,
            "FRONTDOOR_TOPIC_ATTENDANCE": topics.attendance,
            "FRONTDOOR_TOPIC_EXCLUSIONS": topics.exclusions,
            "FRONTDOOR_TOPIC_REFERRALS": topics.referrals,
            "FRONTDOOR_TOPIC_DECISIONS": topics.decisions,
            "FRONTDOOR_TOPIC_ROLLS": topics.rolls,
            "FRONTDOOR_TOPIC_ENFORCEMENT": topics.enforcement,
            "FRONTDOOR_TOPIC_EARLY_HELP": topics.earlyHelpPattern,
            "FRONTDOOR_LOG_LEVEL": "info",
            "FRONTDOOR_PSEUDONYM_KEY": Pipeline.testPseudonymKey,
            // swift-log's `key=value` lines, which WorkerProcess.ownedPartitions and the tests read
            // (the default outside a terminal is JSON; PrivacyLogTests runs with it).
            "FRONTDOOR_LOG_FORMAT": "text",
            // No metrics listener: replicas and tests run side by side on this host, and a port
            // in use stops a worker at start-up (MetricsAndHealthTests gives its process a port).
            "FRONTDOOR_HTTP_PORT": "0",
        ]
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// A throw-away pseudonym key (32 bytes, hex) shared by the tests' worker processes.
    static let testPseudonymKey = String(repeating: "5eed", count: 16)

    func settings(databaseURL: String, extra: [String: String] = [:]) -> WorkerSettings {
        var s = WorkerSettings(environment: environment(databaseURL: databaseURL, extra: extra))
        s.relayInterval = .milliseconds(100)
        s.schedulerInterval = .milliseconds(300)
        return s
    }

    /// A second slice of the broker for a reference run of the same feed: same partition counts,
    /// other names.
    func sibling(_ name: String) -> Pipeline { Pipeline(name, inputPartitions: inputPartitions, batchSize: batchSize) }

    var unitTopics: [String] { TestEnvironment.config.units.unitIds.map { topics.earlyHelp(unit: $0) } }
    var notificationTopics: [String] { unitTopics + [topics.enforcement] }
    var dlqTopics: [String] { topics.inputs.map { topics.dlq(of: $0) } }

    /// Creates every topic (inputs with `inputPartitions`, outputs with one partition) and waits
    /// until the broker's metadata lists them all.
    func createTopics() async throws {
        let admin = try KafkaAdmin(
            configuration: KafkaAdminConfiguration(bootstrapServers: [TestEnvironment.brokers]), logger: TestEnvironment.logger)
        let plan = TopicPlan(
            topics: topics, unitIds: TestEnvironment.config.units.unitIds, inputPartitions: inputPartitions, outputPartitions: 1)
        for (name, n) in plan.all { try await admin.createTopic(name, partitions: Int32(n), replicationFactor: 1) }
        let wanted = Dictionary(uniqueKeysWithValues: plan.all.map { ($0.0, $0.1) })
        try await eventually("topics of \(suffix) in the metadata", timeout: .seconds(30)) {
            let meta = try await admin.metadata()
            let have = Dictionary(meta.topics.map { ($0.name, $0.partitions.count) }, uniquingKeysWith: { a, _ in a })
            let missing = wanted.filter { have[$0.key] != $0.value }.map(\.key)
            return (missing.isEmpty, missing)
        }
    }

    /// Sends messages and returns their delivery reports (in order); throws on any failure.
    static func produce(_ messages: [KafkaProducerMessage]) async throws -> [KafkaDeliveryReport] {
        let producer = try KafkaProducer(
            configuration: producerConfiguration(clientID: "frontdoor-workers-tests"), logger: TestEnvironment.logger)
        var reports: [KafkaDeliveryReport] = []
        for chunk in stride(from: 0, to: messages.count, by: 5_000) {
            for r in await producer.send(Array(messages[chunk..<min(messages.count, chunk + 5_000)])) {
                reports.append(try r.get())
            }
        }
        await producer.close()
        return reports
    }

    static func producerConfiguration(clientID: String) -> KafkaProducerConfiguration {
        var c = KafkaProducerConfiguration(bootstrapServers: [TestEnvironment.brokers])
        c.clientID = clientID
        c.messageTimeout = .seconds(30)
        return c
    }

    /// The next offset of every partition the reports wrote to: where a group that consumed it all stands.
    static func endOffsets(_ reports: [KafkaDeliveryReport]) -> [KafkaTopicPartition: Int64] {
        var out: [KafkaTopicPartition: Int64] = [:]
        for r in reports {
            let tp = KafkaTopicPartition(topic: r.topic, partition: r.partition)
            out[tp] = max(out[tp] ?? 0, r.offset + 1)
        }
        return out
    }

    /// Waits until the worker's group has stored (in PostgreSQL, with its facts) offsets at or
    /// past `ends` for every partition: everything produced has been processed.
    func waitUntilConsumed(
        _ db: TestDatabase, worker: String, ends: [KafkaTopicPartition: Int64], timeout: Duration = .seconds(120),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let group = "\(groupPrefix)-\(worker)"
        try await eventually("\(group) to consume everything produced", timeout: timeout, sourceLocation: sourceLocation) {
            let rows = try await db.rows("SELECT topic, partition::text, next_offset::text FROM consumer_offsets WHERE group_id = '\(group)'")
            var stored: [KafkaTopicPartition: Int64] = [:]
            for r in rows { stored[KafkaTopicPartition(topic: r[0]!, partition: Int32(r[1]!)!)] = Int64(r[2]!)! }
            let behind = ends.filter { (stored[$0.key] ?? 0) < $0.value }
            return (behind.isEmpty, "behind: \(behind.map { "\($0.key)=\(stored[$0.key] ?? 0)/\($0.value)" })")
        }
    }

    /// Waits until the relay has published every outbox row.
    func waitUntilRelayed(
        _ db: TestDatabase, timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws
    {
        try await eventually("the relay to publish the outbox", timeout: timeout, sourceLocation: sourceLocation) {
            let unsent = try await db.int("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            return (unsent == 0, "\(unsent) unsent")
        }
    }
}

// MARK: In-process workers

enum WorkerKind: String, Sendable, CaseIterable {
    case attendance, exclusions, referrals
}

/// Workers run in this process as in `frontdoor worker …`: each a service of one `ServiceGroup`,
/// stopped with a graceful shutdown (finish the batch, commit, leave the group).
final class InProcessWorkers: Sendable {
    let workers: [WorkerKind: BatchWorker]
    let scheduler: CMEOverdueScheduler?
    let relay: NotificationRelay?
    private let group: ServiceGroup
    private let producer: KafkaProducer
    private let task: Task<Void, any Error>

    /// Starts the given workers (and the relay, and the referral worker's CME scheduler) on `database`;
    /// with a `listener`, they record their metrics into its registry and a ``HealthServer`` serves them.
    init(
        _ kinds: [WorkerKind], relay withRelay: Bool = true, scheduler withScheduler: Bool = false, database: FrontDoorDatabase,
        settings: WorkerSettings, listener: TestListener? = nil
    ) throws {
        let metrics = listener?.metrics ?? FrontDoorMetrics()
        let config = TestEnvironment.config
        let logger = TestEnvironment.logger
        producer = try KafkaProducer(
            configuration: settings.producerConfiguration(clientID: "frontdoor-workers-tests"), logger: logger)
        var workers: [WorkerKind: BatchWorker] = [:]
        var services: [any Service] = []
        for kind in kinds {
            let handler: any BatchHandler =
                switch kind {
                case .attendance: AttendanceHandler(config: config, settings: settings, metrics: metrics)
                case .exclusions: ExclusionHandler(config: config, settings: settings)
                case .referrals: ReferralHandler(config: config, settings: settings)
                }
            let w = BatchWorker(
                handler: handler, database: database, dlqProducer: producer, settings: settings, logger: logger, metrics: metrics)
            workers[kind] = w
            services.append(w)
        }
        scheduler = withScheduler ? CMEOverdueScheduler(config: config, settings: settings, database: database, logger: logger) : nil
        if let scheduler { services.append(scheduler) }
        relay =
            withRelay
            ? NotificationRelay(database: database, producer: producer, settings: settings, logger: logger, metrics: metrics) : nil
        if let relay { services.append(relay) }
        if let listener {
            let components: [any HealthReporting] = kinds.compactMap { workers[$0] } + (relay.map { [$0] } ?? [])
            services.insert(
                HealthServer(
                    host: "127.0.0.1", port: listener.port, registry: listener.registry, metrics: metrics,
                    components: components, logger: logger), at: 0)
        }
        self.workers = workers
        group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0) }, logger: logger))
        let group = self.group
        task = Task { try await group.run() }
    }

    /// Graceful shutdown; rethrows what a service threw. Workers stop at once even while
    /// retrying (their database down); a service that still has not stopped after `grace` is
    /// cancelled and the test records an issue.
    func stop(grace: Duration = .seconds(30)) async throws {
        await group.triggerGracefulShutdown()
        defer { Task { [producer] in await producer.close() } }
        let task = self.task
        let watchdog = Task {
            try await Task.sleep(for: grace)
            Issue.record("in-process workers did not stop within \(grace) of a graceful shutdown; cancelled")
            task.cancel()
        }
        defer { watchdog.cancel() }
        try await task.value
    }

    /// Runs `body` with workers started, and stops them afterwards (also when `body` throws).
    static func with<R: Sendable>(
        _ kinds: [WorkerKind], relay: Bool = true, scheduler: Bool = false, database: FrontDoorDatabase,
        settings: WorkerSettings, listener: TestListener? = nil, _ body: (InProcessWorkers) async throws -> R
    ) async throws -> R {
        let w = try InProcessWorkers(
            kinds, relay: relay, scheduler: scheduler, database: database, settings: settings, listener: listener)
        let result: R
        do {
            result = try await body(w)
        } catch {
            try? await w.stop()
            throw error
        }
        try await w.stop()
        return result
    }
}

// MARK: Reading what frontdoor published

/// A message frontdoor published, parsed.
struct Published: Sendable {
    let message: KafkaConsumerMessage

    var topic: String { message.topic }
    private var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(message.value))) as? [String: Any] ?? [:]
    }
    /// The CloudEvents `id` (for a notification, its `notificationId`).
    var id: String { object["id"] as? String ?? "" }
    var type: String { object["type"] as? String ?? "" }
    var data: [String: Any] { object["data"] as? [String: Any] ?? [:] }
    func field(_ name: String) -> String? {
        guard let v = data[name] else { return nil }
        return v as? String ?? "\(v)"
    }
    var notificationId: String { field("notificationId") ?? id }
    var kind: String { field("kind") ?? (type == "enforcement.review.v1" ? "enforcement-review" : type) }
    var upn: String? { field("upn") }
    func header(_ key: String) -> String? { message.header(key).map { String(decoding: $0, as: UTF8.self) } }
}

/// A consumer of a pipeline's output topics (notifications, reviews, dead letters) from the start.
final class OutputReader: Sendable {
    private let consumer: KafkaConsumer
    private let received = Mutex<[KafkaConsumerMessage]>([])

    init(topics: [String]) throws {
        var c = KafkaConsumerConfiguration(
            bootstrapServers: [TestEnvironment.brokers], groupID: "fdtest-reader-\(TestEnvironment.uniqueSuffix())")
        c.clientID = "frontdoor-workers-tests-reader"
        c.sessionTimeout = .milliseconds(6000)
        c.heartbeatInterval = .milliseconds(500)
        c.autoOffsetReset = .earliest
        consumer = try KafkaConsumer(configuration: c, logger: TestEnvironment.logger)
        try consumer.subscribe(topics: topics)
    }

    var all: [Published] { received.withLock { $0 }.map(Published.init) }

    /// Polls until `done` holds for what has arrived, then keeps polling for `quiet` more so that
    /// a duplicate published after the expected messages would still be seen.
    @discardableResult
    func read(
        _ what: String, timeout: Duration = .seconds(60), quiet: Duration = .seconds(1),
        sourceLocation: SourceLocation = #_sourceLocation, until done: ([Published]) -> Bool
    ) async throws -> [Published] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !done(all) {
            if clock.now >= deadline {
                let have = Dictionary(all.map { ("\($0.topic):\($0.kind)", 1) }, uniquingKeysWith: +)
                Issue.record(
                    "timed out after \(timeout) reading \(what); have \(all.count): \(have.sorted { $0.key < $1.key })",
                    sourceLocation: sourceLocation)
                throw TestSetupError("timed out reading \(what)")
            }
            try await pollOnce()
        }
        let quietEnd = clock.now + quiet
        while clock.now < quietEnd { try await pollOnce() }
        return all
    }

    private func pollOnce() async throws {
        let batch = try await consumer.poll(maxMessages: 1000, timeout: .milliseconds(200))
        if !batch.isEmpty { received.withLock { $0.append(contentsOf: batch) } }
    }

    func close() async { try? await consumer.close() }
}

extension Array where Element == Published {
    /// How many times each notification id was published.
    var countsById: [String: Int] { reduce(into: [:]) { $0[$1.notificationId, default: 0] += 1 } }
    func on(_ topic: String) -> [Published] { filter { $0.topic == topic } }
}

// MARK: A whole run

extension Pipeline {
    /// The input topics a worker kind consumes.
    func inputs(of kind: WorkerKind) -> Set<String> {
        switch kind {
        case .attendance: [topics.attendance, topics.decisions, topics.rolls]
        case .exclusions: [topics.exclusions]
        case .referrals: [topics.referrals]
        }
    }

    /// Runs a feed through in-process workers and the relay in a fresh database: creates the
    /// topics, starts the workers, lets `produce` send the feed (it may wait on the database
    /// between sends), waits until every worker has consumed everything and the relay has
    /// published every notification, and reads them back. Returns what the database holds and
    /// what was published.
    func run(
        _ kinds: [WorkerKind], extra: [String: String] = [:],
        produce: @Sendable (Pipeline, TestDatabase) async throws -> [KafkaDeliveryReport]
    ) async throws -> (totals: Totals, published: [Published], stats: [WorkerKind: (processed: Int, duplicates: Int)]) {
        try await createTopics()
        return try await TestDatabase.with { db in
            let reader = try OutputReader(topics: notificationTopics + dlqTopics)
            defer { Task { await reader.close() } }
            let stats = try await InProcessWorkers.with(kinds, database: db.store, settings: settings(databaseURL: db.url, extra: extra)) {
                workers in
                let ends = Pipeline.endOffsets(try await produce(self, db))
                for kind in kinds {
                    try await waitUntilConsumed(db, worker: kind.rawValue, ends: ends.filter { inputs(of: kind).contains($0.key.topic) })
                }
                try await waitUntilRelayed(db)
                return workers.workers.mapValues {
                    ($0.stats.processed.load(ordering: .relaxed), $0.stats.duplicates.load(ordering: .relaxed))
                }
            }
            let queued = try await db.int("SELECT count(*) FROM outbox")
            let published = try await reader.read("\(queued) notifications of \(suffix)") { out in
                out.filter { notificationTopics.contains($0.topic) }.count >= queued
            }
            return (try await Totals.of(db), published, stats)
        }
    }
}
