import Foundation
import Testing

@testable import FrontDoorDomain

@Suite("Rules: exclusions")
struct RulesExclusionTests {
    typealias F = RulesFixtures

    /// A suspension noticed at 08:00 on its start date (or on `notice`).
    func suspension(
        _ id: String, _ start: String, sessions: Int, notice: String? = nil, rescinded: Bool = false
    ) -> ExclusionFact {
        ExclusionFact(
            exclusionId: id, laestab: F.ashfordSchool, upn: F.pupil, category: .suspension, startDate: F.date(start),
            sessions: sessions, reason: .persistentDisruptiveBehaviour,
            issuedAt: F.instant(F.date(notice ?? start), hour: 8),
            rescinded: rescinded
                ? .init(outcome: .withdrawnByHeadteacher, effectiveDate: F.date(start)) : nil)
    }

    func permanent(_ id: String, _ start: String, notice: String? = nil) -> ExclusionFact {
        ExclusionFact(
            exclusionId: id, laestab: F.doverSchool, upn: F.pupil, category: .permanent, startDate: F.date(start),
            sessions: 0, reason: .physicalAssaultAdult, issuedAt: F.instant(F.date(notice ?? start), hour: 8))
    }

    func assess(_ xs: [ExclusionFact], pupil: PupilProfile = .unknown, configure: (inout RulesConfig) -> Void = { _ in })
        -> ExclusionAssessment
    {
        ExclusionRules.assess(
            upn: F.pupil, exclusions: xs, academicYear: F.year2026, pupil: pupil, context: F.context(configure))
    }

    func ids(_ a: ExclusionAssessment) -> Set<String> { Set(a.notifications.map(\.notificationId)) }
    let countId = NotificationDecisions.notificationId(.suspensionsThreshold, key: [RulesFixtures.pupil.value, "2026/27", "count"])
    let capId = NotificationDecisions.notificationId(.suspensionsThreshold, key: [RulesFixtures.pupil.value, "2026/27", "cap"])

    // MARK: 45-day cap

    /// Two suspensions of 44 school days in all (count threshold raised out of the way).
    var fortyFourDays: [ExclusionFact] {
        [suspension("s1", "2026-09-07", sessions: 40), suspension("s2", "2026-11-02", sessions: 48)]
    }

    @Test("45-day cap: the suspension that brings the year to the 45th day raises suspensions-threshold, no breach")
    func fortyFifthDay() {
        let a44 = assess(fortyFourDays) { $0.suspensionCountThreshold = 99 }
        #expect(a44.notifications.isEmpty)
        #expect(a44.suspensionDaysDisplay == "44")
        let a45 = assess(fortyFourDays + [suspension("s3", "2027-01-11", sessions: 2)]) { $0.suspensionCountThreshold = 99 }
        #expect(a45.suspensionSessions == 90)
        #expect(ids(a45) == [capId])
        #expect(a45.statutoryBreaches.isEmpty)
        let n = a45.notifications[0]
        #expect(n.kind == .suspensionsThreshold && n.priority == .high)
        #expect(n.reasons.contains("suspension-days:45"))
    }

