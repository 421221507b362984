import Foundation
import Testing

@testable import FrontDoorDomain

@Suite("Rules: penalty notice ruleset kent-2016")
struct RulesKent2016Tests {
    typealias F = RulesFixtures

    func evaluate(
        _ events: [MarkEvent], pupil: PupilProfile = .unknown, history: EnforcementHistory = .none,
        configure: (inout RulesConfig) -> Void = { _ in }
    ) -> PenaltyAssessment {
        PenaltyRules.evaluate(
            upn: F.pupil, marks: F.counted(events), pupil: pupil, history: history,
            context: F.context { c in
                c.ruleset = .kent2016
                configure(&c)
            })
    }

    func review(_ a: PenaltyAssessment) -> EnforcementReview? {
        if case .review(let r) = a.decision { return r }
        return nil
    }

    @Test("kent-2016: an unauthorised session taking attendance to 90.0% recommends a penalty notice")
    func atNinety() {
        let events = F.sessions(F.repeated("/", 18) + ["G", "G"])
        let r = review(evaluate(events))
        #expect(r?.basis == .attendanceAtOrBelow90)
        #expect(r?.attendancePct == 90.0)
        #expect(r?.unauthorisedSessions == 2)
        #expect(r?.recommendedAction == .penaltyNotice)
        #expect(r?.amountPence == 16000)
        #expect(r?.ruleset == .kent2016)
        #expect(r?.windowStart == F.date("2026-09-07"))
        #expect(r?.windowEnd == events[19].date)
        #expect(r?.createdAt == events[19].time)
        #expect(r?.laestab == F.ashfordSchool)
        #expect(r?.caseId == PenaltyRules.reviewCaseId(.kent2016, upn: F.pupil, lastDecisionOn: nil))
    }

    @Test("kent-2016: not judged on attendance before the minimum possible sessions")
    func beforeMinimum() {
        #expect(evaluate(F.sessions(F.repeated("G", 19))).decision == nil)
    }

    @Test("kent-2016: an unauthorised session above 90% attendance outside an exam period recommends nothing")
    func aboveNinety() {
        #expect(evaluate(F.sessions(F.repeated("/", 19) + ["G"])).decision == nil)
    }

    @Test("kent-2016: authorised absence at 90% or below recommends nothing")
    func authorisedOnly() {
        #expect(evaluate(F.sessions(F.repeated("/", 18) + ["I", "I", "M"])).decision == nil)
    }

    @Test("kent-2016: an unauthorised session inside an exam period is an aggravating factor, whatever the attendance")
    func examPeriod() {
        let events = F.sessions(F.repeated("/", 5) + ["O"], from: "2027-05-10")
        let r = review(evaluate(events))
        #expect(r?.basis == .examPeriod)
        #expect(r?.windowEnd == F.date("2027-05-12"))
        let off = evaluate(events) { $0.kent2016.examPeriodAggravates = false }
        #expect(off.decision == nil)
    }

    @Test("kent-2016: one open review per pupil at a time")
    func openReview() {
        let events = F.sessions(F.repeated("/", 18) + ["G", "G", "G"])
        #expect(evaluate(events, history: EnforcementHistory(hasOpenReview: true)).decision == nil)
    }

    @Test("kent-2016: after a decision only later unauthorised sessions raise a new review, with a new case id")
    func afterDecision() {
        let events = F.sessions(F.repeated("/", 18) + ["G", "G"])
        let decided = EnforcementDecision(
            caseId: "r1", decision: .noAction, decidedOn: events[19].date, officerId: "o1", parentRef: "p1")
        let history = EnforcementHistory(decisions: [decided])
        #expect(evaluate(events, history: history).decision == nil)
        let later = events + F.sessions(["G"], from: "2026-09-21")
        let r = review(evaluate(later, history: history))
        #expect(r?.windowEnd == F.date("2026-09-21"))
        #expect(r?.caseId == PenaltyRules.reviewCaseId(.kent2016, upn: F.pupil, lastDecisionOn: events[19].date))
        #expect(r?.caseId != PenaltyRules.reviewCaseId(.kent2016, upn: F.pupil, lastDecisionOn: nil))
    }

