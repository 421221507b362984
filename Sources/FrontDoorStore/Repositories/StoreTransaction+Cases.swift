import Foundation
import PostgresNIO

extension StoreTransaction {
    // MARK: Cases

    /// Stores a new case. Returns `false` (and changes nothing) if `caseId` already exists, so a
    /// replayed event that derives the same id opens no second case.
    public func createCase(_ record: CaseRecord) async throws -> Bool {
        let c = record
        let details = try JSONText.string(c.detailsJSON)
        return try await self.count(
            """
            INSERT INTO cases (case_id, kind, reason, upn, child_key, laestab, district, unit_id, priority, status,
                opened_on, due_by, overdue_notified, review_due_by, closed_on, outcome, details)
            VALUES (\(c.caseId), \(c.kind), \(c.reason), \(c.upn), \(c.childKey), \(c.laestab), \(c.district),
                \(c.unitId), \(c.priority), \(c.status), \(c.openedOn), \(c.dueBy), \(c.overdueNotified),
                \(c.reviewDueBy), \(c.closedOn), \(c.outcome), \(details)::jsonb)
            ON CONFLICT (case_id) DO NOTHING
            RETURNING 1
            """,
            "create case"
        ) == 1
    }

    /// One case, or `nil`.
    public func findCase(id caseId: String) async throws -> CaseRecord? {
        try await self.map(
            "SELECT \(unescaped: Self.caseColumns) FROM cases WHERE case_id = \(caseId)",
            "load case",
            CaseRecord.init(row:)
        ).first
    }

    /// The open case for a pupil and reason (optionally of one kind), or `nil`.
    ///
    /// First takes a transaction-scoped advisory lock on `(upn, reason)`, so two transactions
    /// (two replicas) looking up the same child and reason are serialised until the first
    /// commits: find-then-``createCase(_:)`` cannot open two cases for one child. Lock in a
    /// consistent order if one transaction looks up several identities (a deadlock is reported
    /// as ``StoreError/Code/conflict``: retry).
    public func findOpenCase(upn: String, reason: String, kind: String? = nil) async throws -> CaseRecord? {
        try await self.lockIdentity("upn", upn, reason)
        return try await self.map(
            """
            SELECT \(unescaped: Self.caseColumns) FROM cases
            WHERE status = 'open' AND upn = \(upn) AND reason = \(reason) AND (\(kind)::text IS NULL OR kind = \(kind))
            ORDER BY opened_on, case_id LIMIT 1
            """,
            "find open case by upn",
            CaseRecord.init(row:)
        ).first
    }

    /// The open case for a child matched by ``ReferralRecord/childKey(familyName:givenName:dateOfBirth:)``
    /// and reason, or `nil`. Locks the identity as ``findOpenCase(upn:reason:kind:)`` does.
    public func findOpenCase(childKey: String, reason: String, kind: String? = nil) async throws -> CaseRecord? {
        try await self.lockIdentity("child", childKey, reason)
        return try await self.map(
            """
            SELECT \(unescaped: Self.caseColumns) FROM cases
            WHERE status = 'open' AND child_key = \(childKey) AND reason = \(reason)
                AND (\(kind)::text IS NULL OR kind = \(kind))
            ORDER BY opened_on, case_id LIMIT 1
            """,
            "find open case by child key",
            CaseRecord.init(row:)
        ).first
    }

    /// Closes an open case. Returns `false` if it is unknown or already closed.
    public func closeCase(id caseId: String, closedOn: StoreDate, outcome: String?) async throws -> Bool {
        try await self.count(
            """
            UPDATE cases SET status = 'closed', closed_on = \(closedOn), outcome = \(outcome)
            WHERE case_id = \(caseId) AND status = 'open'
            RETURNING 1
            """,
            "close case"
        ) == 1
    }

    /// Records when a governing board review is due. Returns `false` for an unknown case.
    public func setReviewDueBy(caseId: String, _ date: StoreDate?) async throws -> Bool {
        try await self.count(
            "UPDATE cases SET review_due_by = \(date) WHERE case_id = \(caseId) RETURNING 1",
            "set review due date"
        ) == 1
    }

    /// Replaces a case's details JSON. Returns `false` for an unknown case.
    public func setCaseDetails(caseId: String, detailsJSON: Data) async throws -> Bool {
        let details = try JSONText.string(detailsJSON)
        return try await self.count(
            "UPDATE cases SET details = \(details)::jsonb WHERE case_id = \(caseId) RETURNING 1",
            "set case details"
        ) == 1
    }

