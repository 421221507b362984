/// What a register code counts as in the DfE's absence statistics.
public enum AttendanceCategory: String, Sendable, Hashable, Codable, CaseIterable {
    case present
    /// Attending an approved educational activity; counts as present.
    case attending
    case authorised
    case unauthorised
    /// Not a possible session.
    case notCounted = "not-counted"

    /// Whether the session is a possible session.
    public var isPossible: Bool { self != .notCounted }
    /// Whether the session counts towards attendance (present or attending).
    public var countsAsPresent: Bool { self == .present || self == .attending }
    /// Whether the session is an absence (authorised or unauthorised).
    public var isAbsence: Bool { self == .authorised || self == .unauthorised }
}

/// The DfE register code sets: the 2024 set from 2024-08-19, the earlier set before it.
public enum RegisterCodeSet: String, Sendable, Hashable, CaseIterable {
    case set2024 = "2024"
    case pre2024 = "pre-2024"

    /// The first day the 2024 codes apply (School Attendance (Pupil Registration) (England) Regulations 2024).
    public static let firstDayOf2024Set = LocalDate(anyYear: 2024, month: 8, dayInMonth: 19)

    /// The set in force on a date.
    public static func inForce(on date: LocalDate) -> RegisterCodeSet {
        date >= firstDayOf2024Set ? .set2024 : .pre2024
    }

    /// Each code of the set with its category.
    public var codes: [String: AttendanceCategory] {
        switch self {
        case .set2024: RegisterCodeSet.codes2024
        case .pre2024: RegisterCodeSet.codesPre2024
        }
    }

    /// The category of a code in this set, or nil for a code the set does not have.
    public func category(of code: String) -> AttendanceCategory? { codes[code] }

    /// Codes withdrawn from a set before the set itself, with the first day they were no
    /// longer in use: `F` (extended family holiday, agreed) went with the 2013 amendment of
    /// the 2006 registration regulations, which removed heads' power to grant up to ten
    /// days of holiday a year, from 1 September 2013 (domain.md: "`F` before 2013-09-01").
    /// Built without a failable step: 1 September exists in every year.
    public static let withdrawnCodes: [String: LocalDate] = ["F": LocalDate(anyYear: 2013, month: 9, dayInMonth: 1)]

    /// The category of `code` on `date` in this set: nil when the set has no such code or
    /// the code was withdrawn by `date`.
    public func category(of code: String, on date: LocalDate) -> AttendanceCategory? {
        if let end = Self.withdrawnCodes[code], date >= end { return nil }
        return codes[code]
    }

    private static let codes2024: [String: AttendanceCategory] = {
        var m: [String: AttendanceCategory] = [:]
        for c in ["/", "\\", "L"] { m[c] = .present }
        for c in ["K", "V", "P", "W", "B"] { m[c] = .attending }
        for c in ["C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E"] { m[c] = .authorised }
        for c in ["G", "N", "O", "U"] { m[c] = .unauthorised }
        for c in ["D", "X", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Z", "#"] { m[c] = .notCounted }
        return m
    }()

    private static let codesPre2024: [String: AttendanceCategory] = {
        var m: [String: AttendanceCategory] = [:]
        for c in ["/", "\\", "L"] { m[c] = .present }
        for c in ["B", "J", "P", "V", "W"] { m[c] = .attending }
        for c in ["C", "E", "H", "I", "M", "R", "S", "T", "F"] { m[c] = .authorised }
        for c in ["G", "N", "O", "U"] { m[c] = .unauthorised }
        for c in ["D", "X", "Y", "Z", "#"] { m[c] = .notCounted }
        return m
    }()
}

/// A register code valid on its date, with its category.
public struct RegisterCode: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let set: RegisterCodeSet
    public let category: AttendanceCategory

    /// The code as it counts on `date`, or nil when the date's set has no such code.
    public init?(_ code: String, on date: LocalDate) {
        let set = RegisterCodeSet.inForce(on: date)
        guard let category = set.category(of: code, on: date) else { return nil }
        self.code = code
        self.set = set
        self.category = category
    }

    /// Unauthorised absence codes the CME-risk and penalty rules look at.
    public var isUnauthorised: Bool { category == .unauthorised }

    public var description: String { code }
}
