/// The year and the days a suspension counts in (domain.md, "Exclusion rules": "a
/// suspension spanning a holiday counts each school day in the term and year it falls in.
/// For exclusion counts the year starts on the first school day after 31 July").
///
/// The DfE counts suspensions by the school days they cover. A suspension covers
/// `ceil(sessions / 2)` days: its start date (a school keeps its own term dates, so this
/// may be a day the LA calendar has as a holiday) and then the following LA school days
/// (``ExclusionRules/daysCovered(by:calendar:)``). Its sessions fall two a day, the last
/// day taking one when the count is odd. Each day counts in the term and exclusion year
/// that contains it, so a suspension from the last week of the autumn term into January
/// counts its December days in the autumn term and its January days in the spring term,
/// and one from July into September counts in two years.
public enum ExclusionYear {
    /// The exclusion year of a day: from 1 August of one calendar year to 31 July of the
    /// next. "The first school day after 31 July" starts the year; no school day lies
    /// between 1 August and it, so every school day from 1 August on is in the new year,
    /// whichever term dates the school keeps. Named like the academic year it mostly
    /// overlaps (`2026/27` runs from 1 August 2026).
    public static func containing(_ d: LocalDate) -> AcademicYear {
        AcademicYear(startYear: d.month >= 8 ? d.year : d.year - 1)
    }

    /// The first day of the exclusion year `year`: 1 August, a month before its academic year
    /// (the outcomes report counts exclusions by their start date from it).
    public static func firstDay(of year: AcademicYear) -> LocalDate { year.firstDay.adding(days: -31) }

    /// The last day of the exclusion year `year`: 31 July (August has 31 days).
    public static func lastDay(of year: AcademicYear) -> LocalDate { year.lastDay.adding(days: -31) }

    /// Whether `d` is in the exclusion year `year`.
    public static func contains(_ year: AcademicYear, _ d: LocalDate) -> Bool { containing(d) == year }

    /// The days a suspension covers, each with its sessions (2, or 1 for the last day of
    /// an odd count). A permanent exclusion covers no counted day.
    public static func sessionsByDay(_ e: ExclusionFact, calendar: SchoolCalendar) -> [(day: LocalDate, sessions: Int)] {
        guard e.category == .suspension, e.sessions > 0 else { return [] }
        let days = ExclusionRules.daysCovered(by: e, calendar: calendar)
        return days.enumerated().map { i, d in (d, min(2, e.sessions - 2 * i)) }
    }

    /// The exclusion years a suspension has days in (for a permanent exclusion, the year of its start date).
    public static func years(of e: ExclusionFact, calendar: SchoolCalendar) -> Set<AcademicYear> {
        let days = sessionsByDay(e, calendar: calendar).map { $0.day }
        return days.isEmpty ? [containing(e.startDate)] : Set(days.map(containing))
    }

    /// The sessions of `e` that fall in the exclusion year `year`.
    public static func sessions(of e: ExclusionFact, in year: AcademicYear, calendar: SchoolCalendar) -> Int {
        sessionsByDay(e, calendar: calendar).filter { containing($0.day) == year }.reduce(0) { $0 + $1.sessions }
    }
}
