import Foundation

/// The pupil's enforcement history the penalty rulesets read.
public struct EnforcementHistory: Hashable, Sendable {
    /// A review for the pupil awaits a decision: no new review is raised (one open review at a time).
    public var hasOpenReview: Bool
    /// Every decision on the pupil's reviews (any age; the rules pick the 3-year window).
    public var decisions: [EnforcementDecision]
    /// `decidedOn` of the latest decision on a review: only unauthorised sessions after it can
    /// raise a new review, and under `england-2024` only those count. Defaults to the latest in
    /// `decisions` other than `penalty-notice-withdrawn` (withdrawing a notice decides nothing
    /// about the sessions since it was issued).
    public var lastDecisionOn: LocalDate?
    /// Reviews of the pupil withdrawn so far (``ReviewWithdrawalRule``): a review raised after
    /// one is a new case, so its case id names the count.
    public var withdrawnReviews: Int

    public init(
        hasOpenReview: Bool = false, decisions: [EnforcementDecision] = [], lastDecisionOn: LocalDate? = nil,
        withdrawnReviews: Int = 0
    ) {
        self.hasOpenReview = hasOpenReview
        self.decisions = decisions
        self.withdrawnReviews = withdrawnReviews
        self.lastDecisionOn =
            lastDecisionOn ?? decisions.filter { $0.decision != .penaltyNoticeWithdrawn }.map(\.decidedOn).max()
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

/// A session that meets a ruleset: the review it would raise and the figures for the audit.
struct PenaltyTrigger: Hashable, Sendable {
    var review: EnforcementReview
    var figures: [String: String]
}

public enum PenaltyRules {
    /// Runs the rulesets of `context.config.penaltyRulesets` over the pupil's counted marks
    /// (all years held; `kent-2016` judges attendance per academic year, `england-2024`'s
    /// window may cross terms and years).
    ///
    /// One open review per pupil: with `history.hasOpenReview` nothing is raised. Otherwise
    /// the first unauthorised session after `history.lastDecisionOn` (in replay order) that
    /// meets the ruleset of its own date (``PenaltyRulesetSchedule``) raises the review; each
    /// ruleset counts only sessions in its span of the schedule, and only sessions on which the
    /// pupil is of compulsory school age (``CompulsorySchoolAge``). Its `caseId` is
    /// `StableID.make("enforcement-review", ruleset, upn, lastDecisionOn ?? "none")`: one
    /// review per decision cycle, whatever the order marks arrive in.
    ///
    /// When only compulsory school age holds a review back, the audit records
    /// `no-review-not-compulsory-school-age` and nothing is raised.
    ///
    /// An `N` inside its grace (`pending`, by default ``NGrace/pending(_:graceDays:)`` of
    /// `marks`) neither counts nor triggers.
    public static func evaluate(
        upn: UPN, marks: [CountedMark], pupil: PupilProfile, history: EnforcementHistory, context: RuleContext,
        pending: Set<MarkSlot>? = nil
    ) -> PenaltyAssessment {
        let ordered = marks.filter { $0.upn == upn }.sorted { $0.slot < $1.slot }
        let pending = pending ?? NGrace.pending(ordered, graceDays: context.config.nGraceSchoolDays)
        return assess(upn: upn, ordered: ordered, pupil: pupil, history: history, context: context, pending: pending, seed: nil)
    }

    /// ``evaluate(upn:marks:pupil:history:context:pending:)`` on `ordered` (the pupil's
    /// sessions in replay order), judging only sessions after `seed.through` when a seed is
    /// given (``PenaltyCheckpoint``: no session on or before it triggers).
    static func assess(
        upn: UPN, ordered: [CountedMark], pupil: PupilProfile, history: EnforcementHistory, context: RuleContext,
        pending: Set<MarkSlot>, seed: PenaltyCheckpoint?
    ) -> PenaltyAssessment {
        guard !history.hasOpenReview else { return PenaltyAssessment(decision: nil, audit: []) }
        let settled: (CountedMark) -> Bool = { !pending.contains($0.slot) }
        let ofAge: (CountedMark) -> Bool = { settled($0) && CompulsorySchoolAge.judge(pupil, on: $0.date).inside }
        if var t = firstTrigger(upn: upn, ordered: ordered, history: history, context: context, seed: seed, counts: ofAge) {
            let age = CompulsorySchoolAge.judge(pupil, on: t.review.windowEnd)
            if age.basis == .assumed { t.review.reasons.append(CompulsorySchoolAge.assumedReason) }
            t.figures["compulsory-school-age"] = age.basis.rawValue
            if !t.review.reasons.isEmpty { t.figures["reasons"] = t.review.reasons.joined(separator: ",") }
            return decide(t.review, pupil: pupil, figures: t.figures, context: context)
        }
        // Would a session have raised a review had the pupil been of compulsory school age?
        guard ordered.contains(where: { $0.category == .unauthorised && settled($0) && !ofAge($0) }),
            var t = firstTrigger(upn: upn, ordered: ordered, history: history, context: context, seed: seed, counts: settled)
        else { return PenaltyAssessment(decision: nil, audit: []) }
        let age = CompulsorySchoolAge.judge(pupil, on: t.review.windowEnd)
        t.figures["compulsory-school-age"] = age.basis.rawValue
        if let y = pupil.yearGroup { t.figures["year-group"] = String(y) }
        return PenaltyAssessment(
            decision: nil,
            audit: [
                AuditEntry(
                    rule: t.review.ruleset.rawValue, decision: "no-review-not-compulsory-school-age",
                    key: [t.review.caseId], upn: upn, caseId: nil, figures: t.figures, at: t.review.createdAt)
            ])
    }

    /// The earliest trigger of any span of the schedule (spans do not overlap, so at most one
    /// ruleset can trigger on a date); with a `seed`, the earliest after `seed.through`.
    static func firstTrigger(
        upn: UPN, ordered: [CountedMark], history: EnforcementHistory, context: RuleContext,
        seed: PenaltyCheckpoint? = nil, counts: (CountedMark) -> Bool
    ) -> PenaltyTrigger? {
        var first: PenaltyTrigger?
        for span in context.config.penaltyRulesets.spans where ordered.contains(where: { span.contains($0.date) }) {
            let h = history
            let found: PenaltyTrigger? =
                switch span.ruleset {
                case .kent2016:
                    kent2016(upn: upn, ordered: ordered, span: span, history: h, context: context, seed: seed, counts: counts)
                case .england2024:
                    england2024(
                        upn: upn, ordered: ordered, span: span, history: h, context: context, seed: seed, counts: counts)
                }
            guard let f = found else { continue }
            let key = (f.review.windowEnd, f.review.createdAt)
            if first.map({ key < ($0.review.windowEnd, $0.review.createdAt) }) ?? true { first = f }
        }
        return first
    }

    /// `StableID.make("enforcement-review", ruleset, upn, lastDecisionOn ?? "none")`, with
    /// `"withdrawn", n` appended once `n` of the pupil's reviews have been withdrawn.
    public static func reviewCaseId(
        _ ruleset: PenaltyRuleset, upn: UPN, lastDecisionOn: LocalDate?, withdrawnReviews: Int = 0
    ) -> String {
        let base = ["enforcement-review", ruleset.rawValue, upn.value, lastDecisionOn?.description ?? "none"]
        return StableID.make(withdrawnReviews > 0 ? base + ["withdrawn", String(withdrawnReviews)] : base)
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
