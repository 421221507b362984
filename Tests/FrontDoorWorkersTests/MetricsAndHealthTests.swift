import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Prometheus
import Testing

/// `count` marks of one pupil of a Dover school for `partition` of the attendance topic, ids `<prefix>-<n>`.
private func marks(
    _ prefix: String, _ count: Int, serial: Int, partition: Int32, to pipeline: Pipeline
) -> [KafkaProducerMessage] {
    let school = TestEnvironment.school(in: "Dover")
    let upn = Events.upn(school, serial: serial)
    return Events.register(
        prefix: prefix, upn: upn, laestab: school.laestab.value, from: Events.date("2026-01-05"),
        codes: (0..<count).map { $0 % 2 == 0 ? "/" : "\\" }
    )
    .map {
        KafkaProducerMessage(topic: pipeline.topics.attendance, partition: partition, key: Array($0.key.utf8), value: $0.value)
    }
}

/// Issue 11, item 1: the worker's HTTP listener (`/metrics`, `/health/live`, `/health/ready`) and
/// the metrics recorded where their facts arise, against the real broker and PostgreSQL.
@Suite("Metrics and health")
struct MetricsAndHealthTests {
    /// Ready only once the group assigned partitions; consumed and rejected counts by topic and
    /// code; per-partition lag that grows while batches cannot be written (the worker paused,
    /// retrying) and falls back to 0 once they can.
    @Test(.timeLimit(.minutes(4)))
    func metricsShowConsumedRejectedAndLagPerPartition() async throws {
        let pipeline = Pipeline("metrics", inputPartitions: 2, batchSize: 50)
        try await pipeline.createTopics()
        let listener = try TestListener()
        let started = Date().timeIntervalSince1970
        try await TestDatabase.with { db in
            // A 20 s session timeout: Tansu assigns partitions about 10 s after the join, long
            // after the listener's first answer, even when the suite loads the machine (with the
            // tests' usual 6 s, a clean clone's run once saw its first answer only after the
            // assignment, so ready was never seen refusing).
            let settings = pipeline.settings(databaseURL: db.url, extra: ["FRONTDOOR_SESSION_TIMEOUT_MS": "20000"])
            try await InProcessWorkers.with(
                [.attendance], relay: false, database: db.store, settings: settings, listener: listener
            ) { _ in
                // The listener answers at once, long before the assignment.
                let first = try await eventually("the listener to answer", timeout: .seconds(20)) {
                    let a = try? await listener.get("/health/ready")
                    return (a != nil, a)
                }
                #expect(first?.status == 503, "\(String(describing: first))")
                #expect(first?.body.contains("no partitions assigned") == true, "\(String(describing: first))")
                let live = try await listener.get("/health/live")
                #expect(live.status == 200, "\(live)")
                try await eventually("/health/ready to answer 200 after the assignment", timeout: .seconds(60)) {
                    let a = try? await listener.get("/health/ready")
                    return (a?.status == 200, a?.description ?? "no answer")
                }

                let topic = pipeline.topics.attendance
                var batch = marks("mh-a", 4, serial: 61, partition: 0, to: pipeline) + marks("mh-b", 2, serial: 62, partition: 1, to: pipeline)
                batch.append(KafkaProducerMessage(topic: topic, partition: 1, key: Array("k".utf8), value: Array("{not json".utf8)))
                // A mark of a school that is not in Config/schools.csv: processed, but no series of its own.
                let dover = TestEnvironment.school(in: "Dover")
                let stranger = Events.mark(
                    id: "mh-x", upn: Events.upn(dover, serial: 65), laestab: "8869999", date: Events.date("2026-01-06"), session: "AM",
                    code: "/")
                batch.append(KafkaProducerMessage(topic: topic, partition: 1, key: Array("x".utf8), value: stranger))
                let ends = Pipeline.endOffsets(try await Pipeline.produce(batch))
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends)

                let w = [("worker", "attendance")]
                let lines = try await listener.samples()
                #expect(sample(lines, "frontdoor_events_consumed_total", w + [("topic", topic)]) == 8, "\(lines)")
                #expect(
                    sample(lines, "frontdoor_events_rejected_total", w + [("topic", topic), ("code", "invalid-json")]) == 1, "\(lines)")
                #expect(sample(lines, "frontdoor_consumer_lag", w + [("topic", topic), ("partition", "0")]) == 0, "\(lines)")
                #expect(sample(lines, "frontdoor_consumer_lag", w + [("topic", topic), ("partition", "1")]) == 0, "\(lines)")
                // A partition no batch was ever committed for (nothing stored) counts from its low watermark.
                let decisions = pipeline.topics.decisions
                #expect(sample(lines, "frontdoor_consumer_lag", w + [("topic", decisions), ("partition", "0")]) == 0, "\(lines)")
                #expect((sample(lines, "frontdoor_batch_size_events_count", w) ?? 0) >= 1, "\(lines)")
                #expect((sample(lines, "frontdoor_batch_duration_seconds_count", w) ?? 0) >= 1, "\(lines)")
                #expect(sample(lines, "frontdoor_worker_ready", w) == 1, "\(lines)")
                #expect((sample(lines, "frontdoor_poll_loop_last_turn_timestamp_seconds", w) ?? 0) >= started, "\(lines)")
                #expect((sample(lines, "process_resident_memory_bytes") ?? 0) > 1_000_000, "\(lines)")
                let laestab = TestEnvironment.school(in: "Dover").laestab.value
                #expect(
                    (sample(lines, "frontdoor_school_last_register_timestamp_seconds", [("laestab", laestab)]) ?? 0) >= started,
                    "\(lines)")
                // Every configured school has a series from the start (0 until its marks arrive), others none.
                let silent = TestEnvironment.school(in: "Thanet").laestab.value
                #expect(sample(lines, "frontdoor_school_last_register_timestamp_seconds", [("laestab", silent)]) == 0, "\(lines)")
                #expect(sample(lines, "frontdoor_school_last_register_timestamp_seconds", [("laestab", "8869999")]) == nil)
                #expect(sample(lines, "frontdoor_transaction_retries_total", w) == 0, "no retry yet: \(lines)")
                #expect(sample(lines, "frontdoor_consumer_rejoins_total", w) == 0, "\(lines)")

