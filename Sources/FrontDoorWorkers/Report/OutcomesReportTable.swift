import Foundation
import FrontDoorStore

/// `frontdoor report --format table`: the same figures laid out for a person at a terminal.
extension OutcomesReport {
    public func tableText() -> String {
        var lines: [String] = []
        let scope = current.district.map { "district \($0)" } ?? "all districts"
        var title = "Outcomes report, academic year \(current.academicYear) (\(scope))"
        if let previous { title += ", compared with \(previous.academicYear)" }
        lines.append(title)
        lines.append(String(repeating: "=", count: title.count))

        let years = [current.academicYear] + (previous.map { [$0.academicYear] } ?? [])
        let header = pad("", 36) + years.map { lpad($0, 12) }.joined() + (change == nil ? "" : lpad("change", 12))
        func section(_ name: String) {
            lines.append("")
            lines.append(pad(name.uppercased(), 36) + String(header.dropFirst(36)))
        }
        func pctRow(_ label: String, _ path: KeyPath<DistrictOutcomes, Decimal?>) {
            var row = "  " + pad(label, 34) + lpad(Self.pct(current.figures[keyPath: path]), 12)
            if let previous { row += lpad(Self.pct(previous.figures[keyPath: path]), 12) }
            if let change { row += lpad(change.figures[keyPath: path].map { ReportFormat.signedOneDecimal($0) + " pp" } ?? "–", 12) }
            lines.append(row)
        }
        func countRow(_ label: String, _ path: KeyPath<DistrictOutcomes, Int>) {
            var row = "  " + pad(label, 34) + lpad(ReportFormat.grouped(current.figures[keyPath: path]), 12)
            if let previous { row += lpad(ReportFormat.grouped(previous.figures[keyPath: path]), 12) }
            if let change { row += lpad(ReportFormat.signed(change.figures[keyPath: path]), 12) }
            lines.append(row)
        }

        section("Attendance")
        pctRow("Primary schools", \.attendance.primaryPct)
        pctRow("Secondary schools", \.attendance.secondaryPct)
        pctRow("All schools", \.attendance.overallPct)
        pctRow("Persistent absence (enrolments)", \.attendance.persistentAbsenceRatePct)
        pctRow("Severe absence (enrolments)", \.attendance.severeAbsenceRatePct)
        countRow("Sessions recorded", \.attendance.sessionsRecorded)

        section("Exclusions")
        countRow("Permanent exclusions", \.exclusions.permanent)
        countRow("Suspensions", \.exclusions.suspensions)
        pctRow("Permanent: eligible for FSM", \.exclusions.permanentFsmPct)
        pctRow("Permanent: SEN support", \.exclusions.permanentSenSupportPct)
        pctRow("Permanent: EHC plan", \.exclusions.permanentEhcpPct)

        section("Children missing education")
        countRow("CME referrals received", \.cme.reported)
        countRow("Resolved", \.cme.resolved)
        pctRow("Found within two weeks", \.cme.foundWithinTwoWeeksPct)

        section("Enforcement")
        countRow("Penalty-notice reviews raised", \.enforcementReviews)

        section("Admissions and deletions")
        countRow("Admissions to a school roll", \.rollChanges.admissions)
        countRow("Deletions from a school roll", \.rollChanges.deletions)
        let grounds = ReportFormat.orderedCodes(
            current.rollChanges.deletionsByGround.merging(previous?.rollChanges.deletionsByGround.mapValues { _ in 0 } ?? [:]) { a, _ in a },
            by: current.rollChanges.deletionsByGround)
        for ground in grounds {
            var row = "    " + pad(ReportFormat.groundName(ground), 32)
            row += lpad(ReportFormat.grouped(current.rollChanges.deletionsByGround[ground] ?? 0), 12)
            if let previous { row += lpad(ReportFormat.grouped(previous.rollChanges.deletionsByGround[ground] ?? 0), 12) }
            if let change { row += lpad(ReportFormat.signed(change.figures.rollChanges.deletionsByGround[ground] ?? 0), 12) }
            lines.append(row)
        }
        countRow("Deletions raising CME risk", \.rollChanges.cmeRisk)
        countRow("Deletions for home education", \.rollChanges.electiveHomeEducation)
        countRow("  needing the LA's consent", \.rollChanges.eheConsentRequired)

        section("Absence by reason (sessions)")
        let codes = ReportFormat.orderedCodes(
            current.absenceReasons.merging(previous?.absenceReasons.mapValues { _ in 0 } ?? [:]) { a, _ in a },
            by: current.absenceReasons)
        if codes.isEmpty { lines.append("  (no absence recorded)") }
        for code in codes {
            var row = "  " + pad("\(code)  \(ReportFormat.codeName(code))", 34)
            row += lpad(ReportFormat.grouped(current.absenceReasons[code] ?? 0), 12)
            if let previous { row += lpad(ReportFormat.grouped(previous.absenceReasons[code] ?? 0), 12) }
            if let change { row += lpad(ReportFormat.signed(change.figures.absenceReasons[code] ?? 0), 12) }
            lines.append(row)
        }

        lines.append("")
        lines.append("BY DISTRICT, \(current.academicYear)" + (change == nil ? "" : " (change against \(previous!.academicYear) below each row)"))
        let columns: [(String, Int)] = [
            ("District", 24), ("Primary", 9), ("Second.", 9), ("Overall", 9), ("PA", 8), ("Severe", 8), ("Perm.", 7),
            ("Susp.", 7), ("CME", 6), ("Found", 8), ("Reviews", 8),
        ]
        lines.append("  " + columns.enumerated().map { i, c in i == 0 ? pad(c.0, c.1) : lpad(c.0, c.1) }.joined())
        for (name, d) in ReportFormat.orderedDistricts(current.byDistrict) {
            lines.append("  " + districtRow(name, d, columns: columns, percent: Self.pct, count: ReportFormat.grouped))
            if let c = change?.byDistrict[name] {
                lines.append(
                    "  "
                        + districtRow(
                            "", c, columns: columns, percent: { $0.map(ReportFormat.signedOneDecimal) ?? "–" },
                            count: ReportFormat.signed))
            }
        }
        lines.append("")
        lines.append("ADMISSIONS AND DELETIONS BY DISTRICT, \(current.academicYear)")
        let rollColumns: [(String, Int)] = [
            ("District", 24), ("Admitted", 10), ("Deleted", 10), ("CME risk", 10), ("Home ed.", 10), ("Consent", 10),
        ]
        lines.append("  " + rollColumns.enumerated().map { i, c in i == 0 ? pad(c.0, c.1) : lpad(c.0, c.1) }.joined())
        for (name, d) in ReportFormat.orderedDistricts(current.byDistrict) {
            lines.append("  " + rollRow(name, d.rollChanges, columns: rollColumns, count: ReportFormat.grouped))
            if let c = change?.byDistrict[name] {
                lines.append("  " + rollRow("", c.rollChanges, columns: rollColumns, count: ReportFormat.signed))
            }
        }
        lines.append("")
        lines.append("Percentages are rounded half up to one decimal place; changes are percentage points (pp) or counts.")
        lines.append("PA and severe absence: share of pupil enrolments with absence of 10% / 50% or more of possible sessions.")
        lines.append(
            "CME risk: deletions on the 20-days or not-known ground with no CME case open. Consent: home education from a special school or on a child-protection plan."
        )
        return lines.joined(separator: "\n") + "\n"
    }

