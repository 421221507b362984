import Foundation
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Testing

/// The CME clock's scheduler (domain.md, "Children missing education"; issue 8, item 6): it
/// notifies from the deadline stored with the case (`due_by`), marks a case notified only with
/// its notification, and skips a case it cannot handle instead of spinning on it.
@Suite("CME overdue scheduler")
struct CMEOverdueSchedulerTests {
    @Test(
        "notifies from the stored due_by, never marks without a notification, and skips a case without a referral",
        .timeLimit(.minutes(3)))
    func notifiesFromStoredDueDateAndSkipsWhatItCannotHandle() async throws {
        let pipeline = Pipeline("cmesched", inputPartitions: 1)
        try await pipeline.createTopics()
        let swale = TestEnvironment.school(in: "Swale")
        let thanet = TestEnvironment.school(in: "Thanet")
        let first = Events.referral(
            referralId: "DFD-SCHED-1", reason: "cme", upn: Events.upn(swale, serial: 31), laestab: swale.laestab.value,
            givenName: "Alex", familyName: "Example", dateOfBirth: "2014-05-02", time: Events.time(Events.date("2026-10-01"), 9))
        let second = Events.referral(
            referralId: "DFD-SCHED-2", reason: "cme", upn: Events.upn(thanet, serial: 32), laestab: thanet.laestab.value,
            givenName: "Sam", familyName: "Sample", dateOfBirth: "2013-02-03", time: Events.time(Events.date("2026-10-02"), 9))

        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url, extra: ["FRONTDOOR_TODAY": "2026-10-12"])
            try await InProcessWorkers.with([.referrals], relay: false, database: db.store, settings: settings) { _ in
                let reports = try await Pipeline.produce(
                    [("DFD-SCHED-1", first), ("DFD-SCHED-2", second)].map {
                        KafkaProducerMessage(topic: pipeline.topics.referrals, key: Array($0.0.utf8), value: $0.1)
                    })
                try await pipeline.waitUntilConsumed(db, worker: "referrals", ends: Pipeline.endOffsets(reports))
            }
            let caseOf = { (referral: String) async throws -> String in
                try #require(try await db.strings("SELECT case_id FROM referrals WHERE referral_id = '\(referral)'").first)
            }
            let kept = try await caseOf("DFD-SCHED-1")
            let orphan = try await caseOf("DFD-SCHED-2")
            // Received 1 Oct, the clock's deadline today is 15 Oct; the case stores 8 Oct, as if it had
            // opened under a calendar with fewer closure days. On 12 Oct it is overdue by its due_by,
            // not by a deadline recomputed now.
            _ = try await db.rows("UPDATE cases SET due_by = '2026-10-08' WHERE case_id IN ('\(kept)', '\(orphan)')")
            // A case with no referral row: nothing to build a notification from.
            _ = try await db.rows("DELETE FROM referrals WHERE case_id = '\(orphan)'")

            let scheduler = CMEOverdueScheduler(
                config: TestEnvironment.config, settings: settings, database: db.store, logger: TestEnvironment.logger)
            #expect(try await scheduler.checkOnce() == 1)
            #expect(try await scheduler.checkOnce() == 0, "the skipped case is not retried (and not spun on)")

            let notified = try await db.strings("SELECT case_id FROM cases WHERE overdue_notified ORDER BY case_id")
            #expect(notified == [kept], "marked only with its notification")
            let overdue = try await db.strings(
                """
                SELECT concat_ws(' ', convert_from(payload, 'UTF8')::jsonb->'data'->>'caseId',
                                 convert_from(payload, 'UTF8')::jsonb->'data'->>'dueBy')
                FROM outbox WHERE headers->>'frontdoor-kind' = 'cme-overdue'
                """)
            // Due the school day after the stored deadline (Friday 9 Oct).
            #expect(overdue == ["\(kept) 2026-10-09"])
        }
    }
}
