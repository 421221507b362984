extension Migration {
    /// The outcomes report (`frontdoor report`) reads the marks that count for a whole academic
    /// year: every pupil's latest mark per school, day and session, counted by register code.
    /// The index that serves "the mark that counts" gains `code` and `category` as included
    /// columns, so that pass is an index-only scan already in `DISTINCT ON` order: no sort of
    /// the year's marks and no visit to the table (the whole report on 18.5 million marks: 21 s
    /// instead of 40 s; see docs/report.md). Same name and keys as before, so the workers' per-pupil
    /// lookups use it as they did.
    ///
    /// - Note: Rebuilding it locks `attendance_marks` against writes for the build (minutes on a
    ///   county's year of marks); run this migration when the workers are stopped or quiet.
    static let reportIndexes = Migration(
        version: 4,
        name: "report-indexes",
        statements: [
            "DROP INDEX attendance_marks_that_count_idx",
            """
            CREATE INDEX attendance_marks_that_count_idx ON attendance_marks
                (upn, laestab, mark_date, session, event_time DESC, event_id DESC, source DESC) INCLUDE (code, category)
            """,
        ]
    )
}
