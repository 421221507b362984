import Foundation
import FrontDoorDomain

/// One message the simulator writes: topic, key and the structured-mode CloudEvent bytes.
public struct SimulatedMessage: Sendable, Hashable {
    public var topic: String
    public var key: String
    public var value: [UInt8]
    /// The event's `time`, by which the feed is ordered.
    public var time: Date
}

/// A realistic, seeded school MIS and Digital Front Door feed.
///
/// Register patterns follow what the county report describes: most pupils attend well;
/// illness is the most common reason for absence and term-time holiday less so; some
/// pupils are late; schools record `N` (reason not yet established) and amend it a few
/// days later to `I` or `O`; a few pupils are persistently or severely absent, a few stop
/// attending altogether (CME risk); there are suspensions, a rare permanent exclusion,
/// some rescinded, and CME and other referrals, most of them resolved within two weeks.
/// The same seed and options always give the same messages in the same order.
public struct FeedSimulator: Sendable {
    public struct Options: Sendable {
        public var seed: UInt64 = 2017
        public var schools: [LAESTAB]
        public var pupils: Int = 2_000
        public var firstDay: LocalDate
        public var schoolDays: Int = 5
        public var topics = Topics()
        /// Share of pupils with a persistent-absence pattern (about 85% attendance).
        public var persistentShare = 0.10
        /// Share of pupils with a severe-absence pattern (about 40% attendance).
        public var severeShare = 0.01
        /// Share of pupils who stop attending (unauthorised every session: CME risk).
        public var missingShare = 0.002
        public var suspensionsPerThousandPupilDays = 0.6
        public var permanentPerThousandPupilDays = 0.02
        public var referralsPerThousandPupilDays = 0.5

        public init(schools: [LAESTAB], firstDay: LocalDate) {
            self.schools = schools
            self.firstDay = firstDay
        }
    }

    public struct Topics: Sendable {
        public var attendance = "frontdoor.attendance.v1"
        public var exclusions = "frontdoor.exclusions.v1"
        public var referrals = "frontdoor.referrals.v1"
        public init() {}
    }

    enum Pattern { case regular, persistent, severe, missing }

    struct Pupil {
        var upn: String
        var laestab: LAESTAB
        var yearGroup: Int
        var fsm: Bool
        var sen: String
        var cla: Bool
        var pattern: Pattern
        var dateOfBirth: LocalDate
        var givenName: String
        var familyName: String
    }

    public let options: Options
    public let calendar: SchoolCalendar

    public init(options: Options, calendar: SchoolCalendar) {
        self.options = options
        self.calendar = calendar
    }

    static let givenNames = [
        "Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Leo", "Freya", "Arthur",
        "Lily", "Muhammad", "Grace", "Harry", "Sophia", "Jack", "Evie", "Oscar", "Ivy", "Theo",
    ]
    static let familyNames = [
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts",
    ]
    static let suspensionReasons = ["PP", "PA", "VP", "VA", "BU", "RA", "DS", "SM", "DA", "DM", "TH", "DB", "MT", "OW", "PH"]

    /// The school days the feed covers: weekdays that are not bank holidays, from `firstDay`.
    public var days: [LocalDate] {
        var out: [LocalDate] = []
        var d = options.firstDay
        while out.count < options.schoolDays {
            if calendar.acceptsMarks(on: d) { out.append(d) }
            d = d.adding(days: 1)
        }
        return out
    }

