/// The termly governing board review (domain.md, "Exclusion rules"; DfE "Suspension and
/// permanent exclusion" guidance, 2024: the governing board must consider the
/// reinstatement of a suspended pupil where the pupil's suspensions would bring the total
/// number of school days of suspension to more than 15 in a term).
///
/// Counted **per school** (the board is the school's) and per term: each school day of a
/// suspension counts in the LA term it falls in, so a suspension over Christmas counts its
/// December days in the autumn term and its January days in the spring term. The
/// suspension after which a term's total at its school is above
/// `reviewSuspensionSchoolDaysPerTerm` (15 days, 30 sessions) needs a review.
public struct TermlyReview: Sendable {
    public let limitSessions: Int
    /// Sessions so far, by school and term key.
    public private(set) var sessions: [TermAtSchool: Int] = [:]

    public struct TermAtSchool: Hashable, Sendable {
        public var school: LAESTAB
        public var term: String
    }

    public init(config: RulesConfig) { limitSessions = config.reviewSuspensionSchoolDaysPerTerm * 2 }

    /// Adds a suspension's days in `year` and says whether a term at its school is now above
    /// the limit (with that term's total, the highest of the terms the suspension touched).
    public mutating func add(
        _ e: ExclusionFact, in year: AcademicYear, calendar: SchoolCalendar
    ) -> (exceeded: Bool, termSessions: Int) {
        var touched: [TermAtSchool: Int] = [:]
        for (day, n) in ExclusionYear.sessionsByDay(e, calendar: calendar) where ExclusionYear.containing(day) == year {
            let key = TermAtSchool(school: e.laestab, term: ExclusionRules.termKey(day, calendar: calendar))
            sessions[key, default: 0] += n
            touched[key] = sessions[key]
        }
        let highest = touched.values.max() ?? 0
        return (highest > limitSessions, highest)
    }
}
