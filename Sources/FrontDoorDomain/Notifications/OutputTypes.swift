import Foundation

/// Kinds of Early Help notification (events.md, `earlyhelp.notification.v1`).
public enum NotificationKind: String, Sendable, Hashable, Codable, CaseIterable {
    case severeAbsence = "severe-absence"
    case persistentAbsence = "persistent-absence"
    case cmeReferral = "cme-referral"
    case cmeOverdue = "cme-overdue"
    case cmeRisk = "cme-risk"
    case permanentExclusion = "permanent-exclusion"
    case suspensionsThreshold = "suspensions-threshold"
    case vulnerableExclusion = "vulnerable-exclusion"
    case referralTriaged = "referral-triaged"
    /// A deletion for elective home education of a child at a special school or on a
    /// child-protection plan: the LA's consent is needed first (always `urgent`).
    case eheConsentRequired = "ehe-consent-required"
}

/// Priority of a notification or case.
public enum Priority: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case urgent
    case high
    case normal

    private var rank: Int {
        switch self {
        case .urgent: 0
        case .high: 1
        case .normal: 2
        }
    }
    /// `urgent` < `high` < `normal`: sorting ascending puts the most pressing first.
    public static func < (a: Priority, b: Priority) -> Bool { a.rank < b.rank }
}

/// `data` of `earlyhelp.notification.v1`, published on `frontdoor.early-help.<unitId>.v1`.
public struct EarlyHelpNotification: Hashable, Sendable, Codable {
    /// Stable: the same decision always yields the same id, so a re-published notification keeps it.
    public var notificationId: String
    public var caseId: String
    public var unitId: String
    public var district: String
    public var kind: NotificationKind
    public var priority: Priority
    /// The child's UPN whenever the child has one.
    public var upn: UPN?
    public var laestab: LAESTAB?
    public var dueBy: LocalDate
    /// Short machine-readable strings, e.g. `attendance-pct:48.6`, `fsm`, `ehcp`.
    public var reasons: [String]
    /// When the fact that raised it was recorded at the source (the triggering event's `time`),
    /// so that replaying the same events yields the same notification.
    public var createdAt: Date

    public init(
        notificationId: String, caseId: String, unitId: String, district: String, kind: NotificationKind,
        priority: Priority, upn: UPN?, laestab: LAESTAB?, dueBy: LocalDate, reasons: [String], createdAt: Date
    ) {
        self.notificationId = notificationId
        self.caseId = caseId
        self.unitId = unitId
        self.district = district
        self.kind = kind
        self.priority = priority
        self.upn = upn
        self.laestab = laestab
        self.dueBy = dueBy
        self.reasons = reasons
        self.createdAt = createdAt
    }
}

/// A penalty-notice ruleset; which one judges a session is ``PenaltyRulesetSchedule``'s choice by date.
public enum PenaltyRuleset: String, Sendable, Hashable, Codable, CaseIterable {
    case kent2016 = "kent-2016"
    case england2024 = "england-2024"
}

/// Why an enforcement review was raised.
public enum ReviewBasis: String, Sendable, Hashable, Codable, CaseIterable {
    case attendanceAtOrBelow90 = "attendance-at-or-below-90"
    case examPeriod = "exam-period"
    case tenUnauthorisedSessions = "ten-unauthorised-sessions"
}

/// What the review recommends a person decides.
public enum RecommendedAction: String, Sendable, Hashable, Codable, CaseIterable {
    case penaltyNotice = "penalty-notice"
    case noticeToImprove = "notice-to-improve"
    case considerProsecution = "consider-prosecution"
}

/// A prior penalty notice the `england-2024` rule counted, listed by parent.
public struct PriorNotice: Hashable, Sendable, Codable {
    public var parentRef: String
    public var decidedOn: LocalDate
    public var caseId: String
    public init(parentRef: String, decidedOn: LocalDate, caseId: String) {
        self.parentRef = parentRef
        self.decidedOn = decidedOn
        self.caseId = caseId
    }
}

