import Foundation
import Testing

@testable import FrontDoorStore

/// The report's persistent and severe absence rates cover pupils aged 5-15 at the start of the
/// year, as DfE's do (domain.md, "Attendance rules"; docs/report.md); a pupil whose date of
/// birth is not known stays counted.
@Suite("Outcomes: PA and severe absence rates for ages 5-15 (DfE's method)", .timeLimit(.minutes(2)))
struct OutcomesAgeRangeTests {
    /// Ten sessions from Monday 14 September 2026, the first `absent` of them illness.
    static func register(_ upn: String, absent: Int) -> [MarkRecord] {
        (0..<10).map { i in
            let date = day("2026-09-14").adding(days: i / 2)
            let code = i < absent ? "I" : "/"
            return MarkRecord(
                source: "urn:laestab:8862001", eventId: "\(upn)-\(i)", upn: upn, laestab: "8862001", date: date,
                session: i % 2 == 0 ? "AM" : "PM", code: code, category: i < absent ? "authorised" : "present",
                minutesLate: nil, eventTime: .at(Double(i)))
        }
    }

    @Test("ages 5-15 on 31 August before the year: a 4-year-old and a 16-year-old are left out of both rates, an unknown age stays in")
    func agesFiveToFifteen() async throws {
        // (UPN, date of birth, absent sessions of 10); 5 of 10 is persistent and severe absence.
        let pupils: [(String, String?, Int)] = [
            ("A886200126001", "2010-09-01", 5),  // 15 on 31 August 2026: counted
            ("B886200126002", "2010-08-31", 5),  // 16 on 31 August 2026: left out
            ("C886200126003", "2021-09-01", 5),  // 4 on 31 August 2026: left out
            ("D886200126004", nil, 0),  // no date of birth: counted
            ("E886200126005", "2021-08-31", 0),  // 5 on 31 August 2026: counted
        ]
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                _ = try await tx.insertMarks(pupils.flatMap { Self.register($0.0, absent: $0.2) })
                _ = try await tx.upsertPupils(
                    pupils.map {
                        PupilRecord(
                            upn: $0.0, fsm: false, sen: "N", cla: false, dateOfBirth: $0.1.map(day), characteristicsTime: .at(0))
                    })
            }
            let q = OutcomesQuery(academicYear: "2026/27", firstDay: day("2026-09-01"), lastDay: day("2027-08-31"), cmeDeadlines: [])
            let year = try await database.withTransaction(readOnly: true) { tx throws in try await tx.outcomes(q) }
            let a = year.figures.attendance
            // 1 of the 3 pupils aged 5-15 (or of unknown age); all five would give 3 of 5 (60.0).
            #expect(a.persistentAbsenceRatePct == Decimal(string: "33.3"))
            #expect(a.severeAbsenceRatePct == Decimal(string: "33.3"))
            // Their sessions still count everywhere else: 35 of 50 attended.
            #expect(a.overallPct == Decimal(string: "70.0"))
            #expect(a.sessionsRecorded == 50)
        }
    }
}
