import Foundation
import Testing

@testable import FrontDoorDomain

/// Shared fixtures of the rules tests: a 2026/27 LA calendar shaped like `Config/calendar`,
/// two schools in two districts, UPNs with correct check letters, and builders of events.
enum RulesFixtures {
    static func date(_ s: String) -> LocalDate {
        guard let d = LocalDate(iso: s) else { fatalError("bad date \(s)") }
        return d
    }

    /// A UPN with the right check letter: LA 886, establishment 2001, year 26, `serial`.
    static func upn(_ serial: Int) -> UPN {
        let s = String(serial)
        let body = "886200126" + String(repeating: "0", count: 3 - s.count) + s
        return try! UPN(validating: String(UPN.checkLetter(forBody: body)!) + body)
    }

    static let pupil = upn(1)
    static let ashfordSchool = try! LAESTAB(validating: "8862001")
    static let doverSchool = try! LAESTAB(validating: "8864001")
    static let unknownSchool = try! LAESTAB(validating: "8869999")

    static let calendar2026 = SchoolCalendar(
        terms: [
            Term(
                name: "autumn", start: date("2026-09-01"), end: date("2026-12-18"),
                breaks: [Holiday(name: "October half term", start: date("2026-10-26"), end: date("2026-10-30"))]),
            Term(
                name: "spring", start: date("2027-01-04"), end: date("2027-03-25"),
                breaks: [Holiday(name: "February half term", start: date("2027-02-15"), end: date("2027-02-19"))]),
            Term(
                name: "summer", start: date("2027-04-12"), end: date("2027-07-21"),
                breaks: [Holiday(name: "May half term", start: date("2027-05-31"), end: date("2027-06-04"))]),
        ],
        bankHolidays: Set(
            ["2026-08-31", "2026-12-25", "2026-12-28", "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31"]
                .map(date)),
        insetDays: [date("2026-09-01"), date("2026-09-02")],
        examPeriods: [ExamPeriod(name: "GCSE and A level 2027", start: date("2027-05-10"), end: date("2027-06-23"))]
    )

    static let schools = SchoolRegister(schools: [
        School(laestab: ashfordSchool, name: "Goat Lees Primary School", phase: .primary, district: "Ashford"),
        School(laestab: doverSchool, name: "Dover Grammar", phase: .secondary, district: "Dover"),
    ])
    static let units = try! DistrictUnits(units: ["Ashford": "ashford", "Dover": "dover", "unassigned": "county-duty"])

    static func context(_ configure: (inout RulesConfig) -> Void = { _ in }) -> RuleContext {
        var config = RulesConfig.defaults
        configure(&config)
        return RuleContext(config: config, calendar: calendar2026, schools: schools, units: units)
    }

    /// `d` at `hour:minute` in England.
    static func instant(_ d: LocalDate, hour: Int = 9, minute: Int = 0) -> Date {
        LondonDate.startOfDay(d).addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
    }

    /// The first `count` LA school days from `start` (inclusive when it is one).
    static func schoolDays(from start: String, count: Int) -> [LocalDate] {
        var days: [LocalDate] = []
        var d = date(start)
        while days.count < count {
            if calendar2026.isSchoolDay(d) { days.append(d) }
            d = d.adding(days: 1)
        }
        return days
    }

    /// A mark event recorded on the day (AM 09:05, PM 13:35) unless `at` is given.
    static func mark(
        _ d: LocalDate, _ session: Session, _ code: String, upn: UPN = pupil, school: LAESTAB = ashfordSchool,
        at: Date? = nil, id: String? = nil
    ) -> MarkEvent {
        MarkEvent(
            id: id ?? "\(upn)-\(school)-\(d)-\(session.rawValue)-\(code)",
            time: at ?? instant(d, hour: session == .am ? 9 : 13, minute: session == .am ? 5 : 35),
            upn: upn, laestab: school, date: d, session: session,
            code: RegisterCode(code, on: d)!)
    }

    /// One mark per code, filling AM then PM of successive school days from `start`.
    static func sessions(
        _ codes: [String], from start: String = "2026-09-07", upn: UPN = pupil, school: LAESTAB = ashfordSchool
    )
        -> [MarkEvent]
    {
        let days = schoolDays(from: start, count: (codes.count + 1) / 2)
        return codes.enumerated().map { i, code in
            mark(days[i / 2], i % 2 == 0 ? .am : .pm, code, upn: upn, school: school)
        }
    }

    static func counted(_ events: [MarkEvent]) -> [CountedMark] { AttendanceRules.marksThatCount(events) }

    static let year2026 = AcademicYear(startYear: 2026)

    static func repeated(_ code: String, _ n: Int) -> [String] { Array(repeating: code, count: n) }
}
