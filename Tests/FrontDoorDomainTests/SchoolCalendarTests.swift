import Testing

@testable import FrontDoorDomain

/// domain.md "School days": LA school days for deadlines, weekdays that are not bank
/// holidays for accepting marks; "within N school days" counts days after the start day.
@Suite("SchoolCalendar (domain.md School days)")
struct SchoolCalendarTests {
    /// Kent's 2025/26 and 2026/27 pattern, as Config/calendar has it.
    static let kent = SchoolCalendar(
        terms: [
            Term(
                name: "autumn", start: day("2025-09-01"), end: day("2025-12-19"),
                breaks: [Holiday(name: "October half term", start: day("2025-10-27"), end: day("2025-10-31"))]),
            Term(
                name: "spring", start: day("2026-01-05"), end: day("2026-04-01"),
                breaks: [Holiday(name: "February half term", start: day("2026-02-16"), end: day("2026-02-20"))]),
            Term(
                name: "summer", start: day("2026-04-20"), end: day("2026-07-22"),
                breaks: [Holiday(name: "May half term", start: day("2026-05-25"), end: day("2026-05-29"))]),
            Term(
                name: "autumn", start: day("2026-09-01"), end: day("2026-12-18"),
                breaks: [Holiday(name: "October half term", start: day("2026-10-26"), end: day("2026-10-30"))]),
            Term(
                name: "spring", start: day("2027-01-04"), end: day("2027-03-25"),
                breaks: [Holiday(name: "February half term", start: day("2027-02-15"), end: day("2027-02-19"))]),
            Term(
                name: "summer", start: day("2027-04-12"), end: day("2027-07-21"),
                breaks: [Holiday(name: "May half term", start: day("2027-05-31"), end: day("2027-06-04"))]),
        ],
        bankHolidays: Set(
            [
                "2025-08-25", "2025-12-25", "2025-12-26", "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04",
                "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28", "2027-01-01", "2027-03-26", "2027-03-29",
                "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28",
            ].map(day)
        ),
        insetDays: Set(["2025-09-01", "2025-09-02", "2026-09-01", "2026-09-02"].map(day)),
        examPeriods: [ExamPeriod(name: "GCSE and A level 2026", start: day("2026-05-07"), end: day("2026-06-24"))]
    )

    @Test("Term boundaries: first and last day of a term are school days, the days around are not")
    func termBoundaries() {
        let c = Self.kent
        #expect(c.isSchoolDay(day("2025-09-03")))  // first day pupils attend (1-2 Sept are INSET)
        #expect(c.isSchoolDay(day("2025-12-19")))  // last day of autumn
        #expect(!c.isSchoolDay(day("2025-12-22")))  // Christmas holiday, a Monday
        #expect(c.isSchoolDay(day("2026-01-05")))
        #expect(c.isSchoolDay(day("2026-04-01")))
        #expect(!c.isSchoolDay(day("2026-04-02")))  // Easter holiday
        #expect(c.isSchoolDay(day("2026-07-22")))
        #expect(!c.isSchoolDay(day("2026-07-23")))
        #expect(c.term(containing: day("2025-10-28"))?.name == "autumn")  // the half term is inside the term
        #expect(c.term(containing: day("2025-12-22")) == nil)
    }

    @Test("Half term: its weekdays are not school days")
    func halfTerm() {
        let c = Self.kent
        #expect(c.isSchoolDay(day("2025-10-24")))
        for d in ["2025-10-27", "2025-10-28", "2025-10-29", "2025-10-30", "2025-10-31"] {
            #expect(!c.isSchoolDay(day(d)), "\(d)")
            #expect(c.acceptsMarks(on: day(d)), "academies may be open: \(d)")
        }
        #expect(c.isSchoolDay(day("2025-11-03")))
    }

    @Test("15 school days after a date just before October half term skip the half term")
    func nthSchoolDayAcrossHalfTerm() {
        let c = Self.kent
        // Tue 21 .. Fri 24 Oct = 4; 3-7 Nov = 9; 10-14 Nov = 14; Mon 17 Nov = 15.
        #expect(c.schoolDay(15, after: day("2025-10-20")) == day("2025-11-17"))
        #expect(c.schoolDays(after: day("2025-10-20"), through: day("2025-11-17")) == 15)
        #expect(c.schoolDays(after: day("2025-10-20"), through: day("2025-11-14")) == 14)
        // The 6th school day after a permanent exclusion on Thu 23 Oct 2025.
        #expect(c.schoolDay(6, after: day("2025-10-23")) == day("2025-11-07"))
    }

    @Test("\"Within N school days\" counts days after the start day, never the start day itself")
    func countsAfterStartDay() {
        let c = Self.kent
        #expect(c.schoolDay(1, after: day("2025-09-08")) == day("2025-09-09"))
        #expect(c.schoolDays(after: day("2025-09-08"), through: day("2025-09-08")) == 0)
        #expect(c.schoolDays(after: day("2025-09-09"), through: day("2025-09-08")) == 0)
        #expect(c.schoolDay(0, after: day("2025-09-08")) == day("2025-09-08"))
        // From a Friday, the first school day after is Monday.
        #expect(c.schoolDay(1, after: day("2025-09-05")) == day("2025-09-08"))
    }

