import Foundation

/// One `attendance.mark.v1` event as stored: every event is kept, amendments included.
public struct MarkRecord: Sendable, Hashable {
    /// CloudEvents `source`.
    public var source: String
    /// CloudEvents `id`; the tie-break between marks with the same ``eventTime`` (larger wins,
    /// compared byte by byte; since migration 9 an id that is not a lower-case UUID wins over one
    /// that is, as the mark log keeps the two kinds in two columns).
    public var eventId: String
    /// Upper-case UPN.
    public var upn: String
    /// 7-digit LAESTAB.
    public var laestab: String
    /// The register date.
    public var date: StoreDate
    /// `"AM"` or `"PM"`.
    public var session: String
    /// The register code as sent, e.g. `"/"`, `"N"`, `"I"`.
    public var code: String
    /// `"present"`, `"attending"`, `"authorised"`, `"unauthorised"` or `"not-counted"`.
    public var category: String
    /// Minutes late, when the school sent it.
    public var minutesLate: Int?
    /// CloudEvents `time`: when the school recorded the mark. Stored at microsecond precision.
    public var eventTime: Date

    public init(
        source: String,
        eventId: String,
        upn: String,
        laestab: String,
        date: StoreDate,
        session: String,
        code: String,
        category: String,
        minutesLate: Int? = nil,
        eventTime: Date
    ) {
        self.source = source
        self.eventId = eventId
        self.upn = upn
        self.laestab = laestab
        self.date = date
        self.session = session
        self.code = code
        self.category = category
        self.minutesLate = minutesLate
        self.eventTime = eventTime
    }

    /// The event's identity.
    public var eventKey: EventKey { EventKey(source: self.source, id: self.eventId) }
}

/// A pupil's characteristics, as last reported.
public struct PupilRecord: Sendable, Hashable {
    /// Upper-case UPN.
    public var upn: String
    /// Eligible for free school meals.
    public var fsm: Bool
    /// `"N"` none, `"K"` SEN support, `"E"` EHC plan.
    public var sen: String
    /// Looked after (child looked after).
    public var cla: Bool
    /// National curriculum year group, when known.
    public var yearGroup: Int?
    /// Date of birth (personal data), when an event carried it.
    public var dateOfBirth: StoreDate?
    /// Time of the event that reported these characteristics; older reports never overwrite newer.
    public var characteristicsTime: Date

    public init(
        upn: String,
        fsm: Bool,
        sen: String,
        cla: Bool,
        yearGroup: Int? = nil,
        dateOfBirth: StoreDate? = nil,
        characteristicsTime: Date
    ) {
        self.upn = upn
        self.fsm = fsm
        self.sen = sen
        self.cla = cla
        self.yearGroup = yearGroup
        self.dateOfBirth = dateOfBirth
        self.characteristicsTime = characteristicsTime
    }
}

/// A pupil's session totals for one academic year, over the marks that count.
public struct YearAttendanceRecord: Sendable, Hashable {
    public var upn: String
    /// `"2026/27"`.
    public var academicYear: String
    /// Possible sessions: present + attending + authorised + unauthorised.
    public var possible: Int
    public var present: Int
    public var attending: Int
    public var authorised: Int
    public var unauthorised: Int
    public var notCounted: Int

    public init(
        upn: String,
        academicYear: String,
        possible: Int,
        present: Int,
        attending: Int,
        authorised: Int,
        unauthorised: Int,
        notCounted: Int
    ) {
        self.upn = upn
        self.academicYear = academicYear
        self.possible = possible
        self.present = present
        self.attending = attending
        self.authorised = authorised
        self.unauthorised = unauthorised
        self.notCounted = notCounted
    }
}
