import Foundation
import PostgresNIO

extension StoreTransaction {
    /// Stores mark events, every one given. Returns how many rows were stored.
    ///
    /// Two statements: the batch's sources into `mark_sources`, then the marks into `mark_log`
    /// (migration 9) in their compact form. A record whose UPN, session or category the mark log
    /// cannot hold (never produced by the decoder) throws ``StoreError/Code/query``.
    ///
    /// Nothing here refuses an event stored before (the mark log's index is on the UPN alone,
    /// migration 13): the worker claims each event's `(source, id)` in `processed_events` first
    /// and stores only the fresh ones. A mark re-sent after its claim was purged is stored again
    /// beside the first, and ``marksThatCount(upns:from:through:)`` (and the report) take one
    /// mark per slot, so an identical copy changes nothing.
    public func insertMarks(_ marks: [MarkRecord]) async throws -> Int {
        guard !marks.isEmpty else { return 0 }
        var upns: [Int64] = []
        var laestabs: [Int32] = []
        var sessions: [String] = []
        var categories: [String] = []
        upns.reserveCapacity(marks.count)
        laestabs.reserveCapacity(marks.count)
        sessions.reserveCapacity(marks.count)
        categories.reserveCapacity(marks.count)
        for m in marks {
            guard let upn = UPNKey.key(m.upn), let laestab = Int32(m.laestab), let session = MarkLogCodes.session(m.session),
                let category = MarkLogCodes.category(m.category)
            else { throw StoreError(code: .query, reason: "a mark the mark log cannot hold (UPN, LAESTAB, session or category)") }
            upns.append(upn)
            laestabs.append(laestab)
            sessions.append(session)
            categories.append(category)
        }
        let (isUUID, uuids, texts) = Self.splitIds(marks.map(\.eventId))
        let sources = marks.map(\.source)
        try await self.execute(
            """
            INSERT INTO mark_sources (source)
            SELECT DISTINCT s FROM unnest(\(sources)::text[]) AS s WHERE NOT EXISTS (SELECT 1 FROM mark_sources m WHERE m.source = s)
            ORDER BY 1
            ON CONFLICT (source) DO NOTHING
            """,
            "insert mark sources"
        )
        // "No minutes late" travels as -1 (never a real value) and becomes NULL again in SQL.
        let minutesLate = marks.map { Int16(clamping: $0.minutesLate ?? -1) }
        return try await self.count(
            """
            INSERT INTO mark_log
                (upn, laestab, mark_date, event_time, source_id, event_uuid, session, category, minutes_late, code, event_text)
            SELECT x.u, x.l, x.d, x.t, s.source_id, CASE WHEN x.f THEN x.g END, x.se::"char", x.ca::"char",
                NULLIF(x.m, -1), x.c, CASE WHEN NOT x.f THEN x.i END
            FROM unnest(
                \(upns)::int8[], \(laestabs)::int4[], \(marks.map(\.date))::date[], \(marks.map(\.eventTime))::timestamptz[],
                \(sources)::text[], \(uuids)::uuid[], \(sessions)::text[], \(categories)::text[], \(minutesLate)::int2[],
                \(marks.map(\.code))::text[], \(isUUID)::bool[], \(texts)::text[]
            ) AS x(u, l, d, t, so, g, se, ca, m, c, f, i)
            JOIN mark_sources s ON s.source = x.so
            RETURNING 1
            """,
            "insert marks"
        )
    }

    /// Stands for "no UUID id" in ``splitIds(_:)``'s arrays.
    static let nilUUID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// Event ids as the mark log and the claims keep them (migration 13): a UUID in canonical
    /// form in `event_uuid`, any other id in `event_text`, decided here rather than by
    /// `frontdoor_event_uuid()` in SQL (a regular expression and a function call per row).
    /// Arrays cannot carry NULL elements through PostgresNIO's encoder: a text id travels with
    /// the nil UUID and a UUID id with "", and a flag says which column holds it.
    static func splitIds(_ ids: [String]) -> (isUUID: [Bool], uuids: [UUID], texts: [String]) {
        var isUUID: [Bool] = []
        var uuids: [UUID] = []
        var texts: [String] = []
        isUUID.reserveCapacity(ids.count)
        uuids.reserveCapacity(ids.count)
        texts.reserveCapacity(ids.count)
        for id in ids {
            let uuid = MarkLogCodes.canonicalUUID(id)
            isUUID.append(uuid != nil)
            uuids.append(uuid ?? nilUUID)
            texts.append(uuid == nil ? id : "")
        }
        return (isUUID, uuids, texts)
    }

