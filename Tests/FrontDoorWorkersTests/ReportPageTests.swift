import Foundation
import FrontDoorStore
import FrontDoorWorkers
import Testing

/// The report's page and printed forms, on a county-sized report shaped like the seed's section 5
/// (primary attendance 96%, secondary close to 95%, permanent exclusions down from 109 to 64 and
/// 704 fewer suspensions, FSM share of permanent exclusions from 70% to 46.9%, EHCP from 9.2% to
/// 6.3%, 892 CME referrals of which 87% found within two weeks).
@Suite("Outcomes report page")
struct ReportPageTests {
    static func kent() -> OutcomesReport {
        let districts = [
            "Ashford", "Canterbury", "Dartford", "Dover", "Folkestone and Hythe", "Gravesham", "Maidstone", "Sevenoaks", "Swale",
            "Thanet", "Tonbridge and Malling", "Tunbridge Wells",
        ]
        func d(_ s: String) -> Decimal { Decimal(string: s)! }
        func year(
            _ name: String, permanent: [Int], suspensions: [Int], primary: Decimal, secondary: Decimal, overall: Decimal,
            pa: Decimal, severe: Decimal, fsm: Decimal, sen: Decimal, ehcp: Decimal, cme: Int, resolved: Int, found: Decimal,
            reviews: Int, reasons: [String: Int]
        ) -> YearOutcomes {
            var by: [String: DistrictOutcomes] = [:]
            for (i, name) in districts.enumerated() {
                let shift = Decimal(i % 5) / 10 - Decimal(2) / 10
                by[name] = DistrictOutcomes(
                    attendance: AttendanceOutcomes(
                        primaryPct: primary + shift, secondaryPct: secondary - shift, overallPct: overall + shift,
                        persistentAbsenceRatePct: pa - shift * 3, severeAbsenceRatePct: severe, sessionsRecorded: 7_000_000 + i * 113_000),
                    absenceReasons: reasons.mapValues { $0 / 12 },
                    exclusions: ExclusionOutcomes(
                        permanent: permanent[i], suspensions: suspensions[i], permanentFsmPct: permanent[i] == 0 ? nil : fsm,
                        permanentSenSupportPct: permanent[i] == 0 ? nil : sen, permanentEhcpPct: permanent[i] == 0 ? nil : ehcp),
                    cme: CMEOutcomes(reported: cme / 12 + i, resolved: resolved / 12 + i, foundWithinTwoWeeksPct: found - shift * 5),
                    enforcementReviews: reviews / 12)
            }
            by["unassigned"] = DistrictOutcomes(
                attendance: AttendanceOutcomes(
                    overallPct: d("93.1"), persistentAbsenceRatePct: d("24.0"), severeAbsenceRatePct: d("3.1"),
                    sessionsRecorded: 41_220),
                absenceReasons: ["I": 1_200, "O": 300], cme: CMEOutcomes(reported: 12, resolved: 10, foundWithinTwoWeeksPct: d("66.7")))
            let figures = DistrictOutcomes(
                attendance: AttendanceOutcomes(
                    primaryPct: primary, secondaryPct: secondary, overallPct: overall, persistentAbsenceRatePct: pa,
                    severeAbsenceRatePct: severe, sessionsRecorded: 87_412_306),
                absenceReasons: reasons,
                exclusions: ExclusionOutcomes(
                    permanent: permanent.reduce(0, +), suspensions: suspensions.reduce(0, +), permanentFsmPct: fsm,
                    permanentSenSupportPct: sen, permanentEhcpPct: ehcp),
                cme: CMEOutcomes(reported: cme, resolved: resolved, foundWithinTwoWeeksPct: found),
                enforcementReviews: reviews)
            return YearOutcomes(academicYear: name, figures: figures, byDistrict: by)
        }
        let previous = year(
            "2015/16", permanent: [14, 9, 8, 11, 10, 7, 10, 5, 12, 13, 6, 4],
            suspensions: [620, 431, 402, 515, 498, 377, 540, 260, 583, 640, 430, 420],
            primary: d("95.6"), secondary: d("94.3"), overall: d("95.0"), pa: d("11.9"), severe: d("1.4"), fsm: d("70.0"), sen: d("21.1"),
            ehcp: d("9.2"), cme: 801, resolved: 730, found: d("82.4"), reviews: 2_310,
            reasons: ["I": 3_102_000, "M": 402_100, "O": 389_000, "G": 301_200, "C": 210_400, "N": 98_000, "E": 61_300, "R": 40_100])
        let current = year(
            "2016/17", permanent: [5, 6, 5, 7, 6, 4, 6, 3, 7, 8, 4, 3], suspensions: [455, 402, 371, 476, 440, 339, 505, 246, 535, 601, 414, 228],
            primary: d("96.0"), secondary: d("94.9"), overall: d("95.5"), pa: d("10.6"), severe: d("1.2"), fsm: d("46.9"), sen: d("18.8"),
            ehcp: d("6.3"), cme: 892, resolved: 861, found: d("87.0"), reviews: 1_984,
            reasons: ["I": 2_986_500, "M": 415_900, "O": 342_800, "G": 244_000, "C": 183_200, "N": 71_000, "E": 52_900, "R": 38_700])
        return OutcomesReport(current: current, previous: previous)
    }

