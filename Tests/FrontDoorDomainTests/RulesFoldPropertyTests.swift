import Foundation
import PropertyBased
import Testing

@testable import FrontDoorDomain

/// Issue 10 item 2: the full replay is the oracle of the fold. Random registers (random codes,
/// amendments, duplicates, out-of-order arrivals, a school move and dual registration, `N`s
/// amended later, a summer holiday into a new academic year, characteristics that change)
/// arrive in random batches; after every batch the fold over bounded state must have decided
/// exactly what the replay of every event so far decides: the same notifications and audit
/// entries (by id, with the value first decided), the same statistics, and a state equal to
/// the one recomputed from all the marks (what `frontdoor verify` checks).
@Suite("Rules: the fold over enrolment state decides what the full replay decides")
struct RulesFoldPropertyTests {
    typealias F = RulesFixtures
    typealias SplitMix = RulesReplayPropertyTests.SplitMix

    static let codes = ["/", "/", "/", "L", "G", "N", "N", "O", "I", "M", "U", "B", "X", "#", "C", "/", "G", "N"]
    static let amendmentCodes = ["/", "I", "G", "N", "M", "O", "L", "C", "U"]
    static let cmeCases = [CMECasePeriod(opened: F.date("2026-11-16"), resolved: F.date("2026-11-27"))]

    /// The weekdays from `start`: schools mark on any weekday, so the register runs through the
    /// summer holiday into the next academic year as an academy's may.
    static func weekdays(from start: String, count: Int) -> [LocalDate] {
        var days: [LocalDate] = []
        var d = F.date(start)
        while days.count < count {
            if d.isoWeekday <= 5 { days.append(d) }
            d = d.adding(days: 1)
        }
        return days
    }

