import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorStore
import FrontDoorWorkers

/// A two-year dataset for the outcomes report whose true figures are known by construction:
/// every event is generated here and the truth is tallied here, from the events, with this
/// file's own code-to-category table, rounding and school-day counts, never by the code under
/// test. It includes amendments (an `N` replaced by a later event, an amendment that arrives
/// before the mark it replaces, a tie on time broken by the larger id), a pupil who changes
/// school, a pupil with no possible session, a school not on the register, rescinded
/// exclusions, characteristics from the exclusion's snapshot and from the pupil's record,
/// CME referrals resolved on, before and after the 10th school day (one across the summer
/// holiday), and pupils whose attendance makes kent-2016 recommend a penalty notice.
final class ReportScenario {
    // Schools of Config/schools.csv (phase, district), and one not on the register.
    static let primaryAshford = "8862001"
    static let primaryCanterbury = "8862007"
    static let secondaryAshford = "8864001"
    static let secondaryCanterbury = "8864004"
    static let specialDartford = "8867003"
    static let unknownSchool = "8869990"

    /// The categories of domain.md's table for the codes used here (2024 set).
    static let category: [String: String] = [
        "/": "present", "\\": "present", "L": "present", "V": "attending", "K": "attending",
        "I": "authorised", "M": "authorised", "C": "authorised", "R": "authorised", "E": "authorised",
        "G": "unauthorised", "N": "unauthorised", "O": "unauthorised",
        "X": "not-counted", "#": "not-counted",
    ]

    struct Slot: Hashable {
        var upn: String
        var laestab: String
        var date: LocalDate
        var session: String
    }

    struct MarkVersion {
        var time: Date
        var id: String
        var code: String
    }

    struct Exclusion {
        var year: String
        var laestab: String
        var permanent: Bool
        var fsm: Bool
        var sen: String
        var rescinded: Bool
    }

    struct CME {
        var year: String
        var laestab: String?
        var resolved: Bool
        var found: Bool
    }

    enum Pattern { case regular, persistent, severe, candidate, notCounted }

    let config = ReportTestEnvironment.config
    var events: [ReportTestEvent] = []
    var marks: [Slot: [MarkVersion]] = [:]
    var cla: Set<String> = []
    /// Pupils with an `N` that was later replaced: the scenario keeps their attendance high so
    /// that whether a review is raised cannot depend on when the amendment is processed.
    var amendedPupils: Set<String> = []
    var exclusions: [Exclusion] = []
    var cme: [CME] = []
    private var serial = 0
    private var rng = SeededGenerator(seed: 20_170_601)

    // MARK: Building

    func upn(school: String) -> String {
        serial += 1
        let estab = String(school.suffix(4))
        let body = "886" + estab + "17" + String(format: "%03d", serial % 1000)
        return String(UPN.checkLetter(forBody: body)!) + body
    }

    static func at(_ d: LocalDate, _ hour: Int, _ minute: Int) -> Date {
        Date(timeIntervalSince1970: TimeInterval(d.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60))
    }

    /// `count` LA school days from `start` (Config/calendar).
    func schoolDays(from start: LocalDate, count: Int) -> [LocalDate] {
        var out: [LocalDate] = []
        var d = start
        while out.count < count {
            if config.calendar.isSchoolDay(d) { out.append(d) }
            d = d.adding(days: 1)
        }
        return out
    }

    func markEvent(
        _ upn: String, _ laestab: String, _ date: LocalDate, _ session: String, _ code: String, time: Date, id: String,
        pupil: [String: Any]? = nil
    ) {
        var data: [String: Any] = ["upn": upn, "laestab": laestab, "date": date.description, "session": session, "code": code]
        if code == "L" { data["minutesLate"] = 12 }
        if let pupil { data["pupil"] = pupil }
        events.append(
            ReportTestEvent(
                stream: .attendance, key: upn, id: id, source: "urn:laestab:\(laestab)", type: "attendance.mark.v1", time: time,
                subject: upn, data: data))
        marks[Slot(upn: upn, laestab: laestab, date: date, session: session), default: []].append(MarkVersion(time: time, id: id, code: code))
    }

