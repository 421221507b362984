import Foundation
import Testing

@testable import FrontDoorDomain

@Suite("Rules: persistent and severe absence transitions")
struct RulesAbsenceTransitionTests {
    typealias F = RulesFixtures
    static let fsm = PupilProfile(fsm: true)

    func assess(
        _ events: [MarkEvent], pupil: PupilProfile = fsm, upn: UPN = F.pupil,
        configure: (inout RulesConfig) -> Void = { _ in }
    ) -> AttendanceAssessment {
        AttendanceRules.assess(
            upn: upn, marks: F.counted(events), academicYear: F.year2026, pupil: pupil, context: F.context(configure))
    }

    @Test("minimum sessions: nothing is judged at the 19th possible session")
    func nineteen() {
        let a = assess(F.sessions(F.repeated("G", 19)))
        #expect(!a.isJudged)
        #expect(!a.isSeverelyAbsent && !a.isPersistentlyAbsent)
        #expect(a.notifications.isEmpty)
        #expect(a.episodes.isEmpty)
    }

    @Test("minimum sessions: the 20th possible session is judged, and the entry is dated by it")
    func twentieth() {
        let events = F.sessions(F.repeated("G", 20))
        let a = assess(events)
        #expect(a.isJudged && a.isSeverelyAbsent && a.isPersistentlyAbsent)
        #expect(Set(a.notifications.map(\.kind)) == [.severeAbsence, .persistentAbsence])
        #expect(a.notifications.allSatisfy { $0.createdAt == events[19].time })
        #expect(a.episodes.allSatisfy { $0.entered.eventId == events[19].id })
    }

    @Test("minimum sessions: configured to 21, the 20th is not judged and the 21st is")
    func twentyFirst() {
        let events = F.sessions(F.repeated("G", 21))
        let at20 = assess(Array(events.prefix(20))) { $0.minimumPossibleSessions = 21 }
        #expect(at20.notifications.isEmpty)
        let at21 = assess(events) { $0.minimumPossibleSessions = 21 }
        #expect(at21.notifications.count == 2)
        #expect(at21.notifications.allSatisfy { $0.createdAt == events[20].time })
    }

    @Test("minimum sessions: not-counted sessions are not possible sessions")
    func notCountedDoNotCount() {
        let a = assess(F.sessions(F.repeated("G", 19) + ["X", "#"]))
        #expect(a.statistics.possible == 19)
        #expect(a.notifications.isEmpty)
    }

    @Test("persistent absence: exactly 90.0% attendance is persistent absence")
    func exactlyNinety() {
        let a = assess(F.sessions(F.repeated("/", 18) + ["G", "G"]))
        #expect(a.statistics.attendancePct == 90.0)
        #expect(a.isPersistentlyAbsent)
        #expect(!a.isSeverelyAbsent)
        let n = a.notifications
        #expect(n.map(\.kind) == [.persistentAbsence])
        #expect(n.first?.reasons.contains("attendance-pct:90.0") == true)
        #expect(n.first?.reasons.contains("fsm") == true)
    }

    @Test("persistent absence: 90.5% is not persistent absence; 86.4% at the 22nd session is")
    func aboveNinety() {
        let events = F.sessions(F.repeated("/", 19) + ["G", "G", "G"])
        let at21 = assess(Array(events.prefix(21)))
        #expect(at21.statistics.attendance == SessionShare(part: 19, whole: 21))
        #expect(!at21.isPersistentlyAbsent)
        #expect(at21.notifications.isEmpty)
        let at22 = assess(events)
        #expect(at22.notifications.map(\.kind) == [.persistentAbsence])
        #expect(at22.notifications[0].createdAt == events[21].time)
    }

    @Test("persistent absence: raised only for a vulnerable pupil (FSM, SEN support, EHCP, looked after)")
    func vulnerableOnly() {
        let events = F.sessions(F.repeated("/", 18) + ["G", "G"])
        #expect(assess(events, pupil: .unknown).notifications.isEmpty)
        #expect(assess(events, pupil: .unknown).episodes.map(\.kind) == [.persistent])
        for p in [
            PupilProfile(fsm: true), PupilProfile(sen: .senSupport), PupilProfile(sen: .ehcPlan), PupilProfile(cla: true),
        ] {
            #expect(assess(events, pupil: p).notifications.map(\.kind) == [.persistentAbsence])
        }
        #expect(assess(events, pupil: PupilProfile(sen: .senSupport)).notifications[0].priority == .normal)
        #expect(assess(events, pupil: PupilProfile(fsm: true)).notifications[0].priority == .high)
    }

    @Test("severe absence: exactly 50.0% attendance is severe absence, for any pupil")
    func exactlyFifty() {
        let a = assess(F.sessions(F.repeated("/", 10) + F.repeated("G", 10)), pupil: .unknown)
        #expect(a.isSeverelyAbsent)
        #expect(a.notifications.map(\.kind) == [.severeAbsence])
        #expect(a.notifications[0].priority == .high)
        #expect(a.notifications[0].reasons.starts(with: ["attendance-pct:50.0", "absence-pct:50.0", "possible-sessions:20"]))
    }

