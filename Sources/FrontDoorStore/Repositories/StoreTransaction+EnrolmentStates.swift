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
            SELECT state::text AS state FROM enrolment_states WHERE upn = ANY(\(upns.map(\.value))::text[])
            ORDER BY upn, laestab
            """,
            "load enrolment states"
        ) { row in try? JSONText.decode(EnrolmentState.self, from: try row.get("state", as: String.self)) }
        return Dictionary(grouping: states.compactMap { $0 }, by: \.enrolment.upn)
    }

    /// Stores (replaces) enrolment states in one statement; of two states of one enrolment the
    /// later in `states` wins.
    public func saveEnrolmentStates(_ states: [EnrolmentState]) async throws {
        guard !states.isEmpty else { return }
        let json = try states.map { try JSONText.encode($0) }
        try await self.execute(
            """
            INSERT INTO enrolment_states AS s (upn, laestab, first_year, horizon, latest, state, updated_at)
            SELECT DISTINCT ON (u, l) u, l, y, NULLIF(h, '')::date, NULLIF(t, '')::date, j::jsonb, now() FROM unnest(
                \(states.map(\.enrolment.upn.value))::text[], \(states.map(\.enrolment.laestab.value))::text[],
                \(states.map(\.firstYear.description))::text[], \(states.map { $0.horizon?.description ?? "" })::text[],
                \(states.map { $0.latest?.description ?? "" })::text[], \(json)::text[]
            ) WITH ORDINALITY AS x(u, l, y, h, t, j, n)
            ORDER BY u, l, n DESC
            ON CONFLICT (upn, laestab) DO UPDATE SET
                first_year = EXCLUDED.first_year, horizon = EXCLUDED.horizon, latest = EXCLUDED.latest,
                state = EXCLUDED.state, updated_at = EXCLUDED.updated_at
            """,
            "save enrolment states"
        )
    }
}
