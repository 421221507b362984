import Foundation
import FrontDoorConfig
import Testing

@testable import FrontDoorDomain

/// events.md "Configuration files the contract relies on"; domain.md thresholds as defaults.
@Suite("Config/ loading (events.md configuration files)")
struct ConfigLoaderTests {
    static let configDirectory = repositoryRoot.appendingPathComponent("Config", isDirectory: true)

    /// A throw-away copy of the real Config/ with some files replaced.
    static func withConfig(
        _ replace: [String: String],
        remove: [String] = [],
        _ body: (URL) throws -> Void
    ) throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("frontdoor-config-\(UUID().uuidString)")
        try fm.copyItem(at: configDirectory, to: dir)
        defer { try? fm.removeItem(at: dir) }
        for r in remove { try fm.removeItem(at: dir.appendingPathComponent(r)) }
        for (name, text) in replace { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        try body(dir)
    }

    static func loadError(_ dir: URL) -> ConfigError? {
        do {
            _ = try ConfigLoader(directory: dir).load()
            return nil
        } catch {
            return error
        }
    }

    @Test("The real Config/ loads: Kent's 12 districts, every phase, unassigned routed to a unit")
    func loadsRealConfig() throws {
        let config = try ConfigLoader(directory: Self.configDirectory).load()
        let districts = [
            "Ashford", "Canterbury", "Dartford", "Dover", "Folkestone and Hythe", "Gravesham", "Maidstone", "Sevenoaks",
            "Swale", "Thanet", "Tonbridge and Malling", "Tunbridge Wells",
        ]
        #expect(config.register.districts == districts)
        #expect(Set(config.register.schools.map(\.phase)) == Set(SchoolPhase.allCases))
        for d in districts {
            let n = config.register.schools.filter { $0.district == d }.count
            #expect((8...12).contains(n), "\(d) has \(n) schools")
        }
        #expect(config.register.schools.allSatisfy { $0.laestab.laCode == "886" })
        #expect(config.units.unitId(forDistrict: "Folkestone and Hythe") == "folkestone-and-hythe")
        #expect(config.units.unitIds.count == 13)
        // An unknown school goes to the unassigned district and its unit (events.md).
        let unknown = try LAESTAB(validating: "8869999")
        #expect(config.route(unknown) == Route(district: "unassigned", unitId: "county-duty"))
        #expect(config.route(nil).district == "unassigned")
        let first = try #require(config.register.schools.first)
        #expect(config.route(first.laestab).district == first.district)
        // The school of events.md's example is on the register.
        #expect(config.register.school(try LAESTAB(validating: "8862001")) != nil)
    }

    @Test("The real rules.yaml sets domain.md's thresholds")
    func realRules() throws {
        let rules = try ConfigLoader(directory: Self.configDirectory).load().rules
        #expect(rules == RulesConfig.defaults)
        // The law as it stands: kent-2016 before 19 August 2024, england-2024 from that day.
        #expect(rules.penaltyRulesets == .lawOfEngland)
        #expect(rules.ruleset == nil)
        #expect(rules.penaltyRulesets.ruleset(on: LocalDate(iso: "2024-08-18")!) == .kent2016)
        #expect(rules.penaltyRulesets.ruleset(on: LocalDate(iso: "2024-08-19")!) == .england2024)
        #expect(rules.england2024.improvementPeriodSchoolDays == 30)
        #expect(rules.minimumPossibleSessions == 20)
        #expect(rules.persistentAbsencePct == 90)
        #expect(rules.severeAbsencePct == 50)
        #expect(rules.cmeRiskSchoolDays == 10 && rules.cmeResolveSchoolDays == 10)
        #expect(rules.suspensionCountThreshold == 3 && rules.suspensionDayCap == 45)
        #expect(rules.reviewDueSchoolDays == 15 && rules.permanentExclusionDutyDay == 6)
        #expect(rules.england2024.windowWeeks == 10 && rules.england2024.unauthorisedSessions == 10)
        #expect(rules.england2024.reducedAmountPence == 8000 && rules.england2024.fullAmountPence == 16000)
        #expect(rules.england2024.priorNoticesLookbackYears == 3)
    }

