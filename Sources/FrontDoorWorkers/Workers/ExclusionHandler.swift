import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore

/// The exclusion worker: suspensions, permanent exclusions and rescissions from
/// `frontdoor.exclusions.v1`.
///
/// Every exclusion is recorded (the LA is notified of every one, even if later rescinded);
/// then the pupil's exclusions for each exclusion year the exclusion has days in
/// (``ExclusionYear``: from 1 August) are replayed through the exclusion rules (45-day cap and
/// termly review per school, repeated suspensions, the exam ground, the 6th-day duty,
/// vulnerable pupils), rescinded ones kept out of every figure.
public struct ExclusionHandler: BatchHandler {
    public let name = "exclusions"
    let setup: HandlerSetup
    public var topics: [String] { setup.topics }

    public init(config: LoadedConfig, settings: WorkerSettings) {
        setup = HandlerSetup(config: config, settings: settings, allowed: [settings.topics.exclusions: [.exclusionIssued, .exclusionRescinded]])
    }

    public func decode(_ message: KafkaConsumerMessage) -> Result<InputEvent, Reject> { setup.decode(message) }

    /// A rescission of an exclusion frontdoor has not recorded (nor in this batch) is rejected
    /// (`unknown-exclusion`): both are keyed by UPN, so the issue always arrives first.
    public func precheck(_ events: [IncomingEvent], in tx: StoreTransaction) async throws -> [RejectedMessage] {
        var issuedInBatch = Set<[String]>()
        var rejects: [RejectedMessage] = []
        for e in events {
            switch e.event {
            case .exclusionIssued(_, let x): issuedInBatch.insert([x.laestab.value, x.exclusionId])
            case .exclusionRescinded(_, let r):
                if issuedInBatch.contains([r.laestab.value, r.exclusionId]) { continue }
                if try await tx.exclusion(laestab: r.laestab.value, exclusionId: r.exclusionId) == nil {
                    rejects.append(
                        RejectedMessage(
                            message: e.message,
                            reject: Reject(
                                .unknownExclusion, "The rescission refers to an exclusion frontdoor has not recorded.", field: "data.exclusionId")))
                }
            default: continue
            }
        }
        return rejects
    }

    public func handle(_ events: [IncomingEvent], in tx: StoreTransaction) async throws {
        var touched: [UPN: Set<AcademicYear>] = [:]
        var lastEvent: [UPN: EventEnvelope] = [:]
        for e in events {
            switch e.event {
            case .exclusionIssued(let env, let x):
                let year = AcademicYear(containing: x.startDate)
                _ = try await tx.issueExclusion(
                    ExclusionRecord(
                        laestab: x.laestab.value, exclusionId: x.exclusionId, upn: x.upn.value, category: x.category.rawValue,
                        startDate: StoreDate(x.startDate), sessions: x.sessions, reason: x.reason.rawValue,
                        academicYear: year.description, eventTime: env.time, source: env.source, eventId: env.id,
                        pupilFsm: x.pupil?.fsm, pupilSen: x.pupil?.sen?.rawValue, pupilCla: x.pupil?.cla))
                if let p = x.pupil { try await tx.updatePupils([(x.upn.value, p, env.time)]) }
                // The exclusion years its days fall in (a suspension from July into September has two).
                touched[x.upn, default: []].formUnion(
                    ExclusionYear.years(of: ExclusionFact(issued: x, issuedAt: env.time), calendar: setup.context.calendar))
                lastEvent[x.upn] = env
            case .exclusionRescinded(let env, let r):
                if let stored = try await tx.rescindExclusion(
                    laestab: r.laestab.value, exclusionId: r.exclusionId, outcome: r.outcome.rawValue,
                    effectiveDate: StoreDate(r.effectiveDate))
                {
                    if let upn = try? UPN(validating: stored.upn), let fact = ExclusionFact(record: stored) {
                        touched[upn, default: []].formUnion(ExclusionYear.years(of: fact, calendar: setup.context.calendar))
                        lastEvent[upn] = env
                    }
                }
            default: continue
            }
        }
        guard !touched.isEmpty else { return }
        let profiles = try await tx.pupils(upns: touched.keys.map(\.value))
        var outbox: [OutboxMessage] = []
        var audit: [StoreAuditEntry] = []
        for upn in touched.keys.sorted() {
            let pupil = profiles[upn.value].map(PupilProfile.init(record:)) ?? PupilProfile()
            for year in (touched[upn] ?? []).sorted() {
                // `academic_year` is the start date's (1 September) year; the exclusion year runs
                // from 1 August and a suspension may run on into the next year, so the year
                // before is loaded too and the rules pick the days that fall in `year`.
                let stored =
                    try await tx.exclusions(upn: upn.value, academicYear: year.previous.description)
                    + tx.exclusions(upn: upn.value, academicYear: year.description)
                let facts = stored.compactMap(ExclusionFact.init(record:))
                    .filter { ExclusionYear.years(of: $0, calendar: setup.context.calendar).contains(year) }
                let result = ExclusionRules.assess(upn: upn, exclusions: facts, academicYear: year, pupil: pupil, context: setup.context)
                outbox += result.notifications.map(setup.outbound.row)
                audit += result.audit.map { StoreAuditEntry($0, event: lastEvent[upn], pseudonyms: setup.pseudonyms) }
                // The pupil's exclusion case for the year carries the governing board's review date.
                let route = setup.context.route(facts.last?.laestab)
                let caseId = StableID.make("exclusion-case", upn.value, year.description)
                let firstIssued = facts.map(\.noticeDate).min() ?? year.firstDay
                _ = try await tx.createCase(
                    CaseRecord(
                        caseId: caseId, kind: "exclusion", reason: "exclusions", upn: upn.value, laestab: facts.last?.laestab.value,
                        district: route.district, unitId: route.unitId,
                        priority: result.permanentExclusions > 0 ? Priority.high.rawValue : Priority.normal.rawValue,
                        openedOn: StoreDate(firstIssued)))
                let due = result.boardReviews.map(\.dueBy).max()
                _ = try await tx.setReviewDueBy(caseId: caseId, due.map(StoreDate.init))
            }
        }
        try await tx.enqueue(outbox)
        try await tx.auditOnce(audit)
    }
}

extension ExclusionFact {
    init?(record r: ExclusionRecord) {
        guard let laestab = try? LAESTAB(validating: r.laestab), let upn = try? UPN(validating: r.upn),
            let category = ExclusionCategory(rawValue: r.category), let reason = ExclusionReason(rawValue: r.reason)
        else { return nil }
        var rescission: Rescission?
        if r.rescinded {
            rescission = Rescission(
                outcome: r.rescindedOutcome.flatMap(RescindOutcome.init(rawValue:)) ?? .withdrawnByHeadteacher,
                effectiveDate: r.rescindedEffective.map(LocalDate.init) ?? LocalDate(r.startDate))
        }
        self.init(
            exclusionId: r.exclusionId, laestab: laestab, upn: upn, category: category, startDate: LocalDate(r.startDate),
            sessions: category == .permanent ? 0 : (r.sessions ?? 0), reason: reason, issuedAt: r.eventTime,
            rescinded: rescission)
    }
}