                // Batches now fail for a reason that is not one event's (a column renamed under the
                // worker): it retries with partition 0 paused while three more marks arrive, one
                // per produce, so each is a record batch of its own and Tansu's high watermark is exact.
                _ = try await db.rows("ALTER TABLE mark_log RENAME COLUMN minutes_late TO minutes_late_gone")
                var more: [KafkaDeliveryReport] = []
                for m in marks("mh-c", 3, serial: 63, partition: 0, to: pipeline) { more += try await Pipeline.produce([m]) }
                try await eventually("the lag of partition 0 to show the 3 waiting marks", timeout: .seconds(60)) {
                    let lines = try await listener.samples()
                    let lag = sample(lines, "frontdoor_consumer_lag", w + [("topic", topic), ("partition", "0")])
                    let retries = sample(lines, "frontdoor_transaction_retries_total", w) ?? 0
                    return (lag == 3 && retries >= 1, "lag \(String(describing: lag)), retries \(retries)")
                }
                let whileFailing = try await listener.samples()
                #expect(sample(whileFailing, "frontdoor_consumer_lag", w + [("topic", topic), ("partition", "1")]) == 0)
                #expect(sample(whileFailing, "frontdoor_events_consumed_total", w + [("topic", topic)]) == 8, "nothing committed meanwhile")

