import Foundation

/// An open review as the withdrawal rule reads it.
public struct OpenReview: Hashable, Sendable {
    public var caseId: String
    public var upn: UPN
    public var laestab: LAESTAB
    /// The session that triggered it.
    public var windowEnd: LocalDate

    public init(caseId: String, upn: UPN, laestab: LAESTAB, windowEnd: LocalDate) {
        self.caseId = caseId
        self.upn = upn
        self.laestab = laestab
        self.windowEnd = windowEnd
    }
}

/// Review withdrawal (domain.md, events.md `enforcement.review-withdrawn.v1`): when an
/// amendment removes the basis of a review no person has decided on yet, frontdoor
/// withdraws it and closes the case; a later threshold can raise a new review.
public enum ReviewWithdrawalRule {
    /// Whether `review`'s basis still stands on today's facts, and if not, the withdrawal.
    ///
    /// The basis stands while the pupil's penalty rules, run as if no review were open (the
    /// same decisions, so the same decision cycle), still find a trigger: the same review, or
    /// a later session meeting the threshold. When they find none, the reason is
    /// `not-compulsory-school-age` when a trigger is held back only by compulsory school age
    /// (a date of birth sent since), `left-roll` when the review's school deleted the pupil
    /// from its roll before the triggering session (its later marks no longer count), else
    /// `amended-below-threshold`. `withdrawnAt` is `at`, the `time` of the latest event that
    /// made the pupil's facts what they are (the amendment).
    ///
    /// - Parameters:
    ///   - marks: the pupil's sessions as the penalty rules read them (each once across schools).
    ///   - history: the enforcement history; `hasOpenReview` is ignored.
    public static func evaluate(
        review: OpenReview, marks: [CountedMark], pupil: PupilProfile, history: EnforcementHistory,
        rollFacts: [RollFact], pending: Set<MarkSlot>, at: Date, context: RuleContext
    ) -> (withdrawal: EnforcementReviewWithdrawal?, audit: [AuditEntry]) {
        var h = history
        h.hasOpenReview = false
        let rerun = PenaltyRules.evaluate(
            upn: review.upn, marks: marks, pupil: pupil, history: h, context: context, pending: pending)
        guard rerun.decision == nil else { return (nil, []) }
        let reason: WithdrawalReason
        if rerun.audit.contains(where: { $0.decision == "no-review-not-compulsory-school-age" }) {
            reason = .notCompulsorySchoolAge
        } else if RollChangeRules.deletion(
            before: review.windowEnd, at: Enrolment(upn: review.upn, laestab: review.laestab), facts: rollFacts) != nil
        {
            reason = .leftRoll
        } else {
            reason = .amendedBelowThreshold
        }
        let withdrawal = EnforcementReviewWithdrawal(caseId: review.caseId, upn: review.upn, reason: reason, withdrawnAt: at)
        return (
            withdrawal,
            [
                AuditEntry(
                    rule: "review-withdrawal", decision: "withdraw-\(reason.rawValue)", key: [review.caseId], upn: review.upn,
                    caseId: review.caseId,
                    figures: ["laestab": review.laestab.value, "window-end": review.windowEnd.description], at: at)
            ]
        )
    }
}