    /// A pupil's register over `days` at `school`: one mark per session, codes by pattern.
    func register(_ upn: String, at school: String, days: [LocalDate], pattern: Pattern, pupil: [String: Any]) {
        for (i, day) in days.enumerated() {
            for (k, session) in ["AM", "PM"].enumerated() {
                let code = self.code(pattern, session: k)
                markEvent(
                    upn, school, day, session, code, time: Self.at(day, k == 0 ? 8 : 12, 5 + i % 7), id: "m-\(upn)-\(day)-\(session)",
                    pupil: i == 0 && k == 0 ? pupil : nil)
            }
        }
    }

    func code(_ pattern: Pattern, session k: Int) -> String {
        let r = Double.random(in: 0..<1, using: &rng)
        let present = k == 0 ? "/" : "\\"
        switch pattern {
        case .regular:
            return r < 0.02 ? "I" : r < 0.05 && k == 0 ? "L" : r < 0.07 ? "V" : present
        case .persistent:
            return r < 0.17 ? ["I", "M", "C", "R"][Int(r * 1000) % 4] : r < 0.2 ? "K" : present
        case .severe:
            return r < 0.62 ? ["I", "I", "M", "E"][Int(r * 1000) % 4] : present
        case .candidate:
            return r < 0.16 ? ["O", "G", "O"][Int(r * 1000) % 3] : r < 0.24 ? "I" : present
        case .notCounted:
            return "X"
        }
    }

    func characteristics(fsm: Bool, sen: String, cla: Bool = false) -> [String: Any] {
        ["yearGroup": 8, "fsm": fsm, "sen": sen, "cla": cla]
    }

    func exclusion(
        year: String, school: String, upn: String, permanent: Bool, start: LocalDate, snapshot: (fsm: Bool, sen: String)?,
        truth: (fsm: Bool, sen: String), rescind: Bool = false
    ) {
        serial += 1
        let id = "EX-\(serial)"
        var data: [String: Any] = [
            "exclusionId": id, "upn": upn, "laestab": school, "category": permanent ? "permanent" : "suspension",
            "startDate": start.description, "reason": "PP",
        ]
        if !permanent { data["sessions"] = 4 }
        if let snapshot { data["pupil"] = ["yearGroup": 9, "fsm": snapshot.fsm, "sen": snapshot.sen, "cla": false] }
        let issued = Self.at(start.adding(days: -1), 14, 30)
        events.append(
            ReportTestEvent(
                stream: .exclusions, key: upn, id: "x-\(id)", source: "urn:laestab:\(school)", type: "exclusion.issued.v1", time: issued,
                subject: upn, data: data))
        if rescind {
            events.append(
                ReportTestEvent(
                    stream: .exclusions, key: upn, id: "r-\(id)", source: "urn:laestab:\(school)", type: "exclusion.rescinded.v1",
                    time: issued.addingTimeInterval(3 * 86_400), subject: upn,
                    data: [
                        "exclusionId": id, "laestab": school, "upn": upn, "outcome": "reinstated-by-governors",
                        "effectiveDate": start.adding(days: 3).description,
                    ]))
        }
        exclusions.append(Exclusion(year: year, laestab: school, permanent: permanent, fsm: truth.fsm, sen: truth.sen, rescinded: rescind))
    }

