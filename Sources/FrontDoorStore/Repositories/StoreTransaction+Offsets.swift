import PostgresNIO

extension StoreTransaction {
    /// The next offsets to consume, per partition, stored for a consumer group and topic.
    ///
    /// Partitions never saved are absent: start those from the beginning of the partition.
    public func loadOffsets(group: String, topic: String) async throws -> [Int32: Int64] {
        let pairs = try await self.map(
            "SELECT partition, next_offset FROM consumer_offsets WHERE group_id = \(group) AND topic = \(topic)",
            "load offsets"
        ) { row in (try row.get("partition", as: Int32.self), try row.get("next_offset", as: Int64.self)) }
        return Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    /// Moves the next offset to consume of each partition from the offset the caller read to a
    /// new one: a compare-and-set, so that only the partition's current owner can move it.
    ///
    /// `expected` holds, per partition, the offset the caller last read or committed; a partition
    /// absent from it must have no stored offset yet. When any partition's stored offset is not
    /// the expected one (another worker committed further since, or the database lost commits),
    /// nothing is written and ``StoredOffsetsMoved`` is thrown: roll the transaction back, drop
    /// the batch and read the offsets again. The offset may move backwards when the caller
    /// expects it to (an operator reset read before), never behind an owner's back. Pass the
    /// offset *after* the last message handled (Kafka's convention), not the last message's own.
    public func saveOffsets(
        group: String, topic: String, _ offsets: [(partition: Int32, nextOffset: Int64)], expecting expected: [Int32: Int64]
    ) async throws {
        guard !offsets.isEmpty else { return }
        // Last write wins if a partition appears twice.
        var latest: [Int32: Int64] = [:]
        for (partition, offset) in offsets { latest[partition] = offset }
        let partitions = latest.keys.sorted()
        let nextOffsets = partitions.map { latest[$0] ?? 0 }
        // -1 (never a stored offset: the column is checked >= 0) stands for "no row yet".
        let expectedOffsets = partitions.map { expected[$0] ?? -1 }
        // One statement: when every partition holds the expected offset (or, expected to have
        // none, has none), update and insert them all; otherwise write nothing. A concurrent
        // writer that commits first makes the update or insert skip its row, reported alike.
        let moved = try await self.map(
            """
            WITH wanted AS (
                SELECT * FROM unnest(\(partitions)::int4[], \(nextOffsets)::int8[], \(expectedOffsets)::int8[]) AS t(p, o, e)
            ), mismatched AS (
                SELECT w.p FROM wanted w
                LEFT JOIN consumer_offsets c ON c.group_id = \(group) AND c.topic = \(topic) AND c.partition = w.p
                WHERE c.next_offset IS DISTINCT FROM (CASE WHEN w.e = -1 THEN NULL ELSE w.e END)
            ), updated AS (
                UPDATE consumer_offsets c SET next_offset = w.o, updated_at = now() FROM wanted w
                WHERE c.group_id = \(group) AND c.topic = \(topic) AND c.partition = w.p AND c.next_offset = w.e
                    AND NOT EXISTS (SELECT 1 FROM mismatched)
                RETURNING c.partition
            ), inserted AS (
                INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, updated_at)
                SELECT \(group), \(topic), w.p, w.o, now() FROM wanted w
                WHERE w.e = -1 AND NOT EXISTS (SELECT 1 FROM mismatched)
                ON CONFLICT (group_id, topic, partition) DO NOTHING
                RETURNING partition
            )
            SELECT p FROM mismatched
            UNION
            SELECT p FROM wanted
            WHERE NOT EXISTS (SELECT 1 FROM mismatched)
                AND p NOT IN (SELECT partition FROM updated UNION ALL SELECT partition FROM inserted)
            """,
            "save offsets"
        ) { row in try row.get("p", as: Int32.self) }
        if !moved.isEmpty {
            throw StoredOffsetsMoved(topic: topic, partitions: moved.sorted())
        }
    }
}

/// Thrown by ``StoreTransaction/saveOffsets(group:topic:_:expecting:)`` when a partition's stored
/// offset is not the one the caller expected: another consumer owns the partition now (or did
/// meanwhile), or the database lost commits. Nothing was written; the transaction must not
/// commit. Not a ``StoreError``: retrying the same batch can never succeed.
public struct StoredOffsetsMoved: Error, Sendable, CustomStringConvertible {
    /// The topic whose partitions moved.
    public let topic: String
    /// The partitions whose stored offset was not the expected one.
    public let partitions: [Int32]

    public init(topic: String, partitions: [Int32]) {
        self.topic = topic
        self.partitions = partitions
    }

    public var description: String {
        "StoredOffsetsMoved: \(self.topic) partitions \(self.partitions.map(String.init).joined(separator: ","))"
    }
}