    @Test("kent-2016: never a review for a looked-after child: a task for the School Liaison Officer instead")
    func lookedAfter() {
        let a = evaluate(F.sessions(F.repeated("/", 18) + ["G", "G"]), pupil: PupilProfile(cla: true))
        guard case .liaisonOfficerTask(let task) = a.decision else {
            Issue.record("expected a School Liaison Officer task, got \(String(describing: a.decision))")
            return
        }
        #expect(task.role == .schoolLiaisonOfficer)
        #expect(task.kind == "penalty-review-looked-after-child")
        #expect(task.reasons.contains("cla"))
        #expect(a.audit.map(\.decision) == ["task-school-liaison-officer-looked-after-child"])
    }
}

@Suite("Rules: penalty notice ruleset england-2024")
struct RulesEngland2024Tests {
    typealias F = RulesFixtures

    func context() -> RuleContext { F.context { $0.ruleset = .england2024 } }

    /// One Monday per school week from 7 September 2026 (October half term skipped): AM is
    /// `code` (`O`, unauthorised; `G` is term-time leave) in the weeks listed (1-based),
    /// present otherwise; PM present.
    func weeks(_ count: Int, unauthorisedIn: Set<Int>, code: String = "O") -> [MarkEvent] {
        var events: [MarkEvent] = []
        var monday = F.date("2026-09-07")
        var week = 0
        while week < count {
            if F.calendar2026.isSchoolDay(monday) {
                week += 1
                events.append(F.mark(monday, .am, unauthorisedIn.contains(week) ? code : "/"))
                events.append(F.mark(monday, .pm, "/"))
            }
            monday = monday.adding(days: 7)
        }
        return events
    }

    func evaluate(
        _ events: [MarkEvent], pupil: PupilProfile = .unknown, history: EnforcementHistory = .none
    )
        -> PenaltyAssessment
    {
        PenaltyRules.evaluate(upn: F.pupil, marks: F.counted(events), pupil: pupil, history: history, context: context())
    }

    func review(_ a: PenaltyAssessment) -> EnforcementReview? {
        if case .review(let r) = a.decision { return r }
        return nil
    }

    @Test("england-2024: the 10th unauthorised session inside 10 school weeks recommends a review")
    func tenthInside() {
        let events = weeks(10, unauthorisedIn: Set(1...10))
        let r = review(evaluate(events))
        #expect(r?.basis == .tenUnauthorisedSessions)
        #expect(r?.unauthorisedSessions == 10)
        #expect(r?.windowStart == F.date("2026-09-07"))
        // Ten school weeks span eleven calendar weeks: the October half term has no sessions.
        #expect(r?.windowEnd == F.date("2026-11-16"))
        #expect(r?.recommendedAction == .noticeToImprove)
        #expect(r?.amountPence == nil)
        #expect(r?.priorNoticesIn3Years == 0)
        #expect(r?.createdAt == events.first { $0.date == F.date("2026-11-16") && $0.session == .am }!.time)
    }

    @Test("england-2024: the 10th unauthorised session outside the 10-week window recommends nothing")
    func tenthOutside() {
        // Week 1, then weeks 3–11: at the 10th, the window (weeks 2–11) holds 9.
        let events = weeks(11, unauthorisedIn: Set([1] + Array(3...11)))
        #expect(evaluate(events).decision == nil)
        // One more in week 12 makes 10 within weeks 3–12.
        let more = weeks(12, unauthorisedIn: Set([1] + Array(3...12)))
        let r = review(evaluate(more))
        #expect(r?.unauthorisedSessions == 10)
        #expect(r?.windowStart == F.date("2026-09-21"))
    }

