import Foundation
import Logging
import PostgresNIO

/// The database side of `frontdoor bench attendance`: a year's history generated set-based in
/// SQL, the `COPY` ceiling, a batched consumer without rules (the baseline), and the
/// bytes each stored mark takes.
///
/// - Important: For scratch databases only.
public enum AttendanceBenchData {
    /// A history of marks for `pupils` (upper-case UPNs, each at `schools[i % schools.count]`)
    /// on `days`, both sessions, with the rule state those marks imply, written set-based in SQL
    /// (one statement per day, so the table is in date order as production's would be).
    ///
    /// About 4% of sessions are absences (`I`, `M`, `O`, `G`), the rest `/` and `\`. The rule
    /// state (each enrolment's `enrolment_states` row and the pupils' `pupil_year_attendance`)
    /// is written by ``loadRuleState(into:ruleState:progress:)`` through the caller's
    /// ``RuleState``: the worker's own recompute, in process, not through Kafka.
    public struct History: Sendable {
        public var pupils: [String]
        public var schools: [String]
        public var days: [StoreDate]
        /// `2026/27`: the totals' academic year.
        public var academicYear: String

        public init(pupils: [String], schools: [String], days: [StoreDate], academicYear: String) {
            self.pupils = pupils
            self.schools = schools
            self.days = days
            self.academicYear = academicYear
        }

        /// Stores the rule state of some of the history's pupils (upper-case UPNs) in the
        /// transaction given; returns the number of enrolment states stored.
        public typealias RuleState = @Sendable (_ upns: [String], _ tx: StoreTransaction) async throws -> Int

        /// Loads the marks (with the mark log's index dropped and built again afterwards, as a
        /// bulk load would), then the rule state. Returns the number of marks.
        @discardableResult
        public func load(
            into database: FrontDoorDatabase, ruleState: @escaping RuleState, progress: @escaping @Sendable (String) -> Void
        ) async throws -> Int {
            var indexes: [(String, String)] = []
            let query = PostgresQuery(
                unsafeSQL: "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'mark_log'")
            for try await row in try await database.client.query(query, logger: database.driverLogger).decode((String, String).self) {
                indexes.append(row)
            }
            for (name, _) in indexes { try await run(database, "DROP INDEX \(name)") }
            let marks = try await self.loadMarks(into: database, progress: progress)
            let clock = ContinuousClock()
            let start = clock.now
            try await database.withTransaction { tx in
                try await tx.execute("SET LOCAL maintenance_work_mem = '1GB'", "bench index memory")
                // pg_indexes says `ON ONLY mark_log` for a partitioned index: build it on every partition.
                for (_, definition) in indexes {
                    let everywhere = definition.replacingOccurrences(of: " ON ONLY ", with: " ON ")
                    try await tx.execute(PostgresQuery(unsafeSQL: everywhere), "bench index")
                }
            }
            progress("history: index built again in \(Self.seconds(start.duration(to: clock.now))) s")
            try await self.loadRuleState(into: database, ruleState: ruleState, progress: progress)
            try await run(database, "VACUUM ANALYZE mark_log")
            try await run(database, "VACUUM ANALYZE pupil_year_attendance")
            try await run(database, "VACUUM ANALYZE enrolment_states")
            return marks
        }

