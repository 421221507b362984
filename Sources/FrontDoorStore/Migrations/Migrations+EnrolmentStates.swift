extension Migration {
    /// Issue 10 item 1: each enrolment's rule state (`EnrolmentState`), so the attendance
    /// worker folds a batch into it instead of replaying the pupil's year of marks.
    ///
    /// One row per enrolment (pupil × school), not per enrolment-year: the rules' window
    /// (its last school days' marks) and the CME run cross the summer into the next year,
    /// so the year is a field of the state, not its key. Fixed columns for what operators
    /// and purges select on (the first judged year, the window's first and last dates);
    /// the fold itself (counts by category and code, PA/SA ordinals and cool-down, the CME
    /// run, the window's marks) in a small `jsonb`: readable with SQL when checking a child
    /// by hand, and about 2 kB whatever the length of the year.
    ///
    /// Version 10 (reserved for this change; 9 is the mark log's).
    static let enrolmentStates = Migration(
        version: 10,
        name: "enrolment-states",
        statements: [
            """
            CREATE TABLE enrolment_states (
                upn text NOT NULL CHECK (upn = upper(upn) AND length(upn) = 13),
                laestab text NOT NULL CHECK (laestab ~ '^[0-9]{7}$'),
                first_year text NOT NULL CHECK (first_year ~ '^[0-9]{4}/[0-9]{2}$'),
                horizon date,
                latest date,
                state jsonb NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (upn, laestab)
            )
            """,
            "CREATE INDEX enrolment_states_latest_idx ON enrolment_states (latest)",
        ]
    )
}
