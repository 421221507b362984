import Foundation

/// Everything the attendance rules decide for one pupil and academic year, in one value.
public struct PupilAttendanceDecisions: Hashable, Sendable {
    /// The marks that count (all years given), in replay order.
    public var marks: [CountedMark]
    /// Statistics, persistent/severe absence state and episodes for the year.
    public var absence: AttendanceAssessment
    public var cmeRisk: CMERiskAssessment
    public var penalty: PenaltyAssessment
    /// `severe-absence`, `persistent-absence` and `cme-risk`, sorted by `createdAt` then id.
    public var notifications: [EarlyHelpNotification]
    public var audit: [AuditEntry]

    public var statistics: AttendanceStatistics { absence.statistics }
}

extension AttendanceRules {
    /// The attendance worker's single call: after writing a batch, load the pupil's facts
    /// (every mark event held for the pupil, current characteristics, CME case periods,
    /// enforcement history), call this for each academic year the batch touched, and
    /// enqueue every notification (`ON CONFLICT (notification_id) DO NOTHING`), the review
    /// or task, and the audit entries.
    ///
    /// A pure function of the facts: any order or duplication of the same events gives the
    /// same result. Persistent/severe absence and CME risk judge each enrolment (school) apart;
    /// penalty rules judge the pupil's sessions, each once across schools
    /// (``pupilSessions(_:)``), over all years given (the `england-2024` window crosses them).
    /// An `N` inside its grace (``NGrace``) counts towards neither CME risk nor a review yet.
    public static func evaluate(
        upn: UPN, events: [MarkEvent], academicYear: AcademicYear, pupil: PupilProfile,
        cmeCases: [CMECasePeriod] = [], enforcement: EnforcementHistory = .none, context: RuleContext
    ) -> PupilAttendanceDecisions {
        let marks = marksThatCount(events.filter { $0.upn == upn })
        let pending = NGrace.pending(marks, graceDays: context.config.nGraceSchoolDays)
        let absence = assess(upn: upn, marks: marks, academicYear: academicYear, pupil: pupil, context: context)
        let cme = CMERiskRule.evaluate(
            upn: upn, marks: marks, academicYear: academicYear, pupil: pupil, cmeCases: cmeCases, context: context,
            pending: pending)
        // The penalty rules judge the pupil: each session once across schools.
        let penalty = PenaltyRules.evaluate(
            upn: upn, marks: pupilSessions(marks), pupil: pupil, history: enforcement, context: context, pending: pending)
        let notifications = (absence.notifications + cme.notifications).sorted {
            ($0.createdAt, $0.notificationId) < ($1.createdAt, $1.notificationId)
        }
        return PupilAttendanceDecisions(
            marks: marks, absence: absence, cmeRisk: cme, penalty: penalty, notifications: notifications,
            audit: absence.audit + cme.audit + penalty.audit)
    }
}
