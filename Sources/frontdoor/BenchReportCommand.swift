import ArgumentParser
import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorStore
import FrontDoorWorkers
import Logging

extension Bench {
    /// `frontdoor bench report`: generates a county-sized academic year directly in PostgreSQL
    /// (set-based SQL, no Kafka) in a scratch database, then times the outcomes report on it.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a Kent-sized year in a scratch database and time the outcomes report on it.",
            discussion: """
                Kent: about 230,000 pupils in about 600 schools, about 190 school days, two sessions a day: \
                some 87 million marks. Scale down with --pupils and --days.

                The scratch database is created on the server of FRONTDOOR_DATABASE_URL (the role needs \
                CREATEDB) and dropped afterwards unless --keep is given; --reuse NAME times the report on a \
                database kept from an earlier run. FRONTDOOR_CONFIG_DIR supplies the calendar.
                """)

        @Option(help: "Pupils (Kent: about 230,000).")
        var pupils: Int = 230_000

        @Option(help: "Schools (Kent: about 600).")
        var schools: Int = 600

        @Option(help: "School days with marks, from the start of the academic year (a year has about 190).")
        var days: Int = 190

        @Option(name: .customLong("academic-year"), help: "The academic year to generate, e.g. 2026/27.")
        var academicYear: String = "2026/27"

        @Option(help: "How many times to run the report.")
        var runs: Int = 3

        @Flag(help: "Keep the scratch database (its name is printed).")
        var keep = false

        @Option(help: "Time the report on this existing database instead of generating one.")
        var reuse: String?

        @Flag(help: "Print the marks statement's plan with timings (EXPLAIN ANALYZE, BUFFERS).")
        var explain = false

        func validate() throws {
            guard pupils > 0, schools > 0, days > 0, runs > 0 else {
                throw ValidationError("--pupils, --schools, --days and --runs must be positive")
            }
            guard schools <= 1000 else { throw ValidationError("--schools is at most 1000") }
            guard AcademicYear(academicYear) != nil else { throw ValidationError("--academic-year must look like 2026/27") }
        }

        func run() async throws {
            let logger = LogSetup.logger("frontdoor.bench", atLeast: .error)
            let settings = WorkerSettings()
            let config = try ConfigLoader(directory: settings.configDirectory).load()
            guard let year = AcademicYear(academicYear) else { throw ValidationError("--academic-year must look like 2026/27") }
            // Loading a year of marks and the report's passes take minutes, not the workers' 30 s.
            var base = try settings.databaseConfiguration().withStatementTimeoutDefault(.seconds(30 * 60))
            base.maximumConnections = 2
            let clock = ContinuousClock()

            let name = reuse ?? "frontdoor_bench_report_\(UInt32.random(in: 0...UInt32.max))"
            if reuse == nil {
                try await Self.administer(base, "CREATE DATABASE \(name)", logger: logger)
                Self.say("scratch database \(name)")
            }
            let database = FrontDoorDatabase(configuration: base.with(database: name), logger: logger)
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await database.run() }
                    defer { group.cancelAll() }
                    if reuse == nil {
                        try await database.migrate()
                        var schoolDays: [StoreDate] = []
                        var d = year.firstDay
                        while d <= year.lastDay && schoolDays.count < days {
                            if config.calendar.isSchoolDay(d) { schoolDays.append(StoreDate(year: d.year, month: d.month, day: d.day)!) }
                            d = d.adding(days: 1)
                        }
                        if schoolDays.count < days { Self.say("note: \(year) has \(schoolDays.count) LA school days; using them all") }
                        let data = ReportBenchmarkData(
                            pupils: pupils, schools: schools, days: schoolDays, academicYear: year.description)
                        Self.say("generating \(pupils) pupils × \(schoolDays.count) days × 2 sessions in \(schools) schools")
                        let start = clock.now
                        let rows = try await data.load(into: database) { Self.say("  " + $0) }
                        Self.say("loaded \(rows) attendance_marks rows in \(Self.seconds(start.duration(to: clock.now))) s")
                    }
                    let size = try await database.withTransaction(readOnly: true) { tx in try await tx.reportBenchSizes() }
                    Self.say("sizes: " + size.map { "\($0.0) \($0.1)" }.joined(separator: ", "))

                    let reporter = OutcomesReporter(config: config, database: database)
                    var last: OutcomesReport?
                    var timings: [Double] = []
                    for run in 1...runs {
                        let start = clock.now
                        last = try await reporter.report(year: year)
                        let seconds = Self.seconds(start.duration(to: clock.now))
                        timings.append(seconds)
                        Self.say("report run \(run): \(String(format: "%.2f", seconds)) s")
                    }
                    let sorted = timings.sorted()
                    Self.say(
                        "report: best \(String(format: "%.2f", sorted.first!)) s, median \(String(format: "%.2f", sorted[sorted.count / 2])) s over \(runs) runs"
                    )
                    if explain {
                        let query = reporter.query(year, district: nil)
                        let plan = try await database.withTransaction(readOnly: true) { tx in
                            try await tx.prepareForReport()
                            return try await tx.explainOutcomeMarks(query)
                        }
                        Self.say(plan.joined(separator: "\n"))
                    }
                    if let last { Self.say("\n" + last.tableText()) }
                }
            } catch {
                if reuse == nil && !keep { try? await Self.administer(base, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)", logger: logger) }
                throw error
            }
            if reuse == nil && !keep {
                try await Self.administer(base, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)", logger: logger)
            } else {
                Self.say("kept database \(name)")
            }
        }

        static func administer(_ configuration: DatabaseConfiguration, _ sql: String, logger: Logger) async throws {
            let database = FrontDoorDatabase(configuration: configuration, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await database.run() }
                defer { group.cancelAll() }
                try await database.executeOutsideTransaction(sql)
            }
        }

        /// Writes a line at once (unbuffered), so progress shows as it happens also when redirected.
        static func say(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }

        static func seconds(_ d: Duration) -> Double {
            let (s, atto) = d.components
            return Double(s) + Double(atto) / 1e18
        }
    }
}