    /// A referral received at 10:00 UTC on `received` (the same date in London); resolved on
    /// `resolvedOn` with `outcome` if given. `foundBy` is the 10th LA school day after
    /// `received`, counted by hand in the caller.
    func referral(
        year: String, reason: String = "cme", school: String?, received: LocalDate, resolvedOn: LocalDate?, outcome: String?,
        foundBy: LocalDate
    ) {
        serial += 1
        let id = "DFD-\(serial)"
        var data: [String: Any] = [
            "referralId": id, "reason": reason, "referrer": ["kind": "school", "organisation": "Report test school"],
            "child": ["givenName": "Child\(serial)", "familyName": "Report", "dateOfBirth": "2014-03-\(String(format: "%02d", serial % 28 + 1))"],
            "safeguardingConcern": false,
        ]
        if let school { data["laestab"] = school }
        let source = "urn:frontdoor:agency:digital-front-door"
        events.append(
            ReportTestEvent(
                stream: .referrals, key: id, id: "in-\(id)", source: source, type: "referral.received.v1",
                time: Self.at(received, 10, 0), subject: nil, data: data))
        if let resolvedOn, let outcome {
            events.append(
                ReportTestEvent(
                    stream: .referrals, key: id, id: "out-\(id)", source: source, type: "referral.resolved.v1",
                    time: Self.at(resolvedOn, 15, 0), subject: nil,
                    data: ["referralId": id, "outcome": outcome, "resolvedOn": resolvedOn.description]))
        }
        if reason == "cme" {
            let found = resolvedOn.map { $0 <= foundBy } ?? false && outcome != "not-found"
            cme.append(CME(year: year, laestab: school, resolved: resolvedOn != nil, found: found))
        }
    }

    // MARK: The two years

    static func make() -> ReportScenario {
        let s = ReportScenario()
        s.buildYear(startYear: 2025)
        s.buildYear(startYear: 2026)
        s.buildExclusionsAndReferrals()
        return s
    }

    var laterFsmPupil = ""
    var fallbackFsmPupil = ""
    var fallbackSenPupil = ""

    func buildYear(startYear: Int) {
        let days = schoolDays(from: LocalDate(year: startYear, month: 9, day: 8)!, count: 24)
        let A = Self.primaryAshford
        let B = Self.primaryCanterbury
        let C = Self.secondaryAshford
        let D = Self.secondaryCanterbury
        let S = Self.specialDartford
        let U = Self.unknownSchool
        var regular: [String] = []
        for school in [A, B, C, D, A, B, C, D, A, B, C, D, A, B, C, D, S, S, U, U] {
            let p = upn(school: school)
            register(p, at: school, days: days, pattern: .regular, pupil: characteristics(fsm: serial % 5 == 0, sen: "N"))
            regular.append(p)
        }
        for school in [A, C, D] {
            register(upn(school: school), at: school, days: days, pattern: .persistent, pupil: characteristics(fsm: true, sen: "K"))
        }
        for school in [B, C] {
            register(upn(school: school), at: school, days: days, pattern: .severe, pupil: characteristics(fsm: true, sen: "N"))
        }
        for school in startYear == 2025 ? [A, C] : [A, D, U] {
            register(upn(school: school), at: school, days: days, pattern: .candidate, pupil: characteristics(fsm: false, sen: "N"))
        }
        if startYear == 2026 {
            // Looked after: kent-2016 never recommends a notice (a task for the liaison officer instead).
            let p = upn(school: C)
            cla.insert(p)
            register(p, at: C, days: days, pattern: .candidate, pupil: characteristics(fsm: false, sen: "N", cla: true))
        }
        // No possible session at all: not an enrolment for the absence rates, but its sessions are recorded.
        register(upn(school: B), at: B, days: Array(days.prefix(5)), pattern: .notCounted, pupil: characteristics(fsm: false, sen: "N"))
        // Changes school half way: persistently absent at the first, attends well at the second.
        let mover = upn(school: A)
        register(mover, at: A, days: Array(days.prefix(12)), pattern: .persistent, pupil: characteristics(fsm: false, sen: "N"))
        register(mover, at: B, days: Array(days.suffix(12)), pattern: .regular, pupil: characteristics(fsm: false, sen: "N"))

        // Amendments of the registers of four regular pupils.
        // 1. An N replaced by I three days later.
        amend(regular[0], days, day: 5, "AM", first: ("N", 0), then: ("I", 3))
        // 2. An N replaced by O (still unauthorised).
        amend(regular[5], days, day: 6, "PM", first: ("N", 0), then: ("O", 2))
        // 3. The amendment (I) arrives before the N it replaces: the later time wins whatever the order.
        amend(regular[10], days, day: 7, "AM", first: ("I", 2), then: ("N", 0))
        // 4. Two events with the same time: the larger id (M) counts, though it arrives first.
        let time = Self.at(days[3], 8, 30)
        replace(regular[15], date: days[3], "AM", with: [("M", time, "t-\(regular[15])-b"), ("/", time, "t-\(regular[15])-a")])
        amendedPupils.formUnion([regular[0], regular[5], regular[10], regular[15]])

        if startYear == 2026 {
            // Pupils whose exclusions take their characteristics from the pupil's record.
            fallbackFsmPupil = upn(school: D)
            register(fallbackFsmPupil, at: D, days: days, pattern: .regular, pupil: characteristics(fsm: true, sen: "N"))
            fallbackSenPupil = upn(school: B)
            register(fallbackSenPupil, at: B, days: days, pattern: .regular, pupil: characteristics(fsm: false, sen: "K"))
            // Reported not FSM with the exclusion, FSM on a later mark: the exclusion's snapshot counts.
            laterFsmPupil = upn(school: U)
            register(laterFsmPupil, at: U, days: Array(days.prefix(23)), pattern: .regular, pupil: characteristics(fsm: false, sen: "N"))
            markEvent(
                laterFsmPupil, U, days[23], "AM", "/", time: Self.at(days[23], 8, 5), id: "m-\(laterFsmPupil)-\(days[23])-AM",
                pupil: characteristics(fsm: true, sen: "N"))
            markEvent(laterFsmPupil, U, days[23], "PM", "\\", time: Self.at(days[23], 12, 5), id: "m-\(laterFsmPupil)-\(days[23])-PM")
        }
    }