                _ = try await db.rows("ALTER TABLE mark_log RENAME COLUMN minutes_late_gone TO minutes_late")
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(more))
                try await eventually("the lag of partition 0 to fall back to 0", timeout: .seconds(30)) {
                    let lines = try await listener.samples()
                    let lag = sample(lines, "frontdoor_consumer_lag", w + [("topic", topic), ("partition", "0")])
                    return (lag == 0, lag)
                }
                let after = try await listener.samples()
                #expect(sample(after, "frontdoor_events_consumed_total", w + [("topic", topic)]) == 11, "\(after)")
            }
        }
    }

    /// `/health/ready` answers 503 with a reason while PostgreSQL is down (a private cluster,
    /// stopped and started again) and 200 once it is back; `/health/live` stays 200 meanwhile,
    /// since the poll loop keeps turning (a restart would not bring the database back).
    @Test(.timeLimit(.minutes(5)))
    func readinessFollowsPostgreSQL() async throws {
        let pipeline = Pipeline("ready", inputPartitions: 1, batchSize: 20)
        try await pipeline.createTopics()
        try await withPrivateCluster { server, dir, port in
            try await TestDatabase.with(server: server) { db in
                let listener = try TestListener()
                try await InProcessWorkers.with(
                    [.attendance], relay: true, database: db.store, settings: pipeline.settings(databaseURL: db.url),
                    listener: listener
                ) { _ in
                    try await eventually("/health/ready to answer 200", timeout: .seconds(60)) {
                        let a = try? await listener.get("/health/ready")
                        return (a?.status == 200, a?.description ?? "no answer")
                    }
                    try await stackScript(["pg-private-stop", dir])
                    let down = try await eventually("/health/ready to answer 503", timeout: .seconds(30)) {
                        let a = try? await listener.get("/health/ready")
                        return (a?.status == 503, a)
                    }
                    #expect(down?.body.contains("attendance: PostgreSQL does not answer") == true, "\(String(describing: down))")
                    #expect(down?.body.contains("relay: PostgreSQL does not answer") == true, "\(String(describing: down))")
                    try await Task.sleep(for: .seconds(3))
                    let live = try await listener.get("/health/live")
                    #expect(live.status == 200, "\(live)")
                    let lines = try await listener.samples()
                    #expect(sample(lines, "frontdoor_worker_ready", [("worker", "attendance")]) == 0, "\(lines)")
                    #expect(sample(lines, "frontdoor_worker_ready", [("worker", "relay")]) == 0, "\(lines)")

                    try await stackScript(["pg-private-start", dir, String(port)])
                    try await eventually("/health/ready to answer 200 again", timeout: .seconds(90)) {
                        let a = try? await listener.get("/health/ready")
                        return (a?.status == 200, a?.description ?? "no answer")
                    }
                }
            }
        }
    }

    /// The relay exports the outbox backlog and the age of its oldest row (`unsentCount` was
    /// computed and never exported), and counts what it published by topic; it is ready while
    /// its producer can send.
    @Test(.timeLimit(.minutes(2)))
    func relayExportsTheOutboxBacklogAndWhatItPublished() async throws {
        let pipeline = Pipeline("relaymetrics", inputPartitions: 1)
        try await pipeline.createTopics()
        let listener = try TestListener()
        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url)
            let producer = try KafkaProducer(
                configuration: settings.producerConfiguration(clientID: "frontdoor-workers-tests"), logger: TestEnvironment.logger)
            let relay = NotificationRelay(
                database: db.store, producer: producer, settings: settings, logger: TestEnvironment.logger, metrics: listener.metrics)
            let topic = pipeline.topics.enforcement
            try await db.store.withTransaction { tx in
                for i in 0..<2 {
                    try await tx.enqueue(notificationId: "mh-n-\(i)", topic: topic, key: "k\(i)", payload: Data("{}".utf8))
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            // A scrape asks the database for at most HealthServer.probeTimeout (2 s) and leaves the
            // gauges as they were when it does not answer in time, as it may not while the whole
            // suite runs in parallel: scrape again until it has answered once.
            func scrape(until backlog: Double) async -> [String] {
                var lines: [String] = []
                for _ in 0..<10 {
                    await relay.refreshMetrics()
                    lines = listener.registry.emitToString().split(separator: "\n").map(String.init)
                    if sample(lines, "frontdoor_outbox_backlog") == backlog { break }
                }
                return lines
            }
            var lines = await scrape(until: 2)
            #expect(sample(lines, "frontdoor_outbox_backlog") == 2, "\(lines)")
            #expect((sample(lines, "frontdoor_outbox_oldest_age_seconds") ?? 0) >= 0.3, "\(lines)")
            #expect(await relay.readinessProblem() == nil)

            #expect(try await relay.publishOnce(limit: 10) == 2)
            lines = await scrape(until: 0)
            #expect(sample(lines, "frontdoor_outbox_backlog") == 0, "\(lines)")
            #expect(sample(lines, "frontdoor_outbox_oldest_age_seconds") == 0, "\(lines)")
            #expect(sample(lines, "frontdoor_notifications_published_total", [("topic", topic)]) == 2, "\(lines)")

            await producer.close()
            let problem = await relay.readinessProblem()
            #expect(problem == "relay: the producer is closed", "\(String(describing: problem))")
        }
    }

    /// `frontdoor_school_day` follows the LA calendar for today (`FRONTDOOR_TODAY` here): 1 on a
    /// term-time Tuesday, 0 on a Saturday.
    @Test func schoolDayFollowsTheCalendar() async throws {
        for (today, expected) in [("2026-01-06", 1.0), ("2026-01-03", 0.0)] {
            let registry = PrometheusCollectorRegistry()
            let metrics = FrontDoorMetrics(factory: HealthServer.prometheusFactory(registry: registry))
            var settings = WorkerSettings(environment: ["FRONTDOOR_PSEUDONYM_KEY": Pipeline.testPseudonymKey])
            settings.today = today
            let handler = AttendanceHandler(config: TestEnvironment.config, settings: settings, metrics: metrics)
            await handler.refreshMetrics()
            let lines = registry.emitToString().split(separator: "\n").map(String.init)
            #expect(sample(lines, "frontdoor_school_day") == expected, "\(today): \(lines)")
        }
    }

    /// `frontdoor worker attendance` bootstraps the metrics system once and serves it on
    /// `FRONTDOOR_HTTP_PORT`: what its worker records shows on its `/metrics`.
    @Test(.timeLimit(.minutes(3)))
    func theWorkerCommandServesItsMetrics() async throws {
        let pipeline = Pipeline("metricsproc", inputPartitions: 1)
        try await pipeline.createTopics()
        try await TestDatabase.with { db in
            let port = try freeLocalPort()
            let process = try WorkerProcess(
                ["worker", "attendance"], name: "metricsproc",
                environment: pipeline.environment(
                    databaseURL: db.url, extra: ["FRONTDOOR_HTTP_PORT": String(port), "FRONTDOOR_TODAY": "2026-01-06"]))
            defer { process.cleanUp() }
            try await eventually("the process to be ready", timeout: .seconds(60)) {
                let a = try? await httpGet(port: port, path: "/health/ready")
                return (a?.status == 200, a?.description ?? process.logTail)
            }
            let ends = Pipeline.endOffsets(try await Pipeline.produce(marks("mh-p", 2, serial: 64, partition: 0, to: pipeline)))
            try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends)
            let answer = try await httpGet(port: port, path: "/metrics")
            #expect(answer.status == 200)
            let lines = answer.body.split(separator: "\n").map(String.init)
            let w = [("worker", "attendance")]
            #expect(sample(lines, "frontdoor_events_consumed_total", w + [("topic", pipeline.topics.attendance)]) == 2, "\(lines)")
            #expect(sample(lines, "frontdoor_school_day") == 1, "\(lines)")
            #expect(sample(lines, "frontdoor_worker_ready", w) == 1, "\(lines)")
            #expect((sample(lines, "process_resident_memory_bytes") ?? 0) > 1_000_000, "\(lines)")
            #expect(answer.body.contains("# TYPE frontdoor_batch_duration_seconds histogram"), "\(answer.body.prefix(2000))")
            process.signal(SIGTERM)
            let exit = try await process.waitForExit(timeout: .seconds(30))
            #expect(exit.reason == .exit && exit.status == 0, "\(exit); \(process.logTail)")

            // A second worker told to use the same port cannot serve its probes: it stops at
            // start-up and says which setting to fix, rather than run unobserved.
            let holder = try WorkerProcess(
                ["worker", "attendance"], name: "metricsproc-holder",
                environment: pipeline.environment(databaseURL: db.url, extra: ["FRONTDOOR_HTTP_PORT": String(port)]))
            defer { holder.cleanUp() }
            try await eventually("the first process to listen again", timeout: .seconds(60)) {
                let a = try? await httpGet(port: port, path: "/health/live")
                return (a?.status == 200, a?.description ?? holder.logTail)
            }
            let clash = try WorkerProcess(
                ["worker", "attendance"], name: "metricsproc-clash",
                environment: pipeline.environment(databaseURL: db.url, extra: ["FRONTDOOR_HTTP_PORT": String(port)]))
            defer { clash.cleanUp() }
            let refused = try await clash.waitForExit(timeout: .seconds(30))
            #expect(refused.reason == .exit && refused.status != 0, "\(refused); \(clash.logTail)")
            #expect(clash.log.contains("FRONTDOOR_HTTP_PORT"), "\(clash.logTail)")
            holder.signal(SIGTERM)
            _ = try await holder.waitForExit(timeout: .seconds(30))
        }
    }
}
