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
        guard let category = set.category(of: code) else { return nil }
        self.code = code
        self.set = set
        self.category = category
    }

    /// Unauthorised absence codes the CME-risk and penalty rules look at.
    public var isUnauthorised: Bool { category == .unauthorised }

    public var description: String { code }
}
