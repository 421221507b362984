import Foundation
import Testing

@testable import FrontDoorStore

/// `frontdoor purge` keeps what the outcomes report of the kept years reads (docs/operations.md
/// "Information governance"), also for the figures of issue 9: an exclusion starting in August
/// counts in the exclusion year that follows (docs/report.md "Exclusions"), and a child deleted
/// for elective home education needs consent by the child-protection plan held on `pupils`
/// ("Admissions and deletions").
@Suite("Outcomes after a purge: exclusion years and child-protection plans", .timeLimit(.minutes(2)))
struct OutcomesAfterPurgeTests {
    static let ashford = "8862001"

    static func query(_ startYear: Int) -> OutcomesQuery {
        OutcomesQuery(
            academicYear: "\(startYear)/\((startYear + 1) % 100)", firstDay: day("\(startYear)-09-01"),
            lastDay: day("\(startYear + 1)-08-31"), cmeDeadlines: [])
    }

    static func suspension(_ id: String, _ upn: String, _ start: String, column year: String) -> ExclusionRecord {
        ExclusionRecord(
            laestab: ashford, exclusionId: id, upn: upn, category: "suspension", startDate: day(start), sessions: 2, reason: "PP",
            academicYear: year, eventTime: .at(0), source: "urn:laestab:\(ashford)", eventId: "x-\(id)")
    }

    @Test("purging exclusions before 2019/20 keeps one from 5 August 2019; a pupil whose only facts are roll changes keeps its plan")
    func purgeKeepsTheReportedFigures() async throws {
        let child = "A886200126001"  // on a child-protection plan, deleted for home education, nothing else held
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                _ = try await tx.upsertSchools([SchoolRecord(laestab: Self.ashford, name: "Ashford Primary", phase: "primary", district: "Ashford")])
                _ = try await tx.upsertPupils([PupilRecord(upn: child, fsm: false, sen: "N", cla: false, characteristicsTime: .at(0))])
                try await tx.updateChildProtectionPlans([(upn: child, cpp: true, time: .at(1))])
                _ = try await tx.insertRollChanges([
                    RollChangeRecord(
                        source: "urn:laestab:\(Self.ashford)", eventId: "d1", upn: child, laestab: Self.ashford, change: "deleted",
                        effectiveDate: day("2027-01-11"), ground: "elective-home-education", eventTime: .at(2))
                ])
                // The 1 September year of the start date is the column; the exclusion year is the report's.
                _ = try await tx.issueExclusion(Self.suspension("july", "A886200126002", "2019-07-15", column: "2018/19"))
                _ = try await tx.issueExclusion(Self.suspension("august", "A886200126003", "2019-08-05", column: "2018/19"))
            }
            func figures() async throws -> (consent: Int, suspensions2019: Int, suspensions2018: Int) {
                try await database.withTransaction(readOnly: true) { tx throws in
                    try await tx.prepareForReport()
                    return (
                        try await tx.outcomes(Self.query(2026)).rollChanges.eheConsentRequired,
                        try await tx.outcomes(Self.query(2019)).exclusions.suspensions,
                        try await tx.outcomes(Self.query(2018)).exclusions.suspensions
                    )
                }
            }
            let before = try await figures()
            #expect(before.consent == 1 && before.suspensions2019 == 1 && before.suspensions2018 == 1)

            let never = Date(timeIntervalSince1970: 0)
            let steps = try await database.withTransaction { tx throws in
                try await tx.purge(
                    PurgeCutoffs(
                        marksBefore: day("2025-09-01"), aggregatesBeforeYear: "2019/20", closedBefore: day("2000-01-01"),
                        outboxSentBefore: never, processedBefore: never, rejectedBefore: never, auditBefore: never),
                    apply: true)
            }
            // The July suspension (2018/19 by either count) goes, the August one stays, and so does the child.
            #expect(steps.first { $0.table == "exclusions" }?.rows == 1)
            #expect(steps.first { $0.table == "pupils" }?.rows == 0)
            let after = try await figures()
            #expect(after.consent == 1, "the child-protection plan of a pupil held only in roll_changes is kept")
            #expect(after.suspensions2019 == 1, "the August suspension of the oldest kept exclusion year is kept")
            #expect(after.suspensions2018 == 0)
        }
    }
}
