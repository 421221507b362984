import Foundation

extension PenaltyRules {
    /// The reason of a review recommending a penalty notice because the 10 sessions are all
    /// `G` (term-time leave): support is not appropriate, so no notice to improve first.
    public static let termTimeLeaveOnlyReason = "term-time-leave-only"
    /// The reason of a review raised by unauthorised absence within a notice to improve's
    /// improvement period.
    public static let afterNoticeToImproveReason = "after-notice-to-improve"

    /// `england-2024` (national framework from 19 August 2024): recommend when the pupil has
    /// `england2024.unauthorisedSessions` (10) or more unauthorised sessions within a rolling
    /// window of `england2024.windowWeeks` (10) school weeks.
    ///
    /// A school week is an ISO week (Monday–Sunday) in which the pupil has at least one
    /// counted mark other than `#` (school closed), at any school; weeks with no marks
    /// (holidays) are skipped, so the window crosses terms and academic years. At each
    /// unauthorised session, the window is that session's school week and the
    /// `windowWeeks - 1` school weeks before it; `windowStart` is the Monday of its first
    /// week (never before `span.from`) and `windowEnd` the session's date. Only sessions
    /// inside `span`, after `lastDecisionOn` and on which `counts` holds (compulsory school
    /// age, past its `N` grace) count.
    ///
    /// - When every counted session in the window is `G` (term-time leave), a notice to
    ///   improve is not appropriate: the recommendation is `penalty-notice` (reason
    ///   `term-time-leave-only`).
    /// - After a `notice-to-improve-issued` decision not followed by a penalty notice, the
    ///   first counted session within its improvement period (`improvementPeriodSchoolDays`
    ///   LA school days after the decision) raises a `penalty-notice` review at once, without
    ///   a new count of 10 (reason `after-notice-to-improve`; `windowStart` is the day of the
    ///   notice to improve).
    ///
    /// With a `seed` (``PenaltyCheckpoint``), `ordered` starts at `seed.readFrom` (every school
    /// week a later session's window can reach), only sessions after `seed.through` trigger,
    /// and the year-to-date figures build on the seed's.
    static func england2024(
        upn: UPN, ordered: [CountedMark], span: PenaltyRulesetSchedule.Span, history: EnforcementHistory,
        context: RuleContext, seed: PenaltyCheckpoint? = nil, counts: (CountedMark) -> Bool
    ) -> PenaltyTrigger? {
        let config = context.config.england2024
        let weeks = SchoolCalendar.schoolWeeks(containing: ordered.filter { $0.code.code != "#" }.map(\.date))
        let weekIndex = Dictionary(uniqueKeysWithValues: weeks.enumerated().map { ($1, $0) })
        let counted = ordered.filter { m in
            m.category == .unauthorised && span.contains(m.date) && counts(m)
                && (history.lastDecisionOn.map { m.date > $0 } ?? true)
        }
        let improvement = improvementPeriod(history: history, span: span, context: context)
        var inWindow: [CountedMark] = []  // counted sessions so far, oldest first
        var sinceNotice = 0
        for m in counted {
            inWindow.append(m)
            let w = weekIndex[m.date.mondayOfWeek] ?? 0
            var windowStart = weeks.isEmpty ? m.date.mondayOfWeek : weeks[max(0, w - (config.windowWeeks - 1))]
            inWindow.removeAll { $0.date < windowStart }
            if let from = span.from, windowStart < from { windowStart = from }

            var reasons: [String] = []
            var sessions = inWindow.count
            if let period = improvement, m.date > period.noticeOn {
                sinceNotice += 1
                if m.date <= period.through {
                    reasons.append(afterNoticeToImproveReason)
                    windowStart = period.noticeOn
                    sessions = sinceNotice
                }
            }
            guard !reasons.isEmpty || inWindow.count >= config.unauthorisedSessions else { continue }
            if let seed, m.date <= seed.through { continue }

            var rec = recommendation(
                decisions: history.decisions, on: m.date, context: context,
                countingFrom: PenaltyRulesetSchedule.nationalFrameworkStart)
            if reasons.isEmpty, inWindow.allSatisfy({ $0.code.code == "G" }) {
                reasons.append(termTimeLeaveOnlyReason)
            }
            // Support first (a notice to improve) only where support is appropriate; after
            // one, the next step is a penalty notice.
            if !reasons.isEmpty, rec.action == .noticeToImprove {
                rec.action = .penaltyNotice
                rec.amountPence = config.reducedAmountPence
            }
            let upTo = yearToDate(ordered, through: m.slot, seed: seed)
            let review = EnforcementReview(
                caseId: reviewCaseId(
                    .england2024, upn: upn, lastDecisionOn: history.lastDecisionOn,
                    withdrawnReviews: history.withdrawnReviews), upn: upn,
                laestab: m.laestab, ruleset: .england2024, basis: .tenUnauthorisedSessions,
                attendancePct: upTo.attendance.percent ?? 0, unauthorisedSessions: sessions,
                windowStart: windowStart, windowEnd: m.date, priorNoticesIn3Years: rec.priorNoticesIn3Years,
                priorNotices: rec.priorNotices, recommendedAction: rec.action, amountPence: rec.amountPence,
                createdAt: m.time, reasons: reasons)
            var figures = upTo.auditFigures
            figures["unauthorised-in-window"] = String(inWindow.count)
            figures["window-start"] = windowStart.description
            figures["window-end"] = m.date.description
            figures["window-school-weeks"] = String(w - (weekIndex[windowStart.mondayOfWeek] ?? w) + 1)
            figures["prior-notices"] = String(rec.priorNoticesIn3Years)
            figures["recommended-action"] = rec.action.rawValue
            if let p = rec.parentRef { figures["parent-ref"] = p }
            if let period = improvement { figures["improvement-period-through"] = period.through.description }
            return PenaltyTrigger(review: review, figures: figures)
        }
        return nil
    }