    private func districtRow(
        _ name: String, _ d: DistrictOutcomes, columns: [(String, Int)], percent: (Decimal?) -> String, count: (Int) -> String
    ) -> String {
        let cells = [
            percent(d.attendance.primaryPct), percent(d.attendance.secondaryPct), percent(d.attendance.overallPct),
            percent(d.attendance.persistentAbsenceRatePct), percent(d.attendance.severeAbsenceRatePct),
            count(d.exclusions.permanent), count(d.exclusions.suspensions), count(d.cme.reported),
            percent(d.cme.foundWithinTwoWeeksPct), count(d.enforcementReviews),
        ]
        return pad(name, columns[0].1) + zip(cells, columns.dropFirst()).map { lpad($0, $1.1) }.joined()
    }

    private func rollRow(_ name: String, _ r: RollChangeOutcomes, columns: [(String, Int)], count: (Int) -> String) -> String {
        let cells = [count(r.admissions), count(r.deletions), count(r.cmeRisk), count(r.electiveHomeEducation), count(r.eheConsentRequired)]
        return pad(name, columns[0].1) + zip(cells, columns.dropFirst()).map { lpad($0, $1.1) }.joined()
    }

    static func pct(_ v: Decimal?) -> String { v.map { ReportFormat.oneDecimal($0) + "%" } ?? "–" }
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? String(s.prefix(width - 1)) + " " : s + String(repeating: " ", count: width - s.count)
}

private func lpad(_ s: String, _ width: Int) -> String {
    s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
}
