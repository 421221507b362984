import Foundation
import PropertyBased
import Synchronization
import Testing

@testable import FrontDoorDomain

/// Issue 10: the penalty rules resumed from a ``PenaltyCheckpoint`` decide what the full
/// evaluation from the look-back decides. Random registers (the fold property test's: random
/// codes, amendments, duplicates, out-of-order arrivals, a school move and dual registration,
/// `N`s amended later, a summer into a new academic year) arrive in random batches, under
/// `england-2024` and `kent-2016`, for pupils of and below compulsory school age and
/// looked-after children, with an officer deciding each review raised (a new decision cycle)
/// and sometimes issuing a notice to improve (an improvement period, in some streams longer
/// than a short window). After every batch the
/// resumed evaluation, reading only the marks from the checkpoint's `readFrom`, must give the
/// full evaluation's decision and audit, and a checkpoint equal to the one the full
/// evaluation would leave.
@Suite("Rules: penalty rules resumed from a checkpoint decide what the full evaluation decides")
struct PenaltyCheckpointPropertyTests {
    typealias F = RulesFixtures
    typealias SplitMix = RulesReplayPropertyTests.SplitMix

    /// Mostly present, so that reviews come now and then rather than every few days (the
    /// fold property test's codes raise one every fortnight).
    static let codes = Array(repeating: "/", count: 30) + ["L", "I", "M", "#", "B", "N", "O", "G", "U"]

    /// Counts of the paths one stream took, so the property cannot hold vacuously.
    struct Paths {
        var resumed = 0
        var full = 0
        var triggers = 0
    }

