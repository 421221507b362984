import Foundation
import Testing

@testable import FrontDoorStore

/// The report's exclusion figures count by the exclusion year (issue 9 item 5; domain.md
/// "Exclusion rules": "for exclusion counts the academic year starts on the first school day
/// after 31 July"; docs/report.md "Exclusions"): an exclusion starting in August belongs to the
/// year that follows, as it does for the 45-day cap, though the `academic_year` column (the
/// 1 September year of its start date) names the one before.
@Suite("Outcomes: exclusions by the exclusion year (from 1 August)", .timeLimit(.minutes(2)))
struct OutcomesExclusionYearTests {
    static func exclusion(_ id: String, _ start: String, permanent: Bool = false, fsm: Bool = false) -> ExclusionRecord {
        let d = day(start)
        let (y, m, _) = d.components
        // As the exclusion worker stores it: the 1 September year of the start date.
        let year = m >= 9 ? "\(y)/\((y + 1) % 100)" : "\(y - 1)/\(y % 100)"
        return ExclusionRecord(
            laestab: "8862001", exclusionId: id, upn: "A88620012600\(id.suffix(1))", category: permanent ? "permanent" : "suspension",
            startDate: d, sessions: permanent ? nil : 2, reason: "PP", academicYear: year, eventTime: .at(0),
            source: "urn:laestab:8862001", eventId: "x-\(id)", pupilFsm: fsm, pupilSen: "N")
    }

    static func query(_ startYear: Int) -> OutcomesQuery {
        OutcomesQuery(
            academicYear: "\(startYear)/\((startYear + 1) % 100)", firstDay: day("\(startYear)-09-01"),
            lastDay: day("\(startYear + 1)-08-31"), cmeDeadlines: [])
    }

    @Test("an exclusion starting on 3 August counts in the year that follows; 31 July in the year before")
    func augustBelongsToTheNextYear() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                for x in [
                    Self.exclusion("s1", "2026-07-31"),  // 2025/26
                    Self.exclusion("s2", "2026-08-03"),  // 2026/27 (academic_year column 2025/26)
                    Self.exclusion("p3", "2026-08-04", permanent: true, fsm: true),  // 2026/27
                    Self.exclusion("p4", "2026-10-05", permanent: true),  // 2026/27
                    Self.exclusion("s5", "2027-07-30"),  // 2026/27
                    Self.exclusion("s6", "2027-08-02"),  // 2027/28 (academic_year column 2026/27)
                ] {
                    _ = try await tx.issueExclusion(x)
                }
            }
            func exclusions(_ startYear: Int) async throws -> ExclusionOutcomes {
                try await database.withTransaction(readOnly: true) { tx throws in
                    try await tx.prepareForReport()
                    return try await tx.outcomes(Self.query(startYear)).exclusions
                }
            }
            #expect(try await exclusions(2025) == ExclusionOutcomes(permanent: 0, suspensions: 1))
            let y26 = try await exclusions(2026)
            #expect(y26.suspensions == 2 && y26.permanent == 2)
            // The shares follow: the August permanent exclusion (FSM) is one of 2026/27's two.
            #expect(y26.permanentFsmPct == Decimal(string: "50.0"))
            #expect(try await exclusions(2027) == ExclusionOutcomes(permanent: 0, suspensions: 1))
        }
    }
}