    /// The mark log's columns as ``MarkRecord/init(row:)`` reads them (`m` is `mark_log`, `s` its source's
    /// `mark_sources` row: a join, not `frontdoor_mark_source()`, whose lookup PostgreSQL cannot
    /// inline and ran as a function call per row, 42% of the database's time on a late-year morning;
    /// the category's `CASE` is written out for the same reason: `frontdoor_mark_category()` is
    /// STRICT, so PostgreSQL does not inline it either). In ``MarkRecord/init(row:)``'s order.
    static let markColumns = """
        s.source, coalesce(m.event_uuid::text, m.event_text) AS event_id,
        frontdoor_upn_text(m.upn) AS upn, lpad(m.laestab::text, 7, '0') AS laestab, m.mark_date,
        CASE m.session WHEN 'A' THEN 'AM' ELSE 'PM' END AS session, m.code,
        CASE m.category WHEN 'p' THEN 'present' WHEN 'a' THEN 'attending' WHEN 'A' THEN 'authorised'
            WHEN 'u' THEN 'unauthorised' WHEN 'n' THEN 'not-counted' END AS category,
        m.minutes_late::int4 AS minutes_late, m.event_time
        """

    /// The marks that count for one pupil between two dates (both inclusive): for each
    /// `(laestab, date, session)`, the mark with the latest `eventTime`, ties broken by the
    /// larger `eventId`, whatever order the events arrived in. Ordered by date, session, school.
    public func marksThatCount(upn: String, from start: StoreDate, through end: StoreDate) async throws -> [MarkRecord] {
        try await self.marksThatCount(upns: [upn], from: start, through: end)[upn] ?? []
    }

    /// ``marksThatCount(upn:from:through:)`` for many pupils, a statement per
    /// ``marksThatCountChunk`` of them, keyed by UPN (pupils without marks are absent).
    public func marksThatCount(
        upns: [String], from start: StoreDate, through end: StoreDate
    ) async throws
        -> [String: [MarkRecord]]
    {
        try await marksThatCount(since: Dictionary(upns.map { ($0, start) }, uniquingKeysWith: { a, _ in a }), through: end)
    }

    /// The marks that count of each pupil of `since` from that pupil's own first date through
    /// `end` (the penalty rules read a pupil with a checkpoint from its `readFrom`, the others
    /// from the year's look-back), keyed by UPN; a statement per ``marksThatCountChunk`` pupils.
    public func marksThatCount(since: [String: StoreDate], through end: StoreDate) async throws -> [String: [MarkRecord]] {
        let keyed = since.compactMap { upn, from in UPNKey.key(upn).map { ($0, from) } }.sorted { $0.0 < $1.0 }
        guard !keyed.isEmpty else { return [:] }
        // A statement per 500 pupils: a year of marks each is 200,000 rows, well inside the
        // statement timeout, whatever the batch size (5,000 pupils at once onto 150 school days
        // each ran past 30 s on the shared machine, and the batch was retried for ever).
        var result: [String: [MarkRecord]] = [:]
        for first in stride(from: 0, to: keyed.count, by: Self.marksThatCountChunk) {
            let chunk = Array(keyed[first..<min(first + Self.marksThatCountChunk, keyed.count)])
            for (upn, marks) in try await self.marksThatCount(keys: chunk, through: end) {
                result[upn] = marks
            }
        }
        return result
    }

    /// Pupils per statement of ``marksThatCount(since:through:)``.
    static let marksThatCountChunk = 500

    private func marksThatCount(keys: [(Int64, StoreDate)], through end: StoreDate) async throws -> [String: [MarkRecord]] {
        guard let earliest = keys.map(\.1).min() else { return [:] }
        // The pupils' rows through mark_log_upn_idx (migration 13), each from its own first
        // date (`earliest`, a constant, lets the planner skip older partitions), sorted per slot
        // with its latest mark first. Between marks of the same instant the larger id wins,
        // compared as text whichever column holds it (as AttendanceRules.supersedes compares
        // ids), then the later-registered source, then (one event stored twice with different
        // contents, which a sender re-using an id after its claim was purged could cause) the
        // larger code and minutes late, as AttendanceRules.supersedes has it, so the choice
        // never depends on the rows' order.
        let marks = try await self.marks(
            """
            SELECT \(unescaped: Self.markColumns) FROM (
                SELECT DISTINCT ON (m.upn, m.laestab, m.mark_date, m.session) m.*
                FROM unnest(\(keys.map(\.0))::int8[], \(keys.map(\.1))::date[]) AS r(upn, since)
                JOIN mark_log m ON m.upn = r.upn AND m.mark_date >= r.since
                WHERE m.mark_date BETWEEN \(earliest) AND \(end)
                ORDER BY m.upn, m.laestab, m.mark_date, m.session, m.event_time DESC,
                    coalesce(m.event_uuid::text, m.event_text) COLLATE "C" DESC, m.source_id DESC,
                    m.code COLLATE "C" DESC, m.minutes_late DESC NULLS LAST
            ) AS m JOIN mark_sources s USING (source_id)
            ORDER BY m.upn, m.mark_date, m.session, m.laestab
            """,
            "load marks that count"
        )
        return Dictionary(grouping: marks, by: \.upn)
    }

