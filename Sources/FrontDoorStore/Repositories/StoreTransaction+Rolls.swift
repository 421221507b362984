import Foundation
import PostgresNIO

/// One stored `roll.change.v1` (events.md): a pupil joins or leaves a school's roll.
public struct RollChangeRecord: Sendable, Hashable {
    public var source: String
    public var eventId: String
    public var upn: String
    public var laestab: String
    /// `admitted` or `deleted`.
    public var change: String
    public var effectiveDate: StoreDate
    /// The deletion ground (nil for an admission).
    public var ground: String?
    public var destinationLaestab: String?
    public var dualRegistration: String?
    public var eventTime: Date

    public init(
        source: String, eventId: String, upn: String, laestab: String, change: String, effectiveDate: StoreDate,
        ground: String? = nil, destinationLaestab: String? = nil, dualRegistration: String? = nil, eventTime: Date
    ) {
        self.source = source
        self.eventId = eventId
        self.upn = upn
        self.laestab = laestab
        self.change = change
        self.effectiveDate = effectiveDate
        self.ground = ground
        self.destinationLaestab = destinationLaestab
        self.dualRegistration = dualRegistration
        self.eventTime = eventTime
    }
}

extension StoreTransaction {
    /// Stores roll changes; a re-sent change (same `(source, id)`) changes nothing. Returns how
    /// many were new.
    public func insertRollChanges(_ changes: [RollChangeRecord]) async throws -> Int {
        guard !changes.isEmpty else { return 0 }
        // NULLs travel as "" (never a valid value of these columns).
        return try await self.count(
            """
            INSERT INTO roll_changes (source, event_id, upn, laestab, change, effective_date, ground,
                destination_laestab, dual_registration, event_time)
            SELECT s, i, u, l, c, d, NULLIF(g, ''), NULLIF(dl, ''), NULLIF(dr, ''), t FROM unnest(
                \(changes.map(\.source))::text[], \(changes.map(\.eventId))::text[], \(changes.map(\.upn))::text[],
                \(changes.map(\.laestab))::text[], \(changes.map(\.change))::text[], \(changes.map(\.effectiveDate))::date[],
                \(changes.map { $0.ground ?? "" })::text[], \(changes.map { $0.destinationLaestab ?? "" })::text[],
                \(changes.map { $0.dualRegistration ?? "" })::text[], \(changes.map(\.eventTime))::timestamptz[]
            ) AS x(s, i, u, l, c, d, g, dl, dr, t)
            ON CONFLICT (source, event_id) DO NOTHING
            RETURNING 1
            """,
            "insert roll changes"
        )
    }

    /// Every roll change held for the pupils, keyed by UPN, in `(effective_date, event_time, event_id)` order.
    public func rollChanges(upns: [String]) async throws -> [String: [RollChangeRecord]] {
        guard !upns.isEmpty else { return [:] }
        let rows = try await self.map(
            """
            SELECT source, event_id, upn, laestab, change, effective_date, ground, destination_laestab,
                dual_registration, event_time
            FROM roll_changes WHERE upn = ANY(\(upns)::text[])
            ORDER BY upn, effective_date, event_time, event_id
            """,
            "load roll changes"
        ) { row in
            RollChangeRecord(
                source: try row.get("source"), eventId: try row.get("event_id"), upn: try row.get("upn"),
                laestab: try row.get("laestab"), change: try row.get("change"),
                effectiveDate: try row.get("effective_date"), ground: try row.get("ground", as: String?.self),
                destinationLaestab: try row.get("destination_laestab", as: String?.self),
                dualRegistration: try row.get("dual_registration", as: String?.self),
                eventTime: try row.get("event_time"))
        }
        return Dictionary(grouping: rows, by: \.upn)
    }

    /// The pupils' child-protection plan flags as last stated (`pupil.cpp`); pupils never
    /// stated are absent.
    public func childProtectionPlans(upns: [String]) async throws -> [String: Bool] {
        guard !upns.isEmpty else { return [:] }
        let rows = try await self.map(
            "SELECT upn, cpp FROM pupils WHERE cpp IS NOT NULL AND upn = ANY(\(upns)::text[])",
            "load child-protection plans"
        ) { row in (try row.get("upn", as: String.self), try row.get("cpp", as: Bool.self)) }
        return Dictionary(rows, uniquingKeysWith: { a, _ in a })
    }

    /// Records the pupils' child-protection plan flags, each stated by an event at `time`; an
    /// older statement than the pupil's stored characteristics changes nothing (as ``upsertPupils(_:)``).
    /// The pupil's row must exist (``upsertPupils(_:)`` first).
    public func updateChildProtectionPlans(_ updates: [(upn: String, cpp: Bool, time: Date)]) async throws {
        guard !updates.isEmpty else { return }
        // Newest statement per pupil wins.
        var latest: [String: (cpp: Bool, time: Date)] = [:]
        for u in updates where latest[u.upn].map({ $0.time <= u.time }) ?? true { latest[u.upn] = (u.cpp, u.time) }
        let upns = latest.keys.sorted()
        try await self.execute(
            """
            UPDATE pupils p SET cpp = x.c FROM unnest(
                \(upns)::text[], \(upns.map { latest[$0]?.cpp ?? false })::bool[],
                \(upns.map { latest[$0]?.time ?? Date(timeIntervalSince1970: 0) })::timestamptz[]
            ) AS x(u, c, t)
            WHERE p.upn = x.u AND p.characteristics_time <= x.t
            """,
            "update child-protection plans"
        )
    }

    /// Open reviews (no decision yet) of many pupils, keyed by UPN.
    public func openReviews(upns: [String]) async throws -> [String: EnforcementReviewRecord] {
        guard !upns.isEmpty else { return [:] }
        let rows = try await self.map(
            "SELECT \(unescaped: Self.reviewColumns) FROM enforcement_reviews WHERE status = 'open' AND upn = ANY(\(upns)::text[])",
            "load open reviews",
            EnforcementReviewRecord.init(row:)
        )
        return Dictionary(rows.map { ($0.upn, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Withdrawn reviews per pupil (each a decision cycle's review whose basis was amended away).
    public func withdrawnReviewCounts(upns: [String]) async throws -> [String: Int] {
        guard !upns.isEmpty else { return [:] }
        let rows = try await self.map(
            """
            SELECT upn, count(*)::int8 AS n FROM enforcement_reviews
            WHERE status = 'withdrawn' AND upn = ANY(\(upns)::text[]) GROUP BY upn
            """,
            "count withdrawn reviews"
        ) { row in (try row.get("upn", as: String.self), Int(try row.get("n", as: Int64.self))) }
        return Dictionary(rows, uniquingKeysWith: { a, _ in a })
    }

    /// Withdraws an open review and closes its case. Returns `false` (changing nothing) when
    /// the review is not open any more (decided, or withdrawn already).
    public func withdrawReview(caseId: String, reason: String, at: Date, closedOn: StoreDate) async throws -> Bool {
        let withdrawn = try await self.count(
            """
            UPDATE enforcement_reviews SET status = 'withdrawn', withdrawn_at = \(at), withdrawal_reason = \(reason)
            WHERE case_id = \(caseId) AND status = 'open'
            RETURNING 1
            """,
            "withdraw review"
        )
        guard withdrawn == 1 else { return false }
        try await self.execute(
            """
            UPDATE cases SET status = 'closed', closed_on = \(closedOn), outcome = 'review-withdrawn'
            WHERE case_id = \(caseId) AND status = 'open'
            """,
            "close withdrawn review's case"
        )
        return true
    }
}
