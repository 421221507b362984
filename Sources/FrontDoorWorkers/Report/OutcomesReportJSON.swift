import Foundation
import FrontDoorStore

/// `frontdoor report --format json`: the report as one JSON object, keys in the order events.md
/// lists them, percentages always with one decimal place (`96.0`, not `96`), `null` where a
/// percentage has nothing to divide by. `JSONDecoder` reads it back into ``OutcomesReport``.
extension OutcomesReport {
    public func jsonText() -> String {
        var out = ""
        ReportJSON.object(
            current.jsonMembers
                + [
                    previous.map { ("previous", ReportJSON.object($0.jsonMembers)) },
                    change.map { ("change", ReportJSON.object($0.jsonMembers(order: current.figures))) },
                ].compactMap { $0 }
        ).write(to: &out, indent: "")
        return out + "\n"
    }
}

/// A JSON value whose members keep their order and whose numbers are already formatted.
enum ReportJSON {
    case object([(String, ReportJSON)])
    case number(String)
    case string(String)
    case null

    static func int(_ v: Int) -> ReportJSON { .number(String(v)) }
    static func pct(_ v: Decimal?) -> ReportJSON { v.map { .number(ReportFormat.oneDecimal($0)) } ?? .null }

    func write(to out: inout String, indent: String) {
        switch self {
        case .number(let n): out += n
        case .null: out += "null"
        case .string(let s): out += Self.quote(s)
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            let inner = indent + "  "
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += inner + Self.quote(key) + ": "
                value.write(to: &out, indent: inner)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension YearOutcomes {
    var jsonMembers: [(String, ReportJSON)] {
        var members: [(String, ReportJSON)] = [("academicYear", .string(academicYear))]
        if let district { members.append(("district", .string(district))) }
        members += figures.jsonMembers(order: figures)
        members.append(
            (
                "byDistrict",
                .object(ReportFormat.orderedDistricts(byDistrict).map { ($0.name, .object($0.value.jsonMembers(order: $0.value))) })
            ))
        return members
    }
}

extension OutcomesChange {
    func jsonMembers(order: DistrictOutcomes) -> [(String, ReportJSON)] {
        figures.jsonMembers(order: order) + [
            (
                "byDistrict",
                .object(ReportFormat.orderedDistricts(byDistrict).map { ($0.name, .object($0.value.jsonMembers(order: $0.value))) })
            )
        ]
    }
}

extension DistrictOutcomes {
    /// - Parameter order: whose absence reasons decide the order of the codes (most sessions first),
    ///   and whose deletions the order of the grounds.
    func jsonMembers(order: DistrictOutcomes) -> [(String, ReportJSON)] {
        let a = attendance
        let x = exclusions
        let r = rollChanges
        return [
            (
                "attendance",
                .object([
                    ("primaryPct", .pct(a.primaryPct)), ("secondaryPct", .pct(a.secondaryPct)), ("overallPct", .pct(a.overallPct)),
                    ("persistentAbsenceRatePct", .pct(a.persistentAbsenceRatePct)),
                    ("severeAbsenceRatePct", .pct(a.severeAbsenceRatePct)), ("sessionsRecorded", .int(a.sessionsRecorded)),
                ])
            ),
            ("absenceReasons", .object(ReportFormat.orderedCodes(absenceReasons, by: order.absenceReasons).map { ($0, .int(absenceReasons[$0]!)) })),
            (
                "exclusions",
                .object([
                    ("permanent", .int(x.permanent)), ("suspensions", .int(x.suspensions)), ("permanentFsmPct", .pct(x.permanentFsmPct)),
                    ("permanentSenSupportPct", .pct(x.permanentSenSupportPct)), ("permanentEhcpPct", .pct(x.permanentEhcpPct)),
                ])
            ),
            (
                "cme",
                .object([
                    ("reported", .int(cme.reported)), ("resolved", .int(cme.resolved)),
                    ("foundWithinTwoWeeksPct", .pct(cme.foundWithinTwoWeeksPct)),
                ])
            ),
            ("enforcementReviews", .int(enforcementReviews)),
            (
                "rollChanges",
                .object([
                    ("admissions", .int(r.admissions)), ("deletions", .int(r.deletions)),
                    (
                        "deletionsByGround",
                        .object(
                            ReportFormat.orderedCodes(r.deletionsByGround, by: order.rollChanges.deletionsByGround).compactMap { ground in
                                r.deletionsByGround[ground].map { (ground, .int($0)) }
                            })
                    ),
                    ("cmeRisk", .int(r.cmeRisk)), ("electiveHomeEducation", .int(r.electiveHomeEducation)),
                    ("eheConsentRequired", .int(r.eheConsentRequired)),
                ])
            ),
        ]
    }
}

/// Number and ordering conventions shared by the JSON, table and HTML forms.
public enum ReportFormat {
    /// `96.0`, `-0.8`: a figure that already has at most one decimal place, printed with exactly one.
    public static func oneDecimal(_ value: Decimal) -> String {
        var v = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &v, 1, .plain)
        let tenths = NSDecimalNumber(decimal: rounded * 10).int64Value
        let magnitude = tenths.magnitude
        return (tenths < 0 ? "-" : "") + "\(magnitude / 10).\(magnitude % 10)"
    }

    /// `+0.8`, `-1.2`, `0.0` for a change.
    public static func signedOneDecimal(_ value: Decimal) -> String {
        let s = oneDecimal(value)
        return value > 0 ? "+" + s : s
    }

    /// `+12`, `-3`, `0`.
    public static func signed(_ value: Int) -> String { value > 0 ? "+\(value)" : "\(value)" }

    /// `12,345`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// Districts alphabetically, `unassigned` last.
    public static func orderedDistricts(_ names: some Sequence<String>) -> [String] {
        names.sorted { a, b in
            let ua = a == StoreTransaction.unassignedDistrict
            let ub = b == StoreTransaction.unassignedDistrict
            return ua != ub ? ub : a < b
        }
    }

    /// A dictionary's districts with their values, in ``orderedDistricts(_:)`` order.
    public static func orderedDistricts<Value>(_ byDistrict: [String: Value]) -> [(name: String, value: Value)] {
        orderedDistricts(byDistrict.keys).compactMap { name in byDistrict[name].map { (name, $0) } }
    }

    /// The codes of `reasons`, most sessions in `order` first (then by code); codes `order`
    /// lacks come last.
    public static func orderedCodes(_ reasons: [String: Int], by order: [String: Int]) -> [String] {
        reasons.keys.sorted { a, b in
            let (na, nb) = (order[a] ?? -1, order[b] ?? -1)
            return na != nb ? na > nb : a < b
        }
    }

    /// What a register code means (the 2024 set; pre-2024 codes where they differ).
    public static func codeName(_ code: String) -> String {
        switch code {
        case "I": "Illness"
        case "M": "Medical or dental appointment"
        case "C": "Leave: exceptional circumstances"
        case "C1": "Leave: regulated performance or employment abroad"
        case "C2": "Leave: part-time timetable"
        case "E": "Suspended or excluded, no alternative provision"
        case "J1": "Leave: interview"
        case "R": "Religious observance"
        case "S": "Leave: studying for a public examination"
        case "T": "Parent travelling for occupational purposes"
        case "H": "Holiday agreed (pre-2024)"
        case "F": "Extended family holiday agreed (pre-2024)"
        case "G": "Holiday not agreed"
        case "N": "Reason not yet established"
        case "O": "Other unauthorised absence"
        case "U": "Arrived after registers closed"
        default: "Code \(code)"
        }
    }

    /// What a deletion ground of `roll.change.v1` (events.md; regulation 9 of the 2024
    /// regulations) means.
    public static func groundName(_ ground: String) -> String {
        switch ground {
        case "transferred": "Transferred to another school"
        case "elective-home-education": "Elective home education"
        case "moved-away": "Moved away"
        case "not-returned-after-leave": "Not returned after leave"
        case "continuous-absence-20-days": "20 school days' continuous absence"
        case "medical": "Medical grounds"
        case "permanently-excluded": "Permanently excluded"
        case "died": "Died"
        case "left-compulsory-age": "Ceased to be of compulsory school age"
        case "not-known": "Whereabouts not known"
        case "other": "Other ground"
        default: "Ground \(ground)"
        }
    }

    /// Whether a code is an unauthorised absence code (the same in both sets).
    public static func isUnauthorised(_ code: String) -> Bool { ["G", "N", "O", "U"].contains(code) }
}
