/// The 45-day cap (domain.md, "Exclusion rules"; DfE "Suspension and permanent exclusion"
/// guidance: a pupil may be suspended for one or more fixed periods, up to 45 school days
/// in an academic year).
///
/// The cap binds a headteacher, so it counts the pupil's suspensions **at one school**: a
/// pupil suspended for 30 days at one school and 20 at the next has broken no cap. Each
/// school day counts in the exclusion year it falls in (``ExclusionYear``), half a day for a
/// single session. Reaching the cap (`suspensionDayCap` × 2 = 90 sessions) at a school raises
/// `suspensions-threshold` once a year per school (id key `cap` and the school); each
/// suspension after which that school's total is above the cap is a statutory breach.
public struct SuspensionCap: Sendable {
    /// The cap, in sessions.
    public let capSessions: Int
    /// Sessions counted so far in the year, by school (LAESTAB).
    public private(set) var sessionsBySchool: [LAESTAB: Int] = [:]

    public init(config: RulesConfig) { capSessions = config.suspensionDayCap * 2 }

    /// What one suspension does to its school's total.
    public struct Step: Hashable, Sendable {
        /// The school's sessions before and after the suspension's sessions in the year.
        public var before: Int
        public var after: Int
        /// This suspension brings the school's total to the cap (or past it) for the first time.
        public var reachesCap: Bool
        /// The school's total is above the cap after this suspension: a statutory breach.
        public var isBreach: Bool
    }

    /// Adds `sessions` (the suspension's sessions in the year) to `school`'s total.
    public mutating func add(_ sessions: Int, at school: LAESTAB) -> Step {
        let before = sessionsBySchool[school, default: 0]
        let after = before + sessions
        sessionsBySchool[school] = after
        return Step(
            before: before, after: after, reachesCap: sessions > 0 && before < capSessions && after >= capSessions,
            isBreach: sessions > 0 && after > capSessions)
    }

    /// `sessions / 2` as days, e.g. `"22.5"`.
    public static func days(_ sessions: Int) -> String { "\(sessions / 2)" + (sessions % 2 == 1 ? ".5" : "") }
}
