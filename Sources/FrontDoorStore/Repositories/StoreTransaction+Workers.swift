import Foundation
import PostgresNIO

// Batched reads and idempotent writes the workers make for every pupil a batch touches, one
// statement each for the whole batch rather than one per pupil.
extension StoreTransaction {
    /// The CME cases (kind `cme`) of many pupils, as (opened, closed) date pairs, keyed by UPN.
    public func cmeCasePeriods(upns: [String]) async throws -> [String: [(opened: StoreDate, closed: StoreDate?)]] {
        guard !upns.isEmpty else { return [:] }
        let rows = try await self.map(
            """
            SELECT upn, opened_on, closed_on FROM cases
            WHERE kind = 'cme' AND upn = ANY(\(upns)::text[])
            ORDER BY upn, opened_on
            """,
            "load CME case periods"
        ) { row in
            (
                try row.get("upn", as: String.self), try row.get("opened_on", as: StoreDate.self),
                try row.get("closed_on", as: StoreDate?.self)
            )
        }
        var out: [String: [(opened: StoreDate, closed: StoreDate?)]] = [:]
        for (upn, opened, closed) in rows { out[upn, default: []].append((opened, closed)) }
        return out
    }

    /// The pupils among `upns` that have an open enforcement review.
    public func openReviewUPNs(upns: [String]) async throws -> Set<String> {
        guard !upns.isEmpty else { return [] }
        return Set(
            try await self.map(
                "SELECT upn FROM enforcement_reviews WHERE status = 'open' AND upn = ANY(\(upns)::text[])",
                "load open reviews"
            ) { row in try row.get("upn", as: String.self) })
    }

    /// Every enforcement decision on many pupils' reviews, oldest first, keyed by UPN.
    public func enforcementDecisions(upns: [String]) async throws -> [String: [EnforcementDecisionRecord]] {
        guard !upns.isEmpty else { return [:] }
        let rows = try await self.map(
            """
            SELECT upn, source, event_id, case_id, decision, decided_on, officer_id, parent_ref, amount_pence
            FROM enforcement_decisions WHERE upn = ANY(\(upns)::text[])
            ORDER BY decided_on, case_id
            """,
            "load enforcement decisions"
        ) { row in
            (
                try row.get("upn", as: String.self),
                EnforcementDecisionRecord(
                    source: try row.get("source"), eventId: try row.get("event_id"), caseId: try row.get("case_id"),
                    decision: try row.get("decision"), decidedOn: try row.get("decided_on"),
                    officerId: try row.get("officer_id"), parentRef: try row.get("parent_ref"),
                    amountPence: try row.get("amount_pence", as: Int?.self))
            )
        }
        var out: [String: [EnforcementDecisionRecord]] = [:]
        for (upn, d) in rows { out[upn, default: []].append(d) }
        return out
    }

    /// Records decisions in the audit trail once each: an entry whose figures carry an
    /// `audit-id` (the rules' stable id) already recorded is skipped, so re-deriving a
    /// decision in a later batch does not repeat it. Entries without one are always written.
    public func auditOnce(_ entries: [AuditEntry]) async throws {
        guard !entries.isEmpty else { return }
        let figures = try entries.map { try JSONText.string($0.figuresJSON) }
        let at = entries.map { $0.at ?? Date() }
        try await self.execute(
            """
            INSERT INTO audit_log (audit_id, at, rule, subject_ref, decision, figures, event_source, event_id)
            SELECT NULLIF(f::jsonb->>'audit-id', ''), a, r, s, d, f::jsonb, NULLIF(es, ''), NULLIF(ei, '') FROM unnest(
                \(at)::timestamptz[], \(entries.map(\.rule))::text[], \(entries.map(\.subjectRef))::text[],
                \(entries.map(\.decision))::text[], \(figures)::text[], \(entries.map { $0.eventSource ?? "" })::text[],
                \(entries.map { $0.eventId ?? "" })::text[]
            ) WITH ORDINALITY AS x(a, r, s, d, f, es, ei, n)
            ORDER BY n
            ON CONFLICT (audit_id) DO NOTHING
            """,
            "write audit log once"
        )
    }
}
