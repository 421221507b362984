import Foundation
import PropertyBased
import Testing

@testable import FrontDoorDomain

/// Replay, not accumulate: the rules are a function of the set of events, so any order
/// and any duplication of the same events must give the same statistics, notifications,
/// reviews and audit trail.
@Suite("Rules: replay is independent of event order and duplication")
struct RulesReplayPropertyTests {
    typealias F = RulesFixtures

    /// Day patterns (AM, PM). Blocks of them make runs long enough to cross the persistent
    /// and severe thresholds, reach CME risk and penalty triggers, and leave them again.
    static let patterns: [(String, String)] = [
        ("/", "/"), ("G", "N"), ("I", "I"), ("/", "O"), ("U", "L"), ("B", "/"), ("X", "#"), ("N", "N"),
    ]
    static let amendmentCodes = ["/", "I", "G", "N", "M", "O", "L", "C"]

    /// A small deterministic generator for the shuffle and the duplication.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A pupil's register from `blocks` (each: pattern and length in days) over school days
    /// from 7 September 2026, at two schools, with `amendments` on top.
    static func events(blocks: [Int], amendments: [Int]) -> [MarkEvent] {
        var codes: [(String, String)] = []
        for b in blocks {
            let pattern = patterns[b % patterns.count]
            let length = (b / patterns.count) % 13 + 1
            codes += Array(repeating: pattern, count: length)
        }
        let days = F.schoolDays(from: "2026-09-07", count: codes.count)
        var events: [MarkEvent] = []
        for (i, (am, pm)) in codes.enumerated() {
            let school = i % 11 == 10 ? F.doverSchool : F.ashfordSchool
            events.append(F.mark(days[i], .am, am, school: school))
            events.append(F.mark(days[i], .pm, pm, school: school))
        }
        guard !events.isEmpty else { return events }
        for v in amendments {
            let original = events[v % events.count]
            let code = amendmentCodes[(v / 7) % amendmentCodes.count]
            var amended = F.mark(original.date, original.session, code, school: original.laestab)
            switch (v / 56) % 4 {
            case 0:  // a later correction
                amended.time = original.time.addingTimeInterval(TimeInterval(3600 * (1 + v % 50)))
                amended.id = "amend-\(v)"
            case 1:  // the same time: the larger id wins
                amended.time = original.time
                amended.id = original.id + "~\(v)"
            case 2:  // a stale, earlier mark that must lose
                amended.time = original.time.addingTimeInterval(-600)
                amended.id = "stale-\(v)"
            default:  // the same time and a smaller id: loses the tie
                amended.time = original.time
                amended.id = "!\(v)"
            }
            events.append(amended)
        }
        return events
    }

    /// `events` shuffled, with some of them sent two or three times.
    static func scrambled(_ events: [MarkEvent], seed: Int) -> [MarkEvent] {
        var rng = SplitMix(state: UInt64(truncatingIfNeeded: seed))
        var out = events
        for e in events where Int.random(in: 0..<4, using: &rng) == 0 {
            out.append(contentsOf: Array(repeating: e, count: Int.random(in: 1...2, using: &rng)))
        }
        out.shuffle(using: &rng)
        return out
    }

    static func decide(_ events: [MarkEvent], ruleset: PenaltyRuleset) -> PupilAttendanceDecisions {
        AttendanceRules.evaluate(
            upn: F.pupil, events: events, academicYear: F.year2026, pupil: PupilProfile(fsm: true),
            cmeCases: [CMECasePeriod(opened: F.date("2026-12-01"), resolved: F.date("2026-12-10"))],
            enforcement: .none, context: F.context { $0.ruleset = ruleset })
    }

    @Test(
        "replay: any ordering and duplication of the same attendance events yields identical statistics and notifications"
    )
    func orderAndDuplication() async {
        await propertyCheck(
            count: 150,
            input: Gen.int(in: 0...103).array(of: 1...12), Gen.int(in: 0...9999).array(of: 0...40), Gen.int(in: 0...Int.max)
        ) { blocks, amendments, seed in
            let events = Self.events(blocks: blocks, amendments: amendments)
            let shuffled = Self.scrambled(events, seed: seed)
            for ruleset in PenaltyRuleset.allCases {
                let expected = Self.decide(events, ruleset: ruleset)
                let actual = Self.decide(shuffled, ruleset: ruleset)
                #expect(actual.statistics == expected.statistics)
                #expect(actual.notifications == expected.notifications)
                #expect(actual.penalty == expected.penalty)
                #expect(actual.absence.episodes == expected.absence.episodes)
                #expect(actual.audit == expected.audit)
                #expect(actual == expected)
            }
        }
    }

    @Test("replay: the statistics are those of the last correction of each session, however the events arrive")
    func lastCorrectionCounts() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...103).array(of: 1...8), Gen.int(in: 0...Int.max)) {
            blocks, seed in
            let base = Self.events(blocks: blocks, amendments: [])
            // Correct every session three times, an hour apart; the last correction is `/`
            // on even days and `G` on odd ones.
            var events = base
            for (i, e) in base.enumerated() {
                for k in 1...3 {
                    var c = F.mark(e.date, e.session, k < 3 ? "I" : (i / 2 % 2 == 0 ? "/" : "G"), school: e.laestab)
                    c.time = e.time.addingTimeInterval(TimeInterval(3600 * k))
                    c.id = "c\(k)-\(i)"
                    events.append(c)
                }
            }
            let stats = Self.decide(Self.scrambled(events, seed: seed), ruleset: .kent2016).statistics
            let days = base.count / 2
            #expect(stats.possible == base.count)
            #expect(stats.present == (days + 1) / 2 * 2)
            #expect(stats.unauthorised == days / 2 * 2)
            #expect(stats.authorised == 0)
        }
    }
}