    @Test("The real calendar: Kent terms 2025/26 and 2026/27 and England bank holidays 2025-2027")
    func realCalendar() throws {
        let c = try ConfigLoader(directory: Self.configDirectory).load().calendar
        #expect(c.configuredYears == [AcademicYear(startYear: 2025), AcademicYear(startYear: 2026)])
        for bh in [
            "2025-12-25", "2025-12-26", "2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25",
            "2026-08-31", "2026-12-25", "2026-12-28", "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03",
            "2027-05-31", "2027-08-30",
        ] {
            #expect(c.isBankHoliday(day(bh)), "\(bh)")
        }
        #expect(c.terms.count == 6)
        #expect(c.schoolDay(15, after: day("2025-10-20")) == day("2025-11-17"))
        #expect(c.isInExamPeriod(day("2026-06-01")) && c.isInExamPeriod(day("2027-06-01")))
        for t in c.terms {
            #expect(t.start.month >= 9 || t.start.month <= 4, "term \(t.name) starts \(t.start)")
            #expect(!t.start.isWeekend && !t.end.isWeekend)
            #expect(t.breaks.count == 1)
        }
    }

    @Test("rules.yaml: a missing key takes domain.md's default; an unknown key is an error naming file and line")
    func rulesPartialAndTypo() throws {
        try Self.withConfig(["rules.yaml": "ruleset: england-2024\nsuspensionCountThreshold: 4\n"]) { dir in
            let rules = try ConfigLoader(directory: dir).load().rules
            #expect(rules.ruleset == .england2024)
            #expect(rules.suspensionCountThreshold == 4)
            #expect(rules.minimumPossibleSessions == 20)
        }
        try Self.withConfig(["rules.yaml": "ruleset: kent-2016\n\nminimumPossibleSesions: 10\n"]) { dir in
            let e = try #require(Self.loadError(dir))
            #expect(e.file == "rules.yaml")
            #expect(e.line == 3)
            #expect(e.message.contains("minimumPossibleSesions"))
        }
        try Self.withConfig(["rules.yaml": "ruleset: scotland-2030\n"]) { dir in
            let e = try #require(Self.loadError(dir))
            #expect(e.file == "rules.yaml" && e.line == 1)
            #expect(e.message.contains("ruleset"))
        }
        try Self.withConfig(["rules.yaml": "england2024:\n  windowWeeks: ten\n"]) { dir in
            let e = try #require(Self.loadError(dir))
            #expect(e.line == 2)
            #expect(e.message.contains("england2024.windowWeeks"))
        }
        try Self.withConfig(["rules.yaml": "severeAbsencePct: 95\n"]) { dir in
            #expect(Self.loadError(dir)?.message.contains("severeAbsencePct") == true)
        }
        try Self.withConfig(["rules.yaml": ""]) { dir in
            let rules = try ConfigLoader(directory: dir).load().rules
            #expect(rules == .defaults)
        }
        try Self.withConfig(["rules.yaml": "ruleset: [unclosed\n"]) { dir in
            let e = try #require(Self.loadError(dir))
            #expect(e.file == "rules.yaml" && e.line != nil)
        }
    }

    @Test("schools.csv errors name the file and line: bad LAESTAB, phase, district, duplicate, field count, header")
    func schoolsErrors() throws {
        let header = "laestab,name,phase,district\n"
        let cases: [(String, Int, String)] = [
            (header + "8862001,A School,primary,Ashford\n886200X,B School,primary,Ashford\n", 3, "laestab"),
            (header + "8862001,A School,infant,Ashford\n", 2, "phase"),
            (header + "8862001,A School,primary,Narnia\n", 2, "Narnia"),
            (header + "8862001,A School,primary,Ashford\n8862001,B School,primary,Dover\n", 3, "line 2"),
            (header + "8862001,A School,primary\n", 2, "4 fields"),
            ("laestab,name,district,phase\n8862001,A School,Ashford,primary\n", 1, "header"),
            (header + "8862001,\"A School, \"unclosed,primary,Ashford\n", 2, "quote"),
        ]
        for (text, line, needle) in cases {
            try Self.withConfig(["schools.csv": text]) { dir in
                let e = try #require(Self.loadError(dir))
                #expect(e.file == "schools.csv")
                #expect(e.line == line, "\(e)")
                #expect(e.message.contains(needle), "\(e)")
            }
        }
    }

    @Test("schools.csv: quoted names with commas and quotes are read")
    func quotedCSV() throws {
        let text = "laestab,name,phase,district\r\n8862001,\"St Mary's, \"\"The Old\"\" School\",primary,Ashford\r\n\r\n"
        try Self.withConfig(["schools.csv": text]) { dir in
            let r = try ConfigLoader(directory: dir).load().register
            #expect(r.count == 1)
            #expect(r.schools.first?.name == "St Mary's, \"The Old\" School")
        }
    }

