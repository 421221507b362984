import Foundation

/// One `attendance.mark.v1` as the rules see it (already validated by the worker: the
/// UPN's check letter, the code for the date's set, the date a weekday and not a bank holiday).
public struct MarkEvent: Hashable, Sendable {
    /// The CloudEvents `id`.
    public var id: String
    /// The CloudEvents `time`: when the school recorded the mark.
    public var time: Date
    public var upn: UPN
    public var laestab: LAESTAB
    public var date: LocalDate
    public var session: Session
    public var code: RegisterCode
    public var minutesLate: Int?

    public init(
        id: String, time: Date, upn: UPN, laestab: LAESTAB, date: LocalDate, session: Session, code: RegisterCode,
        minutesLate: Int? = nil
    ) {
        self.id = id
        self.time = time
        self.upn = upn
        self.laestab = laestab
        self.date = date
        self.session = session
        self.code = code
        self.minutesLate = minutesLate
    }

    /// From a decoded `attendance.mark.v1`.
    public init(envelope: EventEnvelope, mark m: AttendanceMark) {
        self.init(
            id: envelope.id, time: envelope.time, upn: m.upn, laestab: m.laestab, date: m.date, session: m.session,
            code: m.code, minutesLate: m.minutesLate)
    }

    /// Identifies the register slot the mark fills.
    public var slot: MarkSlot { MarkSlot(upn: upn, laestab: laestab, date: date, session: session) }
}

/// `(upn, laestab, date, session)`: one register slot, of which one mark counts.
public struct MarkSlot: Hashable, Sendable, Comparable {
    public var upn: UPN
    public var laestab: LAESTAB
    public var date: LocalDate
    public var session: Session

    public init(upn: UPN, laestab: LAESTAB, date: LocalDate, session: Session) {
        self.upn = upn
        self.laestab = laestab
        self.date = date
        self.session = session
    }

    /// Chronological replay order: date, then AM before PM, then school, then pupil.
    public static func < (a: MarkSlot, b: MarkSlot) -> Bool {
        if a.date != b.date { return a.date < b.date }
        if a.session != b.session { return a.session < b.session }
        if a.laestab != b.laestab { return a.laestab < b.laestab }
        return a.upn < b.upn
    }
}

/// The mark that counts for one register slot after amendments.
public struct CountedMark: Hashable, Sendable {
    public var slot: MarkSlot
    public var code: RegisterCode
    /// `time` of the event that set this mark: the `createdAt` of whatever it causes.
    public var time: Date
    /// `id` of the event that set this mark.
    public var eventId: String
    public var minutesLate: Int?

    public init(slot: MarkSlot, code: RegisterCode, time: Date, eventId: String, minutesLate: Int? = nil) {
        self.slot = slot
        self.code = code
        self.time = time
        self.eventId = eventId
        self.minutesLate = minutesLate
    }

    public var upn: UPN { slot.upn }
    public var laestab: LAESTAB { slot.laestab }
    public var date: LocalDate { slot.date }
    public var session: Session { slot.session }
    public var category: AttendanceCategory { code.category }
}

public enum AttendanceRules {
    /// The marks that count: for each `(upn, laestab, date, session)` the event with the
    /// latest `time`; ties go to the larger `id` (compared as strings), and a tie on both
    /// (the same event twice, or two sources reusing an id) to the larger code then
    /// `minutesLate`, so the result never depends on arrival order. Exact duplicates
    /// collapse. The result is in replay order (``MarkSlot`` ordering).
    public static func marksThatCount(_ events: [MarkEvent]) -> [CountedMark] {
        var best: [MarkSlot: MarkEvent] = [:]
        for e in events {
            if let current = best[e.slot], !supersedes(e, current) { continue }
            best[e.slot] = e
        }
        return best.values
            .map { CountedMark(slot: $0.slot, code: $0.code, time: $0.time, eventId: $0.id, minutesLate: $0.minutesLate) }
            .sorted { $0.slot < $1.slot }
    }

    /// Whether `a` replaces `b` for the same slot.
    static func supersedes(_ a: MarkEvent, _ b: MarkEvent) -> Bool {
        if a.time != b.time { return a.time > b.time }
        if a.id != b.id { return a.id > b.id }
        if a.code.code != b.code.code { return a.code.code > b.code.code }
        return (a.minutesLate ?? -1) > (b.minutesLate ?? -1)
    }

    /// The counted marks of one academic year, in replay order.
    public static func marks(_ marks: [CountedMark], in year: AcademicYear) -> [CountedMark] {
        marks.filter { year.contains($0.date) }.sorted { $0.slot < $1.slot }
    }
}

/// A pupil's attendance figures for an academic year (DfE absence statistics method).
///
/// Counts the sessions that have marks (so each school's own calendar is respected);
/// "not counted" sessions are not possible sessions.
public struct AttendanceStatistics: Hashable, Sendable, Codable {
    public var academicYear: AcademicYear
    public var possible = 0
    public var present = 0
    /// Attending an approved educational activity (counts as present).
    public var attending = 0
    public var authorised = 0
    public var unauthorised = 0
    public var notCounted = 0
    /// Sessions by register code (every code, not-counted codes included).
    public var sessionsByCode: [String: Int] = [:]
    /// Absence by reason: absence sessions (authorised and unauthorised) by register code,
    /// the report's `absenceReasons`.
    public var absenceByReason: [String: Int] = [:]

    public init(academicYear: AcademicYear) { self.academicYear = academicYear }

    /// The statistics of the marks that count in `year` (marks of other years are ignored).
    public init(marks: [CountedMark], academicYear year: AcademicYear) {
        self.init(academicYear: year)
        for m in marks where year.contains(m.date) { add(m) }
    }

    /// Adds one counted mark (the caller keeps to one academic year).
    public mutating func add(_ m: CountedMark) {
        sessionsByCode[m.code.code, default: 0] += 1
        if m.category.isAbsence { absenceByReason[m.code.code, default: 0] += 1 }
        switch m.category {
        case .present: present += 1
        case .attending: attending += 1
        case .authorised: authorised += 1
        case .unauthorised: unauthorised += 1
        case .notCounted: notCounted += 1
        }
        if m.category.isPossible { possible += 1 }
    }

    /// All sessions with a mark, possible or not.
    public var sessionsRecorded: Int { possible + notCounted }

    /// (present + attending) ÷ possible.
    public var attendance: SessionShare { SessionShare(part: present + attending, whole: possible) }
    /// (authorised + unauthorised) ÷ possible.
    public var absence: SessionShare { SessionShare(part: authorised + unauthorised, whole: possible) }

    /// Attendance %, one decimal place rounded half up; nil with no possible sessions.
    public var attendancePct: Double? { attendance.percent }
    /// Absence %, one decimal place rounded half up; nil with no possible sessions.
    public var absencePct: Double? { absence.percent }

    /// Figures for the audit trail.
    public var auditFigures: [String: String] {
        [
            "possible": String(possible), "present": String(present), "attending": String(attending),
            "authorised": String(authorised), "unauthorised": String(unauthorised), "not-counted": String(notCounted),
            "attendance-pct": attendance.display, "absence-pct": absence.display,
        ]
    }
}
