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
            for s in outcome.statistics {
                totals.append(
                    YearAttendanceRecord(
                        upn: upn.value, academicYear: s.academicYear.description, possible: s.possible, present: s.present,
                        attending: s.attending, authorised: s.authorised, unauthorised: s.unauthorised, notCounted: s.notCounted))
            }
        }
        try await tx.saveEnrolmentStates(states)
        try await tx.saveYearAttendance(totals)
        return states.count
    }
}