    @Test("england-2024: 9 unauthorised sessions recommend nothing")
    func nine() {
        #expect(evaluate(weeks(10, unauthorisedIn: Set(1...9))).decision == nil)
    }

    @Test("england-2024: only unauthorised sessions after the last decision count")
    func afterDecision() {
        let events = weeks(10, unauthorisedIn: Set(1...10))
        let decision = EnforcementDecision(
            caseId: "r0", decision: .noAction, decidedOn: F.date("2026-09-08"), officerId: "o", parentRef: "p1")
        #expect(evaluate(events, history: EnforcementHistory(decisions: [decision])).decision == nil)
    }

    @Test("england-2024: a looked-after child gets a School Liaison Officer task, not a review")
    func lookedAfter() {
        let a = evaluate(weeks(10, unauthorisedIn: Set(1...10)), pupil: PupilProfile(cla: true))
        guard case .liaisonOfficerTask = a.decision else {
            Issue.record("expected a task")
            return
        }
    }

    // MARK: prior notices

    let on = F.date("2026-11-16")

    func decision(_ kind: DecisionKind, _ date: String, parent: String = "parent-a", caseId: String = "case") -> EnforcementDecision {
        EnforcementDecision(caseId: caseId, decision: kind, decidedOn: F.date(date), officerId: "o", parentRef: parent)
    }

    func recommend(_ decisions: [EnforcementDecision]) -> PenaltyRecommendation {
        PenaltyRules.recommendation(decisions: decisions, on: on, context: context())
    }

    @Test("england-2024: no prior notice → notice to improve first")
    func noneGivesNTI() {
        let r = recommend([decision(.noAction, "2026-01-10")])
        #expect(r.action == .noticeToImprove && r.amountPence == nil && r.priorNoticesIn3Years == 0)
    }

    @Test("england-2024: a notice to improve already issued and no penalty since → penalty notice £80")
    func afterNTI() {
        let r = recommend([decision(.noticeToImproveIssued, "2026-06-01")])
        #expect(r.action == .penaltyNotice && r.amountPence == 8000)
        // A penalty notice after the notice to improve: that is one prior notice (£160).
        let r2 = recommend([decision(.noticeToImproveIssued, "2025-06-01"), decision(.penaltyNoticeIssued, "2025-09-01")])
        #expect(r2.action == .penaltyNotice && r2.amountPence == 16000 && r2.priorNoticesIn3Years == 1)
    }

    @Test("england-2024: one prior penalty notice → penalty notice £160")
    func oneNotice() {
        let r = recommend([decision(.penaltyNoticeIssued, "2025-01-10", caseId: "c1")])
        #expect(r.action == .penaltyNotice && r.amountPence == 16000)
        #expect(r.priorNotices == [PriorNotice(parentRef: "parent-a", decidedOn: F.date("2025-01-10"), caseId: "c1")])
    }

    @Test("england-2024: two prior penalty notices → consider prosecution, no third notice")
    func twoNotices() {
        let r = recommend([decision(.penaltyNoticeIssued, "2024-12-01"), decision(.penaltyNoticeIssued, "2025-06-01")])
        #expect(r.action == .considerProsecution && r.amountPence == nil && r.priorNoticesIn3Years == 2)
    }

    @Test("england-2024: prior notices count within 3 years: the same day 3 years before counts, the day before does not")
    func lookback() {
        // (On 16 November 2026 three years back is before the framework: see `beforeFramework`.)
        func count(_ date: String) -> Int {
            PenaltyRules.recommendation(
                decisions: [decision(.penaltyNoticeIssued, date)], on: F.date("2027-11-16"), context: context()
            ).priorNoticesIn3Years
        }
        #expect(count("2024-11-16") == 1)
        #expect(count("2024-11-15") == 0)
        #expect(count("2027-11-17") == 0)
    }

