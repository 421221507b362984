import Foundation
import FrontDoorDomain
import FrontDoorStore
import FrontDoorWorkers
import Testing

/// The outcomes report (events.md "Report") over data the real workers recorded: a seeded
/// two-year scenario goes through the real broker into the attendance, exclusion and referral
/// workers and a fresh database, and every figure of the report must equal the truth tallied
/// independently from the generated events (`ReportScenario`).
@Suite("Outcomes report")
struct ReportOutcomesTests {
    @Test("every figure of two years and their comparison matches the truth known by construction")
    func figuresMatchTheTruth() async throws {
        let scenario = ReportScenario.make()
        try #require(scenario.amendedPupilsStayAboveThreshold(), "the scenario's amended pupils must stay above 90%")
        let y25 = AcademicYear(startYear: 2025)
        let y26 = AcademicYear(startYear: 2026)
        // The scenario exercises what it claims to.
        #expect(scenario.reviews().count == 5, "2 reviews in 2025/26 and 3 in 2026/27 (none for the looked-after pupil)")
        #expect(scenario.exclusions.contains { $0.rescinded && $0.permanent })

        let pipeline = ReportPipeline()
        try await pipeline.createTopics()
        defer { Task { await pipeline.deleteTopics() } }
        try await ReportTestDatabase.with { database, url in
            try await pipeline.produce(scenario.events)
            try await pipeline.process(expected: scenario.events.count, database: database)

            let reporter = OutcomesReporter(config: ReportTestEnvironment.config, database: database)
            try await reporter.syncSchools()
            let districts = try await reporter.districts()
            #expect(districts.count == 13 && districts.last == "unassigned")
            let truth25 = scenario.expected(y25, districts: districts)
            let truth26 = scenario.expected(y26, districts: districts)

            // Sanity of the truth itself: the cases the scenario was built for.
            #expect(truth26.exclusions.permanent == 16)
            #expect(truth26.exclusions.permanentEhcpPct == Decimal(string: "6.3"))
            #expect(truth26.exclusions.permanentFsmPct == Decimal(string: "31.3"))
            #expect(truth25.exclusions.permanentFsmPct == Decimal(string: "70.0"))
            #expect(truth25.cme.foundWithinTwoWeeksPct == Decimal(string: "75.0"))
            #expect(truth26.cme.reported == 6 && truth26.cme.resolved == 5)

            // 2026/27 compared with 2025/26.
            let report = try await reporter.report(year: y26, compare: y25)
            Self.compare(report.current, truth26)
            let previous = try #require(report.previous)
            Self.compare(previous, truth25)
            let change = try #require(report.change)
            Self.compare(change.figures, ReportScenario.difference(truth26.figures, truth25.figures), "change")
            #expect(Set(change.byDistrict.keys) == Set(districts))
            for d in districts {
                Self.compare(
                    change.byDistrict[d]!, ReportScenario.difference(truth26.byDistrict[d]!, truth25.byDistrict[d]!), "change \(d)")
            }

            // One year alone.
            let alone = try await reporter.report(year: y25)
            Self.compare(alone.current, truth25)
            #expect(alone.previous == nil && alone.change == nil)

            // One district, and the schools off the register.
            for d in ["Ashford", "unassigned"] {
                let one = try await reporter.report(year: y26, compare: y25, district: d)
                #expect(one.current.district == d)
                #expect(Array(one.current.byDistrict.keys) == [d])
                Self.compare(one.current.figures, truth26.byDistrict[d]!, d)
                Self.compare(one.current.byDistrict[d]!, truth26.byDistrict[d]!, d)
                Self.compare(one.previous!.figures, truth25.byDistrict[d]!, "\(d) 2025/26")
                Self.compare(one.change!.figures, ReportScenario.difference(truth26.byDistrict[d]!, truth25.byDistrict[d]!), "\(d) change")
            }

            // The JSON form reads back as the same report, with every percentage to one decimal.
            let json = report.jsonText()
            let decoded = try JSONDecoder().decode(OutcomesReport.self, from: Data(json.utf8))
            #expect(decoded == report)
            for key in ["primaryPct", "overallPct", "permanentEhcpPct", "foundWithinTwoWeeksPct"] {
                #expect(json.contains("\"\(key)\": "))
            }
            let pctValues = try Regex(#""[A-Za-z]+Pct": (-?[0-9.]+|null)"#)
            for match in json.matches(of: pctValues) {
                let value = String(json[match.range]).split(separator: " ").last!
                #expect(value == "null" || value.range(of: #"^-?[0-9]+\.[0-9]$"#, options: .regularExpression) != nil, "\(value)")
            }
            #expect(json.contains("\"permanentEhcpPct\": 6.3"))

            // The table form names the figures.
            let table = report.tableText()
            #expect(table.contains("Primary schools"))
            #expect(table.contains(ReportFormat.oneDecimal(truth26.attendance.primaryPct!) + "%"))

            // The page opens in a real browser with every chart drawn.
            let page = try ReportBrowser.open(html: report.htmlPage(generatedOn: "test"), name: "report-workers")
            #expect(page.check.svgs.count >= 8)
            #expect(page.check.svgs.allSatisfy { $0.w > 0 && $0.h > 0 })
            #expect(page.check.errors.isEmpty, "\(page.check.errors)")
            #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")

            // The command itself, as an operator runs it, prints the same report.
            if let binary = ReportTestEnvironment.binary() {
                let output = try Self.runReportCommand(
                    binary, ["--academic-year", "2026/27", "--compare", "2025/26", "--format", "json"], databaseURL: url)
                let printed = try JSONDecoder().decode(OutcomesReport.self, from: Data(output.utf8))
                #expect(printed == report)
            } else {
                Issue.record("no frontdoor binary next to the tests; the command was not run")
            }
        }
    }

    static func runReportCommand(_ binary: URL, _ arguments: [String], databaseURL: String) throws -> String {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["report"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["FRONTDOOR_DATABASE_URL"] = databaseURL
        env["FRONTDOOR_CONFIG_DIR"] = ReportTestEnvironment.configDirectory.path
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outReader = ReportPipeReader(out.fileHandleForReading)
        let errReader = ReportPipeReader(err.fileHandleForReading)
        process.waitUntilExit()
        let text = outReader.text()
        guard process.terminationStatus == 0 else {
            throw ReportTestError("frontdoor report exited \(process.terminationStatus): \(errReader.text())")
        }
        return text
    }

    /// Field-by-field comparison with labels, so a failure says which figure of which district.
    static func compare(_ actual: YearOutcomes, _ expected: YearOutcomes, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.academicYear == expected.academicYear, sourceLocation: sourceLocation)
        compare(actual.figures, expected.figures, "\(expected.academicYear) county", sourceLocation: sourceLocation)
        #expect(Set(actual.byDistrict.keys) == Set(expected.byDistrict.keys), sourceLocation: sourceLocation)
        for (name, e) in expected.byDistrict {
            guard let a = actual.byDistrict[name] else { continue }
            compare(a, e, "\(expected.academicYear) \(name)", sourceLocation: sourceLocation)
        }
    }

    static func compare(_ a: DistrictOutcomes, _ e: DistrictOutcomes, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        func check<T: Equatable>(_ x: T, _ y: T, _ field: String) {
            #expect(x == y, "\(label) \(field): report \(String(describing: x)), truth \(String(describing: y))", sourceLocation: sourceLocation)
        }
        check(a.attendance.primaryPct, e.attendance.primaryPct, "primaryPct")
        check(a.attendance.secondaryPct, e.attendance.secondaryPct, "secondaryPct")
        check(a.attendance.overallPct, e.attendance.overallPct, "overallPct")
        check(a.attendance.persistentAbsenceRatePct, e.attendance.persistentAbsenceRatePct, "persistentAbsenceRatePct")
        check(a.attendance.severeAbsenceRatePct, e.attendance.severeAbsenceRatePct, "severeAbsenceRatePct")
        check(a.attendance.sessionsRecorded, e.attendance.sessionsRecorded, "sessionsRecorded")
        check(a.absenceReasons.filter { $0.value != 0 }, e.absenceReasons.filter { $0.value != 0 }, "absenceReasons")
        check(a.exclusions, e.exclusions, "exclusions")
        check(a.cme, e.cme, "cme")
        check(a.enforcementReviews, e.enforcementReviews, "enforcementReviews")
        check(a.rollChanges, e.rollChanges, "rollChanges")
    }
}
