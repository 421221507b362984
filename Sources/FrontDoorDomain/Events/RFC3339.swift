import Foundation

/// RFC 3339 timestamps, parsed and formatted by hand so that neither the process's locale
/// nor its time zone database can change a result.
public enum RFC3339 {
    /// Parses `yyyy-MM-ddTHH:mm:ss[.fraction](Z|±hh:mm)`; `T` and `Z` in either case.
    /// Seconds run 00–59 (a leap second cannot be represented and is refused).
    public static func parse(_ text: String) -> Date? {
        parseWithWrittenDate(text)?.instant
    }

    /// ``parse(_:)``, with the date as written (its first ten characters, before the offset
    /// is applied), read in the same pass over the bytes.
    static func parseWithWrittenDate(_ text: String) -> (instant: Date, written: LocalDate)? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    /// `LocalDate(iso:)` of a string, on its bytes without copying them: exactly `yyyy-MM-dd`.
    static func date(_ text: String) -> LocalDate? {
        var text = text
        return text.withUTF8 { u in u.count == 10 ? date(u) : nil }
    }

    /// The `yyyy-MM-dd` date of `u[0..<10]`, as `LocalDate(iso:)` reads it (`u` has at least 10 bytes).
    private static func date(_ u: UnsafeBufferPointer<UInt8>) -> LocalDate? { LocalDate(isoPrefix: u) }

    private static func parse(utf8 u: UnsafeBufferPointer<UInt8>) -> (instant: Date, written: LocalDate)? {
        guard u.count >= 20 else { return nil }
        func digit(_ i: Int) -> Int? {
            guard i < u.count, u[i] >= 0x30, u[i] <= 0x39 else { return nil }
            return Int(u[i] - 0x30)
        }
        func num(_ i: Int, _ n: Int) -> Int? {
            var v = 0
            for k in i..<(i + n) {
                guard let d = digit(k) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let date = Self.date(u),
            u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t"),
            let hh = num(11, 2), u[13] == UInt8(ascii: ":"), let mm = num(14, 2), u[16] == UInt8(ascii: ":"),
            let ss = num(17, 2), hh <= 23, mm <= 59, ss <= 59
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while let d = digit(i) {
                fraction += Double(d) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < u.count else { return nil }
        var offsetSeconds = 0
        switch u[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = num(i + 1, 2), i + 3 < u.count, u[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2),
                oh <= 23, om <= 59
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (u[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == u.count else { return nil }
        let whole = date.daysSinceEpoch * 86_400 + hh * 3600 + mm * 60 + ss - offsetSeconds
        return (Date(timeIntervalSince1970: Double(whole) + fraction), date)
    }

    /// Formats in UTC with milliseconds: `2026-09-14T09:05:12.000Z`.
    ///
    /// Total: an instant outside years 0001–9999 (which no decoded event carries) is
    /// formatted as the nearest of those years' bounds rather than trapping.
    public static func format(_ date: Date) -> String {
        let ms = wholeUnits(date.timeIntervalSince1970 * 1000, rounding: .toNearestOrAwayFromZero, limit: maximumMilliseconds)
        let days = ms >= 0 ? ms / 86_400_000 : -((-ms + 86_399_999) / 86_400_000)
        let rest = ms - days * 86_400_000
        let d = LocalDate(daysSinceEpoch: days)
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        let h = rest / 3_600_000
        let m = rest / 60_000 % 60
        let s = rest / 1000 % 60
        return "\(d)T\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2)).\(pad(rest % 1000, 3))Z"
    }

    /// The calendar date in England (Europe/London: GMT, or BST from 01:00 UTC on the last
    /// Sunday of March to 01:00 UTC on the last Sunday of October), computed without a time
    /// zone database. "The day a referral was received" is this date of its `time`.
    ///
    /// Total: any instant gives a date (the decoder bounds `time` to 2000–2099; an instant
    /// outside years 0001–9999 is taken at the nearest of those bounds).
    public static func londonDate(of date: Date) -> LocalDate {
        let seconds = wholeUnits(date.timeIntervalSince1970, rounding: .down, limit: maximumMilliseconds / 1000)
        let utcDay = LocalDate(daysSinceEpoch: seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400))
        func lastSunday(month: Int, year: Int) -> LocalDate {
            let last = LocalDate.lastDay(ofMonth: month, year: year)
            return last.adding(days: -(last.isoWeekday % 7))
        }
        let bstStart = lastSunday(month: 3, year: utcDay.year).daysSinceEpoch * 86_400 + 3600
        let bstEnd = lastSunday(month: 10, year: utcDay.year).daysSinceEpoch * 86_400 + 3600
        let local = seconds + (seconds >= bstStart && seconds < bstEnd ? 3600 : 0)
        return LocalDate(daysSinceEpoch: local >= 0 ? local / 86_400 : -((-local + 86_399) / 86_400))
    }

    /// Milliseconds from 1970-01-01 to 10000-01-01 (and, negated, roughly to 0001-01-01).
    static let maximumMilliseconds = 253_402_300_800_000

    /// `value` rounded to a whole number and held within `-limit...limit`, for any
    /// `Double` (NaN counts as 0): the conversion to `Int` cannot trap.
    static func wholeUnits(_ value: Double, rounding rule: FloatingPointRoundingRule, limit: Int) -> Int {
        guard !value.isNaN else { return 0 }
        let bound = Double(limit)
        return Int(min(max(value.rounded(rule), -bound), bound))
    }
}
