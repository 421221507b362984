import PostgresNIO

/// A calendar date without a time zone, as PostgreSQL's `date` stores it.
///
/// The store keeps its own tiny date type so it depends on no domain type and on no
/// `Calendar`/`TimeZone` setting of the host: a register date is a civil date ("2026-09-14"),
/// not an instant. Its text form is ISO 8601 `yyyy-MM-dd`, which is also its `Codable` form.
/// Comparison is chronological. Bound as a PostgreSQL `date` in the binary format (days since
/// 2000-01-01), so queries compare and index dates natively.
public struct StoreDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 2000-01-01 (PostgreSQL's date epoch); negative before it.
    public let daysSince2000: Int32

    /// Creates a date from days since 2000-01-01.
    public init(daysSince2000: Int32) {
        self.daysSince2000 = daysSince2000
    }

    /// Creates a date from its year, month (1–12) and day (1–31), or `nil` if no such date exists.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...Self.daysInMonth(year: year, month: month)).contains(day),
            (1...9999).contains(year),
            let days = Int32(exactly: Self.daysFromCivil(year: year, month: month, day: day) - Self.epochOffset)
        else { return nil }
        self.daysSince2000 = days
    }

    /// The date `days` days after 1970-01-01, for any `days`.
    ///
    /// Exact for every date PostgreSQL can store (4713 BC to 5874897 AD). A day count beyond
    /// `Int32` is held as the largest (smallest) count short of PostgreSQL's `infinity`
    /// (`-infinity`), which PostgreSQL refuses with "date out of range": the statement fails
    /// with an error instead of the process trapping or a wrong date being stored.
    public init(daysSince1970 days: Int) {
        let (shifted, overflow) = days.subtractingReportingOverflow(Self.epochOffset)
        self.daysSince2000 =
            overflow
            ? (days < 0 ? Self.refusedMinimum : Self.refusedMaximum)
            : Int32(exactly: shifted) ?? (shifted < 0 ? Self.refusedMinimum : Self.refusedMaximum)
    }

    /// Days since 1970-01-01.
    public var daysSince1970: Int { Int(self.daysSince2000) + Self.epochOffset }

    /// Parses `yyyy-MM-dd` (exactly that shape), or returns `nil`.
    public init?(_ iso: String) {
        let parts = iso.split(separator: "-", omittingEmptySubsequences: false)
        guard iso.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The year, month and day of this date.
    public var components: (year: Int, month: Int, day: Int) {
        Self.civilFromDays(self.daysSince1970)
    }

    /// `yyyy-MM-dd`.
    public var description: String {
        let (year, month, day) = self.components
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// The date `days` later (earlier when negative). Never traps: a result beyond `Int32` is
    /// held as ``init(daysSince1970:)`` describes, a value PostgreSQL refuses.
    public func adding(days: Int) -> StoreDate {
        let (sum, overflow) = self.daysSince1970.addingReportingOverflow(days)
        return overflow ? StoreDate(daysSince2000: days < 0 ? Self.refusedMinimum : Self.refusedMaximum) : StoreDate(daysSince1970: sum)
    }

    public static func < (lhs: StoreDate, rhs: StoreDate) -> Bool {
        lhs.daysSince2000 < rhs.daysSince2000
    }

    // MARK: Civil calendar arithmetic (proleptic Gregorian; Howard Hinnant's algorithms)

    /// `daysFromCivil(2000, 1, 1)`: days from 1970-01-01 to PostgreSQL's epoch.
    private static let epochOffset = 10_957

    /// Day counts PostgreSQL refuses as out of range (one short of its `±infinity`, which are
    /// `Int32.max` and `Int32.min`).
    private static let refusedMaximum = Int32.max - 1
    private static let refusedMinimum = Int32.min + 1

    private static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension StoreDate: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = StoreDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected yyyy-MM-dd")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}

extension StoreDate: PostgresNonThrowingEncodable, PostgresArrayEncodable {
    public static var psqlType: PostgresDataType { .date }
    public static var psqlFormat: PostgresFormat { .binary }
    public static var psqlArrayType: PostgresDataType { .dateArray }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer,
        context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(self.daysSince2000)
    }
}

extension StoreDate: PostgresDecodable, PostgresArrayDecodable {
    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer,
        type: PostgresDataType,
        format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .date else { throw PostgresDecodingError.Code.typeMismatch }
        switch format {
        case .binary:
            guard buffer.readableBytes == 4, let days = buffer.readInteger(as: Int32.self) else {
                throw PostgresDecodingError.Code.failure
            }
            self.init(daysSince2000: days)
        case .text:
            guard let text = buffer.readString(length: buffer.readableBytes), let date = StoreDate(text) else {
                throw PostgresDecodingError.Code.failure
            }
            self = date
        }
    }
}
