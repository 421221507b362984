import Foundation

/// When a CME case was open for the pupil: from the day it was received to the day it was
/// resolved (inclusive), or still open.
public struct CMECasePeriod: Hashable, Sendable {
    public var opened: LocalDate
    public var resolved: LocalDate?

    public init(opened: LocalDate, resolved: LocalDate? = nil) {
        self.opened = opened
        self.resolved = resolved
    }

    public func isOpen(on d: LocalDate) -> Bool { d >= opened && (resolved.map { d <= $0 } ?? true) }
}

/// A run of consecutive marked days on which every session was `G`, `N` or `O`, that
/// reached the configured length.
public struct CMERiskRun: Hashable, Sendable {
    /// 1 for the first such run this academic year, 2 for the next, …
    public var ordinal: Int
    public var firstDay: LocalDate
    /// The day the run reached `cmeRiskSchoolDays` days.
    public var thresholdDay: LocalDate
    /// The last day of the run so far.
    public var lastDay: LocalDate
    public var days: Int
    /// The last mark (in replay order) of ``thresholdDay``: its `time` is `createdAt`.
    public var trigger: CountedMark
    /// A CME case was open when the run reached the threshold, so no `cme-risk` was raised.
    public var suppressedByOpenCase: Bool
}

public struct CMERiskAssessment: Hashable, Sendable {
    public var upn: UPN
    public var runs: [CMERiskRun]
    /// Length of the run of qualifying days that ends on the pupil's latest marked day (0 if that day does not qualify).
    public var currentRunDays: Int
    public var notifications: [EarlyHelpNotification]
    public var audit: [AuditEntry]
}

public enum CMERiskRule {
    /// CME risk (domain.md): `cmeRiskSchoolDays` (10) consecutive school days on which
    /// every session of one enrolment is one of `cmeRiskCodes` (`G`, `N`, `O`) raises
    /// `cme-risk` naming that school, unless a CME case is open for the pupil.
    ///
    /// Per enrolment (``Enrolment``): "school days" are the days on which the pupil has marks
    /// at that school (its own calendar), in date order; a day qualifies when every counted
    /// mark of the enrolment that day has a CME-risk code. Other schools' marks play no part,
    /// so another school's `D` (the child attending elsewhere) does not break the run. Runs
    /// are found over every mark given, so a run continues across the summer holiday; a run
    /// belongs to the academic year of the day it reached the threshold, and `academicYear`'s
    /// runs are returned. A day with an `N` still inside its grace (``NGrace``; those are
    /// only ever the enrolment's latest days) is not judged yet. A run raises once, when it
    /// reaches the threshold; a day that does not qualify ends it, and a later run raises
    /// again with the next ordinal of the enrolment's year
    /// (`StableID.make("cme-risk", upn, year, ordinal, laestab)`). The open-case test is made
    /// on the day the threshold day's last mark was recorded (or the threshold day, if
    /// later), so replaying history after a case opens re-derives, never withdraws, what was
    /// raised before it.
    public static func evaluate(
        upn: UPN, marks: [CountedMark], academicYear: AcademicYear, pupil: PupilProfile, cmeCases: [CMECasePeriod],
        context: RuleContext, pending: Set<MarkSlot>? = nil
    ) -> CMERiskAssessment {
        let pending = pending ?? NGrace.pending(marks, graceDays: context.config.nGraceSchoolDays)
        var result = CMERiskAssessment(upn: upn, runs: [], currentRunDays: 0, notifications: [], audit: [])
        for enrolment in AttendanceRules.enrolments(of: upn, in: marks) {
            let a = evaluate(
                enrolment: enrolment, marks: AttendanceRules.marks(marks, of: enrolment), academicYear: academicYear,
                pupil: pupil, cmeCases: cmeCases, pending: pending, context: context)
            result.runs += a.runs
            result.currentRunDays = max(result.currentRunDays, a.currentRunDays)
            result.notifications += a.notifications
            result.audit += a.audit
        }
        return result
    }

