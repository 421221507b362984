import Foundation

/// A pupil on one school's roll: DfE counts attendance per enrolment, so a pupil who moved
/// school or is dual registered (code `D` at the main school) has one per school.
public struct Enrolment: Hashable, Sendable, Comparable {
    public var upn: UPN
    public var laestab: LAESTAB

    public init(upn: UPN, laestab: LAESTAB) {
        self.upn = upn
        self.laestab = laestab
    }

    public static func < (a: Enrolment, b: Enrolment) -> Bool { (a.upn, a.laestab) < (b.upn, b.laestab) }
}

extension AttendanceRules {
    /// The schools at which `upn` has counted marks, in LAESTAB order.
    public static func enrolments(of upn: UPN, in marks: [CountedMark]) -> [Enrolment] {
        Set(marks.filter { $0.upn == upn }.map(\.laestab)).sorted().map { Enrolment(upn: upn, laestab: $0) }
    }

    /// The counted marks of one enrolment, in replay order.
    public static func marks(_ marks: [CountedMark], of enrolment: Enrolment) -> [CountedMark] {
        marks.filter { $0.upn == enrolment.upn && $0.laestab == enrolment.laestab }.sorted { $0.slot < $1.slot }
    }

    /// The pupil's sessions, each `(date, session)` once however many schools marked it
    /// (domain.md: the `england-2024` window counts the pupil's unauthorised sessions at every
    /// school, each session once).
    ///
    /// Of the marks two schools give one session, the one that counts is the one saying most
    /// about where the child was: a possible session over a not-counted one (so `D` at the
    /// main school, "attending the subsidiary", yields to the subsidiary's mark), then present
    /// or attending over authorised absence over unauthorised absence (a child marked present
    /// at the new school is not absent because the old one still marks `N`), ties the smaller
    /// LAESTAB. The result is in replay order.
    public static func pupilSessions(_ marks: [CountedMark]) -> [CountedMark] {
        struct Key: Hashable {
            var upn: UPN
            var date: LocalDate
            var session: Session
        }
        func rank(_ c: AttendanceCategory) -> Int {
            switch c {
            case .present, .attending: 0
            case .authorised: 1
            case .unauthorised: 2
            case .notCounted: 3
            }
        }
        var best: [Key: CountedMark] = [:]
        for m in marks {
            let k = Key(upn: m.upn, date: m.date, session: m.session)
            if let b = best[k], (rank(b.category), b.laestab) <= (rank(m.category), m.laestab) { continue }
            best[k] = m
        }
        return best.values.sorted { $0.slot < $1.slot }
    }
}
