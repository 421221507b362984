import Foundation

/// Due dates where domain.md is silent, in LA school days after the day the triggering
/// fact was recorded (see ``NotificationDecisions/triggerDay(date:recordedAt:)``).
///
/// domain.md fixes two due dates, which are not here: `cme-referral` is due on the
/// `cmeResolveSchoolDays`th school day after the referral was received (the CME clock),
/// and `permanent-exclusion` on the `permanentExclusionDutyDay`th school day of the exclusion.
public struct NotificationPolicy: Hashable, Sendable {
    /// `severe-absence`: 10 school days (two school weeks, as the CME clock).
    public var severeAbsenceDueSchoolDays = 10
    /// `persistent-absence`: 10 school days.
    public var persistentAbsenceDueSchoolDays = 10
    /// `cme-risk`: 5 school days: the pupil may already be missing, so sooner.
    public var cmeRiskDueSchoolDays = 5
    /// `suspensions-threshold` for the count or reaching the 45-day cap: 10 school days.
    public var suspensionsThresholdDueSchoolDays = 10
    /// `suspensions-threshold` for a suspension that passes the 45-day cap (a statutory breach): 1 school day.
    public var statutoryBreachDueSchoolDays = 1
    /// `vulnerable-exclusion`: 5 school days (a reintegration plan before a short suspension ends).
    public var vulnerableExclusionDueSchoolDays = 5
    /// `referral-triaged`: 10 school days.
    public var referralDueSchoolDays = 10
    /// `cme-overdue`: the next school day.
    public var cmeOverdueDueSchoolDays = 1
    /// A School Liaison Officer task instead of an enforcement review (looked-after child): 5 school days.
    public var liaisonTaskDueSchoolDays = 5

    /// `ehe-consent-required`: the next school day (the LA's consent must come before the deletion).
    public var eheConsentDueSchoolDays = 1

    public init() {}

    public static let defaults = NotificationPolicy()
}

/// The one place that builds ``EarlyHelpNotification`` values: stable ids, case ids,
/// routing to the unit of the school's district, priorities and reasons.
public enum NotificationDecisions {
    /// `StableID.make(kind, key...)`: the same decision always has the same id.
    public static func notificationId(_ kind: NotificationKind, key: [String]) -> String {
        StableID.make([kind.rawValue] + key)
    }

    /// The case a pupil's notifications of one kind in one academic year belong to.
    public static func pupilCaseId(_ kind: NotificationKind, upn: UPN, academicYear: AcademicYear) -> String {
        StableID.make("case", kind.rawValue, upn.value, academicYear.description)
    }

    /// The day deadlines count from: the later of the fact's own date and the day it was
    /// recorded, so a register backfilled weeks late still gets a deadline in the future.
    public static func triggerDay(date: LocalDate, recordedAt: Date) -> LocalDate {
        max(date, LondonDate.of(recordedAt))
    }

    /// Builds a notification routed to the Early Help Unit of `laestab`'s district
    /// (unknown school or none → `unassigned`).
    public static func make(
        _ kind: NotificationKind, key: [String], caseId: String, upn: UPN?, laestab: LAESTAB?, priority: Priority,
        dueBy: LocalDate, reasons: [String], createdAt: Date, context: RuleContext, route: Route? = nil
    ) -> EarlyHelpNotification {
        let route = route ?? context.route(laestab)
        return EarlyHelpNotification(
            notificationId: notificationId(kind, key: key), caseId: caseId, unitId: route.unitId,
            district: route.district, kind: kind, priority: priority, upn: upn, laestab: laestab, dueBy: dueBy,
            reasons: reasons, createdAt: createdAt
        )
    }

    // MARK: Priorities (domain.md fixes referral and permanent-exclusion; the rest are choices)

    /// `severe-absence`: `urgent` for a looked-after child, else `high`.
    public static func severeAbsencePriority(_ p: PupilProfile) -> Priority { p.cla ? .urgent : .high }
    /// `persistent-absence`: `high` for an FSM, EHCP or looked-after child, else (SEN support only) `normal`.
    public static func persistentAbsencePriority(_ p: PupilProfile) -> Priority { p.raisesPriority ? .high : .normal }
    /// `cme-risk`: `urgent` for a looked-after child, else `high` (as a `cme` referral).
    public static func cmeRiskPriority(_ p: PupilProfile) -> Priority { p.cla ? .urgent : .high }
    /// `permanent-exclusion` (domain.md): `urgent` when EHCP or looked after, else `high`.
    public static func permanentExclusionPriority(_ p: PupilProfile) -> Priority {
        p.hasEHCP || p.cla ? .urgent : .high
    }
    /// `suspensions-threshold`: `urgent` for a statutory breach, else `high`.
    public static func suspensionsThresholdPriority(breach: Bool) -> Priority { breach ? .urgent : .high }
    /// `vulnerable-exclusion`: `urgent` for a looked-after child, else `high`.
    public static func vulnerableExclusionPriority(_ p: PupilProfile) -> Priority { p.cla ? .urgent : .high }
    /// `ehe-consent-required` (events.md): always `urgent`.
    public static let eheConsentPriority = Priority.urgent
    /// `cme-overdue`: always `urgent` (a child still missing after two weeks).
    public static let cmeOverduePriority = Priority.urgent

    /// Referral priority (domain.md): `urgent` for `cme` with a safeguarding concern or a
    /// looked-after child; `high` for any `cme` and any referral of an EHCP, looked-after
    /// or FSM child; else `normal`.
    public static func referralPriority(reason: ReferralReason, safeguardingConcern: Bool, child: PupilProfile) -> Priority {
        if reason == .cme && (safeguardingConcern || child.cla) { return .urgent }
        if reason == .cme || child.raisesPriority { return .high }
        return .normal
    }
}
