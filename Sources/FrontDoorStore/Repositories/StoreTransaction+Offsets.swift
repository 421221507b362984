import PostgresNIO

extension StoreTransaction {
    /// The next offsets to consume, per partition, stored for a consumer group and topic.
    ///
    /// Partitions never saved are absent: start those from the broker's reset policy.
    public func loadOffsets(group: String, topic: String) async throws -> [Int32: Int64] {
        let pairs = try await self.map(
            "SELECT partition, next_offset FROM consumer_offsets WHERE group_id = \(group) AND topic = \(topic)",
            "load offsets"
        ) { row in (try row.get("partition", as: Int32.self), try row.get("next_offset", as: Int64.self)) }
        return Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    /// Stores the next offset to consume for each partition, exactly as given.
    ///
    /// An upsert that may also move an offset backwards: the worker is the authority (for
    /// instance after an operator reset), and because this runs in the batch's transaction
    /// the stored offset always matches the facts stored with it. Pass the offset *after* the
    /// last message handled (Kafka's convention), not the last message's own offset.
    public func saveOffsets(group: String, topic: String, _ offsets: [(partition: Int32, nextOffset: Int64)]) async throws {
        guard !offsets.isEmpty else { return }
        // Last write wins if a partition appears twice.
        var latest: [Int32: Int64] = [:]
        for (partition, offset) in offsets { latest[partition] = offset }
        let partitions = Array(latest.keys)
        let nextOffsets = partitions.map { latest[$0]! }
        try await self.execute(
            """
            INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, updated_at)
            SELECT \(group), \(topic), p, o, now() FROM unnest(\(partitions)::int4[], \(nextOffsets)::int8[]) AS t(p, o)
            ON CONFLICT (group_id, topic, partition)
            DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = EXCLUDED.updated_at
            """,
            "save offsets"
        )
    }
}
