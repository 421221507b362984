/// One term of the local authority's calendar, first and last day inclusive, with the
/// holiday breaks inside it (the half term).
///
/// A term is a whole term (autumn, spring, summer), so "more than 15 school days in a
/// term" (domain.md) counts across its half term; the half-term holiday is a ``Holiday``
/// in ``breaks`` and its days are not school days.
public struct Term: Hashable, Sendable, Codable {
    public var name: String
    /// First day of the term (inclusive).
    public var start: LocalDate
    /// Last day of the term (inclusive).
    public var end: LocalDate
    /// Holidays inside the term, such as the half term. Default: none.
    public var breaks: [Holiday]

    public init(name: String, start: LocalDate, end: LocalDate, breaks: [Holiday] = []) {
        self.name = name
        self.start = start
        self.end = end
        self.breaks = breaks
    }

    /// Whether `d` lies between the first and last day, breaks included.
    public func contains(_ d: LocalDate) -> Bool { d >= start && d <= end }

    /// Whether `d` lies inside one of the term's breaks.
    public func isInBreak(_ d: LocalDate) -> Bool { breaks.contains { $0.contains(d) } }

    private enum CodingKeys: String, CodingKey { case name, start, end, breaks }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        start = try c.decode(LocalDate.self, forKey: .start)
        end = try c.decode(LocalDate.self, forKey: .end)
        breaks = try c.decodeIfPresent([Holiday].self, forKey: .breaks) ?? []
    }
}

/// A holiday inside a term (a half term), first and last day inclusive.
public struct Holiday: Hashable, Sendable, Codable {
    public var name: String
    public var start: LocalDate
    public var end: LocalDate

    public init(name: String, start: LocalDate, end: LocalDate) {
        self.name = name
        self.start = start
        self.end = end
    }

    public func contains(_ d: LocalDate) -> Bool { d >= start && d <= end }
}

/// A public examination period (GCSE, A level), first and last day inclusive.
///
/// A session missed inside one is an aggravating factor under `kent-2016`.
public struct ExamPeriod: Hashable, Sendable, Codable {
    public var name: String
    public var start: LocalDate
    public var end: LocalDate
    /// The year groups that sit the exams or tests of the period; nil: the default of its
    /// kind (``ExamGround``: years 11 and 13 for an exam period, year 6 for a test period).
    public var yearGroups: [Int]?

    public init(name: String, start: LocalDate, end: LocalDate, yearGroups: [Int]? = nil) {
        self.name = name
        self.start = start
        self.end = end
        self.yearGroups = yearGroups
    }

    public func contains(_ d: LocalDate) -> Bool { d >= start && d <= end }
}

/// The local authority's academic calendar: term dates, bank holidays, INSET days and
/// exam periods, and the school-day arithmetic deadlines use.
///
/// Two notions of "day" live here, because domain.md needs both:
/// - ``acceptsMarks(on:)``: any weekday that is not a bank holiday. Academies set their own
///   terms, so a register mark on such a day is accepted even outside the LA's terms.
/// - ``isSchoolDay(_:)``: an LA school day, used for deadlines ("within N school days").
///
/// - Important: Outside the configured calendar (an academic year for which no term is
///   configured) an LA school day falls back to "a weekday that is not a bank holiday",
///   so deadline arithmetic never stalls or crashes when a year's file is missing; it
///   merely ignores holidays nobody configured. Bank holidays still apply wherever listed.
public struct SchoolCalendar: Sendable, Hashable {
    /// Terms, sorted by start date.
    public let terms: [Term]
    public let bankHolidays: Set<LocalDate>
    public let insetDays: Set<LocalDate>
    /// Exam periods, sorted by start date.
    public let examPeriods: [ExamPeriod]
    /// The academic years for which at least one term is configured.
    public let configuredYears: Set<AcademicYear>
    /// England's bank holidays by rule with their exceptions, when enabled
    /// (``withBankHolidays(_:)``; the configuration loader always enables them). Nil: only
    /// ``bankHolidays`` are bank holidays.
    public private(set) var englandBankHolidays: BankHolidays?
    /// National curriculum test periods (the KS2 test week), sorted by start date
    /// (``withTestPeriods(_:)``). Not exam periods: they are no aggravating factor under
    /// `kent-2016`; they are a ground for a governing board review (``ExamGround``).
    public private(set) var testPeriods: [ExamPeriod] = []

    public init(terms: [Term], bankHolidays: Set<LocalDate>, insetDays: Set<LocalDate>, examPeriods: [ExamPeriod]) {
        self.terms = terms.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        self.bankHolidays = bankHolidays
        self.insetDays = insetDays
        self.examPeriods = examPeriods.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        var years = Set<AcademicYear>()
        for t in terms {
            // A term never spans academic years in practice; record both ends to be safe.
            years.insert(AcademicYear(containing: t.start))
            years.insert(AcademicYear(containing: t.end))
        }
        self.configuredYears = years
    }

    /// A calendar with nothing configured: every weekday is a school day.
    public static let empty = SchoolCalendar(terms: [], bankHolidays: [], insetDays: [], examPeriods: [])

