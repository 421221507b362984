import Foundation

/// What the fold decided for one pupil's part of a batch.
public struct PupilFoldOutcome: Hashable, Sendable {
    /// The new states of the enrolments the batch (or the recompute) changed.
    public var states: [EnrolmentState]
    /// Every enrolment's notifications and audit entries.
    public var effects: EnrolmentEffects
    /// The pupil's figures over every school for each academic year asked for (what
    /// `pupil_year_attendance` stores; ``AttendanceAssessment/statistics``).
    public var statistics: [AttendanceStatistics]
    /// Whether the pupil-wide rules (penalty rulesets, review withdrawal, deletions) may decide
    /// anything the previous batch's did not, so must be run on the pupil's marks
    /// (``PupilAttendanceFold/pupilRulesMayChange(states:marks:context:)``).
    public var pupilRulesMayChange: Bool
}

/// The attendance rules of one pupil's enrolments over a batch (issue 10): the attendance
/// worker loads the pupil's enrolment states, calls ``apply(upn:states:marks:years:inputs:context:)``
/// and, when it answers ``Recompute``, reads the pupil's stored marks from
/// ``AttendanceLookback/from(_:context:)`` and calls ``recompute(upn:marks:rollFacts:states:firstYear:years:inputs:context:)``.
public enum PupilAttendanceFold {
    /// The states cannot take the batch: recompute the pupil from `from`'s look-back.
    public struct Recompute: Error, Hashable, Sendable {
        public var from: AcademicYear
    }

    /// Applies the pupil's batch marks to the states of the pupil's enrolments (`states`: all
    /// of them, as stored), and totals the pupil's figures for `years`.
    ///
    /// Answers ``Recompute`` when an enrolment of the batch has no state yet (there may be
    /// stored marks from before states were kept), when ``EnrolmentFold/apply(_:marks:inputs:context:)``
    /// refuses a mark, or when a year's figures need an enrolment's year the states no longer hold.
    public static func apply(
        upn: UPN, states: [EnrolmentState], marks: [MarkEvent], years: Set<AcademicYear>, inputs: EnrolmentInputs,
        context: RuleContext
    ) -> Result<PupilFoldOutcome, Recompute> {
        let own = marks.filter { $0.upn == upn }
        let earliest = (own.map { AcademicYear(containing: $0.date) } + Array(years)).min() ?? AcademicYear(startYear: 0)
        let byEnrolment = Dictionary(states.map { ($0.enrolment, $0) }, uniquingKeysWith: { a, _ in a })
        let mayChange = pupilRulesMayChange(states: states, marks: own, context: context)
        var outcome = PupilFoldOutcome(states: [], effects: EnrolmentEffects(), statistics: [], pupilRulesMayChange: mayChange)
        var figures: [Enrolment: [AcademicYear: AttendanceStatistics]] = [:]
        let digest = inputs.digest(context)
        for enrolment in Set(own.map { Enrolment(upn: upn, laestab: $0.laestab) }).sorted() {
            guard let state = byEnrolment[enrolment],
                let applied = EnrolmentFold.apply(state, marks: own, inputs: inputs, digest: digest, context: context)
            else { return .failure(Recompute(from: earliest)) }
            outcome.states.append(applied.state)
            outcome.effects.append(applied.effects)
            figures[enrolment] = applied.effects.statistics
        }
        for state in states where figures[state.enrolment] == nil {
            figures[state.enrolment] = EnrolmentFold.fold(state, inputs: inputs, digest: digest, context: context).effects.statistics
        }
        for year in years.sorted() {
            var parts: [AttendanceStatistics] = []
            for (_, held) in figures {
                if let s = held[year] {
                    parts.append(s)
                } else if let later = held.keys.max(), later > year {
                    // The enrolment has moved on past `year`: its figures for it are in its stored marks.
                    return .failure(Recompute(from: year))
                }
            }
            outcome.statistics.append(AttendanceStatistics.summing(parts, academicYear: year))
        }
        return .success(outcome)
    }

    /// The pupil's enrolments recomputed from the pupil's stored marks that count (`marks`,
    /// read from ``AttendanceLookback/from(_:context:)`` of `firstYear`), without the marks
    /// dated after a deletion from that school's roll (they count no more than one rejected
    /// now: ``RollChangeRules/deletion(before:at:facts:)``). Enrolments with no marks read
    /// keep their states.
    public static func recompute(
        upn: UPN, marks: [CountedMark], rollFacts: [RollFact], states: [EnrolmentState], firstYear: AcademicYear,
        years: Set<AcademicYear>, inputs: EnrolmentInputs, context: RuleContext
    ) -> PupilFoldOutcome {
        let kept = marks.filter {
            $0.upn == upn && RollChangeRules.deletion(before: $0.date, at: Enrolment(upn: upn, laestab: $0.laestab), facts: rollFacts) == nil
        }
        var outcome = PupilFoldOutcome(states: [], effects: EnrolmentEffects(), statistics: [], pupilRulesMayChange: true)
        var parts: [AttendanceStatistics] = []
        for enrolment in AttendanceRules.enrolments(of: upn, in: kept) {
            let (state, effects) = EnrolmentFold.recompute(
                enrolment: enrolment, marks: kept, firstYear: firstYear, inputs: inputs, context: context)
            outcome.states.append(state)
            outcome.effects.append(effects)
            parts += effects.statistics.values
        }
        outcome.statistics = years.sorted().map { AttendanceStatistics.summing(parts, academicYear: $0) }
        return outcome
    }

    /// Whether a batch of the pupil's marks may change what the pupil-wide rules decide.
    ///
    /// It cannot when every mark is present or attending (neither counts towards nor
    /// triggers a review), dated after every mark the pupil has at any school (so no
    /// session judged before is judged again, and no dual-registered session changes
    /// hands), and no `N` of the pupil leaves its grace with the batch's days (so none
    /// becomes a counting session now: an `N` still inside its grace after the batch counts
    /// no more than it did before it). Penalty case ids depend on the enforcement history,
    /// not the marks, so the decision the rules took at the last batch stands. Decisions,
    /// roll changes, open reviews and changed characteristics are the caller's to add.
    public static func pupilRulesMayChange(states: [EnrolmentState], marks: [MarkEvent], context: RuleContext) -> Bool {
        let latest = states.compactMap(\.latest).max()
        if marks.contains(where: { m in
            !(m.code.category == .present || m.code.category == .attending) || latest.map { m.date <= $0 } ?? false
        }) {
            return true
        }
        // The grace counts an enrolment's own marked days (NGrace), so only an enrolment with
        // new days can see an `N` settle.
        let grace = context.config.nGraceSchoolDays
        for state in states {
            let before = NGrace.pending(state.window, graceDays: grace)
            guard !before.isEmpty else { continue }
            let added = marks.filter { $0.upn == state.enrolment.upn && $0.laestab == state.enrolment.laestab }.map {
                CountedMark(slot: $0.slot, code: $0.code, time: $0.time, eventId: $0.id, minutesLate: $0.minutesLate)
            }
            guard !added.isEmpty else { continue }
            if !before.isSubset(of: NGrace.pending(state.window + added, graceDays: grace)) { return true }
        }
        return false
    }
}

/// The weeks of marks before an academic year the attendance rules read with it (the
/// `england-2024` window and the CME run cross into a year from the one before).
public enum AttendanceLookback {
    /// `year`'s first day less `england2024.windowWeeks + 2` weeks.
    public static func from(_ year: AcademicYear, context: RuleContext) -> LocalDate {
        year.firstDay.adding(days: -7 * (context.config.england2024.windowWeeks + 2))
    }
}
