import Foundation

/// The case a penalty decision opens (the enforcement team's review, or the School Liaison
/// Officer's task for a looked-after child): its kind, reason, unit, priority and dates.
public struct PenaltyCaseOpening: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case enforcementReview = "enforcement-review"
        case liaisonTask = "liaison-task"
    }

    public var caseId: String
    public var kind: Kind
    public var reason: String
    public var upn: UPN?
    public var laestab: LAESTAB?
    public var district: String
    public var unitId: String
    public var priority: Priority
    public var openedOn: LocalDate
    public var dueBy: LocalDate?

    /// The enforcement team's unit: reviews are county-wide (domain.md).
    public static let enforcementUnitId = "enforcement"

    /// The case `decision` opens: a review goes to the county-wide enforcement team at
    /// `normal` priority, routed to the school's district for the figures; a task to the
    /// Early Help Unit of its district, with the task's priority and due date. Opened on the
    /// day (in England) of the event that caused it.
    public init(_ decision: PenaltyDecision, context: RuleContext) {
        switch decision {
        case .review(let r):
            self.init(
                caseId: r.caseId, kind: .enforcementReview, reason: r.basis.rawValue, upn: r.upn, laestab: r.laestab,
                district: context.route(r.laestab).district, unitId: Self.enforcementUnitId, priority: .normal,
                openedOn: LondonDate.of(r.createdAt), dueBy: nil)
        case .liaisonOfficerTask(let t):
            self.init(
                caseId: t.caseId, kind: .liaisonTask, reason: t.kind, upn: t.upn, laestab: t.laestab, district: t.district,
                unitId: context.units.unitId(forDistrict: t.district), priority: t.priority,
                openedOn: LondonDate.of(t.createdAt), dueBy: t.dueBy)
        }
    }

    init(
        caseId: String, kind: Kind, reason: String, upn: UPN?, laestab: LAESTAB?, district: String, unitId: String,
        priority: Priority, openedOn: LocalDate, dueBy: LocalDate?
    ) {
        self.caseId = caseId
        self.kind = kind
        self.reason = reason
        self.upn = upn
        self.laestab = laestab
        self.district = district
        self.unitId = unitId
        self.priority = priority
        self.openedOn = openedOn
        self.dueBy = dueBy
    }
}
