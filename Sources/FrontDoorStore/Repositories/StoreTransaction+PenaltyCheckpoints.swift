import Foundation
import FrontDoorDomain
import PostgresNIO

extension StoreTransaction {
    /// The stored penalty checkpoints of `upns` (migration 14), keyed by UPN, in one query.
    ///
    /// A row that no longer decodes (never expected) is left out: that pupil is judged in full
    /// from the look-back, and the row is replaced after.
    public func penaltyCheckpoints(upns: [UPN]) async throws -> [UPN: PenaltyCheckpoint] {
        guard !upns.isEmpty else { return [:] }
        let rows = try await self.map(
            "SELECT upn, checkpoint::text AS checkpoint FROM penalty_checkpoints WHERE upn = ANY(\(upns.map(\.value))::text[])",
            "load penalty checkpoints"
        ) { row -> (UPN, PenaltyCheckpoint)? in
            guard let upn = try? UPN(validating: try row.get("upn", as: String.self)),
                let checkpoint = try? JSONText.decode(PenaltyCheckpoint.self, from: try row.get("checkpoint", as: String.self))
            else { return nil }
            return (upn, checkpoint)
        }
        return Dictionary(rows.compactMap { $0 }, uniquingKeysWith: { a, _ in a })
    }

    /// Stores the pupils' new checkpoints and deletes those of the pupils mapped to nil (the
    /// rules found a trigger, or could not settle a date), in at most two statements.
    public func savePenaltyCheckpoints(_ changes: [UPN: PenaltyCheckpoint?]) async throws {
        let kept = changes.compactMap { upn, c in c.map { (upn, $0) } }.sorted { $0.0 < $1.0 }
        let dropped = changes.filter { $0.value == nil }.map(\.key.value).sorted()
        if !dropped.isEmpty {
            try await self.execute(
                "DELETE FROM penalty_checkpoints WHERE upn = ANY(\(dropped)::text[])", "delete penalty checkpoints")
        }
        guard !kept.isEmpty else { return }
        let json = kept.map(\.1.jsonText)
        try await self.execute(
            """
            INSERT INTO penalty_checkpoints AS c (upn, through, checkpoint, updated_at)
            SELECT u, t, j::jsonb, now() FROM unnest(
                \(kept.map(\.0.value))::text[], \(kept.map { StoreDate(daysSince1970: $0.1.through.daysSinceEpoch) })::date[], \(json)::text[]
            ) AS x(u, t, j)
            ON CONFLICT (upn) DO UPDATE SET
                through = EXCLUDED.through, checkpoint = EXCLUDED.checkpoint, updated_at = EXCLUDED.updated_at
            """,
            "save penalty checkpoints"
        )
    }
}
