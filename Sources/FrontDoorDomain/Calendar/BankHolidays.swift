/// England's bank holidays, computed for any year by rule, with the one-off exceptions the
/// LA configures (`Config/calendar/bank-holidays.yaml`).
///
/// The rule (Banking and Financial Dealings Act 1971, schedule 1, and the royal
/// proclamations that have kept the same pattern every year since 1978):
/// - New Year's Day, 1 January; when it falls on a Saturday or Sunday, the following Monday.
/// - Good Friday and Easter Monday, from the Gregorian computus.
/// - The early May bank holiday, the first Monday of May.
/// - The spring bank holiday, the last Monday of May.
/// - The summer bank holiday, the last Monday of August.
/// - Christmas Day and Boxing Day, 25 and 26 December; a day that falls on a weekend is
///   replaced by the next weekday not already a bank holiday (Christmas on a Saturday:
///   Monday 27 and Tuesday 28; Christmas on a Sunday: Boxing Day Monday 26 and the Christmas
///   substitute Tuesday 27; Boxing Day on a Saturday: Monday 28).
///
/// Exceptions are set by proclamation year by year: an extra day (a coronation, a jubilee, a
/// state funeral) is ``added``; a day moved (the early May bank holiday of 2020 to Friday
/// 8 May) is a day ``removed`` and a day ``added``. frontdoor cannot know these in advance,
/// so the LA lists them as they are proclaimed.
public struct BankHolidays: Sendable, Hashable {
    /// Days that are bank holidays besides the rule's: one-off extra days and days moved to.
    public var added: Set<LocalDate>
    /// Days the rule gives that are not bank holidays that year: days moved away from.
    public var removed: Set<LocalDate>

    public init(added: Set<LocalDate> = [], removed: Set<LocalDate> = []) {
        self.added = added
        self.removed = removed
    }

    /// The rule with no exceptions.
    public static let byRule = BankHolidays()

    /// The first year the rule holds as stated (the early May bank holiday began in 1978).
    /// For earlier years only ``added`` days are bank holidays.
    public static let firstYearOfRule = 1978

    /// Whether `d` is a bank holiday in England: a day of the rule not removed, or an added day.
    public func contains(_ d: LocalDate) -> Bool {
        if added.contains(d) { return true }
        return Self.isBankHolidayByRule(d) && !removed.contains(d)
    }

    /// The bank holidays of `year`, rule and exceptions, ascending.
    public func holidays(in year: Int) -> [LocalDate] {
        let rule = Self.byRule(in: year).filter { !removed.contains($0) }
        return Set(rule + added.filter { $0.year == year }).sorted()
    }

    /// This set of exceptions together with `other`'s.
    public func merging(_ other: BankHolidays) -> BankHolidays {
        BankHolidays(added: added.union(other.added), removed: removed.union(other.removed))
    }

    // MARK: The rule

    /// The rule's bank holidays of `year`, ascending (no exceptions); empty before
    /// ``firstYearOfRule`` and for years `LocalDate` cannot hold.
    public static func byRule(in year: Int) -> [LocalDate] {
        guard year >= firstYearOfRule, year <= 9999, let jan1 = LocalDate(year: year, month: 1, day: 1),
            let easter = easterSunday(year)
        else { return [] }
        var days = [nextWeekday(jan1), easter.adding(days: -2), easter.adding(days: 1)]
        days += [firstMonday(year: year, month: 5), lastMonday(year: year, month: 5), lastMonday(year: year, month: 8)]
            .compactMap { $0 }
        days += christmas(year)
        return days.sorted()
    }

    /// Whether `d` is one of the rule's bank holidays of its year.
    public static func isBankHolidayByRule(_ d: LocalDate) -> Bool {
        guard d.year >= firstYearOfRule, !d.isWeekend else { return false }
        switch d.month {
        case 1: return d.day <= 3 && byRule(in: d.year).first == d
        case 3, 4: return byRule(in: d.year).contains(d)
        case 5: return d.isoWeekday == 1 && (d.day <= 7 || d.day + 7 > 31)
        case 8: return d.isoWeekday == 1 && d.day + 7 > 31
        case 12: return d.day >= 25 && christmas(d.year).contains(d)
        default: return false
        }
    }

    /// Easter Sunday of a Gregorian year: the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    public static func easterSunday(_ year: Int) -> LocalDate? {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return LocalDate(year: year, month: month, day: day)
    }

    /// Christmas Day and Boxing Day of `year`, each moved to the next free weekday when it
    /// falls on a weekend.
    static func christmas(_ year: Int) -> [LocalDate] {
        guard let christmasDay = LocalDate(year: year, month: 12, day: 25) else { return [] }
        let first = nextWeekday(christmasDay)
        var second = nextWeekday(christmasDay.adding(days: 1))
        if second <= first { second = nextWeekday(first.adding(days: 1)) }
        return [first, second]
    }

    /// `d` itself on a weekday, else the Monday after.
    static func nextWeekday(_ d: LocalDate) -> LocalDate {
        d.isWeekend ? d.adding(days: 8 - d.isoWeekday) : d
    }

    static func firstMonday(year: Int, month: Int) -> LocalDate? {
        guard let first = LocalDate(year: year, month: month, day: 1) else { return nil }
        return first.adding(days: (8 - first.isoWeekday) % 7)
    }

    static func lastMonday(year: Int, month: Int) -> LocalDate? {
        guard let first = firstMonday(year: year, month: month) else { return nil }
        var d = first
        while d.adding(days: 7).month == month { d = d.adding(days: 7) }
        return d
    }
}
