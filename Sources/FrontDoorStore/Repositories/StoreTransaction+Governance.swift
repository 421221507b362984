import Foundation
import FrontDoorDomain
import PostgresNIO

/// The dates before which `frontdoor purge` removes or anonymises personal data (computed from
/// `Config/retention.yaml` and the day it runs).
public struct PurgeCutoffs: Sendable, Hashable {
    /// Attendance marks dated before this day are deleted.
    public var marksBefore: StoreDate
    /// `pupil_year_attendance` and exclusions of academic years before this one (`2019/20`) are deleted.
    public var aggregatesBeforeYear: String
    /// Roll changes effective before this day (the first day of the first kept academic year) are deleted.
    public var rollChangesBefore: StoreDate
    /// Referrals and cases closed before this day are anonymised.
    public var closedBefore: StoreDate
    /// Outbox payloads of notifications sent before this instant are emptied.
    public var outboxSentBefore: Date
    public var processedBefore: Date
    public var rejectedBefore: Date
    public var auditBefore: Date

    public init(
        marksBefore: StoreDate, aggregatesBeforeYear: String, rollChangesBefore: StoreDate, closedBefore: StoreDate,
        outboxSentBefore: Date, processedBefore: Date, rejectedBefore: Date, auditBefore: Date
    ) {
        self.marksBefore = marksBefore
        self.aggregatesBeforeYear = aggregatesBeforeYear
        self.rollChangesBefore = rollChangesBefore
        self.closedBefore = closedBefore
        self.outboxSentBefore = outboxSentBefore
        self.processedBefore = processedBefore
        self.rejectedBefore = rejectedBefore
        self.auditBefore = auditBefore
    }
}

/// One step of a purge: a table, what happens to its rows past the policy, and how many.
public struct PurgeStep: Sendable, Hashable {
    public var table: String
    /// `delete` or `anonymise`.
    public var action: String
    public var rows: Int
}