    @Test("england-2024: notices before 2024-08-19 are not counted, from the first notice issued under the framework")
    func beforeFramework() {
        #expect(recommend([decision(.penaltyNoticeIssued, "2024-08-16")]).priorNoticesIn3Years == 0)
        #expect(recommend([decision(.penaltyNoticeIssued, "2024-08-16")]).action == .noticeToImprove)
        #expect(recommend([decision(.penaltyNoticeIssued, "2024-08-19")]).priorNoticesIn3Years == 1)
        let r = recommend([
            decision(.penaltyNoticeIssued, "2024-07-01", caseId: "old-1"), decision(.penaltyNoticeIssued, "2024-08-19", caseId: "new-1"),
        ])
        #expect(r.action == .penaltyNotice && r.amountPence == 16000)
        #expect(r.priorNotices.map(\.caseId) == ["new-1"])
    }

    @Test("england-2024: a withdrawn notice (penalty-notice-withdrawn on its case, for its parent) does not count")
    func withdrawnNotice() {
        let issued = decision(.penaltyNoticeIssued, "2025-01-10", caseId: "c1")
        let withdrawn = decision(.penaltyNoticeWithdrawn, "2025-02-03", caseId: "c1")
        let r = recommend([issued, withdrawn])
        #expect(r.priorNoticesIn3Years == 0 && r.priorNotices == [] && r.action == .noticeToImprove)
        // Two notices, one withdrawn: one prior notice, so a second notice rather than prosecution.
        let two = recommend([issued, decision(.penaltyNoticeIssued, "2025-06-01", caseId: "c2"), withdrawn])
        #expect(two.action == .penaltyNotice && two.amountPence == 16000 && two.priorNoticesIn3Years == 1)
        // A withdrawal for another parent, or on another case, withdraws nothing.
        #expect(recommend([issued, decision(.penaltyNoticeWithdrawn, "2025-02-03", parent: "parent-b", caseId: "c1")]).priorNoticesIn3Years == 1)
        #expect(recommend([issued, decision(.penaltyNoticeWithdrawn, "2025-02-03", caseId: "c9")]).priorNoticesIn3Years == 1)
        // Withdrawing decides nothing about later sessions: the decision cycle stays the notice's.
        #expect(EnforcementHistory(decisions: [issued, withdrawn]).lastDecisionOn == F.date("2025-01-10"))
        // On the review: no prior notice listed.
        let onReview = review(evaluate(weeks(10, unauthorisedIn: Set(1...10)), history: EnforcementHistory(decisions: [issued, withdrawn])))
        #expect(onReview?.recommendedAction == .noticeToImprove && onReview?.priorNotices == [])
    }

    // MARK: support first only where support is appropriate

    @Test("england-2024: 10 sessions all G (term-time leave): penalty notice, not a notice to improve")
    func termTimeLeaveOnly() {
        let r = review(evaluate(weeks(10, unauthorisedIn: Set(1...10), code: "G")))
        #expect(r?.recommendedAction == .penaltyNotice)
        #expect(r?.amountPence == 8000)
        #expect(r?.priorNoticesIn3Years == 0)
        #expect(r?.reasons == ["term-time-leave-only", "compulsory-school-age-assumed"])
        // One of the 10 not G (an O amended in): support first, as usual.
        let mixed = weeks(10, unauthorisedIn: Set(1...10), code: "G") + [F.mark(F.date("2026-09-07"), .am, "O", at: F.instant(F.date("2026-09-08")))]
        let m = review(evaluate(mixed))
        #expect(m?.recommendedAction == .noticeToImprove && m?.amountPence == nil)
        #expect(m?.reasons == ["compulsory-school-age-assumed"])
        // With a prior notice the action is the prior notice's, and the ground is still stated.
        let prior = EnforcementHistory(decisions: [decision(.penaltyNoticeIssued, "2025-02-01", caseId: "old")])
        let p = review(evaluate(weeks(10, unauthorisedIn: Set(1...10), code: "G"), history: prior))
        #expect(p?.recommendedAction == .penaltyNotice && p?.amountPence == 16000)
        #expect(p?.reasons.first == "term-time-leave-only")
    }

