import Foundation

/// PA/SA re-entry cool-down (domain.md): leaving persistent or severe absence and entering it
/// again notifies again only after the enrolment has been out of the state for
/// `reentryCooldownSchoolDays` (10) of its school days, so a pupil hovering at the threshold
/// does not notify every few days.
///
/// School days are the enrolment's days with marks. The days out of a state are the days
/// counted from the day it was left (that day included, if the pupil was out at its end)
/// up to the day before the mark that takes the enrolment back in: leaving on a Monday and
/// coming back on the Monday two school weeks later is 10 days out. Fed in replay order by
/// ``AttendanceRules/assess(upn:marks:academicYear:pupil:context:)``.
struct AbsenceReentry {
    let cooldownSchoolDays: Int
    /// Distinct marked days so far (the current mark's day included).
    private(set) var day = 0
    private var lastDate: LocalDate?
    /// The day (``day``) on which each state was last left.
    private var leftOn: [AbsenceEpisode.Kind: Int] = [:]

    init(cooldownSchoolDays: Int) { self.cooldownSchoolDays = cooldownSchoolDays }

    /// Called with every mark's date, in replay order.
    mutating func mark(_ date: LocalDate) {
        if lastDate != date {
            day += 1
            lastDate = date
        }
    }

    /// The state was left on the current day.
    mutating func left(_ kind: AbsenceEpisode.Kind) { leftOn[kind] = day }

    /// Days out of `kind` before the current day.
    func daysOut(_ kind: AbsenceEpisode.Kind) -> Int { leftOn[kind].map { day - $0 } ?? Int.max }

    /// When entering `kind` again within the cool-down, the index of the episode that carries
    /// on (the latest of that kind); nil when a new episode begins.
    func resumes(_ kind: AbsenceEpisode.Kind, episodes: [AbsenceEpisode]) -> Int? {
        guard leftOn[kind] != nil, daysOut(kind) < cooldownSchoolDays else { return nil }
        return episodes.lastIndex { $0.kind == kind }
    }
}
