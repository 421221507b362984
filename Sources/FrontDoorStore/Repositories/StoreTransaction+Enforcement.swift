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
    /// ends the review). A decision for an unknown case id stores nothing.
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

    /// `penalty-notice-issued` decisions for a pupil decided between two dates (both inclusive),
    /// oldest first, each with the parent it went to.
    public func penaltyNotices(upn: String, from start: StoreDate, through end: StoreDate) async throws
        -> [PenaltyNoticeRecord]
    {
        try await self.map(
            """
            SELECT case_id, parent_ref, decided_on, amount_pence FROM enforcement_decisions
            WHERE upn = \(upn) AND decision = 'penalty-notice-issued' AND decided_on BETWEEN \(start) AND \(end)
            ORDER BY decided_on, case_id
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
