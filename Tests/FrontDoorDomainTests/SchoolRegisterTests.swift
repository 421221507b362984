import Testing

@testable import FrontDoorDomain

/// events.md: "An event for a school not in schools.csv is accepted; its district is
/// unassigned and its notifications go to the unit configured for unassigned."
@Suite("SchoolRegister and DistrictUnits (events.md configuration)")
struct SchoolRegisterTests {
    static let register = SchoolRegister(schools: [
        School(laestab: try! LAESTAB(validating: "8862001"), name: "Goat Lees Primary School", phase: .primary, district: "Ashford"),
        School(laestab: try! LAESTAB(validating: "8864005"), name: "Dover Grammar School for Girls", phase: .secondary, district: "Dover"),
    ])

    @Test("A known school routes to its district's unit; an unknown school or none to unassigned's unit")
    func routing() throws {
        let units = try DistrictUnits(units: ["Ashford": "ashford", "Dover": "dover", "unassigned": "county-duty"])
        #expect(Self.register.route(try LAESTAB(validating: "8862001"), units: units) == Route(district: "Ashford", unitId: "ashford"))
        #expect(Self.register.route(try LAESTAB(validating: "8869999"), units: units) == Route(district: "unassigned", unitId: "county-duty"))
        #expect(Self.register.route(nil, units: units) == Route(district: "unassigned", unitId: "county-duty"))
        #expect(units.unitId(forDistrict: "Thanet") == "county-duty")
        #expect(Self.register.phase(of: try LAESTAB(validating: "8864005")) == .secondary)
        #expect(Self.register.districts == ["Ashford", "Dover"])
    }

    @Test("DistrictUnits requires a row for unassigned")
    func requiresUnassigned() {
        #expect(throws: DistrictUnits.MissingUnassigned.self) { try DistrictUnits(units: ["Ashford": "ashford"]) }
    }

    @Test("RulesConfig.defaults are domain.md's values")
    func rulesDefaults() {
        let r = RulesConfig.defaults
        #expect(r.minimumPossibleSessions == 20 && r.persistentAbsencePct == 90 && r.severeAbsencePct == 50)
        #expect(r.cmeRiskSchoolDays == 10 && r.cmeRiskCodes == ["G", "N", "O"] && r.cmeResolveSchoolDays == 10)
        #expect(r.suspensionCountThreshold == 3 && r.suspensionDayCap == 45 && r.reviewDueSchoolDays == 15)
        #expect(r.reviewSuspensionSchoolDaysPerTerm == 15 && r.permanentExclusionDutyDay == 6)
        #expect(r.england2024.windowWeeks == 10 && r.england2024.unauthorisedSessions == 10)
        #expect(r.england2024.reducedAmountPence == 8000 && r.england2024.fullAmountPence == 16000)
        #expect(r.england2024.priorNoticesLookbackYears == 3 && r.england2024.prosecutionAfterNotices == 2)
        #expect(r.kent2016.attendancePct == 90 && r.kent2016.examPeriodAggravates)
    }
}