        /// The marks: one per pupil, day and session, ids `h-<day>-<pupil>-<session>`.
        public func loadMarks(into database: FrontDoorDatabase, progress: @Sendable (String) -> Void) async throws -> Int {
            let keys = pupils.map { UPNKey.key($0) ?? 0 }
            let laestabs = pupils.indices.map { Int32(schools[$0 % schools.count]) ?? 0 }
            var b = PostgresBindings()
            b.append(schools.map { "urn:laestab:\($0)" })
            try await run(
                database,
                "INSERT INTO mark_sources (source) SELECT DISTINCT unnest($1::text[]) ORDER BY 1 ON CONFLICT (source) DO NOTHING", b)
            let clock = ContinuousClock()
            let start = clock.now
            var total = 0
            for (index, day) in days.enumerated() {
                var d = PostgresBindings()
                d.append(day)
                d.append(index)
                d.append(keys)
                d.append(laestabs)
                total += try await scalar(
                    database,
                    """
                    WITH p AS (
                        SELECT i, u, l FROM unnest($3::int8[], $4::int4[]) WITH ORDINALITY AS x(u, l, i)
                    ),
                    g AS (
                        SELECT p.i, p.u, p.l, s.session, s.at,
                            (2147483647 & hashint8(p.i * 1000003 + $2 * 2 + s.k)) % 100 AS h
                        FROM p, (VALUES ('A', 0, time '09:05'), ('P', 1, time '13:35')) AS s(session, k, at)
                    ),
                    ins AS (
                    INSERT INTO mark_log
                        (upn, laestab, mark_date, event_time, source_id, event_uuid, session, category, minutes_late, code, event_text)
                    SELECT g.u, g.l, $1::date, $1::date + g.at, src.source_id, NULL, g.session::"char",
                        CASE WHEN g.h < 2 THEN 'A' WHEN g.h < 4 THEN 'u' ELSE 'p' END::"char", NULL,
                        CASE WHEN g.h = 0 THEN 'I' WHEN g.h = 1 THEN 'M' WHEN g.h = 2 THEN 'O' WHEN g.h = 3 THEN 'G'
                             WHEN g.session = 'A' THEN '/' ELSE '\\' END,
                        'h-' || $2 || '-' || g.i || '-' || g.session
                    FROM g JOIN mark_sources src ON src.source = 'urn:laestab:' || lpad(g.l::text, 7, '0')
                    RETURNING 1
                    )
                    SELECT count(*)::int8 FROM ins
                    """, d)
                if index % 10 == 9 || index == days.count - 1 {
                    progress("history: \(index + 1) of \(days.count) days, \(total) marks, \(Self.seconds(start.duration(to: clock.now))) s")
                }
            }
            return total
        }

        /// The rule state the history implies: `ruleState` for `chunk` pupils at a time, each
        /// chunk in its own transaction, `concurrency` chunks at once (the fold is CPU-bound in
        /// this process, reading the marks is the database's).
        public func loadRuleState(
            into database: FrontDoorDatabase, chunk: Int = 500, concurrency: Int = 2, ruleState: @escaping RuleState,
            progress: @escaping @Sendable (String) -> Void
        ) async throws {
            let chunks = stride(from: 0, to: pupils.count, by: max(1, chunk)).map { Array(pupils[$0..<min($0 + chunk, pupils.count)]) }
            let clock = ContinuousClock()
            let start = clock.now
            var done = 0
            var states = 0
            try await withThrowingTaskGroup(of: Int.self) { group in
                var next = 0
                func add() {
                    let upns = chunks[next]
                    next += 1
                    group.addTask { try await database.withTransaction { tx in try await ruleState(upns, tx) } }
                }
                while next < min(max(1, concurrency), chunks.count) { add() }
                while let n = try await group.next() {
                    done += 1
                    states += n
                    if done % 20 == 0 || done == chunks.count {
                        let seconds = Self.seconds(start.duration(to: clock.now))
                        progress("rule state: \(done) of \(chunks.count) chunks, \(states) enrolment states, \(seconds) s")
                    }
                    if next < chunks.count { add() }
                }
            }
        }

        static func seconds(_ d: Duration) -> String {
            let (s, atto) = d.components
            return String(format: "%.1f", Double(s) + Double(atto) / 1e18)
        }
    }

