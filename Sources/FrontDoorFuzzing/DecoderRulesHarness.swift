import Foundation
import FrontDoorConfig
import FrontDoorDomain

/// What the fuzz target (`make fuzz`) and its regression tests run on one input: decode the
/// bytes as a Kafka record, and for an event that decodes, every domain rule that event type
/// reaches in the workers, with a fixed ``RuleContext``.
///
/// Nothing here may trap on any input; a trap is the bug the fuzzer looks for.
///
/// An input is one Kafka record, framed so that a file of a corpus is readable:
/// - first byte `0` (or anything with the low bit clear): the rest is the value, no headers
///   (structured mode).
/// - first byte `1` (low bit set): headers, one per line (`key:value`, raw bytes; a line
///   without `:` is a header with a null value), then an empty line, then the value.
///   With a `ce_specversion` header this is binary mode.
public struct DecoderRulesHarness: Sendable {
    public let context: RuleContext
    public let calendar: SchoolCalendar

    public init(context: RuleContext) {
        self.context = context
        self.calendar = context.calendar
    }

    /// With the repository's `Config/` (found from this file's path, or `FRONTDOOR_CONFIG_DIR`),
    /// as a worker's `HandlerSetup` builds its context.
    public static func fromRepositoryConfig() throws -> DecoderRulesHarness {
        let directory =
            ProcessInfo.processInfo.environment["FRONTDOOR_CONFIG_DIR"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config")
        let config = try ConfigLoader(directory: directory).load()
        return DecoderRulesHarness(
            context: RuleContext(config: config.rules, calendar: config.calendar, schools: config.register, units: config.units))
    }

    /// Splits a framed input into a record's value and headers (see the type's comment).
    public static func record(_ input: [UInt8]) -> (value: [UInt8], headers: [(key: String, value: [UInt8]?)]) {
        guard let first = input.first else { return ([], []) }
        let rest = Array(input.dropFirst())
        guard first & 1 == 1 else { return (rest, []) }
        var headers: [(key: String, value: [UInt8]?)] = []
        var start = 0
        var i = 0
        while i < rest.count {
            guard rest[i] == 0x0A else {
                i += 1
                continue
            }
            let line = rest[start..<i]
            i += 1
            start = i
            if line.isEmpty { return (Array(rest[start...]), headers) }
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                headers.append((String(decoding: line[line.startIndex..<colon], as: UTF8.self), Array(line[(colon + 1)...])))
            } else {
                headers.append((String(decoding: line, as: UTF8.self), nil))
            }
        }
        return ([], headers)
    }

    /// Decodes one framed input and runs the rules its event reaches.
    @discardableResult
    public func run(_ input: [UInt8]) -> Result<InputEvent, Reject> {
        let (value, headers) = Self.record(input)
        let result = EventDecoder.decode(value: value, headers: headers, calendar: calendar)
        if case .success(let event) = result { runRules(event) }
        return result
    }