    /// Runs a query selecting ``markColumns`` and decodes its rows by position: a late-year
    /// batch reads tens of thousands, and looking each column up by name was most of the cost.
    private func marks(_ query: PostgresQuery, _ what: String) async throws -> [MarkRecord] {
        let rows = try await self.rows(query, what)
        do {
            return try rows.map { row in
                let (source, eventId, upn, laestab, date, session, code, category, minutesLate, eventTime) = try row.decode(
                    (String, String, String, String, StoreDate, String, String, String, Int?, Date).self)
                return MarkRecord(
                    source: source, eventId: eventId, upn: upn, laestab: laestab, date: date, session: session, code: code,
                    category: category, minutesLate: minutesLate, eventTime: eventTime)
            }
        } catch {
            throw StoreError(code: .decoding, reason: what, underlying: error)
        }
    }

    /// Counts one pupil's marks that count between two dates by ``MarkRecord/category``.
    /// Categories without marks are absent.
    public func categoryTotals(upn: String, from start: StoreDate, through end: StoreDate) async throws -> [String: Int] {
        guard let key = UPNKey.key(upn) else { return [:] }
        let pairs = try await self.map(
            """
            SELECT frontdoor_mark_category(category) AS category, count(*)::int8 AS n FROM (
                SELECT DISTINCT ON (laestab, mark_date, session) category
                FROM mark_log
                WHERE upn = \(key) AND mark_date BETWEEN \(start) AND \(end)
                ORDER BY laestab, mark_date, session, event_time DESC, coalesce(event_uuid::text, event_text) COLLATE "C" DESC, source_id DESC,
                    code COLLATE "C" DESC, minutes_late DESC NULLS LAST
            ) AS latest
            GROUP BY category
            """,
            "count marks that count"
        ) { row in (try row.get("category", as: String.self), try row.get("n", as: Int.self)) }
        return Dictionary(pairs, uniquingKeysWith: +)
    }

    /// Records a pupil's characteristics if they are newer than the stored ones (by
    /// ``PupilRecord/characteristicsTime``; equal times keep the stored row). A newer report
    /// without a date of birth keeps the stored one. Returns whether the row changed.
    @discardableResult
    public func upsertPupil(_ pupil: PupilRecord) async throws -> Bool {
        try await self.upsertPupils([pupil]) == 1
    }

    /// ``upsertPupil(_:)`` for many pupils in one statement (for a UPN given twice, the newest
    /// report is used). Returns how many rows changed.
    @discardableResult
    public func upsertPupils(_ pupils: [PupilRecord]) async throws -> Int {
        guard !pupils.isEmpty else { return 0 }
        // NULLs travel as sentinels: "" for a date, Int32.min for a year group.
        let yearGroups = pupils.map { $0.yearGroup.map { Int32(clamping: $0) } ?? Int32.min }
        let births = pupils.map { $0.dateOfBirth?.description ?? "" }
        return try await self.count(
            """
            INSERT INTO pupils AS p (upn, fsm, sen, cla, year_group, date_of_birth, characteristics_time)
            SELECT DISTINCT ON (u) u, f, s, c, NULLIF(y, -2147483648), NULLIF(b, '')::date, t FROM unnest(
                \(pupils.map(\.upn))::text[], \(pupils.map(\.fsm))::bool[], \(pupils.map(\.sen))::text[],
                \(pupils.map(\.cla))::bool[], \(yearGroups)::int4[], \(births)::text[],
                \(pupils.map(\.characteristicsTime))::timestamptz[]
            ) AS x(u, f, s, c, y, b, t)
            ORDER BY u, t DESC
            ON CONFLICT (upn) DO UPDATE SET
                fsm = EXCLUDED.fsm, sen = EXCLUDED.sen, cla = EXCLUDED.cla,
                year_group = coalesce(EXCLUDED.year_group, p.year_group),
                date_of_birth = coalesce(EXCLUDED.date_of_birth, p.date_of_birth),
                characteristics_time = EXCLUDED.characteristics_time
            WHERE p.characteristics_time < EXCLUDED.characteristics_time
            RETURNING 1
            """,
            "upsert pupils"
        )
    }

