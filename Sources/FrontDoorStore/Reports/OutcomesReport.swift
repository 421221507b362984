import Foundation

// The outcomes report of events.md ("Report") and domain.md ("Outcomes (report)"): section 5
// of the Kent committee report for any academic year. The JSON field names below are the
// contract; `docs/report.md` says how every figure is counted.
//
// Percentages are `Decimal` rounded half up to one decimal place in PostgreSQL, so they are
// exact (never a binary floating-point approximation), and `nil` when there is nothing to
// divide by (no possible sessions, no permanent exclusions, no CME referrals).

/// Attendance by school phase, and persistent and severe absence.
public struct AttendanceOutcomes: Codable, Sendable, Hashable {
    /// Attendance % at primary schools: (present + attending) ÷ possible sessions.
    public var primaryPct: Decimal?
    /// Attendance % at secondary schools.
    public var secondaryPct: Decimal?
    /// Attendance % at every school (all phases, and schools not on the register).
    public var overallPct: Decimal?
    /// Share of pupil enrolments (pupil, school) with at least one possible session whose
    /// absence is 10% or more of their possible sessions.
    public var persistentAbsenceRatePct: Decimal?
    /// The same with absence of 50% or more.
    public var severeAbsenceRatePct: Decimal?
    /// Marks that count in the year (every category, "not counted" included).
    public var sessionsRecorded: Int

    public init(
        primaryPct: Decimal? = nil, secondaryPct: Decimal? = nil, overallPct: Decimal? = nil,
        persistentAbsenceRatePct: Decimal? = nil, severeAbsenceRatePct: Decimal? = nil, sessionsRecorded: Int = 0
    ) {
        self.primaryPct = primaryPct
        self.secondaryPct = secondaryPct
        self.overallPct = overallPct
        self.persistentAbsenceRatePct = persistentAbsenceRatePct
        self.severeAbsenceRatePct = severeAbsenceRatePct
        self.sessionsRecorded = sessionsRecorded
    }
}

/// Permanent exclusions and suspensions (rescinded ones excluded), and who was permanently excluded.
public struct ExclusionOutcomes: Codable, Sendable, Hashable {
    public var permanent: Int
    public var suspensions: Int
    /// Share of permanent exclusions of pupils eligible for free school meals.
    public var permanentFsmPct: Decimal?
    /// Share of permanent exclusions of pupils on SEN support (`K`).
    public var permanentSenSupportPct: Decimal?
    /// Share of permanent exclusions of pupils with an EHC plan (`E`).
    public var permanentEhcpPct: Decimal?

    public init(
        permanent: Int = 0, suspensions: Int = 0, permanentFsmPct: Decimal? = nil, permanentSenSupportPct: Decimal? = nil,
        permanentEhcpPct: Decimal? = nil
    ) {
        self.permanent = permanent
        self.suspensions = suspensions
        self.permanentFsmPct = permanentFsmPct
        self.permanentSenSupportPct = permanentSenSupportPct
        self.permanentEhcpPct = permanentEhcpPct
    }
}

/// Children missing education referred through the Digital Front Door.
public struct CMEOutcomes: Codable, Sendable, Hashable {
    /// CME referrals received in the year.
    public var reported: Int
    /// Of those, the ones resolved (any outcome).
    public var resolved: Int
    /// Of those reported, the share resolved with an outcome other than `not-found` on or
    /// before the 10th LA school day after the day received.
    public var foundWithinTwoWeeksPct: Decimal?

    public init(reported: Int = 0, resolved: Int = 0, foundWithinTwoWeeksPct: Decimal? = nil) {
        self.reported = reported
        self.resolved = resolved
        self.foundWithinTwoWeeksPct = foundWithinTwoWeeksPct
    }
}

/// Admissions to and deletions from school rolls (`roll.change.v1`, issue 9: "deletions become
/// facts the report counts"), dated in the year. `docs/report.md` defines each figure.
public struct RollChangeOutcomes: Codable, Sendable, Hashable {
    /// Pupils admitted to a school's roll.
    public var admissions: Int
    /// Names deleted from a school's roll, on any ground.
    public var deletions: Int
    /// Deletions by regulation 9 ground (events.md `roll.change.v1`; grounds with none are absent).
    public var deletionsByGround: [String: Int]
    /// Deletions on the ground `continuous-absence-20-days` or `not-known` when no CME case of
    /// the pupil was open: the deletions that raise `cme-risk`.
    public var cmeRisk: Int
    /// Deletions for elective home education.
    public var electiveHomeEducation: Int
    /// Of those, the children at a special school or on a child-protection plan, whose removal
    /// needs the LA's consent (`ehe-consent-required`).
    public var eheConsentRequired: Int

    public init(
        admissions: Int = 0, deletions: Int = 0, deletionsByGround: [String: Int] = [:], cmeRisk: Int = 0,
        electiveHomeEducation: Int = 0, eheConsentRequired: Int = 0
    ) {
        self.admissions = admissions
        self.deletions = deletions
        self.deletionsByGround = deletionsByGround
        self.cmeRisk = cmeRisk
        self.electiveHomeEducation = electiveHomeEducation
        self.eheConsentRequired = eheConsentRequired
    }
}