    @Test("Weekends are neither school days nor days marks are accepted on")
    func weekends() {
        let c = Self.kent
        for d in ["2025-09-06", "2025-09-07", "2026-05-09"] {
            #expect(!c.isSchoolDay(day(d)))
            #expect(!c.acceptsMarks(on: day(d)))
        }
    }

    @Test("Bank holidays: not school days, marks refused; a bank holiday in term is skipped")
    func bankHolidays() {
        let c = Self.kent
        #expect(c.isBankHoliday(day("2026-05-04")))
        #expect(!c.isSchoolDay(day("2026-05-04")))  // early May bank holiday, in the summer term
        #expect(!c.acceptsMarks(on: day("2026-05-04")))
        #expect(c.schoolDay(1, after: day("2026-05-01")) == day("2026-05-05"))
        #expect(!c.acceptsMarks(on: day("2026-12-28")))  // substitute Boxing Day
        #expect(c.acceptsMarks(on: day("2026-12-29")))  // a weekday in the Christmas holiday
        #expect(!c.isSchoolDay(day("2026-12-29")))
    }

    @Test("INSET days: marks accepted, but not LA school days")
    func insetDays() {
        let c = Self.kent
        #expect(c.isInsetDay(day("2025-09-01")))
        #expect(!c.isSchoolDay(day("2025-09-01")))
        #expect(c.acceptsMarks(on: day("2025-09-01")))
        #expect(c.schoolDay(1, after: day("2025-08-31")) == day("2025-09-03"))
    }

    @Test("nth school day works across academic years: summer holiday and INSET skipped")
    func acrossYears() {
        let c = Self.kent
        // 21, 22 July 2026, then 3 September 2026 (1-2 Sept are INSET).
        #expect(c.schoolDay(3, after: day("2026-07-20")) == day("2026-09-03"))
        #expect(c.schoolDays(after: day("2026-07-20"), through: day("2026-09-03")) == 3)
    }

    @Test("Beyond the configured calendar, school days fall back to weekdays that are not bank holidays")
    func fallbackBeyondCalendar() {
        let c = Self.kent
        #expect(!c.isConfigured(day("2027-09-01")))
        // 2026/27 is configured: its summer holiday is skipped; 2027/28 is not: 1 Sept 2027 counts.
        #expect(c.schoolDay(1, after: day("2027-07-21")) == day("2027-09-01"))
        // 27 and 28 Dec 2027 are bank holidays and still skipped.
        #expect(c.schoolDay(3, after: day("2027-12-24")) == day("2027-12-31"))
        // Before the calendar (2024/25) as well.
        #expect(c.isSchoolDay(day("2025-08-29")))
        #expect(!c.isSchoolDay(day("2025-08-25")))
        #expect(SchoolCalendar.empty.schoolDay(5, after: day("2026-01-02")) == day("2026-01-09"))
    }

    @Test("Exam periods are inclusive of both ends")
    func examPeriods() {
        let c = Self.kent
        #expect(!c.isInExamPeriod(day("2026-05-06")))
        #expect(c.isInExamPeriod(day("2026-05-07")))
        #expect(c.isInExamPeriod(day("2026-06-24")))
        #expect(!c.isInExamPeriod(day("2026-06-25")))
        #expect(c.examPeriod(containing: day("2026-06-01"))?.name == "GCSE and A level 2026")
    }

    @Test("School weeks are named by their ISO Monday; a half-term week has no LA school day")
    func schoolWeeks() {
        let c = Self.kent
        #expect(c.schoolWeeks(from: day("2025-10-20"), through: day("2025-11-09")) == [day("2025-10-20"), day("2025-11-03")])
        #expect(SchoolCalendar.week(of: day("2025-10-26")) == day("2025-10-20"))  // Sunday belongs to its Monday's week
        #expect(
            SchoolCalendar.schoolWeeks(containing: [day("2025-11-05"), day("2025-10-21"), day("2025-11-03")])
                == [day("2025-10-20"), day("2025-11-03")]
        )
        #expect(c.previousSchoolDay(before: day("2025-11-03")) == day("2025-10-24"))
        #expect(c.schoolDay(onOrAfter: day("2025-10-27")) == day("2025-11-03"))
    }

    @Test("schoolDay(n, after:) and schoolDays(after:through:) agree for any n")
    func arithmeticAgrees() {
        let c = Self.kent
        var rng = SplitMix(seed: 7)
        for _ in 0..<200 {
            let start = day("2025-08-01").adding(days: Int(rng.next() % 800))
            let n = 1 + Int(rng.next() % 60)
            let end = c.schoolDay(n, after: start)
            #expect(c.isSchoolDay(end))
            #expect(c.schoolDays(after: start, through: end) == n)
            #expect(c.schoolDays(after: start, through: end.adding(days: -1)) == n - 1)
        }
    }

    @Test("Merging calendars keeps both years' terms and holidays")
    func merging() {
        let a = SchoolCalendar(terms: [Self.kent.terms[0]], bankHolidays: [day("2025-12-25")], insetDays: [], examPeriods: [])
        let b = SchoolCalendar(terms: [Self.kent.terms[3]], bankHolidays: [day("2026-12-25")], insetDays: [day("2026-09-01")], examPeriods: [])
        let m = a.merging(b)
        #expect(m.terms.count == 2)
        #expect(m.isBankHoliday(day("2025-12-25")) && m.isBankHoliday(day("2026-12-25")))
        #expect(m.configuredYears == [AcademicYear(startYear: 2025), AcademicYear(startYear: 2026)])
    }
}
