import PostgresNIO

extension StoreTransaction {
    /// Records an issued exclusion, keyed by `(laestab, exclusionId)`.
    ///
    /// A second event for the same exclusion replaces its details only when its `eventTime` is
    /// later (amendments resolve by time, as marks do); a rescission is kept either way.
    public func issueExclusion(_ exclusion: ExclusionRecord) async throws -> ExclusionWriteOutcome {
        let e = exclusion
        let rows = try await self.map(
            """
            INSERT INTO exclusions AS x (laestab, exclusion_id, upn, category, start_date, sessions, reason,
                academic_year, event_time, source, event_id, pupil_fsm, pupil_sen, pupil_cla)
            VALUES (\(e.laestab), \(e.exclusionId), \(e.upn), \(e.category), \(e.startDate), \(e.sessions),
                \(e.reason), \(e.academicYear), \(e.eventTime), \(e.source), \(e.eventId), \(e.pupilFsm), \(e.pupilSen),
                \(e.pupilCla))
            ON CONFLICT (laestab, exclusion_id) DO UPDATE SET
                upn = EXCLUDED.upn, category = EXCLUDED.category, start_date = EXCLUDED.start_date,
                sessions = EXCLUDED.sessions, reason = EXCLUDED.reason, academic_year = EXCLUDED.academic_year,
                event_time = EXCLUDED.event_time, source = EXCLUDED.source, event_id = EXCLUDED.event_id,
                pupil_fsm = EXCLUDED.pupil_fsm, pupil_sen = EXCLUDED.pupil_sen, pupil_cla = EXCLUDED.pupil_cla
            WHERE x.event_time < EXCLUDED.event_time
            RETURNING (xmax = 0) AS inserted
            """,
            "issue exclusion"
        ) { row in try row.get("inserted", as: Bool.self) }
        guard let inserted = rows.first else { return .unchanged }
        return inserted ? .inserted : .amended
    }

    /// Marks an exclusion rescinded and returns it, or `nil` if no such exclusion is stored.
    /// Rescinding twice keeps the latest outcome.
    public func rescindExclusion(
        laestab: String, exclusionId: String, outcome: String, effectiveDate: StoreDate
    )
        async throws -> ExclusionRecord?
    {
        try await self.map(
            """
            UPDATE exclusions SET rescinded = true, rescinded_outcome = \(outcome), rescinded_effective = \(effectiveDate)
            WHERE laestab = \(laestab) AND exclusion_id = \(exclusionId)
            RETURNING \(unescaped: Self.exclusionColumns)
            """,
            "rescind exclusion",
            ExclusionRecord.init(row:)
        ).first
    }

    /// One exclusion, or `nil`.
    public func exclusion(laestab: String, exclusionId: String) async throws -> ExclusionRecord? {
        try await self.map(
            """
            SELECT \(unescaped: Self.exclusionColumns) FROM exclusions
            WHERE laestab = \(laestab) AND exclusion_id = \(exclusionId)
            """,
            "load exclusion",
            ExclusionRecord.init(row:)
        ).first
    }

    /// A pupil's exclusions in an academic year, rescinded ones included (filter on
    /// ``ExclusionRecord/rescinded``), ordered by start date.
    public func exclusions(upn: String, academicYear: String) async throws -> [ExclusionRecord] {
        try await self.map(
            """
            SELECT \(unescaped: Self.exclusionColumns) FROM exclusions
            WHERE upn = \(upn) AND academic_year = \(academicYear)
            ORDER BY start_date, laestab, exclusion_id
            """,
            "load pupil exclusions",
            ExclusionRecord.init(row:)
        )
    }

    static let exclusionColumns = """
        laestab, exclusion_id, upn, category, start_date, sessions, reason, academic_year, event_time, source, event_id,
        pupil_fsm, pupil_sen::text AS pupil_sen, pupil_cla, rescinded, rescinded_outcome, rescinded_effective
        """
}

extension ExclusionRecord {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            laestab: try row.get("laestab"),
            exclusionId: try row.get("exclusion_id"),
            upn: try row.get("upn"),
            category: try row.get("category"),
            startDate: try row.get("start_date"),
            sessions: try row.get("sessions", as: Int?.self),
            reason: try row.get("reason"),
            academicYear: try row.get("academic_year"),
            eventTime: try row.get("event_time"),
            source: try row.get("source"),
            eventId: try row.get("event_id"),
            pupilFsm: try row.get("pupil_fsm", as: Bool?.self),
            pupilSen: try row.get("pupil_sen", as: String?.self),
            pupilCla: try row.get("pupil_cla", as: Bool?.self),
            rescinded: try row.get("rescinded"),
            rescindedOutcome: try row.get("rescinded_outcome", as: String?.self),
            rescindedEffective: try row.get("rescinded_effective", as: StoreDate?.self)
        )
    }
}
