import Foundation
import PostgresNIO

extension StoreTransaction {
    /// Records one decision with the rule and figures it used.
    public func audit(
        rule: String,
        subjectRef: String,
        decision: String,
        figuresJSON: Data = Data("{}".utf8),
        eventSource: String? = nil,
        eventId: String? = nil
    ) async throws {
        try await self.audit([
            AuditEntry(
                rule: rule,
                subjectRef: subjectRef,
                decision: decision,
                figuresJSON: figuresJSON,
                eventSource: eventSource,
                eventId: eventId
            )
        ])
    }

    /// Records many decisions in one statement, in order.
    public func audit(_ entries: [AuditEntry]) async throws {
        guard !entries.isEmpty else { return }
        let figures = try entries.map { try JSONText.string($0.figuresJSON) }
        // NULL travels as "" (an empty source or id is not a valid CloudEvents attribute).
        try await self.execute(
            """
            INSERT INTO audit_log (rule, subject_ref, decision, figures, event_source, event_id)
            SELECT r, s, d, f::jsonb, NULLIF(es, ''), NULLIF(ei, '') FROM unnest(
                \(entries.map(\.rule))::text[], \(entries.map(\.subjectRef))::text[], \(entries.map(\.decision))::text[],
                \(figures)::text[], \(entries.map { $0.eventSource ?? "" })::text[], \(entries.map { $0.eventId ?? "" })::text[]
            ) WITH ORDINALITY AS x(r, s, d, f, es, ei, n)
            ORDER BY n
            """,
            "write audit log"
        )
    }

    /// The decisions recorded about a subject, oldest first.
    public func auditEntries(subjectRef: String) async throws -> [AuditEntry] {
        try await self.map(
            """
            SELECT rule, subject_ref, decision, figures::text AS figures, event_source, event_id, at
            FROM audit_log WHERE subject_ref = \(subjectRef) ORDER BY at, id
            """,
            "load audit log"
        ) { row in
            AuditEntry(
                rule: try row.get("rule"),
                subjectRef: try row.get("subject_ref"),
                decision: try row.get("decision"),
                figuresJSON: Data(try row.get("figures", as: String.self).utf8),
                eventSource: try row.get("event_source", as: String?.self),
                eventId: try row.get("event_id", as: String?.self),
                at: try row.get("at")
            )
        }
    }
}