    /// Replaces the mark of `upn` on `days[day]` `session`: sends `first`, then `then`, each at
    /// 16:00 that many school days after the mark's date (0: the mark's own time and id).
    func amend(_ upn: String, _ days: [LocalDate], day: Int, _ session: String, first: (String, Int), then: (String, Int)) {
        func version(_ i: Int, _ v: (String, Int)) -> (String, Date, String) {
            let (code, offset) = v
            return offset == 0
                ? (code, Self.at(days[day], session == "AM" ? 8 : 12, 5 + day % 7), "m-\(upn)-\(days[day])-\(session)")
                : (code, Self.at(days[day + offset], 16, 0), "a\(i)-\(upn)-\(days[day])-\(session)")
        }
        replace(upn, date: days[day], session, with: [version(0, first), version(1, then)])
    }

    /// Takes the pupil's mark for the slot out of the feed and sends `versions` instead, in that order.
    func replace(_ upn: String, date: LocalDate, _ session: String, with versions: [(code: String, time: Date, id: String)]) {
        guard let slot = marks.keys.first(where: { $0.upn == upn && $0.date == date && $0.session == session }) else {
            fatalError("no mark to replace")
        }
        let originalId = "\"m-\(upn)-\(date)-\(session)\""
        events.removeAll { $0.key == upn && String(decoding: $0.bytes, as: UTF8.self).contains(originalId) }
        marks[slot] = []
        for v in versions { markEvent(upn, slot.laestab, date, session, v.code, time: v.time, id: v.id) }
    }

