import Foundation

/// Which penalty ruleset judges an unauthorised session, by the session's date (domain.md,
/// "Penalty notice rulesets"; `penaltyRulesets` in `Config/rules.yaml`).
///
/// The default is the law as it stands: the seed's `kent-2016` Code of Conduct for sessions
/// before 19 August 2024, and from that day the national framework (`england-2024`, DfE
/// "Working together to improve school attendance", statutory from 19 August 2024; a local
/// code must now be consistent with it). So the seed's 2016/17 data replays under the code it
/// was judged by and today's data under the framework.
///
/// **A window across the switch.** A review is judged by the ruleset of the session that
/// triggers it, and each ruleset looks only at sessions in its own span: under
/// `england-2024` an unauthorised session before 19 August 2024 never counts towards the 10
/// (the threshold did not exist when it was missed, and an officer cannot put it to a
/// parent), and `windowStart` is then no earlier than the switch; a `kent-2016` review is
/// only ever triggered by a session before it.
public struct PenaltyRulesetSchedule: Hashable, Sendable, Decodable {
    /// One ruleset from a date (the first entry: from the beginning) until the next entry's.
    public struct Entry: Hashable, Sendable, Decodable {
        /// The first session date the ruleset judges; nil for the first entry (every earlier date).
        public var from: LocalDate?
        public var ruleset: PenaltyRuleset

        public init(from: LocalDate?, ruleset: PenaltyRuleset) {
            self.from = from
            self.ruleset = ruleset
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            try c.rejectUnknownKeys(["from", "ruleset"])
            self.init(
                from: try c.decodeIfPresent(LocalDate.self, forKey: AnyKey("from")),
                ruleset: try c.decode(PenaltyRuleset.self, forKey: AnyKey("ruleset")))
        }
    }

    /// The part of the calendar one ruleset judges: session dates `from ..< until` (nil: unbounded).
    public struct Span: Hashable, Sendable {
        public var ruleset: PenaltyRuleset
        public var from: LocalDate?
        public var until: LocalDate?

        public func contains(_ date: LocalDate) -> Bool {
            (from.map { date >= $0 } ?? true) && (until.map { date < $0 } ?? true)
        }
    }

    /// Oldest first; the first has no `from`, every later one has a later `from` than the one before.
    public let entries: [Entry]

    /// 19 August 2024: the national framework became statutory. Also the first day from which
    /// `england-2024` counts prior penalty notices (events.md, `enforcement.decision.v1`).
    /// Built without a failable step: 19 August exists in every year.
    public static let nationalFrameworkStart = LocalDate(anyYear: 2024, month: 8, dayInMonth: 19)

    /// The default: `kent-2016` before 19 August 2024, `england-2024` from that day.
    public static let lawOfEngland = PenaltyRulesetSchedule(validated: [
        Entry(from: nil, ruleset: .kent2016), Entry(from: nationalFrameworkStart, ruleset: .england2024),
    ])

    /// One ruleset for every date (`ruleset:` in `rules.yaml`, and tests of one ruleset).
    public static func always(_ ruleset: PenaltyRuleset) -> PenaltyRulesetSchedule {
        PenaltyRulesetSchedule(validated: [Entry(from: nil, ruleset: ruleset)])
    }

    private init(validated entries: [Entry]) { self.entries = entries }

    /// Throws a description of the problem when the first entry has a `from`, a later one has
    /// none, or the dates do not increase.
    public init(_ entries: [Entry]) throws(ScheduleError) {
        guard let first = entries.first else { throw ScheduleError("must list at least one ruleset") }
        guard first.from == nil else {
            throw ScheduleError("the first entry must have no `from` (it judges every earlier date)")
        }
        var previous: LocalDate?
        for e in entries.dropFirst() {
            guard let from = e.from else { throw ScheduleError("every entry but the first needs a `from` date") }
            if let p = previous, from <= p { throw ScheduleError("`from` dates must increase") }
            previous = from
        }
        self.entries = entries
    }

    public init(from decoder: any Decoder) throws {
        let entries = try [Entry](from: decoder)
        do {
            try self.init(entries)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    /// The ruleset that judges a session on `date`.
    public func ruleset(on date: LocalDate) -> PenaltyRuleset {
        spans.last { $0.contains(date) }?.ruleset ?? entries[0].ruleset
    }

    /// Every entry as the dates it covers, oldest first.
    public var spans: [Span] {
        entries.indices.map { i in
            Span(
                ruleset: entries[i].ruleset, from: entries[i].from,
                until: i + 1 < entries.count ? entries[i + 1].from : nil)
        }
    }

    /// The single ruleset when the schedule has one entry.
    public var single: PenaltyRuleset? { entries.count == 1 ? entries[0].ruleset : nil }

    public struct ScheduleError: Error, Hashable, Sendable {
        public var message: String
        init(_ message: String) { self.message = message }
    }
}
