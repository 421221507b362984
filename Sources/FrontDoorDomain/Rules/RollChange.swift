import Foundation

/// One `roll.change.v1` as the rules see it: a fact about one enrolment.
public struct RollFact: Hashable, Sendable {
    /// The CloudEvents `id` and `time`.
    public var eventId: String
    public var time: Date
    public var upn: UPN
    public var laestab: LAESTAB
    public var change: RollChangeKind
    public var effectiveDate: LocalDate
    public var ground: DeletionGround?
    public var destinationLaestab: LAESTAB?
    public var dualRegistration: DualRegistration?

    public init(
        eventId: String, time: Date, upn: UPN, laestab: LAESTAB, change: RollChangeKind, effectiveDate: LocalDate,
        ground: DeletionGround? = nil, destinationLaestab: LAESTAB? = nil, dualRegistration: DualRegistration? = nil
    ) {
        self.eventId = eventId
        self.time = time
        self.upn = upn
        self.laestab = laestab
        self.change = change
        self.effectiveDate = effectiveDate
        self.ground = ground
        self.destinationLaestab = destinationLaestab
        self.dualRegistration = dualRegistration
    }

    /// From a decoded `roll.change.v1`.
    public init(envelope: EventEnvelope, change c: RollChange) {
        self.init(
            eventId: envelope.id, time: envelope.time, upn: c.upn, laestab: c.laestab, change: c.change,
            effectiveDate: c.effectiveDate, ground: c.ground, destinationLaestab: c.destinationLaestab,
            dualRegistration: c.dualRegistration)
    }

    public var enrolment: Enrolment { Enrolment(upn: upn, laestab: laestab) }

    /// Order of facts for one enrolment (events.md): `effectiveDate`, ties `time`, then `id`.
    static func isBefore(_ a: RollFact, _ b: RollFact) -> Bool {
        (a.effectiveDate, a.time, a.eventId) < (b.effectiveDate, b.time, b.eventId)
    }
}

/// Roll changes (domain.md "Roll changes", events.md `roll.change.v1`).
public enum RollChangeRules {
    /// The current roll status of each enrolment: for one `(upn, laestab)` the change with the
    /// latest `effectiveDate` (ties: latest `time`, then the larger `id`).
    public static func current(_ facts: [RollFact]) -> [Enrolment: RollFact] {
        var best: [Enrolment: RollFact] = [:]
        for f in facts {
            if let b = best[f.enrolment], !RollFact.isBefore(b, f) { continue }
            best[f.enrolment] = f
        }
        return best
    }

    /// The deletion a mark dated `date` at `enrolment` falls after, or nil when the pupil is on
    /// that roll on `date`.
    ///
    /// The fact in force on `date` is the latest (by ``RollFact`` order) admission dated on or
    /// before it or deletion dated before it: a deletion takes effect the day after its
    /// `effectiveDate` (the day the name was removed still has its register), an admission on
    /// its own. Marks before any fact, or with only admissions, are on roll (schools do not
    /// always send admissions). So a pupil deleted and admitted again is on roll from the
    /// readmission, and a mark between the two is still rejected.
    public static func deletion(before date: LocalDate, at enrolment: Enrolment, facts: [RollFact]) -> RollFact? {
        let inForce =
            facts
            .filter { $0.enrolment == enrolment }
            .filter { $0.change == .deleted ? $0.effectiveDate < date : $0.effectiveDate <= date }
            .max(by: RollFact.isBefore)
        return inForce?.change == .deleted ? inForce : nil
    }

    /// What a pupil's deletions decide (each enrolment's current status, when it is a deletion):
    ///
    /// - ground `continuous-absence-20-days` or `not-known` with no CME case open on the day
    ///   the deletion was recorded: `cme-risk` naming the school (the child may be missing
    ///   education; the school must also make a CME referral);
    /// - ground `elective-home-education` of a child at a special school (`phase: special`
    ///   in `schools.csv`) or on a child-protection plan (`pupil.cpp`): `ehe-consent-required`,
    ///   `urgent` (the Children's Wellbeing and Schools Act 2026 requires the LA's consent
    ///   before such a child's name is removed).
    ///
    /// Ids: `StableID.make(kind, upn, "deletion", laestab, effectiveDate)`; `createdAt` is the
    /// deletion's `time`.
    public static func evaluate(
        upn: UPN, facts: [RollFact], pupil: PupilProfile, cmeCases: [CMECasePeriod], context: RuleContext
    ) -> (notifications: [EarlyHelpNotification], audit: [AuditEntry]) {
        var notifications: [EarlyHelpNotification] = []
        var audit: [AuditEntry] = []
        let deletions = current(facts.filter { $0.upn == upn }).values.filter { $0.change == .deleted }.sorted(by: RollFact.isBefore)
        for d in deletions {
            guard let ground = d.ground else { continue }
            let key = [upn.value, "deletion", d.laestab.value, d.effectiveDate.description]
            let decidedOn = NotificationDecisions.triggerDay(date: d.effectiveDate, recordedAt: d.time)
            let figures = [
                "ground": ground.rawValue, "laestab": d.laestab.value, "effective-date": d.effectiveDate.description,
            ]
            switch ground {
            case .continuousAbsence20Days, .notKnown:
                if cmeCases.contains(where: { $0.isOpen(on: decidedOn) }) {
                    audit.append(
                        AuditEntry(
                            rule: "roll-change", decision: "cme-risk-suppressed-open-cme-case", key: key, upn: upn,
                            caseId: nil, figures: figures, at: d.time))
                    continue
                }
                let caseId = NotificationDecisions.pupilCaseId(
                    .cmeRisk, upn: upn, academicYear: AcademicYear(containing: d.effectiveDate))
                notifications.append(
                    NotificationDecisions.make(
                        .cmeRisk, key: key, caseId: caseId, upn: upn, laestab: d.laestab,
                        priority: NotificationDecisions.cmeRiskPriority(pupil),
                        dueBy: context.calendar.schoolDay(context.policy.cmeRiskDueSchoolDays, after: decidedOn),
                        reasons: ["deleted-from-roll:\(ground.rawValue)", "since:\(d.effectiveDate)"] + pupil.reasonTags,
                        createdAt: d.time, context: context))
                audit.append(
                    AuditEntry(
                        rule: "roll-change", decision: "cme-risk", key: key, upn: upn, caseId: caseId, figures: figures,
                        at: d.time))
            case .electiveHomeEducation:
                let special = context.schools.phase(of: d.laestab) == .special
                guard special || pupil.cpp else { continue }
                let reasons = (special ? ["special-school"] : []) + (pupil.cpp ? ["child-protection-plan"] : [])
                let caseId = StableID.make("case", NotificationKind.eheConsentRequired.rawValue, upn.value, d.laestab.value)
                notifications.append(
                    NotificationDecisions.make(
                        .eheConsentRequired, key: key, caseId: caseId, upn: upn, laestab: d.laestab,
                        priority: NotificationDecisions.eheConsentPriority,
                        dueBy: context.calendar.schoolDay(context.policy.eheConsentDueSchoolDays, after: decidedOn),
                        reasons: reasons + pupil.reasonTags, createdAt: d.time, context: context))
                audit.append(
                    AuditEntry(
                        rule: "roll-change", decision: "ehe-consent-required", key: key, upn: upn, caseId: caseId,
                        figures: figures.merging(["reasons": reasons.joined(separator: ",")]) { a, _ in a }, at: d.time))
            default:
                continue
            }
        }
        return (notifications, audit)
    }
}
