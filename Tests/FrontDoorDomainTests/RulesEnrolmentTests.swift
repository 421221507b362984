import Foundation
import Testing

@testable import FrontDoorDomain

/// Issue 9 items 3 and 4: enrolments, roll changes, `N` grace, the PA/SA re-entry cool-down
/// and review withdrawal (domain.md "Attendance rules"; events.md `roll.change.v1`,
/// `enforcement.review-withdrawn.v1`).
@Suite("Rules: enrolments, roll changes, N grace, re-entry and withdrawals (domain.md, Attendance rules)")
struct RulesEnrolmentTests {
    typealias F = RulesFixtures

    static let pru = try! LAESTAB(validating: "8861100")
    static let special = try! LAESTAB(validating: "8867050")

    /// The fixtures' schools plus a PRU and a special school.
    static func context(_ configure: (inout RulesConfig) -> Void = { _ in }) -> RuleContext {
        var config = RulesConfig.defaults
        configure(&config)
        let schools = SchoolRegister(schools: [
            School(laestab: F.ashfordSchool, name: "Goat Lees Primary School", phase: .primary, district: "Ashford"),
            School(laestab: F.doverSchool, name: "Dover Grammar", phase: .secondary, district: "Dover"),
            School(laestab: pru, name: "Ashford PRU", phase: .pru, district: "Ashford"),
            School(laestab: special, name: "Dover Special School", phase: .special, district: "Dover"),
        ])
        return RuleContext(config: config, calendar: F.calendar2026, schools: schools, units: F.units)
    }

    func evaluate(
        _ events: [MarkEvent], pupil: PupilProfile = .unknown, history: EnforcementHistory = .none,
        cases: [CMECasePeriod] = [], configure: (inout RulesConfig) -> Void = { _ in }
    ) -> PupilAttendanceDecisions {
        AttendanceRules.evaluate(
            upn: F.pupil, events: events, academicYear: F.year2026, pupil: pupil, cmeCases: cases, enforcement: history,
            context: Self.context(configure))
    }

    func review(_ a: PenaltyAssessment) -> EnforcementReview? {
        if case .review(let r) = a.decision { return r }
        return nil
    }

    static func deletion(
        _ school: LAESTAB, on day: String, ground: DeletionGround, at: Date? = nil, id: String = "del"
    ) -> RollFact {
        RollFact(
            eventId: id, time: at ?? F.instant(F.date(day), hour: 16), upn: F.pupil, laestab: school, change: .deleted,
            effectiveDate: F.date(day), ground: ground)
    }

    static func admission(_ school: LAESTAB, on day: String, at: Date? = nil, id: String = "adm") -> RollFact {
        RollFact(
            eventId: id, time: at ?? F.instant(F.date(day), hour: 8), upn: F.pupil, laestab: school, change: .admitted,
            effectiveDate: F.date(day))
    }

    // MARK: Enrolments

    @Test("enrolments: a child who moves school mid-week, the old school marking N until deletion, is not absent and gets no review")
    func moverMidWeek() {
        // Eight U at Ashford from 7 September to Friday 9 October, present on Monday and
        // Tuesday 12-13 October; from Wednesday 14th the child attends Dover, while Ashford
        // marks N on Wednesday to Friday (its deletion is dated Friday 16th).
        let early = F.sessions(F.repeated("U", 8) + F.repeated("/", 46), from: "2026-09-07")
        #expect(early.last?.date == F.date("2026-10-13"))
        let days = F.schoolDays(from: "2026-10-14", count: 3)
        let oldSchool = days.flatMap { d in Session.allCases.map { F.mark(d, $0, "N") } }
        let newSchool = F.schoolDays(from: "2026-10-14", count: 20).flatMap { d in
            Session.allCases.map { F.mark(d, $0, "/", school: F.doverSchool) }
        }
        let a = evaluate(early + oldSchool + newSchool)
        // Ashford's last N never stand 5 later Ashford days (it deleted the child), so they
        // never count; and even without the grace the england-2024 window counts each
        // session once, and the child was present at Dover: 8 unauthorised sessions, not 14.
        #expect(a.penalty.decision == nil)
        let noGrace = evaluate(early + oldSchool + newSchool) { $0.nGraceSchoolDays = 0 }
        #expect(noGrace.penalty.decision == nil)
        let sessions = AttendanceRules.pupilSessions(a.marks)
        #expect(sessions.filter { $0.category == .unauthorised }.count == 8)
        #expect(sessions.filter { days.contains($0.date) }.allSatisfy { $0.laestab == F.doverSchool })
        // Counted at both schools, 14 unauthorised sessions within 10 weeks would raise one.
        let doubled = PenaltyRules.evaluate(
            upn: F.pupil, marks: a.marks, pupil: .unknown, history: .none, context: Self.context { $0.nGraceSchoolDays = 0 })
        #expect(review(doubled)?.unauthorisedSessions == 10)
        // Statistics per enrolment: each school's possible sessions are its own.
        #expect(a.absence.enrolmentStatistics[Enrolment(upn: F.pupil, laestab: F.doverSchool)]?.possible == 40)
        #expect(a.absence.enrolmentStatistics[Enrolment(upn: F.pupil, laestab: F.ashfordSchool)]?.possible == 60)
        #expect(a.cmeRisk.notifications.isEmpty)
    }