    func buildExclusionsAndReferrals() {
        let A = Self.primaryAshford
        let B = Self.primaryCanterbury
        let C = Self.secondaryAshford
        let D = Self.secondaryCanterbury
        let U = Self.unknownSchool
        let y25 = "2025/26"
        let y26 = "2026/27"
        func d(_ y: Int, _ m: Int, _ day: Int) -> LocalDate { LocalDate(year: y, month: m, day: day)! }

        // 2025/26: ten permanent exclusions, 7 FSM (70.0%), 2 SEN support (20.0%), 1 EHC plan (10.0%).
        let perm25: [(String, Bool, String)] = [
            (A, true, "N"), (A, true, "K"), (B, true, "E"), (C, true, "N"), (C, true, "N"), (D, true, "K"), (D, true, "N"),
            (U, false, "N"), (B, false, "N"), (C, false, "N"),
        ]
        for (i, (school, fsm, sen)) in perm25.enumerated() {
            exclusion(
                year: y25, school: school, upn: upn(school: school), permanent: true, start: d(2025, 10, 6 + i % 5),
                snapshot: (fsm, sen), truth: (fsm, sen))
        }
        for (i, school) in [A, B, C, D, A, C, D].enumerated() {
            exclusion(
                year: y25, school: school, upn: upn(school: school), permanent: false, start: d(2025, 9, 22 + i % 5),
                snapshot: (false, "N"), truth: (false, "N"))
        }
        // A suspension late in the year still belongs to 2025/26; a rescinded one counts nowhere.
        exclusion(year: y25, school: C, upn: upn(school: C), permanent: false, start: d(2026, 7, 15), snapshot: (true, "N"), truth: (true, "N"))
        exclusion(
            year: y25, school: D, upn: upn(school: D), permanent: false, start: d(2025, 9, 29), snapshot: (true, "K"),
            truth: (true, "K"), rescind: true)

        // 2026/27: sixteen permanent exclusions (13 here, 3 below): FSM 5 (31.25 → 31.3), SEN support 3 (18.75 → 18.8),
        // EHC plan 1 (6.25 → 6.3: half up, where half-even would give 6.2).
        let start26 = d(2026, 9, 23)
        let perm26: [(String, Bool, String)] = [
            (A, true, "N"), (A, true, "K"), (C, true, "E"), (C, false, "K"), (D, false, "N"), (U, false, "N"), (A, true, "N"),
            (C, false, "N"), (D, false, "N"), (B, false, "N"), (B, false, "N"), (D, false, "N"), (A, false, "N"),
        ]
        for (school, fsm, sen) in perm26 {
            exclusion(year: y26, school: school, upn: upn(school: school), permanent: true, start: start26, snapshot: (fsm, sen), truth: (fsm, sen))
        }
        // No snapshot: the pupil's record (FSM; SEN support).
        exclusion(year: y26, school: D, upn: fallbackFsmPupil, permanent: true, start: start26, snapshot: nil, truth: (true, "N"))
        exclusion(year: y26, school: B, upn: fallbackSenPupil, permanent: true, start: start26, snapshot: nil, truth: (false, "K"))
        // Snapshot "not FSM" though the pupil's record says FSM by the end: the snapshot counts.
        exclusion(year: y26, school: U, upn: laterFsmPupil, permanent: true, start: start26, snapshot: (false, "N"), truth: (false, "N"))
        // Rescinded: an FSM pupil with an EHC plan, which would change every share if it counted.
        exclusion(
            year: y26, school: A, upn: upn(school: A), permanent: true, start: start26, snapshot: (true, "E"), truth: (true, "E"),
            rescind: true)
        for school in [A, C, D, B, U] {
            exclusion(
                year: y26, school: school, upn: upn(school: school), permanent: false, start: d(2026, 10, 5), snapshot: (false, "N"),
                truth: (false, "N"))
        }
        exclusion(
            year: y26, school: C, upn: upn(school: C), permanent: false, start: d(2026, 10, 6), snapshot: (false, "N"),
            truth: (false, "N"), rescind: true)

        // CME referrals. "Found by" is the 10th LA school day after the day received, counted
        // by hand from Config/calendar (INSET days 1–2 September, half terms from late October).
        // 2025/26: received Mon 15 Sep 2025 → 16,17,18,19,22,23,24,25,26,29 → 29 Sep.
        referral(
            year: y25, school: A, received: d(2025, 9, 15), resolvedOn: d(2025, 9, 29), outcome: "returned-to-school",
            foundBy: d(2025, 9, 29))
        referral(
            year: y25, school: C, received: d(2025, 9, 16), resolvedOn: d(2025, 9, 17), outcome: "returned-to-school",
            foundBy: d(2025, 9, 30))
        referral(year: y25, school: D, received: d(2025, 9, 17), resolvedOn: nil, outcome: nil, foundBy: d(2025, 10, 1))
        // Received Mon 20 Jul 2026 (2025/26), two days before the summer holiday: 21, 22 Jul, then
        // 3, 4, 7, 8, 9, 10, 11, 14 Sep 2026 (1–2 Sep are INSET days) → 14 Sep. Found on 11 Sep:
        // within two weeks of school, though 53 calendar days later.
        referral(
            year: y25, school: B, received: d(2026, 7, 20), resolvedOn: d(2026, 9, 11), outcome: "found-new-school",
            foundBy: d(2026, 9, 14))
        // 2026/27: received Mon 14 Sep 2026 → 15,16,17,18,21,22,23,24,25,28 → 28 Sep.
        referral(
            year: y26, school: A, received: d(2026, 9, 14), resolvedOn: d(2026, 9, 28), outcome: "returned-to-school",
            foundBy: d(2026, 9, 28))
        referral(
            year: y26, school: C, received: d(2026, 9, 14), resolvedOn: d(2026, 9, 29), outcome: "returned-to-school",
            foundBy: d(2026, 9, 28))
        referral(year: y26, school: B, received: d(2026, 9, 15), resolvedOn: d(2026, 9, 16), outcome: "not-found", foundBy: d(2026, 9, 29))
        referral(year: y26, school: D, received: d(2026, 9, 16), resolvedOn: nil, outcome: nil, foundBy: d(2026, 9, 30))
        referral(
            year: y26, school: nil, received: d(2026, 9, 17), resolvedOn: d(2026, 9, 18), outcome: "moved-out-of-area",
            foundBy: d(2026, 10, 1))
        // Received Mon 21 Sep → 22,23,24,25,28,29,30 Sep, 1, 2, 5 Oct → 5 Oct.
        referral(
            year: y26, school: U, received: d(2026, 9, 21), resolvedOn: d(2026, 10, 2), outcome: "elective-home-education",
            foundBy: d(2026, 10, 5))
        // Not a CME referral: in no CME figure.
        referral(
            year: y26, reason: "attendance-concern", school: A, received: d(2026, 9, 22), resolvedOn: d(2026, 9, 23),
            outcome: "no-further-action", foundBy: d(2026, 10, 6))
    }

