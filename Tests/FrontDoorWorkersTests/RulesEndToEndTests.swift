import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Synchronization
import Testing

/// Every rule of domain.md, end to end: events produced to the input topics, the three workers,
/// the CME scheduler and the relay running against the real broker and PostgreSQL, and the
/// notifications read back from the output topics. Each pupil is built to trigger exactly one
/// rule, so the test asserts the complete set of notifications, each published once, on the
/// unit of the school's district.
@Suite("Rules end to end")
struct RulesEndToEndTests {
    @Test(.timeLimit(.minutes(4)))
    func everyRuleNotifiesOnceOnTheRightTopic() async throws {
        let pipeline = Pipeline("rules")
        try await pipeline.createTopics()
        let t = pipeline.topics
        let ashford = TestEnvironment.school(in: "Ashford")
        let canterbury = TestEnvironment.school(in: "Canterbury")
        let dover = TestEnvironment.school(in: "Dover")
        let dartford = TestEnvironment.school(in: "Dartford")
        let gravesham = TestEnvironment.school(in: "Gravesham")
        let maidstone = TestEnvironment.school(in: "Maidstone")
        let sevenoaks = TestEnvironment.school(in: "Sevenoaks")
        let swale = TestEnvironment.school(in: "Swale")
        let thanet = TestEnvironment.school(in: "Thanet")
        let start = Events.date("2026-09-07")

        var attendance: [(key: String, value: [UInt8])] = []
        // Severe absence: 8 present then 12 illness; at the 20th possible session attendance is 40%.
        let severe = Events.upn(ashford, serial: 1)
        attendance += Events.register(
            prefix: "severe", upn: severe, laestab: ashford.laestab.value, from: start,
            codes: Array(repeating: "/", count: 8) + Array(repeating: "I", count: 12))
        // Persistent absence of an FSM pupil: 17 of 20 (85%), authorised absence only (no review).
        let persistent = Events.upn(canterbury, serial: 2)
        attendance += Events.register(
            prefix: "persistent", upn: persistent, laestab: canterbury.laestab.value, from: start,
            codes: Array(repeating: "/", count: 17) + Array(repeating: "I", count: 3), pupil: Events.Pupil(fsm: true))
        // CME risk: 92 days present, then 10 days of G/N/O only, then 5 days present (so the
        // 10th day's N has stood its 5-day grace, domain.md "N grace"). 194 of 214 sessions is
        // 90.7%: not persistently absent, so no Early Help rule but CME risk fires. Its 20
        // unauthorised sessions in two weeks are also an england-2024 penalty review.
        let missing = Events.upn(dover, serial: 3)
        attendance += Events.register(
            prefix: "missing", upn: missing, laestab: dover.laestab.value, from: start,
            codes: Array(repeating: "/", count: 184) + (0..<20).map { ["G", "N", "O"][$0 % 3] }
                + Array(repeating: "/", count: 10))
        // england-2024 (the shipped schedule's ruleset for 2026/27): 10 unauthorised sessions within
        // 10 school weeks, at 75%: a review, not an Early Help notification (not vulnerable).
        let truant = Events.upn(dartford, serial: 4)
        attendance += Events.register(
            prefix: "truant", upn: truant, laestab: dartford.laestab.value, from: start,
            codes: Array(repeating: "/", count: 20) + Array(repeating: ["O", "/"], count: 10).flatMap { $0 })

        // Permanent exclusion from Monday 2 Nov 2026 (after half term): due the 6th school day, Monday 9 Nov.
        let excluded = Events.upn(gravesham, serial: 5)
        let permanent = Events.permanentExclusion(
            id: "px-1", exclusionId: "EX-PX-1", upn: excluded, laestab: gravesham.laestab.value,
            start: Events.date("2026-11-02"), time: Events.time(Events.date("2026-10-23"), 15), pupil: Events.Pupil())
        // A suspension of a pupil with an EHC plan.
        let ehcp = Events.upn(maidstone, serial: 6)
        let ehcpSuspension = Events.suspension(
            id: "sus-ehcp", exclusionId: "EX-E-1", upn: ehcp, laestab: maidstone.laestab.value,
            start: Events.date("2026-10-05"), sessions: 2, time: Events.time(Events.date("2026-10-02"), 15),
            pupil: Events.Pupil(sen: "E"))
        // Three suspensions in the year (the configured count).
        let repeated = Events.upn(sevenoaks, serial: 7)
        let suspensions = ["2026-09-14", "2026-09-21", "2026-09-28"].enumerated().map { i, day in
            Events.suspension(
                id: "sus-rep-\(i)", exclusionId: "EX-R-\(i)", upn: repeated, laestab: sevenoaks.laestab.value,
                start: Events.date(day), sessions: 2, time: Events.time(Events.date(day).adding(days: -3), 15),
                pupil: Events.Pupil())
        }

        // A CME referral received 1 Oct (due the 10th school day after, 15 Oct), a second one for the
        // same child, and one received 19 Oct that is not overdue on "today", 20 Oct.
        let cmeChild = Events.upn(swale, serial: 8)
        let cme1 = Events.referral(
            referralId: "DFD-CME-1", reason: "cme", upn: cmeChild, laestab: swale.laestab.value, givenName: "Alex",
            familyName: "Example", dateOfBirth: "2014-05-02", time: Events.time(Events.date("2026-10-01"), 9))
        let cme2 = Events.referral(
            referralId: "DFD-CME-2", reason: "cme", upn: cmeChild, laestab: swale.laestab.value, givenName: "Alex",
            familyName: "Example", dateOfBirth: "2014-05-02", time: Events.time(Events.date("2026-10-02"), 9), referrer: "police")
        let recentChild = Events.upn(thanet, serial: 9)
        let cme3 = Events.referral(
            referralId: "DFD-CME-3", reason: "cme", upn: recentChild, laestab: thanet.laestab.value, givenName: "Sam",
            familyName: "Sample", dateOfBirth: "2013-02-03", time: Events.time(Events.date("2026-10-19"), 9))
        // A CME referral resolved (child found) two days later: its case is closed. (Received 12 Oct,
        // it is not due before "today" either, so the scheduler cannot race the resolution.)
        let tunbridge = TestEnvironment.school(in: "Tunbridge Wells")
        let foundChild = Events.upn(tunbridge, serial: 10)
        let cme4 = Events.referral(
            referralId: "DFD-CME-4", reason: "cme", upn: foundChild, laestab: tunbridge.laestab.value, givenName: "Jo",
            familyName: "Found", dateOfBirth: "2012-09-09", time: Events.time(Events.date("2026-10-12"), 9))
        let resolved = Events.json(
            Events.envelope(
                id: "DFD-CME-4-resolved", source: "urn:frontdoor:agency:digital-front-door", type: "referral.resolved.v1",
                time: Events.time(Events.date("2026-10-14"), 16), subject: nil,
                data: ["referralId": "DFD-CME-4", "outcome": "returned-to-school", "resolvedOn": "2026-10-14"]))
        // A resolution and a rescission of things frontdoor never received.
        let unknownResolution = Events.json(
            Events.envelope(
                id: "DFD-NONE-resolved", source: "urn:frontdoor:agency:digital-front-door", type: "referral.resolved.v1",
                time: Events.time(Events.date("2026-10-08"), 16), subject: nil,
                data: ["referralId": "DFD-NONE", "outcome": "no-further-action", "resolvedOn": "2026-10-08"]))
        let unknownRescission = Events.json(
            Events.envelope(
                id: "rescind-none", source: "urn:laestab:\(gravesham.laestab.value)", type: "exclusion.rescinded.v1",
                time: Events.time(Events.date("2026-10-20"), 11), subject: excluded,
                data: [
                    "exclusionId": "EX-NONE", "laestab": gravesham.laestab.value, "upn": excluded,
                    "outcome": "withdrawn-by-headteacher", "effectiveDate": "2026-10-20",
                ]))
        // A decision on a case frontdoor never raised.
        let unknownDecision = Events.decision(
            id: "decision-unknown", caseId: "no-such-case", decision: "no-action", decidedOn: Events.date("2026-10-30"),
            time: Events.time(Events.date("2026-10-30"), 12))

        var messages = attendance.map { KafkaProducerMessage(topic: t.attendance, key: Array($0.key.utf8), value: $0.value) }
        messages += ([permanent, ehcpSuspension] + suspensions).enumerated().map { i, v in
            let key = i == 0 ? excluded : i == 1 ? ehcp : repeated
            return KafkaProducerMessage(topic: t.exclusions, key: Array(key.utf8), value: v)
        }
        messages += zip(
            ["DFD-CME-1", "DFD-CME-2", "DFD-CME-3", "DFD-CME-4", "DFD-CME-4", "DFD-NONE"],
            [cme1, cme2, cme3, cme4, resolved, unknownResolution]
        ).map { KafkaProducerMessage(topic: t.referrals, key: Array($0.0.utf8), value: $0.1) }
        messages.append(KafkaProducerMessage(topic: t.exclusions, key: Array(excluded.utf8), value: unknownRescission))
        messages.append(KafkaProducerMessage(topic: t.decisions, key: Array("no-such-case".utf8), value: unknownDecision))

        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url, extra: ["FRONTDOOR_TODAY": "2026-10-20"])
            let reader = try OutputReader(topics: pipeline.notificationTopics + pipeline.dlqTopics)
            defer { Task { await reader.close() } }
            try await InProcessWorkers.with(
                [.attendance, .exclusions, .referrals], scheduler: true, database: db.store, settings: settings
            ) { _ in
                var reports = try await Pipeline.produce(messages)

                // The review reaches the enforcement team; an officer decides on it.
                let review = try await reader.read("the england-2024 review", quiet: .zero) { out in
                    out.contains { $0.topic == t.enforcement && $0.upn == truant }
                }.first { $0.topic == t.enforcement && $0.upn == truant }!
                let caseId = try #require(review.field("caseId"))
                let decision = Events.decision(
                    id: "decision-1", caseId: caseId, decision: "penalty-notice-issued",
                    decidedOn: Events.date("2026-10-30"), time: Events.time(Events.date("2026-10-30"), 12))
                reports += try await Pipeline.produce([
                    KafkaProducerMessage(topic: t.decisions, key: Array(caseId.utf8), value: decision)
                ])

                let ends = Pipeline.endOffsets(reports)
                for kind in WorkerKind.allCases {
                    let topics: Set<String> =
                        switch kind {
                        case .attendance: [t.attendance, t.decisions]
                        case .exclusions: [t.exclusions]
                        case .referrals: [t.referrals]
                        }
                    try await pipeline.waitUntilConsumed(db, worker: kind.rawValue, ends: ends.filter { topics.contains($0.key.topic) })
                }
                // The scheduler raises cme-overdue on its own clock.
                try await eventually("cme-overdue in the outbox", timeout: .seconds(30)) {
                    let n = try await db.int("SELECT count(*) FROM outbox WHERE headers->>'frontdoor-kind' = 'cme-overdue'")
                    return (n >= 1, n)
                }
                try await pipeline.waitUntilRelayed(db)
            }