    /// Open CME cases due on or before `date` whose `cme-overdue` was not yet raised, oldest due
    /// first, locked for this transaction with `FOR UPDATE SKIP LOCKED`.
    ///
    /// Two schedulers (two replicas) running this at once each get a disjoint set: a case
    /// locked by one is skipped by the other, and once the first commits
    /// ``markOverdueNotified(caseIds:)`` the case no longer matches. Raise the notification
    /// (outbox) and mark the cases in the same transaction. Cases in `excluded` (ones the caller
    /// cannot handle) are left out, so a caller that skips them still reaches the end.
    public func overdueCMECases(
        dueOnOrBefore date: StoreDate, excluding excluded: [String] = [], limit: Int = 100
    ) async throws -> [CaseRecord] {
        try await self.map(
            """
            SELECT \(unescaped: Self.caseColumns) FROM cases
            WHERE status = 'open' AND kind = 'cme' AND NOT overdue_notified AND due_by <= \(date)
                AND NOT (case_id = ANY(\(excluded)::text[]))
            ORDER BY due_by, case_id
            LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """,
            "find overdue CME cases",
            CaseRecord.init(row:)
        )
    }

    /// Records that `cme-overdue` was raised for these cases. Returns how many changed.
    @discardableResult
    public func markOverdueNotified(caseIds: [String]) async throws -> Int {
        guard !caseIds.isEmpty else { return 0 }
        return try await self.count(
            """
            UPDATE cases SET overdue_notified = true
            WHERE case_id = ANY(\(caseIds)::text[]) AND NOT overdue_notified
            RETURNING 1
            """,
            "mark cases overdue-notified"
        )
    }

    // MARK: Referrals

    /// Stores a referral. Returns `false` if `referralId` is already stored. Its case must exist.
    public func insertReferral(_ record: ReferralRecord) async throws -> Bool {
        let r = record
        let child = try JSONText.string(r.childJSON)
        return try await self.count(
            """
            INSERT INTO referrals (referral_id, case_id, reason, upn, laestab, referrer_kind, referrer_org, child,
                child_key, safeguarding, last_seen_date, details, received_time, received_on, resolved_on, outcome,
                source, event_id)
            VALUES (\(r.referralId), \(r.caseId), \(r.reason), \(r.upn), \(r.laestab), \(r.referrerKind),
                \(r.referrerOrganisation), \(child)::jsonb, \(r.childKey),
                \(r.safeguardingConcern), \(r.lastSeenDate), \(r.details), \(r.receivedTime), \(r.receivedOn),
                \(r.resolvedOn), \(r.outcome), \(r.source), \(r.eventId))
            ON CONFLICT (referral_id) DO NOTHING
            RETURNING 1
            """,
            "insert referral"
        ) == 1
    }

    /// One referral, or `nil`.
    public func findReferral(id referralId: String) async throws -> ReferralRecord? {
        try await self.map(
            "SELECT \(unescaped: Self.referralColumns) FROM referrals WHERE referral_id = \(referralId)",
            "load referral",
            ReferralRecord.init(row:)
        ).first
    }

    /// The children named in referrals that gave a UPN, born on `dateOfBirth`: each UPN with
    /// the `child` JSON of its referrals (the domain compares the names; their normalisation
    /// is ``ReferredChild``'s, not SQL's). Ordered by UPN, then receipt.
    public func referredChildrenWithUPN(bornOn dateOfBirth: StoreDate) async throws -> [(upn: String, childJSON: Data)] {
        try await self.map(
            """
            SELECT upn, child::text AS child FROM referrals
            WHERE upn IS NOT NULL AND child->>'dateOfBirth' = \(dateOfBirth.description)
            ORDER BY upn, received_time, referral_id
            """,
            "load referred children by date of birth"
        ) { row in (try row.get("upn", as: String.self), Data(try row.get("child", as: String.self).utf8)) }
    }

    /// The referrals on a case, oldest first.
    public func referrals(caseId: String) async throws -> [ReferralRecord] {
        try await self.map(
            """
            SELECT \(unescaped: Self.referralColumns) FROM referrals WHERE case_id = \(caseId)
            ORDER BY received_time, referral_id
            """,
            "load case referrals",
            ReferralRecord.init(row:)
        )
    }

