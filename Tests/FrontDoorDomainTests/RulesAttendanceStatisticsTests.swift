import Foundation
import Testing

@testable import FrontDoorDomain

@Suite("Rules: attendance statistics and marks that count")
struct RulesAttendanceStatisticsTests {
    typealias F = RulesFixtures

    @Test("statistics: each category counts as domain.md's table says; not-counted sessions are not possible")
    func categories() {
        // present /, \, L; attending K, V; authorised I, M; unauthorised G, O; not counted X, #.
        let events = F.sessions(["/", "\\", "L", "K", "V", "I", "M", "G", "O", "X", "#"])
        let s = AttendanceStatistics(marks: F.counted(events), academicYear: F.year2026)
        #expect(s.present == 3)
        #expect(s.attending == 2)
        #expect(s.authorised == 2)
        #expect(s.unauthorised == 2)
        #expect(s.notCounted == 2)
        #expect(s.possible == 9)
        #expect(s.attendance == SessionShare(part: 5, whole: 9))
        #expect(s.absence == SessionShare(part: 4, whole: 9))
        #expect(s.attendancePct == 55.6)
        #expect(s.absencePct == 44.4)
        #expect(s.absenceByReason == ["I": 1, "M": 1, "G": 1, "O": 1])
        #expect(s.sessionsByCode["#"] == 1)
    }

    @Test("statistics: pre-2024 codes count by the pre-2024 set (J attending, H authorised)")
    func pre2024() {
        let d = F.date("2023-09-11")
        let events = [
            F.mark(d, .am, "J"), F.mark(d, .pm, "H"), F.mark(d.adding(days: 1), .am, "Y"),
        ]
        let s = AttendanceStatistics(marks: F.counted(events), academicYear: AcademicYear(startYear: 2023))
        #expect(s.attending == 1)
        #expect(s.authorised == 1)
        #expect(s.notCounted == 1)
        #expect(s.possible == 2)
    }

    @Test("statistics: only the academic year asked for (1 September to 31 August)")
    func yearBoundary() {
        let events = [F.mark(F.date("2027-08-31"), .am, "G"), F.mark(F.date("2027-09-01"), .am, "/")]
        #expect(AttendanceStatistics(marks: F.counted(events), academicYear: F.year2026).possible == 1)
        #expect(AttendanceStatistics(marks: F.counted(events), academicYear: AcademicYear(startYear: 2027)).present == 1)
    }

    @Test("percentages: one decimal place, rounded half up, from integers")
    func rounding() {
        #expect(SessionShare(part: 1, whole: 16).display == "6.3")  // 6.25
        #expect(SessionShare(part: 7, whole: 16).display == "43.8")  // 43.75
        #expect(SessionShare(part: 1, whole: 80).display == "1.3")  // 1.25
        #expect(SessionShare(part: 2, whole: 3).display == "66.7")
        #expect(SessionShare(part: 1, whole: 6).display == "16.7")
        #expect(SessionShare(part: 1, whole: 3).display == "33.3")
        #expect(SessionShare(part: 18, whole: 20).percent == 90.0)
        #expect(SessionShare(part: 0, whole: 20).display == "0.0")
        #expect(SessionShare(part: 20, whole: 20).display == "100.0")
        #expect(SessionShare(part: 0, whole: 0).percent == nil)
    }

    @Test("percentages: thresholds compare the exact fraction, not the rounded figure")
    func exactThresholds() {
        let ninety = PercentThreshold(percent: 90)
        #expect(SessionShare(part: 18, whole: 20).isAtMost(ninety))
        #expect(SessionShare(part: 9, whole: 10).isAtMost(ninety))
        // 181/201 = 90.0497…% displays as 90.0 but is above 90%.
        let share = SessionShare(part: 181, whole: 201)
        #expect(share.display == "90.0")
        #expect(!share.isAtMost(ninety))
        #expect(SessionShare(part: 10, whole: 20).isAtMost(PercentThreshold(percent: 50)))
        #expect(!SessionShare(part: 0, whole: 0).isAtMost(ninety))
    }

    @Test("amendments: the event with the latest time counts, whatever order they arrive in")
    func latestTimeWins() {
        let d = F.date("2026-09-14")
        let n = F.mark(d, .am, "N", at: F.instant(d, hour: 9))
        let i = F.mark(d, .am, "I", at: F.instant(d.adding(days: 2), hour: 10))
        for events in [[n, i], [i, n]] {
            let marks = F.counted(events)
            #expect(marks.count == 1)
            #expect(marks[0].code.code == "I")
            #expect(marks[0].eventId == i.id)
        }
    }

    @Test("amendments: equal times go to the larger id, compared as strings")
    func tieOnId() {
        let d = F.date("2026-09-14")
        let t = F.instant(d)
        let a = F.mark(d, .am, "N", at: t, id: "event-9")
        let b = F.mark(d, .am, "/", at: t, id: "event-10")  // "event-9" > "event-10" as strings
        #expect(F.counted([a, b])[0].code.code == "N")
        #expect(F.counted([b, a])[0].code.code == "N")
    }

    @Test("amendments: exact duplicates collapse; different schools and sessions are different slots")
    func duplicates() {
        let d = F.date("2026-09-14")
        let am = F.mark(d, .am, "/")
        let events = [
            am, am, am, F.mark(d, .pm, "/"), F.mark(d, .am, "B", school: F.doverSchool),
        ]
        let marks = F.counted(events)
        #expect(marks.count == 3)
        #expect(marks.map(\.session) == [.am, .am, .pm])
        #expect(marks.map(\.laestab) == [F.ashfordSchool, F.doverSchool, F.ashfordSchool])
    }
}
