import Foundation

/// One spell of persistent or severe absence found by the chronological replay.
public struct AbsenceEpisode: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case persistent = "persistent-absence"
        case severe = "severe-absence"
    }

    public var kind: Kind
    /// 1 for the first time this academic year the pupil entered the state, 2 for the second, …
    public var ordinal: Int
    /// The mark that took the pupil into the state.
    public var entered: CountedMark
    /// Attendance just after that mark.
    public var attendanceAtEntry: SessionShare
    /// The mark that took the pupil out of it, if they have left.
    public var left: CountedMark?

    public init(kind: Kind, ordinal: Int, entered: CountedMark, attendanceAtEntry: SessionShare, left: CountedMark? = nil) {
        self.kind = kind
        self.ordinal = ordinal
        self.entered = entered
        self.attendanceAtEntry = attendanceAtEntry
        self.left = left
    }
}

/// What the persistent/severe absence rules decide for one pupil and academic year.
public struct AttendanceAssessment: Hashable, Sendable {
    public var upn: UPN
    /// The pupil's figures over every school (each school's sessions counted; what
    /// `pupil_year_attendance` stores).
    public var statistics: AttendanceStatistics
    /// Each enrolment's figures: what persistent and severe absence judge (DfE counts per enrolment).
    public var enrolmentStatistics: [Enrolment: AttendanceStatistics] = [:]
    /// Whether the pupil has `minimumPossibleSessions` possible sessions (before that
    /// neither state is judged).
    public var isJudged: Bool
    /// Currently persistently absent at some enrolment (attendance at or below 90%, after the minimum sessions).
    public var isPersistentlyAbsent: Bool
    /// Currently severely absent at some enrolment (attendance at or below 50%, after the minimum sessions).
    public var isSeverelyAbsent: Bool
    /// Every entry into either state, in replay order.
    public var episodes: [AbsenceEpisode]
    /// `severe-absence` for every severe episode; `persistent-absence` for every
    /// persistent episode when the pupil is vulnerable.
    public var notifications: [EarlyHelpNotification]
    public var audit: [AuditEntry]
}

extension AttendanceRules {
    /// Persistent and severe absence (domain.md, "Attendance rules"), per enrolment.
    ///
    /// For each school the pupil has marks at (``Enrolment``), replays that enrolment's marks
    /// that count in `academicYear` in order (date, AM before PM). After each mark, once the
    /// enrolment has `minimumPossibleSessions` possible sessions, it is persistently absent
    /// when attendance ≤ `persistentAbsencePct` and severely absent when attendance ≤
    /// `severeAbsencePct` (exact fractions). Each entry into a state is an episode with the
    /// next ordinal of the enrolment's year; leaving and entering again is a new episode only
    /// after `reentryCooldownSchoolDays` of the enrolment's school days out of the state
    /// (``AbsenceReentry``), else the earlier episode carries on and nothing is notified.
    /// Notification ids are `StableID.make(kind, upn, year, ordinal, laestab)` and name the
    /// school; `createdAt` is the `time` of the mark that caused the entry.
    ///
    /// - Parameters:
    ///   - marks: the pupil's counted marks (``marksThatCount(_:)``); other pupils' and
    ///     other years' marks are ignored.
    ///   - pupil: the pupil's current characteristics (decides `persistent-absence`).
    public static func assess(
        upn: UPN, marks: [CountedMark], academicYear: AcademicYear, pupil: PupilProfile, context: RuleContext
    ) -> AttendanceAssessment {
        let config = context.config
        let paThreshold = PercentThreshold(percent: config.persistentAbsencePct)
        let severeThreshold = PercentThreshold(percent: config.severeAbsencePct)
        let yearMarks = marks.filter { $0.upn == upn && academicYear.contains($0.date) }.sorted { $0.slot < $1.slot }
        var result = AttendanceAssessment(
            upn: upn, statistics: AttendanceStatistics(marks: yearMarks, academicYear: academicYear), isJudged: false,
            isPersistentlyAbsent: false, isSeverelyAbsent: false, episodes: [], notifications: [], audit: [])
        for enrolment in enrolments(of: upn, in: yearMarks) {
            let a = assess(
                enrolment: enrolment, marks: self.marks(yearMarks, of: enrolment), academicYear: academicYear,
                pupil: pupil, context: context)
            result.enrolmentStatistics[enrolment] = a.statistics
            let judged = a.statistics.possible >= config.minimumPossibleSessions
            result.isJudged = result.isJudged || judged
            result.isPersistentlyAbsent =
                result.isPersistentlyAbsent || (judged && a.statistics.attendance.isAtMost(paThreshold))
            result.isSeverelyAbsent = result.isSeverelyAbsent || (judged && a.statistics.attendance.isAtMost(severeThreshold))
            result.episodes += a.episodes
            result.notifications += a.notifications
            result.audit += a.audit
        }
        return result
    }

