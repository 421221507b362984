import Foundation
import FrontDoorDomain
import PostgresNIO

extension StoreTransaction {
    /// The stored states of every enrolment of `upns`, keyed by UPN, in one query
    /// (pupils without a state are absent).
    ///
    /// A row that no longer decodes (never expected) is left out, so the worker recomputes that
    /// enrolment from its stored marks rather than stopping on it.
    public func enrolmentStates(upns: [UPN]) async throws -> [UPN: [EnrolmentState]] {
        guard !upns.isEmpty else { return [:] }
        let states = try await self.map(
            """
            SELECT packed, state::text AS state FROM enrolment_states WHERE upn = ANY(\(upns.map(\.value))::text[])
            ORDER BY upn, laestab
            """,
            "load enrolment states"
        ) { row -> EnrolmentState? in
            // The binary form (migration 12); rows written before it hold the JSON form.
            if let packed = try row.get("packed", as: ByteBuffer?.self) {
                return try? EnrolmentState(packed: Array(packed.readableBytesView))
            }
            return (try row.get("state", as: String?.self)).flatMap { try? JSONText.decode(EnrolmentState.self, from: $0) }
        }
        return Dictionary(grouping: states.compactMap { $0 }, by: \.enrolment.upn)
    }

    /// Stores (replaces) enrolment states in one statement; of two states of one enrolment the
    /// later in `states` wins.
    public func saveEnrolmentStates(_ states: [EnrolmentState]) async throws {
        guard !states.isEmpty else { return }
        let packed = states.map { ByteBuffer(bytes: $0.packed()) }
        try await self.execute(
            """
            INSERT INTO enrolment_states AS s (upn, laestab, first_year, horizon, latest, packed, state, updated_at)
            SELECT DISTINCT ON (u, l) u, l, y, NULLIF(h, '')::date, NULLIF(t, '')::date, j, NULL::jsonb, now() FROM unnest(
                \(states.map(\.enrolment.upn.value))::text[], \(states.map(\.enrolment.laestab.value))::text[],
                \(states.map(\.firstYear.description))::text[], \(states.map { $0.horizon?.description ?? "" })::text[],
                \(states.map { $0.latest?.description ?? "" })::text[], \(packed)::bytea[]
            ) WITH ORDINALITY AS x(u, l, y, h, t, j, n)
            ORDER BY u, l, n DESC
            ON CONFLICT (upn, laestab) DO UPDATE SET
                first_year = EXCLUDED.first_year, horizon = EXCLUDED.horizon, latest = EXCLUDED.latest,
                packed = EXCLUDED.packed, state = NULL, updated_at = EXCLUDED.updated_at
            """,
            "save enrolment states"
        )
    }
}
