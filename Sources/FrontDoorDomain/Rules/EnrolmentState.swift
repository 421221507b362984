import Foundation

/// What the attendance rules remember of one enrolment between batches (issue 10), so a
/// batch costs the same in July as in September.
///
/// A checkpoint of the rules' fold (``PersistentAbsenceFold``, ``CMERiskFold``) after every
/// counted mark dated before ``horizon``, and the counted marks from the horizon on: the
/// enrolment's last ``EnrolmentFold/windowSchoolDays(_:)`` marked days. Both are bounded,
/// whatever the length of the year. The window is what makes amendments, re-sent and
/// out-of-order marks exact: the rules judge after every mark, so an amendment changes not
/// only the counts (by its delta) but every judgement after it; the fold replaces the mark
/// that counted before it in the window and steps the window again from the checkpoint. A
/// mark dated before the horizon (a correction weeks later) is recomputed from the stored
/// marks instead (``EnrolmentFold/recompute(enrolment:marks:firstYear:inputs:context:)``).
public struct EnrolmentState: Hashable, Sendable {
    public var enrolment: Enrolment
    /// Years before it were read only for the CME run they carry, never judged.
    public var firstYear: AcademicYear
    /// The fold after every counted mark dated before ``horizon``.
    public var absence: PersistentAbsenceFold
    public var cme: CMERiskFold
    /// The counted marks from ``horizon`` on, in replay order (whole days).
    public var window: [CountedMark]
    /// ``EnrolmentInputs/digest(_:)`` of the facts besides marks the state was folded under
    /// (the pupil's characteristics, CME cases, the thresholds): when they change, the
    /// replay would judge the whole year again, so the enrolment is recomputed.
    public var inputsDigest: String
    /// The fold after the whole window (persistent and severe absence after every mark, CME
    /// after every day before the first `N` still in its grace): what the next day's marks
    /// are stepped from, so the usual batch steps its own marks, not the window again
    /// (``EnrolmentFold/apply(_:marks:inputs:context:)``). Nil in a state stored before it was
    /// kept; the next batch steps the window and sets it.
    public var tip: Tip?

    /// ``EnrolmentState/tip``.
    public struct Tip: Hashable, Sendable, Codable {
        public var absence: PersistentAbsenceFold
        public var cme: CMERiskFold

        public init(absence: PersistentAbsenceFold, cme: CMERiskFold) {
            self.absence = absence
            self.cme = cme
        }
    }

    public init(
        enrolment: Enrolment, firstYear: AcademicYear, absence: PersistentAbsenceFold = .init(),
        cme: CMERiskFold = .init(), window: [CountedMark] = [], inputsDigest: String, tip: Tip? = nil
    ) {
        self.enrolment = enrolment
        self.firstYear = firstYear
        self.absence = absence
        self.cme = cme
        self.window = window
        self.inputsDigest = inputsDigest
        self.tip = tip
    }

    /// The first date of the window: a mark dated before it needs a recompute. Nil with no marks.
    public var horizon: LocalDate? { window.first?.date }
    /// The date of the latest counted mark.
    public var latest: LocalDate? { window.last?.date }
}

/// Everything besides an enrolment's marks that its rules read.
public struct EnrolmentInputs: Hashable, Sendable {
    /// The pupil's current characteristics (the rules judge the whole year on them).
    public var pupil: PupilProfile
    public var cmeCases: [CMECasePeriod]

    public init(pupil: PupilProfile, cmeCases: [CMECasePeriod] = []) {
        self.pupil = pupil
        self.cmeCases = cmeCases
    }

    /// A digest of these inputs and the thresholds of `context` the fold applies. Every
    /// characteristic is in it, those the pupil-wide rules read too (compulsory school age,
    /// the child-protection plan), so a change to any of them has the pupil judged again.
    public func digest(_ context: RuleContext) -> String {
        let c = context.config
        let p = pupil
        var parts = [
            "fsm:\(p.fsm)", "sen:\(p.sen.rawValue)", "cla:\(p.cla)", "cpp:\(p.cpp)",
            "year-group:\(p.yearGroup.map(String.init) ?? "-")", "dob:\(p.dateOfBirth?.description ?? "-")",
            "min:\(c.minimumPossibleSessions)", "pa:\(c.persistentAbsencePct)", "sa:\(c.severeAbsencePct)",
            "cme:\(c.cmeRiskSchoolDays):\(c.cmeRiskCodes.sorted().joined(separator: ","))",
            "grace:\(c.nGraceSchoolDays)", "cooldown:\(c.reentryCooldownSchoolDays)",
        ]
        parts += cmeCases.map { "case:\($0.opened)..\($0.resolved?.description ?? "open")" }.sorted()
        return StableID.make(parts)
    }
}

extension EnrolmentState: Codable {
    /// One counted mark of the window, compactly (the enrolment is the state's).
    private struct WindowMark: Codable {
        /// Days since 1970-01-01.
        var d: Int
        /// 0 AM, 1 PM.
        var s: Int
        var c: String
        /// `time` in microseconds since 1970 (``EnrolmentFold/microseconds(_:)``).
        var t: Int64
        var i: String
        var l: Int?
    }

    private enum CodingKeys: String, CodingKey {
        case upn, laestab, firstYear, absence, cme, window, inputs, tip
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let enrolment = Enrolment(
            upn: try c.decode(UPN.self, forKey: .upn), laestab: try c.decode(LAESTAB.self, forKey: .laestab))
        var window: [CountedMark] = []
        for w in try c.decode([WindowMark].self, forKey: .window) {
            let date = LocalDate(daysSinceEpoch: w.d)
            guard let code = RegisterCode(w.c, on: date) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .window, in: c, debugDescription: "a window mark's code is not valid on its date")
            }
            window.append(
                CountedMark(
                    slot: MarkSlot(upn: enrolment.upn, laestab: enrolment.laestab, date: date, session: w.s == 0 ? .am : .pm),
                    code: code, time: EnrolmentFold.date(microseconds: w.t), eventId: w.i, minutesLate: w.l))
        }
        self.init(
            enrolment: enrolment, firstYear: try c.decode(AcademicYear.self, forKey: .firstYear),
            absence: try c.decode(PersistentAbsenceFold.self, forKey: .absence),
            cme: try c.decode(CMERiskFold.self, forKey: .cme), window: window,
            inputsDigest: try c.decode(String.self, forKey: .inputs), tip: try c.decodeIfPresent(Tip.self, forKey: .tip))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(enrolment.upn, forKey: .upn)
        try c.encode(enrolment.laestab, forKey: .laestab)
        try c.encode(firstYear, forKey: .firstYear)
        try c.encode(absence, forKey: .absence)
        try c.encode(cme, forKey: .cme)
        try c.encode(
            window.map {
                WindowMark(
                    d: $0.date.daysSinceEpoch, s: $0.session == .am ? 0 : 1, c: $0.code.code,
                    t: EnrolmentFold.microseconds($0.time), i: $0.eventId, l: $0.minutesLate)
            }, forKey: .window)
        try c.encode(inputsDigest, forKey: .inputs)
        try c.encodeIfPresent(tip, forKey: .tip)
    }
}
