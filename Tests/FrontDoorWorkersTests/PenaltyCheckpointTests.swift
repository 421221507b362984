import Foundation
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import Testing

@testable import FrontDoorWorkers

/// Issue 10 on the real store: the attendance worker keeps a penalty checkpoint per pupil
/// (migration 14) and judges a later absence on the marks since the checkpoint's `readFrom`,
/// not the year's.
@Suite("Attendance worker: penalty rules resumed from the stored checkpoint")
struct PenaltyCheckpointTests {
    typealias Fold = AttendanceFoldTests

    /// Twelve weeks in school with a morning off ill every fifth day (an absence, so the pupil
    /// rules run and the checkpoint moves on), then an unauthorised morning every other day.
    static func register(_ upn: String, _ school: School, days: [LocalDate], from k: Int, to end: Int) -> [[[UInt8]]] {
        (k..<end).map { i in
            let am = i >= 60 ? (i % 2 == 0 ? "O" : "/") : (i % 5 == 0 ? "I" : "/")
            return Fold.marksOfDay(upn, school, days[i], am, "/", id: upn)
        }
    }

    @Test("a review raised from the checkpoint equals the full evaluation's, though the marks before its window are gone")
    func reviewFromCheckpointEqualsFull() async throws {
        try await TestDatabase.with { db in
            let school = TestEnvironment.school(in: "Dartford")
            let full = Events.upn(school, serial: 31)
            let cut = Events.upn(school, serial: 32)
            let days = Events.markDays(from: Events.date("2026-09-07"), count: 80)
            for (a, b) in zip(Self.register(full, school, days: days, from: 0, to: 60), Self.register(cut, school, days: days, from: 0, to: 60)) {
                try await Fold.batch(a + b, in: db)
            }
            // Both pupils have a checkpoint at the last absence, day 55, whose window starts
            // ten school weeks back, well after the look-back (June).
            let stored = try await db.store.withTransaction { tx in
                try await tx.penaltyCheckpoints(upns: [try UPN(validating: full), try UPN(validating: cut)])
            }
            let checkpoint = try #require(stored[try UPN(validating: cut)])
            #expect(checkpoint.through == days[55])
            #expect(checkpoint.readFrom > days[0] && checkpoint.readFrom <= days[55].adding(days: -63))
            #expect(checkpoint.yearStats.possible == 112 && checkpoint.yearStats.authorised == 12)
            #expect(stored[try UPN(validating: full)]?.readFrom == checkpoint.readFrom)

            // The second pupil's marks before the checkpoint's window are deleted: judged from
            // the checkpoint, nothing it would raise changes; read in full, its attendance would.
            let key = try #require(UPNKey.key(cut))
            _ = try await db.rows("DELETE FROM mark_log WHERE upn = \(key) AND mark_date < '\(checkpoint.readFrom)'")
            #expect(try await db.int("SELECT count(*) FROM mark_log WHERE upn = \(key)") < 112)

            for (a, b) in zip(Self.register(full, school, days: days, from: 60, to: 80), Self.register(cut, school, days: days, from: 60, to: 80)) {
                try await Fold.batch(a + b, in: db)
            }
            let reviews = try await db.store.withTransaction { tx in try await tx.openReviews(upns: [full, cut]) }
            let expected = try #require(reviews[full])
            let resumed = try #require(reviews[cut])
            #expect(expected.windowEnd == StoreDate(days[78]) && expected.unauthorisedSessions == 10)
            #expect(resumed.attendancePct == expected.attendancePct)
            #expect(
                [resumed.windowStart, resumed.windowEnd] == [expected.windowStart, expected.windowEnd]
                    && resumed.unauthorisedSessions == expected.unauthorisedSessions
                    && resumed.recommendedAction == expected.recommendedAction)
            // A review is open: nothing is settled until it is decided, so no checkpoint is kept.
            #expect(try await db.int("SELECT count(*) FROM penalty_checkpoints") == 0)
        }
    }
}
