import ArgumentParser
import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Logging

extension Bench {
    /// `frontdoor bench attendance`: the attendance worker's figures of issue 10, in one run,
    /// against the local stack. Figures only, never pass/fail.
    ///
    /// Every phase has its own scratch database and consumer group, and the worker runs as a
    /// child process (this executable's `worker attendance`), so its peak resident memory is its
    /// own (`VmHWM`). The marks are produced to Kafka first; a phase's rate is timed from the
    /// first batch the worker commits to the last (the group join is not counted).
    struct Attendance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the attendance worker: empty database, a late-year morning, COPY ceiling, baseline, latency, replicas.",
            discussion: """
                Phases (each in its own scratch database on FRONTDOOR_DATABASE_URL's server, dropped afterwards):
                  empty     a morning of --pupils marks (AM) into an empty database, one worker
                  baseline  the same marks through a batched consumer without rules (5,000-mark batches, COPY,
                            set-based upserts, offsets in the same transaction), in this process
                  history   the same morning onto --history-days school days of marks for those pupils (generated
                            in SQL), then the COPY ceiling of the same rows into that database
                  replicas  the empty phase with two workers on the --partitions partitions
                  latency   --latency-rate marks/s for --latency-days register days of --latency-pupils pupils, with
                            the relay: p50/p99 from a mark's time to its notification on a unit's topic
                The figures go to stdout and to --output (default .local/state/bench/attendance-<time>.txt); progress to stderr.
                """)

        @Option(help: "Pupils, one mark each in the morning (Kent: about 230,000).")
        var pupils: Int = 230_000

        @Option(name: .customLong("history-days"), help: "School days of marks already stored in the history phase.")
        var historyDays: Int = 150

        @Option(help: "Partitions of the benchmark's attendance topic.")
        var partitions: Int = 6

        @Option(name: .customLong("latency-rate"), help: "Marks per second in the latency phase.")
        var latencyRate: Int = 20_000

        @Option(name: .customLong("latency-pupils"), help: "Pupils in the latency phase (two marks each per register day).")
        var latencyPupils: Int = 10_000

        @Option(name: .customLong("latency-days"), help: "Register days sent in the latency phase.")
        var latencyDays: Int = 30

        @Option(help: "Phases to run, comma-separated (empty, baseline, history, replicas, latency).")
        var phases: String = "empty,baseline,history,replicas,latency"

        @Option(help: "File the figures are written to (default .local/state/bench/attendance-<time>.txt).")
        var output: String?

        @Option(help: "Bootstrap brokers (default: FRONTDOOR_KAFKA_BROKERS or 127.0.0.1:59092).")
        var brokers: String = ProcessInfo.processInfo.environment["FRONTDOOR_KAFKA_BROKERS"] ?? "127.0.0.1:59092"

        @Flag(help: "Keep the scratch databases and topics.")
        var keep = false

        func validate() throws {
            guard pupils > 0, historyDays >= 0, partitions > 0, latencyRate > 0, latencyPupils > 0, latencyDays > 0 else {
                throw ValidationError("sizes must be positive")
            }
            let known: Set<String> = ["empty", "baseline", "history", "replicas", "latency"]
            let unknown = Set(phaseList).subtracting(known)
            guard unknown.isEmpty else { throw ValidationError("unknown phases: \(unknown.sorted().joined(separator: ","))") }
        }

        var phaseList: [String] { phases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

        func run() async throws {
            var logger = Logger(label: "frontdoor.bench")
            logger.logLevel = .error
            let settings = WorkerSettings()
            let config = try ConfigLoader(directory: settings.configDirectory).load()
            let run = BenchRun(
                settings: settings, config: config, brokers: brokers.split(separator: ",").map(String.init), keep: keep,
                logger: logger, output: output)
            try await run.start(partitions: partitions)
            let want = Set(phaseList)
            let year = AcademicYear(startYear: 2026)
            let days = Self.schoolDays(of: year, count: historyDays + 1, calendar: config.calendar)
            guard let morning = days.last else { throw ValidationError("no school day in \(year)") }
            let pupilList = Self.pupils(pupils)
            let schools = config.register.schools.map(\.laestab.value)
            guard !schools.isEmpty else { throw ValidationError("the configuration has no schools") }
            run.line("frontdoor bench attendance: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(pupils) pupils, morning \(morning)")
            run.line("note: figures depend on what else the machine runs; compare ratios within one run")

            let morningMarks = Self.morningMarks(pupils: pupilList, schools: schools, day: morning)
            var emptyRate: Double?
            if !want.isDisjoint(with: ["empty", "baseline", "history", "replicas"]) {
                let topic = try await run.topic("attendance", partitions: partitions)
                try await run.produce(morningMarks.map(\.message), to: topic, label: "morning")
                if want.contains("empty") {
                    let r = try await run.workerPhase("empty", topic: topic, expected: morningMarks.count, replicas: 1)
                    emptyRate = r
                }
                if want.contains("baseline") {
                    let rate = try await run.baselinePhase(topic: topic, expected: morningMarks.count, academicYear: year.description)
                    if let emptyRate, rate > 0 {
                        run.line(String(format: "worker / baseline (empty database): %.2f", emptyRate / rate))
                    }
                }
                if want.contains("history") {
                    let history = AttendanceBenchData.History(
                        pupils: pupilList, schools: schools, days: days.dropLast().map { StoreDate(daysSince1970: $0.daysSinceEpoch) },
                        academicYear: year.description)
                    let rate = try await run.workerPhase(
                        "history", topic: topic, expected: morningMarks.count, replicas: 1,
                        prepare: { db in
                            // The rule state the history implies, as the worker stores it for a
                            // pupil it meets with no state: its recompute, in this process.
                            let handler = AttendanceHandler(config: config, settings: settings)
                            let through = days.dropLast().last ?? morning
                            let n = try await history.load(
                                into: db,
                                ruleState: { upns, tx in
                                    try await handler.storeRecomputedStates(
                                        upns: upns.compactMap { try? UPN(validating: $0) }, firstYear: year, through: through, in: tx)
                                },
                                progress: { text in
                                    run.progress("  " + text)
                                })
                            run.line("history: \(n) marks over \(days.count - 1) school days stored before the morning")
                        },
                        after: { db in
                            let seconds = try await AttendanceBenchData.copyCeiling(morningMarks.map(\.record), into: db)
                            let copyRate = Double(morningMarks.count) / max(seconds, 1e-9)
                            run.line(
                                "COPY ceiling (same rows, same database): \(morningMarks.count) marks in "
                                    + String(format: "%.2f s = %.0f marks/s", seconds, copyRate))
                            return copyRate
                        })
                    if let emptyRate, emptyRate > 0 {
                        run.line(String(format: "late-year morning / empty database: %.2f (goal >= 0.8)", rate / emptyRate))
                    }
                }
                if want.contains("replicas") {
                    _ = try await run.workerPhase("replicas", topic: topic, expected: morningMarks.count, replicas: 2)
                }
            }
            if want.contains("latency") {
                try await run.latencyPhase(
                    pupils: latencyPupils, days: latencyDays, rate: latencyRate, partitions: partitions, schools: schools)
            }
            try await run.finish()
        }

        /// The first `count` days of `year` on which schools take marks.
        static func schoolDays(of year: AcademicYear, count: Int, calendar: SchoolCalendar) -> [LocalDate] {
            var out: [LocalDate] = []
            var d = year.firstDay
            while out.count < count && d <= year.lastDay {
                if calendar.acceptsMarks(on: d) { out.append(d) }
                d = d.adding(days: 1)
            }
            return out
        }

        /// Valid UPNs (LA 886, check letter computed), one per pupil.
        static func pupils(_ n: Int) -> [String] {
            (0..<n).compactMap { i in
                let body = "886" + String(format: "%08d", i) + String(i % 10)
                return UPN.checkLetter(forBody: body).map { String($0) + body }
            }
        }

        struct BenchMark: Sendable {
            var record: MarkRecord
            var message: KafkaProducerMessage
        }

        /// One AM mark per pupil on `day`, mostly present, about 5% absent or late; UUID ids.
        static func morningMarks(pupils: [String], schools: [String], day: LocalDate) -> [BenchMark] {
            var rng = SeededGenerator(seed: 10)
            return pupils.enumerated().map { i, upn in
                let laestab = schools[i % schools.count]
                let roll = Int.random(in: 0..<100, using: &rng)
                let code = roll < 2 ? "I" : roll < 3 ? "O" : roll < 4 ? "M" : roll < 5 ? "L" : "/"
                let late = code == "L" ? 10 : nil
                let minute = 40 + i % 30
                let time = Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch * 86_400 + 8 * 3600 + minute * 60))
                return BenchMark(
                    record: MarkRecord(
                        source: "urn:laestab:\(laestab)", eventId: UUID().uuidString.lowercased(), upn: upn, laestab: laestab,
                        date: StoreDate(daysSince1970: day.daysSinceEpoch), session: "AM", code: code,
                        category: RegisterCode(code, on: day)?.category.rawValue ?? "present", minutesLate: late, eventTime: time),
                    message: KafkaProducerMessage(topic: "", key: Array(upn.utf8), value: []))
            }.map { m in
                var m = m
                m.message = KafkaProducerMessage(topic: "", key: Array(m.record.upn.utf8), value: Self.json(m.record, pupil: nil))
                return m
            }
        }

        /// A mark as `attendance.mark.v1` JSON (contract/samples/attendance.mark.v1.json).
        static func json(_ m: MarkRecord, pupil: String?) -> [UInt8] {
            let late = m.minutesLate.map(String.init) ?? "null"
            let code = m.code == "\\" ? "\\\\" : m.code
            let pupilField = pupil.map { ",\"pupil\":\($0)" } ?? ""
            let text =
                "{\"specversion\":\"1.0\",\"id\":\"\(m.eventId)\",\"source\":\"\(m.source)\",\"type\":\"attendance.mark.v1\","
                + "\"time\":\"\(RFC3339.format(m.eventTime))\",\"subject\":\"\(m.upn)\",\"datacontenttype\":\"application/json\","
                + "\"data\":{\"upn\":\"\(m.upn)\",\"laestab\":\"\(m.laestab)\",\"date\":\"\(m.date)\",\"session\":\"\(m.session)\","
                + "\"code\":\"\(code)\",\"minutesLate\":\(late)\(pupilField)}}"
            return Array(text.utf8)
        }
    }
}

