import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Synchronization
import Testing

/// Amendments resolved by `time` whatever the arrival order, and re-sent events with no second
/// effect, on the same partition or another one (architecture.md, "Idempotent by event
/// identity"; events.md, "Amendments"). The same events are run twice, each through its own
/// topics, workers and database: once cleanly (in time order, each once) and once scrambled
/// (amendments first, every event of a pupil and a referral sent again on the same partition and
/// on another one); both must leave the same facts, figures, notifications and audit trail.
@Suite("Amendments and duplicates")
struct AmendmentsAndDuplicatesTests {
    @Test(.timeLimit(.minutes(4)))
    func scrambledDuplicatedFeedEndsAsTheCleanOne() async throws {
        let school = TestEnvironment.school(in: "Folkestone and Hythe")
        let laestab = school.laestab.value
        let start = Events.date("2026-09-07")

        // Pupil 1: 30 sessions present, then two N later amended to I, then one slot with two
        // events at the same instant (the larger id, an I, counts). No rule fires on any prefix.
        let amended = Events.upn(school, serial: 21)
        let days = Events.markDays(from: start, count: 20)
        let present = Events.register(
            prefix: "p1", upn: amended, laestab: laestab, from: start, codes: Array(repeating: "/", count: 30))
        let nDay = days[15]  // sessions 31 and 32
        let originals = ["AM", "PM"].map { s in
            Events.mark(id: "p1-n-\(s)", upn: amended, laestab: laestab, date: nDay, session: s, code: "N")
        }
        let amendments = ["AM", "PM"].map { s in
            Events.mark(
                id: "p1-amend-\(s)", upn: amended, laestab: laestab, date: nDay, session: s, code: "I",
                time: Events.time(days[17], 16))
        }
        let tieTime = Events.time(days[16], 9, 30)
        let tieA = Events.mark(id: "p1-tie-a", upn: amended, laestab: laestab, date: days[16], session: "AM", code: "O", time: tieTime)
        let tieB = Events.mark(id: "p1-tie-b", upn: amended, laestab: laestab, date: days[16], session: "AM", code: "I", time: tieTime)

        // Pupil 2: severely absent (8 of 20 sessions), every event sent three times.
        let severe = Events.upn(school, serial: 22)
        let severeMarks = Events.register(
            prefix: "p2", upn: severe, laestab: laestab, from: start,
            codes: Array(repeating: "/", count: 8) + Array(repeating: "I", count: 12))
        // A referral and its resolution, sent again.
        let referral = Events.referral(
            referralId: "DFD-DUP-1", reason: "attendance-concern", upn: severe, laestab: laestab, givenName: "Kim",
            familyName: "Test", dateOfBirth: "2013-06-07", time: Events.time(Events.date("2026-10-05"), 10))
        let resolution = Events.json(
            Events.envelope(
                id: "DFD-DUP-1-resolved", source: "urn:frontdoor:agency:digital-front-door", type: "referral.resolved.v1",
                time: Events.time(Events.date("2026-10-09"), 16), subject: nil,
                data: ["referralId": "DFD-DUP-1", "outcome": "no-further-action", "resolvedOn": "2026-10-09"]))

        @Sendable func attendance(_ p: Pipeline, _ value: [UInt8], key: String, partition: Int32? = nil) -> KafkaProducerMessage {
            KafkaProducerMessage(topic: p.topics.attendance, partition: partition, key: Array(key.utf8), value: value)
        }
        @Sendable func referralMessages(_ p: Pipeline, partition: Int32? = nil) -> [KafkaProducerMessage] {
            [referral, resolution].map {
                KafkaProducerMessage(topic: p.topics.referrals, partition: partition, key: Array("DFD-DUP-1".utf8), value: $0)
            }
        }

        let clean = Pipeline("amend-clean")
        let scrambled = clean.sibling("amend-scrambled")
        async let cleanRun = clean.run([.attendance, .referrals]) { p, _ in
            var m = present.map { attendance(p, $0.value, key: amended) }
            m += (originals + [tieA, tieB] + amendments).map { attendance(p, $0, key: amended) }
            m += severeMarks.map { attendance(p, $0.value, key: severe) }
            m += referralMessages(p)
            return try await Pipeline.produce(m)
        }
        async let scrambledRun = scrambled.run([.attendance, .referrals]) { p, db in
            // Amendments and the winning tie first, then the originals; pupil 2's marks twice in a
            // row on their partition (duplicates within a batch).
            var m = (amendments + [tieB]).map { attendance(p, $0, key: amended) }
            m += present.map { attendance(p, $0.value, key: amended) }
            m += (originals + [tieA]).map { attendance(p, $0, key: amended) }
            m += severeMarks.map { attendance(p, $0.value, key: severe) }
            m += referralMessages(p)
            var reports = try await Pipeline.produce(m)
            let p2Partition = reports[m.firstIndex { $0.value == severeMarks[0].value }!].partition
            let refPartition = reports.last!.partition
            reports += try await Pipeline.produce(severeMarks.map { attendance(p, $0.value, key: severe, partition: p2Partition) })
            // Once all that is processed, everything again in later batches: pupil 2 on another
            // partition, the referral and its resolution on theirs, the referral on another one
            // too (a resolution there could be read before the referral it resolves and be
            // rejected as unknown-referral: right, but racy), an amendment on two partitions.
            let ends = Pipeline.endOffsets(reports)
            for kind in [WorkerKind.attendance, .referrals] {
                try await p.waitUntilConsumed(db, worker: kind.rawValue, ends: ends.filter { p.inputs(of: kind).contains($0.key.topic) })
            }
            let other = { (x: Int32) in (x + 1) % Int32(p.inputPartitions) }
            var again = severeMarks.map { attendance(p, $0.value, key: severe, partition: other(p2Partition)) }
            again += referralMessages(p, partition: refPartition)
            again.append(referralMessages(p, partition: other(refPartition))[0])
            again.append(attendance(p, amendments[0], key: amended, partition: 0))
            again.append(attendance(p, amendments[0], key: amended, partition: 1))
            reports += try await Pipeline.produce(again)
            return reports
        }
        let (expected, actual) = try await (cleanRun, scrambledRun)

        #expect(
            actual.totals == expected.totals,
            "scrambled \(actual.totals) vs clean \(expected.totals): \(actual.totals.difference(from: expected.totals))")
        // The same figures as worked out by hand.
        let year = "2026/27"
        #expect(actual.totals.yearAttendance.contains("\(amended) \(year) 33 30 0 3 0 0"), "\(actual.totals.yearAttendance)")
        #expect(actual.totals.yearAttendance.contains("\(severe) \(year) 20 8 0 12 0 0"), "\(actual.totals.yearAttendance)")
        #expect(actual.totals.attendanceMarks == 30 + 2 + 2 + 2 + 20)
        #expect(actual.totals.marksThatCount.filter { $0.hasPrefix(amended) && $0.hasSuffix(" I") }.count == 3)
        #expect(actual.totals.notifications.map { $0.split(separator: " ")[0] }.sorted() == ["referral-triaged", "severe-absence"])
        #expect(actual.totals.cases.count == 1 && actual.totals.referrals == 1)
        #expect(actual.totals.cases.first?.contains(" closed ") == true, "\(actual.totals.cases)")
        #expect(actual.totals.audit.filter { $0.hasPrefix("referral-resolution") }.count == 1, "the resolution audited once")
        #expect(actual.stats[.attendance]?.duplicates == 2 * severeMarks.count + 2)
        #expect(actual.stats[.referrals]?.duplicates == 3)
        // Published once each.
        let notifications = actual.published.filter { scrambled.notificationTopics.contains($0.topic) }
        #expect(notifications.count == 2 && notifications.countsById.values.allSatisfy { $0 == 1 }, "\(notifications.countsById)")
    }
}
