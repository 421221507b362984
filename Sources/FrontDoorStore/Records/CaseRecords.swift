import Foundation

/// A case: what frontdoor opened for a child (a referral, a CME report, an exclusion, an
/// enforcement review, …) and routed to an Early Help Unit.
public struct CaseRecord: Sendable, Hashable {
    /// Stable id, chosen by the worker (derive it from the causing event so a replay makes the same id).
    public var caseId: String
    /// `"referral"`, `"cme"`, `"exclusion"`, `"enforcement-review"`, … (free text).
    public var kind: String
    /// Why, e.g. a referral reason (`"cme"`, `"persistent-absence"`) or a notification kind.
    public var reason: String
    /// The child's UPN when known.
    public var upn: String?
    /// The normalised child key (see ``ReferralRecord/childKey(familyName:givenName:dateOfBirth:)``)
    /// for children matched without a UPN.
    public var childKey: String?
    public var laestab: String?
    public var district: String
    public var unitId: String
    /// `"urgent"`, `"high"` or `"normal"`.
    public var priority: String
    /// `"open"` or `"closed"`.
    public var status: String
    public var openedOn: StoreDate
    /// When it should be resolved (a CME case: 10 school days after it was received).
    public var dueBy: StoreDate?
    /// Whether `cme-overdue` was already raised.
    public var overdueNotified: Bool
    /// When a governing board review is due (exclusions).
    public var reviewDueBy: StoreDate?
    public var closedOn: StoreDate?
    public var outcome: String?
    /// Free-form JSON object for rule-specific facts (UTF-8 JSON; default `{}`). May hold personal
    /// data: never log it.
    public var detailsJSON: Data

    public init(
        caseId: String,
        kind: String,
        reason: String,
        upn: String? = nil,
        childKey: String? = nil,
        laestab: String? = nil,
        district: String,
        unitId: String,
        priority: String,
        status: String = "open",
        openedOn: StoreDate,
        dueBy: StoreDate? = nil,
        overdueNotified: Bool = false,
        reviewDueBy: StoreDate? = nil,
        closedOn: StoreDate? = nil,
        outcome: String? = nil,
        detailsJSON: Data = Data("{}".utf8)
    ) {
        self.caseId = caseId
        self.kind = kind
        self.reason = reason
        self.upn = upn
        self.childKey = childKey
        self.laestab = laestab
        self.district = district
        self.unitId = unitId
        self.priority = priority
        self.status = status
        self.openedOn = openedOn
        self.dueBy = dueBy
        self.overdueNotified = overdueNotified
        self.reviewDueBy = reviewDueBy
        self.closedOn = closedOn
        self.outcome = outcome
        self.detailsJSON = detailsJSON
    }
}

/// A `referral.received.v1` as stored, with its resolution once `referral.resolved.v1` arrives.
public struct ReferralRecord: Sendable, Hashable {
    public var referralId: String
    /// The case the referral opened or joined. The case must exist (create it first).
    public var caseId: String
    /// `"cme"`, `"exclusion-risk"`, `"persistent-absence"`, `"attendance-concern"`, `"reintegration"`.
    public var reason: String
    public var upn: String?
    public var laestab: String?
    /// `"school"`, `"police"`, `"health"`, `"social-care"`, `"early-help"`, `"other"`.
    public var referrerKind: String
    public var referrerOrganisation: String
    /// The `child` object as received (names, date of birth, postcode…), UTF-8 JSON. Personal
    /// data: stored, never logged.
    public var childJSON: Data
    /// See ``childKey(familyName:givenName:dateOfBirth:)``.
    public var childKey: String
    public var safeguardingConcern: Bool
    public var lastSeenDate: StoreDate?
    /// Free text from the referrer. Personal data: stored, never logged.
    public var details: String?
    /// The event's `time`.
    public var receivedTime: Date
    /// The date of ``receivedTime`` in the LA's time zone: the start of the CME clock.
    public var receivedOn: StoreDate
    public var resolvedOn: StoreDate?
    public var outcome: String?
    public var source: String
    public var eventId: String

    public init(
        referralId: String,
        caseId: String,
        reason: String,
        upn: String? = nil,
        laestab: String? = nil,
        referrerKind: String,
        referrerOrganisation: String,
        childJSON: Data,
        childKey: String,
        safeguardingConcern: Bool,
        lastSeenDate: StoreDate? = nil,
        details: String? = nil,
        receivedTime: Date,
        receivedOn: StoreDate,
        resolvedOn: StoreDate? = nil,
        outcome: String? = nil,
        source: String,
        eventId: String
    ) {
        self.referralId = referralId
        self.caseId = caseId
        self.reason = reason
        self.upn = upn
        self.laestab = laestab
        self.referrerKind = referrerKind
        self.referrerOrganisation = referrerOrganisation
        self.childJSON = childJSON
        self.childKey = childKey
        self.safeguardingConcern = safeguardingConcern
        self.lastSeenDate = lastSeenDate
        self.details = details
        self.receivedTime = receivedTime
        self.receivedOn = receivedOn
        self.resolvedOn = resolvedOn
        self.outcome = outcome
        self.source = source
        self.eventId = eventId
    }

    /// The key that matches a child without a UPN: `family|given|yyyy-MM-dd`, names trimmed
    /// and lower-cased (domain.md: "case-insensitive, trimmed"). Personal data: never log it.
    public static func childKey(familyName: String, givenName: String, dateOfBirth: StoreDate) -> String {
        func normalise(_ name: String) -> String {
            name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        }
        return "\(normalise(familyName))|\(normalise(givenName))|\(dateOfBirth)"
    }
}

/// A task for an officer on a case.
public struct OfficerTaskRecord: Sendable, Hashable {
    public var taskId: String
    public var caseId: String
    /// `"school-liaison-officer"` or `"inclusion-and-attendance-adviser"`.
    public var role: String
    public var createdAt: Date

    public init(taskId: String, caseId: String, role: String, createdAt: Date) {
        self.taskId = taskId
        self.caseId = caseId
        self.role = role
        self.createdAt = createdAt
    }
}
