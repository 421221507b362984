extension Migration {
    /// The rules give every decision a stable audit id; recording it once lets a worker
    /// re-derive decisions in later batches without repeating them in the trail.
    static let auditIds = Migration(
        version: 2,
        name: "audit-ids",
        statements: [
            "ALTER TABLE audit_log ADD COLUMN audit_id text",
            "CREATE UNIQUE INDEX audit_log_audit_id_idx ON audit_log (audit_id)",
        ]
    )
}
