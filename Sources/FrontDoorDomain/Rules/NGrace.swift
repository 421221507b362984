import Foundation

/// `N` grace (domain.md): `N` means "reason not yet established" and schools usually amend
/// it within days, so an `N` counts towards CME risk and penalty reviews only once
/// `nGraceSchoolDays` (5) of that enrolment's later school days have marks and it is still
/// `N` (it is the mark that counts).
public enum NGrace {
    /// The slots whose counted mark is an `N` still inside its grace: fewer than `graceDays`
    /// later dates with marks at the same school. Pure: the answer only changes as later
    /// marks (or an amendment) arrive.
    public static func pending(_ marks: [CountedMark], graceDays: Int) -> Set<MarkSlot> {
        guard graceDays > 0, marks.contains(where: { $0.code.code == "N" }) else { return [] }
        var dates: [Enrolment: [LocalDate]] = [:]
        for m in marks { dates[Enrolment(upn: m.upn, laestab: m.laestab), default: []].append(m.date) }
        let sorted = dates.mapValues { Array(Set($0)).sorted() }
        var pending: Set<MarkSlot> = []
        for m in marks where m.code.code == "N" {
            let days = sorted[Enrolment(upn: m.upn, laestab: m.laestab)] ?? []
            // Dates after m.date: the count of dates minus the index just past m.date.
            let later = days.count - (days.firstIndex { $0 > m.date } ?? days.count)
            if later < graceDays { pending.insert(m.slot) }
        }
        return pending
    }
}
