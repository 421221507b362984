import Foundation
import Testing

@testable import FrontDoorStore

/// The outcomes report of a year (or a district) with nothing recorded (events.md "Report";
/// docs/report.md: counts 0, percentages `null`, every district listed). The marks statement's
/// county row used to carry a NULL session count there, and the report failed to decode it.
@Suite("Outcomes: a year with nothing recorded", .timeLimit(.minutes(2)))
struct OutcomesEmptyYearTests {
    @Test("a year with nothing recorded reports zeros and nulls in every district, county-wide and for one district")
    func emptyYear() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                _ = try await tx.upsertSchools([
                    SchoolRecord(laestab: "8862001", name: "Ashford Primary", phase: "primary", district: "Ashford")
                ])
            }
            for district in [nil, "Ashford", "unassigned"] {
                let q = OutcomesQuery(
                    academicYear: "2026/27", firstDay: day("2026-09-01"), lastDay: day("2027-08-31"), district: district,
                    cmeDeadlines: [])
                let year = try await database.withTransaction(readOnly: true) { tx throws in
                    try await tx.prepareForReport()
                    return try await tx.outcomes(q)
                }
                #expect(year.figures == DistrictOutcomes(), "\(district ?? "county")")
                #expect(Set(year.byDistrict.keys) == Set(district.map { [$0] } ?? ["Ashford", "unassigned"]))
                #expect(year.byDistrict.values.allSatisfy { $0 == DistrictOutcomes() })
            }
        }
    }
}
