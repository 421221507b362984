import Foundation
import Logging
import PostgresNIO

/// A synthetic county-sized academic year generated inside PostgreSQL with set-based SQL, for
/// `frontdoor bench report`: schools, pupils, one mark per pupil per session on each given day
/// (about 0.6% of sessions first recorded `N` and amended to `I` three days later), suspensions and
/// permanent exclusions (some rescinded), CME referrals and enforcement reviews.
///
/// - Important: For a scratch database only. To load tens of millions of marks in reasonable
///   time it makes the partitions of `mark_log` UNLOGGED and builds its index after the load (the
///   same definition, read back from `pg_indexes`). Neither changes what the report reads or how.
public struct ReportBenchmarkData: Sendable {
    public var pupils: Int
    public var schools: Int
    /// The school days to record marks on (ascending).
    public var days: [StoreDate]
    /// `2026/27`, for exclusions.
    public var academicYear: String

    public init(pupils: Int, schools: Int, days: [StoreDate], academicYear: String) {
        self.pupils = pupils
        self.schools = schools
        self.days = days
        self.academicYear = academicYear
    }

    /// The twelve districts the synthetic schools are spread across.
    public static let districts = [
        "Ashford", "Canterbury", "Dartford", "Dover", "Folkestone and Hythe", "Gravesham", "Maidstone", "Sevenoaks", "Swale",
        "Thanet", "Tonbridge and Malling", "Tunbridge Wells",
    ]

