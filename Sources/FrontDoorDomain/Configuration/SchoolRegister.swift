/// A school of `Config/schools.csv`.
public struct School: Hashable, Sendable, Codable {
    public var laestab: LAESTAB
    public var name: String
    public var phase: SchoolPhase
    /// The district whose Early Help Unit serves the school (one of Kent's 12).
    public var district: String

    public init(laestab: LAESTAB, name: String, phase: SchoolPhase, district: String) {
        self.laestab = laestab
        self.name = name
        self.phase = phase
        self.district = district
    }
}

/// The local authority's register of schools: LAESTAB → name, phase, district.
///
/// An event for a school not on the register is accepted (events.md); its district is
/// ``SchoolRegister/unassignedDistrict``.
public struct SchoolRegister: Hashable, Sendable {
    /// The district of a school not on the register, and of a referral with no school.
    public static let unassignedDistrict = "unassigned"

    private let byLaestab: [LAESTAB: School]

    /// Builds the register; when a LAESTAB appears twice the later entry wins (the loader
    /// reports duplicates as configuration errors before this).
    public init(schools: [School]) {
        var m: [LAESTAB: School] = [:]
        for s in schools { m[s.laestab] = s }
        byLaestab = m
    }

    public static let empty = SchoolRegister(schools: [])

    /// All schools, ordered by LAESTAB.
    public var schools: [School] { byLaestab.values.sorted { $0.laestab < $1.laestab } }

    /// The districts that have at least one school, sorted.
    public var districts: [String] { Set(byLaestab.values.map(\.district)).sorted() }

    public var count: Int { byLaestab.count }

    public func school(_ laestab: LAESTAB) -> School? { byLaestab[laestab] }

    /// The school's district, or `unassigned` for an unknown school or no school at all.
    public func district(of laestab: LAESTAB?) -> String {
        laestab.flatMap { byLaestab[$0]?.district } ?? Self.unassignedDistrict
    }

    /// The school's phase, or nil for a school not on the register.
    public func phase(of laestab: LAESTAB) -> SchoolPhase? { byLaestab[laestab]?.phase }
}

/// The Early Help Unit of each district (`Config/districts.csv`), including `unassigned`.
public struct DistrictUnits: Hashable, Sendable {
    /// The configuration has no row for the district `unassigned`.
    public struct MissingUnassigned: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String { "districts must include a row for the district unassigned" }
    }

    /// District → unit id.
    public let units: [String: String]
    /// The unit that receives notifications for schools not on the register.
    public let unassignedUnitId: String

    public init(units: [String: String]) throws(MissingUnassigned) {
        guard let u = units[SchoolRegister.unassignedDistrict] else { throw MissingUnassigned() }
        self.units = units
        self.unassignedUnitId = u
    }

    /// The unit for a district; a district with no row goes to the `unassigned` unit.
    public func unitId(forDistrict district: String) -> String { units[district] ?? unassignedUnitId }

    /// Every distinct unit id, sorted (one early-help topic each).
    public var unitIds: [String] { Set(units.values).sorted() }
}

/// Where a case goes: the district of its school and that district's Early Help Unit.
public struct Route: Hashable, Sendable {
    public var district: String
    public var unitId: String
    public init(district: String, unitId: String) {
        self.district = district
        self.unitId = unitId
    }
}

extension SchoolRegister {
    /// The district and Early Help Unit for a school (nil or unknown → `unassigned`).
    public func route(_ laestab: LAESTAB?, units: DistrictUnits) -> Route {
        let d = district(of: laestab)
        return Route(district: d, unitId: units.unitId(forDistrict: d))
    }
}