    /// Every rule a worker calls for this event, with the facts the event alone provides.
    public func runRules(_ event: InputEvent) {
        let env = event.envelope
        _ = RFC3339.format(env.time)
        _ = LondonDate.startOfDay(env.londonDate)
        switch event {
        case .attendanceMark(let env, let m):
            let pupil = PupilProfile.unknown.updated(with: m.pupil)
            let mark = MarkEvent(envelope: env, mark: m)
            // The mark alone, then with a run of absences before it, so thresholds are crossed.
            var events = [mark]
            var day = m.date
            for n in 0..<40 {
                day = calendar.previousSchoolDay(before: day)
                for session in Session.allCases {
                    guard let code = RegisterCode(n % 3 == 0 ? "O" : "N", on: day) else { continue }
                    events.append(
                        MarkEvent(
                            id: "\(env.id)-\(n)\(session.rawValue)", time: env.time, upn: m.upn, laestab: m.laestab,
                            date: day, session: session, code: code))
                }
            }
            for facts in [[mark], events] {
                let year = AcademicYear(containing: m.date)
                encode(
                    AttendanceRules.evaluate(
                        upn: m.upn, events: facts, academicYear: year, pupil: pupil,
                        cmeCases: [CMECasePeriod(opened: m.date)], context: context))
                encode(AttendanceRules.evaluate(upn: m.upn, events: facts, academicYear: year.previous, pupil: pupil, context: context))
            }

        case .enforcementDecision(let env, let d):
            guard let upn = try? UPN(validating: "N886200126001"), let laestab = try? LAESTAB(validating: "8862001") else { return }
            var events: [MarkEvent] = []
            var day = d.decidedOn
            for n in 0..<30 {
                day = calendar.schoolDay(onOrAfter: day.adding(days: 1))
                guard let code = RegisterCode("O", on: day) else { continue }
                events.append(
                    MarkEvent(id: "\(env.id)-\(n)", time: env.time, upn: upn, laestab: laestab, date: day, session: .am, code: code))
            }
            let history = EnforcementHistory(decisions: [d], lastDecisionOn: d.decidedOn)
            encode(
                AttendanceRules.evaluate(
                    upn: upn, events: events, academicYear: AcademicYear(containing: d.decidedOn), pupil: .unknown,
                    enforcement: history, context: context))

        case .rollChange(let env, let r):
            let fact = RollFact(envelope: env, change: r)
            let pupil = PupilProfile.unknown.updated(with: r.pupil)
            let mark = calendar.schoolDay(onOrAfter: r.effectiveDate.adding(days: 1))
            _ = RollChangeRules.deletion(before: mark, at: fact.enrolment, facts: [fact])
            for cases in [[], [CMECasePeriod(opened: r.effectiveDate)]] {
                let d = RollChangeRules.evaluate(upn: r.upn, facts: [fact], pupil: pupil, cmeCases: cases, context: context)
                for n in d.notifications { _ = EventEncoder.encode(n) }
            }

        case .exclusionIssued(let env, let x):
            let fact = ExclusionFact(issued: x, issuedAt: env.time)
            let pupil = PupilProfile.unknown.updated(with: x.pupil)
            let repeated = (0..<6).map { n in
                var f = fact
                f.exclusionId += "-\(n)"
                f.startDate = fact.startDate.adding(days: 7 * n)
                return f
            }
            for facts in [[fact], repeated] {
                let a = ExclusionRules.assess(
                    upn: x.upn, exclusions: facts, academicYear: AcademicYear(containing: x.startDate), pupil: pupil,
                    context: context)
                for n in a.notifications { _ = EventEncoder.encode(n) }
            }
            _ = ExclusionRules.provisionDueDate(start: x.startDate, context: context)
            _ = ExclusionRules.daysCovered(by: fact, calendar: calendar)

        case .exclusionRescinded(let env, let r):
            guard let reason = ExclusionReason.allCases.first else { return }
            let issued = ExclusionIssued(
                exclusionId: r.exclusionId, upn: r.upn, laestab: r.laestab, category: .suspension, startDate: r.effectiveDate,
                sessions: 4, reason: reason, pupil: nil)
            let fact = ExclusionFact(issued: issued, issuedAt: env.time, rescinded: r)
            let a = ExclusionRules.assess(
                upn: r.upn, exclusions: [fact], academicYear: AcademicYear(containing: r.effectiveDate), pupil: .unknown,
                context: context)
            for n in a.notifications { _ = EventEncoder.encode(n) }

        case .referralReceived(let env, let r):
            let open = [
                OpenReferralCase(caseId: "case", childKey: ReferralRules.childKey(r), reason: r.reason, receivedAt: env.time)
            ]
            for cases in [[], open] {
                let decision = ReferralRules.triage(r, receivedAt: env.time, openCases: cases, knownPupil: .unknown, context: context)
                if let n = decision.notification { _ = EventEncoder.encode(n) }
            }
            let state = CMECaseState(
                caseId: ReferralRules.caseId(openedBy: r), upn: r.upn, laestab: r.laestab, receivedAt: env.time,
                child: PupilProfile(r.child), safeguardingConcern: r.safeguardingConcern)
            let deadline = ReferralRules.cmeDueDate(receivedOn: env.londonDate, context: context)
            for today in [env.londonDate, deadline.adding(days: 1), deadline.adding(days: 30)] {
                if let overdue = ReferralRules.cmeOverdue(case: state, today: today, context: context) {
                    _ = EventEncoder.encode(overdue.notification)
                }
            }

        case .referralResolved(let env, let r):
            let resolution = CMEResolution(r)
            _ = ReferralRules.foundWithinTwoWeeks(receivedAt: env.time, resolution: resolution, context: context)
            _ = ReferralRules.foundWithinTwoWeeks(
                receivedAt: LondonDate.startOfDay(r.resolvedOn.adding(days: -20)), resolution: resolution, context: context)
            let state = CMECaseState(caseId: "case", upn: nil, laestab: nil, receivedAt: env.time, resolution: resolution)
            _ = ReferralRules.cmeOverdue(case: state, today: r.resolvedOn.adding(days: 20), context: context)
        }
    }

    private func encode(_ d: PupilAttendanceDecisions) {
        for n in d.notifications { _ = EventEncoder.encode(n) }
        if case .review(let review) = d.penalty.decision { _ = EventEncoder.encode(review) }
    }
}
