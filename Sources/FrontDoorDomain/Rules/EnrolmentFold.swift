import Foundation

/// What one application of the fold decided for one enrolment.
public struct EnrolmentEffects: Hashable, Sendable {
    /// `severe-absence`, `persistent-absence` and `cme-risk` (stable ids: one the store
    /// already holds is not enqueued again).
    public var notifications: [EarlyHelpNotification] = []
    public var audit: [AuditEntry] = []
    /// The enrolment's figures for each academic year the fold stepped through.
    public var statistics: [AcademicYear: AttendanceStatistics] = [:]

    public init() {}

    mutating func append(_ other: EnrolmentEffects) {
        notifications += other.notifications
        audit += other.audit
        statistics.merge(other.statistics) { a, _ in a }
    }
}

/// The attendance rules of one enrolment as a fold over bounded state (issue 10):
/// `(state, the batch's marks for the enrolment, inputs, context) → (new state, effects)`.
///
/// Exact: the effects are those the full replay (``AttendanceRules/assess(upn:marks:academicYear:pupil:context:)``
/// and ``CMERiskRule``) derives from the same marks, because the fold steps the same rules
/// mark by mark from a checkpoint that no mark of the batch precedes (``EnrolmentState``).
/// `RulesFoldPropertyTests` holds the two to the same statistics, states and effects.
public enum EnrolmentFold {
    /// Marked days an enrolment's window keeps (two school weeks): amendments and re-sent
    /// marks within it are applied by the fold; one older is recomputed from stored marks.
    public static let windowSchoolDays = 10

    /// The window for `context`: never shorter than the `N` grace, so every mark folded into
    /// the checkpoint is past its grace and judged for good.
    public static func windowSchoolDays(_ context: RuleContext) -> Int {
        max(windowSchoolDays, context.config.nGraceSchoolDays + 1)
    }

    /// Applies the batch's marks (`marks` may hold other enrolments'; they are ignored) to
    /// `state`. Nil when the state cannot take them: a mark dated before the state's horizon
    /// or in a year before its first, or inputs other than those it was folded under; the
    /// caller then recomputes the enrolment from its stored marks
    /// (``recompute(enrolment:marks:firstYear:inputs:context:)``).
    public static func apply(
        _ state: EnrolmentState, marks: [MarkEvent], inputs: EnrolmentInputs, context: RuleContext
    ) -> (state: EnrolmentState, effects: EnrolmentEffects)? {
        apply(state, marks: marks, inputs: inputs, digest: inputs.digest(context), context: context)
    }

    /// ``apply(_:marks:inputs:context:)`` with `inputs.digest(context)` computed by the caller
    /// once for all of a pupil's enrolments.
    static func apply(
        _ state: EnrolmentState, marks: [MarkEvent], inputs: EnrolmentInputs, digest: String, context: RuleContext
    ) -> (state: EnrolmentState, effects: EnrolmentEffects)? {
        guard state.inputsDigest == digest else { return nil }
        let own = marks.filter { $0.upn == state.enrolment.upn && $0.laestab == state.enrolment.laestab }
        if let horizon = state.horizon, own.contains(where: { $0.date < horizon }) { return nil }
        if own.contains(where: { AcademicYear(containing: $0.date) < state.firstYear }) { return nil }
        /// The batch's marks into `window`: a mark for a slot already there replaces the mark that
        /// counted before it (the amendment's delta), or loses to it.
        func merge(_ marks: [MarkEvent], into window: inout [MarkSlot: CountedMark]) {
            for e in marks.map({ normalised($0) }) {
                if let c = window[e.slot], !AttendanceRules.supersedes(e, MarkEvent(counted: c)) { continue }
                window[e.slot] = CountedMark(
                    slot: e.slot, code: e.code, time: e.time, eventId: e.id, minutesLate: e.minutesLate)
            }
        }
        var next = state
        if let last = state.window.last?.slot, own.allSatisfy({ $0.slot > last }) {
            // The usual batch: the next day's marks, after every mark of the window.
            var added: [MarkSlot: CountedMark] = [:]
            merge(own, into: &added)
            let sorted = added.values.sorted { $0.slot < $1.slot }
            if let stepped = stepFromTip(state, added: sorted, inputs: inputs, digest: digest, context: context) {
                return stepped
            }
            next.window += sorted
        } else {
            var window = Dictionary(state.window.map { ($0.slot, $0) }, uniquingKeysWith: { a, _ in a })
            merge(own, into: &window)
            next.window = window.values.sorted { $0.slot < $1.slot }
        }
        return fold(next, inputs: inputs, digest: digest, context: context)
    }

