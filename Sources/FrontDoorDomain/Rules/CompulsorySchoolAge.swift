import Foundation

/// Compulsory school age (Education Act 1996, s.8), which bounds penalty notices: a parent
/// commits the offence of s.444 only for a child of compulsory school age, so frontdoor
/// raises penalty reviews only for sessions on which the child is of it (domain.md,
/// "Penalty notice rulesets").
///
/// - It **begins** on the 5th birthday when that is a prescribed day, else on the next
///   prescribed day: 31 December, 31 March or 31 August (The Education (Start of Compulsory
///   School Age) Order 1998, SI 1998/1607). In practice: from the start of the term after
///   the 5th birthday. A child turning 5 on 10 February 2024 is of compulsory school age from
///   31 March 2024.
/// - It **ends** at the end of the school leaving date, the last Friday in June (The
///   Education (School Leaving Date) Order 1997, SI 1997/1970), of the school year
///   (1 September – 31 August) in which the child turns 16: year 11. A child born on
///   23 September 2007 ceases to be of it after 28 June 2024.
///
/// Judged from the date of birth when known; else from the year group (Reception, 0, and
/// years 12 and above outside it; year 11 outside it after the last Friday in June of the
/// session's school year; years 1–11 inside); else assumed inside it, and the review says so
/// (`compulsory-school-age-assumed`).
public enum CompulsorySchoolAge {
    /// What the judgement was made from.
    public enum Basis: String, Sendable, Hashable {
        case dateOfBirth = "date-of-birth"
        case yearGroup = "year-group"
        /// Neither is known: assumed inside compulsory school age.
        case assumed
    }

    /// The reason a review carries when compulsory school age was assumed.
    public static let assumedReason = "compulsory-school-age-assumed"

    /// The first day of compulsory school age: the 5th birthday if it is a prescribed day
    /// (31 March, 31 August, 31 December), else the next prescribed day.
    public static func firstDay(dateOfBirth: LocalDate) -> LocalDate {
        let fifth = birthday(dateOfBirth, age: 5)
        let prescribed = [(3, 31), (8, 31), (12, 31)].compactMap { LocalDate(year: fifth.year, month: $0.0, day: $0.1) }
        return prescribed.first { $0 >= fifth } ?? fifth
    }

    /// The last day of compulsory school age: the last Friday in June of the school year in
    /// which the child turns 16.
    public static func lastDay(dateOfBirth: LocalDate) -> LocalDate {
        let sixteenth = birthday(dateOfBirth, age: 16)
        return schoolLeavingDate(AcademicYear(containing: sixteenth))
    }

    /// The school leaving date of a school year: its last Friday in June.
    public static func schoolLeavingDate(_ year: AcademicYear) -> LocalDate {
        // 30 June is always a valid date; step back to a Friday (ISO weekday 5).
        let june30 = LocalDate(year: year.startYear + 1, month: 6, day: 30) ?? year.lastDay
        return june30.adding(days: -((june30.isoWeekday - 5 + 7) % 7))
    }

    /// Whether a child born on `dateOfBirth` is of compulsory school age on `date`.
    public static func contains(dateOfBirth: LocalDate, on date: LocalDate) -> Bool {
        date >= firstDay(dateOfBirth: dateOfBirth) && date <= lastDay(dateOfBirth: dateOfBirth)
    }

    /// Whether the pupil is of compulsory school age on `date`, and from what that was judged.
    ///
    /// The year group is the pupil's current one (rules use current characteristics), so a
    /// year group judges every date alike, except that year 11 ends on the school leaving date
    /// of the session's school year.
    public static func judge(_ pupil: PupilProfile, on date: LocalDate) -> (inside: Bool, basis: Basis) {
        if let dob = pupil.dateOfBirth { return (contains(dateOfBirth: dob, on: date), .dateOfBirth) }
        guard let year = pupil.yearGroup else { return (true, .assumed) }
        switch year {
        case 1...10: return (true, .yearGroup)
        case 11: return (date <= schoolLeavingDate(AcademicYear(containing: date)), .yearGroup)
        default: return (false, .yearGroup)  // Reception (0), years 12 and above
        }
    }

    /// The day a child born on `dob` attains `age`. Someone born on 29 February attains an age
    /// in a common year on 1 March.
    static func birthday(_ dob: LocalDate, age: Int) -> LocalDate {
        LocalDate(year: dob.year + age, month: dob.month, day: dob.day)
            ?? LocalDate(year: dob.year + age, month: 3, day: 1) ?? dob
    }
}