    /// The pupil's figures for the academic year of `slot`, up to and including it; with a
    /// `seed` of that year, its figures plus the sessions after `seed.through`.
    static func yearToDate(_ ordered: [CountedMark], through slot: MarkSlot, seed: PenaltyCheckpoint?) -> AttendanceStatistics {
        let year = AcademicYear(containing: slot.date)
        guard let seed, seed.yearStats.academicYear == year else {
            return AttendanceStatistics(marks: ordered.filter { $0.slot <= slot }, academicYear: year)
        }
        var stats = seed.yearStats
        for m in ordered where m.date > seed.through && m.slot <= slot && year.contains(m.date) { stats.add(m) }
        return stats
    }

    /// The improvement period of the latest `notice-to-improve-issued` decision inside `span`
    /// that no penalty notice followed (one withdrawn since does not count): the notice's
    /// date and the last LA school day of the period.
    static func improvementPeriod(
        history: EnforcementHistory, span: PenaltyRulesetSchedule.Span, context: RuleContext
    ) -> (noticeOn: LocalDate, through: LocalDate)? {
        let counted = notWithdrawn(history.decisions)
        guard
            let nti = history.decisions.filter({ $0.decision == .noticeToImproveIssued && span.contains($0.decidedOn) })
                .max(by: { $0.decidedOn < $1.decidedOn })
        else { return nil }
        guard !counted.contains(where: { $0.decision == .penaltyNoticeIssued && $0.decidedOn >= nti.decidedOn })
        else { return nil }
        let days = context.config.england2024.improvementPeriodSchoolDays
        return (nti.decidedOn, context.calendar.schoolDay(days, after: nti.decidedOn))
    }

    /// `decisions` without the penalty notices later withdrawn: a `penalty-notice-withdrawn`
    /// decision on the same case, for the same parent, on or after the notice's date withdraws
    /// it (the withdrawals themselves are left out too).
    static func notWithdrawn(_ decisions: [EnforcementDecision]) -> [EnforcementDecision] {
        let withdrawals = decisions.filter { $0.decision == .penaltyNoticeWithdrawn }
        return decisions.filter { d in
            switch d.decision {
            case .penaltyNoticeWithdrawn:
                return false
            case .penaltyNoticeIssued:
                return !withdrawals.contains {
                    $0.caseId == d.caseId && $0.parentRef == d.parentRef && $0.decidedOn >= d.decidedOn
                }
            case .noticeToImproveIssued, .prosecutionStarted, .noAction:
                return true
            }
        }
    }

