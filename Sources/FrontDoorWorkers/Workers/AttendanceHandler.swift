import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore

/// The attendance worker: register marks from `frontdoor.attendance.v1`, officers'
/// decisions from `frontdoor.decisions.v1` and roll changes from `frontdoor.rolls.v1`.
///
/// For every pupil a batch touches it stores the new mark events (all of them: amendments are
/// resolved by `time` when read) and roll changes, then replays the pupil's marks that count
/// and roll facts through the attendance rules (statistics, persistent and severe absence and
/// CME risk per enrolment, deletions, the withdrawal of a review whose basis has gone, the
/// penalty ruleset) and enqueues whatever they decide. Notifications carry stable ids, so a
/// decision re-derived by a later batch is not enqueued twice.
public struct AttendanceHandler: BatchHandler {
    public let name = "attendance"
    let setup: HandlerSetup
    /// `frontdoor_school_last_register_timestamp_seconds` and `frontdoor_school_day`.
    let schoolMetrics: SchoolMetrics
    public var topics: [String] { setup.topics }

    public init(config: LoadedConfig, settings: WorkerSettings, metrics: FrontDoorMetrics = FrontDoorMetrics()) {
        schoolMetrics = SchoolMetrics(
            metrics: metrics, calendar: config.calendar, today: settings.today, register: config.register)
        setup = HandlerSetup(
            config: config, settings: settings,
            allowed: [
                settings.topics.attendance: [.attendanceMark], settings.topics.decisions: [.enforcementDecision],
                settings.topics.rolls: [.rollChange],
            ])
    }

    public func decode(_ message: KafkaConsumerMessage) -> Result<InputEvent, Reject> { setup.decode(message) }

    public func refreshMetrics() async { schoolMetrics.refresh() }

    /// A decision on a case frontdoor never raised is rejected (`unknown-case`); a mark dated
    /// after the pupil's deletion from that school's roll (`not-on-roll`), judged on the roll
    /// changes stored and those in the batch (``RollChangeRules/deletion(before:at:facts:)``).
    public func precheck(_ events: [IncomingEvent], in tx: StoreTransaction) async throws -> [RejectedMessage] {
        var rejects: [RejectedMessage] = []
        for e in events {
            guard case .enforcementDecision(_, let d) = e.event else { continue }
            if try await tx.findReview(caseId: d.caseId) == nil {
                rejects.append(
                    RejectedMessage(
                        message: e.message,
                        reject: Reject(.unknownCase, "The decision refers to an enforcement case frontdoor does not know.", field: "data.caseId")))
            }
        }
        var markUPNs: Set<String> = []
        var batchFacts: [RollFact] = []
        for e in events {
            switch e.event {
            case .attendanceMark(_, let m): markUPNs.insert(m.upn.value)
            case .rollChange(let env, let r): batchFacts.append(RollFact(envelope: env, change: r))
            default: continue
            }
        }
        guard !markUPNs.isEmpty else { return rejects }
        let stored = try await tx.rollChanges(upns: markUPNs.sorted())
        let facts = stored.values.flatMap { $0 }.compactMap(RollFact.init(record:)) + batchFacts
        guard !facts.isEmpty else { return rejects }
        for e in events {
            guard case .attendanceMark(_, let m) = e.event else { continue }
            let enrolment = Enrolment(upn: m.upn, laestab: m.laestab)
            if RollChangeRules.deletion(before: m.date, at: enrolment, facts: facts) != nil {
                rejects.append(
                    RejectedMessage(
                        message: e.message,
                        reject: Reject(
                            .notOnRoll, "The mark is dated after the pupil's deletion from that school's roll.",
                            field: "data.date")))
            }
        }
        return rejects
    }

