import Foundation
import FrontDoorDomain
import FrontDoorStore

extension AttendanceHandler {
    /// Stores the enrolment states and year totals that `upns`' stored marks imply, as the
    /// worker stores them for a pupil it meets with no state (``evaluate(_:in:)``'s recompute:
    /// the same inputs, look-back and ``PupilAttendanceFold/recompute(upn:marks:rollFacts:states:firstYear:years:inputs:context:)``),
    /// judged from `firstYear` on. Returns the number of states stored.
    ///
    /// For a history loaded around the worker (`frontdoor bench attendance`'s late-year
    /// database), so that the next batch folds into state rather than recomputing every pupil.
    /// It writes no notifications, cases or audit entries: the pupil-wide rules are not run.
    public func storeRecomputedStates(
        upns: [UPN], firstYear: AcademicYear, through: LocalDate, in tx: StoreTransaction
    ) async throws -> Int {
        guard !upns.isEmpty else { return 0 }
        let context = setup.context
        let texts = upns.map(\.value)
        let profiles = try await tx.pupils(upns: texts)
        let plans = try await tx.childProtectionPlans(upns: texts)
        let cme = try await tx.cmeCasePeriods(upns: texts)
        let rolls = try await tx.rollChanges(upns: texts)
        let lookback = AttendanceLookback.from(firstYear, context: context)
        let stored = try await tx.marksThatCount(upns: texts, from: StoreDate(lookback), through: StoreDate(through))
        var states: [EnrolmentState] = []
        var totals: [YearAttendanceRecord] = []
        var checkpoints: [UPN: PenaltyCheckpoint?] = [:]
        let settings = PenaltyCheckpoint.settingsDigest(context)
        for upn in upns {
            var pupil = profiles[upn.value].map(PupilProfile.init(record:)) ?? PupilProfile()
            pupil.cpp = plans[upn.value] ?? false
            let periods = (cme[upn.value] ?? []).map { CMECasePeriod(opened: LocalDate($0.opened), resolved: $0.closed.map(LocalDate.init)) }
            let marks = AttendanceRules.marksThatCount(
                MarkEvent.events(stored[upn.value] ?? [], of: upn).filter { $0.date >= lookback })
            // The years the worker's batches touched: those of the marks judged.
            let years = Set(marks.map { AcademicYear(containing: $0.date) }.filter { $0 >= firstYear })
            let outcome = PupilAttendanceFold.recompute(
                upn: upn, marks: marks, rollFacts: (rolls[upn.value] ?? []).compactMap(RollFact.init(record:)), states: [],
                firstYear: firstYear, years: years.isEmpty ? [firstYear] : years,
                inputs: EnrolmentInputs(pupil: pupil, cmeCases: periods), context: context)
            states += outcome.states
            checkpoints[upn] = Self.penaltyCheckpoint(
                upn: upn, marks: marks, pupil: pupil, lookback: lookback, context: context, settings: settings)
            for s in outcome.statistics {
                totals.append(
                    YearAttendanceRecord(
                        upn: upn.value, academicYear: s.academicYear.description, possible: s.possible, present: s.present,
                        attending: s.attending, authorised: s.authorised, unauthorised: s.unauthorised, notCounted: s.notCounted))
            }
        }
        try await tx.saveEnrolmentStates(states)
        try await tx.saveYearAttendance(totals)
        try await tx.savePenaltyCheckpoints(checkpoints.filter { $0.value != nil })
        return states.count
    }

    /// The penalty checkpoint the worker keeps for a pupil whose marks arrived a day a batch:
    /// the one its penalty rules left on the last day they ran, judged on the marks up to that
    /// day. They run on the pupil's first day (a recompute), on a day with a mark other than
    /// presence, and on the day an `N` leaves its grace
    /// (``PupilAttendanceFold/pupilRulesMayChange(states:marks:context:)``). Nil when they found
    /// a trigger (the worker would have raised a review, which the history does not hold).
    static func penaltyCheckpoint(
        upn: UPN, marks: [CountedMark], pupil: PupilProfile, lookback: LocalDate, context: RuleContext, settings: String
    ) -> PenaltyCheckpoint? {
        let grace = context.config.nGraceSchoolDays
        var ran = marks.filter { !($0.category == .present || $0.category == .attending) }.map(\.date)
        if let first = marks.map(\.date).min() { ran.append(first) }
        let byEnrolment = Dictionary(grouping: marks, by: { Enrolment(upn: $0.upn, laestab: $0.laestab) })
        for (_, own) in byEnrolment {
            let days = Array(Set(own.map(\.date))).sorted()
            for n in own where n.code.code == "N" {
                if let i = days.firstIndex(of: n.date), i + grace < days.count { ran.append(days[i + grace]) }
            }
        }
        guard let last = ran.max() else { return nil }
        let judged = marks.filter { $0.date <= last }
        return PenaltyRules.evaluate(
            upn: upn, marks: AttendanceRules.pupilSessions(judged), pupil: pupil, history: .none, context: context,
            pending: NGrace.pending(judged, graceDays: grace), lookback: lookback, resuming: nil, settings: settings
        ).checkpoint
    }
}