    /// Copies `marks` into `mark_log` with one `COPY … FROM STDIN` (text format) in its own
    /// transaction: the ceiling for writing these rows. Returns the seconds it took.
    ///
    /// The rows get fresh ids (`c-<n>`), so they never collide with the same marks stored before.
    public static func copyCeiling(_ marks: [MarkRecord], into database: FrontDoorDatabase) async throws -> Double {
        var sources = Set(marks.map(\.source))
        var b = PostgresBindings()
        b.append(Array(sources))
        try await run(database, "INSERT INTO mark_sources (source) SELECT unnest($1::text[]) ON CONFLICT (source) DO NOTHING", b)
        var ids: [String: Int32] = [:]
        let rows = try await database.client.query(
            PostgresQuery(unsafeSQL: "SELECT source, source_id FROM mark_sources"), logger: database.driverLogger)
        for try await (source, id) in rows.decode((String, Int32).self) { ids[source] = id }
        sources.removeAll()
        var lines = ByteBuffer()
        lines.reserveCapacity(marks.count * 80)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for (n, m) in marks.enumerated() {
            guard let upn = UPNKey.key(m.upn), let source = ids[m.source], let session = MarkLogCodes.session(m.session),
                let category = MarkLogCodes.category(m.category)
            else { continue }
            let code = m.code == "\\" ? "\\\\" : m.code
            let late = m.minutesLate.map(String.init) ?? "\\N"
            lines.writeString(
                "\(upn)\t\(m.laestab)\t\(m.date)\t\(formatter.string(from: m.eventTime))\t\(source)\t\\N\t\(session)\t\(category)\t\(late)\t\(code)\tc-\(n)\n"
            )
        }
        let clock = ContinuousClock()
        let start = clock.now
        try await database.client.withConnection { connection in
            _ = try await connection.query("BEGIN", logger: database.driverLogger)
            try await connection.copyFrom(
                table: "mark_log",
                columns: [
                    "upn", "laestab", "mark_date", "event_time", "source_id", "event_uuid", "session", "category", "minutes_late",
                    "code", "event_text",
                ],
                logger: database.driverLogger
            ) { writer in
                try await writer.write(lines)
            }
            _ = try await connection.query("COMMIT", logger: database.driverLogger)
        }
        return Self.seconds(start.duration(to: clock.now))
    }

    /// The baseline for one batch: the marks `COPY`ed into a staging table, then stored
    /// with one set-based `INSERT`, the pupils' year totals upserted by what the batch added, and
    /// the batch's next offsets, all in one transaction. No rules, and no de-duplication: the
    /// mark log has no unique index to skip a mark on (migration 13), and the benchmark sends
    /// each mark once.
    public static func baselineBatch(
        _ marks: [MarkRecord], academicYear: String, group: String, topic: String, offsets: [(partition: Int32, next: Int64)],
        into database: FrontDoorDatabase
    ) async throws {
        var lines = ByteBuffer()
        lines.reserveCapacity(marks.count * 120)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for m in marks {
            let code = m.code == "\\" ? "\\\\" : m.code
            let late = m.minutesLate.map(String.init) ?? "\\N"
            lines.writeString(
                "\(m.source)\t\(m.eventId)\t\(m.upn)\t\(m.laestab)\t\(m.date)\t\(m.session)\t\(code)\t\(m.category)\t\(late)\t\(formatter.string(from: m.eventTime))\n"
            )
        }
        let logger = database.driverLogger
        try await database.client.withConnection { c in
            _ = try await c.query("BEGIN", logger: logger)
            _ = try await c.query(
                """
                CREATE TEMP TABLE IF NOT EXISTS bench_staging (source text, event_id text, upn text, laestab text, mark_date date,
                    session text, code text, category text, minutes_late int4, event_time timestamptz) ON COMMIT DELETE ROWS
                """, logger: logger)
            try await c.copyFrom(table: "bench_staging", logger: logger) { writer in try await writer.write(lines) }
            _ = try await c.query(
                """
                INSERT INTO mark_sources (source) SELECT DISTINCT source FROM bench_staging ORDER BY 1 ON CONFLICT (source) DO NOTHING
                """, logger: logger)
            _ = try await c.query(
                """
                WITH new AS (
                    INSERT INTO mark_log
                        (upn, laestab, mark_date, event_time, source_id, event_uuid, session, category, minutes_late, code, event_text)
                    SELECT frontdoor_upn_key(b.upn), b.laestab::int4, b.mark_date, b.event_time, s.source_id,
                        CASE WHEN b.event_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN b.event_id::uuid END,
                        left(b.session, 1)::"char", frontdoor_mark_category_key(b.category), b.minutes_late::int2, b.code,
                        CASE WHEN b.event_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN b.event_id END
                    FROM bench_staging b JOIN mark_sources s ON s.source = b.source
                    RETURNING upn, category
                )
                INSERT INTO pupil_year_attendance AS a
                    (upn, academic_year, possible, present, attending, authorised, unauthorised, not_counted)
                SELECT frontdoor_upn_text(upn), \(academicYear), count(*) FILTER (WHERE category <> 'n'),
                    count(*) FILTER (WHERE category = 'p'), count(*) FILTER (WHERE category = 'a'),
                    count(*) FILTER (WHERE category = 'A'), count(*) FILTER (WHERE category = 'u'),
                    count(*) FILTER (WHERE category = 'n')
                FROM new GROUP BY upn
                ON CONFLICT (upn, academic_year) DO UPDATE SET
                    possible = a.possible + EXCLUDED.possible, present = a.present + EXCLUDED.present,
                    attending = a.attending + EXCLUDED.attending, authorised = a.authorised + EXCLUDED.authorised,
                    unauthorised = a.unauthorised + EXCLUDED.unauthorised, not_counted = a.not_counted + EXCLUDED.not_counted
                """, logger: logger)
            _ = try await c.query(
                """
                INSERT INTO consumer_offsets AS o (group_id, topic, partition, next_offset)
                SELECT \(group), \(topic), p, n FROM unnest(\(offsets.map(\.partition))::int4[], \(offsets.map(\.next))::int8[]) AS x(p, n)
                ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
                """, logger: logger)
            _ = try await c.query("COMMIT", logger: logger)
        }
    }

