import PostgresNIO

extension StoreTransaction {
    /// Opens a review. Returns `false` (changing nothing) if the pupil already has an open review
    /// (one at a time, enforced by a unique index) or the case id is taken. The `cases` row for
    /// ``EnforcementReviewRecord/caseId`` must exist.
    public func openReview(_ review: EnforcementReviewRecord) async throws -> Bool {
        let r = review
        return try await self.count(
            """
            INSERT INTO enforcement_reviews (case_id, upn, laestab, ruleset, basis, attendance_pct, unauthorised_sessions,
                window_start, window_end, prior_notices, recommended_action, amount_pence, status, created_at)
            VALUES (\(r.caseId), \(r.upn), \(r.laestab), \(r.ruleset), \(r.basis), round(\(r.attendancePct)::numeric, 2),
                \(r.unauthorisedSessions), \(r.windowStart), \(r.windowEnd), \(r.priorNotices), \(r.recommendedAction),
                \(r.amountPence), \(r.status), \(r.createdAt))
            ON CONFLICT DO NOTHING
            RETURNING 1
            """,
            "open enforcement review"
        ) == 1
    }

    /// The pupil's open review, or `nil`.
    public func findOpenReview(upn: String) async throws -> EnforcementReviewRecord? {
        try await self.map(
            "SELECT \(unescaped: Self.reviewColumns) FROM enforcement_reviews WHERE upn = \(upn) AND status = 'open'",
            "find open review",
            EnforcementReviewRecord.init(row:)
        ).first
    }

    /// A review by case id, open or decided, or `nil`.
    public func findReview(caseId: String) async throws -> EnforcementReviewRecord? {
        try await self.map(
            "SELECT \(unescaped: Self.reviewColumns) FROM enforcement_reviews WHERE case_id = \(caseId)",
            "load review",
            EnforcementReviewRecord.init(row:)
        ).first
    }

    /// Records a decision and marks its review decided (any decision, `no-action` included,
    /// ends the review; a `penalty-notice-withdrawn` arrives on a review already decided and is
    /// kept beside the notice it withdraws). A decision for an unknown case id stores nothing.
    public func recordDecision(_ decision: EnforcementDecisionRecord) async throws -> DecisionOutcome {
        let d = decision
        let reviews = try await self.map(
            "SELECT upn FROM enforcement_reviews WHERE case_id = \(d.caseId) FOR UPDATE",
            "lock review"
        ) { row in try row.get("upn", as: String.self) }
        guard let upn = reviews.first else { return .unknownCase }
        let inserted = try await self.count(
            """
            INSERT INTO enforcement_decisions (source, event_id, case_id, upn, decision, decided_on, officer_id,
                parent_ref, amount_pence)
            VALUES (\(d.source), \(d.eventId), \(d.caseId), \(upn), \(d.decision), \(d.decidedOn), \(d.officerId),
                \(d.parentRef), \(d.amountPence))
            ON CONFLICT (source, event_id) DO NOTHING
            RETURNING 1
            """,
            "record decision"
        )
        guard inserted == 1 else { return .duplicate }
        try await self.execute(
            "UPDATE enforcement_reviews SET status = 'decided', decided_at = now() WHERE case_id = \(d.caseId) AND status = 'open'",
            "close review"
        )
        return .recorded(upn: upn)
    }

    /// `penalty-notice-issued` decisions for a pupil decided between two dates (both inclusive)
    /// and not withdrawn, oldest first, each with the parent it went to. A notice is withdrawn
    /// by a `penalty-notice-withdrawn` decision on the same case, for the same parent, on or
    /// after its date (as `PenaltyRules.notWithdrawn` reads the decisions).
    public func penaltyNotices(
        upn: String, from start: StoreDate, through end: StoreDate
    ) async throws
        -> [PenaltyNoticeRecord]
    {
        try await self.map(
            """
            SELECT d.case_id, d.parent_ref, d.decided_on, d.amount_pence FROM enforcement_decisions d
            WHERE d.upn = \(upn) AND d.decision = 'penalty-notice-issued' AND d.decided_on BETWEEN \(start) AND \(end)
                AND NOT EXISTS (
                    SELECT 1 FROM enforcement_decisions w
                    WHERE w.case_id = d.case_id AND w.parent_ref = d.parent_ref
                        AND w.decision = 'penalty-notice-withdrawn' AND w.decided_on >= d.decided_on)
            ORDER BY d.decided_on, d.case_id
            """,
            "load penalty notices"
        ) { row in
            PenaltyNoticeRecord(
                caseId: try row.get("case_id"),
                parentRef: try row.get("parent_ref"),
                decidedOn: try row.get("decided_on"),
                amountPence: try row.get("amount_pence", as: Int?.self)
            )
        }
    }

    static let reviewColumns = """
        case_id, upn, laestab, ruleset, basis, attendance_pct::float8 AS attendance_pct, unauthorised_sessions,
        window_start, window_end, prior_notices, recommended_action, amount_pence, status, created_at
        """
}

extension EnforcementReviewRecord {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            caseId: try row.get("case_id"),
            upn: try row.get("upn"),
            laestab: try row.get("laestab"),
            ruleset: try row.get("ruleset"),
            basis: try row.get("basis"),
            attendancePct: try row.get("attendance_pct"),
            unauthorisedSessions: try row.get("unauthorised_sessions"),
            windowStart: try row.get("window_start"),
            windowEnd: try row.get("window_end"),
            priorNotices: try row.get("prior_notices"),
            recommendedAction: try row.get("recommended_action"),
            amountPence: try row.get("amount_pence", as: Int?.self),
            status: try row.get("status"),
            createdAt: try row.get("created_at")
        )
    }
}