    /// The enrolment's state and effects from its stored marks that count (`marks`, read from
    /// the look-back before `firstYear`: ``AttendanceLookback``): the fold from nothing.
    /// Years before `firstYear` only carry the CME run into it.
    public static func recompute(
        enrolment: Enrolment, marks: [CountedMark], firstYear: AcademicYear, inputs: EnrolmentInputs,
        context: RuleContext
    ) -> (state: EnrolmentState, effects: EnrolmentEffects) {
        let own = AttendanceRules.marks(marks, of: enrolment).map { normalised($0) }
        let digest = inputs.digest(context)
        let state = EnrolmentState(enrolment: enrolment, firstYear: firstYear, window: own, inputsDigest: digest)
        return fold(state, inputs: inputs, digest: digest, context: context)
    }

    /// Steps the window from the checkpoint; folds the days that leave the window into it.
    /// `digest` is `inputs.digest(context)` (the caller's, computed once).
    static func fold(
        _ state: EnrolmentState, inputs: EnrolmentInputs, digest: String, context: RuleContext
    ) -> (state: EnrolmentState, effects: EnrolmentEffects) {
        var effects = EnrolmentEffects()
        var absence = state.absence
        var cme = state.cme
        if let s = absence.statistics { effects.statistics[s.academicYear] = s }
        var days: [[CountedMark]] = []
        appendByDay(state.window, to: &days)
        // Days with an `N` still in its grace are the enrolment's latest: CME does not judge
        // them or any day after them yet, and they stay in the window.
        let firstPending = firstPendingDay(days, window: state.window, context: context)
        let leaving = min(max(0, days.count - windowSchoolDays(context)), firstPending)
        var checkpoint = (absence: absence, cme: cme)
        for (i, day) in days.enumerated() {
            let judged = AcademicYear(containing: day[0].date) >= state.firstYear
            if judged {
                for m in day {
                    absence.step(
                        m, enrolment: state.enrolment, pupil: inputs.pupil, context: context,
                        notifications: &effects.notifications, audit: &effects.audit)
                }
                if let s = absence.statistics { effects.statistics[s.academicYear] = s }
            }
            if i < firstPending {
                cme.step(
                    day: day[0].date, marks: day, enrolment: state.enrolment, judged: judged, pupil: inputs.pupil,
                    cmeCases: inputs.cmeCases, context: context, notifications: &effects.notifications,
                    audit: &effects.audit)
            }
            if i == leaving - 1 { checkpoint = (absence, cme) }
        }
        var next = state
        next.absence = checkpoint.absence
        next.cme = checkpoint.cme
        next.window = days.dropFirst(leaving).flatMap { $0 }
        next.inputsDigest = digest
        next.tip = EnrolmentState.Tip(absence: absence, cme: cme)
        closeYears(&next)
        return (next, effects)
    }

    /// A year whose every mark is behind the horizon is closed: a mark for it is older than
    /// the window, so it is recomputed from the stored marks, from that year on.
    static func closeYears(_ next: inout EnrolmentState) {
        if let first = next.window.first.map({ AcademicYear(containing: $0.date) }), first > next.firstYear {
            next.firstYear = first
            if let s = next.absence.statistics, s.academicYear < first { next.absence = PersistentAbsenceFold() }
            // The CME run carries into the new year, but a closed year's count of runs is what a
            // recompute from `first` gives: it judges no year before `firstYear`, so it counts
            // none there (the count restarts with the new year's first day either way).
            if let y = next.cme.year, y < first { next.cme.runs = 0 }
        }
    }

