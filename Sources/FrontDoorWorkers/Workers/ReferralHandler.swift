import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import Logging
import ServiceLifecycle
import Synchronization

/// The referral worker: the Digital Front Door's `referral.received.v1` and
/// `referral.resolved.v1` from `frontdoor.referrals.v1`.
///
/// Every referral opens or joins a case (a second open referral for the same child and reason
/// joins the open case: no duplicate case, no duplicate notification), is routed to the
/// school's Early Help Unit with its priority, and creates the officer's task. CME cases are
/// kind `cme` and run the 10-school-day clock that ``CMEOverdueScheduler`` watches. A
/// resolution closes the case it belongs to (the child has been found or the matter ended).
public struct ReferralHandler: BatchHandler {
    public let name = "referrals"
    let setup: HandlerSetup
    public var topics: [String] { setup.topics }

    public init(config: LoadedConfig, settings: WorkerSettings) {
        setup = HandlerSetup(config: config, settings: settings, allowed: [settings.topics.referrals: [.referralReceived, .referralResolved]])
    }

    public func decode(_ message: KafkaConsumerMessage) -> Result<InputEvent, Reject> { setup.decode(message) }

    /// A resolution of a referral frontdoor has not received (nor in this batch) is rejected
    /// (`unknown-referral`): both are keyed by `referralId`, so the referral arrives first.
    public func precheck(_ events: [IncomingEvent], in tx: StoreTransaction) async throws -> [RejectedMessage] {
        var receivedInBatch = Set<String>()
        var rejects: [RejectedMessage] = []
        for e in events {
            switch e.event {
            case .referralReceived(_, let r): receivedInBatch.insert(r.referralId)
            case .referralResolved(_, let r):
                if receivedInBatch.contains(r.referralId) { continue }
                if try await tx.findReferral(id: r.referralId) == nil {
                    rejects.append(
                        RejectedMessage(
                            message: e.message,
                            reject: Reject(
                                .unknownReferral, "The resolution refers to a referral frontdoor has not received.", field: "data.referralId")))
                }
            default: continue
            }
        }
        return rejects
    }