    /// A random register of one pupil and the order it arrives in (each event with its
    /// arrival rank), from `seed`.
    static func stream(seed: Int, days count: Int, start: String, codes: [String] = codes) -> [MarkEvent] {
        var rng = SplitMix(state: UInt64(truncatingIfNeeded: seed))
        func pick<T>(_ a: [T]) -> T { a[Int.random(in: 0..<a.count, using: &rng)] }
        // Runs of one code make the thresholds and CME runs reachable and leave them again.
        var code = pick(codes)
        var events: [(arrival: Double, event: MarkEvent)] = []
        let days = weekdays(from: start, count: count)
        let moveDay = Int.random(in: 0..<(2 * count), using: &rng)  // the pupil moves to Dover (maybe never)
        for (i, d) in days.enumerated() {
            for session in Session.allCases {
                if Int.random(in: 0..<5, using: &rng) == 0 { code = pick(codes) }
                let school = i >= moveDay ? F.doverSchool : F.ashfordSchool
                let e = F.mark(d, session, code, school: school)
                // Mostly on the day; sometimes days late (out of order); rarely weeks late (a recompute).
                var arrival = Double(i)
                switch Int.random(in: 0..<40, using: &rng) {
                case 0..<4: arrival += Double(Int.random(in: 1...6, using: &rng))
                case 4: arrival += Double(Int.random(in: 12...30, using: &rng))
                default: break
                }
                events.append((arrival, e))
                if Int.random(in: 0..<25, using: &rng) == 0 {
                    // Dual registration: the other school marks the same session.
                    let other = school == F.ashfordSchool ? F.doverSchool : F.ashfordSchool
                    events.append((arrival, F.mark(d, session, pick(["D", "/", "N", "B"]), school: other)))
                }
                if Int.random(in: 0..<12, using: &rng) == 0 {
                    events.append((arrival + Double(Int.random(in: 0...3, using: &rng)), e))  // re-sent
                }
                if Int.random(in: 0..<8, using: &rng) == 0 {
                    // An amendment (an N settled, a correction), a tie on time, or a stale one that loses.
                    var a = F.mark(d, session, pick(amendmentCodes), school: school)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0, 1:
                        a.time = e.time.addingTimeInterval(Double(3600 * Int.random(in: 1...120, using: &rng)))
                        a.id = "amend-\(i)-\(session)"
                    case 2:
                        a.time = e.time
                        a.id = e.id + "~"
                    default:
                        a.time = e.time.addingTimeInterval(-600)
                        a.id = "stale-\(i)-\(session)"
                    }
                    events.append((arrival + Double(Int.random(in: 0...8, using: &rng)), a))
                }
            }
        }
        return events.sorted { $0.arrival < $1.arrival }.map(\.event)
    }

    /// Random batch boundaries over `events`.
    static func batches(_ events: [MarkEvent], seed: Int) -> [[MarkEvent]] {
        var rng = SplitMix(state: UInt64(truncatingIfNeeded: seed) ^ 0xABCD)
        var out: [[MarkEvent]] = []
        var i = 0
        while i < events.count {
            let n = Int.random(in: 1...30, using: &rng)
            out.append(Array(events[i..<min(events.count, i + n)]))
            i += n
        }
        return out
    }

    /// A notification or an audit entry, compared whole.
    enum Effect: Hashable {
        case notification(EarlyHelpNotification)
        case audit(AuditEntry)
    }

    /// What the replay decides from `events`: every year with marks, as the attendance
    /// worker judged a pupil before issue 10.
    static func replay(
        _ events: [MarkEvent], pupil: PupilProfile, context: RuleContext
    )
        -> (effects: [String: Effect], statistics: [AcademicYear: AttendanceStatistics])
    {
        let marks = AttendanceRules.marksThatCount(events)
        let pending = NGrace.pending(marks, graceDays: context.config.nGraceSchoolDays)
        var effects: [String: Effect] = [:]
        var statistics: [AcademicYear: AttendanceStatistics] = [:]
        for year in Set(marks.map { AcademicYear(containing: $0.date) }) {
            let a = AttendanceRules.assess(upn: F.pupil, marks: marks, academicYear: year, pupil: pupil, context: context)
            let c = CMERiskRule.evaluate(
                upn: F.pupil, marks: marks, academicYear: year, pupil: pupil, cmeCases: cmeCases, context: context,
                pending: pending)
            statistics[year] = a.statistics
            for n in a.notifications + c.notifications { effects[n.notificationId] = .notification(n) }
            for e in a.audit + c.audit { effects[e.auditId] = .audit(e) }
        }
        return (effects, statistics)
    }

    /// One stream through the fold and the replay, batch by batch.
    static func check(seed: Int, days: Int, start: String, profileChangeAt: Int) {
        let context = F.context()
        let events = Self.stream(seed: seed, days: days, start: start)
        var states: [EnrolmentState] = []
        var seen: [MarkEvent] = []
        var replayed: [String: Effect] = [:]
        var folded: [String: Effect] = [:]
        var recomputes = 0
        for (k, batch) in batches(events, seed: seed).enumerated() {
            seen += batch
            let pupil = PupilProfile(fsm: k >= profileChangeAt, sen: .none)
            let inputs = EnrolmentInputs(pupil: pupil, cmeCases: cmeCases)
            let years = Set(batch.map { AcademicYear(containing: $0.date) })
            let outcome: PupilFoldOutcome
            switch PupilAttendanceFold.apply(
                upn: F.pupil, states: states, marks: batch, years: years, inputs: inputs, context: context)
            {
            case .success(let o):
                outcome = o
            case .failure(let r):
                recomputes += 1
                let firstYear = ([r.from] + states.map(\.firstYear)).min() ?? r.from
                let from = AttendanceLookback.from(firstYear, context: context)
                outcome = PupilAttendanceFold.recompute(
                    upn: F.pupil, marks: AttendanceRules.marksThatCount(seen).filter { $0.date >= from }, rollFacts: [],
                    states: states, firstYear: firstYear, years: years, inputs: inputs, context: context)
            }
            for s in outcome.states {
                states.removeAll { $0.enrolment == s.enrolment }
                // Through the stored (binary) form, as the worker keeps it between batches.
                guard let stored = try? EnrolmentState(packed: s.packed()) else {
                    Issue.record("after batch \(k): a state does not decode from its packed form")
                    return
                }
                #expect(stored == s)
                states.append(stored)
            }
            let oracle = replay(seen, pupil: pupil, context: context)
            for (id, v) in oracle.effects where replayed[id] == nil { replayed[id] = v }
            for n in outcome.effects.notifications where folded[n.notificationId] == nil {
                folded[n.notificationId] = .notification(n)
            }
            for e in outcome.effects.audit where folded[e.auditId] == nil { folded[e.auditId] = .audit(e) }
            let differing = Set(folded.keys).union(replayed.keys).filter { folded[$0] != replayed[$0] }
            func describe(_ e: Effect?) -> String { e.map(String.init(describing:)) ?? "none" }
            #expect(
                differing.isEmpty, "after batch \(k): \(differing.map { describe(folded[$0]) + " ≠ " + describe(replayed[$0]) })")
            for s in outcome.statistics {
                #expect(s == oracle.statistics[s.academicYear] ?? AttendanceStatistics(academicYear: s.academicYear))
            }
            if !differing.isEmpty { return }
        }
        // The state is the one recomputed from every mark (frontdoor verify).
        let pupil = PupilProfile(fsm: batches(events, seed: seed).count - 1 >= profileChangeAt)
        let inputs = EnrolmentInputs(pupil: pupil, cmeCases: cmeCases)
        for s in states {
            let again = EnrolmentFold.recompute(
                enrolment: s.enrolment, marks: AttendanceRules.marksThatCount(seen), firstYear: s.firstYear, inputs: inputs,
                context: context)
            #expect(again.state == s)
            // Bounded: the window holds at most its school days' marks (two sessions, one school).
            #expect(Set(s.window.map(\.date)).count <= EnrolmentFold.windowSchoolDays(context))
        }
    }

    @Test("fold: random registers in random batches give the replay's notifications, audit, statistics and state")
    func foldEqualsReplay() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...Int.max), Gen.int(in: 20...90), Gen.int(in: 0...40)) {
            seed, days, profileChangeAt in
            Self.check(seed: seed, days: days, start: "2026-09-07", profileChangeAt: profileChangeAt)
        }
    }

    @Test("fold: a register running through the summer into a new academic year gives the replay's decisions")
    func foldAcrossTheSummer() async {
        await propertyCheck(count: 30, input: Gen.int(in: 0...Int.max), Gen.int(in: 40...80)) { seed, days in
            Self.check(seed: seed, days: days, start: "2026-07-06", profileChangeAt: 1000)
        }
    }

    @Test("fold: present marks run the pupil-wide rules only with the day an N of the pupil leaves its grace")
    func pupilRulesRunWhenAnNSettles() {
        let context = F.context()
        let grace = context.config.nGraceSchoolDays
        // An N on the first day, then present days: the N counts from its grace-th later day.
        let events = F.sessions(["N", "/"] + F.repeated("/", 2 * (grace + 1)))
        func mayChange(stateDays: Int) -> Bool {
            let (state, _) = EnrolmentFold.recompute(
                enrolment: Enrolment(upn: F.pupil, laestab: F.ashfordSchool),
                marks: AttendanceRules.marksThatCount(Array(events.prefix(2 * stateDays))), firstYear: F.year2026,
                inputs: EnrolmentInputs(pupil: PupilProfile()), context: context)
            let day = Array(events[(2 * stateDays)..<(2 * stateDays + 2)])
            return PupilAttendanceFold.pupilRulesMayChange(states: [state], marks: day, context: context)
        }
        // The day before the N settles: still inside its grace after the batch, nothing to judge.
        #expect(!mayChange(stateDays: grace - 1))
        // The day it settles (its grace-th later day): it now counts as an unauthorised session.
        #expect(mayChange(stateDays: grace))
        // Settled already: present marks change nothing.
        #expect(!mayChange(stateDays: grace + 1))
        // An absence always may.
        #expect(
            PupilAttendanceFold.pupilRulesMayChange(
                states: [], marks: F.sessions(["O"], from: "2026-09-07"), context: context))
    }

    @Test("fold: the stored state survives its encoding")
    func stateRoundTrips() throws {
        let context = F.context()
        let marks = AttendanceRules.marksThatCount(F.sessions(F.repeated("N", 30) + F.repeated("/", 20)))
        let (state, _) = EnrolmentFold.recompute(
            enrolment: Enrolment(upn: F.pupil, laestab: F.ashfordSchool), marks: marks, firstYear: F.year2026,
            inputs: EnrolmentInputs(pupil: PupilProfile()), context: context)
        let data = try JSONEncoder().encode(state)
        #expect(try JSONDecoder().decode(EnrolmentState.self, from: data) == state)
        #expect(try EnrolmentState(packed: state.packed()) == state)
        #expect(state.window.count == 2 * EnrolmentFold.windowSchoolDays(context))
    }

    @Test("fold: the packed form keeps UUID and other ids, minutes late and every count, in a fraction of the JSON's bytes")
    func packedFormIsCompactAndExact() throws {
        let context = F.context()
        var marks = AttendanceRules.marksThatCount(F.sessions(F.repeated("L", 4) + F.repeated("O", 6) + F.repeated("/", 20)))
        for i in marks.indices where i % 3 == 0 { marks[i].eventId = "MIS-\(i)-ÄØ" }
        for i in marks.indices where i % 3 == 1 { marks[i].eventId = "0b5c4b1e-7d0a-4f5e-9a3b-00000000000\(i % 10)" }
        for i in marks.indices where i % 4 == 0 { marks[i].minutesLate = i }
        let (state, _) = EnrolmentFold.recompute(
            enrolment: Enrolment(upn: F.pupil, laestab: F.ashfordSchool), marks: marks, firstYear: F.year2026,
            inputs: EnrolmentInputs(pupil: PupilProfile()), context: context)
        #expect(state.window.contains { $0.minutesLate != nil } && state.absence.statistics?.unauthorised ?? 0 > 0)
        let packed = state.packed()
        #expect(try EnrolmentState(packed: packed) == state)
        let json = try JSONEncoder().encode(state).count
        #expect(packed.count * 2 < json, "packed \(packed.count) bytes, JSON \(json)")
        // An upper-case UUID is not canonical: it travels as text and comes back as sent.
        var upper = state
        upper.window[0].eventId = "0B5C4B1E-7D0A-4F5E-9A3B-000000000001"
        #expect(try EnrolmentState(packed: upper.packed()).window[0].eventId == upper.window[0].eventId)
    }

    @Test("fold: a damaged packed state is refused with a reason, never trusted or trapped on")
    func packedFormRefusesDamage() {
        let context = F.context()
        let (state, _) = EnrolmentFold.recompute(
            enrolment: Enrolment(upn: F.pupil, laestab: F.ashfordSchool),
            marks: AttendanceRules.marksThatCount(F.sessions(F.repeated("/", 12))), firstYear: F.year2026,
            inputs: EnrolmentInputs(pupil: PupilProfile()), context: context)
        let packed = state.packed()
        // Every truncation, and every single-byte change, either decodes to a valid state or throws.
        for n in 0..<packed.count {
            #expect(throws: PackedStateError.self) { try EnrolmentState(packed: Array(packed.prefix(n))) }
        }
        for i in packed.indices {
            for b: UInt8 in [0x00, 0x7f, 0x80, 0xff] {
                var damaged = packed
                damaged[i] = b
                _ = try? EnrolmentState(packed: damaged)
            }
        }
        #expect(throws: PackedStateError.self) { try EnrolmentState(packed: [9] + packed.dropFirst()) }
        #expect(throws: PackedStateError.self) { try EnrolmentState(packed: packed + [0]) }
    }
}
