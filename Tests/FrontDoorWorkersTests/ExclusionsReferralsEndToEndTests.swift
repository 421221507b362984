import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Testing

/// Issue 9's exclusion and referral rules end to end: events produced to the input topics, the
/// exclusion and referral workers and the relay against the real broker and PostgreSQL, the
/// notifications read back from the output topics.
@Suite("Exclusions and referrals end to end (domain.md, issue 9)")
struct ExclusionsReferralsEndToEndTests {
    @Test(
        "45-day cap per school and across the summer; a referral with no school routed by postcode; a referral without a UPN joins the known pupil's case",
        .timeLimit(.minutes(4)))
    func perSchoolCapAndPostcodeRouting() async throws {
        let pipeline = Pipeline("excl-ref")
        try await pipeline.createTopics()
        let t = pipeline.topics
        let ashford = TestEnvironment.school(in: "Ashford")
        let canterbury = TestEnvironment.school(in: "Canterbury")
        let swale = TestEnvironment.school(in: "Swale")
        let none = Events.Pupil()

        // domain.md, 45-day cap "at one school": 30 days at Ashford, then 20 at Canterbury after a
        // move. 50 days in the year, but no school passed 45: no notification.
        let moved = Events.upn(ashford, serial: 21)
        // The same 50 days at Ashford alone: the cap is reached and passed (a statutory breach).
        let stayed = Events.upn(ashford, serial: 22)
        func suspension(_ id: String, _ upn: String, _ school: School, _ start: String, _ sessions: Int) -> KafkaProducerMessage {
            let v = Events.suspension(
                id: id, exclusionId: id.uppercased(), upn: upn, laestab: school.laestab.value, start: Events.date(start),
                sessions: sessions, time: Events.time(Events.date(start).adding(days: -3), 15), pupil: none)
            return KafkaProducerMessage(topic: t.exclusions, key: Array(upn.utf8), value: v)
        }
        // domain.md, "a suspension spanning a holiday counts each school day in the term and year it
        // falls in": 20 days from Monday 5 July 2027 are 13 days of 2026/27 (to 21 July) and 7 of
        // 2027/28 (from 1 September; 2027/28 is not configured, so weekdays). With 38 more days in
        // October the school's 2027/28 total is exactly 45: the cap is reached in 2027/28.
        let spanning = Events.upn(canterbury, serial: 24)
        let exclusions = [
            suspension("moved-a", moved, ashford, "2026-09-07", 60), suspension("moved-c", moved, canterbury, "2026-11-02", 40),
            suspension("stayed-1", stayed, ashford, "2026-09-07", 60), suspension("stayed-2", stayed, ashford, "2026-11-02", 40),
            suspension("span-1", spanning, canterbury, "2027-07-05", 40), suspension("span-2", spanning, canterbury, "2027-10-04", 76),
        ]

        // domain.md, Routing: no school, so the child's postcode district (CT9: Thanet); a postcode
        // Config/postcodes.csv does not list goes to the unit configured for unassigned.
        func referral(_ id: String, upn: String?, school: School?, given: String, postcode: String?, day: String) -> KafkaProducerMessage {
            let v = Events.referral(
                referralId: id, reason: "attendance-concern", upn: upn, laestab: school?.laestab.value, givenName: given,
                familyName: "Example", dateOfBirth: "2014-05-02", time: Events.time(Events.date(day), 9), referrer: "police",
                postcode: postcode)
            return KafkaProducerMessage(topic: t.referrals, key: Array(id.utf8), value: v)
        }
        let margate = referral("DFD-PC-1", upn: nil, school: nil, given: "Robin", postcode: "ct9 1xp", day: "2026-10-05")
        let london = referral("DFD-PC-2", upn: nil, school: nil, given: "Kit", postcode: "SW1A 1AA", day: "2026-10-05")
        // domain.md, matching: the school refers Alex with a UPN; later the police refer Alex by name
        // and date of birth only (no UPN, no school): the second joins the first's case.
        let alex = Events.upn(swale, serial: 23)
        let bySchool = referral("DFD-KN-1", upn: alex, school: swale, given: "Alex", postcode: nil, day: "2026-10-05")
        let byPolice = referral("DFD-KN-2", upn: nil, school: nil, given: " ALEX", postcode: "CT9 2AB", day: "2026-10-07")

        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url)
            let reader = try OutputReader(topics: pipeline.notificationTopics + pipeline.dlqTopics)
            defer { Task { await reader.close() } }
            try await InProcessWorkers.with([.exclusions, .referrals], scheduler: false, database: db.store, settings: settings) { _ in
                // The school's referral first (referrals are keyed by id, so on different partitions).
                let first = try await Pipeline.produce(exclusions + [margate, london, bySchool])
                try await pipeline.waitUntilConsumed(
                    db, worker: "exclusions", ends: Pipeline.endOffsets(first).filter { $0.key.topic == t.exclusions })
                try await pipeline.waitUntilConsumed(db, worker: "referrals", ends: Pipeline.endOffsets(first).filter { $0.key.topic == t.referrals })
                let second = try await Pipeline.produce([byPolice])
                try await pipeline.waitUntilConsumed(db, worker: "referrals", ends: Pipeline.endOffsets(second))
                try await pipeline.waitUntilRelayed(db)
            }

