/// The exam ground for a governing board review (domain.md, "Exclusion rules"; DfE
/// "Suspension and permanent exclusion" guidance, 2024: the board must consider
/// reinstatement where a pupil would miss a public examination or national curriculum test).
///
/// Only pupils who sit them: GCSE and A level exam periods (`examPeriods`) for years 11 and
/// 13, national curriculum test periods (`testPeriods`, the KS2 test week) for year 6; a
/// period's `yearGroups` overrides its default. A pupil whose year group frontdoor does not
/// know is assumed to sit them (the board, not frontdoor, knows the pupil's timetable), and
/// the audit says so.
public enum ExamGround {
    /// Year groups sitting GCSE and A level exams.
    public static let examYearGroups = [11, 13]
    /// Year groups sitting the KS2 national curriculum tests.
    public static let testYearGroups = [6]

    /// The first exam or test period a suspension covers a day of and the pupil sits, if any.
    public static func missedPeriod(
        _ e: ExclusionFact, pupil: PupilProfile, calendar: SchoolCalendar
    ) -> ExamPeriod? {
        guard e.category == .suspension else { return nil }
        let days = ExclusionRules.daysCovered(by: e, calendar: calendar)
        let periods =
            calendar.examPeriods.map { ($0, $0.yearGroups ?? examYearGroups) }
            + calendar.testPeriods.map { ($0, $0.yearGroups ?? testYearGroups) }
        for (period, groups) in periods where days.contains(where: period.contains) {
            guard let y = pupil.yearGroup else { return period }
            if groups.contains(y) { return period }
        }
        return nil
    }
}
