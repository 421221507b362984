extension Migration {
    /// `rejected_events` counts each rejected message once: a batch retried after its DLQ send
    /// (a database outage, a conflict) or read again after a crash recorded its rejects again.
    /// Duplicates (same topic, partition and offset) are removed, keeping the first row, and a
    /// unique key stops new ones (`recordRejected` inserts with `ON CONFLICT DO NOTHING`).
    static let rejectedOnce = Migration(
        version: 5,
        name: "rejected-once",
        statements: [
            """
            DELETE FROM rejected_events r USING rejected_events first
            WHERE r.topic = first.topic AND r.partition = first.partition AND r."offset" = first."offset"
                AND r.id > first.id
            """,
            """
            ALTER TABLE rejected_events
                ADD CONSTRAINT rejected_events_message_key UNIQUE (topic, partition, "offset")
            """,
        ]
    )
}
