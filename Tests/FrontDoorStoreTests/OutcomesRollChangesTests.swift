import Foundation
import Testing

@testable import FrontDoorStore

/// The report's admissions and deletions (issue 9 item 3: "deletions become facts the report
/// counts"; docs/report.md "Admissions and deletions"): `roll_changes` counted per academic year
/// and district, by deletion ground, with the deletions that raise `cme-risk` (ground
/// `continuous-absence-20-days` or `not-known` and no CME case open: domain.md "Roll changes")
/// and those for elective home education that need the LA's consent (a special school or a
/// child-protection plan).
@Suite("Outcomes: admissions and deletions (roll changes)", .timeLimit(.minutes(2)))
struct OutcomesRollChangesTests {
    static let ashford = "8862001"  // primary, Ashford
    static let doverSpecial = "8867001"  // special, Dover
    static let offRegister = "8869999"  // not on the register: unassigned

    /// A roll change recorded at 10:00 UTC on its effective date (so it is recorded that day).
    static func change(
        _ id: String, _ upn: String, _ laestab: String, _ change: String, _ date: String, ground: String? = nil,
        hour: Double = 10, source: String? = nil
    ) -> RollChangeRecord {
        let d = day(date)
        return RollChangeRecord(
            source: source ?? "urn:laestab:\(laestab)", eventId: id, upn: upn, laestab: laestab, change: change,
            effectiveDate: d, ground: ground,
            eventTime: Date(timeIntervalSince1970: Double(d.daysSince1970) * 86_400 + hour * 3600))
    }

    static func cmeCase(_ id: String, _ upn: String, opened: String, closed: String?) -> CaseRecord {
        CaseRecord(
            caseId: id, kind: "cme", reason: "cme", upn: upn, laestab: ashford, district: "Ashford", unitId: "ehu-ashford",
            priority: "high", status: closed == nil ? "open" : "closed", openedOn: day(opened), closedOn: closed.map(day))
    }

    static func query(_ startYear: Int, district: String? = nil) -> OutcomesQuery {
        OutcomesQuery(
            academicYear: "\(startYear)/\((startYear + 1) % 100)", firstDay: day("\(startYear)-09-01"),
            lastDay: day("\(startYear + 1)-08-31"), district: district, cmeDeadlines: [])
    }

    @Test("admissions, deletions by ground, cme-risk and EHE consent per year and district; re-sent changes count once")
    func countsRollChanges() async throws {
        // UPNs: 13 characters, upper case.
        let upn = { (n: Int) in "A88620012600\(n)" }
        let changes: [RollChangeRecord] = [
            // 1: admitted; the MIS sends it again under another id: one admission.
            Self.change("a1", upn(1), Self.ashford, "admitted", "2026-09-03"),
            Self.change("a1-again", upn(1), Self.ashford, "admitted", "2026-09-03", hour: 14),
            // 2: deleted, whereabouts not known, no CME case: cme-risk; then re-admitted.
            Self.change("d2", upn(2), Self.ashford, "deleted", "2026-10-05", ground: "not-known"),
            Self.change("a2", upn(2), Self.ashford, "admitted", "2026-10-12"),
            // 3: 20 days' continuous absence while a CME case is open (closed that very day): no cme-risk.
            Self.change("d3", upn(3), Self.ashford, "deleted", "2026-11-02", ground: "continuous-absence-20-days"),
            // 4: not known, the CME case closed the day before: cme-risk.
            Self.change("d4", upn(4), Self.ashford, "deleted", "2026-11-03", ground: "not-known"),
            // 5: home education from a special school: consent needed.
            Self.change("d5", upn(5), Self.doverSpecial, "deleted", "2027-01-11", ground: "elective-home-education"),
            // 6: home education of a child on a child-protection plan: consent needed.
            Self.change("d6", upn(6), Self.ashford, "deleted", "2027-01-12", ground: "elective-home-education"),
            // 7: home education, no plan stated: no consent needed.
            Self.change("d7", upn(7), Self.ashford, "deleted", "2027-01-13", ground: "elective-home-education"),
            // 8: transferred from a school off the register, admitted at Ashford the next day.
            Self.change("d8", upn(8), Self.offRegister, "deleted", "2027-03-01", ground: "transferred"),
            Self.change("a8", upn(8), Self.ashford, "admitted", "2027-03-02"),
            // 9: a deletion sent as `other`, then corrected to `moved-away` under another id: one deletion, moved-away.
            Self.change("d9", upn(9), Self.ashford, "deleted", "2027-05-03", ground: "other"),
            Self.change("d9-fixed", upn(9), Self.ashford, "deleted", "2027-05-03", ground: "moved-away", hour: 15),
            // Outside 2026/27: 31 August 2026 (2025/26) and 1 September 2027 (2027/28).
            Self.change("d0", upn(0), Self.ashford, "deleted", "2026-08-31", ground: "moved-away"),
            Self.change("a0", upn(0), Self.ashford, "admitted", "2027-09-01"),
        ]
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                _ = try await tx.upsertSchools([
                    SchoolRecord(laestab: Self.ashford, name: "Ashford Primary", phase: "primary", district: "Ashford"),
                    SchoolRecord(laestab: Self.doverSpecial, name: "Dover Special", phase: "special", district: "Dover"),
                    SchoolRecord(laestab: "8866001", name: "Canterbury Secondary", phase: "secondary", district: "Canterbury"),
                ])
                #expect(try await tx.insertRollChanges(changes) == changes.count)
                // The same events re-sent (same source and id): nothing new is stored.
                #expect(try await tx.insertRollChanges(changes) == 0)
                _ = try await tx.createCase(Self.cmeCase("cme-3", upn(3), opened: "2026-10-20", closed: "2026-11-02"))
                _ = try await tx.createCase(Self.cmeCase("cme-4", upn(4), opened: "2026-10-01", closed: "2026-11-02"))
                // A case opened after the deletion does not cover it.
                _ = try await tx.createCase(Self.cmeCase("cme-2", upn(2), opened: "2026-10-06", closed: nil))
                _ = try await tx.upsertPupils(
                    [6, 7].map { PupilRecord(upn: upn($0), fsm: false, sen: "N", cla: false, characteristicsTime: .at(0)) })
                try await tx.updateChildProtectionPlans([(upn: upn(6), cpp: true, time: .at(1)), (upn: upn(7), cpp: false, time: .at(1))])
            }
            func outcomes(_ q: OutcomesQuery) async throws -> YearOutcomes {
                try await database.withTransaction(readOnly: true) { tx throws in
                    try await tx.prepareForReport()
                    return try await tx.outcomes(q)
                }
            }

