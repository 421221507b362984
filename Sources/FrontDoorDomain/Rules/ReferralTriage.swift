import Foundation

/// An open referral case, as the worker's cases table holds it.
public struct OpenReferralCase: Hashable, Sendable {
    public var caseId: String
    public var childKey: String
    public var reason: ReferralReason
    /// When the referral that opened it was received.
    public var receivedAt: Date

    public init(caseId: String, childKey: String, reason: ReferralReason, receivedAt: Date) {
        self.caseId = caseId
        self.childKey = childKey
        self.reason = reason
        self.receivedAt = receivedAt
    }
}

/// Work for a named officer role, alongside the Early Help notification.
public struct OfficerTask: Hashable, Sendable, Codable {
    public enum Role: String, Hashable, Sendable, Codable, CaseIterable {
        case schoolLiaisonOfficer = "school-liaison-officer"
        case inclusionAndAttendanceAdviser = "inclusion-and-attendance-adviser"
    }

    /// Stable like notification ids.
    public var taskId: String
    public var caseId: String
    public var role: Role
    /// What the task is for: the referral reason (`cme`, `persistent-absence`, …) or
    /// `penalty-review-looked-after-child`.
    public var kind: String
    public var upn: UPN?
    public var laestab: LAESTAB?
    public var district: String
    public var priority: Priority
    public var dueBy: LocalDate
    public var reasons: [String]
    public var createdAt: Date

    public init(
        taskId: String, caseId: String, role: Role, kind: String, upn: UPN?, laestab: LAESTAB?, district: String,
        priority: Priority, dueBy: LocalDate, reasons: [String], createdAt: Date
    ) {
        self.taskId = taskId
        self.caseId = caseId
        self.role = role
        self.kind = kind
        self.upn = upn
        self.laestab = laestab
        self.district = district
        self.priority = priority
        self.dueBy = dueBy
        self.reasons = reasons
        self.createdAt = createdAt
    }
}

/// What triage decided for one referral.
public struct TriageDecision: Hashable, Sendable {
    public enum Outcome: String, Hashable, Sendable {
        /// A new case: store it, its task and its notification.
        case openedCase = "opened-case"
        /// An open case for the same child and reason exists: the referral joins it; no new
        /// case, task or notification.
        case joinedCase = "joined-case"
    }

    public var outcome: Outcome
    public var caseId: String
    public var childKey: String
    public var reason: ReferralReason
    public var route: Route
    public var priority: Priority
    /// When the case is due: for `cme` the CME clock (10th school day after received).
    public var dueBy: LocalDate
    /// The officer task (only when a case is opened and the reason has one).
    public var task: OfficerTask?
    /// `cme-referral` or `referral-triaged` (only when a case is opened).
    public var notification: EarlyHelpNotification?
    public var audit: [AuditEntry]
}

/// The state of a CME case the `cme-overdue` scheduler looks at.
public struct CMECaseState: Hashable, Sendable {
    public var caseId: String
    public var upn: UPN?
    public var laestab: LAESTAB?
    /// `time` of the `referral.received.v1` that opened the case.
    public var receivedAt: Date
    public var child: PupilProfile
    public var safeguardingConcern: Bool
    /// Set once a `referral.resolved.v1` arrived.
    public var resolution: CMEResolution?
    /// The route triage gave the case (its stored district and unit), so `cme-overdue` goes
    /// where `cme-referral` went, also for a case routed by postcode. Nil: by `laestab`.
    public var route: Route?

    public init(
        caseId: String, upn: UPN?, laestab: LAESTAB?, receivedAt: Date, child: PupilProfile = .unknown,
        safeguardingConcern: Bool = false, resolution: CMEResolution? = nil, route: Route? = nil
    ) {
        self.caseId = caseId
        self.upn = upn
        self.laestab = laestab
        self.receivedAt = receivedAt
        self.child = child
        self.safeguardingConcern = safeguardingConcern
        self.resolution = resolution
        self.route = route
    }

    public var receivedOn: LocalDate { LondonDate.of(receivedAt) }
}

public struct CMEResolution: Hashable, Sendable {
    public var outcome: ReferralOutcome
    public var resolvedOn: LocalDate
    public init(_ r: ReferralResolved) { self.init(outcome: r.outcome, resolvedOn: r.resolvedOn) }
    public init(outcome: ReferralOutcome, resolvedOn: LocalDate) {
        self.outcome = outcome
        self.resolvedOn = resolvedOn
    }
}