    // MARK: The truth

    /// The mark that counts in each slot: latest time, ties the larger id.
    var counting: [Slot: String] {
        marks.compactMapValues { versions in
            versions.max { a, b in a.time != b.time ? a.time < b.time : a.id < b.id }?.code
        }
    }

    func district(_ laestab: String?) -> String {
        guard let l = laestab, let school = config.register.schools.first(where: { $0.laestab.value == l }) else { return "unassigned" }
        return school.district
    }

    func phase(_ laestab: String) -> String? {
        config.register.schools.first(where: { $0.laestab.value == laestab })?.phase.rawValue
    }

    /// kent-2016 (domain.md): per pupil, the marks that count in date and session order; the
    /// first unauthorised session with at least 20 possible sessions so far in the year and
    /// attendance so far at or below 90% raises a review (none for a looked-after child; then
    /// no other while it is open, and no decision is ever sent here). No session of this
    /// scenario falls in an exam period. Returns the (year, school) of each review.
    func reviews() -> [(year: String, laestab: String)] {
        var out: [(String, String)] = []
        let byPupil = Dictionary(grouping: counting, by: { $0.key.upn })
        for (upn, slots) in byPupil where !cla.contains(upn) {
            let ordered = slots.sorted { ($0.key.date, $0.key.session, $0.key.laestab) < ($1.key.date, $1.key.session, $1.key.laestab) }
            var year: AcademicYear?
            var possible = 0
            var attended = 0
            for (slot, code) in ordered {
                let y = AcademicYear(containing: slot.date)
                if y != year { (year, possible, attended) = (y, 0, 0) }
                let cat = Self.category[code]!
                if cat != "not-counted" { possible += 1 }
                if cat == "present" || cat == "attending" { attended += 1 }
                if cat == "unauthorised" && possible >= 20 && attended * 10 <= possible * 9 {
                    out.append((y.description, slot.laestab))
                    break
                }
            }
        }
        return out
    }

