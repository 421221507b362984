import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorStore

extension RetentionPolicy {
    /// The cut-offs of this policy for a purge run on `today` (in England) at `now`.
    ///
    /// Academic years count the current one: keeping 2 years of marks on 1 December 2026 keeps
    /// 2025/26 and 2026/27, so marks before 1 September 2025 go.
    public func cutoffs(today: LocalDate, now: Date) -> PurgeCutoffs {
        let current = AcademicYear(containing: today).startYear
        let firstMarksYear = current - (attendanceMarksAcademicYears - 1)
        let firstAggregateYear = AcademicYear(startYear: current - (aggregateAcademicYears - 1))
        let firstRollChangesYear = AcademicYear(startYear: current - (rollChangesAcademicYears - 1))
        let day: TimeInterval = 86_400
        return PurgeCutoffs(
            marksBefore: StoreDate(AcademicYear(startYear: firstMarksYear).firstDay),
            aggregatesBeforeYear: firstAggregateYear.description,
            rollChangesBefore: StoreDate(firstRollChangesYear.firstDay),
            closedBefore: StoreDate(today.adding(days: -referralPersonalDataDaysAfterClosed)),
            outboxSentBefore: now.addingTimeInterval(-Double(outboxPayloadDaysAfterSent) * day),
            processedBefore: now.addingTimeInterval(-Double(processedEventsDays) * day),
            rejectedBefore: now.addingTimeInterval(-Double(rejectedEventsDays) * day),
            auditBefore: now.addingTimeInterval(-Double(auditLogYears) * 365.25 * day))
    }
}
