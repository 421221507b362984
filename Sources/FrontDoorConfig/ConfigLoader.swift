import Foundation
import FrontDoorDomain
import Yams

/// Everything frontdoor reads from `Config/`, as domain values.
public struct LoadedConfig: Sendable, Hashable {
    /// `schools.csv`.
    public var register: SchoolRegister
    /// `districts.csv`.
    public var units: DistrictUnits
    /// Every `calendar/*.yaml`, merged.
    public var calendar: SchoolCalendar
    /// `rules.yaml` over domain.md's defaults.
    public var rules: RulesConfig
    /// `postcodes.csv` (optional): outward code → district.
    public var postcodes: PostcodeDistricts

    public init(
        register: SchoolRegister, units: DistrictUnits, calendar: SchoolCalendar, rules: RulesConfig,
        postcodes: PostcodeDistricts = .empty
    ) {
        self.register = register
        self.units = units
        self.calendar = calendar
        self.rules = rules
        self.postcodes = postcodes
    }

    /// The district and Early Help Unit for a school (nil or not on the register → `unassigned`).
    public func route(_ laestab: LAESTAB?) -> Route { register.route(laestab, units: units) }
}

/// Reads a configuration directory (`Config/`) into a ``LoadedConfig``.
///
/// The directory holds `schools.csv`, `districts.csv`, `rules.yaml` and `calendar/*.yaml`
/// (see `Config/README.md`). Any problem throws a ``ConfigError`` naming the file and,
/// where it can, the line.
public struct ConfigLoader: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// `FRONTDOOR_CONFIG_DIR` when set and not empty, else `./Config` in the working directory.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let d = environment["FRONTDOOR_CONFIG_DIR"], !d.isEmpty {
            return URL(fileURLWithPath: d, isDirectory: true)
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            .appendingPathComponent("Config", isDirectory: true)
    }

    /// A loader for ``defaultDirectory(environment:)``.
    public init() { self.init(directory: Self.defaultDirectory()) }

    public func load() throws(ConfigError) -> LoadedConfig {
        let units = try loadDistricts()
        let register = try loadSchools(knownDistricts: Set(units.units.keys))
        let rules = try loadRules()
        let calendar = try loadCalendar()
        let postcodes = try loadPostcodes(knownDistricts: Set(units.units.keys))
        return LoadedConfig(register: register, units: units, calendar: calendar, rules: rules, postcodes: postcodes)
    }

    // MARK: Files

    private func read(_ name: String) throws(ConfigError) -> String {
        let url = directory.appendingPathComponent(name)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigError(file: name, line: nil, message: "cannot be read from \(directory.path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: name, line: nil, message: "is not UTF-8 text")
        }
        return text
    }

    private func csv(_ name: String, header: [String]) throws(ConfigError) -> [CSV.Record] {
        let text = try read(name)
        let records: [CSV.Record]
        do {
            records = try CSV.parse(text)
        } catch {
            throw ConfigError(file: name, line: error.line, message: error.message)
        }
        guard let first = records.first else { throw ConfigError(file: name, line: 1, message: "is empty") }
        guard first.fields.map({ $0.trimmingCharacters(in: .whitespaces) }) == header else {
            throw ConfigError(
                file: name,
                line: first.line,
                message: "header must be \(header.joined(separator: ",")), found \(first.fields.joined(separator: ","))"
            )
        }
        let rows = Array(records.dropFirst())
        for r in rows where r.fields.count != header.count {
            throw ConfigError(
                file: name,
                line: r.line,
                message: "expected \(header.count) fields (\(header.joined(separator: ","))), found \(r.fields.count)"
            )
        }
        return rows
    }

    func loadDistricts() throws(ConfigError) -> DistrictUnits {
        let name = "districts.csv"
        var units: [String: String] = [:]
        for r in try csv(name, header: ["district", "unitId"]) {
            let district = r.fields[0].trimmingCharacters(in: .whitespaces)
            let unit = r.fields[1].trimmingCharacters(in: .whitespaces)
            guard !district.isEmpty else { throw ConfigError(file: name, line: r.line, message: "district is empty") }
            // The unit id becomes part of a Kafka topic name (frontdoor.early-help.<unitId>.v1).
            guard !unit.isEmpty, unit.unicodeScalars.allSatisfy({ Self.unitIdCharacters.contains($0) }) else {
                throw ConfigError(
                    file: name,
                    line: r.line,
                    message: "unitId \"\(unit)\" must be lower-case letters, digits and hyphens (it names a topic)"
                )
            }
            guard units[district] == nil else {
                throw ConfigError(file: name, line: r.line, message: "district \(district) appears twice")
            }
            units[district] = unit
        }
        do {
            return try DistrictUnits(units: units)
        } catch {
            throw ConfigError(file: name, line: nil, message: "must include a row for the district unassigned")
        }
    }

    /// `postcodes.csv`, `outward,district`; optional (without it, referrals naming no school
    /// go to `unassigned`). Each district must have a row in districts.csv.
    func loadPostcodes(knownDistricts: Set<String>) throws(ConfigError) -> PostcodeDistricts {
        let name = "postcodes.csv"
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) else { return .empty }
        var districts: [String: String] = [:]
        var seen: [String: Int] = [:]
        for r in try csv(name, header: ["outward", "district"]) {
            let f = r.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            let outward = f[0].uppercased()
            // An outward code is the part of a postcode before the space: CT9, ME14, SW1A.
            guard PostcodeDistricts.outwardCode(of: outward + " 1AA") == outward else {
                throw ConfigError(file: name, line: r.line, message: "outward code \"\(f[0])\" is not a postcode outward code")
            }
            if let earlier = seen[outward] {
                throw ConfigError(file: name, line: r.line, message: "outward code \(outward) already on line \(earlier)")
            }
            seen[outward] = r.line
            guard knownDistricts.contains(f[1]), f[1] != SchoolRegister.unassignedDistrict else {
                throw ConfigError(file: name, line: r.line, message: "district \"\(f[1])\" has no row in districts.csv")
            }
            districts[outward] = f[1]
        }
        return PostcodeDistricts(districts: districts)
    }

    private static let unitIdCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789-".unicodeScalars)

    func loadSchools(knownDistricts: Set<String>) throws(ConfigError) -> SchoolRegister {
        let name = "schools.csv"
        var schools: [School] = []
        var seen: [LAESTAB: Int] = [:]
        for r in try csv(name, header: ["laestab", "name", "phase", "district"]) {
            let f = r.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            guard let laestab = try? LAESTAB(validating: f[0]) else {
                throw ConfigError(file: name, line: r.line, message: "laestab \"\(f[0])\" is not 7 digits")
            }
            if let earlier = seen[laestab] {
                throw ConfigError(file: name, line: r.line, message: "laestab \(laestab) already on line \(earlier)")
            }
            seen[laestab] = r.line
            guard !f[1].isEmpty else { throw ConfigError(file: name, line: r.line, message: "name is empty") }
            guard let phase = SchoolPhase(rawValue: f[2]) else {
                let allowed = SchoolPhase.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigError(file: name, line: r.line, message: "phase \"\(f[2])\" is not one of \(allowed)")
            }
            guard knownDistricts.contains(f[3]) else {
                throw ConfigError(file: name, line: r.line, message: "district \"\(f[3])\" has no row in districts.csv")
            }
            schools.append(School(laestab: laestab, name: f[1], phase: phase, district: f[3]))
        }
        return SchoolRegister(schools: schools)
    }

    func loadRules() throws(ConfigError) -> RulesConfig {
        try decodeYAML(RulesConfig.self, file: "rules.yaml", text: try read("rules.yaml"))
    }

    func loadCalendar() throws(ConfigError) -> SchoolCalendar {
        let dir = directory.appendingPathComponent("calendar", isDirectory: true)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw ConfigError(file: "calendar/", line: nil, message: "cannot be read from \(directory.path)")
        }
        guard !names.isEmpty else {
            throw ConfigError(file: "calendar/", line: nil, message: "holds no .yaml file; configure at least one academic year")
        }
        // England's bank holidays are computed by rule; the files add only the exceptions.
        var calendar = SchoolCalendar.empty.withBankHolidays()
        var yearFiles: [AcademicYear: String] = [:]
        for n in names {
            let file = "calendar/\(n)"
            let text = try read(file)
            let node = try compose(file: file, text: text)
            let cf = try decodeYAML(CalendarFile.self, file: file, text: text, node: node)
            do {
                try cf.validate()
            } catch {
                let path = error.path.map { e -> any CodingKey in
                    switch e {
                    case .key(let k): PathKey(stringValue: k)
                    case .index(let i): PathKey(intValue: i)
                    }
                }
                throw ConfigError(file: file, line: line(of: path, in: node), message: error.message)
            }
            if let y = cf.academicYear {
                if let other = yearFiles[y] {
                    throw ConfigError(file: file, line: nil, message: "academic year \(y) is also configured in \(other)")
                }
                yearFiles[y] = file
            }
            calendar = calendar.merging(
                SchoolCalendar(
                    terms: cf.terms,
                    bankHolidays: Set(cf.bankHolidays),
                    insetDays: Set(cf.insetDays),
                    examPeriods: cf.examPeriods
                )
                .withBankHolidays(cf.bankHolidayExceptions)
                .withTestPeriods(cf.testPeriods)
            )
        }
        return calendar
    }

    // MARK: YAML

    private func compose(file: String, text: String) throws(ConfigError) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw ConfigError(file: file, line: Self.line(of: e), message: "is not valid YAML: \(Self.problem(of: e))")
        } catch {
            throw ConfigError(file: file, line: nil, message: "is not valid YAML")
        }
    }

    private func decodeYAML<T: Decodable>(
        _ type: T.Type, file: String, text: String, node: Node? = nil
    )
        throws(ConfigError) -> T
    {
        let root: Node
        if let node {
            root = node
        } else if let n = try compose(file: file, text: text) {
            root = n
        } else {
            root = .mapping([:])  // an empty file: every key takes its default
        }
        // Unknown top-level keys in calendar files are typos; RulesConfig checks its own.
        if T.self == CalendarFile.self, let mapping = root.mapping {
            for (k, v) in mapping {
                guard let key = k.string, CalendarFile.keys.contains(key) else {
                    throw ConfigError(
                        file: file,
                        line: k.mark?.line ?? v.mark?.line,
                        message: "unknown key \(k.string ?? "?"); expected one of \(CalendarFile.keys.sorted().joined(separator: ", "))"
                    )
                }
            }
        }
        do {
            return try YAMLDecoder().decode(T.self, from: root)
        } catch let e as DecodingError {
            let (path, message) = Self.describe(e)
            throw ConfigError(file: file, line: line(of: path, in: root), message: message)
        } catch {
            throw ConfigError(file: file, line: nil, message: "cannot be read: \(error)")
        }
    }

    /// The line of the node at `path`, or of its nearest existing ancestor.
    private func line(of path: [any CodingKey], in root: Node?) -> Int? {
        guard var node = root else { return nil }
        var best = node.mark?.line
        for key in path {
            let next: Node?
            if let i = key.intValue, let seq = node.sequence {
                next = i < seq.count ? seq[i] : nil
            } else {
                next = node.mapping?[key.stringValue]
            }
            guard let n = next else { break }
            node = n
            best = n.mark?.line ?? best
        }
        return best
    }

    private static func describe(_ e: DecodingError) -> ([any CodingKey], String) {
        func dotted(_ path: [any CodingKey]) -> String {
            var out = ""
            for key in path {
                if let i = key.intValue {
                    out += "[\(i)]"
                } else {
                    out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return out
        }
        switch e {
        case .keyNotFound(let key, let ctx):
            let at = dotted(ctx.codingPath)
            return (ctx.codingPath, "missing key \(key.stringValue)\(at.isEmpty ? "" : " in \(at)")")
        case .typeMismatch(let type, let ctx):
            return (ctx.codingPath, "\(dotted(ctx.codingPath)) must be \(Self.name(of: type))")
        case .valueNotFound(let type, let ctx):
            return (ctx.codingPath, "\(dotted(ctx.codingPath)) must be \(Self.name(of: type)), found nothing")
        case .dataCorrupted(let ctx):
            let at = dotted(ctx.codingPath)
            return (ctx.codingPath, at.isEmpty ? ctx.debugDescription : "\(at): \(ctx.debugDescription)")
        @unknown default:
            return ([], "cannot be decoded")
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "text"
        default: "\(type)"
        }
    }

    private static func line(of e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        case .duplicatedKeysInMapping(_, let ctx): ctx.mark.line
        default: nil
        }
    }

    private static func problem(of e: YamlError) -> String {
        switch e {
        case .scanner(_, let p, _, _), .parser(_, let p, _, _), .composer(_, let p, _, _): p
        case .duplicatedKeysInMapping(let d, _): "duplicated key \(d.joined(separator: ", "))"
        default: "\(e)"
        }
    }
}

private struct PathKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}