/// One `bench attendance` run: its topics, scratch databases, worker processes and figures.
final class BenchRun: @unchecked Sendable {
    let settings: WorkerSettings
    let config: LoadedConfig
    let brokers: [String]
    let keep: Bool
    let logger: Logger
    let runId = String(UUID().uuidString.prefix(8).lowercased())
    let outputPath: String
    let stateDirectory: String
    private var lines: [String] = []
    private var topics: [String] = []
    private var admin: KafkaAdmin?
    private let lock = NSLock()
    private let started = Date()

    init(settings: WorkerSettings, config: LoadedConfig, brokers: [String], keep: Bool, logger: Logger, output: String?) {
        self.settings = settings
        self.config = config
        self.brokers = brokers
        self.keep = keep
        self.logger = logger
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        self.stateDirectory = FileManager.default.currentDirectoryPath + "/.local/state/bench"
        self.outputPath = output ?? "\(stateDirectory)/attendance-\(stamp).txt"
    }

    func start(partitions: Int) async throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        var c = KafkaAdminConfiguration(bootstrapServers: brokers)
        c.additionalProperties = settings.kafkaProperties
        admin = try KafkaAdmin(configuration: c, logger: logger)
    }

    /// A figure: to stdout and the output file.
    func line(_ text: String) {
        lock.withLock { lines.append(text) }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Progress: to stderr only.
    func progress(_ text: String) {
        let t = String(format: "%6.1f", Date().timeIntervalSince(started))
        FileHandle.standardError.write(Data(("[\(t) s] " + text + "\n").utf8))
    }

    func finish() async throws {
        if !keep, let admin {
            for t in topics { try? await admin.deleteTopic(t) }
        }
        let text = lock.withLock { lines.joined(separator: "\n") } + "\n"
        try text.write(toFile: outputPath, atomically: true, encoding: .utf8)
        FileHandle.standardOutput.write(Data("figures written to \(outputPath)\n".utf8))
    }

    /// A fresh topic `frontdoor.bench.<run>.<name>` (and its DLQ).
    func topic(_ name: String, partitions: Int) async throws -> String {
        let topic = "frontdoor.bench.\(runId).\(name)"
        guard let admin else { throw ValidationError("not started") }
        for t in [topic, topic + settings.topics.dlqSuffix] {
            try await admin.createTopic(t, partitions: Int32(t == topic ? partitions : 1), replicationFactor: 1)
            topics.append(t)
        }
        return topic
    }

    func producer() throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: brokers)
        configuration.clientID = "frontdoor-bench"
        configuration.messageTimeout = .seconds(120)
        configuration.additionalProperties = settings.kafkaProperties
        return try KafkaProducer(configuration: configuration, logger: logger)
    }

    /// Sends `messages` to `topic` (50,000 at a time, four chunks in flight) and waits for every
    /// acknowledgement.
    func produce(_ messages: [KafkaProducerMessage], to topic: String, label: String) async throws {
        let producer = try producer()
        let clock = ContinuousClock()
        let start = clock.now
        var failures = 0
        for chunk in stride(from: 0, to: messages.count, by: 50_000) {
            let batch = messages[chunk..<min(chunk + 50_000, messages.count)].map {
                KafkaProducerMessage(topic: topic, key: $0.key, value: $0.value)
            }
            failures += await producer.send(batch).filter { if case .failure = $0 { true } else { false } }.count
        }
        let seconds = Self.seconds(start.duration(to: clock.now))
        await producer.close()
        progress(String(format: "produced %d %@ marks to %@ in %.1f s", messages.count, label, topic, seconds))
        if failures > 0 { line("warning: \(failures) sends failed") }
    }

    // MARK: Databases

    /// The URL of a scratch database next to FRONTDOOR_DATABASE_URL's.
    func url(database name: String) -> String {
        guard var c = URLComponents(string: settings.databaseURL) else { return settings.databaseURL }
        c.path = "/" + name
        return c.string ?? settings.databaseURL
    }

    /// Creates, migrates and (unless --keep) drops a scratch database around `body`.
    func withScratchDatabase<T: Sendable>(_ phase: String, _ body: (FrontDoorDatabase, String) async throws -> T) async throws -> T {
        var base = try settings.databaseConfiguration().withStatementTimeoutDefault(.seconds(60 * 60))
        base.maximumConnections = 4
        let name = "frontdoor_bench_\(runId)_\(phase)"
        try await Bench.Report.administer(base, "CREATE DATABASE \(name)", logger: logger)
        let database = FrontDoorDatabase(configuration: base.with(database: name), logger: logger)
        do {
            let value = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await database.run() }
                defer { group.cancelAll() }
                try await database.migrate()
                return try await body(database, name)
            }
            if !keep { try await Bench.Report.administer(base, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)", logger: logger) }
            return value
        } catch {
            if !keep { try? await Bench.Report.administer(base, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)", logger: logger) }
            throw error
        }
    }

    /// Messages the group has committed to PostgreSQL for `topic` (the sum of its next offsets;
    /// the topic is fresh, so they start at 0).
    func committed(_ database: FrontDoorDatabase, group: String, topic: String) async throws -> Int64 {
        try await database.withTransaction(readOnly: true) { tx in
            try await tx.loadOffsets(group: group, topic: topic).values.reduce(0, +)
        }
    }

    // MARK: Worker processes

    /// This executable (the worker is `frontdoor worker attendance`).
    var executable: URL {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path)
    }

    func startWorker(_ kind: String, phase: String, database: String, extra: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["worker", kind]
        var env = ProcessInfo.processInfo.environment
        env["FRONTDOOR_DATABASE_URL"] = url(database: database)
        env["FRONTDOOR_LOG_FORMAT"] = "json"
        env["FRONTDOOR_LOG_LEVEL"] = env["FRONTDOOR_LOG_LEVEL"] ?? "warning"
        env["FRONTDOOR_SESSION_TIMEOUT_MS"] = env["FRONTDOOR_SESSION_TIMEOUT_MS"] ?? "6000"
        // No metrics listener: two replicas, or a worker and its relay, would both take port 9464,
        // and the second would stop at once (the replicas phase then measured one worker).
        env["FRONTDOOR_HTTP_PORT"] = "0"
        if (env["FRONTDOOR_PSEUDONYM_KEY"] ?? "").isEmpty {
            env["FRONTDOOR_PSEUDONYM_KEY"] = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        }
        for (k, v) in extra { env[k] = v }
        process.environment = env
        let log = "\(stateDirectory)/attendance-\(runId)-\(phase)-\(kind).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Peak resident memory of a running child process (`VmHWM`), in MiB.
    func peakRSS(_ process: Process) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return nil }
        for l in status.split(separator: "\n") where l.hasPrefix("VmHWM:") {
            let kb = l.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return nil
    }

    func stop(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<300 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs `replicas` attendance workers on `topic` into a scratch database until they have
    /// committed `expected` messages; prints the rate and peak RSS. Returns marks/s.
    func workerPhase(
        _ phase: String, topic: String, expected: Int, replicas: Int,
        prepare: (FrontDoorDatabase) async throws -> Void = { _ in },
        after: (FrontDoorDatabase) async throws -> Double = { _ in 0 }
    ) async throws -> Double {
        try await withScratchDatabase(phase) { db, name in
            try await prepare(db)
            let group = "bench-\(runId)-\(phase)"
            let env = [
                "FRONTDOOR_GROUP_PREFIX": group, "FRONTDOOR_TOPIC_ATTENDANCE": topic,
                "FRONTDOOR_TOPIC_DECISIONS": topic + ".decisions", "FRONTDOOR_TOPIC_ROLLS": topic + ".rolls",
            ]
            for t in [topic + ".decisions", topic + ".rolls"] where !topics.contains(t) {
                try await admin?.createTopic(t, partitions: 1, replicationFactor: 1)
                topics.append(t)
            }
            progress("\(phase): starting \(replicas) worker(s)")
            let workers = try (0..<replicas).map { i in
                try startWorker("attendance", phase: "\(phase)\(i)", database: name, extra: env)
            }
            let clock = ContinuousClock()
            let begin = clock.now
            var first: (at: ContinuousClock.Instant, count: Int64)?
            var last: (at: ContinuousClock.Instant, count: Int64) = (begin, 0)
            var peaks = [Double](repeating: 0, count: replicas)
            var reported: Int64 = 0
            while last.count < Int64(expected) {
                try await Task.sleep(for: .milliseconds(100))
                let n = try await committed(db, group: "\(group)-attendance", topic: topic)
                for (i, w) in workers.enumerated() { peaks[i] = max(peaks[i], peakRSS(w) ?? 0) }
                if n > last.count {
                    if first == nil { first = (clock.now, n) }
                    last = (clock.now, n)
                    if n * 10 / Int64(max(expected, 1)) > reported {
                        reported = n * 10 / Int64(max(expected, 1))
                        progress("\(phase): \(n) of \(expected) committed")
                    }
                } else if clock.now - last.at > .seconds(120) || workers.allSatisfy({ !$0.isRunning }) {
                    line("\(phase): stalled at \(last.count) of \(expected) (see \(stateDirectory)/attendance-\(runId)-\(phase)*.log)")
                    break
                }
            }
            for (i, w) in workers.enumerated() { peaks[i] = max(peaks[i], peakRSS(w) ?? 0) }
            // A worker that stopped early leaves the figure to the others: say so beside it.
            let stoppedEarly = workers.indices.filter { !workers[$0].isRunning }
            for i in stoppedEarly {
                line("\(phase): worker \(i) stopped before the end (see \(stateDirectory)/attendance-\(runId)-\(phase)\(i)-attendance.log)")
            }
            for w in workers { await stop(w) }
            guard let first, last.count > 0 else {
                line("\(phase): no progress")
                _ = try await after(db)
                return 0
            }
            // One batch only (a small run): from the start, group join included.
            let from = last.count > first.count ? first : (at: begin, count: Int64(0))
            let seconds = Self.seconds(from.at.duration(to: last.at))
            let rate = Double(last.count - from.count) / max(seconds, 1e-9)
            let total = Self.seconds(begin.duration(to: last.at))
            line(
                "\(phase): \(replicas) worker(s), \(last.count) marks, "
                    + String(format: "%.0f marks/s (first to last commit, %.1f s; %.1f s with the group join)", rate, seconds, total)
                    + ", peak RSS " + peaks.map { String(format: "%.0f MiB", $0) }.joined(separator: " + "))
            let bytes = try await AttendanceBenchData.bytesPerMark(db)
            line(
                String(
                    format: "%@: storage %d marks, %.0f B/mark in the mark log (%.0f table + %.0f index), %.0f B/claim in the claims (event_claims)",
                    phase, bytes.marks, bytes.table + bytes.indexes, bytes.table, bytes.indexes, bytes.processedEvents))
            let ceiling = try await after(db)
            if ceiling > 0 { line(String(format: "%@: worker / COPY ceiling: %.3f", phase, rate / ceiling)) }
            return rate
        }
    }

    // MARK: Baseline

    /// The issue's batched consumer: 5,000-mark batches, COPY, set-based upserts, offsets in the
    /// same transaction, no rules; in this process. Returns marks/s.
    func baselinePhase(topic: String, expected: Int, academicYear: String) async throws -> Double {
        try await withScratchDatabase("baseline") { db, _ in
            let group = "bench-\(runId)-baseline"
            var configuration = KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: group)
            configuration.sessionTimeout = .seconds(6)
            configuration.heartbeatInterval = .milliseconds(500)
            configuration.autoOffsetReset = .earliest
            configuration.additionalProperties = settings.kafkaProperties
            let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
            try consumer.subscribe(topics: [topic])
            let clock = ContinuousClock()
            var first: ContinuousClock.Instant?
            var count = 0
            var firstBatch = 0
            var idleSince = clock.now
            while count < expected {
                let batch = try await consumer.poll(maxMessages: 5_000, timeout: .milliseconds(200))
                guard !batch.isEmpty else {
                    if clock.now - idleSince > .seconds(60) { break }
                    continue
                }
                idleSince = clock.now
                var marks: [MarkRecord] = []
                var next: [Int32: Int64] = [:]
                for m in batch {
                    next[m.partition] = max(next[m.partition] ?? 0, m.offset + 1)
                    if let r = Self.decodeMark(m.value) { marks.append(r) }
                }
                try await AttendanceBenchData.baselineBatch(
                    marks, academicYear: academicYear, group: group, topic: topic, offsets: next.map { ($0.key, $0.value) },
                    into: db)
                count += batch.count
                if first == nil {
                    first = clock.now
                    firstBatch = batch.count
                }
            }
            let end = clock.now
            try await consumer.close()
            guard let first, count > firstBatch else {
                line("baseline: no progress")
                return 0
            }
            let seconds = Self.seconds(first.duration(to: end))
            let rate = Double(count - firstBatch) / max(seconds, 1e-9)
            line(String(format: "baseline (batched consumer, no rules): %d marks, %.0f marks/s (%.1f s)", count, rate, seconds))
            return rate
        }
    }

    /// What a plain consumer does: JSONSerialization, then the fields it needs.
    static func decodeMark(_ bytes: [UInt8]) -> MarkRecord? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let data = object["data"] as? [String: Any], let id = object["id"] as? String, let source = object["source"] as? String,
            let timeText = object["time"] as? String, let time = RFC3339.parse(timeText), let upn = data["upn"] as? String,
            let laestab = data["laestab"] as? String, let dateText = data["date"] as? String, let date = LocalDate(iso: dateText),
            let session = data["session"] as? String, let code = data["code"] as? String,
            let category = RegisterCode(code, on: date)?.category
        else { return nil }
        return MarkRecord(
            source: source, eventId: id, upn: upn, laestab: laestab, date: StoreDate(daysSince1970: date.daysSinceEpoch), session: session,
            code: code,
            category: category.rawValue, minutesLate: data["minutesLate"] as? Int, eventTime: time)
    }

    // MARK: Latency

    /// `rate` marks/s for `days` register days of `pupils` pupils (both sessions), through the
    /// worker and the relay; every 50th pupil is absent (`O`) from a day of its own onwards, so
    /// that CME risk (`cmeRiskSchoolDays` days) is raised for it during the run. Prints p50/p99
    /// from a notification's `time` (its trigger mark's `time`, set when the mark was sent) to
    /// its arrival on the unit's topic.
    func latencyPhase(pupils: Int, days: Int, rate: Int, partitions: Int, schools: [String]) async throws {
        let threshold = config.rules.cmeRiskSchoolDays
        let year = AcademicYear(startYear: 2025)
        let dates = Bench.Attendance.schoolDays(of: year, count: days, calendar: config.calendar)
        let upns = Bench.Attendance.pupils(pupils)
        let cohorts = max(1, dates.count - threshold)
        try await withScratchDatabase("latency") { db, name in
            let topic = try await topic("latency", partitions: partitions)
            let unitPattern = "frontdoor.bench.\(runId).early-help.{unit}.v1"
            var unitTopics: [String] = []
            for unit in Set(config.units.unitIds + ["unassigned"]).sorted() {
                let t = unitPattern.replacingOccurrences(of: "{unit}", with: unit)
                try await admin?.createTopic(t, partitions: 1, replicationFactor: 1)
                topics.append(t)
                unitTopics.append(t)
            }
            let enforcement = "frontdoor.bench.\(runId).enforcement"
            for t in [topic + ".decisions", topic + ".rolls", enforcement] {
                try await admin?.createTopic(t, partitions: 1, replicationFactor: 1)
                topics.append(t)
            }
            let env = [
                "FRONTDOOR_GROUP_PREFIX": "bench-\(runId)-latency", "FRONTDOOR_TOPIC_ATTENDANCE": topic,
                "FRONTDOOR_TOPIC_DECISIONS": topic + ".decisions", "FRONTDOOR_TOPIC_ROLLS": topic + ".rolls",
                "FRONTDOOR_TOPIC_EARLY_HELP": unitPattern, "FRONTDOOR_TOPIC_ENFORCEMENT": enforcement,
            ]
            let worker = try startWorker("attendance", phase: "latency", database: name, extra: env)
            let relay = try startWorker("relay", phase: "latency", database: name, extra: env)
            defer {
                worker.terminate()
                relay.terminate()
            }

            // The notifications' consumer, from the start of the unit topics.
            var configuration = KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: "bench-\(runId)-latency-watch")
            configuration.sessionTimeout = .seconds(6)
            configuration.heartbeatInterval = .milliseconds(500)
            configuration.autoOffsetReset = .earliest
            configuration.additionalProperties = settings.kafkaProperties
            let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
            try consumer.subscribe(topics: unitTopics)
            let latencies = LatencySamples()
            let watching = Task {
                while !Task.isCancelled {
                    guard let batch = try? await consumer.poll(maxMessages: 1_000, timeout: .milliseconds(50)) else { break }
                    let now = Date()
                    for m in batch {
                        guard let object = try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any],
                            let text = object["time"] as? String, let time = RFC3339.parse(text)
                        else { continue }
                        latencies.add(now.timeIntervalSince(time))
                    }
                }
            }
            // Let the worker, the relay and the watcher join their groups before the clock starts.
            progress("latency: waiting for the worker to join")
            try await Task.sleep(for: .seconds(8))
            let producer = try producer()
            let perDay = upns.count * 2
            let dayDuration = Double(perDay) / Double(rate)
            let tick = 0.1
            let perTick = max(1, Int(Double(rate) * tick))
            progress("latency: \(dates.count) days x \(perDay) marks at \(rate) marks/s (\(String(format: "%.1f", dayDuration)) s a day)")
            let clock = ContinuousClock()
            let begin = clock.now
            var sent = 0
            var inFlight: [Task<Int, Never>] = []
            for (dayIndex, day) in dates.enumerated() {
                for session in ["AM", "PM"] {
                    var i = 0
                    while i < upns.count {
                        let due = begin + .milliseconds(Int64(Double(sent) / Double(rate) * 1000))
                        if clock.now < due { try await Task.sleep(until: due) }
                        let now = Date()
                        var batch: [KafkaProducerMessage] = []
                        for j in i..<min(i + perTick, upns.count) {
                            let upn = upns[j]
                            let probe = j % 50 == 0
                            let absent = probe && dayIndex >= (j / 50) % cohorts
                            let code = absent ? "O" : session == "AM" ? "/" : "\\"
                            let laestab = schools[j % schools.count]
                            let record = MarkRecord(
                                source: "urn:laestab:\(laestab)", eventId: UUID().uuidString.lowercased(), upn: upn, laestab: laestab,
                                date: StoreDate(daysSince1970: day.daysSinceEpoch), session: session, code: code,
                                category: absent ? "unauthorised" : "present", eventTime: now)
                            batch.append(
                                KafkaProducerMessage(
                                    topic: topic, key: Array(upn.utf8),
                                    value: Bench.Attendance.json(record, pupil: dayIndex == 0 ? "{\"yearGroup\":8}" : nil)))
                        }
                        sent += batch.count
                        i += perTick
                        let chunk = batch
                        inFlight.append(
                            Task { await producer.send(chunk).filter { if case .failure = $0 { true } else { false } }.count })
                        if inFlight.count > 20 {
                            let done = inFlight.removeFirst()
                            _ = await done.value
                        }
                    }
                }
                if dayIndex % 5 == 4 { progress("latency: \(dayIndex + 1) days sent, \(latencies.count) notifications so far") }
            }
            for t in inFlight { _ = await t.value }
            let sendSeconds = Self.seconds(begin.duration(to: clock.now))
            let expected = upns.indices.filter { $0 % 50 == 0 && ($0 / 50) % cohorts + threshold <= dates.count }.count
            progress("latency: sent \(sent) marks in \(String(format: "%.1f", sendSeconds)) s; waiting for \(expected) cme-risk notifications")
            let deadline = clock.now + .seconds(120)
            while latencies.count < expected && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            let peak = peakRSS(worker) ?? 0
            watching.cancel()
            _ = await watching.value
            try? await consumer.close()
            await producer.close()
            await stop(worker)
            await stop(relay)
            let caughtUp = try await committed(db, group: "bench-\(runId)-latency-attendance", topic: topic)
            let s = latencies.sorted
            guard !s.isEmpty else {
                line("latency: no notifications arrived (worker committed \(caughtUp) of \(sent) marks)")
                return
            }
            func pct(_ p: Double) -> Double { s[min(s.count - 1, Int(Double(s.count - 1) * p))] }
            line(
                String(
                    format:
                        "latency at %.0f marks/s offered (%d marks in %.1f s): %d notifications, p50 %.3f s, p99 %.3f s, max %.3f s; worker peak RSS %.0f MiB",
                    Double(sent) / sendSeconds, sent, sendSeconds, s.count, pct(0.5), pct(0.99), s.last ?? 0, peak))
        }
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto) / 1e18
    }
}

/// Latency samples, added from the watcher task.
final class LatencySamples: @unchecked Sendable {
    private var samples: [Double] = []
    private let lock = NSLock()
    func add(_ s: Double) { lock.withLock { samples.append(s) } }
    var count: Int { lock.withLock { samples.count } }
    var sorted: [Double] { lock.withLock { samples.sorted() } }
}