    @Test("severe absence: 51% is not severe absence")
    func fiftyOne() {
        let a = assess(F.sessions(F.repeated("/", 11) + F.repeated("G", 10)), pupil: .unknown)
        #expect(!a.isSeverelyAbsent)
        #expect(a.notifications.isEmpty)
    }

    @Test("transitions: staying severely absent does not notify again")
    func staying() {
        let a = assess(F.sessions(F.repeated("G", 40)), pupil: .unknown)
        #expect(a.notifications.count == 1)
        #expect(a.episodes.filter { $0.kind == .severe }.count == 1)
    }

    @Test("transitions: leaving and re-entering severe absence notifies again, with a new stable id (no cool-down)")
    func reEntering() {
        // 20 G → severe at 20; 21 present → 21/41 leaves; one G → 21/42 = 50.0% re-enters.
        // The re-entry is the same day as the exit: with the default cool-down (10 school
        // days, AbsenceReentry) it would not notify; this test checks the re-entry itself.
        let events = F.sessions(F.repeated("G", 20) + F.repeated("/", 21) + ["G", "G"])
        let a = assess(events, pupil: .unknown) { $0.reentryCooldownSchoolDays = 0 }
        let severe = a.episodes.filter { $0.kind == .severe }
        #expect(severe.map(\.ordinal) == [1, 2])
        #expect(severe[0].left?.eventId == events[40].id)
        #expect(severe[1].entered.eventId == events[41].id)
        #expect(a.notifications.count == 2)
        #expect(Set(a.notifications.map(\.notificationId)).count == 2)
        #expect(a.notifications[1].reasons.contains("attendance-pct:50.0"))
        #expect(a.notifications[1].createdAt == events[41].time)
        #expect(
            a.notifications.map(\.notificationId)
                == [1, 2].map {
                    StableID.make("severe-absence", F.pupil.value, "2026/27", String($0), F.ashfordSchool.value)
                })
        // Both on the pupil's one severe-absence case for the year.
        #expect(Set(a.notifications.map(\.caseId)).count == 1)
        #expect(a.audit.contains { $0.decision == "left" && $0.rule == "severe-absence" })
    }

    @Test("transitions: an amendment that moves the entry keeps the notification id")
    func amendmentKeepsId() {
        let base = F.sessions(F.repeated("/", 18) + ["G", "G"])
        let first = assess(base).notifications
        // The 20th session's G is amended to present; two later G take the pupil to 19/22.
        let amended = F.mark(base[19].date, base[19].session, "/", at: base[19].time.addingTimeInterval(86_400))
        let later = F.sessions(["G", "G"], from: "2026-09-21")
        let second = assess(base + [amended] + later).notifications
        #expect(first.count == 1 && second.count == 1)
        #expect(first[0].notificationId == second[0].notificationId)
        #expect(first[0].createdAt != second[0].createdAt)
    }

    @Test("notification: routed to the unit of the school's district, due 10 school days later")
    func routingAndDue() {
        let events = F.sessions(F.repeated("G", 20), school: F.doverSchool)
        let n = assess(events, pupil: .unknown).notifications[0]
        #expect(n.unitId == "dover" && n.district == "Dover")
        #expect(n.laestab == F.doverSchool)
        #expect(n.upn == F.pupil)
        // 20 sessions end on Friday 18 September; 10 school days later is Friday 2 October.
        #expect(events[19].date == F.date("2026-09-18"))
        #expect(n.dueBy == F.date("2026-10-02"))
        #expect(n.caseId == NotificationDecisions.pupilCaseId(.severeAbsence, upn: F.pupil, academicYear: F.year2026))
        let unknown = assess(F.sessions(F.repeated("G", 20), school: F.unknownSchool), pupil: .unknown).notifications[0]
        #expect(unknown.unitId == "county-duty" && unknown.district == "unassigned")
    }

    @Test("notification: a register recorded late is due 10 school days after it was recorded")
    func lateRecording() {
        var events = F.sessions(F.repeated("G", 20))
        events[19].time = F.instant(F.date("2026-10-05"), hour: 16)
        let n = assess(events, pupil: .unknown).notifications[0]
        #expect(n.dueBy == F.date("2026-10-19"))
    }

    @Test("audit: every notification has an audit entry with its figures")
    func audit() {
        let a = assess(F.sessions(F.repeated("G", 20)))
        #expect(a.audit.filter { $0.decision == "notify" }.count == a.notifications.count)
        let severe = a.audit.first { $0.rule == "severe-absence" }!
        #expect(severe.figures["attendance-pct"] == "0.0")
        #expect(severe.figures["possible"] == "20")
        #expect(severe.caseId == a.notifications.first { $0.kind == .severeAbsence }!.caseId)
    }
}
