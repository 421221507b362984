extension Migration {
    /// Issue 9 items 3 and 4: roll changes (`roll.change.v1`) as facts, the pupil's
    /// child-protection plan flag (`pupil.cpp`), and reviews withdrawn when their basis is
    /// amended away (`enforcement.review-withdrawn.v1`).
    ///
    /// Version 8: other branches add 5, 6 and 7; the ``Migrator`` accepts gaps in the sequence.
    static let rollChanges = Migration(
        version: 8,
        name: "roll-changes-and-review-withdrawals",
        statements: [
            """
            CREATE TABLE roll_changes (
                source text NOT NULL,
                event_id text COLLATE "C" NOT NULL,
                upn text NOT NULL CHECK (upn = upper(upn) AND length(upn) = 13),
                laestab text NOT NULL CHECK (laestab ~ '^[0-9]{7}$'),
                change text NOT NULL CHECK (change IN ('admitted', 'deleted')),
                effective_date date NOT NULL,
                ground text CHECK ((change = 'deleted') = (ground IS NOT NULL)),
                destination_laestab text CHECK (destination_laestab IS NULL OR destination_laestab ~ '^[0-9]{7}$'),
                dual_registration text CHECK (dual_registration IS NULL OR dual_registration IN ('main', 'subsidiary')),
                event_time timestamptz NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source, event_id)
            )
            """,
            "CREATE INDEX roll_changes_upn_idx ON roll_changes (upn, laestab, effective_date)",
            "CREATE INDEX roll_changes_effective_idx ON roll_changes (effective_date, change)",
            // NULL: not known (an event that leaves `cpp` out keeps what is stored).
            "ALTER TABLE pupils ADD COLUMN cpp boolean",
            "ALTER TABLE enforcement_reviews DROP CONSTRAINT enforcement_reviews_status_check",
            """
            ALTER TABLE enforcement_reviews ADD CONSTRAINT enforcement_reviews_status_check
                CHECK (status IN ('open', 'decided', 'withdrawn'))
            """,
            "ALTER TABLE enforcement_reviews ADD COLUMN withdrawn_at timestamptz",
            """
            ALTER TABLE enforcement_reviews ADD COLUMN withdrawal_reason text CHECK (
                withdrawal_reason IS NULL
                    OR withdrawal_reason IN ('amended-below-threshold', 'not-compulsory-school-age', 'left-roll')
            )
            """,
        ]
    )
}
