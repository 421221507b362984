/// A calendar date with no time and no time zone, as registers and the DfE use them.
///
/// Arithmetic is on days since 1970-01-01 (proleptic Gregorian), so it never depends on
/// the process's time zone or locale. Encodes as `"yyyy-MM-dd"`.
///
/// Every value has a month of 1–12 and a day that exists in that month. Parsing accepts
/// years 0001–9999; arithmetic may step outside them and never traps (a message's dates,
/// which the decoder bounds to 1990–2099, never come near the edges of `Int`).
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a date, or nil when the day does not exist (`2026-02-30`).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= LocalDate.daysIn(month: month, year: year),
            (1...9999).contains(year)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// A date whose month and day the caller knows to exist in every year (1 September,
    /// 31 August, the last day of a month), for any year.
    init(anyYear year: Int, month: Int, dayInMonth day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The last day of `month` (1–12) in `year`, for any year.
    static func lastDay(ofMonth month: Int, year: Int) -> LocalDate {
        LocalDate(anyYear: year, month: month, dayInMonth: daysIn(month: month, year: year))
    }

    /// Creates the date `days` days after 1970-01-01, for any `days` (exactly: the years it
    /// reaches stay within ±2.6 × 10^16).
    public init(daysSinceEpoch days: Int) {
        // Howard Hinnant's civil_from_days, with the shift to 0000-03-01 and the split into
        // 400-year eras done so that no step can overflow: days = era × 146097 + doe.
        var era = days / 146_097
        var doe = days % 146_097
        if doe < 0 {
            doe += 146_097
            era -= 1
        }
        // 719,468 days from 0000-03-01 to 1970-01-01 = 4 eras + 135,080 days.
        doe += 135_080
        era += 4
        if doe >= 146_097 {
            doe -= 146_097
            era += 1
        }
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = m <= 2 ? y + 1 : y
        self.month = m
        self.day = d
    }

    /// Parses exactly `yyyy-MM-dd`; nil for anything else.
    public init?(iso string: some StringProtocol) {
        var text = String(string)
        guard let d = text.withUTF8({ u in u.count == 10 ? LocalDate(isoPrefix: u) : nil }) else { return nil }
        self = d
    }

    /// The `yyyy-MM-dd` date of `u[0..<10]` (`u` has at least 10 bytes): what ``init(iso:)``
    /// reads, and the date part of an RFC 3339 time (``RFC3339``), on bytes.
    init?(isoPrefix u: UnsafeBufferPointer<UInt8>) {
        guard u.count >= 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                let c = u[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01. Exact for every year ``init(daysSinceEpoch:)`` can produce;
    /// wrapping operators, so a year no date arithmetic reaches (near `Int.max`) cannot trap.
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year &- 1 : year
        let era = (y >= 0 ? y : y &- 399) / 400
        let yoe = y &- era &* 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe &* 365 &+ yoe / 4 &- yoe / 100 &+ doy
        return era &* 146_097 &+ doe &- 719_468
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int {
        let d = (daysSinceEpoch % 7 + 3) % 7  // 1970-01-01 was a Thursday (ISO 4)
        return (d < 0 ? d + 7 : d) + 1
    }

    public var isWeekend: Bool { isoWeekday >= 6 }

    /// The Monday of this date's week.
    public var mondayOfWeek: LocalDate { adding(days: -(isoWeekday - 1)) }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch &+ days) }

    /// Whole days from `self` to `other` (positive when `other` is later).
    public func days(to other: LocalDate) -> Int { other.daysSinceEpoch &- daysSinceEpoch }

    public var description: String {
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let d = LocalDate(iso: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a yyyy-MM-dd date"))
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// One of the two registration sessions of a school day.
public enum Session: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case am = "AM"
    case pm = "PM"
    public static func < (a: Session, b: Session) -> Bool { a == .am && b == .pm }
}

/// An academic year, 1 September to 31 August, named like `2026/27`.
public struct AcademicYear: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The calendar year in which the academic year starts (2026 for 2026/27).
    public let startYear: Int

    public init(startYear: Int) { self.startYear = startYear }

    /// The academic year a date falls in.
    public init(containing date: LocalDate) { self.startYear = date.month >= 9 ? date.year : date.year &- 1 }

    /// Parses `2026/27` (the second part must be the following year).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let e = Int(parts[1]),
            (y + 1) % 100 == e
        else { return nil }
        self.startYear = y
    }

    /// 1 September of `startYear`: exists in every year, so this holds for any academic year.
    public var firstDay: LocalDate { LocalDate(anyYear: startYear, month: 9, dayInMonth: 1) }
    /// 31 August of the following year.
    public var lastDay: LocalDate { LocalDate(anyYear: startYear &+ 1, month: 8, dayInMonth: 31) }
    public func contains(_ date: LocalDate) -> Bool { date >= firstDay && date <= lastDay }
    public var previous: AcademicYear { AcademicYear(startYear: startYear &- 1) }

    public var description: String {
        let e = abs((startYear &+ 1) % 100)
        return "\(startYear)/\(e < 10 ? "0" : "")\(e)"
    }

    public static func < (a: AcademicYear, b: AcademicYear) -> Bool { a.startYear < b.startYear }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let y = AcademicYear(s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an academic year like 2026/27"))
        }
        self = y
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