    /// Whether every amended pupil's attendance stays above 90% after 20 possible sessions
    /// whichever version of each slot counts (so the review count cannot depend on timing).
    func amendedPupilsStayAboveThreshold() -> Bool {
        for upn in amendedPupils {
            let slots = marks.filter { $0.key.upn == upn }.sorted { ($0.key.date, $0.key.session) < ($1.key.date, $1.key.session) }
            var possible = 0
            var absentWorst = 0
            for (_, versions) in slots {
                let cats = versions.map { Self.category[$0.code]! }
                if cats.contains(where: { $0 != "not-counted" }) { possible += 1 }
                if cats.contains(where: { $0 == "authorised" || $0 == "unauthorised" }) { absentWorst += 1 }
                // Only an unauthorised session can raise a review.
                if cats.contains("unauthorised") && possible >= 20 && (possible - absentWorst) * 10 <= possible * 9 {
                    print("amended pupil \(upn): \(possible - absentWorst) of \(possible) at an unauthorised session")
                    return false
                }
            }
        }
        return true
    }

    /// Half up to one decimal place, with integers only.
    static func pct(_ part: Int, _ whole: Int) -> Decimal? {
        whole == 0 ? nil : Decimal((2000 * part + whole) / (2 * whole)) / 10
    }

    /// The figures the report must show for `year`, per district and county-wide.
    func expected(_ year: AcademicYear, districts: [String]) -> YearOutcomes {
        struct Tally {
            var recorded = 0, primaryAttended = 0, primaryPossible = 0, secondaryAttended = 0, secondaryPossible = 0
            var attended = 0, possible = 0, enrolments = 0, persistent = 0, severe = 0
            var reasons: [String: Int] = [:]
            var permanent = 0, suspensions = 0, fsm = 0, senSupport = 0, ehcp = 0
            var reported = 0, resolved = 0, found = 0
            var reviews = 0

            var outcomes: DistrictOutcomes {
                DistrictOutcomes(
                    attendance: AttendanceOutcomes(
                        primaryPct: ReportScenario.pct(primaryAttended, primaryPossible),
                        secondaryPct: ReportScenario.pct(secondaryAttended, secondaryPossible),
                        overallPct: ReportScenario.pct(attended, possible),
                        persistentAbsenceRatePct: ReportScenario.pct(persistent, enrolments),
                        severeAbsenceRatePct: ReportScenario.pct(severe, enrolments), sessionsRecorded: recorded),
                    absenceReasons: reasons,
                    exclusions: ExclusionOutcomes(
                        permanent: permanent, suspensions: suspensions, permanentFsmPct: ReportScenario.pct(fsm, permanent),
                        permanentSenSupportPct: ReportScenario.pct(senSupport, permanent),
                        permanentEhcpPct: ReportScenario.pct(ehcp, permanent)),
                    cme: CMEOutcomes(
                        reported: reported, resolved: resolved, foundWithinTwoWeeksPct: ReportScenario.pct(found, reported)),
                    enforcementReviews: reviews)
            }
        }
        var tallies: [String: Tally] = [:]
        for d in districts { tallies[d] = Tally() }
        var county = Tally()
        func add(_ district: String, _ body: (inout Tally) -> Void) {
            body(&county)
            body(&tallies[district, default: Tally()])
        }

        struct Enrolment: Hashable {
            var upn: String
            var laestab: String
        }
        var enrolments: [Enrolment: (possible: Int, absent: Int)] = [:]
        for (slot, code) in counting where year.contains(slot.date) {
            let cat = Self.category[code]!
            let present = cat == "present" || cat == "attending"
            let possible = cat != "not-counted"
            let absent = cat == "authorised" || cat == "unauthorised"
            let phase = self.phase(slot.laestab)
            add(district(slot.laestab)) { t in
                t.recorded += 1
                if possible { t.possible += 1 }
                if present { t.attended += 1 }
                if phase == "primary" {
                    if possible { t.primaryPossible += 1 }
                    if present { t.primaryAttended += 1 }
                }
                if phase == "secondary" {
                    if possible { t.secondaryPossible += 1 }
                    if present { t.secondaryAttended += 1 }
                }
                if absent { t.reasons[code, default: 0] += 1 }
            }
            let e = Enrolment(upn: slot.upn, laestab: slot.laestab)
            enrolments[e, default: (0, 0)].possible += possible ? 1 : 0
            enrolments[e, default: (0, 0)].absent += absent ? 1 : 0
        }
        for (e, n) in enrolments where n.possible > 0 {
            add(district(e.laestab)) { t in
                t.enrolments += 1
                if n.absent * 10 >= n.possible { t.persistent += 1 }
                if n.absent * 2 >= n.possible { t.severe += 1 }
            }
        }
        for x in exclusions where x.year == year.description && !x.rescinded {
            add(district(x.laestab)) { t in
                if x.permanent {
                    t.permanent += 1
                    if x.fsm { t.fsm += 1 }
                    if x.sen == "K" { t.senSupport += 1 }
                    if x.sen == "E" { t.ehcp += 1 }
                } else {
                    t.suspensions += 1
                }
            }
        }
        for c in cme where c.year == year.description {
            add(district(c.laestab)) { t in
                t.reported += 1
                if c.resolved { t.resolved += 1 }
                if c.found { t.found += 1 }
            }
        }
        for r in reviews() where r.year == year.description {
            add(district(r.laestab)) { t in t.reviews += 1 }
        }
        return YearOutcomes(academicYear: year.description, figures: county.outcomes, byDistrict: tallies.mapValues(\.outcomes))
    }