    /// Loads everything into a migrated, empty database; `progress` receives one line per step
    /// with its duration. Returns the number of `mark_log` rows.
    @discardableResult
    public func load(into database: FrontDoorDatabase, progress: @Sendable (String) -> Void) async throws -> Int {
        let client = database.client
        let logger = database.driverLogger
        let clock = ContinuousClock()
        func run(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) async throws {
            var q = PostgresQuery(unsafeSQL: sql)
            q.binds = binds
            do {
                _ = try await client.query(q, logger: logger).collect()
            } catch {
                throw StoreError.wrap(error, reason: "benchmark data")
            }
        }
        func step(_ name: String, _ body: () async throws -> Void) async throws {
            let start = clock.now
            try await body()
            progress("\(name): \(Self.seconds(start.duration(to: clock.now))) s")
        }

        // Indexes are built after the load: capture the definitions, drop them.
        var q = PostgresQuery(
            unsafeSQL: """
                SELECT indexname, indexdef FROM pg_indexes
                WHERE schemaname = current_schema() AND tablename = 'mark_log'
                ORDER BY indexname
                """)
        q.binds = PostgresBindings()
        var indexes: [(String, String)] = []
        for try await (name, def) in try await client.query(q, logger: logger).decode((String, String).self) {
            indexes.append((name, def))
        }
        var p = PostgresQuery(
            unsafeSQL: "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'mark_log'::regclass")
        p.binds = PostgresBindings()
        var partitions: [String] = []
        for try await name in try await client.query(p, logger: logger).decode(String.self) { partitions.append(name) }
        try await step("prepare mark_log (unlogged partitions, index dropped)") {
            for partition in partitions { try await run("ALTER TABLE \(partition) SET UNLOGGED") }
            for (name, _) in indexes { try await run("DROP INDEX \(name)") }
        }

        try await step("schools (\(schools))") {
            var b = PostgresBindings()
            b.append(schools)
            b.append(Self.districts)
            // About Kent's mix: three in four primary, one in six secondary, the rest special, PRU, all-through.
            try await run(
                """
                INSERT INTO schools (laestab, name, phase, district)
                SELECT (8868000 + i)::text, 'Benchmark school ' || i,
                    CASE WHEN i % 100 < 75 THEN 'primary' WHEN i % 100 < 92 THEN 'secondary'
                         WHEN i % 100 < 96 THEN 'special' WHEN i % 100 < 98 THEN 'pru' ELSE 'all-through' END,
                    ($2::text[])[1 + i % array_length($2::text[], 1)]
                FROM generate_series(0, $1 - 1) AS i
                ON CONFLICT (laestab) DO NOTHING
                """, b)
            var c = PostgresBindings()
            c.append(schools)
            try await run(
                """
                INSERT INTO mark_sources (source) SELECT 'urn:laestab:' || (8868000 + i) FROM generate_series(0, $1 - 1) AS i
                ON CONFLICT (source) DO NOTHING
                """, c)
        }

        try await step("pupils (\(pupils))") {
            var b = PostgresBindings()
            b.append(pupils)
            try await run(
                """
                INSERT INTO pupils (upn, fsm, sen, cla, year_group, characteristics_time)
                SELECT 'B' || lpad(p::text, 12, '0'),
                    (2147483647 & hashint8(p::int8 * 11)) % 100 < 24,
                    CASE WHEN (2147483647 & hashint8(p::int8 * 13)) % 100 < 4 THEN 'E' WHEN (2147483647 & hashint8(p::int8 * 13)) % 100 < 17 THEN 'K' ELSE 'N' END,
                    (2147483647 & hashint8(p::int8 * 17)) % 1000 < 8, 1 + p % 11, now()
                FROM generate_series(1, $1) AS p
                """, b)
        }

        // One statement per day, so the table is in date order as production's would be. Each
        // pupil attends school (p mod schools); a pupil's pattern (1% severe, 10% persistent)
        // and each session's code come from hashes, so the data are the same on every run.
        let start = clock.now
        for (index, day) in days.enumerated() {
            var b = PostgresBindings()
            b.append(day)
            b.append(index)
            b.append(pupils)
            b.append(schools)
            try await run(
                """
                WITH g AS (
                    SELECT p, s.session, s.k,
                        (2147483647 & hashint8(p::int8 * 1000003 + $2 * 2 + s.k)) % 10000 AS h,
                        (2147483647 & hashint8(p::int8 * 7 + $2 * 31 + s.k * 3)) % 100 AS h2,
                        CASE WHEN (2147483647 & hashint8(p::int8)) % 1000 < 10 THEN 6000
                             WHEN (2147483647 & hashint8(p::int8)) % 1000 < 110 THEN 1600 ELSE 400 END AS absence
                    FROM generate_series(1, $3) AS p, (VALUES ('AM', 0), ('PM', 1)) AS s(session, k)
                ),
                coded AS (
                    SELECT p, session, k,
                        CASE WHEN h < absence THEN
                                CASE WHEN h2 < 55 THEN 'I' WHEN h2 < 65 THEN 'M' WHEN h2 < 75 THEN 'N' WHEN h2 < 83 THEN 'O'
                                     WHEN h2 < 90 THEN 'G' WHEN h2 < 94 THEN 'C' WHEN h2 < 97 THEN 'E' ELSE 'R' END
                             WHEN h2 < 3 AND k = 0 THEN 'L'
                             WHEN h2 = 99 THEN 'V'
                             WHEN h2 = 98 AND h % 50 = 0 THEN '#'
                             WHEN k = 0 THEN '/' ELSE '\\' END AS code
                    FROM g
                ),
                marks AS (
                    SELECT p, session, k, code,
                        CASE WHEN code IN ('/', '\\', 'L') THEN 'present' WHEN code = 'V' THEN 'attending'
                             WHEN code IN ('G', 'N', 'O') THEN 'unauthorised' WHEN code = '#' THEN 'not-counted'
                             ELSE 'authorised' END AS category,
                        $1::date + CASE WHEN k = 0 THEN time '09:05' ELSE time '13:35' END AS at,
                        8868000 + p % $4 AS laestab,
                        -- frontdoor_upn_key('B' || lpad(p::text, 12, '0')), without the regular expression.
                        ((p::int8 / 10) * 36 + p % 10) * 26 + 1 AS upn
                    FROM coded
                ),
                sourced AS (
                    SELECT marks.*, s.source_id FROM marks JOIN mark_sources s ON s.source = 'urn:laestab:' || marks.laestab
                )
                INSERT INTO mark_log
                    (upn, laestab, mark_date, event_time, source_id, event_uuid, session, category, minutes_late, code, event_text)
                SELECT upn, laestab, $1::date, at, source_id, NULL::uuid, left(session, 1)::"char",
                    frontdoor_mark_category_key(category), CASE WHEN code = 'L' THEN 10 END::int2, code,
                    'm-' || $2 || '-' || p || '-' || session
                FROM sourced
                UNION ALL
                SELECT upn, laestab, $1::date, at + interval '3 days', source_id, NULL::uuid, left(session, 1)::"char", 'A', NULL, 'I',
                    'a-' || $2 || '-' || p || '-' || session
                FROM sourced WHERE code = 'N'
                """, b)
            if index % 10 == 9 || index == days.count - 1 {
                progress("marks: \(index + 1) of \(days.count) days, \(Self.seconds(start.duration(to: clock.now))) s")
            }
        }

        try await step("\(indexes.count) index on mark_log") {
            try await run("SET maintenance_work_mem = '1GB'")
            // pg_indexes says `ON ONLY mark_log` for a partitioned index: build it on every partition.
            for (_, def) in indexes { try await run(def.replacingOccurrences(of: " ON ONLY ", with: " ON ")) }
        }

        try await step("exclusions, referrals, reviews") {
            var b = PostgresBindings()
            b.append(pupils)
            b.append(schools)
            b.append(days)
            b.append(academicYear)
            // About 4 suspensions and 0.03 permanent exclusions per 100 pupils; 5% rescinded.
            try await run(
                """
                INSERT INTO exclusions (laestab, exclusion_id, upn, category, start_date, sessions, reason, academic_year,
                    event_time, source, event_id, rescinded, pupil_fsm, pupil_sen, pupil_cla)
                SELECT (8868000 + p % $2)::text, 'X' || p, 'B' || lpad(p::text, 12, '0'),
                    CASE WHEN h < 3 THEN 'permanent' ELSE 'suspension' END,
                    ($3::date[])[1 + p % array_length($3::date[], 1)],
                    CASE WHEN h < 3 THEN NULL ELSE 1 + p % 10 END, 'PP', $4,
                    ($3::date[])[1 + p % array_length($3::date[], 1)] + time '15:30', 'urn:bench', 'x-' || p,
                    (2147483647 & hashint8(p::int8 * 41)) % 100 < 5,
                    CASE WHEN p % 2 = 0 THEN (2147483647 & hashint8(p::int8 * 11)) % 100 < 24 END, NULL, NULL
                FROM (SELECT p, (2147483647 & hashint8(p::int8 * 37)) % 10000 AS h FROM generate_series(1, $1) AS p) AS x
                WHERE h < 400
                """, b)
            // About 0.4 CME referrals per 100 pupils (Kent: 892 a year), most resolved within days.
            try await run(
                """
                INSERT INTO cases (case_id, kind, reason, upn, child_key, laestab, district, unit_id, priority, status, opened_on)
                SELECT 'cme-' || p, 'cme', 'cme', 'B' || lpad(p::text, 12, '0'), 'k' || p, (8868000 + p % $2)::text,
                    'bench', 'bench', 'high', 'open', ($3::date[])[1 + p % array_length($3::date[], 1)]
                FROM generate_series(1, $1) AS p WHERE (2147483647 & hashint8(p::int8 * 43)) % 10000 < 39
                """, b)
            try await run(
                """
                INSERT INTO referrals (referral_id, case_id, reason, upn, laestab, referrer_kind, referrer_org, child, child_key,
                    safeguarding, received_time, received_on, resolved_on, outcome, source, event_id)
                SELECT 'R' || substr(case_id, 5), case_id, 'cme', upn, laestab, 'school', 'bench', '{}'::jsonb, child_key, false,
                    opened_on + time '11:00', opened_on,
                    CASE WHEN (2147483647 & hashtext(case_id || 'r')) % 100 < 92 THEN opened_on + (1 + (2147483647 & hashtext(case_id)) % 18) END,
                    CASE WHEN (2147483647 & hashtext(case_id || 'o')) % 100 < 6 THEN 'not-found' ELSE 'returned-to-school' END,
                    'urn:bench', 'r-' || case_id
                FROM cases WHERE kind = 'cme'
                """)
            try await run(
                """
                INSERT INTO cases (case_id, kind, reason, upn, laestab, district, unit_id, priority, status, opened_on)
                SELECT 'rev-' || p, 'enforcement-review', 'attendance-at-or-below-90', 'B' || lpad(p::text, 12, '0'),
                    (8868000 + p % $2)::text, 'bench', 'enforcement', 'normal', 'open',
                    ($3::date[])[1 + p % array_length($3::date[], 1)]
                FROM generate_series(1, $1) AS p
                WHERE (2147483647 & hashint8(p::int8)) % 1000 BETWEEN 10 AND 109 AND (2147483647 & hashint8(p::int8 * 47)) % 100 < 30
                """, b)
            try await run(
                """
                INSERT INTO enforcement_reviews (case_id, upn, laestab, ruleset, basis, attendance_pct, unauthorised_sessions,
                    window_start, window_end, prior_notices, recommended_action, amount_pence, created_at)
                SELECT case_id, upn, laestab, 'kent-2016', reason, 85.5, 3, opened_on, opened_on, 0, 'penalty-notice', 16000,
                    opened_on + time '10:00'
                FROM cases WHERE kind = 'enforcement-review'
                """)
        }

        try await step("VACUUM ANALYZE") {
            for table in ["mark_log", "schools", "pupils", "exclusions", "cases", "referrals", "enforcement_reviews"] {
                try await run("VACUUM ANALYZE \(table)")
            }
        }
        var count = PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM mark_log")
        count.binds = PostgresBindings()
        for try await n in try await client.query(count, logger: logger).decode(Int.self) { return n }
        return 0
    }

    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        return String(format: "%.1f", Double(s) + Double(atto) / 1e18)
    }
}