    static func check(seed: Int, days: Int, start: String, kent: Bool, profile: Int) -> Paths {
        let context = F.context {
            if kent { $0.ruleset = .kent2016 }
            if seed % 3 == 0 {
                // A short window and a long improvement period, which starts before the window.
                $0.england2024.windowWeeks = 3
                $0.england2024.unauthorisedSessions = 4
                $0.england2024.improvementPeriodSchoolDays = 60
            }
        }
        var rng = SplitMix(state: UInt64(truncatingIfNeeded: seed) ^ 0x5EED)
        let pupil: PupilProfile =
            switch profile {
            case 0: PupilProfile()
            // Turns five in the stream: below compulsory school age at first.
            case 1: PupilProfile(yearGroup: 0, dateOfBirth: F.date(start).adding(days: 30 - 5 * 365))
            default: PupilProfile(cla: true)
            }
        let events = RulesFoldPropertyTests.stream(seed: seed, days: days, start: start, codes: Self.codes)
        var seen: [MarkEvent] = []
        var decisions: [EnforcementDecision] = []
        var checkpoint: PenaltyCheckpoint?
        var paths = Paths()
        for (k, batch) in RulesFoldPropertyTests.batches(events, seed: seed).enumerated() {
            let latestBefore = seen.map(\.date).max()
            seen += batch
            // The worker skips the pupil-wide rules only for a batch of presence dated after
            // every mark (PupilAttendanceFold.pupilRulesMayChange); so may this test, sometimes.
            let quiet = batch.allSatisfy { m in
                (m.code.category == .present || m.code.category == .attending) && latestBefore.map { m.date > $0 } ?? true
            }
            if quiet && Int.random(in: 0..<2, using: &rng) == 0 { continue }
            let history = EnforcementHistory(decisions: decisions)
            let years = batch.map { AcademicYear(containing: $0.date) }
            guard let earliest = years.min(), let latest = years.max() else { continue }
            let lookback = AttendanceLookback.from(earliest, context: context)
            func read(from: LocalDate) -> (sessions: [CountedMark], pending: Set<MarkSlot>) {
                let marks = AttendanceRules.marksThatCount(seen.filter { $0.date >= from && $0.date <= latest.lastDay })
                return (AttendanceRules.pupilSessions(marks), NGrace.pending(marks, graceDays: context.config.nGraceSchoolDays))
            }
            let all = read(from: lookback)
            let oracle = PenaltyRules.evaluate(
                upn: F.pupil, marks: all.sessions, pupil: pupil, history: history, context: context, pending: all.pending)
            let fresh = PenaltyRules.evaluate(
                upn: F.pupil, marks: all.sessions, pupil: pupil, history: history, context: context, pending: all.pending,
                lookback: lookback, resuming: nil)
            #expect(fresh.assessment == oracle, "after batch \(k): the full evaluation through the new entry point differs")

            let result: (assessment: PenaltyAssessment, checkpoint: PenaltyCheckpoint?)
            let digest = PenaltyCheckpoint.digest(pupil: pupil, history: history, context: context)
            if let c = checkpoint, c.admits(batch, digest: digest, lookback: lookback) {
                paths.resumed += 1
                let part = read(from: c.readFrom)
                result = PenaltyRules.evaluate(
                    upn: F.pupil, marks: part.sessions, pupil: pupil, history: history, context: context, pending: part.pending,
                    lookback: lookback, resuming: c)
                #expect(
                    result.checkpoint?.through ?? c.through >= c.through,
                    "after batch \(k): a checkpoint moved back")
            } else {
                paths.full += 1
                result = fresh
            }
            #expect(result.assessment == oracle, "after batch \(k): \(result.assessment) ≠ \(oracle)")
            if result.checkpoint != nil || fresh.checkpoint != nil, result.assessment == oracle {
                // Resumed or not, the same checkpoint: what it settles does not depend on the path.
                #expect(
                    result.checkpoint?.through == fresh.checkpoint?.through
                        && result.checkpoint?.yearStats == fresh.checkpoint?.yearStats
                        && result.checkpoint?.yearFirstDay == fresh.checkpoint?.yearFirstDay,
                    "after batch \(k): checkpoint \(String(describing: result.checkpoint)) ≠ \(String(describing: fresh.checkpoint))"
                )
                // A resumed read never reaches before the full evaluation's window.
                if let r = result.checkpoint, let f = fresh.checkpoint { #expect(r.readFrom <= f.readFrom || r == f) }
            }
            if result.assessment != oracle { return paths }
            if let c = result.checkpoint {
                // As the store keeps it: the hand-written JSON reads back through Codable.
                #expect((try? JSONDecoder().decode(PenaltyCheckpoint.self, from: Data(c.jsonText.utf8))) == c)
            }
            checkpoint = result.checkpoint
            if let decision = oracle.decision {
                // The officer decides the review: the next cycle counts sessions after the decision.
                paths.triggers += 1
                let caseId: String
                let on: LocalDate
                switch decision {
                case .review(let r): (caseId, on) = (r.caseId, r.windowEnd)
                case .liaisonOfficerTask(let t): (caseId, on) = (t.caseId, LondonDate.of(t.createdAt))
                }
                let kind: DecisionKind = Int.random(in: 0..<3, using: &rng) == 0 ? .noticeToImproveIssued : .noAction
                decisions.append(
                    EnforcementDecision(
                        caseId: caseId, decision: kind, decidedOn: on.adding(days: 1), officerId: "o", parentRef: "p1"))
            }
        }
        return paths
    }

    @Test("penalty checkpoint: a notice to improve decided on a Saturday; its week is read whole (a stream the property found)")
    func noticeOnASaturday() {
        // The resumed read started on the notice's Saturday, so the school week before it was
        // missing from the weeks read, and the review reported 1 school week where the full
        // evaluation reported 6.
        let p = Self.check(seed: 3_633_322_024_750_731_015, days: 41, start: "2027-04-19", kent: false, profile: 0)
        #expect(p.resumed > 0 && p.triggers > 0)
    }

    @Test("penalty checkpoint: resumed from the checkpoint's window, the rules decide what the full evaluation does")
    func resumedEqualsFull() async {
        let totals = Mutex(Paths())
        await propertyCheck(
            count: 150, input: Gen.int(in: 0...Int.max), Gen.int(in: 30...110), Gen.bool, Gen.int(in: 0...2)
        ) { seed, days, kent, profile in
            // Half the streams start in the summer term and run into the next academic year.
            let start = seed % 2 == 0 ? "2026-09-07" : "2027-04-19"
            let p = Self.check(seed: seed, days: days, start: start, kent: kent, profile: profile)
            totals.withLock {
                $0.resumed += p.resumed
                $0.full += p.full
                $0.triggers += p.triggers
            }
        }
        let t = totals.withLock { $0 }
        // The property means something only if both paths ran often and reviews were raised.
        #expect(t.resumed > 100, "resumed \(t.resumed) times, full \(t.full), triggers \(t.triggers)")
        #expect(t.full > 50, "full \(t.full) times")
        #expect(t.triggers > 10, "\(t.triggers) triggers")
    }
}