    /// ``fold(_:inputs:digest:context:)`` of the window with `added` appended, stepped from the
    /// state's tip instead of its checkpoint: the same state and, of the effects, those of the
    /// marks and days that were not stepped before (the rest the last batch already decided;
    /// their ids are stable, so stepping them again would only repeat them).
    ///
    /// Nil (step the window instead) without a tip, when a mark of `added` falls on or before
    /// the window's last date, or when the checkpoint, the window and `added` are not all of
    /// one academic year (a year's first marks, and the summer, take the general path).
    ///
    /// Exact: the window's days are a prefix of the new window's, so the tip (the fold after
    /// them) stepped over `added` is the fold after the new window; CME, stepped to the first
    /// day with an `N` still in its grace, moves on to the new first such day, which is never
    /// earlier (later dates only end graces). The checkpoint steps the days that leave the
    /// window, as the general path does.
    static func stepFromTip(
        _ state: EnrolmentState, added: [CountedMark], inputs: EnrolmentInputs, digest: String, context: RuleContext
    ) -> (state: EnrolmentState, effects: EnrolmentEffects)? {
        guard let tip = state.tip, let firstDate = state.window.first?.date, let lastDate = state.window.last?.date,
            let newest = added.last?.date, added.allSatisfy({ $0.date > lastDate })
        else { return nil }
        let year = AcademicYear(containing: firstDate)
        guard year >= state.firstYear, AcademicYear(containing: newest) == year,
            (state.absence.statistics?.academicYear ?? year) == year,
            (tip.absence.statistics?.academicYear ?? year) == year
        else { return nil }
        var days: [[CountedMark]] = []
        appendByDay(state.window, to: &days)
        let cmeFrom = firstPendingDay(days, window: state.window, context: context)
        appendByDay(added, to: &days)
        let firstPending = firstPendingDay(days, window: state.window + added, context: context)
        guard firstPending >= cmeFrom else { return nil }

        var effects = EnrolmentEffects()
        var absence = tip.absence
        var cme = tip.cme
        for m in added {
            absence.step(
                m, enrolment: state.enrolment, pupil: inputs.pupil, context: context,
                notifications: &effects.notifications, audit: &effects.audit)
        }
        if let s = absence.statistics { effects.statistics[s.academicYear] = s }
        for i in cmeFrom..<firstPending {
            cme.step(
                day: days[i][0].date, marks: days[i], enrolment: state.enrolment, judged: true, pupil: inputs.pupil,
                cmeCases: inputs.cmeCases, context: context, notifications: &effects.notifications, audit: &effects.audit)
        }
        // The checkpoint moves past the days that leave the window (what they decide was
        // decided when they arrived).
        let leaving = min(max(0, days.count - windowSchoolDays(context)), firstPending)
        var next = state
        var repeated = EnrolmentEffects()
        for day in days.prefix(leaving) {
            for m in day {
                next.absence.step(
                    m, enrolment: state.enrolment, pupil: inputs.pupil, context: context,
                    notifications: &repeated.notifications, audit: &repeated.audit)
            }
            next.cme.step(
                day: day[0].date, marks: day, enrolment: state.enrolment, judged: true, pupil: inputs.pupil,
                cmeCases: inputs.cmeCases, context: context, notifications: &repeated.notifications,
                audit: &repeated.audit)
        }
        next.window = days.dropFirst(leaving).flatMap { $0 }
        next.inputsDigest = digest
        next.tip = EnrolmentState.Tip(absence: absence, cme: cme)
        closeYears(&next)
        return (next, effects)
    }

    /// Appends `marks` (in replay order) to `days`, one array per date.
    static func appendByDay(_ marks: [CountedMark], to days: inout [[CountedMark]]) {
        for m in marks {
            if days.last?.last?.date == m.date { days[days.count - 1].append(m) } else { days.append([m]) }
        }
    }

    /// The index of the first of `days` (the days of `window`) holding an `N` still in its
    /// grace, or `days.count` when none does.
    static func firstPendingDay(_ days: [[CountedMark]], window: [CountedMark], context: RuleContext) -> Int {
        let pending = NGrace.pending(window, graceDays: context.config.nGraceSchoolDays)
        guard !pending.isEmpty else { return days.count }
        return days.firstIndex { $0.contains { pending.contains($0.slot) } } ?? days.count
    }

    /// `time` in whole microseconds since 1970, as PostgreSQL's `timestamptz` keeps it.
    public static func microseconds(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The instant ``microseconds(_:)`` names.
    public static func date(microseconds us: Int64) -> Date { Date(timeIntervalSince1970: Double(us) / 1_000_000) }

    /// A mark with its `time` to the microsecond, so a mark from a batch and the same mark
    /// read back from the store are the same mark.
    static func normalised(_ e: MarkEvent) -> MarkEvent {
        var e = e
        e.time = date(microseconds: microseconds(e.time))
        return e
    }

    static func normalised(_ m: CountedMark) -> CountedMark {
        var m = m
        m.time = date(microseconds: microseconds(m.time))
        return m
    }
}

extension MarkEvent {
    /// The event a counted mark came from (for ``AttendanceRules/supersedes(_:_:)``).
    init(counted c: CountedMark) {
        self.init(
            id: c.eventId, time: c.time, upn: c.upn, laestab: c.laestab, date: c.date, session: c.session, code: c.code,
            minutesLate: c.minutesLate)
    }
}

extension AttendanceStatistics {
    /// Figures over several enrolments of one year (each school's sessions counted, as
    /// ``AttendanceAssessment/statistics``).
    public static func summing(_ parts: [AttendanceStatistics], academicYear: AcademicYear) -> AttendanceStatistics {
        var total = AttendanceStatistics(academicYear: academicYear)
        for p in parts where p.academicYear == academicYear {
            total.possible += p.possible
            total.present += p.present
            total.attending += p.attending
            total.authorised += p.authorised
            total.unauthorised += p.unauthorised
            total.notCounted += p.notCounted
            total.sessionsByCode.merge(p.sessionsByCode, uniquingKeysWith: +)
            total.absenceByReason.merge(p.absenceByReason, uniquingKeysWith: +)
        }
        return total
    }
}