    @Test("the page is self-contained, every chart renders in Chromium with non-zero size and no script or console error")
    func pageRendersInABrowser() throws {
        let report = Self.kent()
        let html = report.htmlPage(generatedOn: "2017-06-01")
        // Self-contained: nothing is fetched, nothing is scripted.
        for forbidden in ["http:", "https:", "<script", "<link", "@import", "url(", "<img", "<iframe", "src="] {
            #expect(!html.contains(forbidden), "the page contains \(forbidden)")
        }
        // The numbers are written beside the charts.
        for text in ["96.0%", "94.9%", "46.9%", "70.0%", "6.3%", "9.2%", "87.0%", "892"] {
            #expect(html.contains(text), "\(text) missing")
        }
        #expect(html.contains("45 fewer"))

        let result = try ReportBrowser.open(html: html, name: "report")
        let ids = Set(result.check.svgs.map(\.id))
        for chart in [
            "chart-attendance", "chart-absence-rates", "chart-permanent-by-district", "chart-suspensions-by-district",
            "chart-permanent-shares", "donut-cme-previous", "donut-cme-current", "chart-absence-reasons",
        ] {
            #expect(ids.contains(chart), "\(chart) not drawn")
        }
        for svg in result.check.svgs {
            #expect(svg.w > 100 && svg.h > 50, "\(svg.id) is \(svg.w)×\(svg.h)")
            #expect(svg.texts > 3, "\(svg.id) has no numbers")
        }
        // Bars: one per district and year in each district chart, all with an area.
        let permanent = try #require(result.check.svgs.first { $0.id == "chart-permanent-by-district" })
        #expect(permanent.rects >= 13 * 2)
        #expect(result.check.svgs.filter { $0.id.hasPrefix("chart-") }.allSatisfy { $0.zeroRects <= 2 })
        #expect(result.check.errors.isEmpty, "\(result.check.errors)")
        #expect(result.consoleErrors.isEmpty, "\(result.consoleErrors)")
        #expect(result.check.width <= 1280 + 1, "the page scrolls sideways: \(result.check.width)")
        let png = try Data(contentsOf: result.screenshot)
        #expect(png.count > 20_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }

    @Test("JSON: keys in the contract's order, percentages with one decimal, null where nothing to divide by")
    func jsonForm() throws {
        let report = Self.kent()
        let json = report.jsonText()
        let order = [
            "\"academicYear\"", "\"attendance\"", "\"absenceReasons\"", "\"exclusions\"", "\"cme\"", "\"enforcementReviews\"",
            "\"byDistrict\"", "\"previous\"", "\"change\"",
        ]
        let positions = order.map { json.range(of: $0)!.lowerBound }
        #expect(positions == positions.sorted())
        #expect(json.contains("\"primaryPct\": 96.0,"))
        #expect(json.contains("\"permanent\": -45,"))
        #expect(json.contains("\"permanentFsmPct\": -23.1,"))
        #expect(json.contains("\"primaryPct\": null,"))
        #expect(try JSONDecoder().decode(OutcomesReport.self, from: Data(json.utf8)) == report)
        // Illness first: most sessions first.
        let reasons = try #require(json.range(of: "\"absenceReasons\": {\n    \"I\": 2986500"))
        #expect(!reasons.isEmpty)
    }

    /// ``kent()`` with a year of admissions and deletions (issue 9 item 3), county-wide and in Ashford.
    static func kentWithRollChanges() -> OutcomesReport {
        let k = kent()
        var current = k.current
        var previous = k.previous!
        current.figures.rollChanges = RollChangeOutcomes(
            admissions: 31_204, deletions: 29_877,
            deletionsByGround: [
                "transferred": 24_310, "moved-away": 3_120, "elective-home-education": 1_460, "not-known": 150,
                "continuous-absence-20-days": 90, "other": 747,
            ],
            cmeRisk: 212, electiveHomeEducation: 1_460, eheConsentRequired: 97)
        previous.figures.rollChanges = RollChangeOutcomes(
            admissions: 30_011, deletions: 28_002, deletionsByGround: ["transferred": 24_002, "moved-away": 3_000, "elective-home-education": 1_000],
            cmeRisk: 0, electiveHomeEducation: 1_000, eheConsentRequired: 0)
        current.byDistrict["Ashford"]?.rollChanges = RollChangeOutcomes(
            admissions: 2_601, deletions: 2_489, deletionsByGround: ["transferred": 2_400, "elective-home-education": 89],
            cmeRisk: 0, electiveHomeEducation: 89, eheConsentRequired: 6)
        return OutcomesReport(current: current, previous: previous)
    }

    @Test("roll changes (issue 9 item 3): JSON, table and page show admissions, deletions by ground, CME risk and EHE consent")
    func rollChangesInEveryForm() throws {
        let report = Self.kentWithRollChanges()
        #expect(report.change?.figures.rollChanges.deletions == 1_875)
        #expect(report.change?.figures.rollChanges.deletionsByGround["not-known"] == 150)
        #expect(report.change?.byDistrict["Ashford"]?.rollChanges.eheConsentRequired == 6)

        // JSON: after enforcementReviews, before byDistrict; grounds most deletions first; reads back.
        let json = report.jsonText()
        let order = ["\"enforcementReviews\": 1984", "\"rollChanges\"", "\"byDistrict\""].map { json.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())
        #expect(json.contains("\"deletionsByGround\": {\n      \"transferred\": 24310,\n      \"moved-away\": 3120,"))
        #expect(json.contains("\"cmeRisk\": 212,\n    \"electiveHomeEducation\": 1460,\n    \"eheConsentRequired\": 97\n"))
        #expect(json.contains("\"eheConsentRequired\": 6"))
        #expect(try JSONDecoder().decode(OutcomesReport.self, from: Data(json.utf8)) == report)
        // A report printed before rollChanges existed still reads back, with zeros there.
        // (Each rollChanges member ends at the closing brace indented as its key.)
        let member = try NSRegularExpression(pattern: #",\n( *)"rollChanges": \{.*?\n\1\}"#, options: [.dotMatchesLineSeparators])
        let whole = NSRange(json.startIndex..., in: json)
        #expect(member.numberOfMatches(in: json, range: whole) == 3 * 14)
        let old = member.stringByReplacingMatches(in: json, range: whole, withTemplate: "")
        #expect(!old.contains("rollChanges"))
        #expect(try JSONDecoder().decode(OutcomesReport.self, from: Data(old.utf8)) == Self.kent())

        // Table: both years and the change, a row per ground, the district table.
        let table = report.tableText()
        func line(_ label: String) -> String { table.split(separator: "\n").first { $0.contains(label) }.map(String.init) ?? "" }
        let deletions = line("Deletions from a school roll")
        #expect(deletions.contains("29,877") && deletions.contains("28,002") && deletions.contains("+1875"))
        let unknown = line("Whereabouts not known")
        #expect(unknown.contains("150") && unknown.contains("+150"))
        #expect(line("Deletions raising CME risk").contains("212"))
        #expect(line("needing the LA's consent").contains("97"))
        #expect(table.contains("ADMISSIONS AND DELETIONS BY DISTRICT, 2016/17"))
        #expect(table.split(separator: "\n").contains { $0.hasPrefix("  Ashford") && $0.contains("2,601") && $0.contains("2,489") })

        // Page: the section with its numbers, a chart of deletions by ground that renders.
        let html = report.htmlPage(generatedOn: "2017-06-01")
        for text in ["Admissions and deletions", "31,204", "29,877", "212", "1,460", "97", "1,875 more", "Whereabouts not known"] {
            #expect(html.contains(text), "\(text) missing")
        }
        for forbidden in ["http:", "https:", "<script", "<link", "url(", "src="] {
            #expect(!html.contains(forbidden), "the page contains \(forbidden)")
        }
        let result = try ReportBrowser.open(html: html, name: "report-roll-changes")
        let chart = try #require(result.check.svgs.first { $0.id == "chart-deletions-by-ground" })
        #expect(chart.w > 100 && chart.h > 50 && chart.texts > 6)
        #expect(chart.rects >= 6 * 2)
        #expect(result.check.errors.isEmpty, "\(result.check.errors)")
        #expect(result.consoleErrors.isEmpty, "\(result.consoleErrors)")
        #expect(result.check.width <= 1280 + 1, "the page scrolls sideways: \(result.check.width)")
        // Without roll changes the section says so in zeros and draws no chart.
        let plain = Self.kent().htmlPage()
        #expect(plain.contains("Schools returned 0 admissions and 0 deletions"))
        #expect(!plain.contains("chart-deletions-by-ground"))
    }

    @Test("formatting: one decimal, signs, grouping")
    func formatting() {
        #expect(ReportFormat.oneDecimal(96) == "96.0")
        #expect(ReportFormat.oneDecimal(Decimal(string: "-0.8")!) == "-0.8")
        #expect(ReportFormat.oneDecimal(Decimal(string: "0.0")!) == "0.0")
        #expect(ReportFormat.signedOneDecimal(Decimal(string: "0.4")!) == "+0.4")
        #expect(ReportFormat.signed(-3) == "-3")
        #expect(ReportFormat.grouped(87_412_306) == "87,412,306")
        #expect(ReportFormat.orderedDistricts(["unassigned", "Thanet", "Ashford"]) == ["Ashford", "Thanet", "unassigned"])
    }

    @Test("table: both years and the change side by side")
    func tableForm() {
        let table = Self.kent().tableText()
        #expect(table.contains("2016/17"))
        #expect(table.contains("2015/16"))
        let line = table.split(separator: "\n").first { $0.contains("Permanent exclusions") }.map(String.init) ?? ""
        #expect(line.contains("64") && line.contains("109") && line.contains("-45"))
        let fsm = table.split(separator: "\n").first { $0.contains("eligible for FSM") }.map(String.init) ?? ""
        #expect(fsm.contains("46.9%") && fsm.contains("70.0%") && fsm.contains("-23.1 pp"))
    }
}
