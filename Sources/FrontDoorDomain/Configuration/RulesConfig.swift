/// The thresholds and ruleset of domain.md, read from `Config/rules.yaml`.
///
/// Every field has domain.md's value as its default (``RulesConfig/defaults``), and a
/// file may set any subset of them. Unknown keys are rejected when decoding, so a typo in
/// `rules.yaml` is an error rather than a silently ignored threshold.
public struct RulesConfig: Hashable, Sendable, Decodable {
    /// Which penalty-notice ruleset judges a session, by its date (`penaltyRulesets` in
    /// `rules.yaml`). Default: ``PenaltyRulesetSchedule/lawOfEngland``, `kent-2016` (the seed's
    /// Code of Conduct) before 19 August 2024 and `england-2024` from that day.
    public var penaltyRulesets: PenaltyRulesetSchedule = .lawOfEngland

    /// One ruleset for every date (`ruleset:` in `rules.yaml`): nil when the schedule has more
    /// than one entry; setting nil restores the default schedule.
    public var ruleset: PenaltyRuleset? {
        get { penaltyRulesets.single }
        set { penaltyRulesets = newValue.map(PenaltyRulesetSchedule.always) ?? .lawOfEngland }
    }

    /// Neither persistent nor severe absence (nor the `kent-2016` attendance test) is judged
    /// before a pupil has this many possible sessions in the academic year. Default: 20.
    public var minimumPossibleSessions: Int = 20

    /// Persistent absence: attendance at or below this percentage (absence ≥ 10%). Default: 90.
    public var persistentAbsencePct: Double = 90

    /// Severe absence: attendance at or below this percentage (absence ≥ 50%). Default: 50.
    public var severeAbsencePct: Double = 50

    /// CME risk: this many consecutive school days on which every session is one of
    /// ``cmeRiskCodes``. Default: 10.
    public var cmeRiskSchoolDays: Int = 10

    /// The register codes that count towards CME risk. Default: `G`, `N`, `O`.
    public var cmeRiskCodes: Set<String> = ["G", "N", "O"]

    /// `N` grace: an `N` counts towards CME risk and penalty reviews only once this many of
    /// that enrolment's later school days have marks and it is still `N`. Default: 5.
    public var nGraceSchoolDays: Int = 5

    /// PA/SA re-entry: after leaving persistent or severe absence, entering it again notifies
    /// only once the enrolment has been out of the state for this many of its school days
    /// (days with marks). Default: 10.
    public var reentryCooldownSchoolDays: Int = 10

    /// A CME case should be resolved within this many school days of the day it was
    /// received; unresolved then raises `cme-overdue`, and resolved by then counts as
    /// "found within two weeks". Default: 10.
    public var cmeResolveSchoolDays: Int = 10

    /// Suspensions in an academic year that raise `suspensions-threshold`. Default: 3.
    public var suspensionCountThreshold: Int = 3

    /// The statutory cap on suspensions in an academic year, in school days (twice as many
    /// sessions). Default: 45.
    public var suspensionDayCap: Int = 45

    /// A governing board review is due within this many school days. Default: 15.
    public var reviewDueSchoolDays: Int = 15

    /// Suspensions totalling more than this many school days in a term require a governing
    /// board review. Default: 15.
    public var reviewSuspensionSchoolDaysPerTerm: Int = 15

    /// The LA must arrange full-time education from this school day after a permanent
    /// exclusion starts; it is the notification's `dueBy`. Default: 6.
    public var permanentExclusionDutyDay: Int = 6

    /// Thresholds of the `england-2024` ruleset.
    public var england2024: England2024 = England2024()

    /// Thresholds of the `kent-2016` ruleset.
    public var kent2016: Kent2016 = Kent2016()