    /// Records a referral's resolution and returns the updated referral (its ``ReferralRecord/caseId``
    /// tells which case to close), or `nil` for an unknown referral. A second resolution replaces the first.
    public func resolveReferral(
        id referralId: String, resolvedOn: StoreDate, outcome: String
    ) async throws
        -> ReferralRecord?
    {
        try await self.map(
            """
            UPDATE referrals SET resolved_on = \(resolvedOn), outcome = \(outcome)
            WHERE referral_id = \(referralId)
            RETURNING \(unescaped: Self.referralColumns)
            """,
            "resolve referral",
            ReferralRecord.init(row:)
        ).first
    }

    // MARK: Officer tasks

    /// Creates a task for an officer. Returns `false` if `taskId` already exists. The case must exist.
    public func createOfficerTask(taskId: String, caseId: String, role: String) async throws -> Bool {
        try await self.count(
            """
            INSERT INTO officer_tasks (task_id, case_id, role) VALUES (\(taskId), \(caseId), \(role))
            ON CONFLICT (task_id) DO NOTHING
            RETURNING 1
            """,
            "create officer task"
        ) == 1
    }

    /// The tasks on a case, oldest first.
    public func officerTasks(caseId: String) async throws -> [OfficerTaskRecord] {
        try await self.map(
            "SELECT task_id, case_id, role, created_at FROM officer_tasks WHERE case_id = \(caseId) ORDER BY created_at, task_id",
            "load officer tasks"
        ) { row in
            OfficerTaskRecord(
                taskId: try row.get("task_id"),
                caseId: try row.get("case_id"),
                role: try row.get("role"),
                createdAt: try row.get("created_at")
            )
        }
    }

    // MARK: Helpers

    /// Serialises transactions working on the same child identity (see ``findOpenCase(upn:reason:kind:)``).
    func lockIdentity(_ namespace: String, _ identity: String, _ reason: String) async throws {
        let key = "\(namespace)|\(identity)|\(reason)"
        try await self.execute(
            "SELECT pg_advisory_xact_lock(hashtext('frontdoor.case'), hashtext(\(key)))",
            "lock case identity"
        )
    }

    static let caseColumns = """
        case_id, kind, reason, upn, child_key, laestab, district, unit_id, priority, status, opened_on, due_by,
        overdue_notified, review_due_by, closed_on, outcome, details::text AS details
        """

    static let referralColumns = """
        referral_id, case_id, reason, upn, laestab, referrer_kind, referrer_org, child::text AS child, child_key,
        safeguarding, last_seen_date, details, received_time, received_on, resolved_on, outcome, source, event_id
        """
}

extension CaseRecord {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            caseId: try row.get("case_id"),
            kind: try row.get("kind"),
            reason: try row.get("reason"),
            upn: try row.get("upn", as: String?.self),
            childKey: try row.get("child_key", as: String?.self),
            laestab: try row.get("laestab", as: String?.self),
            district: try row.get("district"),
            unitId: try row.get("unit_id"),
            priority: try row.get("priority"),
            status: try row.get("status"),
            openedOn: try row.get("opened_on"),
            dueBy: try row.get("due_by", as: StoreDate?.self),
            overdueNotified: try row.get("overdue_notified"),
            reviewDueBy: try row.get("review_due_by", as: StoreDate?.self),
            closedOn: try row.get("closed_on", as: StoreDate?.self),
            outcome: try row.get("outcome", as: String?.self),
            detailsJSON: Data(try row.get("details", as: String.self).utf8)
        )
    }
}

extension ReferralRecord {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            referralId: try row.get("referral_id"),
            caseId: try row.get("case_id"),
            reason: try row.get("reason"),
            upn: try row.get("upn", as: String?.self),
            laestab: try row.get("laestab", as: String?.self),
            referrerKind: try row.get("referrer_kind"),
            referrerOrganisation: try row.get("referrer_org"),
            childJSON: Data(try row.get("child", as: String.self).utf8),
            childKey: try row.get("child_key"),
            safeguardingConcern: try row.get("safeguarding"),
            lastSeenDate: try row.get("last_seen_date", as: StoreDate?.self),
            details: try row.get("details", as: String?.self),
            receivedTime: try row.get("received_time"),
            receivedOn: try row.get("received_on"),
            resolvedOn: try row.get("resolved_on", as: StoreDate?.self),
            outcome: try row.get("outcome", as: String?.self),
            source: try row.get("source"),
            eventId: try row.get("event_id")
        )
    }
}
