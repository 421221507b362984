import Foundation
import PostgresNIO

extension StoreTransaction {
    /// Puts a notification in the outbox. Returns `false` if one with this id is already there
    /// (sent or not): a re-derived notification with the same stable id is not duplicated.
    @discardableResult
    public func enqueue(
        notificationId: String,
        topic: String,
        key: String,
        payload: Data,
        headers: [String: String] = [:]
    ) async throws -> Bool {
        try await self.enqueue([
            OutboxMessage(notificationId: notificationId, topic: topic, key: key, payload: payload, headers: headers)
        ]) == 1
    }

    /// Puts many notifications in the outbox in one statement, in order. Returns how many were new.
    @discardableResult
    public func enqueue(_ messages: [OutboxMessage]) async throws -> Int {
        guard !messages.isEmpty else { return 0 }
        let headers = try messages.map { try JSONText.encode($0.headers) }
        let payloads = messages.map { ByteBuffer(bytes: $0.payload) }
        return try await self.count(
            """
            INSERT INTO outbox (notification_id, topic, message_key, payload, headers)
            SELECT i, t, k, p, h::jsonb FROM unnest(
                \(messages.map(\.notificationId))::text[], \(messages.map(\.topic))::text[],
                \(messages.map(\.key))::text[], \(payloads)::bytea[], \(headers)::text[]
            ) WITH ORDINALITY AS x(i, t, k, p, h, n)
            ORDER BY n
            ON CONFLICT (notification_id) DO NOTHING
            RETURNING 1
            """,
            "enqueue notifications"
        )
    }

    /// Claims up to `limit` unsent notifications that are due (never failed, or past their
    /// backoff), oldest first, for `lease`: until then no other relay claims them, without any
    /// lock being held. Commit right away, send, then ``markSent(ids:)`` or
    /// ``recordSendFailures(_:initialBackoff:maximumBackoff:)`` in a new transaction. A relay
    /// that dies meanwhile leaves them to be claimed again once the lease ends.
    ///
    /// Rows another open transaction holds are skipped (`FOR UPDATE SKIP LOCKED`), so relays
    /// claiming at the same moment get different rows.
    public func claimUnsent(limit: Int, lease: Duration) async throws -> [OutboxMessage] {
        let leaseMs = Self.milliseconds(lease)
        return try await self.map(
            """
            WITH due AS (
                SELECT notification_id FROM outbox
                WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= clock_timestamp())
                ORDER BY seq
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE outbox o SET next_attempt_at = clock_timestamp() + \(leaseMs)::float8 * interval '1 millisecond'
                FROM due WHERE o.notification_id = due.notification_id
                RETURNING o.seq, o.notification_id, o.topic, o.message_key, o.payload, o.headers, o.created_at, o.attempts
            )
            SELECT notification_id, topic, message_key, payload, headers::text AS headers, created_at, attempts
            FROM claimed ORDER BY seq
            """,
            "claim unsent notifications"
        ) { row in
            var message = OutboxMessage(
                notificationId: try row.get("notification_id"),
                topic: try row.get("topic"),
                key: try row.get("message_key"),
                payload: try row.get("payload"),
                headers: try JSONText.decode([String: String].self, from: try row.get("headers")),
                createdAt: try row.get("created_at")
            )
            message.attempts = try row.get("attempts", as: Int.self)
            return message
        }
    }

    /// Records failed sends: each row's `attempts` goes up by one, `last_error` is set, and it is
    /// not claimed again before `initialBackoff × 2^(attempts - 1)`, at most `maximumBackoff`,
    /// from now. Rows sent meanwhile are left alone. Returns how many rows were updated.
    @discardableResult
    public func recordSendFailures(
        _ failures: [(notificationId: String, error: String)],
        initialBackoff: Duration,
        maximumBackoff: Duration
    ) async throws -> Int {
        guard !failures.isEmpty else { return 0 }
        let initialMs = Self.milliseconds(initialBackoff)
        let maximumMs = Self.milliseconds(maximumBackoff)
        return try await self.count(
            """
            UPDATE outbox o SET attempts = o.attempts + 1, last_error = f.e,
                next_attempt_at = clock_timestamp()
                    + least(\(maximumMs)::float8, \(initialMs)::float8 * power(2::float8, least(o.attempts, 30))) * interval '1 millisecond'
            FROM unnest(\(failures.map(\.notificationId))::text[], \(failures.map(\.error))::text[]) AS f(i, e)
            WHERE o.notification_id = f.i AND o.sent_at IS NULL
            RETURNING 1
            """,
            "record failed sends"
        )
    }

    /// Unsent notifications whose last send failed (a gauge: undeliverable or waiting to retry).
    public func failingCount() async throws -> Int {
        try await self.map(
            "SELECT count(*)::int8 AS n FROM outbox WHERE sent_at IS NULL AND attempts > 0", "count failing notifications"
        ) { row in
            try row.get("n", as: Int.self)
        }.first ?? 0
    }

    private static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    /// Marks notifications as published. Returns how many were unsent until now.
    @discardableResult
    public func markSent(ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await self.count(
            """
            UPDATE outbox SET sent_at = now()
            WHERE notification_id = ANY(\(ids)::text[]) AND sent_at IS NULL
            RETURNING 1
            """,
            "mark notifications sent"
        )
    }

    /// How many notifications wait to be published (a gauge for metrics).
    public func unsentCount() async throws -> Int {
        try await self.map("SELECT count(*)::int8 AS n FROM outbox WHERE sent_at IS NULL", "count unsent") { row in
            try row.get("n", as: Int.self)
        }.first ?? 0
    }

    /// The unsent notifications: how many, and how many seconds ago the oldest of them was
    /// written (0 when there is none). Gauges for metrics (`frontdoor_outbox_backlog`,
    /// `frontdoor_outbox_oldest_age_seconds`).
    public func unsentBacklog() async throws -> (count: Int, oldestAgeSeconds: Double) {
        try await self.map(
            """
            SELECT count(*)::int8 AS n,
                   COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8 AS age
            FROM outbox WHERE sent_at IS NULL
            """,
            "measure the outbox backlog"
        ) { row in
            (try row.get("n", as: Int.self), max(0, try row.get("age", as: Double.self)))
        }.first ?? (0, 0)
    }

    /// Deletes notifications sent before `date` (housekeeping). Returns how many.
    @discardableResult
    public func deleteSent(before date: Date) async throws -> Int {
        try await self.count(
            "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < \(date) RETURNING 1",
            "delete sent notifications"
        )
    }
}
