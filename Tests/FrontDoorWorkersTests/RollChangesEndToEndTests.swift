import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Testing

/// Issue 9 items 3 and 4 end to end, through the real broker and PostgreSQL: roll changes on
/// `frontdoor.rolls.v1` (a mark after a deletion rejected `not-on-roll` to the DLQ, a deletion
/// for elective home education of a child on a child-protection plan raising
/// `ehe-consent-required`, a deletion on the `not-known` ground raising `cme-risk`), and a review
/// withdrawn when the school amends its `N` to `I` (domain.md "Roll changes", "`N` grace";
/// events.md `roll.change.v1`, `enforcement.review-withdrawn.v1`).
@Suite("Roll changes and review withdrawal end to end")
struct RollChangesEndToEndTests {
    static func rollChange(
        id: String, upn: String, laestab: String, change: String, on day: LocalDate, ground: String? = nil,
        pupil: [String: Any]? = nil
    ) -> [UInt8] {
        var data: [String: Any] = ["upn": upn, "laestab": laestab, "change": change, "effectiveDate": day.description]
        if let ground { data["ground"] = ground }
        if let pupil { data["pupil"] = pupil }
        return Events.json(
            Events.envelope(
                id: id, source: "urn:laestab:\(laestab)", type: "roll.change.v1", time: Events.time(day, 16), subject: upn,
                data: data))
    }

    @Test(.timeLimit(.minutes(4)))
    func rollChangesAndWithdrawal() async throws {
        let pipeline = Pipeline("rolls")
        try await pipeline.createTopics()
        let t = pipeline.topics
        let ashford = TestEnvironment.school(in: "Ashford")
        let dover = TestEnvironment.school(in: "Dover")
        let thanet = TestEnvironment.school(in: "Thanet")
        let start = Events.date("2026-09-07")

        // A pupil deleted (transferred) from Ashford on Friday 9 October.
        let mover = Events.upn(ashford, serial: 21)
        let moverDeleted = Self.rollChange(
            id: "roll-mover", upn: mover, laestab: ashford.laestab.value, change: "deleted", on: Events.date("2026-10-09"),
            ground: "transferred")
        // A child on a child-protection plan deleted for elective home education.
        let ehe = Events.upn(dover, serial: 22)
        let eheDeleted = Self.rollChange(
            id: "roll-ehe", upn: ehe, laestab: dover.laestab.value, change: "deleted", on: Events.date("2026-10-09"),
            ground: "elective-home-education", pupil: ["cpp": true])
        // A child deleted because the school does not know where they are.
        let unknown = Events.upn(thanet, serial: 23)
        let unknownDeleted = Self.rollChange(
            id: "roll-unknown", upn: unknown, laestab: thanet.laestab.value, change: "deleted", on: Events.date("2026-10-09"),
            ground: "not-known")

        // A pupil present for two weeks, then 10 N, then 5 days present (75%, not vulnerable): the
        // N stand their grace and make an england-2024 review (10 unauthorised sessions within
        // 10 school weeks).
        let amended = Events.upn(ashford, serial: 24)
        let register = Events.register(
            prefix: "amend", upn: amended, laestab: ashford.laestab.value, from: start,
            codes: Array(repeating: "/", count: 20) + Array(repeating: "N", count: 10) + Array(repeating: "/", count: 10))

        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url)
            let reader = try OutputReader(topics: pipeline.notificationTopics + pipeline.dlqTopics)
            defer { Task { await reader.close() } }
            try await InProcessWorkers.with([.attendance], scheduler: false, database: db.store, settings: settings) { _ in
                // The roll changes first, so the marks after them meet a known deletion.
                var reports = try await Pipeline.produce(
                    zip([mover, ehe, unknown], [moverDeleted, eheDeleted, unknownDeleted]).map {
                        KafkaProducerMessage(topic: t.rolls, key: Array($0.0.utf8), value: $0.1)
                    } + register.map { KafkaProducerMessage(topic: t.attendance, key: Array($0.key.utf8), value: $0.value) })
                try await pipeline.waitUntilConsumed(
                    db, worker: "attendance", ends: Pipeline.endOffsets(reports).filter { [t.rolls, t.attendance].contains($0.key.topic) })

                // Marks at Ashford for the mover: on the deletion day (accepted) and the Monday after (not on roll).
                let onTheDay = Events.mark(
                    id: "mover-fri", upn: mover, laestab: ashford.laestab.value, date: Events.date("2026-10-09"), session: "AM",
                    code: "N")
                let after = Events.mark(
                    id: "mover-mon", upn: mover, laestab: ashford.laestab.value, date: Events.date("2026-10-12"), session: "AM",
                    code: "N")
                reports += try await Pipeline.produce(
                    [onTheDay, after].map { KafkaProducerMessage(topic: t.attendance, key: Array(mover.utf8), value: $0) })

                // The review reaches the enforcement team; then the school amends the N to I.
                let review = try await reader.read("the review of the N") { out in
                    out.contains { $0.topic == t.enforcement && $0.upn == amended }
                }.first { $0.topic == t.enforcement && $0.upn == amended }!
                #expect(review.type == "enforcement.review.v1")
                let amendments = (0..<10).map { i in
                    Events.mark(
                        id: "amend-fix-\(i)", upn: amended, laestab: ashford.laestab.value,
                        date: Events.markDays(from: start, count: 15)[10 + i / 2], session: i % 2 == 0 ? "AM" : "PM",
                        code: "I", time: Events.time(Events.date("2026-10-05"), 10, i))
                }
                reports += try await Pipeline.produce(
                    amendments.map { KafkaProducerMessage(topic: t.attendance, key: Array(amended.utf8), value: $0) })
                try await pipeline.waitUntilConsumed(
                    db, worker: "attendance", ends: Pipeline.endOffsets(reports).filter { [t.rolls, t.attendance].contains($0.key.topic) })
                try await pipeline.waitUntilRelayed(db)

                let out = try await reader.read("two notifications, a review, its withdrawal and a dead letter") { out in
                    out.filter { pipeline.notificationTopics.contains($0.topic) }.count >= 4
                        && out.filter { pipeline.dlqTopics.contains($0.topic) }.count >= 1
                }
                let published = out.filter { pipeline.notificationTopics.contains($0.topic) }
                #expect(
                    Set(published.map { "\($0.kind) \($0.upn ?? "")" })
                        == [
                            "ehe-consent-required \(ehe)", "cme-risk \(unknown)", "enforcement-review \(amended)",
                            "enforcement.review-withdrawn.v1 \(amended)",
                        ])
                #expect(published.countsById.values.allSatisfy { $0 == 1 }, "each once: \(published.countsById)")
                let consent = try #require(published.first { $0.kind == "ehe-consent-required" })
                #expect(consent.field("priority") == "urgent")
                #expect(consent.field("laestab") == dover.laestab.value)
                #expect(consent.topic == t.earlyHelp(unit: TestEnvironment.unit(of: dover)))
                let risk = try #require(published.first { $0.kind == "cme-risk" })
                #expect(risk.field("laestab") == thanet.laestab.value)
                let withdrawn = try #require(published.first { $0.type == "enforcement.review-withdrawn.v1" })
                #expect(withdrawn.topic == t.enforcement)
                #expect(withdrawn.field("reason") == "amended-below-threshold")
                #expect(withdrawn.field("caseId") == review.field("caseId"))

