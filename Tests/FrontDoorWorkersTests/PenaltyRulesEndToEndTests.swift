import Foundation
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorWorkers
import Testing

/// The penalty rules as the shipped `Config/rules.yaml` schedules them, end to end: a 2026/27
/// feed produced to the input topics, the attendance worker and the relay running against the
/// real broker and PostgreSQL, and the reviews read back from `frontdoor.enforcement.v1`.
/// (domain.md, "Penalty notice rulesets": the schedule, compulsory school age, support only
/// where appropriate, the improvement period, withdrawn notices.)
@Suite("Penalty rules end to end")
struct PenaltyRulesEndToEndTests {
    @Test(
        "england-2024 from a 2026/27 feed: notice to improve, then a penalty notice inside the improvement period",
        .timeLimit(.minutes(4)))
    func england2024FromA2026Feed() async throws {
        let pipeline = Pipeline("penalty")
        try await pipeline.createTopics()
        let t = pipeline.topics
        let school = TestEnvironment.school(in: "Dartford")
        let start = Events.date("2026-09-07")
        // Two weeks present, then two weeks with an unauthorised AM every day: the 10th on
        // Friday 2 October. 30 of 40 (75%): not vulnerable, so no Early Help notification.
        func codes(_ code: String) -> [String] {
            Array(repeating: "/", count: 20) + Array(repeating: [code, "/"], count: 10).flatMap { $0 }
        }
        // A year-8 pupil whose MIS sends the date of birth on every mark.
        let truant = Events.upn(school, serial: 21)
        var attendance = Events.register(
            prefix: "truant", upn: truant, laestab: school.laestab.value, from: start, codes: codes("O"),
            pupil: Events.Pupil(yearGroup: 8, dateOfBirth: "2014-01-15"))
        // A Reception child with the same register: below compulsory school age, no review.
        let reception = Events.upn(school, serial: 22)
        attendance += Events.register(
            prefix: "reception", upn: reception, laestab: school.laestab.value, from: start, codes: codes("O"),
            pupil: Events.Pupil(yearGroup: 0))
        // Term-time leave only: no notice to improve first.
        let holiday = Events.upn(school, serial: 23)
        attendance += Events.register(
            prefix: "holiday", upn: holiday, laestab: school.laestab.value, from: start, codes: codes("G"),
            pupil: Events.Pupil(yearGroup: 5))
        let marks = attendance.map { KafkaProducerMessage(topic: t.attendance, key: Array($0.key.utf8), value: $0.value) }

        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url)
            let reader = try OutputReader(topics: [t.enforcement, t.dlq(of: t.attendance), t.dlq(of: t.decisions)])
            defer { Task { await reader.close() } }
            try await InProcessWorkers.with([.attendance], database: db.store, settings: settings) { _ in
                var reports = try await Pipeline.produce(marks)
                let first = try await reader.read("two reviews", quiet: .zero) { out in
                    out.on(t.enforcement).count >= 2
                }.on(t.enforcement)
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(reports))

                let nti = try #require(first.first { $0.upn == truant })
                #expect(nti.field("ruleset") == "england-2024")
                #expect(nti.field("basis") == "ten-unauthorised-sessions")
                #expect(nti.field("recommendedAction") == "notice-to-improve")
                #expect(nti.field("amountPence") == nil)
                #expect(nti.field("unauthorisedSessions") == "10")
                #expect(nti.field("windowStart") == "2026-09-07" && nti.field("windowEnd") == "2026-10-02")
                #expect(nti.data["reasons"] as? [String] == [])
                let leave = try #require(first.first { $0.upn == holiday })
                #expect(leave.field("recommendedAction") == "penalty-notice")
                #expect(leave.field("amountPence") == "8000")
                #expect(leave.data["reasons"] as? [String] == ["term-time-leave-only"])

                // The officer issues the notice to improve; the school then marks one more U
                // on 7 October, inside the 30 school days. The term-time leave notice is issued
                // and then withdrawn.
                let ntiCase = try #require(nti.field("caseId"))
                let leaveCase = try #require(leave.field("caseId"))
                let decisions = [
                    (
                        ntiCase,
                        Events.decision(
                            id: "d-nti", caseId: ntiCase, decision: "notice-to-improve-issued",
                            decidedOn: Events.date("2026-10-05"), time: Events.time(Events.date("2026-10-05"), 12))
                    ),
                    (
                        leaveCase,
                        Events.decision(
                            id: "d-pn", caseId: leaveCase, decision: "penalty-notice-issued",
                            decidedOn: Events.date("2026-10-05"), time: Events.time(Events.date("2026-10-05"), 12))
                    ),
                    (
                        leaveCase,
                        Events.decision(
                            id: "d-pn-withdrawn", caseId: leaveCase, decision: "penalty-notice-withdrawn",
                            decidedOn: Events.date("2026-10-09"), time: Events.time(Events.date("2026-10-09"), 12))
                    ),
                ]
                reports = try await Pipeline.produce(
                    decisions.map { KafkaProducerMessage(topic: t.decisions, key: Array($0.0.utf8), value: $0.1) })
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(reports))
                let more = Events.mark(
                    id: "truant-after-nti", upn: truant, laestab: school.laestab.value, date: Events.date("2026-10-07"),
                    session: "AM", code: "U", time: Events.time(Events.date("2026-10-07"), 9))
                reports = try await Pipeline.produce([
                    KafkaProducerMessage(topic: t.attendance, key: Array(truant.utf8), value: more)
                ])
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(reports))
                try await pipeline.waitUntilRelayed(db)
            }

            let out = try await reader.read("three reviews", quiet: .seconds(2)) { out in
                out.on(t.enforcement).count >= 3
            }
            let reviews = out.on(t.enforcement)
            #expect(reviews.count == 3, "each review once: \(reviews.map(\.kind))")
            #expect(out.filter { $0.topic != t.enforcement }.isEmpty, "no dead letter")
            let after = try #require(reviews.first { $0.upn == truant && $0.field("recommendedAction") == "penalty-notice" })
            #expect(
                after.field("caseId") != reviews.first { $0.upn == truant && $0.field("recommendedAction") == "notice-to-improve" }?.field("caseId"))
            #expect(after.field("amountPence") == "8000")
            #expect(after.data["reasons"] as? [String] == ["after-notice-to-improve"])
            #expect(after.field("unauthorisedSessions") == "1")
            #expect(after.field("windowStart") == "2026-10-05" && after.field("windowEnd") == "2026-10-07")
            #expect(after.field("priorNoticesIn3Years") == "0")

            // The Reception child: no review, and the audit says why.
            #expect(reviews.allSatisfy { $0.upn != reception })
            #expect(try await db.int("SELECT count(*) FROM enforcement_reviews WHERE upn = '\(reception)'") == 0)
            #expect(try await db.int("SELECT count(*) FROM audit_log WHERE decision = 'no-review-not-compulsory-school-age'") >= 1)
            // The date of birth sent on the marks is stored; the withdrawal is kept beside its notice.
            #expect(try await db.strings("SELECT date_of_birth::text FROM pupils WHERE upn = '\(truant)'") == ["2014-01-15"])
            #expect(
                try await db.strings("SELECT decision FROM enforcement_decisions WHERE upn = '\(holiday)' ORDER BY decided_on")
                    == ["penalty-notice-issued", "penalty-notice-withdrawn"])
        }
    }
}
