import Foundation

/// A recommendation to the enforcement team, open until a person decides on it.
public struct EnforcementReviewRecord: Sendable, Hashable {
    /// The review's case id; a `cases` row with this id must exist.
    public var caseId: String
    public var upn: String
    public var laestab: String
    /// `"kent-2016"` or `"england-2024"`.
    public var ruleset: String
    /// `"attendance-at-or-below-90"`, `"exam-period"` or `"ten-unauthorised-sessions"`.
    public var basis: String
    /// Attendance percentage, stored to two decimal places.
    public var attendancePct: Double
    public var unauthorisedSessions: Int
    public var windowStart: StoreDate
    public var windowEnd: StoreDate
    public var priorNotices: Int
    /// `"penalty-notice"`, `"notice-to-improve"` or `"consider-prosecution"`.
    public var recommendedAction: String
    public var amountPence: Int?
    /// `"open"` or `"decided"`.
    public var status: String
    public var createdAt: Date

    public init(
        caseId: String,
        upn: String,
        laestab: String,
        ruleset: String,
        basis: String,
        attendancePct: Double,
        unauthorisedSessions: Int,
        windowStart: StoreDate,
        windowEnd: StoreDate,
        priorNotices: Int,
        recommendedAction: String,
        amountPence: Int? = nil,
        status: String = "open",
        createdAt: Date
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
        self.priorNotices = priorNotices
        self.recommendedAction = recommendedAction
        self.amountPence = amountPence
        self.status = status
        self.createdAt = createdAt
    }
}

/// An `enforcement.decision.v1` on a review.
public struct EnforcementDecisionRecord: Sendable, Hashable {
    public var source: String
    public var eventId: String
    public var caseId: String
    /// `"notice-to-improve-issued"`, `"penalty-notice-issued"`, `"prosecution-started"`, `"no-action"`,
    /// `"penalty-notice-withdrawn"`.
    public var decision: String
    public var decidedOn: StoreDate
    /// Opaque staff id, never a name.
    public var officerId: String
    /// Opaque id of the parent the notice was issued to.
    public var parentRef: String
    public var amountPence: Int?

    public init(
        source: String,
        eventId: String,
        caseId: String,
        decision: String,
        decidedOn: StoreDate,
        officerId: String,
        parentRef: String,
        amountPence: Int? = nil
    ) {
        self.source = source
        self.eventId = eventId
        self.caseId = caseId
        self.decision = decision
        self.decidedOn = decidedOn
        self.officerId = officerId
        self.parentRef = parentRef
        self.amountPence = amountPence
    }
}

/// What ``StoreTransaction/recordDecision(_:)`` did.
public enum DecisionOutcome: Sendable, Hashable {
    /// Stored; the review is now decided. Carries the pupil's UPN from the review.
    case recorded(upn: String)
    /// This event (`source`, `eventId`) was already stored.
    case duplicate
    /// No review has this case id: reject the event (`unknown-case`).
    case unknownCase
}

/// A `penalty-notice-issued` decision not withdrawn, as `england-2024` counts prior notices.
public struct PenaltyNoticeRecord: Sendable, Hashable {
    public var caseId: String
    public var parentRef: String
    public var decidedOn: StoreDate
    public var amountPence: Int?

    public init(caseId: String, parentRef: String, decidedOn: StoreDate, amountPence: Int?) {
        self.caseId = caseId
        self.parentRef = parentRef
        self.decidedOn = decidedOn
        self.amountPence = amountPence
    }
}