    /// A pupil's stored characteristics, or `nil` if none were ever reported.
    public func pupil(upn: String) async throws -> PupilRecord? {
        try await self.pupils(upns: [upn])[upn]
    }

    /// Stored characteristics of many pupils, keyed by UPN.
    public func pupils(upns: [String]) async throws -> [String: PupilRecord] {
        guard !upns.isEmpty else { return [:] }
        let pupils = try await self.map(
            """
            SELECT upn, fsm, sen::text AS sen, cla, year_group, date_of_birth, characteristics_time
            FROM pupils WHERE upn = ANY(\(upns)::text[])
            """,
            "load pupils"
        ) { row in
            PupilRecord(
                upn: try row.get("upn"),
                fsm: try row.get("fsm"),
                sen: try row.get("sen"),
                cla: try row.get("cla"),
                yearGroup: try row.get("year_group", as: Int?.self),
                dateOfBirth: try row.get("date_of_birth", as: StoreDate?.self),
                characteristicsTime: try row.get("characteristics_time")
            )
        }
        return Dictionary(pupils.map { ($0.upn, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Stores a pupil's recomputed totals for an academic year (replacing the previous ones).
    public func saveYearAttendance(_ totals: YearAttendanceRecord) async throws {
        try await self.saveYearAttendance([totals])
    }

    /// ``saveYearAttendance(_:)`` for many pupils in one statement.
    public func saveYearAttendance(_ totals: [YearAttendanceRecord]) async throws {
        guard !totals.isEmpty else { return }
        func ints(_ path: KeyPath<YearAttendanceRecord, Int>) -> [Int32] { totals.map { Int32(clamping: $0[keyPath: path]) } }
        try await self.execute(
            """
            INSERT INTO pupil_year_attendance AS a
                (upn, academic_year, possible, present, attending, authorised, unauthorised, not_counted, updated_at)
            SELECT DISTINCT ON (u, y) u, y, p, pr, att, au, un, nc, now() FROM unnest(
                \(totals.map(\.upn))::text[], \(totals.map(\.academicYear))::text[], \(ints(\.possible))::int4[],
                \(ints(\.present))::int4[], \(ints(\.attending))::int4[], \(ints(\.authorised))::int4[],
                \(ints(\.unauthorised))::int4[], \(ints(\.notCounted))::int4[]
            ) WITH ORDINALITY AS x(u, y, p, pr, att, au, un, nc, n)
            ORDER BY u, y, n DESC
            ON CONFLICT (upn, academic_year) DO UPDATE SET
                possible = EXCLUDED.possible, present = EXCLUDED.present, attending = EXCLUDED.attending,
                authorised = EXCLUDED.authorised, unauthorised = EXCLUDED.unauthorised,
                not_counted = EXCLUDED.not_counted, updated_at = EXCLUDED.updated_at
            """,
            "save year attendance"
        )
    }

    /// A pupil's stored totals for an academic year, or `nil`.
    public func yearAttendance(upn: String, academicYear: String) async throws -> YearAttendanceRecord? {
        try await self.map(
            """
            SELECT upn, academic_year, possible, present, attending, authorised, unauthorised, not_counted
            FROM pupil_year_attendance WHERE upn = \(upn) AND academic_year = \(academicYear)
            """,
            "load year attendance"
        ) { row in
            YearAttendanceRecord(
                upn: try row.get("upn"),
                academicYear: try row.get("academic_year"),
                possible: try row.get("possible"),
                present: try row.get("present"),
                attending: try row.get("attending"),
                authorised: try row.get("authorised"),
                unauthorised: try row.get("unauthorised"),
                notCounted: try row.get("not_counted")
            )
        }.first
    }
}

extension MarkRecord {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            source: try row.get("source"),
            eventId: try row.get("event_id"),
            upn: try row.get("upn"),
            laestab: try row.get("laestab"),
            date: try row.get("mark_date"),
            session: try row.get("session"),
            code: try row.get("code"),
            category: try row.get("category"),
            minutesLate: try row.get("minutes_late", as: Int?.self),
            eventTime: try row.get("event_time")
        )
    }
}
