import Foundation

extension PenaltyRules {
    /// `kent-2016` (the seed's Code of Conduct): on an unauthorised session (`G` `N` `O` `U`)
    /// recommend a penalty notice when the pupil's attendance for the academic year, counting
    /// that session, is at or below `kent2016.attendancePct` (judged only after
    /// `minimumPossibleSessions`), or when the session falls in a configured exam period.
    /// When both hold the basis is `attendance-at-or-below-90` (the primary ground).
    ///
    /// Only a session inside `span` (by default: before 19 August 2024), after
    /// `history.lastDecisionOn` and on which `counts` holds (compulsory school age, past its
    /// `N` grace) triggers;
    /// attendance counts every mark of the year.
    ///
    /// With a `seed` (``PenaltyCheckpoint``) the year's figures through `seed.through` are the
    /// seed's, and only later sessions are read and judged.
    static func kent2016(
        upn: UPN, ordered: [CountedMark], span: PenaltyRulesetSchedule.Span, history: EnforcementHistory,
        context: RuleContext, seed: PenaltyCheckpoint? = nil, counts: (CountedMark) -> Bool
    ) -> PenaltyTrigger? {
        let config = context.config
        let threshold = PercentThreshold(percent: config.kent2016.attendancePct)
        guard let firstMark = ordered.first(where: { m in seed.map { m.date > $0.through } ?? true }) else { return nil }
        var stats = seed?.yearStats ?? AttendanceStatistics(academicYear: AcademicYear(containing: firstMark.date))
        var firstDayOfYear = seed?.yearFirstDay ?? firstMark.date
        for m in ordered {
            if let seed, m.date <= seed.through { continue }
            let year = AcademicYear(containing: m.date)
            if stats.academicYear != year {
                stats = AttendanceStatistics(academicYear: year)
                firstDayOfYear = m.date
            }
            stats.add(m)
            guard m.category == .unauthorised, span.contains(m.date), counts(m) else { continue }
            if let last = history.lastDecisionOn, m.date <= last { continue }
            let judged = stats.possible >= config.minimumPossibleSessions
            let low = judged && stats.attendance.isAtMost(threshold)
            let exam = config.kent2016.examPeriodAggravates && context.calendar.isInExamPeriod(m.date)
            guard low || exam else { continue }
            let basis: ReviewBasis = low ? .attendanceAtOrBelow90 : .examPeriod
            let rec = recommendation(decisions: history.decisions, on: m.date, context: context, countingFrom: nil)
            let review = EnforcementReview(
                caseId: reviewCaseId(
                    .kent2016, upn: upn, lastDecisionOn: history.lastDecisionOn,
                    withdrawnReviews: history.withdrawnReviews), upn: upn,
                laestab: m.laestab, ruleset: .kent2016, basis: basis, attendancePct: stats.attendance.percent ?? 0,
                unauthorisedSessions: stats.unauthorised, windowStart: firstDayOfYear, windowEnd: m.date,
                priorNoticesIn3Years: rec.priorNoticesIn3Years, priorNotices: rec.priorNotices,
                recommendedAction: .penaltyNotice, amountPence: config.kent2016.amountPence, createdAt: m.time)
            var figures = stats.auditFigures
            figures["basis"] = basis.rawValue
            figures["session"] = "\(m.date) \(m.session.rawValue)"
            figures["code"] = m.code.code
            figures["exam-period"] = String(exam)
            return PenaltyTrigger(review: review, figures: figures)
        }
        return nil
    }
}
