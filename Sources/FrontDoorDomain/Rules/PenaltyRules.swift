import Foundation

/// The pupil's enforcement history the penalty rulesets read.
public struct EnforcementHistory: Hashable, Sendable {
    /// A review for the pupil awaits a decision: no new review is raised (one open review at a time).
    public var hasOpenReview: Bool
    /// Every decision on the pupil's reviews (any age; the rules pick the 3-year window).
    public var decisions: [EnforcementDecision]
    /// `decidedOn` of the latest decision: only unauthorised sessions after it can raise a
    /// new review, and under `england-2024` only those count. Defaults to the latest in `decisions`.
    public var lastDecisionOn: LocalDate?

    public init(hasOpenReview: Bool = false, decisions: [EnforcementDecision] = [], lastDecisionOn: LocalDate? = nil) {
        self.hasOpenReview = hasOpenReview
        self.decisions = decisions
        self.lastDecisionOn = lastDecisionOn ?? decisions.map(\.decidedOn).max()
    }

    public static let none = EnforcementHistory()
}

/// What a penalty ruleset decided for a pupil.
public enum PenaltyDecision: Hashable, Sendable {
    /// Publish an `enforcement.review.v1` on `frontdoor.enforcement.v1` and record the review as open.
    case review(EnforcementReview)
    /// A looked-after child: no review; a task for the School Liaison Officer instead.
    case liaisonOfficerTask(OfficerTask)
}

public struct PenaltyAssessment: Hashable, Sendable {
    /// Nil when nothing is due (no trigger, or a review is already open).
    public var decision: PenaltyDecision?
    public var audit: [AuditEntry]
}

/// The `england-2024` recommendation from prior decisions (exposed for tests and the review screen).
public struct PenaltyRecommendation: Hashable, Sendable {
    public var action: RecommendedAction
    public var amountPence: Int?
    /// Penalty notices, within the lookback, to the parent the recommendation is for.
    public var priorNoticesIn3Years: Int
    /// That parent (nil when there are no prior decisions).
    public var parentRef: String?
    /// Every `penalty-notice-issued` within the lookback, by date then parent.
    public var priorNotices: [PriorNotice]
}

public enum PenaltyRules {
    /// Runs the ruleset of `context.config.ruleset` over the pupil's counted marks (all
    /// years held; `kent-2016` judges attendance per academic year, `england-2024`'s window
    /// may cross terms and years).
    ///
    /// One open review per pupil: with `history.hasOpenReview` nothing is raised. Otherwise
    /// the first unauthorised session after `history.lastDecisionOn` (in replay order) that
    /// meets the ruleset raises the review. Its `caseId` is
    /// `StableID.make("enforcement-review", ruleset, upn, lastDecisionOn ?? "none")`: one
    /// review per decision cycle, whatever the order marks arrive in.
    public static func evaluate(
        upn: UPN, marks: [CountedMark], pupil: PupilProfile, history: EnforcementHistory, context: RuleContext
    ) -> PenaltyAssessment {
        switch context.config.ruleset {
        case .kent2016: kent2016(upn: upn, marks: marks, pupil: pupil, history: history, context: context)
        case .england2024: england2024(upn: upn, marks: marks, pupil: pupil, history: history, context: context)
        }
    }

    public static func reviewCaseId(_ ruleset: PenaltyRuleset, upn: UPN, lastDecisionOn: LocalDate?) -> String {
        StableID.make("enforcement-review", ruleset.rawValue, upn.value, lastDecisionOn?.description ?? "none")
    }

    // MARK: kent-2016

