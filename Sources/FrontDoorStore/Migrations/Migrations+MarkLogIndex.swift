extension Migration {
    /// Issue 10 item 4: the mark log's one index becomes a non-unique B-tree on the UPN alone.
    ///
    /// Migration 9's `mark_log_that_count_idx` (the whole slot, time and event, `INCLUDE (code,
    /// category)`) was nearly a second copy of every row: 86 bytes a mark beside the table's 85,
    /// measured on 9 million marks (30,000 pupils, 150 school days, UUID ids, bulk-built). `(upn)`
    /// takes 7: B-tree deduplication (PostgreSQL 13+, on for a non-unique index) keeps one key
    /// per pupil and partition and about 6 bytes per further mark. Every query that reads the
    /// mark log by pupil (`marksThatCount`, `categoryTotals`, the subject access export, the
    /// purge's "no marks left" check) finds the pupil's rows through it and sorts the few
    /// hundred a year each has; the year report and the purge by date read whole partitions.
    /// `(upn, mark_date)` measured 25 bytes a mark (a key per pupil and day) for no faster
    /// reads.
    ///
    /// Nothing refuses a second row of one event any more: `processed_events` claims each
    /// event's `(source, id)` before the handler runs (architecture.md, "Idempotent by event
    /// identity"), and once a claim has been purged (`processed_events_days`) a re-sent mark is
    /// stored again beside the first; the rules take the latest mark per slot, so an identical
    /// one changes no figure (docs/operations.md, "Storage and throughput"). Should a sender
    /// re-use an id at the same instant with different contents, the larger code, then minutes
    /// late, counts (as `AttendanceRules.supersedes`), in the store's reads and in the
    /// `marks_that_count` view alike, whichever row came first.
    ///
    /// Rebuilding locks the mark log against writes for the build (about 10 s per 9 million
    /// marks on two cores): run it with the attendance workers stopped or quiet, as migration 9.
    static let markLogIndex = Migration(
        version: 13,
        name: "mark-log-index",
        statements: [
            "DROP INDEX mark_log_that_count_idx",
            "CREATE INDEX mark_log_upn_idx ON mark_log (upn) WITH (deduplicate_items = on)",
            """
            CREATE OR REPLACE VIEW marks_that_count AS
            SELECT DISTINCT ON (upn, laestab, mark_date, session)
                upn, laestab, mark_date, session, code, category, minutes_late, event_time, source, event_id
            FROM attendance_marks
            ORDER BY upn, laestab, mark_date, session, event_time DESC, event_id DESC, source DESC,
                code COLLATE "C" DESC, minutes_late DESC NULLS LAST
            """,
        ]
    )
}
