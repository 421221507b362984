import Foundation

/// A suspension or permanent exclusion, with its rescission if any.
public struct ExclusionRecord: Sendable, Hashable {
    /// 7-digit LAESTAB of the excluding school.
    public var laestab: String
    /// The school's id, unique within its LAESTAB.
    public var exclusionId: String
    public var upn: String
    /// `"suspension"` or `"permanent"`.
    public var category: String
    public var startDate: StoreDate
    /// Half-day sessions; required for a suspension.
    public var sessions: Int?
    /// DfE reason code, e.g. `"PP"`.
    public var reason: String
    /// `"2026/27"`: the academic year of ``startDate``.
    public var academicYear: String
    /// CloudEvents `time` of the issuing event; a later-timed re-issue amends the record.
    public var eventTime: Date
    public var source: String
    public var eventId: String
    /// The pupil's FSM, SEN and CLA status when the exclusion was issued (for the report's shares).
    public var pupilFsm: Bool?
    public var pupilSen: String?
    public var pupilCla: Bool?
    /// Set by ``StoreTransaction/rescindExclusion(laestab:exclusionId:outcome:effectiveDate:)``.
    public var rescinded: Bool
    /// `"reinstated-by-governors"`, `"withdrawn-by-headteacher"` or `"independent-review"`.
    public var rescindedOutcome: String?
    public var rescindedEffective: StoreDate?

    public init(
        laestab: String,
        exclusionId: String,
        upn: String,
        category: String,
        startDate: StoreDate,
        sessions: Int?,
        reason: String,
        academicYear: String,
        eventTime: Date,
        source: String,
        eventId: String,
        pupilFsm: Bool? = nil,
        pupilSen: String? = nil,
        pupilCla: Bool? = nil,
        rescinded: Bool = false,
        rescindedOutcome: String? = nil,
        rescindedEffective: StoreDate? = nil
    ) {
        self.laestab = laestab
        self.exclusionId = exclusionId
        self.upn = upn
        self.category = category
        self.startDate = startDate
        self.sessions = sessions
        self.reason = reason
        self.academicYear = academicYear
        self.eventTime = eventTime
        self.source = source
        self.eventId = eventId
        self.pupilFsm = pupilFsm
        self.pupilSen = pupilSen
        self.pupilCla = pupilCla
        self.rescinded = rescinded
        self.rescindedOutcome = rescindedOutcome
        self.rescindedEffective = rescindedEffective
    }
}

/// What ``StoreTransaction/issueExclusion(_:)`` did.
public enum ExclusionWriteOutcome: Sendable, Hashable {
    /// A new exclusion was stored.
    case inserted
    /// The exclusion existed and this event is later: its details were replaced (its
    /// rescission, if any, is kept).
    case amended
    /// The exclusion existed with the same or a later event time: nothing changed.
    case unchanged
}