    /// `kent-2016` (the seed's Code of Conduct): on an unauthorised session (`G` `N` `O` `U`)
    /// recommend a penalty notice when the pupil's attendance for the academic year, counting
    /// that session, is at or below `kent2016.attendancePct` (judged only after
    /// `minimumPossibleSessions`), or when the session falls in a configured exam period.
    /// When both hold the basis is `attendance-at-or-below-90` (the primary ground).
    public static func kent2016(
        upn: UPN, marks: [CountedMark], pupil: PupilProfile, history: EnforcementHistory, context: RuleContext
    ) -> PenaltyAssessment {
        guard !history.hasOpenReview else { return PenaltyAssessment(decision: nil, audit: []) }
        let config = context.config
        let threshold = PercentThreshold(percent: config.kent2016.attendancePct)
        let ordered = marks.filter { $0.upn == upn }.sorted { $0.slot < $1.slot }
        // The current academic year's statistics and the date of its first mark.
        var current: (stats: AttendanceStatistics, firstDay: LocalDate)?
        for m in ordered {
            let year = AcademicYear(containing: m.date)
            var (s, firstDayOfYear) =
                current.flatMap { $0.stats.academicYear == year ? $0 : nil } ?? (AttendanceStatistics(academicYear: year), m.date)
            s.add(m)
            current = (s, firstDayOfYear)
            guard m.category == .unauthorised else { continue }
            if let last = history.lastDecisionOn, m.date <= last { continue }
            let judged = s.possible >= config.minimumPossibleSessions
            let low = judged && s.attendance.isAtMost(threshold)
            let exam = config.kent2016.examPeriodAggravates && context.calendar.isInExamPeriod(m.date)
            guard low || exam else { continue }
            let basis: ReviewBasis = low ? .attendanceAtOrBelow90 : .examPeriod
            let rec = recommendation(decisions: history.decisions, on: m.date, context: context)
            let review = EnforcementReview(
                caseId: reviewCaseId(.kent2016, upn: upn, lastDecisionOn: history.lastDecisionOn), upn: upn,
                laestab: m.laestab, ruleset: .kent2016, basis: basis, attendancePct: s.attendance.percent ?? 0,
                unauthorisedSessions: s.unauthorised, windowStart: firstDayOfYear, windowEnd: m.date,
                priorNoticesIn3Years: rec.priorNoticesIn3Years, priorNotices: rec.priorNotices,
                recommendedAction: .penaltyNotice, amountPence: config.kent2016.amountPence, createdAt: m.time)
            var figures = s.auditFigures
            figures["basis"] = basis.rawValue
            figures["session"] = "\(m.date) \(m.session.rawValue)"
            figures["code"] = m.code.code
            figures["exam-period"] = String(exam)
            return decide(review, pupil: pupil, figures: figures, context: context)
        }
        return PenaltyAssessment(decision: nil, audit: [])
    }

    // MARK: england-2024

    /// `england-2024` (national framework from 19 August 2024): recommend when the pupil has
    /// `england2024.unauthorisedSessions` (10) or more unauthorised sessions within a rolling
    /// window of `england2024.windowWeeks` (10) school weeks.
    ///
    /// A school week is an ISO week (Monday–Sunday) in which the pupil has at least one
    /// counted mark other than `#` (school closed), at any school; weeks with no marks
    /// (holidays) are skipped, so the window crosses terms and academic years. At each
    /// unauthorised session, the window is that session's school week and the
    /// `windowWeeks - 1` school weeks before it; `windowStart` is the Monday of its first
    /// week and `windowEnd` the session's date. Only sessions after `lastDecisionOn` count.
    public static func england2024(
        upn: UPN, marks: [CountedMark], pupil: PupilProfile, history: EnforcementHistory, context: RuleContext
    ) -> PenaltyAssessment {
        guard !history.hasOpenReview else { return PenaltyAssessment(decision: nil, audit: []) }
        let config = context.config.england2024
        let ordered = marks.filter { $0.upn == upn }.sorted { $0.slot < $1.slot }
        let weeks = SchoolCalendar.schoolWeeks(containing: ordered.filter { $0.code.code != "#" }.map(\.date))
        let weekIndex = Dictionary(uniqueKeysWithValues: weeks.enumerated().map { ($1, $0) })
        let counted = ordered.filter { m in
            m.category == .unauthorised && (history.lastDecisionOn.map { m.date > $0 } ?? true)
        }
        var inWindow: [CountedMark] = []  // counted sessions so far, oldest first
        for m in counted {
            inWindow.append(m)
            // Every counted mark is unauthorised, never `#`, so its week is indexed.
            guard let w = weekIndex[m.date.mondayOfWeek] else { continue }
            let first = min(w, max(0, w - (config.windowWeeks - 1)))
            let windowStart = weeks[first]
            inWindow.removeAll { $0.date < windowStart }
            guard inWindow.count >= config.unauthorisedSessions else { continue }
            let rec = recommendation(decisions: history.decisions, on: m.date, context: context)
            let upTo = AttendanceStatistics(
                marks: ordered.filter { $0.slot <= m.slot }, academicYear: AcademicYear(containing: m.date))
            let review = EnforcementReview(
                caseId: reviewCaseId(.england2024, upn: upn, lastDecisionOn: history.lastDecisionOn), upn: upn,
                laestab: m.laestab, ruleset: .england2024, basis: .tenUnauthorisedSessions,
                attendancePct: upTo.attendance.percent ?? 0, unauthorisedSessions: inWindow.count,
                windowStart: windowStart, windowEnd: m.date, priorNoticesIn3Years: rec.priorNoticesIn3Years,
                priorNotices: rec.priorNotices, recommendedAction: rec.action, amountPence: rec.amountPence,
                createdAt: m.time)
            var figures = upTo.auditFigures
            figures["unauthorised-in-window"] = String(inWindow.count)
            figures["window-start"] = windowStart.description
            figures["window-end"] = m.date.description
            figures["window-school-weeks"] = String(w - first + 1)
            figures["prior-notices"] = String(rec.priorNoticesIn3Years)
            figures["recommended-action"] = rec.action.rawValue
            if let p = rec.parentRef { figures["parent-ref"] = p }
            return decide(review, pupil: pupil, figures: figures, context: context)
        }
        return PenaltyAssessment(decision: nil, audit: [])
    }

