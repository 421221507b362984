import ArgumentParser
import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorStore
import FrontDoorWorkers
import Logging

/// `frontdoor report`: the outcomes of the Kent committee report's section 5 for an academic
/// year, computed in PostgreSQL (events.md "Report"; docs/report.md says how each figure is counted).
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the outcomes report for an academic year (attendance, exclusions, CME, enforcement).",
        discussion: """
            Reads FRONTDOOR_DATABASE_URL and FRONTDOOR_CONFIG_DIR (schools, districts and the LA calendar).
            The configured register of schools is written to the database first, so phases and districts
            are current. Examples:
              frontdoor report --academic-year 2026/27 --format json
              frontdoor report --academic-year 2026/27 --compare 2025/26 --format html --output outcomes.html
              frontdoor report --academic-year 2026/27 --district Ashford --format table
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, table, html
    }

    @Option(name: .customLong("academic-year"), help: "The academic year, e.g. 2026/27.")
    var academicYear: String

    @Option(help: "A previous academic year to compare with, e.g. 2025/26.")
    var compare: String?

    @Option(help: "Restrict every figure to one district (as in Config/districts.csv, or 'unassigned').")
    var district: String?

    @Option(help: "json | table | html")
    var format: Format = .json

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        guard AcademicYear(academicYear) != nil else { throw ValidationError("--academic-year must look like 2026/27") }
        if let compare, AcademicYear(compare) == nil { throw ValidationError("--compare must look like 2025/26") }
    }

    func run() async throws {
        let logger = LogSetup.logger("frontdoor.report", atLeast: .error)
        let settings = WorkerSettings()
        let config: LoadedConfig
        do {
            config = try ConfigLoader(directory: settings.configDirectory).load()
        } catch {
            Self.fail("configuration: \(error)")
        }
        // A county's year takes tens of seconds per pass: not the workers' 30 s statement timeout.
        let database = FrontDoorDatabase(
            configuration: try settings.databaseConfiguration().withStatementTimeoutDefault(.seconds(30 * 60)),
            logger: logger)
        let reporter = OutcomesReporter(config: config, database: database)
        guard let year = AcademicYear(academicYear) else { Self.fail("--academic-year must look like 2026/27") }
        let previous = compare.flatMap { AcademicYear($0) }
        let district = self.district

        let report: OutcomesReport
        do {
            report = try await withThrowingTaskGroup(of: OutcomesReport?.self) { group in
                group.addTask {
                    await database.run()
                    return nil
                }
                defer { group.cancelAll() }
                try await reporter.syncSchools()
                if let district {
                    let known = try await reporter.districts()
                    guard known.contains(district) else {
                        throw ValidationError("unknown district \(district); known: \(known.joined(separator: ", "))")
                    }
                }
                return try await reporter.report(year: year, compare: previous, district: district)
            }
        } catch let error as ValidationError {
            throw error
        } catch let error as StoreError {
            Self.fail(error.isUnavailable ? "cannot reach PostgreSQL: \(error)" : "report failed: \(error)")
        }

        let text: String
        switch format {
        case .json: text = report.jsonText()
        case .table: text = report.tableText()
        case .html: text = report.htmlPage(generatedOn: LondonDate.of(Date()).description)
        }
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                Self.fail("cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("frontdoor report: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
