import PostgresNIO

extension StoreTransaction {
    /// Claims one event for processing: `true` if it was never processed, `false` if it was
    /// (a re-sent or re-consumed event, which must have no second effect).
    ///
    /// The claim is part of the transaction, so a rolled-back batch releases its claims.
    public func claimEvent(
        source: String, id: String, topic: String, partition: Int32, offset: Int64
    ) async throws
        -> Bool
    {
        let claimed = try await self.claimEvents([
            EventClaim(source: source, id: id, topic: topic, partition: partition, offset: offset)
        ])
        return !claimed.isEmpty
    }

    /// Claims many events in one statement and returns the keys that were new.
    ///
    /// Process only events whose key is in the result. If one key appears more than once in
    /// `claims` it is claimed once: process its first occurrence only (for example, remove the
    /// key from the set when you process it).
    public func claimEvents(_ claims: [EventClaim]) async throws -> Set<EventKey> {
        guard !claims.isEmpty else { return [] }
        let keys = try await self.map(
            """
            INSERT INTO processed_events (source, event_id, topic, partition, "offset")
            SELECT * FROM unnest(
                \(claims.map(\.key.source))::text[], \(claims.map(\.key.id))::text[], \(claims.map(\.topic))::text[],
                \(claims.map(\.partition))::int4[], \(claims.map(\.offset))::int8[])
            ON CONFLICT (source, event_id) DO NOTHING
            RETURNING source, event_id
            """,
            "claim events"
        ) { row in EventKey(source: try row.get("source"), id: try row.get("event_id")) }
        return Set(keys)
    }

    /// Whether an event was already processed (without claiming it).
    public func isProcessed(source: String, id: String) async throws -> Bool {
        let rows = try await self.rows(
            "SELECT 1 FROM processed_events WHERE source = \(source) AND event_id = \(id)",
            "check processed event"
        )
        return !rows.isEmpty
    }

    /// Gives claims back: the events become unprocessed again, so a replay (from the dead-letter
    /// queue, after the fault is fixed) processes them. For events dead-lettered in the batch
    /// that claimed them.
    public func releaseClaims(_ keys: [EventKey]) async throws {
        guard !keys.isEmpty else { return }
        try await self.execute(
            """
            DELETE FROM processed_events p
            USING unnest(\(keys.map(\.source))::text[], \(keys.map(\.id))::text[]) AS k(source, event_id)
            WHERE p.source = k.source AND p.event_id = k.event_id
            """,
            "release event claims"
        )
    }

    /// Counts a message sent to the dead-letter topic, once: recording the same message (topic,
    /// partition, offset) again, as a retried or re-read batch does, changes nothing. Stores no payload.
    public func recordRejected(topic: String, partition: Int32, offset: Int64, errorCode: String) async throws {
        try await self.recordRejected([
            RejectedEventRecord(topic: topic, partition: partition, offset: offset, errorCode: errorCode)
        ])
    }

    /// Counts many rejected messages in one statement, each once (see
    /// ``recordRejected(topic:partition:offset:errorCode:)``).
    public func recordRejected(_ rejects: [RejectedEventRecord]) async throws {
        guard !rejects.isEmpty else { return }
        try await self.execute(
            """
            INSERT INTO rejected_events (topic, partition, "offset", error_code)
            SELECT * FROM unnest(
                \(rejects.map(\.topic))::text[], \(rejects.map(\.partition))::int4[], \(rejects.map(\.offset))::int8[],
                \(rejects.map(\.errorCode))::text[])
            ON CONFLICT (topic, partition, "offset") DO NOTHING
            """,
            "record rejected events"
        )
    }

    /// Rejected messages of a topic by error code.
    public func rejectedCounts(topic: String) async throws -> [String: Int] {
        let pairs = try await self.map(
            "SELECT error_code, count(*)::int8 AS n FROM rejected_events WHERE topic = \(topic) GROUP BY error_code",
            "count rejected events"
        ) { row in (try row.get("error_code", as: String.self), try row.get("n", as: Int.self)) }
        return Dictionary(pairs, uniquingKeysWith: +)
    }
}