    /// The `england-2024` action from prior decisions for the same child (domain.md).
    ///
    /// Prior notices are `penalty-notice-issued` decisions dated within the
    /// `priorNoticesLookbackYears` (3) years up to `date` (on or after the same day 3 years
    /// earlier). The rule is per parent: decisions are grouped by `parentRef` and the
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
        decisions: [EnforcementDecision], on date: LocalDate, context: RuleContext
    ) -> PenaltyRecommendation {
        let config = context.config.england2024
        let from = date.addingYears(-config.priorNoticesLookbackYears)
        let relevant = decisions.filter { $0.decidedOn >= from && $0.decidedOn <= date }
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
            case .prosecutionStarted, .noAction:
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

    /// A review, or for a looked-after child a School Liaison Officer task instead.
    static func decide(
        _ review: EnforcementReview, pupil: PupilProfile, figures: [String: String], context: RuleContext
    ) -> PenaltyAssessment {
        let key = [review.caseId]
        if pupil.cla {
            let route = context.route(review.laestab)
            let task = OfficerTask(
                taskId: StableID.make("task", OfficerTask.Role.schoolLiaisonOfficer.rawValue, review.caseId),
                caseId: review.caseId, role: .schoolLiaisonOfficer, kind: "penalty-review-looked-after-child",
                upn: review.upn, laestab: review.laestab, district: route.district, priority: .high,
                dueBy: context.calendar.schoolDay(
                    context.policy.liaisonTaskDueSchoolDays,
                    after: NotificationDecisions.triggerDay(date: review.windowEnd, recordedAt: review.createdAt)),
                reasons: [
                    "cla", "basis:\(review.basis.rawValue)", "attendance-pct:\(SessionShareText.tenths(review.attendancePct))",
                    "unauthorised-sessions:\(review.unauthorisedSessions)",
                ],
                createdAt: review.createdAt)
            return PenaltyAssessment(
                decision: .liaisonOfficerTask(task),
                audit: [
                    AuditEntry(
                        rule: review.ruleset.rawValue, decision: "task-school-liaison-officer-looked-after-child",
                        key: key, upn: review.upn, caseId: review.caseId, figures: figures, at: review.createdAt)
                ])
        }
        return PenaltyAssessment(
            decision: .review(review),
            audit: [
                AuditEntry(
                    rule: review.ruleset.rawValue, decision: "review-\(review.recommendedAction.rawValue)", key: key,
                    upn: review.upn, caseId: review.caseId, figures: figures, at: review.createdAt)
            ])
    }
}

enum SessionShareText {
    /// A one-decimal percentage as text (`48.6`), from a value already rounded to tenths.
    static func tenths(_ v: Double) -> String {
        let t = Int((v * 10).rounded())
        return "\(t / 10).\(t % 10)"
    }
}