    public func handle(_ events: [IncomingEvent], in tx: StoreTransaction) async throws {
        var outbox: [OutboxMessage] = []
        var audit: [StoreAuditEntry] = []
        for e in events {
            switch e.event {
            case .referralReceived(let env, let r):
                try await receive(r, env: env, outbox: &outbox, audit: &audit, tx: tx)
            case .referralResolved(let env, let r):
                guard let referral = try await tx.findReferral(id: r.referralId) else { continue }
                _ = try await tx.resolveReferral(id: r.referralId, resolvedOn: StoreDate(r.resolvedOn), outcome: r.outcome.rawValue)
                let closed = try await tx.closeCase(id: referral.caseId, closedOn: StoreDate(r.resolvedOn), outcome: r.outcome.rawValue)
                audit.append(
                    StoreAuditEntry(
                        rule: "referral-resolution", subjectRef: referral.caseId, decision: closed ? "case-closed" : "case-already-closed",
                        figuresJSON: Data(#"{"outcome":"\#(r.outcome.rawValue)","resolved-on":"\#(r.resolvedOn)"}"#.utf8),
                        eventSource: env.source, eventId: env.id, at: env.time))
            default: continue
            }
        }
        try await tx.enqueue(outbox)
        try await tx.auditOnce(audit)
    }

    func receive(
        _ r: ReferralReceived, env: EventEnvelope, outbox: inout [OutboxMessage], audit: inout [StoreAuditEntry],
        tx: StoreTransaction
    ) async throws {
        let key = ReferralRules.childKey(r)
        let kind = r.reason == .cme ? "cme" : "referral"
        // A referral without a UPN: is the child one frontdoor knows by UPN (ReferralMatching)?
        var knownUPN: UPN?
        if r.upn == nil {
            let candidates = try await tx.referredChildrenWithUPN(bornOn: StoreDate(r.child.dateOfBirth)).compactMap {
                row -> (upn: UPN, child: ReferredChild)? in
                guard let upn = try? UPN(validating: row.upn),
                    let child = try? JSONDecoder().decode(ReferredChild.self, from: row.childJSON)
                else { return nil }
                return (upn, child)
            }
            let match = ReferralMatching.knownUPN(for: r, candidates: candidates)
            knownUPN = match.upn
            if match.ambiguous {
                audit.append(
                    StoreAuditEntry(
                        rule: "referral-matching", subjectRef: r.referralId, decision: "ambiguous-known-pupil",
                        figuresJSON: Data(#"{"candidates":"several"}"#.utf8), eventSource: env.source, eventId: env.id,
                        at: env.time))
            }
        }
        var open: [OpenReferralCase] = []
        for childKey in ReferralMatching.childKeys(for: r, knownUPN: knownUPN) {
            if let c = try await tx.findOpenCase(childKey: childKey, reason: r.reason.rawValue) {
                open.append(
                    OpenReferralCase(
                        caseId: c.caseId, childKey: childKey, reason: r.reason,
                        receivedAt: LondonDate.startOfDay(LocalDate(c.openedOn))))
            }
        }
        let knownBy = r.upn ?? knownUPN
        let known = try await knownBy.asyncMap { try await tx.pupil(upn: $0.value) }.flatMap { $0 }.map(PupilProfile.init(record:))
        let decision = ReferralRules.triage(
            r, receivedAt: env.time, openCases: open, knownPupil: known, knownUPN: knownUPN, context: setup.context)
        if decision.outcome == .openedCase {
            _ = try await tx.createCase(
                CaseRecord(
                    caseId: decision.caseId, kind: kind, reason: r.reason.rawValue, upn: r.upn?.value, childKey: key,
                    laestab: r.laestab?.value, district: decision.route.district, unitId: decision.route.unitId,
                    priority: decision.priority.rawValue, openedOn: StoreDate(env.londonDate), dueBy: StoreDate(decision.dueBy)))
            if let task = decision.task {
                _ = try await tx.createOfficerTask(taskId: task.taskId, caseId: task.caseId, role: task.role.rawValue)
            }
            if let n = decision.notification { outbox.append(setup.outbound.row(n)) }
        }
        let child = try JSONEncoder().encode(r.child)
        _ = try await tx.insertReferral(
            ReferralRecord(
                referralId: r.referralId, caseId: decision.caseId, reason: r.reason.rawValue, upn: r.upn?.value,
                laestab: r.laestab?.value, referrerKind: r.referrer.kind.rawValue, referrerOrganisation: r.referrer.organisation,
                childJSON: child, childKey: key, safeguardingConcern: r.safeguardingConcern,
                lastSeenDate: r.lastSeenDate.map(StoreDate.init), details: r.details, receivedTime: env.time,
                receivedOn: StoreDate(env.londonDate), source: env.source, eventId: env.id))
        audit += decision.audit.map { StoreAuditEntry($0, event: env, pseudonyms: setup.pseudonyms) }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let v): return try await transform(v)
        case .none: return nil
        }
    }
}

/// Raises `cme-overdue` once for each CME case still unresolved after 10 school days.
///
/// Runs in every referral worker replica; cases are claimed with `FOR UPDATE SKIP LOCKED` and
/// marked notified in the same transaction as the outbox row, so several replicas never raise
/// the same case twice.
public final class CMEOverdueScheduler: Service, Sendable {
    let config: LoadedConfig
    let settings: WorkerSettings
    let database: FrontDoorDatabase
    let context: RuleContext
    let outbound: Outbound
    let logger: Logger

    public init(config: LoadedConfig, settings: WorkerSettings, database: FrontDoorDatabase, logger: Logger) {
        self.config = config
        self.settings = settings
        self.database = database
        self.context = RuleContext(config: config.rules, calendar: config.calendar, schools: config.register, units: config.units)
        self.outbound = Outbound(topics: settings.topics)
        var logger = logger
        logger[metadataKey: "task"] = "cme-overdue"
        self.logger = logger
    }

