import ArgumentParser
import AsyncHTTPClient
import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorGateway
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

extension Bench {
    /// Runs the gateway in this process against the local stack and posts registers to it in
    /// batched mode from `--concurrency` HTTP connections; prints events/s and request latencies.
    struct Gateway: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Post registers to an in-process gateway in batched mode; print events/s and p50/p99 request latency.",
            discussion: """
                Uses FRONTDOOR_DATABASE_URL (migrated; a throw-away client is added and revoked, both audited) and
                FRONTDOOR_KAFKA_BROKERS (a topic of its own, deleted afterwards). Every event is decoded, authorized and
                acknowledged by the broker before its request is answered, as in production.
                """)

        @Option(help: "Requests to send.")
        var requests: Int = 200

        @Option(help: "Events (attendance marks) per request.")
        var batch: Int = 500

        @Option(help: "Requests in flight at once (one HTTP connection each).")
        var concurrency: Int = 8

        @Option(help: "Port of the in-process gateway.")
        var port: Int = 18_080

        @Option(help: "Partitions of the benchmark's attendance topic.")
        var partitions: Int = 6

        func validate() throws {
            guard requests > 0, batch > 0, concurrency > 0, partitions > 0 else {
                throw ValidationError("--requests, --batch, --concurrency and --partitions must be positive")
            }
        }

        func run() async throws {
            var logger = Logger(label: "frontdoor.bench")
            logger.logLevel = .warning
            let settings = WorkerSettings()
            let config = try ConfigLoader(directory: settings.configDirectory).load()
            var gatewaySettings = GatewaySettings()
            gatewaySettings.host = "127.0.0.1"
            gatewaySettings.port = port
            gatewaySettings.maximumEvents = max(batch, gatewaySettings.maximumEvents)
            gatewaySettings.maximumBodyBytes = max(gatewaySettings.maximumBodyBytes, batch * 1024)
            gatewaySettings.eventsPerSecond = 1e9
            gatewaySettings.burst = Int(1e9)

            let suffix = UUID().uuidString.prefix(8).lowercased()
            var topics = settings.topics
            topics.attendance = "frontdoor.bench.gateway.\(suffix).attendance"
            let admin = try KafkaAdmin(configuration: settings.adminConfiguration(clientID: "frontdoor-bench"), logger: logger)
            try await admin.createTopic(topics.attendance, partitions: Int32(partitions), replicationFactor: 1)

            let database = FrontDoorDatabase(configuration: try settings.databaseConfiguration(), logger: logger)
            let clientID = "bench-\(suffix)"
            let school = config.register.schools[0]
            let key = ClientKey.generate()
            let producer = try KafkaProducer(
                configuration: FrontDoorGateway.Gateway.producerConfiguration(worker: settings, gateway: gatewaySettings), logger: logger)
            let gateway = FrontDoorGateway.Gateway(
                settings: gatewaySettings, topics: topics, config: config, database: database, producer: producer, logger: logger)
            let bodies = Self.registers(school: school, calendar: config.calendar, requests: requests, batch: batch, run: String(suffix))
            print(
                "gateway bench: \(requests) requests of \(batch) marks (\(bodies[0].count) bytes each), \(concurrency) in flight, topic of \(partitions) partitions"
            )

            let application = try gateway.application()
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: database.client), .init(service: application)], logger: logger))
            let serving = Task { try await group.run() }
            defer { serving.cancel() }
            _ = try await database.migrate()
            try await database.withTransaction { tx in
                _ = try await tx.addGatewayClient(id: clientID, kind: "school", laestab: school.laestab.value, keySHA256: key.sha256Hex)
                try await tx.audit([GovernanceAudit.entry(decision: "clients-add", subjectRef: clientID, figures: ["bench": true])])
            }

            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let url = "http://127.0.0.1:\(port)/events"
            try await Self.waitUntilListening(http, url: url)
            let clock = ContinuousClock()
            let start = clock.now
            let outcome = try await withThrowingTaskGroup(of: (latencies: [Double], failures: Int).self) { tasks in
                for worker in 0..<concurrency {
                    tasks.addTask {
                        var latencies: [Double] = []
                        var failures = 0
                        var i = worker
                        while i < bodies.count {
                            var request = HTTPClientRequest(url: url)
                            request.method = .POST
                            request.headers.add(name: "Authorization", value: "Bearer \(key.text)")
                            request.headers.add(name: "Content-Type", value: CloudEventsHTTP.batchMediaType)
                            request.body = .bytes(ByteBuffer(bytes: bodies[i]))
                            let sent = clock.now
                            let response = try await http.execute(request, timeout: .seconds(120))
                            _ = try await response.body.collect(upTo: 64 * 1024 * 1024)
                            latencies.append(Self.seconds(sent.duration(to: clock.now)))
                            if response.status != .accepted { failures += 1 }
                            i += concurrency
                        }
                        return (latencies, failures)
                    }
                }
                var all: [Double] = []
                var failures = 0
                for try await r in tasks {
                    all += r.latencies
                    failures += r.failures
                }
                return (all.sorted(), failures)
            }
            let seconds = Self.seconds(start.duration(to: clock.now))
            try await http.shutdown()
            let events = requests * batch
            func percentile(_ p: Double) -> Double { outcome.0[min(outcome.0.count - 1, Int((Double(outcome.0.count) * p).rounded(.up)) - 1)] }
            print(
                String(
                    format: "batched mode: %d events in %.2f s = %.0f events/s (%.1f requests/s)", events, seconds, Double(events) / seconds,
                    Double(requests) / seconds))
            print(
                String(
                    format: "request latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms", percentile(0.5) * 1000, percentile(0.99) * 1000,
                    (outcome.0.last ?? 0) * 1000))
            if outcome.1 > 0 { print("warning: \(outcome.1) requests were not answered 202") }

            try await database.withTransaction { tx in
                _ = try await tx.revokeGatewayClient(id: clientID)
                try await tx.audit([GovernanceAudit.entry(decision: "clients-revoke", subjectRef: clientID, figures: ["bench": true])])
            }
            await group.triggerGracefulShutdown()
            try? await serving.value
            await producer.close()
            try? await admin.deleteTopic(topics.attendance)
        }

        /// `requests` bodies of `batch` marks each for pupils of `school`: every mark a new
        /// `(source, id)`, on school days from 2026-09-07, one pupil per mark within a request.
        static func registers(school: School, calendar: SchoolCalendar, requests: Int, batch: Int, run: String) -> [[UInt8]] {
            var days: [LocalDate] = []
            var day = AcademicYear(startYear: 2026).firstDay.adding(days: 6)  // 2026-09-07
            while days.count < 200 {
                if calendar.acceptsMarks(on: day) { days.append(day) }
                day = day.adding(days: 1)
            }
            let laestab = school.laestab.value
            let upns: [String] = (0..<min(batch, 1000)).compactMap { serial in
                let body = "886" + school.laestab.establishmentNumber + "26" + String(format: "%03d", serial)
                return UPN.checkLetter(forBody: body).map { String($0) + body }
            }
            return (0..<requests).map { r in
                let date = days[(r / 2) % days.count]
                let session = r % 2 == 0 ? "AM" : "PM"
                var out: [UInt8] = Array("[".utf8)
                for i in 0..<batch {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    let upn = upns[i % upns.count]
                    out += Array(
                        """
                        {"specversion":"1.0","id":"bench-\(run)-\(r)-\(i)","source":"urn:laestab:\(laestab)","type":"attendance.mark.v1","time":"\(date)T\(session == "AM" ? "09" : "13"):05:00Z","subject":"\(upn)","data":{"upn":"\(upn)","laestab":"\(laestab)","date":"\(date)","session":"\(session)","code":"/","minutesLate":null}}
                        """.utf8)
                }
                out.append(UInt8(ascii: "]"))
                return out
            }
        }

        /// Waits until the in-process gateway answers (any status).
        static func waitUntilListening(_ http: HTTPClient, url: String) async throws {
            for _ in 0..<100 {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                if (try? await http.execute(request, timeout: .seconds(2))) != nil { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw ValidationError("the gateway did not start listening on \(url)")
        }

        static func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
    }
}
