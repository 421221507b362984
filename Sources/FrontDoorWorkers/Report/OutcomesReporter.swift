import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorStore

/// Builds the outcomes report (events.md "Report") from the store: the figures are computed in
/// PostgreSQL (``StoreTransaction/outcomes(_:)``); this type supplies what only `Config/` knows
/// (the register of schools, the LA calendar for the CME "within two weeks" deadline) and puts
/// two years side by side.
public struct OutcomesReporter: Sendable {
    public let config: LoadedConfig
    public let database: FrontDoorDatabase

    public init(config: LoadedConfig, database: FrontDoorDatabase) {
        self.config = config
        self.database = database
    }

    /// Writes the configured register of schools into `schools`, which the report joins on for
    /// each school's phase and district (schools no longer configured are kept, facts refer to them).
    @discardableResult
    public func syncSchools() async throws -> Int {
        let records = config.register.schools.map {
            SchoolRecord(laestab: $0.laestab.value, name: $0.name, phase: $0.phase.rawValue, district: $0.district)
        }
        return try await database.withTransaction { tx in try await tx.upsertSchools(records) }
    }

    /// The report for `year`, with `compare` as the previous year when given, restricted to
    /// `district` when given. All figures come from one database snapshot.
    public func report(year: AcademicYear, compare: AcademicYear? = nil, district: String? = nil) async throws -> OutcomesReport {
        let current = query(year, district: district)
        let previous = compare.map { query($0, district: district) }
        return try await database.withTransaction(readOnly: true) { tx in
            try await tx.prepareForReport()
            let now = try await tx.outcomes(current)
            let before = try await previous.asyncMap { try await tx.outcomes($0) }
            return OutcomesReport(current: now, previous: before)
        }
    }

    /// The districts the report knows (stored schools' districts and `unassigned`).
    public func districts() async throws -> [String] {
        try await database.withTransaction(readOnly: true) { tx in try await tx.reportDistricts() }
    }

    /// The store query for one year: its dates, its exclusion year (``ExclusionYear``, from
    /// 1 August) and, for every day of it, the LA school day by which a CME referral received
    /// that day must be resolved to count as found within two weeks.
    public func query(_ year: AcademicYear, district: String?) -> OutcomesQuery {
        var deadlines: [(received: StoreDate, deadline: StoreDate)] = []
        var day = year.firstDay
        while day <= year.lastDay {
            deadlines.append((StoreDate(day), StoreDate(config.calendar.schoolDay(config.rules.cmeResolveSchoolDays, after: day))))
            day = day.adding(days: 1)
        }
        return OutcomesQuery(
            academicYear: year.description, firstDay: StoreDate(year.firstDay), lastDay: StoreDate(year.lastDay),
            district: district, cmeDeadlines: deadlines, exclusionFirstDay: StoreDate(ExclusionYear.firstDay(of: year)),
            exclusionLastDay: StoreDate(ExclusionYear.lastDay(of: year)))
    }
}