    /// `current − previous` field by field, written out here rather than taken from the code under test.
    static func difference(_ c: DistrictOutcomes, _ p: DistrictOutcomes) -> DistrictOutcomes {
        func d(_ a: Decimal?, _ b: Decimal?) -> Decimal? {
            guard let a, let b else { return nil }
            return a - b
        }
        var reasons: [String: Int] = [:]
        for code in Set(c.absenceReasons.keys).union(p.absenceReasons.keys) {
            reasons[code] = (c.absenceReasons[code] ?? 0) - (p.absenceReasons[code] ?? 0)
        }
        let ca = c.attendance
        let pa = p.attendance
        let cx = c.exclusions
        let px = p.exclusions
        return DistrictOutcomes(
            attendance: AttendanceOutcomes(
                primaryPct: d(ca.primaryPct, pa.primaryPct), secondaryPct: d(ca.secondaryPct, pa.secondaryPct),
                overallPct: d(ca.overallPct, pa.overallPct),
                persistentAbsenceRatePct: d(ca.persistentAbsenceRatePct, pa.persistentAbsenceRatePct),
                severeAbsenceRatePct: d(ca.severeAbsenceRatePct, pa.severeAbsenceRatePct),
                sessionsRecorded: ca.sessionsRecorded - pa.sessionsRecorded),
            absenceReasons: reasons,
            exclusions: ExclusionOutcomes(
                permanent: cx.permanent - px.permanent, suspensions: cx.suspensions - px.suspensions,
                permanentFsmPct: d(cx.permanentFsmPct, px.permanentFsmPct),
                permanentSenSupportPct: d(cx.permanentSenSupportPct, px.permanentSenSupportPct),
                permanentEhcpPct: d(cx.permanentEhcpPct, px.permanentEhcpPct)),
            cme: CMEOutcomes(
                reported: c.cme.reported - p.cme.reported, resolved: c.cme.resolved - p.cme.resolved,
                foundWithinTwoWeeksPct: d(c.cme.foundWithinTwoWeeksPct, p.cme.foundWithinTwoWeeksPct)),
            enforcementReviews: c.enforcementReviews - p.enforcementReviews)
    }
}
