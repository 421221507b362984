import Foundation
import PostgresNIO

/// What one year's outcomes are computed over.
public struct OutcomesQuery: Sendable, Hashable {
    /// `2026/27`.
    public var academicYear: String
    /// 1 September and 31 August of that year (marks, referrals, reviews and roll changes are
    /// dated in it).
    public var firstDay: StoreDate
    public var lastDay: StoreDate
    /// The exclusion year's first and last days, 1 August and 31 July (`ExclusionYear`: "for
    /// exclusion counts the academic year starts on the first school day after 31 July"):
    /// exclusions count in the year of their start date.
    public var exclusionFirstDay: StoreDate
    public var exclusionLastDay: StoreDate
    /// Restrict every figure to one district (`unassigned` included); `nil` for the county.
    public var district: String?
    /// For every day a CME referral can be received in the year, the 10th LA school day after
    /// it (the calendar lives in `Config/`; see `SchoolCalendar.schoolDay(_:after:)`). A referral
    /// received on a day missing here is never "found within two weeks".
    public var cmeDeadlines: [(received: StoreDate, deadline: StoreDate)]

    /// The exclusion year defaults to the month before `firstDay` … the month before `lastDay`
    /// (1 August to 31 July for a 1 September year).
    public init(
        academicYear: String, firstDay: StoreDate, lastDay: StoreDate, district: String? = nil,
        cmeDeadlines: [(received: StoreDate, deadline: StoreDate)], exclusionFirstDay: StoreDate? = nil,
        exclusionLastDay: StoreDate? = nil
    ) {
        self.academicYear = academicYear
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.district = district
        self.cmeDeadlines = cmeDeadlines
        self.exclusionFirstDay = exclusionFirstDay ?? firstDay.adding(days: -31)
        self.exclusionLastDay = exclusionLastDay ?? lastDay.adding(days: -31)
    }

    public static func == (a: OutcomesQuery, b: OutcomesQuery) -> Bool {
        a.academicYear == b.academicYear && a.firstDay == b.firstDay && a.lastDay == b.lastDay && a.district == b.district
            && a.exclusionFirstDay == b.exclusionFirstDay && a.exclusionLastDay == b.exclusionLastDay
            && a.cmeDeadlines.map(\.received) == b.cmeDeadlines.map(\.received)
            && a.cmeDeadlines.map(\.deadline) == b.cmeDeadlines.map(\.deadline)
    }

    public func hash(into h: inout Hasher) {
        h.combine(academicYear)
        h.combine(firstDay)
        h.combine(district)
    }
}

extension StoreTransaction {
    /// The district of a school not on the register (and of a referral without a school).
    public static let unassignedDistrict = "unassigned"

    /// Every district the report lists: those of the stored schools, and `unassigned`.
    public func reportDistricts() async throws -> [String] {
        let stored = try await self.map(
            "SELECT DISTINCT district FROM schools ORDER BY district",
            "load report districts"
        ) { row in try row.get("district", as: String.self) }
        return stored.contains(Self.unassignedDistrict) ? stored : stored + [Self.unassignedDistrict]
    }

