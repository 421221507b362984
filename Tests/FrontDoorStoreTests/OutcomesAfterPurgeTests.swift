import Foundation
import PostgresNIO
import Testing

@testable import FrontDoorStore

/// `frontdoor purge` keeps what the outcomes report of the kept years reads (docs/operations.md
/// "Information governance"), also for the figures of issue 9: an exclusion starting in August
/// counts in the exclusion year that follows (docs/report.md "Exclusions"), and a child deleted
/// for elective home education needs consent by the child-protection plan held on `pupils`
/// ("Admissions and deletions"); roll changes before the first kept year go, and a kept
/// deletion's cme-risk figure still sees the CME case that covered it.
@Suite("Outcomes after a purge: exclusion years, child-protection plans, roll changes", .timeLimit(.minutes(2)))
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
                        marksBefore: day("2025-09-01"), aggregatesBeforeYear: "2019/20", rollChangesBefore: day("2019-09-01"),
                        closedBefore: day("2000-01-01"),
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

    /// A roll change recorded at 10:00 UTC on its effective date.
    static func change(_ id: String, _ upn: String, _ change: String, _ date: String, ground: String? = nil) -> RollChangeRecord {
        let d = day(date)
        return RollChangeRecord(
            source: "urn:laestab:\(ashford)", eventId: id, upn: upn, laestab: ashford, change: change, effectiveDate: d,
            ground: ground, eventTime: Date(timeIntervalSince1970: Double(d.daysSince1970) * 86_400 + 10 * 3600))
    }

    static func cmeCase(_ id: String, _ upn: String, opened: String, closed: String) -> CaseRecord {
        CaseRecord(
            caseId: id, kind: "cme", reason: "cme", upn: upn, childKey: "key-\(id)", laestab: ashford, district: "Ashford",
            unitId: "ehu-ashford", priority: "high", status: "closed", openedOn: day(opened), closedOn: day(closed),
            detailsJSON: Data(#"{"note": "kept until the purge"}"#.utf8))
    }

    @Test("roll changes before the first kept year go; a kept deletion's CME case keeps its UPN, so cme-risk does not move")
    func purgeDeletesOldRollChangesAndKeepsCMERisk() async throws {
        let covered = "A886200126011"  // deleted, whereabouts not known, while a CME case was open: no cme-risk
        let uncovered = "A886200126012"  // deleted after 20 days' absence, no CME case: cme-risk
        let old = "A886200126013"  // admitted in 2018/19 only
        let other = "A886200126014"  // a CME case that covers no deletion
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                _ = try await tx.upsertSchools([SchoolRecord(laestab: Self.ashford, name: "Ashford Primary", phase: "primary", district: "Ashford")])
                _ = try await tx.insertRollChanges([
                    Self.change("a-old", old, "admitted", "2018-09-03"),
                    Self.change("a-kept", covered, "admitted", "2019-09-02"),
                    Self.change("d-covered", covered, "deleted", "2020-10-05", ground: "not-known"),
                    Self.change("d-uncovered", uncovered, "deleted", "2020-10-06", ground: "continuous-absence-20-days"),
                ])
                _ = try await tx.createCase(Self.cmeCase("cme-covering", covered, opened: "2020-09-21", closed: "2020-11-02"))
                _ = try await tx.createCase(Self.cmeCase("cme-other", other, opened: "2020-05-04", closed: "2020-06-01"))
            }
            func figures() async throws -> (admissions2018: Int, admissions2019: Int, cmeRisk2020: Int, deletions2020: Int) {
                try await database.withTransaction(readOnly: true) { tx throws in
                    try await tx.prepareForReport()
                    let y2020 = try await tx.outcomes(Self.query(2020)).rollChanges
                    return (
                        try await tx.outcomes(Self.query(2018)).rollChanges.admissions,
                        try await tx.outcomes(Self.query(2019)).rollChanges.admissions, y2020.cmeRisk, y2020.deletions
                    )
                }
            }
            let before = try await figures()
            #expect(before.admissions2018 == 1 && before.admissions2019 == 1 && before.cmeRisk2020 == 1 && before.deletions2020 == 2)

            let never = Date(timeIntervalSince1970: 0)
            let steps = try await database.withTransaction { tx throws in
                try await tx.purge(
                    PurgeCutoffs(
                        marksBefore: day("2025-09-01"), aggregatesBeforeYear: "2019/20", rollChangesBefore: day("2019-09-01"),
                        closedBefore: day("2025-01-01"), outboxSentBefore: never, processedBefore: never,
                        rejectedBefore: never, auditBefore: never),
                    apply: true)
            }
            #expect(steps.first { $0.table == "roll_changes" }?.rows == 1, "the 2018/19 admission goes: \(steps)")
            #expect(steps.first { $0.table == "cases" }?.rows == 2, "both closed cases are anonymised: \(steps)")
            let after = try await figures()
            #expect(after.admissions2018 == 0)
            #expect(after.admissions2019 == 1 && after.deletions2020 == 2, "the kept years' roll changes stay")
            #expect(after.cmeRisk2020 == 1, "the CME case that covered the kept deletion still covers it")

            var cases: [String] = []
            for try await (id, upn, key, details) in try await database.client.query(
                "SELECT case_id, coalesce(upn, '-'), coalesce(child_key, '-'), details::text FROM cases ORDER BY case_id"
            ).decode((String, String, String, String).self) {
                cases.append("\(id) \(upn) \(key) \(details)")
            }
            #expect(cases == ["cme-covering \(covered) - {}", "cme-other - - {}"], "only the UPN a kept figure reads stays: \(cases)")
        }
    }
}
