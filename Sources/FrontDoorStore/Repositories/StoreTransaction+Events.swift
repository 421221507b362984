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
    ///
    /// Two statements: the batch's sources and topics into `mark_sources` and `event_topics`,
    /// then the claims into `event_claims` (migration 13) in their compact form.
    public func claimEvents(_ claims: [EventClaim]) async throws -> Set<EventKey> {
        guard !claims.isEmpty else { return [] }
        let sources = claims.map(\.key.source)
        let topics = claims.map(\.topic)
        // Only names not stored yet: an identity value is drawn for every row offered to
        // INSERT … ON CONFLICT, so offering the known ones each batch would use up ids.
        try await self.execute(
            """
            WITH s AS (
                INSERT INTO mark_sources (source)
                SELECT DISTINCT x FROM unnest(\(sources)::text[]) AS x
                WHERE NOT EXISTS (SELECT 1 FROM mark_sources m WHERE m.source = x) ORDER BY 1
                ON CONFLICT (source) DO NOTHING
            )
            INSERT INTO event_topics (topic)
            SELECT DISTINCT x FROM unnest(\(topics)::text[]) AS x WHERE NOT EXISTS (SELECT 1 FROM event_topics t WHERE t.topic = x)
            ORDER BY 1
            ON CONFLICT (topic) DO NOTHING
            """,
            "insert claim sources and topics"
        )
        // The ids split into their columns here, and the sources named by a join: the SQL
        // functions that did both per row (a regular expression each, and a lookup PostgreSQL
        // cannot inline) were about a sixth of the database's time on a late-year morning.
        let (isUUID, uuids, texts) = Self.splitIds(claims.map(\.key.id))
        let keys = try await self.map(
            """
            WITH claimed AS (
                INSERT INTO event_claims ("offset", source_id, partition, topic_id, event_uuid, event_text)
                SELECT x.o, s.source_id, x.p, t.topic_id, CASE WHEN x.f THEN x.g END, CASE WHEN NOT x.f THEN x.i END
                FROM unnest(
                    \(sources)::text[], \(uuids)::uuid[], \(isUUID)::bool[], \(texts)::text[], \(topics)::text[],
                    \(claims.map(\.partition))::int4[], \(claims.map(\.offset))::int8[]
                ) AS x(so, g, f, i, t, p, o)
                JOIN mark_sources s ON s.source = x.so JOIN event_topics t ON t.topic = x.t
                ON CONFLICT (source_id, event_uuid, event_text) DO NOTHING
                RETURNING source_id, event_uuid, event_text
            )
            SELECT s.source, coalesce(c.event_uuid::text, c.event_text) AS event_id
            FROM claimed c JOIN mark_sources s USING (source_id)
            """,
            "claim events"
        ) { row in EventKey(source: try row.get("source"), id: try row.get("event_id")) }
        return Set(keys)
    }

    /// Whether an event was already processed (without claiming it).
    public func isProcessed(source: String, id: String) async throws -> Bool {
        let rows = try await self.rows(
            """
            SELECT 1 FROM event_claims c JOIN mark_sources s ON s.source_id = c.source_id
            WHERE s.source = \(source) AND (c.event_uuid = frontdoor_event_uuid(\(id)) OR c.event_text = frontdoor_event_text(\(id)))
            """,
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
            DELETE FROM event_claims c
            USING unnest(\(keys.map(\.source))::text[], \(keys.map(\.id))::text[]) AS k(source, event_id), mark_sources s
            WHERE s.source = k.source AND c.source_id = s.source_id
                AND (c.event_uuid = frontdoor_event_uuid(k.event_id) OR c.event_text = frontdoor_event_text(k.event_id))
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