    public func handle(_ events: [IncomingEvent], in tx: StoreTransaction) async throws {
        schoolMetrics.registersReceived(events)
        var marks: [MarkRecord] = []
        var rolls: [RollChangeRecord] = []
        var pupils: [(upn: String, characteristics: PupilCharacteristics, time: Date)] = []
        var touched: [UPN: Set<AcademicYear>] = [:]
        var lastEvent: [UPN: EventEnvelope] = [:]
        for e in events {
            switch e.event {
            case .attendanceMark(let env, let m):
                marks.append(
                    MarkRecord(
                        source: env.source, eventId: env.id, upn: m.upn.value, laestab: m.laestab.value,
                        date: StoreDate(m.date), session: m.session.rawValue, code: m.code.code,
                        category: m.code.category.rawValue, minutesLate: m.minutesLate, eventTime: env.time))
                if let p = m.pupil {
                    pupils.append((m.upn.value, p, env.time))
                }
                touched[m.upn, default: []].insert(AcademicYear(containing: m.date))
                lastEvent[m.upn] = env
            case .rollChange(let env, let r):
                rolls.append(
                    RollChangeRecord(
                        source: env.source, eventId: env.id, upn: r.upn.value, laestab: r.laestab.value,
                        change: r.change.rawValue, effectiveDate: StoreDate(r.effectiveDate), ground: r.ground?.rawValue,
                        destinationLaestab: r.destinationLaestab?.value, dualRegistration: r.dualRegistration?.rawValue,
                        eventTime: env.time))
                if let p = r.pupil { pupils.append((r.upn.value, p, env.time)) }
                touched[r.upn, default: []].insert(AcademicYear(containing: r.effectiveDate))
                lastEvent[r.upn] = env
            case .enforcementDecision(let env, let d):
                let outcome = try await tx.recordDecision(
                    EnforcementDecisionRecord(
                        source: env.source, eventId: env.id, caseId: d.caseId, decision: d.decision.rawValue,
                        decidedOn: StoreDate(d.decidedOn), officerId: d.officerId, parentRef: d.parentRef,
                        amountPence: d.amountPence))
                if case .recorded(let upnText) = outcome, let upn = try? UPN(validating: upnText) {
                    touched[upn, default: []].insert(AcademicYear(containing: d.decidedOn))
                    lastEvent[upn] = env
                }
            default:
                continue
            }
        }
        _ = try await tx.insertMarks(marks)
        _ = try await tx.insertRollChanges(rolls)
        try await tx.updatePupils(pupils)
        try await tx.updateChildProtectionPlans(
            pupils.compactMap { u in u.characteristics.cpp.map { (upn: u.upn, cpp: $0, time: u.time) } })
        guard !touched.isEmpty else { return }
        try await evaluate(touched, lastEvent: lastEvent, in: tx)
    }

