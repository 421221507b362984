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

    /// Up to `limit` unsent notifications, oldest first, locked for this transaction with
    /// `FOR UPDATE SKIP LOCKED`.
    ///
    /// Several relays may run at once: each gets rows no other open transaction holds, so no
    /// row is published by two relays concurrently. Publish them, wait for the delivery
    /// reports, then ``markSent(ids:)`` in the same transaction. If the relay dies before
    /// committing, the rows become unsent again (consumers dedupe on `notificationId`).
    public func fetchUnsent(limit: Int) async throws -> [OutboxMessage] {
        try await self.map(
            """
            SELECT notification_id, topic, message_key, payload, headers::text AS headers, created_at
            FROM outbox WHERE sent_at IS NULL
            ORDER BY seq
            LIMIT \(limit)
            FOR UPDATE SKIP LOCKED
            """,
            "fetch unsent notifications"
        ) { row in
            OutboxMessage(
                notificationId: try row.get("notification_id"),
                topic: try row.get("topic"),
                key: try row.get("message_key"),
                payload: try row.get("payload"),
                headers: try JSONText.decode([String: String].self, from: try row.get("headers")),
                createdAt: try row.get("created_at")
            )
        }
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

    /// Deletes notifications sent before `date` (housekeeping). Returns how many.
    @discardableResult
    public func deleteSent(before date: Date) async throws -> Int {
        try await self.count(
            "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < \(date) RETURNING 1",
            "delete sent notifications"
        )
    }
}