    /// The `england-2024` action from prior decisions for the same child (domain.md).
    ///
    /// Prior notices are `penalty-notice-issued` decisions dated within the
    /// `priorNoticesLookbackYears` (3) years up to `date` (on or after the same day 3 years
    /// earlier), on or after `countingFrom` (19 August 2024 for `england-2024`: the framework
    /// counts notices from the first issued under it) and not withdrawn (``notWithdrawn(_:)``).
    /// The rule is per parent: decisions are grouped by `parentRef` and the
    /// recommendation is for the parent with the most prior notices (ties: the parent with a
    /// notice to improve not followed by a penalty notice, then the smaller `parentRef`), so
    /// it is never milder than any parent's own record would give; the review lists every
    /// prior notice by parent and the officer decides whom a notice goes to.
    /// - 2 or more (`prosecutionAfterNotices`) → `consider-prosecution` (no amount);
    /// - 1 → `penalty-notice`, `fullAmountPence` (£160);
    /// - 0, with a notice to improve within the lookback and no penalty notice since →
    ///   `penalty-notice`, `reducedAmountPence` (£80 if paid within 21 days; £160 within 28);
    /// - 0 otherwise → `notice-to-improve` (no amount).
    public static func recommendation(
        decisions: [EnforcementDecision], on date: LocalDate, context: RuleContext,
        countingFrom: LocalDate? = PenaltyRulesetSchedule.nationalFrameworkStart
    ) -> PenaltyRecommendation {
        let config = context.config.england2024
        var from = date.addingYears(-config.priorNoticesLookbackYears)
        if let c = countingFrom, c > from { from = c }
        let relevant = notWithdrawn(decisions).filter { $0.decidedOn >= from && $0.decidedOn <= date }
        let notices = relevant.filter { $0.decision == .penaltyNoticeIssued }
        let prior = notices.map { PriorNotice(parentRef: $0.parentRef, decidedOn: $0.decidedOn, caseId: $0.caseId) }
            .sorted { ($0.decidedOn, $0.parentRef, $0.caseId) < ($1.decidedOn, $1.parentRef, $1.caseId) }

        struct ParentRecord {
            var notices = 0
            var lastNotice: LocalDate?
            var lastNTI: LocalDate?
            var ntiPending: Bool { lastNTI.map { nti in lastNotice.map { $0 < nti } ?? true } ?? false }
        }
        var parents: [String: ParentRecord] = [:]
        for d in relevant {
            var r = parents[d.parentRef] ?? ParentRecord()
            switch d.decision {
            case .penaltyNoticeIssued:
                r.notices += 1
                r.lastNotice = max(r.lastNotice ?? d.decidedOn, d.decidedOn)
            case .noticeToImproveIssued:
                r.lastNTI = max(r.lastNTI ?? d.decidedOn, d.decidedOn)
            case .prosecutionStarted, .noAction, .penaltyNoticeWithdrawn:
                break
            }
            parents[d.parentRef] = r
        }
        let chosen = parents.sorted { a, b in
            if a.value.notices != b.value.notices { return a.value.notices > b.value.notices }
            if a.value.ntiPending != b.value.ntiPending { return a.value.ntiPending }
            return a.key < b.key
        }.first
        let count = chosen?.value.notices ?? 0
        let action: RecommendedAction
        let amount: Int?
        if count >= config.prosecutionAfterNotices {
            (action, amount) = (.considerProsecution, nil)
        } else if count >= 1 {
            (action, amount) = (.penaltyNotice, config.fullAmountPence)
        } else if chosen?.value.ntiPending == true {
            (action, amount) = (.penaltyNotice, config.reducedAmountPence)
        } else {
            (action, amount) = (.noticeToImprove, nil)
        }
        return PenaltyRecommendation(
            action: action, amountPence: amount, priorNoticesIn3Years: count, parentRef: chosen?.key,
            priorNotices: prior)
    }
}