            // What was published, read until the ten notifications and the dead letter are there.
            let expected: Set<Expected> = [
                Expected(TestEnvironment.unit(of: ashford), "severe-absence", severe),
                Expected(TestEnvironment.unit(of: canterbury), "persistent-absence", persistent),
                Expected(TestEnvironment.unit(of: dover), "cme-risk", missing),
                Expected(nil, "enforcement-review", truant),
                Expected(nil, "enforcement-review", missing),
                Expected(TestEnvironment.unit(of: gravesham), "permanent-exclusion", excluded),
                Expected(TestEnvironment.unit(of: maidstone), "vulnerable-exclusion", ehcp),
                Expected(TestEnvironment.unit(of: sevenoaks), "suspensions-threshold", repeated),
                Expected(TestEnvironment.unit(of: swale), "cme-referral", cmeChild),
                Expected(TestEnvironment.unit(of: swale), "cme-overdue", cmeChild),
                Expected(TestEnvironment.unit(of: thanet), "cme-referral", recentChild),
                Expected(TestEnvironment.unit(of: tunbridge), "cme-referral", foundChild),
            ]
            let out = try await reader.read("\(expected.count) notifications and three dead letters", quiet: .seconds(2)) { out in
                out.filter { pipeline.notificationTopics.contains($0.topic) }.count >= expected.count
                    && out.filter { pipeline.dlqTopics.contains($0.topic) }.count >= 3
            }
            let notifications = out.filter { pipeline.notificationTopics.contains($0.topic) }
            let published = Set(
                notifications.map { n in
                    Expected(n.topic == t.enforcement ? nil : n.field("unitId"), n.kind, n.upn ?? "")
                })
            #expect(published == expected, "missing \(expected.subtracting(published)); unexpected \(published.subtracting(expected))")
            #expect(notifications.countsById.values.allSatisfy { $0 == 1 }, "each notification once: \(notifications.countsById)")
            for n in notifications where n.topic != t.enforcement {
                #expect(n.topic == t.earlyHelp(unit: n.field("unitId") ?? "?"), "\(n.kind) on its unit's topic, not \(n.topic)")
            }
            #expect(try await db.int("SELECT count(*) FROM outbox") == expected.count)