    /// The day the clock counts to: `FRONTDOOR_TODAY` or the date in London.
    var today: LocalDate { settings.today.flatMap { LocalDate(iso: $0) } ?? LondonDate.of(Date()) }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // Cut short by graceful shutdown, also while the pool waits for a database that is down.
                let raised = try await cancelWhenGracefulShutdown { try await self.checkOnce() }
                if raised > 0 { logger.info("cme-overdue raised", metadata: ["cases": "\(raised)"]) }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                logger.warning("overdue check failed; will retry", metadata: ["error": "\(error)"])
            }
            await sleepUnlessShuttingDown(settings.schedulerInterval)
        }
        logger.info("cme-overdue scheduler stopping")
    }

    /// Cases found due that the scheduler cannot notify (no referral row, no due date): each is
    /// logged once and left alone by later checks of this process, never marked notified.
    let skipped = Mutex<Set<String>>([])

    /// Raises `cme-overdue` for every due case; returns how many were raised.
    ///
    /// A case is marked notified only in the transaction that enqueues its notification, built
    /// from the case's stored `due_by` (the deadline fixed when it opened; recomputing it with a
    /// calendar changed since could find it "not yet overdue" and mark it without a notification).
    /// A case it cannot handle is skipped, so every pass ends.
    @discardableResult
    public func checkOnce() async throws -> Int {
        let today = self.today
        var total = 0
        while true {
            let excluded = Array(skipped.withLock { $0 })
            let (found, raised, cannotHandle) = try await database.withTransaction { tx -> (Int, Int, [(String, String)]) in
                let due = try await tx.overdueCMECases(
                    dueOnOrBefore: StoreDate(today.adding(days: -1)), excluding: excluded, limit: 200)
                guard !due.isEmpty else { return (0, 0, []) }
                var outbox: [OutboxMessage] = []
                var audit: [StoreAuditEntry] = []
                var notified: [String] = []
                var cannotHandle: [(String, String)] = []
                for c in due {
                    guard let dueBy = c.dueBy else {
                        cannotHandle.append((c.caseId, "the case has no due date"))
                        continue
                    }
                    let referrals = try await tx.referrals(caseId: c.caseId).sorted { $0.receivedTime < $1.receivedTime }
                    guard let first = referrals.first else {
                        cannotHandle.append((c.caseId, "the case has no referral"))
                        continue
                    }
                    let child = (try? JSONDecoder().decode(ReferredChild.self, from: first.childJSON)).map(PupilProfile.init) ?? PupilProfile()
                    let state = CMECaseState(
                        caseId: c.caseId, upn: c.upn.flatMap { try? UPN(validating: $0) },
                        laestab: c.laestab.flatMap { try? LAESTAB(validating: $0) }, receivedAt: first.receivedTime,
                        child: child, safeguardingConcern: referrals.contains { $0.safeguardingConcern })
                    guard let (n, a) = ReferralRules.cmeOverdue(case: state, deadline: LocalDate(dueBy), today: today, context: context)
                    else {
                        cannotHandle.append((c.caseId, "no notification could be built"))
                        continue
                    }
                    outbox.append(outbound.row(n))
                    audit.append(StoreAuditEntry(a, pseudonyms: settings.pseudonyms))
                    notified.append(c.caseId)
                }
                try await tx.enqueue(outbox)
                try await tx.auditOnce(audit)
                try await tx.markOverdueNotified(caseIds: notified)
                return (due.count, outbox.count, cannotHandle)
            }
            for (caseId, why) in cannotHandle where skipped.withLock({ $0.insert(caseId).inserted }) {
                logger.error("overdue CME case skipped: cannot raise cme-overdue", metadata: ["caseId": "\(caseId)", "why": "\(why)"])
            }
            if found == 0 { return total }
            total += raised
        }
    }
}