    /// Prepares a transaction for ``outcomes(_:)``: one snapshot for every statement (`REPEATABLE
    /// READ`), so the figures of two years and all districts agree with each other, and a larger
    /// `work_mem` for the marks' sort and aggregates. Call it first in the transaction.
    public func prepareForReport(workMem: String = "256MB") async throws {
        try await self.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "report snapshot")
        try await self.execute(
            PostgresQuery(unsafeSQL: "SET LOCAL work_mem = '\(workMem.filter { $0.isLetter || $0.isNumber })'"),
            "raise work_mem for the report")
    }

    /// One academic year's outcomes, computed in PostgreSQL with set-based statements (a handful
    /// of rows per district come back, never the facts themselves).
    ///
    /// Runs five statements; call ``prepareForReport(workMem:)`` first in the transaction so they
    /// see one snapshot.
    public func outcomes(_ q: OutcomesQuery) async throws -> YearOutcomes {
        let districts = try await self.reportDistricts()
        if let d = q.district, !districts.contains(d) {
            throw StoreError(code: .query, reason: "unknown district \(d)")
        }
        var byDistrict: [String: DistrictOutcomes] = [:]
        for d in districts where q.district == nil || q.district == d { byDistrict[d] = DistrictOutcomes() }
        var county = DistrictOutcomes()
        func update(_ district: String?, _ body: (inout DistrictOutcomes) -> Void) {
            if let district {
                body(&byDistrict[district, default: DistrictOutcomes()])
            } else {
                body(&county)
            }
        }

        let marks = try await self.markRows(q)
        for row in marks.attendance {
            update(row.district) { $0.attendance = row.attendance }
        }
        for row in marks.reasons {
            update(row.district) { $0.absenceReasons[row.code] = row.sessions }
        }
        for row in try await self.exclusionRows(q) {
            update(row.district) { $0.exclusions = row.exclusions }
        }
        for row in try await self.cmeRows(q) {
            update(row.district) { $0.cme = row.cme }
        }
        for row in try await self.reviewRows(q) {
            update(row.district) { $0.enforcementReviews = row.reviews }
        }
        let rolls = try await self.rollChangeRows(q)
        for row in rolls.totals {
            update(row.district) { $0.rollChanges = row.figures }
        }
        for row in rolls.grounds {
            update(row.district) { $0.rollChanges.deletionsByGround[row.ground] = row.deletions }
        }
        return YearOutcomes(academicYear: q.academicYear, district: q.district, figures: county, byDistrict: byDistrict)
    }

    // MARK: Statements

    /// "The school's district is the query's district" as SQL, the district bound as `$<parameter>`.
    private func districtCondition(_ q: OutcomesQuery, parameter: Int) -> String {
        q.district == nil ? "true" : "coalesce(s.district, 'unassigned') = $\(parameter)"
    }

    /// The marks that count in the year, restricted to the district's schools before the
    /// "latest mark per slot" step (the slot includes the school, so this is exact and keeps the
    /// sort small), then counted per enrolment (pupil, school), register code and category: a few
    /// rows per pupil from which attendance, absence rates and reasons all follow.
    ///
    /// Reads the year's partition of `mark_log` (migration 9) whole and sorts it once for the
    /// "latest mark per slot" step; the keys become text only for the few rows per pupil that
    /// `counted` keeps. The slot is ordered school first so that no plan walks the UPN index
    /// (migration 13) over a whole year, one heap page per mark: on 9 million marks that took
    /// 32 s against 17 s for the scan and sort (and 8 s for migration 9's covering index, which
    /// cost 86 bytes a mark to keep; docs/operations.md, "Storage and throughput").
    private static let countedMarks = """
        counted AS MATERIALIZED (
            SELECT frontdoor_upn_text(m.upn) AS upn, lpad(m.laestab::text, 7, '0') AS laestab, m.code,
                frontdoor_mark_category(m.category) AS category, count(*) AS n
            FROM (
                SELECT DISTINCT ON (laestab, upn, mark_date, session) upn, laestab, code, category
                FROM mark_log l
                WHERE l.mark_date BETWEEN $1 AND $2 AND (
                    $3::text IS NULL
                    OR ($3 = 'unassigned' AND NOT EXISTS (SELECT 1 FROM schools x WHERE x.laestab::int4 = l.laestab))
                    OR l.laestab IN (SELECT x.laestab::int4 FROM schools x WHERE x.district = $3))
                ORDER BY laestab, upn, mark_date, session, event_time DESC, coalesce(event_uuid::text, event_text) COLLATE "C" DESC, source_id DESC,
                    code COLLATE "C" DESC, minutes_late DESC NULLS LAST
            ) AS m
            GROUP BY m.upn, m.laestab, m.code, m.category
        )
        """

    /// The marks statement of ``outcomes(_:)`` with its plan and timings (`EXPLAIN ANALYZE`), for
    /// `frontdoor bench report --explain`.
    public func explainOutcomeMarks(_ q: OutcomesQuery) async throws -> [String] {
        var query = PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS) " + Self.markSQL)
        query.binds.append(q.firstDay)
        query.binds.append(q.lastDay)
        query.binds.append(q.district)
        return try await self.map(query, "explain report marks") { row in try row[0].decode(String.self) }
    }

    /// One statement, so the marks are read and de-duplicated once: rows of kind `attendance`
    /// (one per district and one county-wide) and `reason` (per district and code, and per code).
    static let markSQL = """
        WITH \(Self.countedMarks),
        placed AS (
            SELECT coalesce(s.district, 'unassigned') AS district, s.phase, c.*
            FROM counted c LEFT JOIN schools s ON s.laestab = c.laestab
        ),
        enrolments AS (
            SELECT district, phase, upn, laestab,
                sum(n) AS recorded,
                coalesce(sum(n) FILTER (WHERE category IN ('present', 'attending')), 0) AS attended,
                coalesce(sum(n) FILTER (WHERE category IN ('authorised', 'unauthorised')), 0) AS absent,
                coalesce(sum(n) FILTER (WHERE category <> 'not-counted'), 0) AS possible
            FROM placed
            GROUP BY district, phase, upn, laestab
        ),
        -- DfE's persistent and severe absence rates cover pupils aged 5 to 15 on 31 August before
        -- the year ($1 is 1 September); a pupil whose date of birth is not known stays counted.
        rated AS (
            SELECT e.*, (p.date_of_birth IS NULL
                    OR extract(year FROM age($1::date - 1, p.date_of_birth)) BETWEEN 5 AND 15) AS aged_5_to_15
            FROM enrolments e LEFT JOIN pupils p ON p.upn = e.upn
        )
        SELECT 'attendance' AS kind, grouping(district) = 1 AS county, district, NULL::text AS code,
            coalesce(sum(recorded), 0)::int8 AS sessions,  -- a year without marks still has its county row
            round(100 * sum(attended) FILTER (WHERE phase = 'primary')
                / nullif(sum(possible) FILTER (WHERE phase = 'primary'), 0), 1)::text AS primary_pct,
            round(100 * sum(attended) FILTER (WHERE phase = 'secondary')
                / nullif(sum(possible) FILTER (WHERE phase = 'secondary'), 0), 1)::text AS secondary_pct,
            round(100 * sum(attended) / nullif(sum(possible), 0), 1)::text AS overall_pct,
            round(100 * count(*) FILTER (WHERE aged_5_to_15 AND possible > 0 AND absent * 10 >= possible)::numeric
                / nullif(count(*) FILTER (WHERE aged_5_to_15 AND possible > 0), 0), 1)::text AS persistent_pct,
            round(100 * count(*) FILTER (WHERE aged_5_to_15 AND possible > 0 AND absent * 2 >= possible)::numeric
                / nullif(count(*) FILTER (WHERE aged_5_to_15 AND possible > 0), 0), 1)::text AS severe_pct
        FROM rated
        GROUP BY GROUPING SETS ((district), ())
        UNION ALL
        SELECT 'reason', grouping(district) = 1, district, code, sum(n)::int8, NULL, NULL, NULL, NULL, NULL
        FROM placed
        WHERE category IN ('authorised', 'unauthorised')
        GROUP BY GROUPING SETS ((district, code), (code))
        """

    /// Attendance (per district and county-wide) and absence reasons from one pass over the marks.
    private func markRows(
        _ q: OutcomesQuery
    ) async throws -> (
        attendance: [(district: String?, attendance: AttendanceOutcomes)],
        reasons: [(district: String?, code: String, sessions: Int)]
    ) {
        var query = PostgresQuery(unsafeSQL: Self.markSQL)
        query.binds.append(q.firstDay)
        query.binds.append(q.lastDay)
        query.binds.append(q.district)
        var attendance: [(district: String?, attendance: AttendanceOutcomes)] = []
        var reasons: [(district: String?, code: String, sessions: Int)] = []
        for row in try await self.rows(query, "report attendance") {
            let r = row.makeRandomAccess()
            do {
                let district = try r.get("county", as: Bool.self) ? nil : try r.get("district", as: String.self)
                if try r.get("kind", as: String.self) == "reason" {
                    reasons.append((district, try r.get("code", as: String.self), try r.get("sessions", as: Int.self)))
                } else {
                    attendance.append(
                        (
                            district,
                            AttendanceOutcomes(
                                primaryPct: try Self.decimal(r, "primary_pct"),
                                secondaryPct: try Self.decimal(r, "secondary_pct"),
                                overallPct: try Self.decimal(r, "overall_pct"),
                                persistentAbsenceRatePct: try Self.decimal(r, "persistent_pct"),
                                severeAbsenceRatePct: try Self.decimal(r, "severe_pct"),
                                sessionsRecorded: try r.get("sessions", as: Int.self))
                        ))
                }
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError(code: .decoding, reason: "report attendance", underlying: error)
            }
        }
        return (attendance, reasons)
    }

    private func exclusionRows(_ q: OutcomesQuery) async throws -> [(district: String?, exclusions: ExclusionOutcomes)] {
        // Characteristics: the snapshot on the exclusion (what the school reported with it),
        // field by field, else the pupil's stored characteristics; unknown counts as "no".
        var query = PostgresQuery(
            unsafeSQL: """
                WITH counted AS (
                    SELECT coalesce(s.district, 'unassigned') AS district, x.category,
                        coalesce(x.pupil_fsm, p.fsm, false) AS fsm,
                        coalesce(x.pupil_sen, p.sen, 'N') AS sen
                    FROM exclusions x
                    LEFT JOIN schools s ON s.laestab = x.laestab
                    LEFT JOIN pupils p ON p.upn = x.upn
                    WHERE x.start_date BETWEEN $1 AND $2 AND NOT x.rescinded AND \(districtCondition(q, parameter: 3))
                )
                SELECT grouping(district) = 1 AS county, district,
                    count(*) FILTER (WHERE category = 'permanent') AS permanent,
                    count(*) FILTER (WHERE category = 'suspension') AS suspensions,
                    round(100 * count(*) FILTER (WHERE category = 'permanent' AND fsm)::numeric
                        / nullif(count(*) FILTER (WHERE category = 'permanent'), 0), 1)::text AS fsm_pct,
                    round(100 * count(*) FILTER (WHERE category = 'permanent' AND sen = 'K')::numeric
                        / nullif(count(*) FILTER (WHERE category = 'permanent'), 0), 1)::text AS sen_support_pct,
                    round(100 * count(*) FILTER (WHERE category = 'permanent' AND sen = 'E')::numeric
                        / nullif(count(*) FILTER (WHERE category = 'permanent'), 0), 1)::text AS ehcp_pct
                FROM counted
                GROUP BY GROUPING SETS ((district), ())
                """)
        query.binds.append(q.exclusionFirstDay)
        query.binds.append(q.exclusionLastDay)
        if let d = q.district { query.binds.append(d) }
        return try await self.map(query, "report exclusions") { row in
            (
                try row.get("county", as: Bool.self) ? nil : try row.get("district", as: String.self),
                ExclusionOutcomes(
                    permanent: try row.get("permanent", as: Int.self),
                    suspensions: try row.get("suspensions", as: Int.self),
                    permanentFsmPct: try Self.decimal(row, "fsm_pct"),
                    permanentSenSupportPct: try Self.decimal(row, "sen_support_pct"),
                    permanentEhcpPct: try Self.decimal(row, "ehcp_pct"))
            )
        }
    }

    private func cmeRows(_ q: OutcomesQuery) async throws -> [(district: String?, cme: CMEOutcomes)] {
        // The (received → 10th school day after) table arrives as two arrays, joined as rows.
        var query = PostgresQuery(
            unsafeSQL: """
                WITH deadlines AS (
                    SELECT * FROM unnest($3::date[], $4::date[]) AS d(received_on, found_by)
                ),
                counted AS (
                    SELECT coalesce(s.district, 'unassigned') AS district, r.resolved_on IS NOT NULL AS resolved,
                        coalesce(r.resolved_on IS NOT NULL AND r.outcome <> 'not-found' AND r.resolved_on <= d.found_by, false)
                            AS found
                    FROM referrals r
                    LEFT JOIN deadlines d ON d.received_on = r.received_on
                    LEFT JOIN schools s ON s.laestab = r.laestab
                    WHERE r.reason = 'cme' AND r.received_on BETWEEN $1 AND $2
                        AND \(districtCondition(q, parameter: 5))
                )
                SELECT grouping(district) = 1 AS county, district, count(*) AS reported,
                    count(*) FILTER (WHERE resolved) AS resolved,
                    round(100 * count(*) FILTER (WHERE found)::numeric / nullif(count(*), 0), 1)::text AS found_pct
                FROM counted
                GROUP BY GROUPING SETS ((district), ())
                """)
        query.binds.append(q.firstDay)
        query.binds.append(q.lastDay)
        query.binds.append(q.cmeDeadlines.map(\.received))
        query.binds.append(q.cmeDeadlines.map(\.deadline))
        if let d = q.district { query.binds.append(d) }
        return try await self.map(query, "report CME") { row in
            (
                try row.get("county", as: Bool.self) ? nil : try row.get("district", as: String.self),
                CMEOutcomes(
                    reported: try row.get("reported", as: Int.self), resolved: try row.get("resolved", as: Int.self),
                    foundWithinTwoWeeksPct: try Self.decimal(row, "found_pct"))
            )
        }
    }

    private func reviewRows(_ q: OutcomesQuery) async throws -> [(district: String?, reviews: Int)] {
        // A review belongs to the year of the day (in England) it was created.
        var query = PostgresQuery(
            unsafeSQL: """
                SELECT grouping(coalesce(s.district, 'unassigned')) = 1 AS county,
                    coalesce(s.district, 'unassigned') AS district, count(*) AS reviews
                FROM enforcement_reviews e LEFT JOIN schools s ON s.laestab = e.laestab
                WHERE (e.created_at AT TIME ZONE 'Europe/London')::date BETWEEN $1 AND $2
                    AND \(districtCondition(q, parameter: 3))
                GROUP BY GROUPING SETS ((coalesce(s.district, 'unassigned')), ())
                """)
        query.binds.append(q.firstDay)
        query.binds.append(q.lastDay)
        if let d = q.district { query.binds.append(d) }
        return try await self.map(query, "report enforcement reviews") { row in
            (
                try row.get("county", as: Bool.self) ? nil : try row.get("district", as: String.self),
                try row.get("reviews", as: Int.self)
            )
        }
    }

    /// Admissions and deletions dated in the year (docs/report.md "Admissions and deletions"):
    /// rows of kind `total` (per district and county-wide) and `ground` (deletions per district
    /// and ground, and per ground).
    ///
    /// One fact per `(upn, laestab, change, effective_date)`: a change sent again under another
    /// id counts once, with the ground sent last (latest `event_time`, then the larger id). The
    /// `cme_risk` and `consent` flags are `RollChangeRules.evaluate`'s conditions in SQL: no CME
    /// case open on the day the deletion was recorded (`NotificationDecisions.triggerDay`: the
    /// later of `effective_date` and the London date of `event_time`; `CMECasePeriod.isOpen`
    /// includes both ends), and a special school or a child-protection plan.
    static let rollChangeSQL = """
        WITH facts AS (
            SELECT DISTINCT ON (r.upn, r.laestab, r.change, r.effective_date)
                r.upn, r.laestab, r.change, r.effective_date, r.ground,
                greatest(r.effective_date, (r.event_time AT TIME ZONE 'Europe/London')::date) AS recorded_on
            FROM roll_changes r
            WHERE r.effective_date BETWEEN $1 AND $2
            ORDER BY r.upn, r.laestab, r.change, r.effective_date, r.event_time DESC, r.event_id DESC, r.source DESC
        ),
        counted AS (
            SELECT coalesce(s.district, 'unassigned') AS district, f.change, f.ground,
                coalesce(f.ground IN ('continuous-absence-20-days', 'not-known') AND NOT EXISTS (
                    SELECT 1 FROM cases c
                    WHERE c.kind = 'cme' AND c.upn = f.upn AND c.opened_on <= f.recorded_on
                        AND (c.closed_on IS NULL OR c.closed_on >= f.recorded_on)
                ), false) AS cme_risk,
                coalesce(f.ground = 'elective-home-education' AND (s.phase = 'special' OR p.cpp), false) AS consent
            FROM facts f
            LEFT JOIN schools s ON s.laestab = f.laestab
            LEFT JOIN pupils p ON p.upn = f.upn
            WHERE $3::text IS NULL OR coalesce(s.district, 'unassigned') = $3
        )
        SELECT 'total' AS kind, grouping(district) = 1 AS county, district, NULL::text AS ground,
            count(*) FILTER (WHERE change = 'admitted') AS admissions,
            count(*) FILTER (WHERE change = 'deleted') AS deletions,
            count(*) FILTER (WHERE change = 'deleted' AND cme_risk) AS cme_risk,
            count(*) FILTER (WHERE change = 'deleted' AND ground = 'elective-home-education') AS ehe,
            count(*) FILTER (WHERE change = 'deleted' AND consent) AS consent
        FROM counted
        GROUP BY GROUPING SETS ((district), ())
        UNION ALL
        SELECT 'ground', grouping(district) = 1, district, ground, 0, count(*), 0, 0, 0
        FROM counted
        WHERE change = 'deleted'
        GROUP BY GROUPING SETS ((district, ground), (ground))
        """

    private func rollChangeRows(
        _ q: OutcomesQuery
    ) async throws -> (
        totals: [(district: String?, figures: RollChangeOutcomes)],
        grounds: [(district: String?, ground: String, deletions: Int)]
    ) {
        var query = PostgresQuery(unsafeSQL: Self.rollChangeSQL)
        query.binds.append(q.firstDay)
        query.binds.append(q.lastDay)
        query.binds.append(q.district)
        var totals: [(district: String?, figures: RollChangeOutcomes)] = []
        var grounds: [(district: String?, ground: String, deletions: Int)] = []
        for row in try await self.rows(query, "report roll changes") {
            let r = row.makeRandomAccess()
            do {
                let district = try r.get("county", as: Bool.self) ? nil : try r.get("district", as: String.self)
                if try r.get("kind", as: String.self) == "ground" {
                    grounds.append((district, try r.get("ground", as: String.self), try r.get("deletions", as: Int.self)))
                } else {
                    totals.append(
                        (
                            district,
                            RollChangeOutcomes(
                                admissions: try r.get("admissions", as: Int.self), deletions: try r.get("deletions", as: Int.self),
                                cmeRisk: try r.get("cme_risk", as: Int.self), electiveHomeEducation: try r.get("ehe", as: Int.self),
                                eheConsentRequired: try r.get("consent", as: Int.self))
                        ))
                }
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError(code: .decoding, reason: "report roll changes", underlying: error)
            }
        }
        return (totals, grounds)
    }

    // MARK: Helpers

    /// A `numeric` sent as text (exact), or nil.
    private static func decimal(_ row: PostgresRandomAccessRow, _ column: String) throws -> Decimal? {
        guard let text = try row.get(column, as: String?.self) else { return nil }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw StoreError(code: .decoding, reason: "report figure \(column) is not a number")
        }
        return value
    }
}
