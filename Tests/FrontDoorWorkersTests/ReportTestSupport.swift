import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Logging
import PostgresNIO
import Testing

// Support for the outcomes report tests (Report*.swift). Every name here starts with `Report`
// so it never collides with the other worker tests' helpers in this target.

enum ReportTestEnvironment {
    static let environment = ProcessInfo.processInfo.environment
    static let databaseURL =
        environment["FRONTDOOR_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        ?? "postgres://frontdoor:frontdoor@127.0.0.1:55432/frontdoor"
    static let brokers = (environment["FRONTDOOR_KAFKA_BROKERS"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1:59092")
        .split(separator: ",").map(String.init)

    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url = url.deletingLastPathComponent()
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    static let configDirectory = packageRoot.appendingPathComponent("Config", isDirectory: true)

    static let config: LoadedConfig = {
        do {
            var config = try ConfigLoader(directory: configDirectory).load()
            // The scenario's oracle (ReportScenario) implements kent-2016 only: its
            // enforcementReviews figure is kent-2016's count. The shipped schedule judges
            // 2025/26 and later sessions by england-2024, so pin kent-2016 for every date here.
            config.rules.ruleset = .kent2016
            return config
        } catch { fatalError("Config/ does not load: \(error)") }
    }()

    /// Where screenshots and pages go (git-ignored).
    static let artifacts: URL = {
        let url = packageRoot.appendingPathComponent(".build/test-artifacts", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static func unique() -> String { UUID().uuidString.prefix(8).lowercased() }

    static var logger: Logger {
        var logger = Logger(label: "frontdoor.report.tests")
        logger.logLevel = environment["FRONTDOOR_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }

    /// The `frontdoor` executable next to the test bundle (the build directory `swift test` uses).
    static func binary() -> URL? {
        if let path = environment["FRONTDOOR_BINARY"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var candidates: [URL] = []
        for argument in CommandLine.arguments where argument.contains(".xctest") {
            var url = URL(fileURLWithPath: argument)
            while url.path != "/" && !url.lastPathComponent.hasSuffix(".xctest") { url = url.deletingLastPathComponent() }
            candidates.append(url.deletingLastPathComponent().appendingPathComponent("frontdoor"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("frontdoor"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("frontdoor"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

struct ReportTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A fresh, migrated database for one test, dropped afterwards.
enum ReportTestDatabase {
    static func with<R: Sendable>(_ body: (FrontDoorDatabase, String) async throws -> R) async throws -> R {
        let name = "fd_report_test_\(ReportTestEnvironment.unique())"
        let server = ReportTestEnvironment.databaseURL
        try await administer(server, "CREATE DATABASE \(name)")
        guard var c = URLComponents(string: server) else { throw ReportTestError("bad database URL") }
        c.path = "/" + name
        let url = c.string!
        do {
            let result = try await running(url) { db in
                try await db.migrate()
                return try await body(db, url)
            }
            try await administer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            try? await administer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    static func running<R: Sendable>(_ url: String, _ body: (FrontDoorDatabase) async throws -> R) async throws -> R {
        let db = try FrontDoorDatabase(url: url, logger: ReportTestEnvironment.logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await db.run() }
            defer { group.cancelAll() }
            return try await body(db)
        }
    }

    static func administer(_ url: String, _ sql: String) async throws {
        try await running(url) { db in _ = try await db.client.query(PostgresQuery(unsafeSQL: sql)).collect() }
    }

    static func count(_ db: FrontDoorDatabase, _ sql: String) async throws -> Int {
        for try await n in try await db.client.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) { return n }
        return 0
    }
}

/// One event for the broker: a structured-mode CloudEvent.
struct ReportTestEvent: Sendable {
    enum Stream: Sendable { case attendance, exclusions, referrals }
    var stream: Stream
    var key: String
    var bytes: [UInt8]

    init(stream: Stream, key: String, id: String, source: String, type: String, time: Date, subject: String?, data: [String: Any]) {
        var e: [String: Any] = [
            "specversion": "1.0", "id": id, "source": source, "type": type, "time": RFC3339.format(time), "data": data,
        ]
        if let subject { e["subject"] = subject }
        self.stream = stream
        self.key = key
        self.bytes = Array(try! JSONSerialization.data(withJSONObject: e, options: [.sortedKeys]))
    }
}

/// The real broker and the real workers (attendance, exclusions, referrals) in this process, on
/// topics and consumer groups no other test uses.
struct ReportPipeline {
    let settings: WorkerSettings

    init() {
        var s = WorkerSettings(environment: [:])
        s.brokers = ReportTestEnvironment.brokers
        let u = ReportTestEnvironment.unique()
        s.topics.attendance = "frontdoor.test.report.\(u).attendance"
        s.topics.exclusions = "frontdoor.test.report.\(u).exclusions"
        s.topics.referrals = "frontdoor.test.report.\(u).referrals"
        s.topics.decisions = "frontdoor.test.report.\(u).decisions"
        s.topics.rolls = "frontdoor.test.report.\(u).rolls"
        s.topics.enforcement = "frontdoor.test.report.\(u).enforcement"
        s.topics.earlyHelpPattern = "frontdoor.test.report.\(u).early-help.{unit}"
        s.groupPrefix = "frontdoor-test-report-\(u)"
        s.sessionTimeout = .seconds(6)
        s.batchWait = .milliseconds(100)
        s.configDirectory = ReportTestEnvironment.configDirectory
        self.settings = s
    }

    func topic(_ stream: ReportTestEvent.Stream) -> String {
        switch stream {
        case .attendance: settings.topics.attendance
        case .exclusions: settings.topics.exclusions
        case .referrals: settings.topics.referrals
        }
    }

    func createTopics() async throws {
        let admin = try KafkaAdmin(
            configuration: KafkaAdminConfiguration(bootstrapServers: settings.brokers), logger: ReportTestEnvironment.logger)
        let t = settings.topics
        for topic in t.inputs { try await admin.createTopic(topic, partitions: 3, replicationFactor: -1) }
        for topic in t.inputs.map(t.dlq(of:)) { try await admin.createTopic(topic, partitions: 1, replicationFactor: -1) }
        for topic in t.inputs {
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(15)
            while try await admin.partitionCount(of: topic) != 3 {
                guard clock.now < deadline else { throw ReportTestError("topic \(topic) not ready") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func deleteTopics() async {
        guard
            let admin = try? KafkaAdmin(
                configuration: KafkaAdminConfiguration(bootstrapServers: settings.brokers), logger: ReportTestEnvironment.logger)
        else { return }
        let t = settings.topics
        for topic in t.inputs + t.inputs.map(t.dlq(of:)) { try? await admin.deleteTopic(topic) }
    }

    /// Sends the events in order (one key's events stay in order: same partition).
    func produce(_ events: [ReportTestEvent]) async throws {
        var c = KafkaProducerConfiguration(bootstrapServers: settings.brokers)
        c.clientID = "frontdoor-report-tests"
        c.messageTimeout = .seconds(30)
        let producer = try KafkaProducer(configuration: c, logger: ReportTestEnvironment.logger)
        let messages = events.map { KafkaProducerMessage(topic: topic($0.stream), key: Array($0.key.utf8), value: $0.bytes) }
        let results = await producer.send(messages)
        await producer.close()
        let failed = results.filter { if case .failure = $0 { return true } else { return false } }.count
        if failed > 0 { throw ReportTestError("\(failed) of \(events.count) events were not acknowledged") }
    }

    /// Runs the three workers against `database` until `processed_events` holds `expected` rows.
    func process(expected: Int, database: FrontDoorDatabase, timeout: Duration = .seconds(240)) async throws {
        let config = ReportTestEnvironment.config
        let logger = ReportTestEnvironment.logger
        let producer = try KafkaProducer(configuration: settings.producerConfiguration(clientID: "report-tests-dlq"), logger: logger)
        let workers = [
            BatchWorker(
                handler: AttendanceHandler(config: config, settings: settings), database: database, dlqProducer: producer,
                settings: settings, logger: logger),
            BatchWorker(
                handler: ExclusionHandler(config: config, settings: settings), database: database, dlqProducer: producer,
                settings: settings, logger: logger),
            BatchWorker(
                handler: ReferralHandler(config: config, settings: settings), database: database, dlqProducer: producer,
                settings: settings, logger: logger),
        ]
        defer { Task { await producer.close() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in workers { group.addTask { try? await w.run() } }
            defer { group.cancelAll() }
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            while true {
                let done = try await ReportTestDatabase.count(database, "SELECT count(*)::int8 FROM processed_events")
                let rejected = try await ReportTestDatabase.count(database, "SELECT count(*)::int8 FROM rejected_events")
                if rejected > 0 {
                    var codes: [String] = []
                    for try await c in try await database.client.query("SELECT error_code FROM rejected_events").decode(String.self) {
                        codes.append(c)
                    }
                    throw ReportTestError("the workers rejected \(rejected) events: \(codes)")
                }
                if done >= expected { break }
                guard clock.now < deadline else { throw ReportTestError("only \(done) of \(expected) events processed in time") }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}

/// Opens a page in headless Chromium: measures every SVG and records script errors (through a
/// probe script added to a copy of the page), takes a full-page screenshot of the page itself,
/// and scans Chromium's log for console errors and failed loads.
enum ReportBrowser {
    struct SVGBox: Decodable {
        var id: String
        var w: Double
        var h: Double
        var rects: Int
        var texts: Int
        var zeroRects: Int
    }

    struct Check: Decodable {
        var svgs: [SVGBox]
        var errors: [String]
        var width: Double
        var height: Double
    }

    struct Result {
        var check: Check
        var screenshot: URL
        var consoleErrors: [String]
    }

    static var chromium: String? {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        where FileManager.default.isExecutableFile(atPath: path) { return path }
        return nil
    }

    static let probeHead = """
        <script>window.__errors=[];window.addEventListener('error',function(e){window.__errors.push(String(e.message||e.type))},true);\
        (function(){var ce=console.error;console.error=function(){window.__errors.push(Array.prototype.join.call(arguments,' '));ce.apply(console,arguments)}})();</script>
        """

    static let probeBody = """
        <script>window.addEventListener('load',function(){var out=[];document.querySelectorAll('svg').forEach(function(s){\
        var b=s.getBoundingClientRect();var z=0;s.querySelectorAll('rect').forEach(function(r){var rb=r.getBoundingClientRect();if(rb.width<=0||rb.height<=0)z++});\
        out.push({id:s.id||'',w:b.width,h:b.height,rects:s.querySelectorAll('rect').length,texts:s.querySelectorAll('text').length,zeroRects:z})});\
        var p=document.createElement('pre');p.id='render-check';p.textContent=JSON.stringify({svgs:out,errors:window.__errors,\
        width:document.documentElement.scrollWidth,height:document.documentElement.scrollHeight});document.body.appendChild(p)});</script>
        """

    static func open(html: String, name: String, width: Int = 1280) throws -> Result {
        guard let chromium else { throw ReportTestError("chromium is not installed (scripts/setup.sh installs it)") }
        let dir = ReportTestEnvironment.artifacts
        let page = dir.appendingPathComponent("\(name).html")
        let probe = dir.appendingPathComponent("\(name).probe.html")
        try Data(html.utf8).write(to: page)
        var probed = html
        guard let head = probed.range(of: "<head>"), probed.contains("</body>") else { throw ReportTestError("not an HTML page") }
        probed.insert(contentsOf: probeHead, at: head.upperBound)
        probed = probed.replacingOccurrences(of: "</body>", with: probeBody + "</body>")
        try Data(probed.utf8).write(to: probe)

        let dom = try run(chromium, ["--dump-dom", "--window-size=\(width),1000", probe.absoluteString], name: name)
        guard let start = dom.out.range(of: "<pre id=\"render-check\">"),
            let end = dom.out.range(of: "</pre>", range: start.upperBound..<dom.out.endIndex)
        else { throw ReportTestError("the page's load handler never ran:\n\(dom.err.suffix(2000))") }
        let json = String(dom.out[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
        let check = try JSONDecoder().decode(Check.self, from: Data(json.utf8))

        let png = dir.appendingPathComponent("\(name).png")
        try? FileManager.default.removeItem(at: png)
        let height = Int(check.height.rounded(.up)) + 8
        let shot = try run(
            chromium, ["--screenshot=\(png.path)", "--hide-scrollbars", "--window-size=\(width),\(height)", page.absoluteString], name: name)
        guard FileManager.default.fileExists(atPath: png.path) else { throw ReportTestError("no screenshot:\n\(shot.err.suffix(2000))") }

        let log = dom.err + "\n" + shot.err
        let consoleErrors = log.split(separator: "\n").map(String.init).filter { line in
            line.contains("Uncaught") || line.contains(":CONSOLE") && (line.contains("rror") || line.contains("Failed"))
                || line.contains("net::ERR_") || line.contains("Failed to load resource")
        }
        return Result(check: check, screenshot: png, consoleErrors: consoleErrors)
    }

    /// Runs Chromium headless with the network closed (any fetch fails and is logged).
    static func run(_ chromium: String, _ arguments: [String], name: String) throws -> (out: String, err: String) {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("frontdoor-report-chromium-\(ReportTestEnvironment.unique())")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments =
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
            ] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while it runs so a full pipe never blocks it.
        let outData = ReportPipeReader(out.fileHandleForReading)
        let errData = ReportPipeReader(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning {
            process.terminate()
            throw ReportTestError("chromium did not finish within 120 s")
        }
        process.waitUntilExit()
        return (outData.text(), errData.text())
    }
}

/// Drains a pipe on a background thread.
final class ReportPipeReader: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let d = handle.readDataToEndOfFile()
            lock.lock()
            data = d
            lock.unlock()
            done.signal()
        }
    }

    func text() -> String {
        done.wait()
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