    @Test("enrolments: a dual-registered child at a PRU absent for 10 days raises cme-risk naming the PRU; the main school's D is not absence")
    func dualRegisteredAtPRU() {
        let days = F.schoolDays(from: "2026-09-07", count: 10)
        let main = days.flatMap { d in Session.allCases.map { F.mark(d, $0, "D") } }
        let pru = days.flatMap { d in Session.allCases.map { F.mark(d, $0, "O", school: Self.pru) } }
        let a = evaluate(main + pru)
        #expect(a.cmeRisk.notifications.map(\.laestab) == [Self.pru])
        #expect(
            a.cmeRisk.notifications.first?.notificationId
                == StableID.make("cme-risk", F.pupil.value, "2026/27", "1", Self.pru.value))
        // D at the main school is not a possible session; the PRU's O are the absences.
        let mainStats = a.absence.enrolmentStatistics[Enrolment(upn: F.pupil, laestab: F.ashfordSchool)]
        #expect(mainStats?.possible == 0 && mainStats?.notCounted == 20)
        let sessions = AttendanceRules.pupilSessions(a.marks)
        #expect(sessions.count == 20 && sessions.allSatisfy { $0.laestab == Self.pru })
        // 20 unauthorised sessions once each: an england-2024 review at the PRU.
        #expect(review(a.penalty)?.laestab == Self.pru)
        #expect(review(a.penalty)?.unauthorisedSessions == 10)
        // Severe absence is judged at the PRU only (20 possible sessions, all absent).
        #expect(a.absence.notifications.map(\.laestab) == [Self.pru])
    }

    @Test("cme risk: another school's D does not break a run, and a run continues across the summer holiday")
    func runAcrossDAndSummer() {
        // Five July days of G (2025/26), the summer holiday, five September days of G.
        let july = (13...17).flatMap { d in
            Session.allCases.map { F.mark(F.date("2026-07-\(d)"), $0, "G") }
        }
        let september = F.schoolDays(from: "2026-09-07", count: 5).flatMap { d in
            Session.allCases.map { F.mark(d, $0, "G") }
        }
        // The other school marks D on two of the days.
        let other = [F.mark(F.date("2026-07-15"), .am, "D", school: F.doverSchool), F.mark(F.date("2026-09-08"), .am, "D", school: F.doverSchool)]
        let a = evaluate(july + september + other)
        #expect(a.cmeRisk.runs.map(\.firstDay) == [F.date("2026-07-13")])
        #expect(a.cmeRisk.runs.first?.thresholdDay == F.date("2026-09-11"))
        #expect(a.cmeRisk.notifications.count == 1)
        // The run reached its threshold in 2026/27: 2025/26 has none.
        let previous = AttendanceRules.evaluate(
            upn: F.pupil, events: july + september + other, academicYear: AcademicYear(startYear: 2025), pupil: .unknown,
            context: Self.context())
        #expect(previous.cmeRisk.runs.isEmpty)
    }

    // MARK: N grace

    @Test("N grace: an N counts towards CME risk only once 5 later school days of that enrolment have marks, still N")
    func nGraceCME() {
        let ten = F.sessions(F.repeated("N", 20))
        #expect(evaluate(ten).cmeRisk.notifications.isEmpty, "the 10th day's N are in grace")
        let four = ten + F.sessions(F.repeated("/", 8), from: "2026-09-21")
        #expect(evaluate(four).cmeRisk.notifications.isEmpty, "4 later days: still in grace")
        let five = ten + F.sessions(F.repeated("/", 10), from: "2026-09-21")
        let n = evaluate(five).cmeRisk.notifications
        #expect(n.count == 1)
        // createdAt is still the 10th day's last mark: when the run was complete.
        #expect(n.first?.createdAt == ten.last?.time)
        // Later marks at another school do not end the grace.
        let elsewhere = ten + F.sessions(F.repeated("/", 10), from: "2026-09-21", school: F.doverSchool)
        #expect(evaluate(elsewhere).cmeRisk.notifications.isEmpty)
        // With nGraceSchoolDays 0 the N counts at once.
        #expect(evaluate(ten) { $0.nGraceSchoolDays = 0 }.cmeRisk.notifications.count == 1)
    }

    @Test("N grace: N sessions inside their grace do not count towards an england-2024 review; amended within it they never do")
    func nGracePenalty() {
        let base = F.sessions(F.repeated("/", 10) + F.repeated("N", 10))
        #expect(evaluate(base).penalty.decision == nil)
        let four = base + F.sessions(F.repeated("/", 8), from: "2026-09-21")
        #expect(evaluate(four).penalty.decision == nil)
        let five = base + F.sessions(F.repeated("/", 10), from: "2026-09-21")
        let r = review(evaluate(five).penalty)
        #expect(r?.unauthorisedSessions == 10)
        #expect(r?.windowEnd == base.last?.date)
        // The school amends the N to I two days later: no review, ever.
        let amended = base.suffix(10).map { F.mark($0.date, $0.session, "I", at: $0.time.addingTimeInterval(2 * 86_400)) }
        #expect(evaluate(five + amended).penalty.decision == nil)
    }

    // MARK: Re-entry cool-down

    @Test("re-entry: a pupil hovering at 90% is notified once, not every time attendance dips back to 90%")
    func hoveringAtNinety() {
        // 18 present + 2 unauthorised = 90% (PA); then alternating present and absent days
        // keep the pupil crossing 90% back and forth.
        var codes = F.repeated("/", 18) + ["U", "U"]
        for _ in 0..<6 { codes += ["/", "/", "/", "/", "U", "U"] }
        let events = F.sessions(codes)
        let fsm = PupilProfile(fsm: true)
        let a = evaluate(events, pupil: fsm)
        let pa = a.absence.notifications.filter { $0.kind == .persistentAbsence }
        #expect(pa.count == 1)
        #expect(a.absence.audit.contains { $0.decision == "reentered-within-cooldown" })
        // Without the cool-down it flaps.
        let flapping = evaluate(events, pupil: fsm) { $0.reentryCooldownSchoolDays = 0 }
        #expect(flapping.absence.notifications.filter { $0.kind == .persistentAbsence }.count > 1)
    }

    @Test("re-entry: out of the state for 9 school days does not notify again, 10 does (reentryCooldownSchoolDays)")
    func cooldownBoundary() {
        let episodes = [
            AbsenceEpisode(
                kind: .severe, ordinal: 1, entered: F.counted(F.sessions(["G"]))[0], attendanceAtEntry: SessionShare(part: 0, whole: 1))
        ]
        let days = F.schoolDays(from: "2026-09-07", count: 12)
        var r = AbsenceReentry(cooldownSchoolDays: 10)
        r.mark(days[0])
        r.left(.severe)  // left on the first day
        for d in days[1...9] { r.mark(d) }
        // Back on the 10th day after: 9 days out, within the cool-down; the episode carries on.
        #expect(r.daysOut(.severe) == 9)
        #expect(r.resumes(.severe, episodes: episodes) == 0)
        #expect(r.resumes(.persistent, episodes: episodes) == nil, "never left persistent absence: a first entry")
        r.mark(days[10])
        #expect(r.daysOut(.severe) == 10)
        #expect(r.resumes(.severe, episodes: episodes) == nil, "10 days out: a new episode, notified")
        // Several marks on one day are one school day.
        r.mark(days[10])
        #expect(r.daysOut(.severe) == 10)
        // Through the rule: back within the cool-down, the same episode and no second notification.
        let quick = evaluate(F.sessions(F.repeated("G", 20) + F.repeated("/", 21) + F.repeated("G", 2)))
        #expect(quick.absence.episodes.filter { $0.kind == .severe }.count == 1)
        #expect(quick.absence.notifications.filter { $0.kind == .severeAbsence }.count == 1)
    }

    // MARK: Roll changes

    @Test("roll changes: a mark after a deletion is not on roll; on the deletion day it is; a readmission puts the pupil back")
    func notOnRoll() {
        let e = Enrolment(upn: F.pupil, laestab: F.ashfordSchool)
        let del = Self.deletion(F.ashfordSchool, on: "2026-10-16", ground: .transferred)
        #expect(RollChangeRules.deletion(before: F.date("2026-10-16"), at: e, facts: [del]) == nil)
        #expect(RollChangeRules.deletion(before: F.date("2026-10-19"), at: e, facts: [del]) == del)
        // Another school's deletion is not this one's.
        #expect(RollChangeRules.deletion(before: F.date("2026-10-19"), at: Enrolment(upn: F.pupil, laestab: F.doverSchool), facts: [del]) == nil)
        let back = Self.admission(F.ashfordSchool, on: "2026-11-02")
        #expect(RollChangeRules.deletion(before: F.date("2026-10-30"), at: e, facts: [del, back]) == del)
        #expect(RollChangeRules.deletion(before: F.date("2026-11-02"), at: e, facts: [del, back]) == nil)
    }

    @Test("roll changes: the current status is the latest effectiveDate, ties the latest time")
    func currentStatus() {
        let e = Enrolment(upn: F.pupil, laestab: F.ashfordSchool)
        let del = Self.deletion(F.ashfordSchool, on: "2026-10-16", ground: .transferred, at: F.instant(F.date("2026-10-20")))
        let sameDayAdmission = Self.admission(F.ashfordSchool, on: "2026-10-16", at: F.instant(F.date("2026-10-21")))
        #expect(RollChangeRules.current([del, sameDayAdmission])[e] == sameDayAdmission)
        let olderAdmission = Self.admission(F.ashfordSchool, on: "2026-09-01", at: F.instant(F.date("2026-11-01")))
        #expect(RollChangeRules.current([del, olderAdmission])[e] == del)
    }

    @Test("roll changes: a deletion on continuous-absence-20-days or not-known without an open CME case raises cme-risk")
    func deletionCMERisk() {
        for ground in [DeletionGround.continuousAbsence20Days, .notKnown] {
            let d = Self.deletion(F.doverSchool, on: "2026-11-13", ground: ground)
            let r = RollChangeRules.evaluate(upn: F.pupil, facts: [d], pupil: .unknown, cmeCases: [], context: Self.context())
            #expect(r.notifications.map(\.kind) == [.cmeRisk])
            #expect(r.notifications.first?.laestab == F.doverSchool)
            #expect(r.notifications.first?.reasons.first == "deleted-from-roll:\(ground.rawValue)")
            let open = RollChangeRules.evaluate(
                upn: F.pupil, facts: [d], pupil: .unknown, cmeCases: [CMECasePeriod(opened: F.date("2026-11-02"))],
                context: Self.context())
            #expect(open.notifications.isEmpty)
            #expect(open.audit.map(\.decision) == ["cme-risk-suppressed-open-cme-case"])
        }
        for ground in [DeletionGround.transferred, .movedAway, .died] {
            let d = Self.deletion(F.doverSchool, on: "2026-11-13", ground: ground)
            #expect(RollChangeRules.evaluate(upn: F.pupil, facts: [d], pupil: .unknown, cmeCases: [], context: Self.context()).notifications.isEmpty)
        }
    }

    @Test("roll changes: elective home education from a special school or on a child-protection plan raises urgent ehe-consent-required")
    func eheConsent() {
        func kinds(_ school: LAESTAB, _ pupil: PupilProfile) -> [EarlyHelpNotification] {
            let d = Self.deletion(school, on: "2026-11-13", ground: .electiveHomeEducation)
            return RollChangeRules.evaluate(upn: F.pupil, facts: [d], pupil: pupil, cmeCases: [], context: Self.context()).notifications
        }
        let special = kinds(Self.special, .unknown)
        #expect(special.map(\.kind) == [.eheConsentRequired])
        #expect(special.first?.priority == .urgent)
        #expect(special.first?.reasons == ["special-school"])
        #expect(special.first?.dueBy == F.date("2026-11-16"))
        let cpp = kinds(F.ashfordSchool, PupilProfile(cpp: true))
        #expect(cpp.map(\.kind) == [.eheConsentRequired] && cpp.first?.reasons == ["child-protection-plan"])
        #expect(kinds(F.ashfordSchool, .unknown).isEmpty, "an ordinary school, no plan: the parent's right to home educate")
        // A deletion later reversed by a readmission raises nothing.
        let d = Self.deletion(Self.special, on: "2026-11-13", ground: .electiveHomeEducation)
        let back = Self.admission(Self.special, on: "2026-11-16")
        #expect(
            RollChangeRules.evaluate(upn: F.pupil, facts: [d, back], pupil: .unknown, cmeCases: [], context: Self.context()).notifications.isEmpty)
    }

    // MARK: Review withdrawal

    @Test("withdrawal: an N amended to I after a review was raised withdraws it; a later threshold raises a new review")
    func nAmendedToI() {
        // 10 N (5 days), then 5 days present: the N have stood their grace and raise a review.
        let base = F.sessions(F.repeated("N", 10) + F.repeated("/", 10))
        let raised = try! #require(review(evaluate(base).penalty))
        #expect(raised.unauthorisedSessions == 10)
        let open = OpenReview(caseId: raised.caseId, upn: F.pupil, laestab: raised.laestab, windowEnd: raised.windowEnd)
        let ctx = Self.context()
        func withdrawal(_ events: [MarkEvent], history: EnforcementHistory = EnforcementHistory(hasOpenReview: true)) -> EnforcementReviewWithdrawal?
        {
            let marks = AttendanceRules.marksThatCount(events)
            return ReviewWithdrawalRule.evaluate(
                review: open, marks: AttendanceRules.pupilSessions(marks), pupil: .unknown, history: history, rollFacts: [],
                pending: NGrace.pending(marks, graceDays: 5), at: F.instant(F.date("2026-09-23")), context: ctx
            ).withdrawal
        }
        #expect(withdrawal(base) == nil, "the basis still stands")
        // The school amends the N to I two days later (after the review).
        let amendedAt = F.instant(F.date("2026-09-23"))
        let amended = base.prefix(10).map { F.mark($0.date, $0.session, "I", at: amendedAt) }
        let w = try! #require(withdrawal(base + amended))
        #expect(w.reason == .amendedBelowThreshold && w.caseId == raised.caseId)
        // Amending only one N leaves 9: still below 10, withdrawn.
        #expect(withdrawal(base + [amended[0]])?.reason == .amendedBelowThreshold)
        // After the withdrawal (the case closed), 10 later unauthorised sessions raise a new review, a new case.
        let later = F.sessions(F.repeated("U", 10) + F.repeated("/", 2), from: "2026-09-28")
        let again = review(
            evaluate(base + amended + later, history: EnforcementHistory(withdrawnReviews: 1)).penalty)
        #expect(again != nil)
        #expect(again?.caseId != raised.caseId)
        #expect(again?.caseId == PenaltyRules.reviewCaseId(.england2024, upn: F.pupil, lastDecisionOn: nil, withdrawnReviews: 1))
        // While the review is open, nothing new is raised.
        #expect(evaluate(base + amended + later, history: EnforcementHistory(hasOpenReview: true)).penalty.decision == nil)
    }

    @Test("withdrawal: reasons left-roll (deleted before the triggering session) and not-compulsory-school-age")
    func withdrawalReasons() {
        let base = F.sessions(F.repeated("U", 10) + F.repeated("/", 10))
        let raised = try! #require(review(evaluate(base).penalty))
        let open = OpenReview(caseId: raised.caseId, upn: F.pupil, laestab: raised.laestab, windowEnd: raised.windowEnd)
        let del = Self.deletion(F.ashfordSchool, on: "2026-09-08", ground: .transferred)
        // The handler drops marks after a deletion; without them there is no threshold.
        let kept = base.filter {
            RollChangeRules.deletion(before: $0.date, at: Enrolment(upn: $0.upn, laestab: $0.laestab), facts: [del]) == nil
        }
        let marks = AttendanceRules.marksThatCount(kept)
        let left = ReviewWithdrawalRule.evaluate(
            review: open, marks: marks, pupil: .unknown, history: .none, rollFacts: [del], pending: [],
            at: F.instant(F.date("2026-09-25")), context: Self.context())
        #expect(left.withdrawal?.reason == .leftRoll)
        // A date of birth sent since shows a Reception child: not of compulsory school age.
        let reception = PupilProfile(yearGroup: 0, dateOfBirth: F.date("2022-03-01"))
        let all = AttendanceRules.marksThatCount(base)
        let age = ReviewWithdrawalRule.evaluate(
            review: open, marks: all, pupil: reception, history: .none, rollFacts: [], pending: [],
            at: F.instant(F.date("2026-09-25")), context: Self.context())
        #expect(age.withdrawal?.reason == .notCompulsorySchoolAge)
        #expect(age.audit.map(\.decision) == ["withdraw-not-compulsory-school-age"])
    }
}
