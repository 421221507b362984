import Foundation

// Values every rule shares: exact session shares, the pupil's characteristics, the
// context (config, calendar, routing) a rule is evaluated in, and the audit entry.

/// A share of sessions (attendance or absence), held as an exact fraction so that a
/// threshold such as "90% or below" compares without floating-point error.
///
/// Figures for people are one decimal place, rounded half up (``tenthsOfPercent``,
/// ``display``); thresholds compare the exact fraction (``isAtMost(_:)``). The two agree
/// at every boundary a threshold of one decimal place can name: exactly 90.0% is at most
/// 90%, while 90.04% (which displays as 90.0) is not.
public struct SessionShare: Hashable, Sendable, CustomStringConvertible {
    public let part: Int
    public let whole: Int

    public init(part: Int, whole: Int) {
        self.part = part
        self.whole = whole
    }

    /// The percentage in tenths (486 for 48.6%), rounded half up; nil when `whole` is 0.
    public var tenthsOfPercent: Int? {
        guard whole > 0 else { return nil }
        // floor(part * 1000 / whole + 1/2) with integers only.
        return (part * 2000 + whole) / (2 * whole)
    }

    /// The percentage to one decimal place (rounded half up), or nil with no sessions.
    public var percent: Double? { tenthsOfPercent.map { Double($0) / 10 } }

    /// `"48.6"`, or `"n/a"` with no sessions.
    public var display: String {
        guard let t = tenthsOfPercent else { return "n/a" }
        return "\(t / 10).\(t % 10)"
    }

    /// Whether the exact share is at most `threshold` percent (false with no sessions).
    public func isAtMost(_ threshold: PercentThreshold) -> Bool {
        whole > 0 && part * 10_000 <= threshold.hundredths * whole
    }

    /// Whether the exact share is at least `threshold` percent (false with no sessions).
    public func isAtLeast(_ threshold: PercentThreshold) -> Bool {
        whole > 0 && part * 10_000 >= threshold.hundredths * whole
    }

    public var description: String { "\(part)/\(whole) (\(display)%)" }
}

/// A percentage threshold held in hundredths of a percent, so it compares exactly.
public struct PercentThreshold: Hashable, Sendable, Comparable {
    public let hundredths: Int
    public init(hundredths: Int) { self.hundredths = hundredths }
    /// From a configured percentage such as `90` or `87.5` (rounded to hundredths).
    public init(percent: Double) { self.hundredths = Int((percent * 100).rounded()) }
    public static func < (a: PercentThreshold, b: PercentThreshold) -> Bool { a.hundredths < b.hundredths }
}

/// The pupil's current characteristics, as the latest event carrying `pupil` left them.
///
/// Rules use the *current* characteristics for the whole replay (the brief: "use the
/// pupil's current characteristics, an input"). An unknown flag counts as false.
public struct PupilProfile: Hashable, Sendable, Codable {
    public var fsm: Bool
    /// SEN provision: `N` none, `K` SEN support, `E` EHC plan.
    public var sen: SENStatus
    /// Looked after (a child in care).
    public var cla: Bool
    public var yearGroup: Int?
    /// When known: compulsory school age is judged from it (``CompulsorySchoolAge``).
    public var dateOfBirth: LocalDate?
    /// On a child-protection plan (`pupil.cpp`; unknown counts as false).
    public var cpp: Bool

    public init(
        fsm: Bool = false, sen: SENStatus = .none, cla: Bool = false, yearGroup: Int? = nil,
        dateOfBirth: LocalDate? = nil, cpp: Bool = false
    ) {
        self.fsm = fsm
        self.sen = sen
        self.cla = cla
        self.yearGroup = yearGroup
        self.dateOfBirth = dateOfBirth
        self.cpp = cpp
    }

    /// From an event's `pupil` block (absent fields: not known, false).
    public init(_ c: PupilCharacteristics) {
        self.init(
            fsm: c.fsm ?? false, sen: c.sen ?? .none, cla: c.cla ?? false, yearGroup: c.yearGroup,
            dateOfBirth: c.dateOfBirth, cpp: c.cpp ?? false)
    }

    /// From a referral's `child` (absent fields: not known, false).
    public init(_ c: ReferredChild) {
        self.init(fsm: c.fsm ?? false, sen: c.sen ?? .none, cla: c.cla ?? false, yearGroup: c.yearGroup)
    }

    /// This profile with the fields an event's `pupil` block carries replaced (events.md:
    /// an absent field leaves what is stored unchanged).
    public func updated(with c: PupilCharacteristics?) -> PupilProfile {
        guard let c else { return self }
        return PupilProfile(
            fsm: c.fsm ?? fsm, sen: c.sen ?? sen, cla: c.cla ?? cla, yearGroup: c.yearGroup ?? yearGroup,
            dateOfBirth: c.dateOfBirth ?? dateOfBirth, cpp: c.cpp ?? cpp)
    }

    /// Nothing known: not FSM, no SEN, not looked after.
    public static let unknown = PupilProfile()