    /// Replays the touched pupils' facts through the rules and writes what they decide.
    func evaluate(_ touched: [UPN: Set<AcademicYear>], lastEvent: [UPN: EventEnvelope], in tx: StoreTransaction) async throws {
        let upns = touched.keys.map(\.value).sorted()
        let years = touched.values.flatMap { $0 }
        guard let earliest = years.min(), let latest = years.max() else { return }
        let openReviews = try await tx.openReviews(upns: upns)
        // An open review is judged again (ReviewWithdrawalRule): load every mark it rested on,
        // so a review is never withdrawn for want of marks this batch did not load.
        let reviewStart = openReviews.values.map { LocalDate($0.windowStart) }.min()
        let windowFrom = earliest.firstDay.adding(days: -7 * (setup.config.rules.england2024.windowWeeks + 2))
        let from = reviewStart.map { min(windowFrom, AcademicYear(containing: $0).firstDay) } ?? windowFrom
        let reviewEnd = openReviews.values.map { LocalDate($0.windowEnd) }.max()
        let through = reviewEnd.map { max(latest.lastDay, AcademicYear(containing: $0).lastDay) } ?? latest.lastDay
        let stored = try await tx.marksThatCount(upns: upns, from: StoreDate(from), through: StoreDate(through))
        let profiles = try await tx.pupils(upns: upns)
        let cme = try await tx.cmeCasePeriods(upns: upns)
        let withdrawnReviews = try await tx.withdrawnReviewCounts(upns: upns)
        let decisions = try await tx.enforcementDecisions(upns: upns)
        let rolls = try await tx.rollChanges(upns: upns)
        let plans = try await tx.childProtectionPlans(upns: upns)

        var totals: [YearAttendanceRecord] = []
        var outbox: [OutboxMessage] = []
        var audit: [StoreAuditEntry] = []
        for upn in touched.keys.sorted() {
            let facts = (rolls[upn.value] ?? []).compactMap(RollFact.init(record:))
            // A mark stored before the deletion it falls after arrived counts no more than one
            // rejected now (RollChangeRules.deletion).
            let events = (stored[upn.value] ?? []).compactMap(MarkEvent.init(record:)).filter {
                RollChangeRules.deletion(before: $0.date, at: Enrolment(upn: $0.upn, laestab: $0.laestab), facts: facts) == nil
            }
            var pupil = profiles[upn.value].map(PupilProfile.init(record:)) ?? PupilProfile()
            pupil.cpp = plans[upn.value] ?? false
            let periods = (cme[upn.value] ?? []).map { CMECasePeriod(opened: LocalDate($0.opened), resolved: $0.closed.map(LocalDate.init)) }
            var history = EnforcementHistory(
                hasOpenReview: openReviews[upn.value] != nil,
                decisions: (decisions[upn.value] ?? []).compactMap(EnforcementDecision.init(record:)),
                withdrawnReviews: withdrawnReviews[upn.value] ?? 0)
            let at = lastEvent[upn]?.time ?? Date(timeIntervalSince1970: 0)

            let deletions = RollChangeRules.evaluate(
                upn: upn, facts: facts, pupil: pupil, cmeCases: periods, context: setup.context)
            outbox += deletions.notifications.map(setup.outbound.row)
            audit += deletions.audit.map { StoreAuditEntry($0, event: lastEvent[upn], pseudonyms: setup.pseudonyms) }

            // An open review whose basis has been amended away is withdrawn and its case closed.
            if let open = openReviews[upn.value].flatMap(OpenReview.init(record:)) {
                let marks = AttendanceRules.marksThatCount(events)
                let w = ReviewWithdrawalRule.evaluate(
                    review: open, marks: AttendanceRules.pupilSessions(marks), pupil: pupil, history: history,
                    rollFacts: facts, pending: NGrace.pending(marks, graceDays: setup.config.rules.nGraceSchoolDays),
                    at: at, context: setup.context)
                if let withdrawal = w.withdrawal,
                    try await tx.withdrawReview(
                        caseId: withdrawal.caseId, reason: withdrawal.reason.rawValue, at: withdrawal.withdrawnAt,
                        closedOn: StoreDate(LondonDate.of(withdrawal.withdrawnAt)))
                {
                    outbox.append(setup.outbound.row(withdrawal))
                    audit += w.audit.map { StoreAuditEntry($0, event: lastEvent[upn], pseudonyms: setup.pseudonyms) }
                    history.hasOpenReview = false
                    history.withdrawnReviews += 1
                }
            }
            var penaltyDone = false
            for year in (touched[upn] ?? []).sorted() {
                let result = AttendanceRules.evaluate(
                    upn: upn, events: events, academicYear: year, pupil: pupil, cmeCases: periods, enforcement: history,
                    context: setup.context)
                let s = result.statistics
                totals.append(
                    YearAttendanceRecord(
                        upn: upn.value, academicYear: year.description, possible: s.possible, present: s.present,
                        attending: s.attending, authorised: s.authorised, unauthorised: s.unauthorised, notCounted: s.notCounted))
                outbox += result.notifications.map(setup.outbound.row)
                audit += result.audit.map { StoreAuditEntry($0, event: lastEvent[upn], pseudonyms: setup.pseudonyms) }
                // The penalty rules look across years; act on their decision once per pupil.
                if !penaltyDone, let decision = result.penalty.decision {
                    penaltyDone = true
                    try await apply(decision, upn: upn, outbox: &outbox)
                }
            }
        }
        try await tx.saveYearAttendance(totals)
        try await tx.enqueue(outbox)
        try await tx.auditOnce(audit)

        func apply(_ decision: PenaltyDecision, upn: UPN, outbox: inout [OutboxMessage]) async throws {
            switch decision {
            case .review(let r):
                let route = setup.context.route(r.laestab)
                _ = try await tx.createCase(
                    CaseRecord(
                        caseId: r.caseId, kind: "enforcement-review", reason: r.basis.rawValue, upn: upn.value,
                        laestab: r.laestab.value, district: route.district, unitId: "enforcement", priority: Priority.normal.rawValue,
                        openedOn: StoreDate(LondonDate.of(r.createdAt))))
                let opened = try await tx.openReview(
                    EnforcementReviewRecord(
                        caseId: r.caseId, upn: upn.value, laestab: r.laestab.value, ruleset: r.ruleset.rawValue,
                        basis: r.basis.rawValue, attendancePct: r.attendancePct, unauthorisedSessions: r.unauthorisedSessions,
                        windowStart: StoreDate(r.windowStart), windowEnd: StoreDate(r.windowEnd),
                        priorNotices: r.priorNoticesIn3Years, recommendedAction: r.recommendedAction.rawValue,
                        amountPence: r.amountPence, createdAt: r.createdAt))
                if opened { outbox.append(setup.outbound.row(r)) }
            case .liaisonOfficerTask(let task):
                _ = try await tx.createCase(
                    CaseRecord(
                        caseId: task.caseId, kind: "liaison-task", reason: task.kind, upn: upn.value,
                        laestab: task.laestab?.value, district: task.district,
                        unitId: setup.context.units.unitId(forDistrict: task.district), priority: task.priority.rawValue,
                        openedOn: StoreDate(LondonDate.of(task.createdAt)), dueBy: StoreDate(task.dueBy)))
                _ = try await tx.createOfficerTask(taskId: task.taskId, caseId: task.caseId, role: task.role.rawValue)
            }
        }
    }
}

