extension Migration {
    /// Issue 10: what the penalty rules have settled about each pupil (`PenaltyCheckpoint`), so
    /// a later absence is judged on the marks since the checkpoint's `readFrom` (its
    /// `england-2024` window, about ten school weeks) instead of the year's: the last read in
    /// the attendance worker whose size grew with the year.
    ///
    /// One row per pupil, the checkpoint as `jsonb` (about 300 bytes; rows are written only for
    /// pupils whose batch runs the penalty rules). A pupil with no row, or a row that no longer
    /// decodes, is judged in full from the look-back, as before this version: nothing needs to
    /// be filled in at migration time. The retention purge drops a row with the marks it rests on.
    static let penaltyCheckpoints = Migration(
        version: 14,
        name: "penalty-checkpoints",
        statements: [
            """
            CREATE TABLE penalty_checkpoints (
                upn text PRIMARY KEY,
                through date NOT NULL,
                checkpoint jsonb NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """
        ]
    )
}
