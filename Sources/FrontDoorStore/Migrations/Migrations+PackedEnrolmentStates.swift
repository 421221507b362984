extension Migration {
    /// Issue 10 item 3: enrolment states in their binary form (`EnrolmentState.packed()`),
    /// a few hundred bytes instead of about 2.5 kB of `jsonb`, read and written in one pass
    /// each. Encoding and decoding the JSON took about half the attendance worker's time on a
    /// late-year morning (perf, 30,000 pupils onto 150 school days).
    ///
    /// `state` (the JSON form) stays, nullable, for rows written before this version: the
    /// worker reads either and writes only `packed`, so each row moves to the new form the
    /// next time its enrolment has a mark, and nothing has to be rewritten at migration time.
    static let packedEnrolmentStates = Migration(
        version: 12,
        name: "packed-enrolment-states",
        statements: [
            "ALTER TABLE enrolment_states ADD COLUMN packed bytea",
            "ALTER TABLE enrolment_states ALTER COLUMN state DROP NOT NULL",
            """
            ALTER TABLE enrolment_states ADD CONSTRAINT enrolment_states_one_form
                CHECK ((state IS NULL) <> (packed IS NULL))
            """,
        ]
    )
}