    /// The national framework from 19 August 2024 (DfE "Working together to improve school attendance").
    public struct England2024: Hashable, Sendable, Decodable {
        /// Length of the rolling window, in school weeks (weeks with at least one session). Default: 10.
        public var windowWeeks: Int = 10
        /// Unauthorised sessions within the window that trigger a review. Default: 10.
        public var unauthorisedSessions: Int = 10
        /// Penalty notice amount when paid within 21 days, in pence. Default: 8000 (£80).
        public var reducedAmountPence: Int = 8000
        /// Penalty notice amount when paid within 28 days, and of a second notice, in pence. Default: 16000 (£160).
        public var fullAmountPence: Int = 16000
        /// How far back prior penalty notices count, in years. Default: 3.
        public var priorNoticesLookbackYears: Int = 3
        /// Prior notices at or above which the recommendation is `consider-prosecution`
        /// (no further notice). Default: 2.
        public var prosecutionAfterNotices: Int = 2
        /// After a `notice-to-improve-issued` decision, an unauthorised session within this many
        /// LA school days of it leads to a `penalty-notice` review without a new count.
        /// Default: 30 (the framework: an improvement period of 3 to 6 weeks).
        public var improvementPeriodSchoolDays: Int = 30

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            try c.rejectUnknownKeys(Self.keys)
            self.init()
            windowWeeks = try c.decodeIfPresent(Int.self, forKey: AnyKey("windowWeeks")) ?? windowWeeks
            unauthorisedSessions = try c.decodeIfPresent(Int.self, forKey: AnyKey("unauthorisedSessions")) ?? unauthorisedSessions
            reducedAmountPence = try c.decodeIfPresent(Int.self, forKey: AnyKey("reducedAmountPence")) ?? reducedAmountPence
            fullAmountPence = try c.decodeIfPresent(Int.self, forKey: AnyKey("fullAmountPence")) ?? fullAmountPence
            priorNoticesLookbackYears =
                try c.decodeIfPresent(Int.self, forKey: AnyKey("priorNoticesLookbackYears")) ?? priorNoticesLookbackYears
            prosecutionAfterNotices =
                try c.decodeIfPresent(Int.self, forKey: AnyKey("prosecutionAfterNotices")) ?? prosecutionAfterNotices
            improvementPeriodSchoolDays =
                try c.decodeIfPresent(Int.self, forKey: AnyKey("improvementPeriodSchoolDays")) ?? improvementPeriodSchoolDays
        }