public enum ReferralRules {
    /// The normalised key a child is matched on: `upn:<UPN>` when the referral has a UPN,
    /// else `name:<family>|<given>|<yyyy-MM-dd>` with both names trimmed, inner runs of
    /// white space made one space, and lower-cased (``ReferredChild/matchKey``).
    public static func childKey(upn: UPN?, child: ReferredChild) -> String {
        if let upn { return "upn:" + upn.value }
        return "name:" + child.matchKey
    }

    public static func childKey(_ r: ReferralReceived) -> String { childKey(upn: r.upn, child: r.child) }

    /// The id of the case a referral opens: derived from the child, reason and the
    /// opening referral, so re-processing the same referral yields the same case.
    public static func caseId(openedBy r: ReferralReceived) -> String {
        StableID.make("referral-case", childKey(r), r.reason.rawValue, r.referralId)
    }

    /// The officer role a reason creates a task for (domain.md, "Routing"), if any.
    public static func taskRole(for reason: ReferralReason) -> OfficerTask.Role? {
        switch reason {
        case .cme, .persistentAbsence: .schoolLiaisonOfficer
        case .exclusionRisk, .reintegration: .inclusionAndAttendanceAdviser
        case .attendanceConcern: nil
        }
    }

    /// The CME clock's deadline: the `cmeResolveSchoolDays`th (10th) LA school day after the day received.
    public static func cmeDueDate(receivedOn: LocalDate, context: RuleContext) -> LocalDate {
        context.calendar.schoolDay(context.config.cmeResolveSchoolDays, after: receivedOn)
    }

    /// Referral triage (domain.md, "Referral triage").
    ///
    /// Opens a case (with its officer task and its `cme-referral` or `referral-triaged`
    /// notification, id `StableID.make(kind, caseId)`), or joins the open case of the same
    /// child and reason (nothing new to notify). Routed by ``PostcodeRouting``: the school's
    /// district; no school, the child's postcode district; else `unassigned`.
    ///
    /// - Parameters:
    ///   - receivedAt: the `time` of the `referral.received.v1` event.
    ///   - openCases: the open (unresolved) cases of the same child key; an open case with
    ///     the same reason is joined (the earliest received, if several).
    ///   - knownPupil: characteristics already known from attendance or exclusion events,
    ///     merged with what the referral states.
    ///   - knownUPN: for a referral without a UPN, the UPN of the pupil frontdoor knows by
    ///     name and date of birth (``ReferralMatching``); open cases of that UPN's child key
    ///     are joined too.
    public static func triage(
        _ r: ReferralReceived, receivedAt: Date, openCases: [OpenReferralCase], knownPupil: PupilProfile? = nil,
        knownUPN: UPN? = nil, context: RuleContext
    ) -> TriageDecision {
        let key = childKey(r)
        let joinable = ReferralMatching.childKeys(for: r, knownUPN: knownUPN)
        let stated = PupilProfile(r.child)
        let child = knownPupil.map { stated.merging($0) } ?? stated
        let receivedOn = LondonDate.of(receivedAt)
        let priority = NotificationDecisions.referralPriority(
            reason: r.reason, safeguardingConcern: r.safeguardingConcern, child: child)
        let (route, routeBasis) = PostcodeRouting.route(laestab: r.laestab, postcode: r.child.postcode, context: context)
        let due =
            r.reason == .cme
            ? cmeDueDate(receivedOn: receivedOn, context: context)
            : context.calendar.schoolDay(context.policy.referralDueSchoolDays, after: receivedOn)
        var figures = [
            "reason": r.reason.rawValue, "priority": priority.rawValue, "district": route.district,
            "unit-id": route.unitId, "due-by": due.description, "referral-id": r.referralId, "route-basis": routeBasis,
        ]

        let matching = openCases.filter { joinable.contains($0.childKey) && $0.reason == r.reason }
            .sorted { ($0.receivedAt, $0.caseId) < ($1.receivedAt, $1.caseId) }
        if let open = matching.first {
            figures["joined-case"] = open.caseId
            if open.childKey != key { figures["matched-by"] = "name-and-date-of-birth-of-known-pupil" }
            return TriageDecision(
                outcome: .joinedCase, caseId: open.caseId, childKey: key, reason: r.reason, route: route,
                priority: priority, dueBy: due, task: nil, notification: nil,
                audit: [
                    AuditEntry(
                        rule: "referral-triage", decision: "joined-case", key: [r.referralId], upn: r.upn,
                        caseId: open.caseId, figures: figures, at: receivedAt)
                ])
        }

        let caseId = caseId(openedBy: r)
        var reasons = ["reason:\(r.reason.rawValue)"]
        if r.safeguardingConcern { reasons.append("safeguarding") }
        reasons += child.reasonTags
        let kind: NotificationKind = r.reason == .cme ? .cmeReferral : .referralTriaged
        let notification = NotificationDecisions.make(
            kind, key: [caseId], caseId: caseId, upn: r.upn, laestab: r.laestab, priority: priority, dueBy: due,
            reasons: reasons, createdAt: receivedAt, context: context, route: route)
        var audit = [
            AuditEntry(
                rule: "referral-triage", decision: "opened-case", key: [r.referralId], upn: r.upn, caseId: caseId,
                figures: figures, at: receivedAt)
        ]
        var task: OfficerTask?
        if let role = taskRole(for: r.reason) {
            task = OfficerTask(
                taskId: StableID.make("task", role.rawValue, caseId), caseId: caseId, role: role, kind: r.reason.rawValue,
                upn: r.upn, laestab: r.laestab, district: route.district, priority: priority, dueBy: due,
                reasons: reasons, createdAt: receivedAt)
            audit.append(
                AuditEntry(
                    rule: "referral-triage", decision: "task-\(role.rawValue)", key: [r.referralId], upn: r.upn,
                    caseId: caseId, figures: figures, at: receivedAt))
        }
        return TriageDecision(
            outcome: .openedCase, caseId: caseId, childKey: key, reason: r.reason, route: route, priority: priority,
            dueBy: due, task: task, notification: notification, audit: audit)
    }