            // Details the rules fix.
            let px = try #require(notifications.first { $0.kind == "permanent-exclusion" })
            #expect(px.field("dueBy") == "2026-11-09", "due the 6th school day of the exclusion")
            #expect(px.field("priority") == "high")
            #expect(px.field("district") == "Gravesham")
            let review = try #require(notifications.first { $0.topic == t.enforcement && $0.upn == truant })
            #expect(review.type == "enforcement.review.v1")
            #expect(review.field("ruleset") == "england-2024")
            #expect(review.field("basis") == "ten-unauthorised-sessions")
            #expect(review.field("recommendedAction") == "notice-to-improve")
            #expect(try #require(notifications.first { $0.kind == "vulnerable-exclusion" }).field("priority") == "high")
            #expect(try #require(notifications.first { $0.kind == "severe-absence" }).field("district") == "Ashford")

            // The decision closed the review, and raised no new one.
            let caseId = try #require(review.field("caseId"))
            #expect(try await db.strings("SELECT status FROM enforcement_reviews WHERE case_id = '\(caseId)'") == ["decided"])
            #expect(try await db.int("SELECT count(*) FROM enforcement_decisions WHERE case_id = '\(caseId)'") == 1)
            #expect(try await db.int("SELECT count(*) FROM enforcement_reviews") == 2)  // the truant's and the missing child's