    /// Generates every message, ordered by event time.
    public func generate() -> [SimulatedMessage] {
        var rng = SeededGenerator(seed: options.seed)
        let pupils = makePupils(&rng)
        var out: [SimulatedMessage] = []
        var eventCounter = 0
        func nextId(_ prefix: String) -> String {
            eventCounter += 1
            return "\(prefix)-\(options.seed)-\(eventCounter)"
        }
        let days = self.days
        for (dayIndex, day) in days.enumerated() {
            for pupil in pupils {
                for session in Session.allCases {
                    let (code, late) = registerCode(for: pupil, dayIndex: dayIndex, session: session, rng: &rng)
                    let time = timestamp(
                        day, hour: session == .am ? 9 : 13, minute: session == .am ? 5 : 35,
                        second: Int.random(in: 0..<3600, using: &rng))
                    out.append(
                        mark(
                            pupil, day, session, code, late, time: time, id: nextId("mark"),
                            withPupil: dayIndex == 0 && session == .am))
                    if code == "N" {
                        // Most N codes are amended within a few school days.
                        let amendDay = days[min(days.count - 1, dayIndex + Int.random(in: 1...3, using: &rng))]
                        let amended = rng.chance(0.7) ? "I" : "O"
                        let amendTime = timestamp(amendDay, hour: 16, minute: 0, second: Int.random(in: 0..<3600, using: &rng))
                        out.append(mark(pupil, day, session, amended, nil, time: amendTime, id: nextId("amend"), withPupil: false))
                    }
                }
                if rng.chance(options.suspensionsPerThousandPupilDays / 1000 * (pupil.pattern == .regular ? 0.5 : 4)) {
                    let sessions = [1, 2, 2, 4, 6, 10][Int.random(in: 0..<6, using: &rng)]
                    let excl = exclusion(pupil, day, category: "suspension", sessions: sessions, rng: &rng, id: nextId("excl"))
                    out.append(excl.message)
                    if rng.chance(0.1) {
                        out.append(rescind(pupil, excl.exclusionId, on: day, id: nextId("resc"), rng: &rng))
                    }
                }
                if rng.chance(options.permanentPerThousandPupilDays / 1000 * (pupil.pattern == .regular ? 0.5 : 4)) {
                    out.append(exclusion(pupil, day, category: "permanent", sessions: nil, rng: &rng, id: nextId("excl")).message)
                }
                let referralRate = options.referralsPerThousandPupilDays / 1000 * (pupil.pattern == .missing ? 60 : 1)
                if rng.chance(referralRate) {
                    out.append(contentsOf: referral(pupil, day, days: days, dayIndex: dayIndex, rng: &rng, id: nextId("ref")))
                }
            }
        }
        out.sort { ($0.time, $0.key) < ($1.time, $1.key) }
        return out
    }

    private func makePupils(_ rng: inout SeededGenerator) -> [Pupil] {
        precondition(!options.schools.isEmpty, "the simulator needs at least one school")
        var pupils: [Pupil] = []
        pupils.reserveCapacity(options.pupils)
        for i in 0..<options.pupils {
            let school = options.schools[i % options.schools.count]
            let perSchool = i / options.schools.count
            let yy = 10 + (perSchool / 1000) % 16
            let serial = perSchool % 1000
            func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
            let body = "886" + school.establishmentNumber + pad(yy, 2) + pad(serial, 3)
            let check = UPN.checkLetter(forBody: body)!
            let r = Double.random(in: 0..<1, using: &rng)
            let pattern: Pattern =
                r < options.missingShare
                ? .missing
                : r < options.missingShare + options.severeShare
                    ? .severe
                    : r < options.missingShare + options.severeShare + options.persistentShare ? .persistent : .regular
            let senRoll = Double.random(in: 0..<1, using: &rng)
            let yearGroup = Int.random(in: 1...11, using: &rng)
            let birthYear = options.firstDay.year - yearGroup - 5
            pupils.append(
                Pupil(
                    upn: String(check) + body, laestab: school, yearGroup: yearGroup,
                    fsm: rng.chance(pattern == .regular ? 0.22 : 0.45),
                    sen: senRoll < 0.04 ? "E" : senRoll < 0.17 ? "K" : "N",
                    cla: rng.chance(0.01), pattern: pattern,
                    dateOfBirth: LocalDate(year: birthYear, month: Int.random(in: 1...12, using: &rng), day: Int.random(in: 1...28, using: &rng))!,
                    givenName: FeedSimulator.givenNames.randomElement(using: &rng)!,
                    familyName: FeedSimulator.familyNames.randomElement(using: &rng)!))
        }
        return pupils
    }