/// `data` of `enforcement.review.v1`, published on `frontdoor.enforcement.v1`.
///
/// A recommendation for a person to decide; nothing is issued automatically.
/// `priorNotices` is an addition to the fields events.md lists: the rule is per parent
/// and the officer decides which parent a notice goes to, so the review lists them.
public struct EnforcementReview: Hashable, Sendable, Codable {
    public var caseId: String
    public var upn: UPN
    public var laestab: LAESTAB
    public var ruleset: PenaltyRuleset
    public var basis: ReviewBasis
    /// Attendance to one decimal place (rounded half up).
    public var attendancePct: Double
    public var unauthorisedSessions: Int
    public var windowStart: LocalDate
    public var windowEnd: LocalDate
    public var priorNoticesIn3Years: Int
    public var priorNotices: [PriorNotice]
    public var recommendedAction: RecommendedAction
    public var amountPence: Int?
    public var createdAt: Date
    /// Short machine-readable grounds beyond `basis`: `term-time-leave-only`,
    /// `after-notice-to-improve`, `compulsory-school-age-assumed` (events.md).
    public var reasons: [String]

    public init(
        caseId: String, upn: UPN, laestab: LAESTAB, ruleset: PenaltyRuleset, basis: ReviewBasis,
        attendancePct: Double, unauthorisedSessions: Int, windowStart: LocalDate, windowEnd: LocalDate,
        priorNoticesIn3Years: Int, priorNotices: [PriorNotice], recommendedAction: RecommendedAction,
        amountPence: Int?, createdAt: Date, reasons: [String] = []
    ) {
        self.caseId = caseId
        self.upn = upn
        self.laestab = laestab
        self.ruleset = ruleset
        self.basis = basis
        self.attendancePct = attendancePct
        self.unauthorisedSessions = unauthorisedSessions
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.priorNoticesIn3Years = priorNoticesIn3Years
        self.priorNotices = priorNotices
        self.recommendedAction = recommendedAction
        self.amountPence = amountPence
        self.createdAt = createdAt
        self.reasons = reasons
    }
}

/// Why an open review was withdrawn (`enforcement.review-withdrawn.v1`'s `reason`).
public enum WithdrawalReason: String, Hashable, Sendable, Codable, CaseIterable {
    /// The school amended the marks that made the review: its threshold is no longer met.
    case amendedBelowThreshold = "amended-below-threshold"
    /// The sessions that made it are no longer of compulsory school age (a date of birth sent since).
    case notCompulsorySchoolAge = "not-compulsory-school-age"
    /// The pupil was deleted from the roll of the review's school before the threshold session.
    case leftRoll = "left-roll"
}

/// `data` of `enforcement.review-withdrawn.v1`, published on `frontdoor.enforcement.v1`
/// when the basis of a review no person has decided on yet disappears; the case closes.
public struct EnforcementReviewWithdrawal: Hashable, Sendable, Codable {
    /// The withdrawn review's case.
    public var caseId: String
    public var upn: UPN
    public var reason: WithdrawalReason
    /// The `time` of the event (the amendment) that removed the basis.
    public var withdrawnAt: Date

    public init(caseId: String, upn: UPN, reason: WithdrawalReason, withdrawnAt: Date) {
        self.caseId = caseId
        self.upn = upn
        self.reason = reason
        self.withdrawnAt = withdrawnAt
    }
}

/// A stable, opaque identifier derived from the parts that identify a decision
/// (128-bit FNV-1a, hex), so that re-deriving a decision gives the same id and no
/// personal data can be read back from it.
public enum StableID {
    public static func make(_ parts: String...) -> String { make(parts) }

    public static func make(_ parts: [String]) -> String {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325
        var h2: UInt64 = 0x8422_2325_cbf2_9ce4 ^ 0x5bd1_e995
        for part in parts {
            for b in part.utf8 {
                h1 = (h1 ^ UInt64(b)) &* 0x0000_0100_0000_01B3
                h2 = (h2 ^ UInt64(b)) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9
            }
            h1 = (h1 ^ 0x1F) &* 0x0000_0100_0000_01B3  // separator, so ("ab","c") != ("a","bc")
            h2 = (h2 ^ 0x1F) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9
        }
        func hex(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(h1) + hex(h2)
    }
}