            // The decision on an unknown case, and the resolution and rescission of unknown
            // things, went to their topics' DLQs.
            let dead = out.filter { pipeline.dlqTopics.contains($0.topic) }
            #expect(dead.count == 3)
            for (topic, code, value) in [
                (t.decisions, "unknown-case", unknownDecision), (t.referrals, "unknown-referral", unknownResolution),
                (t.exclusions, "unknown-exclusion", unknownRescission),
            ] {
                let d = out.on(t.dlq(of: topic))
                #expect(d.count == 1 && d.first?.header("frontdoor-error-code") == code, "\(code) on \(topic).dlq")
                #expect(d.first?.message.value == value)
            }

            // The CME referral opened one case with a School Liaison Officer task; the second joined it.
            let cases = try await db.strings("SELECT case_id FROM cases WHERE kind = 'cme' AND upn = '\(cmeChild)'")
            #expect(cases.count == 1)
            #expect(try await db.strings("SELECT DISTINCT case_id FROM referrals WHERE upn = '\(cmeChild)'") == cases)
            #expect(try await db.int("SELECT count(*) FROM referrals WHERE upn = '\(cmeChild)'") == 2)
            #expect(
                try await db.strings("SELECT role FROM officer_tasks WHERE case_id = '\(cases.first ?? "")'")
                    == ["school-liaison-officer"])
            #expect(try await db.int("SELECT count(*) FROM cases WHERE overdue_notified") == 1)
            // The resolution closed the referral's case.
            #expect(
                try await db.strings("SELECT concat_ws(' ', status, closed_on, outcome) FROM cases WHERE upn = '\(foundChild)'")
                    == ["closed 2026-10-14 returned-to-school"])
        }
    }

    struct Expected: Hashable, CustomStringConvertible {
        var unit: String?
        var kind: String
        var upn: String
        init(_ unit: String?, _ kind: String, _ upn: String) {
            self.unit = unit
            self.kind = kind
            self.upn = upn
        }
        var description: String { "\(kind)@\(unit ?? "enforcement")/\(upn)" }
    }
}