    private func registerCode(for pupil: Pupil, dayIndex: Int, session: Session, rng: inout SeededGenerator) -> (String, Int?) {
        let absence: Double
        switch pupil.pattern {
        case .regular: absence = 0.04
        case .persistent: absence = 0.16
        case .severe: absence = 0.6
        case .missing: return (rng.chance(0.5) ? "O" : "G", nil)
        }
        if rng.chance(absence) {
            // Illness is the most common reason; term-time holiday and unexplained absence less so.
            let r = Double.random(in: 0..<1, using: &rng)
            switch r {
            case ..<0.55: return ("I", nil)
            case ..<0.65: return ("M", nil)
            case ..<0.75: return ("N", nil)
            case ..<0.83: return ("O", nil)
            case ..<0.90: return ("G", nil)
            case ..<0.94: return ("C", nil)
            case ..<0.97: return ("E", nil)
            default: return ("R", nil)
            }
        }
        if session == .am, rng.chance(0.03) { return ("L", Int.random(in: 3...25, using: &rng)) }
        if rng.chance(0.01) { return (["V", "P", "K"][Int.random(in: 0..<3, using: &rng)], nil) }
        return (session == .am ? "/" : "\\", nil)
    }

    private func timestamp(_ day: LocalDate, hour: Int, minute: Int, second: Int) -> Date {
        Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second))
    }

    private func source(_ laestab: LAESTAB) -> String { "urn:laestab:\(laestab.value)" }

    private func pupilJSON(_ p: Pupil, dateOfBirth: Bool = false) -> [String: Any] {
        var d: [String: Any] = ["yearGroup": p.yearGroup, "fsm": p.fsm, "sen": p.sen, "cla": p.cla]
        if dateOfBirth { d["dateOfBirth"] = p.dateOfBirth.description }
        return d
    }

    private func event(
        topic: String, key: String, type: String, source: String, id: String, time: Date, subject: String?, data: [String: Any]
    ) -> SimulatedMessage {
        var e: [String: Any] = [
            "specversion": "1.0", "id": id, "source": source, "type": type,
            "time": RFC3339.format(time), "data": data,
        ]
        if let subject { e["subject"] = subject }
        let bytes = try! JSONSerialization.data(withJSONObject: e, options: [.sortedKeys])
        return SimulatedMessage(topic: topic, key: key, value: Array(bytes), time: time)
    }

    private func mark(
        _ p: Pupil, _ day: LocalDate, _ session: Session, _ code: String, _ late: Int?, time: Date, id: String, withPupil: Bool
    ) -> SimulatedMessage {
        var data: [String: Any] = [
            "upn": p.upn, "laestab": p.laestab.value, "date": day.description,
            "session": session.rawValue, "code": code, "minutesLate": late ?? NSNull(),
        ]
        if withPupil { data["pupil"] = pupilJSON(p) }
        return event(
            topic: options.topics.attendance, key: p.upn, type: "attendance.mark.v1", source: source(p.laestab),
            id: id, time: time, subject: p.upn, data: data)
    }

    private func exclusion(
        _ p: Pupil, _ day: LocalDate, category: String, sessions: Int?, rng: inout SeededGenerator, id: String
    ) -> (message: SimulatedMessage, exclusionId: String) {
        let exclusionId = "EX-\(id)"
        var data: [String: Any] = [
            "exclusionId": exclusionId, "upn": p.upn, "laestab": p.laestab.value, "category": category,
            "reason": FeedSimulator.suspensionReasons.randomElement(using: &rng)!,
            "pupil": pupilJSON(p, dateOfBirth: true),
        ]
        if let sessions { data["sessions"] = sessions }
        let time = timestamp(day, hour: 15, minute: 30, second: Int.random(in: 0..<1800, using: &rng))
        // Exclusions start on the next day the school is open.
        var start = day.adding(days: 1)
        while !calendar.acceptsMarks(on: start) { start = start.adding(days: 1) }
        data["startDate"] = start.description
        return (
            event(
                topic: options.topics.exclusions, key: p.upn, type: "exclusion.issued.v1", source: source(p.laestab),
                id: id, time: time, subject: p.upn, data: data), exclusionId
        )
    }

    private func rescind(_ p: Pupil, _ exclusionId: String, on day: LocalDate, id: String, rng: inout SeededGenerator) -> SimulatedMessage {
        let outcomes = ["reinstated-by-governors", "withdrawn-by-headteacher", "independent-review"]
        let data: [String: Any] = [
            "exclusionId": exclusionId, "laestab": p.laestab.value, "upn": p.upn,
            "outcome": outcomes.randomElement(using: &rng)!, "effectiveDate": day.adding(days: 2).description,
        ]
        let time = timestamp(day.adding(days: 2), hour: 17, minute: 0, second: Int.random(in: 0..<600, using: &rng))
        return event(
            topic: options.topics.exclusions, key: p.upn, type: "exclusion.rescinded.v1", source: source(p.laestab),
            id: id, time: time, subject: p.upn, data: data)
    }

    private func referral(
        _ p: Pupil, _ day: LocalDate, days: [LocalDate], dayIndex: Int, rng: inout SeededGenerator, id: String
    ) -> [SimulatedMessage] {
        let reason: String =
            p.pattern == .missing
            ? "cme"
            : ["cme", "exclusion-risk", "persistent-absence", "attendance-concern", "reintegration"].randomElement(using: &rng)!
        let referralId = "DFD-\(id)"
        let kinds = ["school", "school", "school", "police", "health", "social-care", "early-help", "other"]
        var child: [String: Any] = [
            "givenName": p.givenName, "familyName": p.familyName, "dateOfBirth": p.dateOfBirth.description,
            "yearGroup": p.yearGroup, "fsm": p.fsm, "sen": p.sen, "cla": p.cla,
        ]
        if rng.chance(0.5) { child["postcode"] = "ME14 1XX" }
        var data: [String: Any] = [
            "referralId": referralId, "reason": reason,
            "referrer": ["kind": kinds.randomElement(using: &rng)!, "organisation": "Kent school or agency"],
            "child": child, "safeguardingConcern": rng.chance(0.15),
            "details": "Simulated referral; no real child.",
        ]
        // Agencies sometimes do not know the UPN.
        if rng.chance(0.85) { data["upn"] = p.upn }
        data["laestab"] = p.laestab.value
        if reason == "cme" { data["lastSeenDate"] = day.adding(days: -Int.random(in: 1...10, using: &rng)).description }
        let time = timestamp(day, hour: 11, minute: 0, second: Int.random(in: 0..<3600, using: &rng))
        var out = [
            event(
                topic: options.topics.referrals, key: referralId, type: "referral.received.v1",
                source: "urn:frontdoor:agency:digital-front-door", id: id, time: time, subject: data["upn"] as? String, data: data)
        ]
        // 87% of CME children found within two weeks (the report); resolve most referrals later in the feed.
        if dayIndex + 2 < days.count, rng.chance(reason == "cme" ? 0.87 : 0.6) {
            let resolvedOn = days[Int.random(in: (dayIndex + 1)..<days.count, using: &rng)]
            let outcome =
                reason == "cme"
                ? ["returned-to-school", "found-new-school", "moved-out-of-area", "elective-home-education"].randomElement(using: &rng)!
                : "no-further-action"
            out.append(
                event(
                    topic: options.topics.referrals, key: referralId, type: "referral.resolved.v1",
                    source: "urn:frontdoor:agency:digital-front-door", id: "\(id)-resolved",
                    time: timestamp(resolvedOn, hour: 16, minute: 30, second: 0), subject: nil,
                    data: ["referralId": referralId, "outcome": outcome, "resolvedOn": resolvedOn.description]))
        }
        return out
    }
}

extension FeedSimulator {
    /// Picks `count` schools spread across districts (round-robin over districts, then phases),
    /// so a small simulation still reaches every Early Help Unit.
    public static func spreadSchools(_ schools: [School], count: Int) -> [School] {
        let byDistrict = Dictionary(grouping: schools, by: \.district).mapValues { $0.sorted { $0.laestab < $1.laestab } }
        let districts = byDistrict.keys.sorted()
        var out: [School] = []
        var round = 0
        while out.count < min(count, schools.count) {
            var added = false
            for d in districts where out.count < count {
                if let list = byDistrict[d], round < list.count {
                    out.append(list[round])
                    added = true
                }
            }
            if !added { break }
            round += 1
        }
        return out
    }
}