extension FrontDoorDatabase {
    /// Runs one statement outside any transaction (`CREATE DATABASE`, `DROP DATABASE`), for the
    /// report benchmark's scratch database. The SQL is trusted (built by the program).
    public func executeOutsideTransaction(_ sql: String) async throws {
        var query = PostgresQuery(unsafeSQL: sql)
        query.binds = PostgresBindings()
        do {
            _ = try await self.client.query(query, logger: self.driverLogger).collect()
        } catch {
            throw StoreError.wrap(error, reason: "administrative statement")
        }
    }
}

extension StoreTransaction {
    /// Rows and on-disk sizes of what the report reads, for the benchmark's output.
    public func reportBenchSizes() async throws -> [(String, String)] {
        try await self.map(
            """
            WITH parts AS (SELECT inhrelid AS oid FROM pg_inherits WHERE inhparent = 'mark_log'::regclass)
            SELECT 'mark_log rows' AS what, to_char(sum(c.reltuples)::int8, 'FM999,999,999,999') AS size
                FROM pg_class c JOIN parts USING (oid) WHERE c.reltuples > 0
            UNION ALL SELECT 'table', pg_size_pretty(sum(pg_table_size(oid))) FROM parts
            UNION ALL SELECT 'indexes', pg_size_pretty(sum(pg_indexes_size(oid))) FROM parts
            """,
            "benchmark sizes"
        ) { row in (try row.get("what", as: String.self), try row.get("size", as: String.self)) }
    }
}
