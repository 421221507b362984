import Foundation
import Testing

@testable import FrontDoorDomain

@Suite("Rules: CME risk")
struct RulesCMERiskTests {
    typealias F = RulesFixtures

    func evaluate(_ events: [MarkEvent], pupil: PupilProfile = .unknown, cases: [CMECasePeriod] = []) -> CMERiskAssessment {
        CMERiskRule.evaluate(
            upn: F.pupil, marks: F.counted(events), academicYear: F.year2026, pupil: pupil, cmeCases: cases,
            context: F.context())
    }

    @Test("cme risk: 10 consecutive school days all G, N or O raise cme-risk on the 10th day")
    func tenDays() {
        // Five later school days with marks, so the 10th day's N have stood their grace (NGrace).
        let events = F.sessions(["G", "N", "O", "G"] + F.repeated("N", 16) + F.repeated("/", 10))
        let a = evaluate(events)
        #expect(a.notifications.map(\.kind) == [.cmeRisk])
        let n = a.notifications[0]
        #expect(n.createdAt == events[19].time)
        #expect(n.notificationId == StableID.make("cme-risk", F.pupil.value, "2026/27", "1", F.ashfordSchool.value))
        #expect(n.priority == .high)
        #expect(n.reasons.starts(with: ["consecutive-days:10", "since:2026-09-07"]))
        // The 10th day is Friday 18 September; due 5 school days later.
        #expect(n.dueBy == F.date("2026-09-25"))
        #expect(a.runs.first?.thresholdDay == F.date("2026-09-18"))
    }

    @Test("cme risk: 9 consecutive days do not")
    func nineDays() {
        #expect(evaluate(F.sessions(F.repeated("G", 18))).notifications.isEmpty)
    }

    @Test("cme risk: one session with any other code breaks the run (U, present, illness)")
    func brokenRun() {
        for other in ["U", "/", "I"] {
            let events = F.sessions(F.repeated("G", 9) + [other] + F.repeated("G", 10))
            #expect(evaluate(events).notifications.isEmpty, "with \(other)")
        }
    }

    @Test("cme risk: days without marks (a half term) do not break the run; school days are the pupil's marked days")
    func holidayDoesNotBreak() {
        // From Monday 19 October: 5 days, October half term, 5 days.
        let events = F.sessions(F.repeated("G", 20), from: "2026-10-19")
        #expect(events.last?.date == F.date("2026-11-06"))
        #expect(evaluate(events).notifications.count == 1)
    }

    @Test("cme risk: staying in the run does not raise again")
    func staying() {
        let a = evaluate(F.sessions(F.repeated("G", 40)))
        #expect(a.notifications.count == 1)
        #expect(a.runs.first?.days == 20)
        #expect(a.currentRunDays == 20)
    }

    @Test("cme risk: a new run after a break raises again, with the next ordinal")
    func newRun() {
        let events = F.sessions(F.repeated("G", 20) + ["/", "/"] + F.repeated("O", 20))
        let a = evaluate(events)
        #expect(a.notifications.count == 2)
        #expect(
            a.notifications.map(\.notificationId)
                == ["1", "2"].map {
                    StableID.make("cme-risk", F.pupil.value, "2026/27", $0, F.ashfordSchool.value)
                })
        #expect(a.notifications[1].createdAt == events.last!.time)
    }

    @Test("cme risk: not raised while a CME case is open for the pupil")
    func openCase() {
        let events = F.sessions(F.repeated("G", 20))
        let a = evaluate(events, cases: [CMECasePeriod(opened: F.date("2026-09-10"))])
        #expect(a.notifications.isEmpty)
        #expect(a.runs.first?.suppressedByOpenCase == true)
        #expect(a.audit.map(\.decision) == ["suppressed-open-cme-case"])
        // A case already resolved before the run reached 10 days does not suppress it.
        let closed = evaluate(events, cases: [CMECasePeriod(opened: F.date("2026-09-01"), resolved: F.date("2026-09-04"))])
        #expect(closed.notifications.count == 1)
    }

    @Test("cme risk per enrolment (domain.md): another school's mark on a day neither breaks nor makes the run")
    func twoSchools() {
        // Before issue 9 a present mark at a second school broke the run; runs are now per
        // enrolment, so the Ashford run raises, naming Ashford, and Dover has no run.
        var events = F.sessions(F.repeated("G", 20))
        events.append(F.mark(events[10].date, .am, "/", school: F.doverSchool))
        let a = evaluate(events)
        #expect(a.notifications.map(\.laestab) == [F.ashfordSchool])
    }

    @Test("cme risk: a looked-after child's cme-risk is urgent")
    func urgentForCLA() {
        #expect(evaluate(F.sessions(F.repeated("G", 20)), pupil: PupilProfile(cla: true)).notifications[0].priority == .urgent)
    }
}
