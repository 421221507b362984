import Foundation
import FrontDoorDomain
import FrontDoorStore

/// `frontdoor verify --upn U` (issue 10): one pupil's stored enrolment states set against the
/// states recomputed from the pupil's stored marks, the operator's check that the fold and
/// the replay agree on a real child.
public struct AttendanceVerification: Sendable {
    /// One enrolment: what is stored, what the marks give, and the parts that differ.
    public struct Enrolment: Sendable {
        public var laestab: LAESTAB
        public var stored: EnrolmentState?
        public var recomputed: EnrolmentState?
        /// `statistics`, `persistent-absence`, `severe-absence`, `cme-run`, `window`, `inputs`,
        /// `first-year`, or `state` when one side has none.
        public var differences: [String]
    }

    public var enrolments: [Enrolment]
    public var isConsistent: Bool { enrolments.allSatisfy(\.differences.isEmpty) }

    /// The lines `frontdoor verify` prints: per school its year's figures, episode ordinals and
    /// CME run, then `consistent` or the parts that differ. No UPN (the operator typed it).
    public var lines: [String] {
        var out: [String] = []
        for e in enrolments {
            let s = e.recomputed ?? e.stored
            let figures = s?.absence.statistics.map {
                "\($0.academicYear) possible \($0.possible) present \($0.present) attending \($0.attending)"
                    + " authorised \($0.authorised) unauthorised \($0.unauthorised) not-counted \($0.notCounted)"
            }
            out.append("school \(e.laestab): \(figures ?? "no marks")")
            if let s {
                out.append(
                    "  persistent-absence episodes \(s.absence.persistent.ordinals)\(s.absence.persistent.open ? " (in it)" : "")"
                        + ", severe-absence episodes \(s.absence.severe.ordinals)\(s.absence.severe.open ? " (in it)" : "")"
                        + ", CME run \(s.cme.runLength) days, window from \(s.horizon?.description ?? "-")")
            }
            out.append(e.differences.isEmpty ? "  consistent" : "  DIFFERS: \(e.differences.joined(separator: ", "))")
        }
        if enrolments.isEmpty { out.append("no enrolment state stored") }
        return out
    }
}

extension AttendanceHandler {
    /// Recomputes `upn`'s enrolments from their stored marks (each from its state's first
    /// year, as ``PupilAttendanceFold/recompute(upn:marks:rollFacts:states:firstYear:years:inputs:context:)``
    /// would) and sets them against the stored states.
    public func verify(upn: UPN, in tx: StoreTransaction) async throws -> AttendanceVerification {
        let context = setup.context
        let states = try await tx.enrolmentStates(upns: [upn])[upn] ?? []
        var pupil = try await tx.pupils(upns: [upn.value])[upn.value].map(PupilProfile.init(record:)) ?? PupilProfile()
        pupil.cpp = try await tx.childProtectionPlans(upns: [upn.value])[upn.value] ?? false
        let periods = (try await tx.cmeCasePeriods(upns: [upn.value])[upn.value] ?? []).map {
            CMECasePeriod(opened: LocalDate($0.opened), resolved: $0.closed.map(LocalDate.init))
        }
        let inputs = EnrolmentInputs(pupil: pupil, cmeCases: periods)
        let facts = (try await tx.rollChanges(upns: [upn.value])[upn.value] ?? []).compactMap(RollFact.init(record:))
        let firstYear = states.map(\.firstYear).min() ?? AcademicYear(containing: LondonDate.of(Date()))
        let latest = states.compactMap(\.latest).max() ?? firstYear.lastDay
        let stored = try await tx.marksThatCount(
            upns: [upn.value], from: StoreDate(AttendanceLookback.from(firstYear, context: context)),
            through: StoreDate(AcademicYear(containing: latest).lastDay.adding(days: 366)))
        let marks = AttendanceRules.marksThatCount(MarkEvent.events(stored[upn.value] ?? [], of: upn))
            .filter {
                RollChangeRules.deletion(before: $0.date, at: FrontDoorDomain.Enrolment(upn: upn, laestab: $0.laestab), facts: facts)
                    == nil
            }
        let byLaestab = Dictionary(states.map { ($0.enrolment.laestab, $0) }, uniquingKeysWith: { a, _ in a })
        let schools = Set(states.map(\.enrolment.laestab)).union(marks.map(\.laestab)).sorted()
        var report = AttendanceVerification(enrolments: [])
        for laestab in schools {
            let state = byLaestab[laestab]
            let enrolment = FrontDoorDomain.Enrolment(upn: upn, laestab: laestab)
            let year = state?.firstYear ?? firstYear
            let from = AttendanceLookback.from(year, context: context)
            let own = marks.filter { $0.laestab == laestab && $0.date >= from }
            let again =
                own.isEmpty
                ? nil
                : EnrolmentFold.recompute(enrolment: enrolment, marks: own, firstYear: year, inputs: inputs, context: context)
                    .state
            report.enrolments.append(
                AttendanceVerification.Enrolment(
                    laestab: laestab, stored: state, recomputed: again, differences: Self.differences(state, again)))
        }
        return report
    }

    static func differences(_ a: EnrolmentState?, _ b: EnrolmentState?) -> [String] {
        guard let a, let b else { return a == nil && b == nil ? [] : ["state"] }
        var out: [String] = []
        if a.firstYear != b.firstYear { out.append("first-year") }
        if a.absence.statistics != b.absence.statistics { out.append("statistics") }
        if a.absence.persistent != b.absence.persistent { out.append("persistent-absence") }
        if a.absence.severe != b.absence.severe { out.append("severe-absence") }
        if a.absence.day != b.absence.day || a.absence.lastDate != b.absence.lastDate { out.append("school-days") }
        if a.cme != b.cme { out.append("cme-run") }
        if a.window != b.window { out.append("window") }
        if a.inputsDigest != b.inputsDigest { out.append("inputs") }
        if a.tip != b.tip { out.append("latest-fold") }
        return out
    }
}