                // The mark after the deletion went to the DLQ as not-on-roll; the one on the day did not.
                let dead = out.on(t.dlq(of: t.attendance))
                #expect(dead.count == 1)
                #expect(dead.first?.header("frontdoor-error-code") == "not-on-roll")
                #expect(dead.first?.message.value == after)
                #expect(try await db.int("SELECT count(*) FROM attendance_marks WHERE upn = '\(mover)'") == 1)

                // The review is withdrawn and its case closed; the facts are stored.
                let caseId = try #require(review.field("caseId"))
                #expect(
                    try await db.strings(
                        "SELECT concat_ws(' ', status, withdrawal_reason) FROM enforcement_reviews WHERE case_id = '\(caseId)'")
                        == ["withdrawn amended-below-threshold"])
                #expect(
                    try await db.strings("SELECT concat_ws(' ', status, outcome) FROM cases WHERE case_id = '\(caseId)'")
                        == ["closed review-withdrawn"])
                #expect(try await db.int("SELECT count(*) FROM roll_changes") == 3)
                #expect(try await db.strings("SELECT cpp::text FROM pupils WHERE upn = '\(ehe)'") == ["true"])

                // The outcomes report counts the deletions as the worker judged them (docs/report.md
                // "Admissions and deletions"): one cme-risk, one ehe-consent-required.
                let reporter = OutcomesReporter(config: TestEnvironment.config, database: db.store)
                try await reporter.syncSchools()
                let report = try await reporter.report(year: AcademicYear(startYear: 2026))
                #expect(
                    report.current.figures.rollChanges
                        == RollChangeOutcomes(
                            deletions: 3, deletionsByGround: ["transferred": 1, "elective-home-education": 1, "not-known": 1],
                            cmeRisk: 1, electiveHomeEducation: 1, eheConsentRequired: 1))
                #expect(report.current.byDistrict["Dover"]?.rollChanges.eheConsentRequired == 1)
                #expect(report.current.byDistrict["Thanet"]?.rollChanges.cmeRisk == 1)

                // A later threshold raises a new review, on a new case.
                let later = Events.register(
                    prefix: "later", upn: amended, laestab: ashford.laestab.value, from: Events.date("2026-10-05"),
                    codes: Array(repeating: "U", count: 10) + Array(repeating: "/", count: 2), pupil: nil)
                _ = try await Pipeline.produce(
                    later.map { KafkaProducerMessage(topic: t.attendance, key: Array($0.key.utf8), value: $0.value) })
                let again = try await reader.read("a new review after the withdrawal") { out in
                    out.filter { $0.topic == t.enforcement && $0.type == "enforcement.review.v1" && $0.upn == amended }.count >= 2
                }
                let reviews = again.filter { $0.topic == t.enforcement && $0.type == "enforcement.review.v1" && $0.upn == amended }
                #expect(Set(reviews.compactMap { $0.field("caseId") }).count == 2)
                #expect(
                    try await db.strings("SELECT status FROM enforcement_reviews WHERE upn = '\(amended)' ORDER BY created_at") == [
                        "withdrawn", "open",
                    ])
            }
        }
    }
}
