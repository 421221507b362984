import Foundation
import PostgresNIO
import Testing

@testable import FrontDoorStore

@Suite("Idempotency and attendance", .timeLimit(.minutes(2)))
struct AttendanceTests {
    static let school = "urn:laestab:8862001"

    static func claim(_ id: String, offset: Int64 = 0) -> EventClaim {
        EventClaim(source: school, id: id, topic: "frontdoor.attendance.v1", partition: 0, offset: offset)
    }

    static func mark(
        _ id: String,
        upn: String,
        date: String = "2026-09-14",
        session: String = "AM",
        code: String,
        category: String = "present",
        at seconds: Double,
        laestab: String = "8862001"
    ) -> MarkRecord {
        MarkRecord(
            source: school,
            eventId: id,
            upn: upn,
            laestab: laestab,
            date: day(date),
            session: session,
            code: code,
            category: category,
            minutesLate: code == "L" ? 12 : nil,
            eventTime: .at(seconds)
        )
    }

    @Test("a date beyond PostgreSQL's range (StoreDate's refused value) fails the statement with an error")
    func dateBeyondRangeIsRefused() async throws {
        try await TestDatabase.with { database in
            let far = StoreDate(daysSince1970: Int.max)
            await #expect(throws: (any Error).self) {
                try await database.withTransaction(readOnly: true) { tx throws in
                    try await tx.marksThatCount(upn: "B886200126001", from: day("2026-09-01"), through: far)
                }
            }
            // The pool is still usable afterwards.
            let counted = try await database.withTransaction(readOnly: true) { tx throws in
                try await tx.marksThatCount(upn: "B886200126001", from: day("2026-09-01"), through: day("2026-09-14"))
            }
            #expect(counted.isEmpty)
        }
    }

    @Test("claimEvent is true once, then false, also in later transactions")
    func claimEventIsIdempotent() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                #expect(try await tx.claimEvent(source: Self.school, id: "e1", topic: "t", partition: 0, offset: 1))
                #expect(try await !tx.claimEvent(source: Self.school, id: "e1", topic: "t", partition: 0, offset: 1))
                // Same id from another source is another event.
                #expect(try await tx.claimEvent(source: "urn:laestab:8862002", id: "e1", topic: "t", partition: 0, offset: 2))
            }
            try await database.withTransaction { tx throws in
                // Re-consumed on another partition after a rebalance: still a duplicate.
                #expect(try await !tx.claimEvent(source: Self.school, id: "e1", topic: "t", partition: 3, offset: 99))
                #expect(try await tx.isProcessed(source: Self.school, id: "e1"))
                #expect(try await !tx.isProcessed(source: Self.school, id: "never"))
            }
        }
    }

    @Test("a batch claim returns only the new keys, once each")
    func batchClaimIsIdempotent() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                #expect(try await tx.claimEvents([Self.claim("a")]) == [EventKey(source: Self.school, id: "a")])
            }
            let fresh = try await database.withTransaction { tx throws in
                try await tx.claimEvents([Self.claim("a"), Self.claim("b"), Self.claim("b", offset: 9), Self.claim("c")])
            }
            #expect(fresh == [EventKey(source: Self.school, id: "b"), EventKey(source: Self.school, id: "c")])
            let again = try await database.withTransaction { tx throws in
                try await tx.claimEvents([Self.claim("a"), Self.claim("b"), Self.claim("c")])
            }
            #expect(again.isEmpty)
            let empty = try await database.withTransaction { tx throws in try await tx.claimEvents([]) }
            #expect(empty.isEmpty)
        }
    }

    @Test(
        "marksThatCount picks the latest time, ties to the larger id, whatever the insertion order",
        arguments: [0, 1, 2, 3, 4, 5]
    )
    func marksThatCountIgnoresArrivalOrder(permutation: Int) async throws {
        // One slot, three amendments: "b" at t=10, "a" at t=20, "c" at t=20 → "c" counts (tie on
        // time, larger id). Ids "9" and "10" at the same time → "9" counts (byte order, not numeric).
        let upn = "B886200126001"
        let slot = [
            Self.mark("b", upn: upn, code: "N", category: "unauthorised", at: 10),
            Self.mark("a", upn: upn, code: "I", category: "authorised", at: 20),
            Self.mark("c", upn: upn, code: "M", category: "authorised", at: 20),
        ]
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        let other = [
            Self.mark("10", upn: upn, session: "PM", code: "/", at: 5),
            Self.mark("9", upn: upn, session: "PM", code: "L", at: 5),
        ]
        let later = [Self.mark("z", upn: upn, date: "2026-09-15", code: "/", at: 1)]
        try await TestDatabase.with { database in
            for index in orders[permutation] {
                // One transaction per event, as separate batches would be.
                try await database.withTransaction { tx throws in #expect(try await tx.insertMarks([slot[index]]) == 1) }
            }
            try await database.withTransaction { tx throws in
                #expect(try await tx.insertMarks(permutation.isMultiple(of: 2) ? other : other.reversed()) == 2)
                // A re-sent event whose claim is gone is stored again (migration 13) and changes nothing below.
                #expect(try await tx.insertMarks(later + [slot[0]]) == 2)
            }
            let counted = try await database.withTransaction(readOnly: true) { tx throws in
                try await tx.marksThatCount(upn: upn, from: day("2026-09-01"), through: day("2026-09-14"))
            }
            #expect(counted.map(\.eventId) == ["c", "9"])
            #expect(counted.map(\.code) == ["M", "L"])
            #expect(counted.last?.minutesLate == 12)
            #expect(counted.first?.minutesLate == nil)
            #expect(counted.first?.eventTime == Date.at(20))

            let wholeYear = try await database.withTransaction(readOnly: true) { tx throws in
                try await tx.marksThatCount(upns: [upn, "C886200126001"], from: day("2026-09-01"), through: day("2027-08-31"))
            }
            #expect(wholeYear[upn]?.map(\.eventId) == ["c", "9", "z"])
            #expect(wholeYear["C886200126001"] == nil)

            let totals = try await database.withTransaction(readOnly: true) { tx throws in
                try await tx.categoryTotals(upn: upn, from: day("2026-09-01"), through: day("2027-08-31"))
            }
            #expect(totals == ["authorised": 1, "present": 2])

            // The reporting view agrees.
            var viewIds: [String] = []
            for try await id in try await database.client.query(
                "SELECT event_id::text FROM marks_that_count WHERE upn = \(upn) ORDER BY mark_date, session"
            ).decode(String.self) {
                viewIds.append(id)
            }
            #expect(viewIds == ["c", "9", "z"])
        }
    }

    @Test("the same slot at two schools counts at each")
    func slotsArePerSchool() async throws {
        let upn = "D886200126001"
        try await TestDatabase.with { database in
            let marks = try await database.withTransaction { tx throws in
                _ = try await tx.insertMarks([
                    Self.mark("x1", upn: upn, code: "/", at: 1, laestab: "8862001"),
                    Self.mark("x2", upn: upn, code: "B", category: "attending", at: 2, laestab: "8862002"),
                ])
                return try await tx.marksThatCount(upn: upn, from: day("2026-09-14"), through: day("2026-09-14"))
            }
            #expect(marks.map(\.laestab) == ["8862001", "8862002"])
        }
    }

    @Test("pupil characteristics change only for a newer report; a missing birth date keeps the stored one")
    func pupilCharacteristicsOnlyMoveForward() async throws {
        let upn = "E886200126001"
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                #expect(
                    try await tx.upsertPupil(
                        PupilRecord(
                            upn: upn, fsm: false, sen: "N", cla: false, yearGroup: 7, dateOfBirth: day("2015-03-02"), characteristicsTime: .at(100))
                    )
                )
                // Older: ignored.
                #expect(
                    try await !tx.upsertPupil(
                        PupilRecord(upn: upn, fsm: true, sen: "E", cla: true, yearGroup: 7, characteristicsTime: .at(50))
                    )
                )
                // Same time: ignored.
                #expect(
                    try await !tx.upsertPupil(
                        PupilRecord(upn: upn, fsm: true, sen: "E", cla: true, yearGroup: 7, characteristicsTime: .at(100))
                    )
                )
            }
            var stored = try await database.withTransaction { tx throws in try await tx.pupil(upn: upn) }
            #expect(stored?.fsm == false)
            #expect(stored?.sen == "N")

            // Newer, twice in one batch: the newest wins; the birth date survives.
            let changed = try await database.withTransaction { tx throws in
                try await tx.upsertPupils([
                    PupilRecord(upn: upn, fsm: true, sen: "E", cla: false, yearGroup: 8, characteristicsTime: .at(300)),
                    PupilRecord(upn: upn, fsm: true, sen: "K", cla: true, yearGroup: nil, characteristicsTime: .at(200)),
                ])
            }
            #expect(changed == 1)
            stored = try await database.withTransaction { tx throws in try await tx.pupil(upn: upn) }
            #expect(stored?.fsm == true)
            #expect(stored?.sen == "E")
            #expect(stored?.cla == false)
            #expect(stored?.yearGroup == 8)
            #expect(stored?.dateOfBirth == day("2015-03-02"))
            #expect(stored?.characteristicsTime == .at(300))
        }
    }

    @Test("year totals are replaced by the latest computation")
    func yearTotalsRoundTrip() async throws {
        try await TestDatabase.with { database in
            let first = YearAttendanceRecord(
                upn: "F886200126001", academicYear: "2026/27", possible: 10, present: 8, attending: 1,
                authorised: 1, unauthorised: 0, notCounted: 2
            )
            var second = first
            second.possible = 12
            second.unauthorised = 2
            try await database.withTransaction { tx throws in try await tx.saveYearAttendance(first) }
            try await database.withTransaction { tx throws in try await tx.saveYearAttendance([second]) }
            let stored = try await database.withTransaction { tx throws in
                try await tx.yearAttendance(upn: "F886200126001", academicYear: "2026/27")
            }
            #expect(stored == second)
            let missing = try await database.withTransaction { tx throws in
                try await tx.yearAttendance(upn: "F886200126001", academicYear: "2025/26")
            }
            #expect(missing == nil)
        }
    }

    @Test("exclusions: issue, re-send, amend by time, rescind, list")
    func exclusionLifecycle() async throws {
        let upn = "G886200126001"
        func exclusion(_ id: String, sessions: Int? = 4, at seconds: Double) -> ExclusionRecord {
            ExclusionRecord(
                laestab: "8862001", exclusionId: id, upn: upn, category: sessions == nil ? "permanent" : "suspension",
                startDate: day("2026-10-05"), sessions: sessions, reason: "PP", academicYear: "2026/27",
                eventTime: .at(seconds), source: Self.school, eventId: "ev-\(id)-\(seconds)",
                pupilFsm: true, pupilSen: "K", pupilCla: false
            )
        }
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                #expect(try await tx.issueExclusion(exclusion("X1", at: 10)) == .inserted)
                #expect(try await tx.issueExclusion(exclusion("X1", at: 10)) == .unchanged)
                #expect(try await tx.issueExclusion(exclusion("X1", sessions: 6, at: 5)) == .unchanged)
                #expect(try await tx.issueExclusion(exclusion("X1", sessions: 2, at: 20)) == .amended)
                #expect(try await tx.issueExclusion(exclusion("X2", sessions: nil, at: 30)) == .inserted)
            }
            let rescinded = try await database.withTransaction { tx throws in
                try await tx.rescindExclusion(
                    laestab: "8862001", exclusionId: "X1", outcome: "reinstated-by-governors", effectiveDate: day("2026-10-20")
                )
            }
            #expect(rescinded?.rescinded == true)
            #expect(rescinded?.sessions == 2)
            #expect(rescinded?.rescindedEffective == day("2026-10-20"))
            let unknown = try await database.withTransaction { tx throws in
                try await tx.rescindExclusion(laestab: "8862001", exclusionId: "nope", outcome: "x", effectiveDate: day("2026-10-20"))
            }
            #expect(unknown == nil)
            let listed = try await database.withTransaction { tx throws in
                // A later re-issue still keeps the rescission.
                #expect(try await tx.issueExclusion(exclusion("X1", sessions: 3, at: 40)) == .amended)
                return try await tx.exclusions(upn: upn, academicYear: "2026/27")
            }
            #expect(listed.map(\.exclusionId) == ["X1", "X2"])
            #expect(listed.map(\.rescinded) == [true, false])
            #expect(listed.first?.sessions == 3)
            #expect(listed.last?.category == "permanent")
            #expect(listed.last?.pupilSen == "K")
            let otherYear = try await database.withTransaction { tx throws in try await tx.exclusions(upn: upn, academicYear: "2025/26") }
            #expect(otherYear.isEmpty)
        }
    }
}
