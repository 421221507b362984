import PostgresNIO

extension StoreTransaction {
    /// Inserts or updates the configured schools (schools no longer configured are kept: facts
    /// refer to them). Returns how many rows were inserted or changed.
    @discardableResult
    public func upsertSchools(_ schools: [SchoolRecord]) async throws -> Int {
        guard !schools.isEmpty else { return 0 }
        return try await self.count(
            """
            INSERT INTO schools AS s (laestab, name, phase, district, updated_at)
            SELECT DISTINCT ON (l) l, n, p, d, now() FROM unnest(
                \(schools.map(\.laestab))::text[], \(schools.map(\.name))::text[], \(schools.map(\.phase))::text[],
                \(schools.map(\.district))::text[]
            ) WITH ORDINALITY AS x(l, n, p, d, o)
            ORDER BY l, o DESC
            ON CONFLICT (laestab) DO UPDATE SET
                name = EXCLUDED.name, phase = EXCLUDED.phase, district = EXCLUDED.district, updated_at = EXCLUDED.updated_at
            WHERE (s.name, s.phase, s.district) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.phase, EXCLUDED.district)
            RETURNING 1
            """,
            "upsert schools"
        )
    }

    /// Every stored school, by LAESTAB.
    public func schools() async throws -> [SchoolRecord] {
        try await self.map(
            "SELECT laestab, name, phase, district FROM schools ORDER BY laestab",
            "load schools",
            SchoolRecord.init(row:)
        )
    }

    /// One school, or `nil` (an unknown school's district is `unassigned`).
    public func school(laestab: String) async throws -> SchoolRecord? {
        try await self.map(
            "SELECT laestab, name, phase, district FROM schools WHERE laestab = \(laestab)",
            "load school",
            SchoolRecord.init(row:)
        ).first
    }
}

extension SchoolRecord {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            laestab: try row.get("laestab"),
            name: try row.get("name"),
            phase: try row.get("phase"),
            district: try row.get("district")
        )
    }
}