    @Test("districts.csv must route unassigned, have topic-safe unit ids and no duplicates")
    func districtErrors() throws {
        try Self.withConfig(["districts.csv": "district,unitId\nAshford,ashford\n"]) { dir in
            let e = try #require(Self.loadError(dir))
            #expect(e.file == "districts.csv" && e.message.contains("unassigned"))
        }
        try Self.withConfig(["districts.csv": "district,unitId\nunassigned,county-duty\nAshford,Ashford Unit\n"]) { dir in
            let e = try #require(Self.loadError(dir))
            #expect(e.line == 3 && e.message.contains("unitId"))
        }
        try Self.withConfig(["districts.csv": "district,unitId\nunassigned,a\nunassigned,b\n"]) { dir in
            #expect(Self.loadError(dir)?.line == 3)
        }
    }

    @Test("calendar files: bad dates, breaks outside their term, overlapping terms, unknown keys are placed on a line")
    func calendarErrors() throws {
        let base = "academicYear: 2025/26\nterms:\n"
        let cases: [(String, Int, String)] = [
            (base + "  - {name: autumn, start: 2025-09-01, end: 2025-13-19}\n", 3, "terms[0].end"),
            (base + "  - {name: autumn, start: 2025-12-01, end: 2025-09-19}\n", 3, "ends before"),
            (
                base
                    + "  - name: autumn\n    start: 2025-09-01\n    end: 2025-12-19\n    breaks:\n      - {name: x, start: 2025-12-22, end: 2025-12-23}\n",
                7, "not inside term"
            ),
            (base + "  - {name: a, start: 2025-09-01, end: 2025-12-19}\n  - {name: b, start: 2025-12-01, end: 2026-03-01}\n", 4, "overlaps"),
            (base + "  - {name: a, start: 2026-09-01, end: 2026-12-19}\n", 3, "academic year"),
            ("academicYear: 2025/26\nterm: []\n", 2, "unknown key term"),
            ("bankHolidays: [2025-12-25, 25/12/2025]\n", 1, "bankHolidays[1]"),
        ]
        for (text, line, needle) in cases {
            try Self.withConfig(["calendar/2025-26.yaml": text]) { dir in
                let e = try #require(Self.loadError(dir))
                #expect(e.file == "calendar/2025-26.yaml", "\(e)")
                #expect(e.line == line, "\(e)")
                #expect(e.message.contains(needle), "\(e)")
            }
        }
        try Self.withConfig(["calendar/extra.yaml": "academicYear: 2026/27\n"]) { dir in
            #expect(Self.loadError(dir)?.message.contains("also configured") == true)
        }
    }

    @Test("postcodes.csv: Kent outward codes to districts of districts.csv; optional; a bad row names its line")
    func postcodes() throws {
        let config = try ConfigLoader(directory: Self.configDirectory).load()
        #expect(config.postcodes.district(ofPostcode: "CT9 1XP") == "Thanet")
        #expect(config.postcodes.district(ofPostcode: "tn24 8aa") == "Ashford")
        #expect(config.postcodes.district(ofPostcode: "ME4 4AA") == nil)  // Medway, not Kent County Council
        // Every Kent district is reachable by postcode, and no row names an unknown district.
        #expect(Set(config.postcodes.districts.values) == Set(config.register.districts))
        try Self.withConfig([:], remove: ["postcodes.csv"]) { dir in
            let postcodes = try ConfigLoader(directory: dir).load().postcodes
            #expect(postcodes == .empty)
        }
        let cases: [(String, Int, String)] = [
            ("outward,district\nCT9,Thanet\nCT9,Dover\n", 3, "already on line 2"),
            ("outward,district\nCT9,Nowhere\n", 2, "no row in districts.csv"),
            ("outward,district\nCT9 1XP,Thanet\n", 2, "not a postcode outward code"),
            ("postcode,district\nCT9,Thanet\n", 1, "header"),
        ]
        for (text, line, needle) in cases {
            try Self.withConfig(["postcodes.csv": text]) { dir in
                let e = try #require(Self.loadError(dir))
                #expect(e.file == "postcodes.csv" && e.line == line && e.message.contains(needle), "\(e)")
            }
        }
    }