    public var hasEHCP: Bool { sen == .ehcPlan }
    public var hasSENSupport: Bool { sen == .senSupport }

    /// Vulnerable for `persistent-absence`: FSM, SEN support, EHC plan or looked after.
    public var isVulnerable: Bool { fsm || sen != .none || cla }

    /// Raises referral and notification priority to `high`: EHC plan, looked after or FSM.
    public var raisesPriority: Bool { fsm || hasEHCP || cla }

    /// The machine-readable reasons describing the pupil: `fsm`, `sen-support`, `ehcp`, `cla`.
    public var reasonTags: [String] {
        var r: [String] = []
        if fsm { r.append("fsm") }
        if sen == .senSupport { r.append("sen-support") }
        if sen == .ehcPlan { r.append("ehcp") }
        if cla { r.append("cla") }
        return r
    }

    /// Both profiles' flags together (a characteristic known from either source counts).
    public func merging(_ other: PupilProfile) -> PupilProfile {
        let sen: SENStatus =
            (sen == .ehcPlan || other.sen == .ehcPlan)
            ? .ehcPlan
            : (sen == .senSupport || other.sen == .senSupport) ? .senSupport : .none
        return PupilProfile(
            fsm: fsm || other.fsm, sen: sen, cla: cla || other.cla, yearGroup: yearGroup ?? other.yearGroup,
            dateOfBirth: dateOfBirth ?? other.dateOfBirth, cpp: cpp || other.cpp)
    }
}

/// Everything a rule reads besides the facts: thresholds, the LA calendar and routing.
public struct RuleContext: Sendable {
    public var config: RulesConfig
    public var calendar: SchoolCalendar
    public var schools: SchoolRegister
    public var units: DistrictUnits
    /// Due dates and priorities of notifications where domain.md is silent.
    public var policy: NotificationPolicy
    /// Postcode outward code → district, for referrals that name no school.
    public var postcodes: PostcodeDistricts

    public init(
        config: RulesConfig = .defaults, calendar: SchoolCalendar, schools: SchoolRegister, units: DistrictUnits,
        policy: NotificationPolicy = .defaults, postcodes: PostcodeDistricts = .empty
    ) {
        self.config = config
        self.calendar = calendar
        self.schools = schools
        self.units = units
        self.policy = policy
        self.postcodes = postcodes
    }

    /// The district and Early Help Unit for a school (unknown or none → `unassigned`).
    public func route(_ laestab: LAESTAB?) -> Route { schools.route(laestab, units: units) }
}

/// One line of the audit trail: which rule decided what, on which figures.
///
/// Every decision a rule returns (a notification, a review, a task, a flag, and the
/// decisions *not* to notify, such as a suppressed `cme-risk`) has one. `auditId` is
/// stable like notification ids, so the worker can insert with `ON CONFLICT DO NOTHING`.
public struct AuditEntry: Hashable, Sendable, Codable {
    public var auditId: String
    /// The rule, e.g. `severe-absence`, `kent-2016`, `suspension-cap`, `referral-triage`.
    public var rule: String
    /// What it decided, e.g. `notify`, `review`, `task-school-liaison-officer`, `suppressed-open-cme-case`.
    public var decision: String
    /// The pupil's UPN, when there is one.
    public var upn: UPN?
    /// The case or notification the decision belongs to, when there is one.
    public var caseId: String?
    /// The figures the rule looked at, as strings (`attendance-pct: "48.6"`, `possible: "35"`).
    public var figures: [String: String]
    /// The `time` of the event that caused the decision (never wall clock).
    public var at: Date

    public init(
        rule: String, decision: String, key: [String], upn: UPN?, caseId: String?, figures: [String: String], at: Date
    ) {
        self.auditId = StableID.make(["audit", rule, decision] + key)
        self.rule = rule
        self.decision = decision
        self.upn = upn
        self.caseId = caseId
        self.figures = figures
        self.at = at
    }
}

/// Dates of instants as the local authority sees them (Europe/London).
public enum LondonDate {
    /// The calendar date in England of an instant (an event's `time`); the same as
    /// ``EventEnvelope/londonDate``.
    public static func of(_ instant: Date) -> LocalDate { RFC3339.londonDate(of: instant) }

    /// The instant a day begins in England (midnight, GMT or BST).
    public static func startOfDay(_ d: LocalDate) -> Date {
        let utcMidnight = Date(timeIntervalSince1970: TimeInterval(d.daysSinceEpoch) * 86_400)
        let bstMidnight = utcMidnight.addingTimeInterval(-3600)
        return of(bstMidnight) == d ? bstMidnight : utcMidnight
    }
}

extension LocalDate {
    /// The same day `years` years earlier or later (29 February → 28 February).
    func addingYears(_ years: Int) -> LocalDate {
        let target = year &+ years
        return LocalDate(anyYear: target, month: month, dayInMonth: min(day, LocalDate.daysIn(month: month, year: target)))
    }
}
