extension Migration {
    /// The relay records failed sends per outbox row, so that a notification that cannot be
    /// delivered (its topic missing or denied, the message too large) is retried with backoff
    /// instead of staying at the head of the queue, and never delays the rows behind it:
    /// - `attempts`: failed sends so far;
    /// - `next_attempt_at`: the row is not claimed before this instant (`NULL`: at once). The
    ///   relay also sets it to "now + lease" when it claims a row, so that it can send without
    ///   holding the row's lock, and another relay takes the row over only after the lease;
    /// - `last_error`: the last failure's librdkafka code and reason (no payload).
    ///
    /// The partial index replaces `outbox_unsent_idx` for the relay's claim (unsent rows in
    /// `seq` order, filtered on `next_attempt_at`).
    static let outboxRetries = Migration(
        version: 6,
        name: "outbox-retries",
        statements: [
            """
            ALTER TABLE outbox
                ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                ADD COLUMN next_attempt_at timestamptz,
                ADD COLUMN last_error text
            """,
            "CREATE INDEX outbox_due_idx ON outbox (seq) INCLUDE (next_attempt_at) WHERE sent_at IS NULL",
        ]
    )

}