    @Test("45-day cap: a suspension taking the year to a 46th day is flagged as a statutory breach")
    func fortySixthDay() {
        let xs = fortyFourDays + [suspension("s3", "2027-01-11", sessions: 2), suspension("s4", "2027-01-18", sessions: 2)]
        let a = assess(xs) { $0.suspensionCountThreshold = 99 }
        #expect(a.statutoryBreaches.map(\.exclusionId) == ["s4"])
        let breach = a.notifications.first { $0.reasons.contains("statutory-breach") }
        #expect(breach?.priority == .urgent)
        #expect(breach?.notificationId == NotificationDecisions.notificationId(
            .suspensionsThreshold, key: [F.pupil.value, "2026/27", "breach", F.ashfordSchool.value, "s4"]))
        #expect(a.notifications.count == 2)  // cap reached (s3), breach (s4)
    }

    @Test("45-day cap: one suspension jumping past 45 days both reaches the cap and is a breach")
    func jumpPast() {
        let a = assess(fortyFourDays + [suspension("s3", "2027-01-11", sessions: 4)]) { $0.suspensionCountThreshold = 99 }
        #expect(a.statutoryBreaches.map(\.exclusionId) == ["s3"])
        #expect(ids(a).contains(capId))
        #expect(a.notifications.count == 2)
    }

    @Test("45-day cap: a half-day (lunchtime) session counts as half a day")
    func halfDays() {
        let xs = fortyFourDays + [suspension("s3", "2027-01-11", sessions: 1)]
        let a = assess(xs) { $0.suspensionCountThreshold = 99 }
        #expect(a.suspensionDaysDisplay == "44.5")
        #expect(a.notifications.isEmpty)
    }

    // MARK: repeated suspensions

    @Test("repeated suspensions: the 3rd suspension in the year raises suspensions-threshold once")
    func third() {
        let two = [suspension("a", "2026-09-07", sessions: 2), suspension("b", "2026-09-14", sessions: 2)]
        #expect(assess(two).notifications.isEmpty)
        let three = two + [suspension("c", "2026-09-21", sessions: 2)]
        let a = assess(three)
        #expect(ids(a) == [countId])
        #expect(a.notifications[0].reasons.starts(with: ["suspensions:3", "suspension-days:3"]))
        #expect(a.notifications[0].createdAt == three[2].issuedAt)
        let four = three + [suspension("d", "2026-09-28", sessions: 2)]
        #expect(ids(assess(four)) == [countId])
    }

    @Test("repeated suspensions: the count is configuration")
    func configuredCount() {
        let two = [suspension("a", "2026-09-07", sessions: 2), suspension("b", "2026-09-14", sessions: 2)]
        #expect(ids(assess(two) { $0.suspensionCountThreshold = 2 }) == [countId])
    }

    @Test("rescinded exclusions stay on record but out of every figure and rule")
    func rescinded() {
        let xs = [
            suspension("a", "2026-09-07", sessions: 2), suspension("b", "2026-09-14", sessions: 2, rescinded: true),
            suspension("c", "2026-09-21", sessions: 2),
        ]
        let a = assess(xs, pupil: PupilProfile(sen: .ehcPlan))
        #expect(a.suspensions == 2 && a.suspensionSessions == 4)
        #expect(a.rescinded.map(\.exclusionId) == ["b"])
        #expect(!ids(a).contains(countId))
        // No vulnerable-exclusion for the rescinded one.
        #expect(a.notifications.filter { $0.kind == .vulnerableExclusion }.count == 2)
        #expect(a.audit.contains { $0.decision == "rescinded-excluded-from-figures" })
    }

    // MARK: governing board review

    @Test("governing board review: a permanent exclusion is due within 15 school days, across the October half term")
    func permanentReviewDue() {
        let a = assess([permanent("px", "2026-10-19", notice: "2026-10-16")])
        #expect(a.boardReviews.count == 1)
        let r = a.boardReviews[0]
        #expect(r.grounds == [.permanentExclusion])
        #expect(r.noticeDate == F.date("2026-10-16"))
        // 5 days to 23 Oct, half term 26–30 Oct, 10 more to 13 Nov (6 Nov without the half term).
        #expect(r.dueBy == F.date("2026-11-13"))
    }

    @Test("governing board review: the suspension taking the term over 15 school days needs one; the next term starts again")
    func overFifteenInTerm() {
        let xs = [
            suspension("a", "2026-09-07", sessions: 20), suspension("b", "2026-10-05", sessions: 10),
            suspension("c", "2026-11-02", sessions: 2), suspension("d", "2027-01-11", sessions: 2),
        ]
        let a = assess(xs)
        #expect(a.boardReviews.map(\.exclusionId) == ["c"])
        #expect(a.boardReviews[0].grounds == [.moreThan15DaysInTerm])
        #expect(a.boardReviews[0].dueBy == F.calendar2026.schoolDay(15, after: F.date("2026-11-02")))
        // Exactly 15 days in the term is not "more than 15".
        #expect(assess(Array(xs.prefix(2))).boardReviews.isEmpty)
    }

    @Test("governing board review: a suspension during which a public exam would be missed")
    func examMissed() {
        // Friday 7 May 2027, 4 sessions: 7 May and Monday 10 May, the first exam day.
        let into = assess([suspension("e", "2027-05-07", sessions: 4)])
        #expect(into.boardReviews.first?.grounds == [.publicExamMissed])
        let before = assess([suspension("f", "2027-05-06", sessions: 2)])
        #expect(before.boardReviews.isEmpty)
    }

    @Test("suspension days: N sessions cover ceil(N/2) school days from the start date, skipping holidays")
    func daysCovered() {
        let s = suspension("x", "2026-10-22", sessions: 5)
        #expect(ExclusionRules.daysCovered(by: s, calendar: F.calendar2026).map(\.description) == [
            "2026-10-22", "2026-10-23", "2026-11-02",
        ])
    }

    // MARK: permanent exclusion

    @Test("permanent exclusion: permanent-exclusion notification, high, due on the 6th school day of the exclusion")
    func permanentNotification() {
        let a = assess([permanent("px", "2026-11-02")])
        let n = a.notifications.first { $0.kind == .permanentExclusion }
        #expect(n?.priority == .high)
        #expect(n?.dueBy == F.date("2026-11-09"))  // Mon 2 Nov is day 1; Mon 9 Nov is day 6
        #expect(n?.unitId == "dover" && n?.laestab == F.doverSchool)
        #expect(a.permanentExclusions == 1)
    }

    @Test("permanent exclusion: the 6th school day skips the half term")
    func permanentAcrossHalfTerm() {
        let n = assess([permanent("px", "2026-10-23")]).notifications[0]
        // Fri 23 Oct is day 1; 2, 3, 4, 5 Nov are days 2–5; Fri 6 Nov is day 6.
        #expect(n.dueBy == F.date("2026-11-06"))
    }

    @Test("permanent exclusion: urgent when the pupil has an EHC plan or is looked after")
    func permanentUrgent() {
        for p in [PupilProfile(sen: .ehcPlan), PupilProfile(cla: true)] {
            #expect(assess([permanent("px", "2026-11-02")], pupil: p).notifications[0].priority == .urgent)
        }
        #expect(assess([permanent("px", "2026-11-02")], pupil: PupilProfile(fsm: true)).notifications[0].priority == .high)
    }

    // MARK: vulnerable suspension

    @Test("vulnerable suspension: any suspension of a pupil with an EHC plan or looked after raises vulnerable-exclusion")
    func vulnerable() {
        let s = [suspension("a", "2026-09-07", sessions: 1)]
        for p in [PupilProfile(sen: .ehcPlan), PupilProfile(cla: true)] {
            let n = assess(s, pupil: p).notifications
            #expect(n.map(\.kind) == [.vulnerableExclusion])
            #expect(n[0].notificationId == NotificationDecisions.notificationId(.vulnerableExclusion, key: [F.ashfordSchool.value, "a"]))
        }
        for p in [PupilProfile.unknown, PupilProfile(fsm: true), PupilProfile(sen: .senSupport)] {
            #expect(assess(s, pupil: p).notifications.isEmpty)
        }
    }

    @Test("exclusions of another academic year are not counted")
    func otherYear() {
        let xs = [
            suspension("a", "2026-07-06", sessions: 2), suspension("b", "2026-09-07", sessions: 2),
            suspension("c", "2026-09-14", sessions: 2),
        ]
        #expect(assess(xs).suspensions == 2)
        #expect(assess(xs).notifications.isEmpty)
    }

    @Test("exclusion records build from the decoded events")
    func fromEvents() {
        let issued = ExclusionIssued(
            exclusionId: "x1", upn: F.pupil, laestab: F.ashfordSchool, category: .suspension,
            startDate: F.date("2026-09-07"), sessions: 3, reason: .bullying)
        let rescinded = ExclusionRescinded(
            exclusionId: "x1", laestab: F.ashfordSchool, upn: F.pupil, outcome: .reinstatedByGovernors,
            effectiveDate: F.date("2026-09-10"))
        let r = ExclusionFact(issued: issued, issuedAt: F.instant(F.date("2026-09-04")), rescinded: rescinded)
        #expect(r.schoolDays == 2 && !r.isActive && r.noticeDate == F.date("2026-09-04"))
    }
}