/// The figures of one district (or, in ``OutcomesChange``, their differences).
public struct DistrictOutcomes: Codable, Sendable, Hashable {
    public var attendance: AttendanceOutcomes
    /// Authorised and unauthorised absence sessions by register code (codes with none are absent).
    public var absenceReasons: [String: Int]
    public var exclusions: ExclusionOutcomes
    public var cme: CMEOutcomes
    /// Enforcement reviews (penalty-notice recommendations) created in the year.
    public var enforcementReviews: Int
    /// Admissions and deletions (all zero where no roll change is recorded).
    public var rollChanges: RollChangeOutcomes

    public init(
        attendance: AttendanceOutcomes = AttendanceOutcomes(), absenceReasons: [String: Int] = [:],
        exclusions: ExclusionOutcomes = ExclusionOutcomes(), cme: CMEOutcomes = CMEOutcomes(), enforcementReviews: Int = 0,
        rollChanges: RollChangeOutcomes = RollChangeOutcomes()
    ) {
        self.attendance = attendance
        self.absenceReasons = absenceReasons
        self.exclusions = exclusions
        self.cme = cme
        self.enforcementReviews = enforcementReviews
        self.rollChanges = rollChanges
    }

    enum CodingKeys: String, CodingKey { case attendance, absenceReasons, exclusions, cme, enforcementReviews, rollChanges }

    /// A report printed before `rollChanges` existed reads back with zeros there.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        attendance = try c.decode(AttendanceOutcomes.self, forKey: .attendance)
        absenceReasons = try c.decode([String: Int].self, forKey: .absenceReasons)
        exclusions = try c.decode(ExclusionOutcomes.self, forKey: .exclusions)
        cme = try c.decode(CMEOutcomes.self, forKey: .cme)
        enforcementReviews = try c.decode(Int.self, forKey: .enforcementReviews)
        rollChanges = try c.decodeIfPresent(RollChangeOutcomes.self, forKey: .rollChanges) ?? RollChangeOutcomes()
    }
}

/// One academic year's outcomes: county-wide (or one district's, with `--district`) and per district.
@dynamicMemberLookup
public struct YearOutcomes: Codable, Sendable, Hashable {
    /// `2026/27`.
    public var academicYear: String
    /// The district the report is restricted to, or `nil` for the whole county.
    public var district: String?
    /// The county-wide figures (or the one district's).
    public var figures: DistrictOutcomes
    /// The same figures per district (`unassigned`: schools not on the register, referrals without a school).
    public var byDistrict: [String: DistrictOutcomes]

    public init(academicYear: String, district: String? = nil, figures: DistrictOutcomes, byDistrict: [String: DistrictOutcomes]) {
        self.academicYear = academicYear
        self.district = district
        self.figures = figures
        self.byDistrict = byDistrict
    }

    public subscript<T>(dynamicMember path: KeyPath<DistrictOutcomes, T>) -> T { figures[keyPath: path] }

    enum CodingKeys: String, CodingKey {
        case academicYear, district, attendance, absenceReasons, exclusions, cme, enforcementReviews, rollChanges, byDistrict
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        academicYear = try c.decode(String.self, forKey: .academicYear)
        district = try c.decodeIfPresent(String.self, forKey: .district)
        figures = try DistrictOutcomes(from: decoder)
        byDistrict = try c.decode([String: DistrictOutcomes].self, forKey: .byDistrict)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(academicYear, forKey: .academicYear)
        try c.encodeIfPresent(district, forKey: .district)
        try c.encode(figures.attendance, forKey: .attendance)
        try c.encode(figures.absenceReasons, forKey: .absenceReasons)
        try c.encode(figures.exclusions, forKey: .exclusions)
        try c.encode(figures.cme, forKey: .cme)
        try c.encode(figures.enforcementReviews, forKey: .enforcementReviews)
        try c.encode(figures.rollChanges, forKey: .rollChanges)
        try c.encode(byDistrict, forKey: .byDistrict)
    }
}

/// Differences between two years, current minus previous: percentage points for percentages
/// (of the published, rounded figures, so the change is exactly what a reader subtracts), counts
/// for counts; `nil` where either year has no figure. Same shape as the figures.
public struct OutcomesChange: Codable, Sendable, Hashable {
    public var figures: DistrictOutcomes
    public var byDistrict: [String: DistrictOutcomes]

    public init(figures: DistrictOutcomes, byDistrict: [String: DistrictOutcomes]) {
        self.figures = figures
        self.byDistrict = byDistrict
    }

    /// `current − previous`, district by district (a district missing from one year counts as zeros).
    public init(from previous: YearOutcomes, to current: YearOutcomes) {
        figures = current.figures.minus(previous.figures)
        var districts: [String: DistrictOutcomes] = [:]
        for name in Set(current.byDistrict.keys).union(previous.byDistrict.keys) {
            districts[name] = (current.byDistrict[name] ?? DistrictOutcomes()).minus(previous.byDistrict[name] ?? DistrictOutcomes())
        }
        byDistrict = districts
    }