            let thanet = TestEnvironment.config.units.unitId(forDistrict: "Thanet")
            let unassigned = TestEnvironment.config.units.unassignedUnitId
            let out = try await reader.read("six notifications", quiet: .seconds(2)) { out in
                out.filter { pipeline.notificationTopics.contains($0.topic) }.count >= 6
            }
            let notifications = out.filter { pipeline.notificationTopics.contains($0.topic) }
            #expect(out.filter { pipeline.dlqTopics.contains($0.topic) }.isEmpty)

            // The per-school cap: nothing for the pupil who moved; cap and breach for the one who stayed.
            #expect(!notifications.contains { $0.upn == moved }, "\(notifications.filter { $0.upn == moved }.map(\.kind))")
            let stayedOut = notifications.filter { $0.upn == stayed }
            #expect(stayedOut.map(\.kind) == ["suspensions-threshold", "suspensions-threshold"])
            #expect(Set(stayedOut.compactMap { $0.field("priority") }) == ["high", "urgent"])
            #expect(stayedOut.allSatisfy { $0.topic == t.earlyHelp(unit: TestEnvironment.unit(of: ashford)) })

            // The summer-spanning suspension's September days count in 2027/28 (loaded from the year before).
            let spanningOut = notifications.filter { $0.upn == spanning }
            #expect(spanningOut.map(\.kind) == ["suspensions-threshold"])
            #expect(
                spanningOut.first?.field("notificationId")
                    == NotificationDecisions.notificationId(
                        .suspensionsThreshold, key: [spanning, "2027/28", "cap", canterbury.laestab.value]))

            // Postcode routing.
            let byPostcode = notifications.filter { $0.upn == nil }
            #expect(byPostcode.count == 2)
            #expect(Set(byPostcode.map(\.topic)) == [t.earlyHelp(unit: thanet), t.earlyHelp(unit: unassigned)])
            #expect(Set(byPostcode.compactMap { $0.field("district") }) == ["Thanet", "unassigned"])
            #expect(
                try await db.strings("SELECT district FROM cases WHERE case_id = (SELECT case_id FROM referrals WHERE referral_id = 'DFD-PC-1')")
                    == ["Thanet"])

            // The police referral joined the school's case: one case, one notification.
            #expect(notifications.filter { $0.upn == alex }.count == 1)
            #expect(try await db.strings("SELECT DISTINCT case_id FROM referrals WHERE referral_id IN ('DFD-KN-1', 'DFD-KN-2')").count == 1)
            #expect(notifications.count == 6, "\(notifications.map(\.kind))")
            #expect(try await db.int("SELECT count(*) FROM outbox") == 6)
        }
    }
}