    @Test("bank-holidays.yaml: exceptions only; moving or removing a day the rule does not give is an error")
    func bankHolidayExceptions() throws {
        let c = try ConfigLoader(directory: Self.configDirectory).load().calendar
        #expect(c.isBankHoliday(day("2028-04-14")))  // Good Friday 2028, computed
        #expect(c.isBankHoliday(day("2023-05-08")) && !c.isBankHoliday(day("2020-05-04")))
        let bad = "movedBankHolidays:\n  - { from: 2020-05-05, to: 2020-05-08, name: x }\n"
        try Self.withConfig(["calendar/bank-holidays.yaml": bad]) { dir in
            let e = try #require(Self.loadError(dir))
            #expect(e.file == "calendar/bank-holidays.yaml" && e.message.contains("not a bank holiday by rule"), "\(e)")
        }
    }

    @Test("Missing files are errors naming the file")
    func missingFiles() throws {
        for f in ["schools.csv", "districts.csv", "rules.yaml"] {
            try Self.withConfig([:], remove: [f]) { dir in
                #expect(Self.loadError(dir)?.file == f)
            }
        }
        try Self.withConfig([:], remove: ["calendar"]) { dir in
            #expect(Self.loadError(dir)?.file == "calendar/")
        }
    }

    @Test("rules.yaml: penaltyRulesets is a schedule by date (domain.md, Penalty notice rulesets); ruleset is one for every date")
    func rulesetSchedule() throws {
        let yaml = "penaltyRulesets:\n  - ruleset: kent-2016\n  - from: 2025-09-01\n    ruleset: england-2024\n"
        try Self.withConfig(["rules.yaml": yaml]) { dir in
            let rules = try ConfigLoader(directory: dir).load().rules
            #expect(rules.penaltyRulesets.ruleset(on: LocalDate(iso: "2025-08-31")!) == .kent2016)
            #expect(rules.penaltyRulesets.ruleset(on: LocalDate(iso: "2025-09-01")!) == .england2024)
            #expect(rules.ruleset == nil)
        }
        try Self.withConfig(["rules.yaml": "ruleset: kent-2016\n"]) { dir in
            let rules = try ConfigLoader(directory: dir).load().rules
            #expect(rules.penaltyRulesets == .always(.kent2016))
            #expect(rules.penaltyRulesets.ruleset(on: LocalDate(iso: "2026-09-07")!) == .kent2016)
        }
        for bad in [
            "ruleset: kent-2016\npenaltyRulesets:\n  - ruleset: england-2024\n",  // both
            "penaltyRulesets:\n  - from: 2024-08-19\n    ruleset: england-2024\n",  // first has a from
            "penaltyRulesets:\n  - ruleset: kent-2016\n  - ruleset: england-2024\n",  // later has none
            "penaltyRulesets:\n  - ruleset: kent-2016\n  - from: 2024-08-19\n    ruleset: england-2024\n  - from: 2024-08-19\n    ruleset: kent-2016\n",
            "penaltyRulesets: []\n",
            "penaltyRulesets:\n  - ruleset: kent-2016\n    form: 2024-08-19\n",  // typo
            "england2024:\n  improvementPeriodSchoolDays: 0\n",
        ] {
            try Self.withConfig(["rules.yaml": bad]) { dir in
                let e = Self.loadError(dir)
                #expect(e?.file == "rules.yaml", "rejected: \(bad)")
            }
        }
    }

    @Test("Default directory: FRONTDOOR_CONFIG_DIR, else ./Config")
    func defaultDirectory() {
        #expect(ConfigLoader.defaultDirectory(environment: ["FRONTDOOR_CONFIG_DIR": "/etc/frontdoor"]).path == "/etc/frontdoor")
        #expect(ConfigLoader.defaultDirectory(environment: [:]).lastPathComponent == "Config")
        #expect(ConfigLoader.defaultDirectory(environment: ["FRONTDOOR_CONFIG_DIR": ""]).lastPathComponent == "Config")
    }

    @Test("RulesConfig decodes from JSON too, with defaults for missing keys (it is plain Decodable)")
    func rulesFromJSON() throws {
        let r = try decodeJSON(RulesConfig.self, #"{"ruleset":"england-2024","england2024":{"windowWeeks":12}}"#)
        #expect(r.ruleset == .england2024 && r.england2024.windowWeeks == 12 && r.england2024.unauthorisedSessions == 10)
        #expect(throws: DecodingError.self) { try decodeJSON(RulesConfig.self, #"{"england2024":{"windowweeks":12}}"#) }
        #expect(throws: DecodingError.self) { try decodeJSON(RulesConfig.self, #"{"cmeRiskCodes":["G","/"]}"#) }
    }
}
