import Foundation
import Testing

@testable import FrontDoorDomain

@Suite("Rules: exclusions")
struct RulesExclusionTests {
    typealias F = RulesFixtures

    /// A suspension noticed at 08:00 on its start date (or on `notice`).
    func suspension(
        _ id: String, _ start: String, sessions: Int, notice: String? = nil, rescinded: Bool = false,
        school: LAESTAB = RulesFixtures.ashfordSchool
    ) -> ExclusionFact {
        ExclusionFact(
            exclusionId: id, laestab: school, upn: F.pupil, category: .suspension, startDate: F.date(start),
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

    func assess(
        _ xs: [ExclusionFact], pupil: PupilProfile = .unknown, year: AcademicYear = RulesFixtures.year2026,
        calendar: SchoolCalendar? = nil, configure: (inout RulesConfig) -> Void = { _ in }
    ) -> ExclusionAssessment {
        var context = F.context(configure)
        if let calendar {
            context = RuleContext(config: context.config, calendar: calendar, schools: F.schools, units: F.units)
        }
        return ExclusionRules.assess(upn: F.pupil, exclusions: xs, academicYear: year, pupil: pupil, context: context)
    }

    func ids(_ a: ExclusionAssessment) -> Set<String> { Set(a.notifications.map(\.notificationId)) }
    let countId = NotificationDecisions.notificationId(.suspensionsThreshold, key: [RulesFixtures.pupil.value, "2026/27", "count"])
    let capId = NotificationDecisions.notificationId(
        .suspensionsThreshold, key: [RulesFixtures.pupil.value, "2026/27", "cap", RulesFixtures.ashfordSchool.value])

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
        #expect(
            breach?.notificationId
                == NotificationDecisions.notificationId(
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

    @Test("45-day cap per school (domain.md: \"a pupil's suspensions at one school\"): suspensions at two schools do not add up to a breach")
    func twoSchools() {
        // 30 days at the Ashford school in the autumn, then 20 at the Dover school after a move.
        let xs = [
            suspension("a1", "2026-09-07", sessions: 40), suspension("a2", "2026-11-02", sessions: 20),
            suspension("d1", "2027-01-11", sessions: 40, school: F.doverSchool),
        ]
        let a = assess(xs) { $0.suspensionCountThreshold = 99 }
        #expect(a.suspensionDaysDisplay == "50")  // the pupil's year, both schools
        #expect(a.statutoryBreaches.isEmpty)
        #expect(a.notifications.isEmpty)
        // At one school the same days are a breach.
        let one = [
            suspension("a1", "2026-09-07", sessions: 40), suspension("a2", "2026-11-02", sessions: 20),
            suspension("a3", "2027-01-11", sessions: 40),
        ]
        let b = assess(one) { $0.suspensionCountThreshold = 99 }
        #expect(b.statutoryBreaches.map(\.exclusionId) == ["a3"])
        #expect(ids(b).contains(capId))
        // Reaching the cap at the second school is its own notification (id key: the school).
        let atDover = xs + [suspension("d2", "2027-03-01", sessions: 50, school: F.doverSchool)]
        let c = assess(atDover) { $0.suspensionCountThreshold = 99 }
        let doverCap = NotificationDecisions.notificationId(
            .suspensionsThreshold, key: [F.pupil.value, "2026/27", "cap", F.doverSchool.value])
        #expect(ids(c).contains(doverCap) && !ids(c).contains(capId))
        #expect(c.statutoryBreaches.isEmpty)  // exactly 45 days at Dover
    }

    @Test("Termly review per school: 10 days at each of two schools in a term is not more than 15 at one")
    func termlyTwoSchools() {
        let xs = [
            suspension("a1", "2026-09-07", sessions: 20), suspension("d1", "2026-11-02", sessions: 20, school: F.doverSchool),
        ]
        #expect(assess(xs).boardReviews.isEmpty)
        let oneSchool = [suspension("a1", "2026-09-07", sessions: 20), suspension("a2", "2026-11-02", sessions: 20)]
        #expect(assess(oneSchool).boardReviews.map(\.exclusionId) == ["a2"])
    }

    @Test("A suspension over Christmas counts its December days in the autumn term and its January days in the spring term")
    func overChristmas() {
        // 8 days in November; then 10 days from Monday 14 December: 14-18 December (autumn)
        // and 4-8 January (spring; Friday 1 January is a bank holiday, the term starts on the 4th).
        let nov = suspension("a", "2026-11-02", sessions: 16)
        let xmas = suspension("x", "2026-12-14", sessions: 20)
        #expect(
            ExclusionYear.sessionsByDay(xmas, calendar: F.calendar2026).map { $0.day.description } == [
                "2026-12-14", "2026-12-15", "2026-12-16", "2026-12-17", "2026-12-18",
                "2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08",
            ])
        // Autumn: 8 + 5 = 13 days, not more than 15 (counting all ten in the autumn made it 18).
        #expect(assess([nov, xmas]).boardReviews.isEmpty)
        // Spring: 5 + 11 = 16 days: the February suspension needs a review.
        let feb = suspension("f", "2027-02-01", sessions: 22)
        let a = assess([nov, xmas, feb])
        #expect(a.boardReviews.map(\.exclusionId) == ["f"])
        #expect(a.boardReviews[0].grounds == [.moreThan15DaysInTerm])
    }

    @Test("A suspension from July into September counts its days in each exclusion year")
    func acrossSummer() {
        // Monday 19 July 2027, 5 days: 19-21 July (the summer term ends on the 21st), then the
        // first school days of 2027/28 (not configured in the fixture: weekdays), 1-2 September.
        let s = suspension("j", "2027-07-19", sessions: 10)
        #expect(
            ExclusionYear.sessionsByDay(s, calendar: F.calendar2026).map { $0.day.description } == [
                "2027-07-19", "2027-07-20", "2027-07-21", "2027-09-01", "2027-09-02",
            ])
        let y1 = assess([s])
        #expect(y1.suspensionSessions == 6 && y1.suspensions == 1)
        let y2 = assess([s], year: AcademicYear(startYear: 2027))
        #expect(y2.suspensionSessions == 4)
        #expect(y2.suspensions == 0)  // counted once, in the year it starts
        #expect(y2.notifications.isEmpty)
    }

    @Test("For exclusion counts the year starts on the first school day after 31 July (from 1 August)")
    func exclusionYearStart() {
        #expect(ExclusionYear.containing(F.date("2026-07-31")) == AcademicYear(startYear: 2025))
        #expect(ExclusionYear.containing(F.date("2026-08-03")) == AcademicYear(startYear: 2026))
        // The span the outcomes report counts exclusions in (OutcomesReporter.query).
        #expect(ExclusionYear.firstDay(of: AcademicYear(startYear: 2026)) == F.date("2026-08-01"))
        #expect(ExclusionYear.lastDay(of: AcademicYear(startYear: 2026)) == F.date("2027-07-31"))
        // An academy's suspension on Monday 3 August 2026 counts in 2026/27 (the census year), not 2025/26.
        let aug = suspension("aug", "2026-08-03", sessions: 2)
        let xs = [aug, suspension("b", "2026-09-07", sessions: 2), suspension("c", "2026-09-14", sessions: 2)]
        #expect(assess(xs).suspensions == 3)
        #expect(ids(assess(xs)) == [countId])
        #expect(assess([aug], year: AcademicYear(startYear: 2025)).suspensions == 0)
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

    @Test("Exam ground only for year groups that sit them: GCSE/A level years 11 and 13, KS2 tests year 6")
    func examGroundYearGroups() {
        // Friday 7 May 2027, 4 sessions: 7 May and Monday 10 May, the first GCSE exam day.
        let s = [suspension("e", "2027-05-07", sessions: 4)]
        for y in [11, 13] { #expect(assess(s, pupil: PupilProfile(yearGroup: y)).boardReviews.first?.grounds == [.publicExamMissed]) }
        for y in [6, 9, 10, 12] { #expect(assess(s, pupil: PupilProfile(yearGroup: y)).boardReviews.isEmpty, "year \(y)") }
        // Not knowing the year group, frontdoor assumes the pupil sits them and says so.
        let unknown = assess(s)
        #expect(unknown.boardReviews.first?.grounds == [.publicExamMissed])
        #expect(unknown.audit.contains { $0.rule == "governing-board-review" && $0.figures["year-group"] == "unknown" })
        // The KS2 test week (a configured test period) for year 6 only.
        let ks2 = F.calendar2026.withTestPeriods([
            ExamPeriod(name: "KS2 national curriculum tests 2027", start: F.date("2027-05-10"), end: F.date("2027-05-13"))
        ])
        #expect(assess(s, pupil: PupilProfile(yearGroup: 6), calendar: ks2).boardReviews.first?.grounds == [.publicExamMissed])
        #expect(assess(s, pupil: PupilProfile(yearGroup: 5), calendar: ks2).boardReviews.isEmpty)
        // A test period is no exam period: no kent-2016 aggravating factor.
        #expect(!ks2.isInExamPeriod(F.date("2027-05-06")) && ks2.testPeriods.count == 1)
    }

    @Test("suspension days: N sessions cover ceil(N/2) school days from the start date, skipping holidays")
    func daysCovered() {
        let s = suspension("x", "2026-10-22", sessions: 5)
        #expect(
            ExclusionRules.daysCovered(by: s, calendar: F.calendar2026).map(\.description) == [
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