        static let keys: Set<String> = [
            "windowWeeks", "unauthorisedSessions", "reducedAmountPence", "fullAmountPence",
            "priorNoticesLookbackYears", "prosecutionAfterNotices", "improvementPeriodSchoolDays",
        ]
    }

    /// KCC's Code of Conduct for penalty notices (2016).
    public struct Kent2016: Hashable, Sendable, Decodable {
        /// Recommend a notice on an unauthorised session when attendance is at or below this. Default: 90.
        public var attendancePct: Double = 90
        /// Whether an unauthorised session inside an exam period is an aggravating factor. Default: true.
        public var examPeriodAggravates: Bool = true
        /// Amount recommended for a penalty notice, in pence. Default: 16000 (£160; £80 if paid within 21 days).
        public var amountPence: Int = 16000

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            try c.rejectUnknownKeys(Self.keys)
            self.init()
            attendancePct = try c.decodeIfPresent(Double.self, forKey: AnyKey("attendancePct")) ?? attendancePct
            examPeriodAggravates =
                try c.decodeIfPresent(Bool.self, forKey: AnyKey("examPeriodAggravates")) ?? examPeriodAggravates
            amountPence = try c.decodeIfPresent(Int.self, forKey: AnyKey("amountPence")) ?? amountPence
        }

        static let keys: Set<String> = ["attendancePct", "examPeriodAggravates", "amountPence"]
    }

    /// domain.md's values.
    public static let defaults = RulesConfig()

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.rejectUnknownKeys(Self.keys)
        self.init()
        func value<T: Decodable>(_ key: String, _ current: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: AnyKey(key)) ?? current
        }
        // `ruleset:` is one ruleset for every date, `penaltyRulesets:` a schedule; not both.
        if c.contains(AnyKey("ruleset")) && c.contains(AnyKey("penaltyRulesets")) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath + [AnyKey("ruleset")],
                    debugDescription: "ruleset and penaltyRulesets: give one ruleset for every date or a schedule, not both"))
        }
        if let single = try c.decodeIfPresent(PenaltyRuleset.self, forKey: AnyKey("ruleset")) { ruleset = single }
        penaltyRulesets = try value("penaltyRulesets", penaltyRulesets)
        minimumPossibleSessions = try value("minimumPossibleSessions", minimumPossibleSessions)
        persistentAbsencePct = try value("persistentAbsencePct", persistentAbsencePct)
        severeAbsencePct = try value("severeAbsencePct", severeAbsencePct)
        cmeRiskSchoolDays = try value("cmeRiskSchoolDays", cmeRiskSchoolDays)
        cmeRiskCodes = try value("cmeRiskCodes", cmeRiskCodes)
        cmeResolveSchoolDays = try value("cmeResolveSchoolDays", cmeResolveSchoolDays)
        nGraceSchoolDays = try value("nGraceSchoolDays", nGraceSchoolDays)
        reentryCooldownSchoolDays = try value("reentryCooldownSchoolDays", reentryCooldownSchoolDays)
        suspensionCountThreshold = try value("suspensionCountThreshold", suspensionCountThreshold)
        suspensionDayCap = try value("suspensionDayCap", suspensionDayCap)
        reviewDueSchoolDays = try value("reviewDueSchoolDays", reviewDueSchoolDays)
        reviewSuspensionSchoolDaysPerTerm = try value("reviewSuspensionSchoolDaysPerTerm", reviewSuspensionSchoolDaysPerTerm)
        permanentExclusionDutyDay = try value("permanentExclusionDutyDay", permanentExclusionDutyDay)
        england2024 = try value("england2024", england2024)
        kent2016 = try value("kent2016", kent2016)
        try validate(codingPath: decoder.codingPath)
    }

    static let keys: Set<String> = [
        "ruleset", "penaltyRulesets", "minimumPossibleSessions", "persistentAbsencePct", "severeAbsencePct", "cmeRiskSchoolDays",
        "cmeRiskCodes", "cmeResolveSchoolDays", "nGraceSchoolDays", "reentryCooldownSchoolDays", "suspensionCountThreshold",
        "suspensionDayCap", "reviewDueSchoolDays",
        "reviewSuspensionSchoolDaysPerTerm", "permanentExclusionDutyDay", "england2024", "kent2016",
    ]

    /// Rejects values no rule can work with (a negative count, a percentage above 100).
    private func validate(codingPath: [any CodingKey]) throws {
        func fail(_ key: String, _ why: String) -> DecodingError {
            .dataCorrupted(.init(codingPath: codingPath + [AnyKey(key)], debugDescription: "\(key) \(why)"))
        }
        let positive: [(String, Int)] = [
            ("minimumPossibleSessions", minimumPossibleSessions), ("cmeRiskSchoolDays", cmeRiskSchoolDays),
            ("cmeResolveSchoolDays", cmeResolveSchoolDays), ("suspensionCountThreshold", suspensionCountThreshold),
            ("suspensionDayCap", suspensionDayCap), ("reviewDueSchoolDays", reviewDueSchoolDays),
            ("reviewSuspensionSchoolDaysPerTerm", reviewSuspensionSchoolDaysPerTerm),
            ("permanentExclusionDutyDay", permanentExclusionDutyDay),
            ("england2024.windowWeeks", england2024.windowWeeks),
            ("england2024.unauthorisedSessions", england2024.unauthorisedSessions),
            ("england2024.priorNoticesLookbackYears", england2024.priorNoticesLookbackYears),
            ("england2024.prosecutionAfterNotices", england2024.prosecutionAfterNotices),
            ("england2024.improvementPeriodSchoolDays", england2024.improvementPeriodSchoolDays),
        ]
        for (k, v) in positive where v < 1 { throw fail(k, "must be at least 1") }
        let counts: [(String, Int)] = [
            ("nGraceSchoolDays", nGraceSchoolDays), ("reentryCooldownSchoolDays", reentryCooldownSchoolDays),
        ]
        for (k, v) in counts where v < 0 { throw fail(k, "must not be negative") }
        let amounts: [(String, Int)] = [
            ("england2024.reducedAmountPence", england2024.reducedAmountPence),
            ("england2024.fullAmountPence", england2024.fullAmountPence), ("kent2016.amountPence", kent2016.amountPence),
        ]
        for (k, v) in amounts where v < 0 { throw fail(k, "must not be negative") }
        let pcts: [(String, Double)] = [
            ("persistentAbsencePct", persistentAbsencePct), ("severeAbsencePct", severeAbsencePct),
            ("kent2016.attendancePct", kent2016.attendancePct),
        ]
        for (k, v) in pcts where !(0...100).contains(v) { throw fail(k, "must be between 0 and 100") }
        if severeAbsencePct > persistentAbsencePct {
            throw fail("severeAbsencePct", "must not be above persistentAbsencePct")
        }
        for code in cmeRiskCodes where RegisterCodeSet.set2024.category(of: code) != .unauthorised {
            throw fail("cmeRiskCodes", "must list only unauthorised absence codes (G, N, O, U)")
        }
    }
}

/// A coding key for any string, used to detect unknown keys in configuration.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension KeyedDecodingContainer where Key == AnyKey {
    /// Throws naming the first key (sorted) that is not one of `known`.
    func rejectUnknownKeys(_ known: Set<String>) throws {
        if let unknown = allKeys.map(\.stringValue).filter({ !known.contains($0) }).sorted().first {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath + [AnyKey(unknown)],
                    debugDescription: "unknown key \(unknown); expected one of \(known.sorted().joined(separator: ", "))"
                )
            )
        }
    }
}