            let year = try await outcomes(Self.query(2026))
            #expect(
                year.rollChanges
                    == RollChangeOutcomes(
                        admissions: 3, deletions: 8,
                        deletionsByGround: [
                            "not-known": 2, "continuous-absence-20-days": 1, "elective-home-education": 3, "transferred": 1,
                            "moved-away": 1,
                        ],
                        cmeRisk: 2, electiveHomeEducation: 3, eheConsentRequired: 2))
            #expect(
                year.byDistrict["Ashford"]?.rollChanges
                    == RollChangeOutcomes(
                        admissions: 3, deletions: 6,
                        deletionsByGround: [
                            "not-known": 2, "continuous-absence-20-days": 1, "elective-home-education": 2, "moved-away": 1,
                        ],
                        cmeRisk: 2, electiveHomeEducation: 2, eheConsentRequired: 1))
            #expect(
                year.byDistrict["Dover"]?.rollChanges
                    == RollChangeOutcomes(
                        deletions: 1, deletionsByGround: ["elective-home-education": 1], electiveHomeEducation: 1, eheConsentRequired: 1))
            #expect(year.byDistrict["unassigned"]?.rollChanges == RollChangeOutcomes(deletions: 1, deletionsByGround: ["transferred": 1]))
            #expect(year.byDistrict["Canterbury"]?.rollChanges == RollChangeOutcomes())
            // Roll changes change no other figure.
            #expect(year.figures == DistrictOutcomes(rollChanges: year.rollChanges))

            // The years either side: only their own dates.
            #expect(try await outcomes(Self.query(2025)).rollChanges == RollChangeOutcomes(deletions: 1, deletionsByGround: ["moved-away": 1]))
            #expect(try await outcomes(Self.query(2027)).rollChanges == RollChangeOutcomes(admissions: 1))

            // One district: its figures only.
            let dover = try await outcomes(Self.query(2026, district: "Dover"))
            #expect(dover.rollChanges == year.byDistrict["Dover"]?.rollChanges)
            #expect(Array(dover.byDistrict.keys) == ["Dover"])
            let unassigned = try await outcomes(Self.query(2026, district: "unassigned"))
            #expect(unassigned.rollChanges == year.byDistrict["unassigned"]?.rollChanges)

            // The change against the previous year, ground by ground over both years' grounds.
            let change = OutcomesChange(from: try await outcomes(Self.query(2025)), to: year)
            #expect(change.figures.rollChanges.deletions == 7)
            #expect(change.figures.rollChanges.deletionsByGround["moved-away"] == 0)
            #expect(change.figures.rollChanges.deletionsByGround["not-known"] == 2)
        }
    }
}