    // MARK: the improvement period

    @Test("england-2024: after a notice to improve, an unauthorised session within 30 school days leads to a penalty notice review at once")
    func improvementPeriod() {
        let nti = F.date("2026-11-16")
        let history = EnforcementHistory(decisions: [decision(.noticeToImproveIssued, "2026-11-16", caseId: "c1")])
        let base = weeks(10, unauthorisedIn: Set(1...10))
        let day30 = F.calendar2026.schoolDay(30, after: nti)
        let r = review(evaluate(base + [F.mark(day30, .am, "U")], history: history))
        #expect(r?.recommendedAction == .penaltyNotice && r?.amountPence == 8000)
        #expect(r?.reasons == ["after-notice-to-improve", "compulsory-school-age-assumed"])
        #expect(r?.unauthorisedSessions == 1)
        #expect(r?.windowStart == nti && r?.windowEnd == day30)
        #expect(r?.caseId == PenaltyRules.reviewCaseId(.england2024, upn: F.pupil, lastDecisionOn: nti))
        // The 31st school day is after the period: one session is no review.
        let day31 = F.calendar2026.schoolDay(31, after: nti)
        #expect(evaluate(base + [F.mark(day31, .am, "U")], history: history).decision == nil)
        // The period is configuration.
        let short = F.context {
            $0.ruleset = .england2024
            $0.england2024.improvementPeriodSchoolDays = 5
        }
        func evaluateShort(_ day: Int) -> PenaltyDecision? {
            PenaltyRules.evaluate(
                upn: F.pupil, marks: F.counted(base + [F.mark(F.calendar2026.schoolDay(day, after: nti), .pm, "G")]),
                pupil: .unknown, history: history, context: short
            ).decision
        }
        #expect(evaluateShort(5) != nil)
        #expect(evaluateShort(6) == nil)
        // A penalty notice issued after the notice to improve ends its period.
        let followed = EnforcementHistory(decisions: history.decisions + [decision(.penaltyNoticeIssued, "2026-11-30", caseId: "c2")])
        let day20 = F.calendar2026.schoolDay(20, after: nti)
        #expect(evaluate(base + [F.mark(day20, .am, "U")], history: followed).decision == nil)
    }

    @Test("england-2024: per parent: one notice each to two parents is one prior notice, and both are listed")
    func perParent() {
        let r = recommend([
            decision(.penaltyNoticeIssued, "2025-03-01", parent: "parent-b", caseId: "c2"),
            decision(.penaltyNoticeIssued, "2025-01-10", parent: "parent-a", caseId: "c1"),
        ])
        #expect(r.action == .penaltyNotice && r.amountPence == 16000)
        #expect(r.priorNoticesIn3Years == 1)
        #expect(r.priorNotices.map(\.parentRef) == ["parent-a", "parent-b"])
        // The recommendation follows the parent with the most notices.
        let r2 = recommend([
            decision(.penaltyNoticeIssued, "2025-03-01", parent: "parent-b"),
            decision(.penaltyNoticeIssued, "2025-05-01", parent: "parent-b"),
            decision(.penaltyNoticeIssued, "2025-01-10", parent: "parent-a"),
        ])
        #expect(r2.action == .considerProsecution && r2.parentRef == "parent-b" && r2.priorNotices.count == 3)
    }

    @Test("england-2024: the review carries the recommendation from the pupil's decisions")
    func endToEnd() {
        let events = weeks(10, unauthorisedIn: Set(1...10))
        let history = EnforcementHistory(decisions: [decision(.penaltyNoticeIssued, "2025-02-01", caseId: "old")])
        let r = review(evaluate(events, history: history))
        #expect(r?.recommendedAction == .penaltyNotice)
        #expect(r?.amountPence == 16000)
        #expect(r?.priorNoticesIn3Years == 1)
        #expect(r?.priorNotices.first?.caseId == "old")
    }
}