extension PupilRecord {
    /// The pupil's characteristics after an event that states some of them: a field the event
    /// leaves out keeps its stored value (events.md: `pupil`, when present, updates them).
    init(upn: String, characteristics p: PupilCharacteristics, time: Date, stored: PupilRecord?) {
        self.init(
            upn: upn, fsm: p.fsm ?? stored?.fsm ?? false, sen: p.sen?.rawValue ?? stored?.sen ?? "N",
            cla: p.cla ?? stored?.cla ?? false, yearGroup: p.yearGroup ?? stored?.yearGroup,
            dateOfBirth: p.dateOfBirth.map(StoreDate.init) ?? stored?.dateOfBirth, characteristicsTime: time)
    }
}

extension StoreTransaction {
    /// Stores the characteristics events stated, merged field by field with what is stored.
    func updatePupils(_ updates: [(upn: String, characteristics: PupilCharacteristics, time: Date)]) async throws {
        guard !updates.isEmpty else { return }
        var current = try await pupils(upns: Array(Set(updates.map(\.upn))))
        // Oldest first, so each statement builds on the one before it (the store keeps a
        // pupil's newest characteristics: an update older than what is stored changes nothing).
        for u in updates.sorted(by: { $0.time < $1.time }) {
            if let c = current[u.upn], c.characteristicsTime >= u.time { continue }
            current[u.upn] = PupilRecord(upn: u.upn, characteristics: u.characteristics, time: u.time, stored: current[u.upn])
        }
        let changed = Set(updates.map(\.upn)).compactMap { current[$0] }
        try await upsertPupils(changed)
    }
}

extension PupilProfile {
    init(record r: PupilRecord) {
        self.init(
            fsm: r.fsm, sen: SENStatus(rawValue: r.sen) ?? .none, cla: r.cla, yearGroup: r.yearGroup,
            dateOfBirth: r.dateOfBirth.map(LocalDate.init))
    }
}

extension MarkEvent {
    /// A stored mark as the rules see it; nil for a row that no longer validates (never expected).
    init?(record r: MarkRecord) {
        guard let upn = try? UPN(validating: r.upn), let laestab = try? LAESTAB(validating: r.laestab),
            let session = Session(rawValue: r.session)
        else { return nil }
        let date = LocalDate(r.date)
        guard let code = RegisterCode(r.code, on: date) else { return nil }
        self.init(
            id: r.eventId, time: r.eventTime, upn: upn, laestab: laestab, date: date, session: session, code: code,
            minutesLate: r.minutesLate)
    }
}

extension RollFact {
    /// A stored roll change as the rules see it; nil for a row that no longer validates (never expected).
    init?(record r: RollChangeRecord) {
        guard let upn = try? UPN(validating: r.upn), let laestab = try? LAESTAB(validating: r.laestab),
            let change = RollChangeKind(rawValue: r.change)
        else { return nil }
        self.init(
            eventId: r.eventId, time: r.eventTime, upn: upn, laestab: laestab, change: change,
            effectiveDate: LocalDate(r.effectiveDate), ground: r.ground.flatMap(DeletionGround.init(rawValue:)),
            destinationLaestab: r.destinationLaestab.flatMap { try? LAESTAB(validating: $0) },
            dualRegistration: r.dualRegistration.flatMap(DualRegistration.init(rawValue:)))
    }
}

extension OpenReview {
    init?(record r: EnforcementReviewRecord) {
        guard let upn = try? UPN(validating: r.upn), let laestab = try? LAESTAB(validating: r.laestab) else { return nil }
        self.init(caseId: r.caseId, upn: upn, laestab: laestab, windowEnd: LocalDate(r.windowEnd))
    }
}

extension EnforcementDecision {
    init?(record r: EnforcementDecisionRecord) {
        guard let kind = DecisionKind(rawValue: r.decision) else { return nil }
        self.init(
            caseId: r.caseId, decision: kind, decidedOn: LocalDate(r.decidedOn), officerId: r.officerId,
            parentRef: r.parentRef, amountPence: r.amountPence)
    }
}
