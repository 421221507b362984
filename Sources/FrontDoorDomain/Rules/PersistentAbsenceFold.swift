import Foundation

/// Persistent and severe absence as a fold (issue 10): the state one enrolment's replay
/// (``AttendanceRules/assess(upn:marks:academicYear:pupil:context:)``) carries from one
/// counted mark to the next, and the step that advances it by one mark.
///
/// Bounded: the year's counts by category and code, and for each state its episode ordinal,
/// whether it is open and the school day it was last left (the re-entry cool-down,
/// ``AbsenceReentry``). Stepping it over an enrolment's counted marks of a year in replay
/// order yields the replay's notifications and audit entries, one mark at a time.
public struct PersistentAbsenceFold: Hashable, Sendable, Codable {
    /// One of the two states (persistent, severe) of one enrolment-year.
    public struct Episodes: Hashable, Sendable, Codable {
        /// Episodes entered so far this year (the ordinal of the latest).
        public var ordinals = 0
        /// In the state now (the latest episode carries on).
        public var open = false
        /// The school day (``day``) the state was last left.
        public var leftOnDay: Int?
    }

    /// The enrolment's figures for ``AttendanceStatistics/academicYear``; nil before its first mark.
    public var statistics: AttendanceStatistics?
    /// Distinct marked days of the year so far (``AbsenceReentry/day``).
    public var day = 0
    public var lastDate: LocalDate?
    public var persistent = Episodes()
    public var severe = Episodes()

    public init() {}

    subscript(kind: AbsenceEpisode.Kind) -> Episodes {
        get { kind == .persistent ? persistent : severe }
        set {
            if kind == .persistent { persistent = newValue } else { severe = newValue }
        }
    }

    /// Adds one counted mark of `enrolment` (replay order), appending what the replay decides
    /// at that mark. A mark of a new academic year starts the year afresh.
    mutating func step(
        _ mark: CountedMark, enrolment: Enrolment, pupil: PupilProfile, context: RuleContext,
        notifications: inout [EarlyHelpNotification], audit: inout [AuditEntry]
    ) {
        let academicYear = AcademicYear(containing: mark.date)
        if statistics?.academicYear != academicYear { self = PersistentAbsenceFold(year: academicYear) }
        var stats = statistics ?? AttendanceStatistics(academicYear: academicYear)
        stats.add(mark)
        statistics = stats
        if lastDate != mark.date {
            day += 1
            lastDate = mark.date
        }
        let upn = enrolment.upn
        let config = context.config
        let judged = stats.possible >= config.minimumPossibleSessions
        let share = stats.attendance
        let year = academicYear.description
        // The audit's figures, built only for a mark that changes a state (most change none).
        func markFigures() -> [String: String] {
            var figures = stats.auditFigures
            figures["date"] = mark.date.description
            figures["session"] = mark.session.rawValue
            figures["laestab"] = enrolment.laestab.value
            return figures
        }
        /// The entry of an episode carried on or left at this mark (entering one notifies:
        /// ``AttendanceRules/entered``).
        func episodeEntry(_ kind: AbsenceEpisode.Kind, _ decision: String, ordinal: Int, figures: [String: String]) -> AuditEntry {
            AuditEntry(
                rule: kind.rawValue, decision: decision,
                key: [upn.value, year, String(ordinal), enrolment.laestab.value, mark.date.description, mark.session.rawValue],
                upn: upn, caseId: nil, figures: figures, at: mark.time)
        }
        for kind in AbsenceEpisode.Kind.allCases {
            let threshold = PercentThreshold(
                percent: kind == .persistent ? config.persistentAbsencePct : config.severeAbsencePct)
            let isIn = judged && share.isAtMost(threshold)
            var e = self[kind]
            defer { self[kind] = e }
            if isIn, !e.open, let left = e.leftOnDay, day - left < config.reentryCooldownSchoolDays {
                // Back within the cool-down: the earlier episode carries on, nothing is notified.
                e.open = true
                var figures = markFigures()
                figures["ordinal"] = String(e.ordinals)
                figures["school-days-out"] = String(day - left)
                audit.append(episodeEntry(kind, "reentered-within-cooldown", ordinal: e.ordinals, figures: figures))
            } else if isIn, !e.open {
                e.ordinals += 1
                e.open = true
                AttendanceRules.entered(
                    kind, ordinal: e.ordinals, mark: mark, enrolment: enrolment, academicYear: academicYear, statistics: stats,
                    figures: markFigures(), pupil: pupil, context: context, notifications: &notifications, audit: &audit)
            } else if !isIn, e.open {
                e.open = false
                e.leftOnDay = day
                var figures = markFigures()
                figures["ordinal"] = String(e.ordinals)
                audit.append(episodeEntry(kind, "left", ordinal: e.ordinals, figures: figures))
            }
        }
    }

    private init(year: AcademicYear) { statistics = AttendanceStatistics(academicYear: year) }
}