extension StoreTransaction {
    /// Removes or anonymises what is past `cutoffs`, table by table, and returns how many rows
    /// each step touched (or would touch). The outcomes report's inputs that remain (marks of
    /// the kept years, referrals' dates, reasons, outcomes and schools, reviews) are not changed.
    ///
    /// With `apply: false` the steps run inside a savepoint that is rolled back: the counts are
    /// exact and nothing changes.
    public func purge(_ c: PurgeCutoffs, apply: Bool) async throws -> [PurgeStep] {
        if !apply { try await self.execute("SAVEPOINT frontdoor_purge_dry_run", "purge dry run") }
        var steps: [PurgeStep] = []
        func step(_ table: String, _ action: String, _ sql: String, _ bind: some PostgresEncodable & Sendable) async throws {
            var query = PostgresQuery(unsafeSQL: "WITH touched AS (\(sql) RETURNING 1) SELECT count(*)::int8 AS n FROM touched")
            try query.binds.append(bind)
            let n = try await self.map(query, "purge \(table)") { row in try row.get("n", as: Int.self) }.first ?? 0
            steps.append(PurgeStep(table: table, action: action, rows: n))
        }
        // By date, so whole academic-year partitions of the mark log (migration 9) empty at once.
        try await step("attendance_marks", "delete", "DELETE FROM mark_log WHERE mark_date < $1", c.marksBefore)
        // A state's window holds marks: it goes with them once its latest is past the marks' retention.
        try await step("enrolment_states", "delete", "DELETE FROM enrolment_states WHERE latest < $1", c.marksBefore)
        // A penalty checkpoint rests on the marks before its date: it goes with them.
        try await step(
            "penalty_checkpoints", "delete", "DELETE FROM penalty_checkpoints WHERE through < $1", c.marksBefore)
        try await step(
            "pupil_year_attendance", "delete", "DELETE FROM pupil_year_attendance WHERE academic_year < $1", c.aggregatesBeforeYear)
        // The report counts an exclusion in the exclusion year of its start date (from 1 August):
        // one starting in August before the first kept year is that year's, and stays.
        try await step(
            "exclusions", "delete",
            "DELETE FROM exclusions WHERE academic_year < $1 AND start_date < make_date(substr($1::text, 1, 4)::int, 8, 1)",
            c.aggregatesBeforeYear)
        // The report counts roll changes by their effective date: those of the kept years stay.
        try await step(
            "roll_changes", "delete", "DELETE FROM roll_changes WHERE effective_date < $1", c.rollChangesBefore)
        // The report counts referrals by reason, dates, outcome and school: those stay.
        try await step(
            "referrals", "anonymise",
            """
            UPDATE referrals SET
                child = jsonb_strip_nulls(jsonb_build_object('fsm', child->'fsm', 'sen', child->'sen', 'cla', child->'cla')),
                child_key = 'anonymised:' || referral_id, details = NULL, upn = NULL
            WHERE child_key NOT LIKE 'anonymised:%'
                AND case_id IN (SELECT case_id FROM cases WHERE status = 'closed' AND closed_on < $1)
            """, c.closedBefore)
        // A CME case open on the day a kept deletion for continuous absence or whereabouts not known
        // was recorded keeps its UPN: the report's cme-risk figure counts such a deletion only when
        // no CME case of the pupil covers it (it goes once the roll change itself is deleted).
        try await step(
            "cases", "anonymise",
            """
            WITH closed AS (
                SELECT k.case_id, EXISTS (
                    SELECT 1 FROM roll_changes rc
                    WHERE k.kind = 'cme' AND rc.upn = k.upn AND rc.change = 'deleted'
                        AND rc.ground IN ('continuous-absence-20-days', 'not-known')
                        AND greatest(rc.effective_date, (rc.event_time AT TIME ZONE 'Europe/London')::date)
                            BETWEEN k.opened_on AND k.closed_on
                ) AS covers_a_kept_deletion
                FROM cases k
                WHERE k.status = 'closed' AND k.closed_on < $1
                    AND NOT EXISTS (SELECT 1 FROM enforcement_reviews e WHERE e.case_id = k.case_id)
            )
            UPDATE cases SET upn = CASE WHEN closed.covers_a_kept_deletion THEN cases.upn END, child_key = NULL,
                details = '{}'::jsonb
            FROM closed
            WHERE cases.case_id = closed.case_id AND (child_key IS NOT NULL OR details <> '{}'::jsonb
                OR (upn IS NOT NULL AND NOT closed.covers_a_kept_deletion))
            """, c.closedBefore)
        try await step(
            "outbox", "anonymise",
            "UPDATE outbox SET payload = ''::bytea, last_error = NULL WHERE sent_at < $1 AND octet_length(payload) > 0",
            c.outboxSentBefore)
        try await step("processed_events", "delete", "DELETE FROM event_claims WHERE processed_at < $1", c.processedBefore)
        try await step("rejected_events", "delete", "DELETE FROM rejected_events WHERE received_at < $1", c.rejectedBefore)
        try await step("audit_log", "delete", "DELETE FROM audit_log WHERE at < $1", c.auditBefore)
        // Characteristics and dates of birth of pupils nothing refers to any more.
        try await step(
            "pupils", "delete",
            """
            DELETE FROM pupils p WHERE $1::bool
                AND NOT EXISTS (SELECT 1 FROM mark_log m WHERE m.upn = frontdoor_upn_key(p.upn))
                AND NOT EXISTS (SELECT 1 FROM enrolment_states s WHERE s.upn = p.upn)
                AND NOT EXISTS (SELECT 1 FROM pupil_year_attendance y WHERE y.upn = p.upn)
                AND NOT EXISTS (SELECT 1 FROM exclusions x WHERE x.upn = p.upn)
                AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.upn = p.upn)
                AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.upn = p.upn)
                AND NOT EXISTS (SELECT 1 FROM enforcement_reviews e WHERE e.upn = p.upn)
                AND NOT EXISTS (SELECT 1 FROM roll_changes rc WHERE rc.upn = p.upn)
            """, true)
        if !apply {
            try await self.execute("ROLLBACK TO SAVEPOINT frontdoor_purge_dry_run", "purge dry run")
            try await self.execute("RELEASE SAVEPOINT frontdoor_purge_dry_run", "purge dry run")
        }
        return steps
    }