    /// This calendar and `other` together (terms, holidays, INSET days, exam and test periods of both).
    public func merging(_ other: SchoolCalendar) -> SchoolCalendar {
        var merged = SchoolCalendar(
            terms: terms + other.terms,
            bankHolidays: bankHolidays.union(other.bankHolidays),
            insetDays: insetDays.union(other.insetDays),
            examPeriods: examPeriods + other.examPeriods
        )
        switch (englandBankHolidays, other.englandBankHolidays) {
        case (let a?, let b?): merged.englandBankHolidays = a.merging(b)
        case (let a, let b): merged.englandBankHolidays = a ?? b
        }
        return merged.withTestPeriods(testPeriods + other.testPeriods)
    }

    /// This calendar with England's bank holidays computed by rule, with `exceptions`
    /// (BankHolidays.swift), besides the listed ``bankHolidays``.
    public func withBankHolidays(_ exceptions: BankHolidays = .byRule) -> SchoolCalendar {
        var c = self
        c.englandBankHolidays = exceptions
        return c
    }

    /// This calendar with `periods` as its national curriculum test periods.
    public func withTestPeriods(_ periods: [ExamPeriod]) -> SchoolCalendar {
        var c = self
        c.testPeriods = periods.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        return c
    }

    // MARK: Days

    public func isBankHoliday(_ d: LocalDate) -> Bool {
        bankHolidays.contains(d) || englandBankHolidays?.contains(d) == true
    }

    public func isInsetDay(_ d: LocalDate) -> Bool { insetDays.contains(d) }

    /// Whether a register mark dated `d` is accepted: a weekday that is not a bank holiday.
    ///
    /// Term dates are deliberately not checked: academies set their own (domain.md, "School days").
    public func acceptsMarks(on d: LocalDate) -> Bool { !d.isWeekend && !isBankHoliday(d) }

    /// Whether the academic year containing `d` has configured terms.
    public func isConfigured(_ d: LocalDate) -> Bool { configuredYears.contains(AcademicYear(containing: d)) }

    /// Whether `d` is an LA school day: inside a term and not in its half term, a weekday,
    /// not a bank holiday, not an INSET day. Outside the configured calendar: a weekday that
    /// is not a bank holiday.
    public func isSchoolDay(_ d: LocalDate) -> Bool {
        guard acceptsMarks(on: d) else { return false }
        guard isConfigured(d) else { return true }
        guard !isInsetDay(d), let t = term(containing: d) else { return false }
        return !t.isInBreak(d)
    }

    /// The `n`th LA school day strictly after `d`; "within N school days" of `d` means on or
    /// before `schoolDay(N, after: d)`.
    ///
    /// - Parameter n: 1 or more. For `n <= 0` the result is `d` itself (no school day to count).
    public func schoolDay(_ n: Int, after d: LocalDate) -> LocalDate {
        guard n > 0 else { return d }
        var remaining = n
        var day = d
        // Terminates: outside configured years every non-holiday weekday counts, and a
        // configured year has at most ~200 non-school weekdays.
        while remaining > 0 {
            day = day.adding(days: 1)
            if isSchoolDay(day) { remaining -= 1 }
        }
        return day
    }

    /// The number of LA school days in `(a, b]`; 0 when `b <= a`.
    public func schoolDays(after a: LocalDate, through b: LocalDate) -> Int {
        guard b > a else { return 0 }
        var count = 0
        var day = a.adding(days: 1)
        while day <= b {
            if isSchoolDay(day) { count += 1 }
            day = day.adding(days: 1)
        }
        return count
    }

    /// The last LA school day strictly before `d`.
    public func previousSchoolDay(before d: LocalDate) -> LocalDate {
        var day = d.adding(days: -1)
        while !isSchoolDay(day) { day = day.adding(days: -1) }
        return day
    }

    /// The first LA school day on or after `d`.
    public func schoolDay(onOrAfter d: LocalDate) -> LocalDate {
        isSchoolDay(d) ? d : schoolDay(1, after: d)
    }

    public func isInExamPeriod(_ d: LocalDate) -> Bool { examPeriods.contains { $0.contains(d) } }

    /// The exam period containing `d`, if any.
    public func examPeriod(containing d: LocalDate) -> ExamPeriod? { examPeriods.first { $0.contains(d) } }

    /// The configured term containing `d` (weekends and its half term included), if any.
    public func term(containing d: LocalDate) -> Term? { terms.first { $0.contains(d) } }

    // MARK: School weeks

    /// The week a date falls in, named by its ISO Monday.
    ///
    /// `england-2024` counts "school weeks": any week with at least one session. Which weeks
    /// had sessions depends on the pupil's own marks (a school may keep its own term dates),
    /// so pass the dates of the marks to ``schoolWeeks(containing:)``.
    public static func week(of d: LocalDate) -> LocalDate { d.mondayOfWeek }

    /// The distinct weeks (ISO Mondays), ascending, in which any of `dates` fall.
    public static func schoolWeeks(containing dates: some Sequence<LocalDate>) -> [LocalDate] {
        Set(dates.map(\.mondayOfWeek)).sorted()
    }

    /// The weeks (ISO Mondays), ascending, that contain at least one LA school day in `[a, b]`.
    public func schoolWeeks(from a: LocalDate, through b: LocalDate) -> [LocalDate] {
        guard a <= b else { return [] }
        var weeks: [LocalDate] = []
        var day = a
        while day <= b {
            if isSchoolDay(day), weeks.last != day.mondayOfWeek { weeks.append(day.mondayOfWeek) }
            day = day.adding(days: 1)
        }
        return weeks
    }
}