    /// The CME clock (domain.md): a CME case unresolved after `cmeResolveSchoolDays` (10)
    /// school days raises `cme-overdue`, once.
    ///
    /// Overdue when `today` is after the deadline (``cmeDueDate(receivedOn:context:)``) and
    /// the case has no resolution (or one dated after `today`). The notification's id is
    /// `StableID.make("cme-overdue", caseId)`, so a scheduler calling this every day
    /// enqueues it once; `createdAt` is the start of the first overdue day in England
    /// (not the scheduler's clock) and `dueBy` the next school day after the deadline,
    /// so every call yields the same notification.
    public static func cmeOverdue(
        case c: CMECaseState, today: LocalDate, context: RuleContext
    ) -> (
        notification: EarlyHelpNotification, audit: AuditEntry
    )? {
        cmeOverdue(case: c, deadline: cmeDueDate(receivedOn: c.receivedOn, context: context), today: today, context: context)
    }

    /// ``cmeOverdue(case:today:context:)`` against a deadline fixed when the case opened (the
    /// case's stored `due_by`) rather than one recomputed from today's calendar: a calendar
    /// changed since (an added closure day) cannot move a deadline that already passed, so the
    /// scheduler that found the case overdue by its `due_by` always gets its notification.
    public static func cmeOverdue(
        case c: CMECaseState, deadline: LocalDate, today: LocalDate, context: RuleContext
    ) -> (
        notification: EarlyHelpNotification, audit: AuditEntry
    )? {
        guard today > deadline else { return nil }
        if let r = c.resolution, r.resolvedOn <= today { return nil }
        let firstOverdueDay = deadline.adding(days: 1)
        let createdAt = LondonDate.startOfDay(firstOverdueDay)
        let due = context.calendar.schoolDay(context.policy.cmeOverdueDueSchoolDays, after: deadline)
        var reasons = ["school-days-open:\(context.calendar.schoolDays(after: c.receivedOn, through: today))"]
        if c.safeguardingConcern { reasons.append("safeguarding") }
        reasons += c.child.reasonTags
        let n = NotificationDecisions.make(
            .cmeOverdue, key: [c.caseId], caseId: c.caseId, upn: c.upn, laestab: c.laestab,
            priority: NotificationDecisions.cmeOverduePriority, dueBy: due, reasons: reasons, createdAt: createdAt,
            context: context, route: c.route)
        let audit = AuditEntry(
            rule: "cme-clock", decision: "notify-overdue", key: [c.caseId], upn: c.upn, caseId: c.caseId,
            figures: ["received-on": c.receivedOn.description, "deadline": deadline.description], at: createdAt)
        return (n, audit)
    }

    /// "Found within two weeks" (events.md): resolved with any outcome but `not-found`
    /// on or before the CME clock's deadline, counted from the day the referral was received.
    public static func foundWithinTwoWeeks(receivedAt: Date, resolution: CMEResolution?, context: RuleContext) -> Bool {
        guard let resolution, resolution.outcome.countsAsFound else { return false }
        return resolution.resolvedOn <= cmeDueDate(receivedOn: LondonDate.of(receivedAt), context: context)
    }
}
