import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Testing

/// Issue 8's two traps, end to end (events.md, "Envelope": a date or `time` outside
/// 2000-01-01 … 2099-12-31 is `malformed-field`): a mark dated 0001-01-01 (a Monday, not a
/// bank holiday) trapped the attendance worker in `AcademicYear.firstDay`; a referral whose
/// `time` is 9999-12-31T12:00:00Z trapped the referral worker in `StoreDate(LocalDate)`, its
/// CME due date being in year 10000. Both are now dead-lettered and the partition moves on.
@Suite("Dates outside 2000–2099 are dead-lettered, and stop no worker")
struct OutOfRangeDatesTests {
    @Test(.timeLimit(.minutes(3)))
    func markInYearOneAndReferralInYear9999() async throws {
        let pipeline = Pipeline("outofrange", inputPartitions: 1)
        try await pipeline.createTopics()
        let t = pipeline.topics
        let school = TestEnvironment.school(in: "Ashford")
        let laestab = school.laestab.value
        let upn = Events.upn(school, serial: 21)
        let monday = Events.date("2026-09-07")
        let yearOne = try #require(LocalDate(iso: "0001-01-01"))
        let endOfTime = try #require(RFC3339.parse("9999-12-31T12:00:00Z"))

        let badMark = Events.mark(
            id: "mark-year-one", upn: upn, laestab: laestab, date: yearOne, session: "AM", code: "O", time: Events.time(monday, 9))
        let goodMark = Events.mark(id: "mark-after", upn: upn, laestab: laestab, date: monday, session: "AM", code: "/")
        func referral(_ id: String, _ time: Date) -> [UInt8] {
            Events.referral(
                referralId: id, reason: "cme", upn: nil, laestab: laestab, givenName: "Sam", familyName: "Example",
                dateOfBirth: "2015-04-01", time: time)
        }
        let badReferral = referral("DFD-END-OF-TIME", endOfTime)
        let goodReferral = referral("DFD-AFTER", Events.time(monday, 10))
        func message(_ topic: String, _ key: String, _ value: [UInt8]) -> KafkaProducerMessage {
            KafkaProducerMessage(topic: topic, partition: 0, key: Array(key.utf8), value: value)
        }
        let messages = [
            message(t.attendance, upn, badMark), message(t.attendance, upn, goodMark),
            message(t.referrals, "DFD-END-OF-TIME", badReferral), message(t.referrals, "DFD-AFTER", goodReferral),
        ]

        try await TestDatabase.with { db in
            let reader = try OutputReader(topics: pipeline.dlqTopics)
            defer { Task { await reader.close() } }
            try await InProcessWorkers.with(
                [.attendance, .referrals], database: db.store, settings: pipeline.settings(databaseURL: db.url)
            ) { _ in
                let reports = try await Pipeline.produce(messages)
                let ends = Pipeline.endOffsets(reports)
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: ends.filter { $0.key.topic == t.attendance })
                try await pipeline.waitUntilConsumed(db, worker: "referrals", ends: ends.filter { $0.key.topic == t.referrals })
            }
            let out = try await reader.read("both dead letters") { out in
                out.on(t.dlq(of: t.attendance)).count >= 1 && out.on(t.dlq(of: t.referrals)).count >= 1
            }
            let deadMark = try #require(out.on(t.dlq(of: t.attendance)).first)
            #expect(deadMark.header("frontdoor-error-code") == "malformed-field")
            #expect(deadMark.message.value == badMark)
            let deadReferral = try #require(out.on(t.dlq(of: t.referrals)).first)
            #expect(deadReferral.header("frontdoor-error-code") == "malformed-field")
            #expect(deadReferral.message.value == badReferral)
            // The events behind them were processed.
            #expect(try await db.strings("SELECT event_id FROM attendance_marks WHERE upn = '\(upn)'") == ["mark-after"])
            #expect(try await db.strings("SELECT referral_id FROM referrals") == ["DFD-AFTER"])
        }
    }
}
