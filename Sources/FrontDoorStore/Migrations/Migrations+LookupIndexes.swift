extension Migration {
    /// Indexes for the workers' batched lookups: a pupil's cases of any status (e.g. the CME
    /// case periods the attendance worker reads; the partial indexes of migration 1 cover only
    /// open cases).
    static let lookupIndexes = Migration(
        version: 3,
        name: "lookup-indexes",
        statements: [
            "CREATE INDEX cases_upn_kind_idx ON cases (upn, kind) WHERE upn IS NOT NULL"
        ]
    )
}
