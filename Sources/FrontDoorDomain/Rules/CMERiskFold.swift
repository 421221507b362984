import Foundation

/// CME risk as a fold (issue 10): what one enrolment's replay (``CMERiskRule``) carries from
/// one marked day to the next: the current run of qualifying days, when it began, and how
/// many runs reached the threshold in the academic year of the latest day (the next
/// `cme-risk`'s ordinal). Bounded; the run carries across the summer holiday as the replay's
/// does.
public struct CMERiskFold: Hashable, Sendable, Codable {
    /// Consecutive qualifying days up to the latest day folded.
    public var runLength = 0
    public var runStart: LocalDate?
    /// The academic year ``runs`` counts in.
    public var year: AcademicYear?
    /// Runs that reached `cmeRiskSchoolDays` in ``year``.
    public var runs = 0

    public init() {}

    /// Adds one day of the enrolment (its counted marks that day, in replay order), appending
    /// what the replay decides on it. `judged` is false for a year before the fold's first
    /// judged year: the run is carried, nothing is raised (the replay only judges the years a
    /// batch touched, reading the weeks before them for the run).
    mutating func step(
        day date: LocalDate, marks: [CountedMark], enrolment: Enrolment, judged: Bool, pupil: PupilProfile,
        cmeCases: [CMECasePeriod], context: RuleContext, notifications: inout [EarlyHelpNotification],
        audit: inout [AuditEntry]
    ) {
        guard let trigger = marks.last else { return }
        let academicYear = AcademicYear(containing: date)
        if year != academicYear {
            year = academicYear
            runs = 0
        }
        let threshold = context.config.cmeRiskSchoolDays
        guard marks.allSatisfy({ context.config.cmeRiskCodes.contains($0.code.code) }) else {
            runLength = 0
            return
        }
        runLength += 1
        if runLength == 1 { runStart = date }
        guard runLength == threshold, judged else { return }
        runs += 1
        let ordinal = runs
        let decidedOn = NotificationDecisions.triggerDay(date: date, recordedAt: trigger.time)
        let suppressed = cmeCases.contains { $0.isOpen(on: decidedOn) }
        CMERiskRule.thresholdReached(
            enrolment: enrolment, academicYear: academicYear, ordinal: ordinal, runLength: runLength, runStart: runStart ?? date,
            day: date, trigger: trigger, decidedOn: decidedOn, suppressed: suppressed, pupil: pupil, context: context,
            notifications: &notifications, audit: &audit)
    }
}
