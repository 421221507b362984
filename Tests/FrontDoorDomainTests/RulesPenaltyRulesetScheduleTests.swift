import Foundation
import Testing

@testable import FrontDoorDomain

@Suite("Rules: penalty rulesets by date (domain.md, Penalty notice rulesets: the schedule)")
struct RulesPenaltyRulesetScheduleTests {
    typealias F = RulesFixtures

    /// Evaluated with the default schedule unless `configure` changes it.
    func evaluate(
        _ events: [MarkEvent], pupil: PupilProfile = .unknown, history: EnforcementHistory = .none,
        configure: (inout RulesConfig) -> Void = { _ in }
    ) -> PenaltyAssessment {
        PenaltyRules.evaluate(
            upn: F.pupil, marks: F.counted(events), pupil: pupil, history: history, context: F.context(configure))
    }

    func review(_ a: PenaltyAssessment) -> EnforcementReview? {
        if case .review(let r) = a.decision { return r }
        return nil
    }

    static func pairs(_ first: String, _ second: String, _ days: Int) -> [String] {
        Array(repeating: [first, second], count: days).flatMap { $0 }
    }

    @Test("schedule: by default kent-2016 judges sessions before 19 August 2024 and england-2024 from that day")
    func defaultSchedule() {
        let s = RulesConfig.defaults.penaltyRulesets
        #expect(s == .lawOfEngland)
        #expect(s.ruleset(on: F.date("2016-09-05")) == .kent2016)
        #expect(s.ruleset(on: F.date("2024-08-18")) == .kent2016)
        #expect(s.ruleset(on: F.date("2024-08-19")) == .england2024)
        #expect(s.ruleset(on: F.date("2026-09-07")) == .england2024)
    }

    @Test("schedule: the seed's 2016/17 data still replays under kent-2016")
    func seedYear() {
        let r = review(evaluate(F.sessions(F.repeated("/", 18) + ["G", "G"], from: "2016-09-05")))
        #expect(r?.ruleset == .kent2016)
        #expect(r?.basis == .attendanceAtOrBelow90)
        #expect(r?.caseId == PenaltyRules.reviewCaseId(.kent2016, upn: F.pupil, lastDecisionOn: nil))
    }

    @Test("schedule: a pupil at 89.9% with one U gets a kent-2016 review in 2016/17 and none under england-2024 in 2026/27")
    func eightyNinePointNineWithOneU() {
        // 160 present of 178 possible (17 illness, then the U): 89.89%, shown as 89.9.
        let codes = F.repeated("/", 160) + F.repeated("I", 17) + ["U"]
        let kent = review(evaluate(F.sessions(codes, from: "2016-09-05")))
        #expect(kent?.ruleset == .kent2016)
        #expect(kent?.attendancePct == 89.9)
        #expect(kent?.unauthorisedSessions == 1)
        #expect(kent?.recommendedAction == .penaltyNotice)
        // Today's data is judged by the framework: one unauthorised session is not 10.
        #expect(evaluate(F.sessions(codes, from: "2026-09-07")).decision == nil)
        // The same dates under each ruleset configured alone: it is the ruleset that differs.
        #expect(review(evaluate(F.sessions(codes, from: "2026-09-07")) { $0.ruleset = .kent2016 })?.attendancePct == 89.9)
        #expect(evaluate(F.sessions(codes, from: "2026-09-07")) { $0.ruleset = .england2024 }.decision == nil)
    }

    @Test("schedule: the ruleset switch on 2024-08-19 inside one window: england-2024 counts only sessions from the switch")
    func switchInsideOneWindow() {
        // Spring and summer 2024 present (80 days), 8 U in July; attendance stays above 95%, so
        // kent-2016 raises nothing. Then 2 U on 2 and 3 September 2024.
        let before = F.sessions(F.repeated("/", 160), from: "2024-03-04") + F.sessions(Self.pairs("U", "/", 8), from: "2024-07-01")
        let two = F.sessions(Self.pairs("U", "/", 2), from: "2024-09-02")
        // One 10-school-week window holds all 10 (the summer holiday has no school weeks) …
        let single = review(evaluate(before + two) { $0.ruleset = .england2024 })
        #expect(single?.unauthorisedSessions == 10)
        #expect(single?.windowEnd == F.date("2024-09-03"))
        // … but by the schedule the 8 before the switch do not count.
        #expect(evaluate(before + two).decision == nil)
        // 10 from the switch raise the review; the window is reported from the switch.
        let ten = F.sessions(Self.pairs("U", "/", 10), from: "2024-09-02")
        let r = review(evaluate(before + ten))
        #expect(r?.ruleset == .england2024)
        #expect(r?.unauthorisedSessions == 10)
        #expect(r?.windowStart == F.date("2024-08-19"))
        #expect(r?.windowEnd == F.date("2024-09-13"))
        #expect(r?.caseId == PenaltyRules.reviewCaseId(.england2024, upn: F.pupil, lastDecisionOn: nil))
    }

    @Test("schedule: a review is judged by the ruleset of the session that triggers it (kent-2016 in July 2024)")
    func triggerDecidesTheRuleset() {
        // 90% in July 2024 after 20 sessions: kent-2016 triggers on 12 July, before any england-2024 count.
        let july = F.sessions(F.repeated("/", 18) + ["U", "U"], from: "2024-07-01")
        let september = F.sessions(Self.pairs("U", "/", 10), from: "2024-09-02")
        let r = review(evaluate(july + september))
        #expect(r?.ruleset == .kent2016)
        #expect(r?.windowEnd == F.date("2024-07-12"))
        // Once that review is decided, the September sessions are england-2024's.
        let decided = EnforcementDecision(
            caseId: r?.caseId ?? "", decision: .noAction, decidedOn: F.date("2024-07-19"), officerId: "o", parentRef: "p")
        let next = review(evaluate(july + september, history: EnforcementHistory(decisions: [decided])))
        #expect(next?.ruleset == .england2024)
        #expect(next?.windowEnd == F.date("2024-09-13"))
    }
}