    static func assess(
        enrolment: Enrolment, marks yearMarks: [CountedMark], academicYear: AcademicYear, pupil: PupilProfile,
        context: RuleContext
    ) -> (statistics: AttendanceStatistics, episodes: [AbsenceEpisode], notifications: [EarlyHelpNotification], audit: [AuditEntry]) {
        let upn = enrolment.upn
        let config = context.config
        let paThreshold = PercentThreshold(percent: config.persistentAbsencePct)
        let severeThreshold = PercentThreshold(percent: config.severeAbsencePct)

        var stats = AttendanceStatistics(academicYear: academicYear)
        var inState: [AbsenceEpisode.Kind: Int] = [:]  // kind → index in episodes of the open episode
        var reentry = AbsenceReentry(cooldownSchoolDays: config.reentryCooldownSchoolDays)
        var ordinals: [AbsenceEpisode.Kind: Int] = [:]
        var episodes: [AbsenceEpisode] = []
        var notifications: [EarlyHelpNotification] = []
        var audit: [AuditEntry] = []
        let year = academicYear.description

        for mark in yearMarks {
            stats.add(mark)
            reentry.mark(mark.date)
            let judged = stats.possible >= config.minimumPossibleSessions
            let share = stats.attendance
            func isIn(_ kind: AbsenceEpisode.Kind) -> Bool {
                switch kind {
                case .persistent: judged && share.isAtMost(paThreshold)
                case .severe: judged && share.isAtMost(severeThreshold)
                }
            }
            for kind in AbsenceEpisode.Kind.allCases {
                let isIn = isIn(kind)
                if isIn, inState[kind] == nil, let resumed = reentry.resumes(kind, episodes: episodes) {
                    // Back within the cool-down: the earlier episode carries on, nothing is notified.
                    episodes[resumed].left = nil
                    inState[kind] = resumed
                    var figures = stats.auditFigures
                    figures["ordinal"] = String(episodes[resumed].ordinal)
                    figures["date"] = mark.date.description
                    figures["session"] = mark.session.rawValue
                    figures["laestab"] = enrolment.laestab.value
                    figures["school-days-out"] = String(reentry.daysOut(kind))
                    audit.append(
                        AuditEntry(
                            rule: kind.rawValue, decision: "reentered-within-cooldown",
                            key: [
                                upn.value, year, String(episodes[resumed].ordinal), enrolment.laestab.value,
                                mark.date.description, mark.session.rawValue,
                            ],
                            upn: upn, caseId: nil, figures: figures, at: mark.time))
                } else if isIn, inState[kind] == nil {
                    let ordinal = (ordinals[kind] ?? 0) + 1
                    ordinals[kind] = ordinal
                    inState[kind] = episodes.count
                    episodes.append(AbsenceEpisode(kind: kind, ordinal: ordinal, entered: mark, attendanceAtEntry: share))
                    var figures = stats.auditFigures
                    figures["date"] = mark.date.description
                    figures["session"] = mark.session.rawValue
                    figures["laestab"] = enrolment.laestab.value
                    entered(
                        kind, ordinal: ordinal, mark: mark, enrolment: enrolment, academicYear: academicYear, statistics: stats,
                        figures: figures, pupil: pupil, context: context, notifications: &notifications, audit: &audit)
                } else if !isIn, let open = inState[kind] {
                    episodes[open].left = mark
                    inState[kind] = nil
                    reentry.left(kind)
                    var figures = stats.auditFigures
                    figures["ordinal"] = String(episodes[open].ordinal)
                    figures["date"] = mark.date.description
                    figures["session"] = mark.session.rawValue
                    figures["laestab"] = enrolment.laestab.value
                    audit.append(
                        AuditEntry(
                            rule: kind.rawValue, decision: "left",
                            key: [
                                upn.value, year, String(episodes[open].ordinal), enrolment.laestab.value,
                                mark.date.description, mark.session.rawValue,
                            ],
                            upn: upn, caseId: nil, figures: figures, at: mark.time))
                }
            }
        }
        return (stats, episodes, notifications, audit)
    }
}

extension AttendanceRules {
    /// What entering persistent or severe absence (the enrolment's `ordinal`th episode of `kind`
    /// in `academicYear`, on `mark`) decides: a notification for severe absence, or for persistent
    /// absence of a vulnerable pupil, with its audit entry; otherwise only an audit entry. The one
    /// place both the full replay and the fold (``PersistentAbsenceFold``) decide it, so the two
    /// cannot drift apart. `figures` are the audit figures of the mark; the ordinal is added.
    static func entered(
        _ kind: AbsenceEpisode.Kind, ordinal: Int, mark: CountedMark, enrolment: Enrolment, academicYear: AcademicYear,
        statistics stats: AttendanceStatistics, figures: [String: String], pupil: PupilProfile, context: RuleContext,
        notifications: inout [EarlyHelpNotification], audit: inout [AuditEntry]
    ) {
        let upn = enrolment.upn
        let share = stats.attendance
        let key = [upn.value, academicYear.description, String(ordinal), enrolment.laestab.value]
        var figures = figures
        figures["ordinal"] = String(ordinal)
        let notificationKind: NotificationKind = kind == .severe ? .severeAbsence : .persistentAbsence
        let caseId = NotificationDecisions.pupilCaseId(notificationKind, upn: upn, academicYear: academicYear)
        guard kind == .severe || pupil.isVulnerable else {
            audit.append(
                AuditEntry(
                    rule: kind.rawValue, decision: "entered-not-vulnerable", key: key, upn: upn, caseId: nil, figures: figures,
                    at: mark.time))
            return
        }
        let days = kind == .severe ? context.policy.severeAbsenceDueSchoolDays : context.policy.persistentAbsenceDueSchoolDays
        let due = context.calendar.schoolDay(days, after: NotificationDecisions.triggerDay(date: mark.date, recordedAt: mark.time))
        let priority =
            kind == .severe ? NotificationDecisions.severeAbsencePriority(pupil) : NotificationDecisions.persistentAbsencePriority(pupil)
        let reasons =
            ["attendance-pct:\(share.display)", "absence-pct:\(stats.absence.display)", "possible-sessions:\(stats.possible)"]
            + pupil.reasonTags
        notifications.append(
            NotificationDecisions.make(
                notificationKind, key: key, caseId: caseId, upn: upn, laestab: mark.laestab, priority: priority, dueBy: due,
                reasons: reasons, createdAt: mark.time, context: context))
        audit.append(
            AuditEntry(rule: kind.rawValue, decision: "notify", key: key, upn: upn, caseId: caseId, figures: figures, at: mark.time))
    }
}