    enum CodingKeys: String, CodingKey {
        case attendance, absenceReasons, exclusions, cme, enforcementReviews, rollChanges, byDistrict
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        figures = try DistrictOutcomes(from: decoder)
        byDistrict = try c.decode([String: DistrictOutcomes].self, forKey: .byDistrict)
    }

    public func encode(to encoder: any Encoder) throws {
        try figures.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(byDistrict, forKey: .byDistrict)
    }
}

/// What `frontdoor report` prints: a year's outcomes, optionally with a previous year and the change.
@dynamicMemberLookup
public struct OutcomesReport: Codable, Sendable, Hashable {
    public var current: YearOutcomes
    public var previous: YearOutcomes?
    public var change: OutcomesChange?

    public init(current: YearOutcomes, previous: YearOutcomes? = nil) {
        self.current = current
        self.previous = previous
        self.change = previous.map { OutcomesChange(from: $0, to: current) }
    }

    public subscript<T>(dynamicMember path: KeyPath<YearOutcomes, T>) -> T { current[keyPath: path] }

    enum CodingKeys: String, CodingKey { case previous, change }

    public init(from decoder: any Decoder) throws {
        current = try YearOutcomes(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        previous = try c.decodeIfPresent(YearOutcomes.self, forKey: .previous)
        change = try c.decodeIfPresent(OutcomesChange.self, forKey: .change)
    }

    public func encode(to encoder: any Encoder) throws {
        try current.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(previous, forKey: .previous)
        try c.encodeIfPresent(change, forKey: .change)
    }
}

// MARK: Differences

extension Optional where Wrapped == Decimal {
    /// `self − other` when both exist.
    fileprivate func minus(_ other: Decimal?) -> Decimal? {
        guard let a = self, let b = other else { return nil }
        return a - b
    }
}

extension Dictionary where Key == String, Value == Int {
    /// `self − other` key by key, over the keys of either (a missing key counts as 0).
    fileprivate func minus(_ other: [String: Int]) -> [String: Int] {
        var out: [String: Int] = [:]
        for key in Set(keys).union(other.keys) { out[key] = (self[key] ?? 0) - (other[key] ?? 0) }
        return out
    }
}

extension RollChangeOutcomes {
    /// Field-by-field `self − previous`; deletions by ground over the grounds of either year.
    public func minus(_ p: RollChangeOutcomes) -> RollChangeOutcomes {
        RollChangeOutcomes(
            admissions: admissions - p.admissions, deletions: deletions - p.deletions,
            deletionsByGround: deletionsByGround.minus(p.deletionsByGround), cmeRisk: cmeRisk - p.cmeRisk,
            electiveHomeEducation: electiveHomeEducation - p.electiveHomeEducation,
            eheConsentRequired: eheConsentRequired - p.eheConsentRequired)
    }
}

extension DistrictOutcomes {
    /// Field-by-field `self − previous`; absence reasons over the codes of either year.
    public func minus(_ p: DistrictOutcomes) -> DistrictOutcomes {
        let reasons = absenceReasons.minus(p.absenceReasons)
        return DistrictOutcomes(
            attendance: AttendanceOutcomes(
                primaryPct: attendance.primaryPct.minus(p.attendance.primaryPct),
                secondaryPct: attendance.secondaryPct.minus(p.attendance.secondaryPct),
                overallPct: attendance.overallPct.minus(p.attendance.overallPct),
                persistentAbsenceRatePct: attendance.persistentAbsenceRatePct.minus(p.attendance.persistentAbsenceRatePct),
                severeAbsenceRatePct: attendance.severeAbsenceRatePct.minus(p.attendance.severeAbsenceRatePct),
                sessionsRecorded: attendance.sessionsRecorded - p.attendance.sessionsRecorded),
            absenceReasons: reasons,
            exclusions: ExclusionOutcomes(
                permanent: exclusions.permanent - p.exclusions.permanent,
                suspensions: exclusions.suspensions - p.exclusions.suspensions,
                permanentFsmPct: exclusions.permanentFsmPct.minus(p.exclusions.permanentFsmPct),
                permanentSenSupportPct: exclusions.permanentSenSupportPct.minus(p.exclusions.permanentSenSupportPct),
                permanentEhcpPct: exclusions.permanentEhcpPct.minus(p.exclusions.permanentEhcpPct)),
            cme: CMEOutcomes(
                reported: cme.reported - p.cme.reported, resolved: cme.resolved - p.cme.resolved,
                foundWithinTwoWeeksPct: cme.foundWithinTwoWeeksPct.minus(p.cme.foundWithinTwoWeeksPct)),
            enforcementReviews: enforcementReviews - p.enforcementReviews,
            rollChanges: rollChanges.minus(p.rollChanges))
    }
}