    static func evaluate(
        enrolment: Enrolment, marks: [CountedMark], academicYear: AcademicYear, pupil: PupilProfile,
        cmeCases: [CMECasePeriod], pending: Set<MarkSlot>, context: RuleContext
    ) -> CMERiskAssessment {
        let upn = enrolment.upn
        let threshold = context.config.cmeRiskSchoolDays
        let codes = context.config.cmeRiskCodes
        // Group by day, keeping replay order; up to the end of `academicYear` (a run from an
        // earlier year carries on into it).
        // Each day holds its last mark (the trigger) apart, so a day is never empty.
        var days: [(date: LocalDate, marks: [CountedMark], last: CountedMark)] = []
        for m in marks where m.date <= academicYear.lastDay {
            if days.last?.date == m.date {
                days[days.count - 1].marks.append(m)
                days[days.count - 1].last = m
            } else {
                days.append((m.date, [m], m))
            }
        }
        // Days with an N still in grace are the enrolment's latest: not judged yet.
        if let firstPending = days.firstIndex(where: { $0.marks.contains { pending.contains($0.slot) } }) {
            days.removeSubrange(firstPending...)
        }

        var runs: [CMERiskRun] = []
        var notifications: [EarlyHelpNotification] = []
        var audit: [AuditEntry] = []
        var runLength = 0
        var runStart = LocalDate(anyYear: 2000, month: 1, dayInMonth: 1)  // set when a run begins
        var runCounted = false  // the current run reached the threshold in `academicYear`

        for day in days {
            guard day.marks.allSatisfy({ codes.contains($0.code.code) }) else {
                runLength = 0
                runCounted = false
                continue
            }
            runLength += 1
            if runLength == 1 { runStart = day.date }
            if runLength == threshold, academicYear.contains(day.date) {
                runCounted = true
                let trigger = day.last
                let ordinal = runs.count + 1
                let decidedOn = NotificationDecisions.triggerDay(date: day.date, recordedAt: trigger.time)
                let suppressed = cmeCases.contains { $0.isOpen(on: decidedOn) }
                runs.append(
                    CMERiskRun(
                        ordinal: ordinal, firstDay: runStart, thresholdDay: day.date, lastDay: day.date, days: runLength,
                        trigger: trigger, suppressedByOpenCase: suppressed))
                thresholdReached(
                    enrolment: enrolment, academicYear: academicYear, ordinal: ordinal, runLength: runLength, runStart: runStart,
                    day: day.date, trigger: trigger, decidedOn: decidedOn, suppressed: suppressed, pupil: pupil, context: context,
                    notifications: &notifications, audit: &audit)
            } else if runLength > threshold, runCounted {
                runs[runs.count - 1].lastDay = day.date
                runs[runs.count - 1].days = runLength
            }
        }
        let latestInYear = days.last.map { academicYear.contains($0.date) } ?? false
        return CMERiskAssessment(
            upn: upn, runs: runs, currentRunDays: latestInYear ? runLength : 0, notifications: notifications, audit: audit)
    }
}

extension CMERiskRule {
    /// What a run of `runLength` school days from `runStart` decides when it reaches the
    /// threshold on `day` (its `ordinal`th in `academicYear` at this enrolment): a `cme-risk`
    /// notification and its audit entry, or only an audit entry when an open CME case
    /// (`suppressed`) already covers the child. The one place both the full replay
    /// (``evaluate(enrolment:marks:academicYear:pupil:cmeCases:pending:context:)``) and the
    /// fold (``CMERiskFold``) decide it, so the two cannot drift apart.
    static func thresholdReached(
        enrolment: Enrolment, academicYear: AcademicYear, ordinal: Int, runLength: Int, runStart: LocalDate, day: LocalDate,
        trigger: CountedMark, decidedOn: LocalDate, suppressed: Bool, pupil: PupilProfile, context: RuleContext,
        notifications: inout [EarlyHelpNotification], audit: inout [AuditEntry]
    ) {
        let upn = enrolment.upn
        let key = [upn.value, academicYear.description, String(ordinal), enrolment.laestab.value]
        let caseId = NotificationDecisions.pupilCaseId(.cmeRisk, upn: upn, academicYear: academicYear)
        let figures = [
            "consecutive-days": String(runLength), "first-day": runStart.description, "threshold-day": day.description,
            "ordinal": String(ordinal), "laestab": enrolment.laestab.value,
        ]
        if suppressed {
            audit.append(
                AuditEntry(
                    rule: "cme-risk", decision: "suppressed-open-cme-case", key: key, upn: upn, caseId: nil, figures: figures,
                    at: trigger.time))
        } else {
            let due = context.calendar.schoolDay(context.policy.cmeRiskDueSchoolDays, after: decidedOn)
            let reasons = ["consecutive-days:\(runLength)", "since:\(runStart)"] + pupil.reasonTags
            notifications.append(
                NotificationDecisions.make(
                    .cmeRisk, key: key, caseId: caseId, upn: upn, laestab: enrolment.laestab,
                    priority: NotificationDecisions.cmeRiskPriority(pupil), dueBy: due, reasons: reasons,
                    createdAt: trigger.time, context: context))
            audit.append(
                AuditEntry(
                    rule: "cme-risk", decision: "notify", key: key, upn: upn, caseId: caseId, figures: figures,
                    at: trigger.time))
        }
    }
}