    /// Everything held about one pupil, as one JSON object (a subject access request): `pupil`,
    /// `attendanceMarks`, `attendanceYears`, `enrolmentStates`, `penaltyCheckpoints`, `exclusions`, `cases`, `referrals`
    /// (with the child's names and `details`), `officerTasks`, `rollChanges` (admissions and
    /// deletions), `enforcementReviews`, `enforcementDecisions`, `notifications` (outbox rows about
    /// the pupil or their cases, payloads decoded) and `audit` (entries under the pupil's pseudonym
    /// `subjectRef` or one of their case ids).
    public func subjectAccessExport(upn: String, subjectRef: String) async throws -> String {
        var query = PostgresQuery(
            unsafeSQL: """
                WITH my_cases AS (
                    SELECT case_id FROM cases WHERE upn = $1
                    UNION SELECT case_id FROM referrals WHERE upn = $1
                    UNION SELECT case_id FROM enforcement_reviews WHERE upn = $1
                )
                SELECT json_build_object(
                    'upn', $1::text,
                    'pupil', (SELECT row_to_json(p) FROM pupils p WHERE p.upn = $1),
                    'attendanceMarks', (SELECT coalesce(json_agg(m ORDER BY m.mark_date, m.session, m.event_time), '[]'::json)
                        FROM (SELECT \(Self.markColumns) FROM mark_log m JOIN mark_sources s USING (source_id) WHERE m.upn = frontdoor_upn_key($1)) AS m),
                    'attendanceYears', (SELECT coalesce(json_agg(y ORDER BY y.academic_year), '[]'::json)
                        FROM pupil_year_attendance y WHERE y.upn = $1),
                    'enrolmentStates', (SELECT coalesce(json_agg(json_build_object(
                            'upn', s.upn, 'laestab', s.laestab, 'first_year', s.first_year, 'horizon', s.horizon,
                            'latest', s.latest, 'state', coalesce(s.state, $3::jsonb -> s.laestab), 'updated_at', s.updated_at)
                            ORDER BY s.laestab), '[]'::json)
                        FROM enrolment_states s WHERE s.upn = $1),
                    'penaltyCheckpoints', (SELECT coalesce(json_agg(json_build_object(
                            'upn', c.upn, 'through', c.through, 'checkpoint', c.checkpoint, 'updated_at', c.updated_at)), '[]'::json)
                        FROM penalty_checkpoints c WHERE c.upn = $1),
                    'exclusions', (SELECT coalesce(json_agg(x ORDER BY x.start_date, x.exclusion_id), '[]'::json)
                        FROM exclusions x WHERE x.upn = $1),
                    'cases', (SELECT coalesce(json_agg(k ORDER BY k.opened_on, k.case_id), '[]'::json)
                        FROM cases k WHERE k.case_id IN (SELECT case_id FROM my_cases)),
                    'referrals', (SELECT coalesce(json_agg(r ORDER BY r.received_time, r.referral_id), '[]'::json)
                        FROM referrals r WHERE r.upn = $1 OR r.case_id IN (SELECT case_id FROM my_cases)),
                    'officerTasks', (SELECT coalesce(json_agg(o ORDER BY o.created_at, o.task_id), '[]'::json)
                        FROM officer_tasks o WHERE o.case_id IN (SELECT case_id FROM my_cases)),
                    'rollChanges', (SELECT coalesce(json_agg(rc ORDER BY rc.effective_date, rc.event_time, rc.event_id), '[]'::json)
                        FROM roll_changes rc WHERE rc.upn = $1),
                    'enforcementReviews', (SELECT coalesce(json_agg(e ORDER BY e.created_at), '[]'::json)
                        FROM enforcement_reviews e WHERE e.upn = $1),
                    'enforcementDecisions', (SELECT coalesce(json_agg(d ORDER BY d.decided_on, d.event_id), '[]'::json)
                        FROM enforcement_decisions d WHERE d.upn = $1),
                    'notifications', (SELECT coalesce(json_agg(n ORDER BY n.seq), '[]'::json) FROM (
                        SELECT o.seq, o.notification_id, o.topic, o.message_key, o.created_at, o.sent_at,
                            CASE WHEN octet_length(o.payload) > 0 THEN convert_from(o.payload, 'UTF8')::jsonb END AS payload
                        FROM outbox o
                        WHERE o.message_key IN (SELECT case_id FROM my_cases)
                            OR (octet_length(o.payload) > 0 AND convert_from(o.payload, 'UTF8')::jsonb #>> '{data,upn}' = $1)
                    ) n),
                    'audit', (SELECT coalesce(json_agg(a ORDER BY a.at, a.id), '[]'::json)
                        FROM audit_log a WHERE a.subject_ref = $2 OR a.subject_ref IN (SELECT case_id FROM my_cases))
                )::text AS export
                """)
        query.binds.append(upn)
        query.binds.append(subjectRef)
        // Binary states (migration 12) are decoded here and shown in their JSON form, keyed by school.
        var states: [String: String] = [:]
        if let key = try? UPN(validating: upn) {
            for state in try await enrolmentStates(upns: [key])[key] ?? [] {
                states[state.enrolment.laestab.value] = try JSONText.encode(state)
            }
        }
        let statesObject = "{" + states.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        query.binds.append(statesObject)
        return try await self.map(query, "subject access export") { row in try row.get("export", as: String.self) }.first ?? "{}"
    }
}