    /// Bytes per stored mark: the mark log's table and index (all partitions) per row, and
    /// the claims' (`event_claims` and `event_topics`, tables and indexes, migration 13) per
    /// claim held.
    public static func bytesPerMark(
        _ database: FrontDoorDatabase
    ) async throws -> (
        marks: Int, table: Double, indexes: Double, processedEvents: Double
    ) {
        let query = PostgresQuery(
            unsafeSQL: """
                WITH parts AS (SELECT inhrelid AS oid FROM pg_inherits WHERE inhparent = 'mark_log'::regclass)
                SELECT (SELECT count(*) FROM mark_log)::int8,
                    (SELECT coalesce(sum(pg_table_size(oid)), 0) FROM parts)::int8,
                    (SELECT coalesce(sum(pg_indexes_size(oid)), 0) FROM parts)::int8,
                    (pg_total_relation_size('event_claims') + pg_total_relation_size('event_topics'))::int8,
                    (SELECT count(*) FROM event_claims)::int8
                """)
        let rows = try await database.client.query(query, logger: database.driverLogger)
        for try await (n, table, indexes, processed, claims) in rows.decode((Int, Int, Int, Int, Int).self) {
            let perClaim = claims > 0 ? Double(processed) / Double(claims) : 0
            guard n > 0 else { return (0, 0, 0, perClaim) }
            return (n, Double(table) / Double(n), Double(indexes) / Double(n), perClaim)
        }
        return (0, 0, 0, 0)
    }

    static func run(_ database: FrontDoorDatabase, _ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws {
        _ = try await count(database, sql, binds)
    }

    static func count(_ database: FrontDoorDatabase, _ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws -> Int {
        var q = PostgresQuery(unsafeSQL: sql)
        q.binds = binds
        do {
            return try await database.client.query(q, logger: database.driverLogger).collect().count
        } catch {
            throw StoreError.wrap(error, reason: "benchmark data")
        }
    }

    static func scalar(_ database: FrontDoorDatabase, _ sql: String, _ binds: PostgresBindings) async throws -> Int {
        var q = PostgresQuery(unsafeSQL: sql)
        q.binds = binds
        do {
            for try await n in try await database.client.query(q, logger: database.driverLogger).decode(Int.self) { return n }
            return 0
        } catch {
            throw StoreError.wrap(error, reason: "benchmark data")
        }
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto) / 1e18
    }
}
