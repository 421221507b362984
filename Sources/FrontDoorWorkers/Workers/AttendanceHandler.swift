import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore

/// The attendance worker: register marks from `frontdoor.attendance.v1`, officers'
/// decisions from `frontdoor.decisions.v1` and roll changes from `frontdoor.rolls.v1`.
///
/// For every pupil a batch touches it stores the new mark events (all of them: amendments are
/// resolved by `time`) and roll changes, then folds the batch into the state of each of the
/// pupil's enrolments (``PupilAttendanceFold``: statistics, persistent and severe absence and
/// CME risk per enrolment, at a cost that does not grow with the year), runs the pupil-wide
/// rules (deletions, the withdrawal of a review whose basis has gone, the penalty ruleset) on
/// the pupil's marks where the batch may change what they decide, and enqueues whatever they
/// decide, all in the batch's transaction. Notifications carry stable ids, so a decision
/// re-derived by a later batch is not enqueued twice.
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
        var batch = AttendanceBatch()
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
                batch.marks[m.upn, default: []].append(MarkEvent(envelope: env, mark: m))
                batch.touch(m.upn, AcademicYear(containing: m.date), env)
            case .rollChange(let env, let r):
                rolls.append(
                    RollChangeRecord(
                        source: env.source, eventId: env.id, upn: r.upn.value, laestab: r.laestab.value,
                        change: r.change.rawValue, effectiveDate: StoreDate(r.effectiveDate), ground: r.ground?.rawValue,
                        destinationLaestab: r.destinationLaestab?.value, dualRegistration: r.dualRegistration?.rawValue,
                        eventTime: env.time))
                if let p = r.pupil { pupils.append((r.upn.value, p, env.time)) }
                batch.touch(r.upn, AcademicYear(containing: r.effectiveDate), env)
                batch.rollChanged.insert(r.upn)
            case .enforcementDecision(let env, let d):
                let outcome = try await tx.recordDecision(
                    EnforcementDecisionRecord(
                        source: env.source, eventId: env.id, caseId: d.caseId, decision: d.decision.rawValue,
                        decidedOn: StoreDate(d.decidedOn), officerId: d.officerId, parentRef: d.parentRef,
                        amountPence: d.amountPence))
                if case .recorded(let upnText) = outcome, let upn = try? UPN(validating: upnText) {
                    batch.touch(upn, AcademicYear(containing: d.decidedOn), env)
                    batch.decided.insert(upn)
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
        guard !batch.touched.isEmpty else { return }
        try await evaluate(batch, in: tx)
    }

    /// What a batch brought, pupil by pupil.
    struct AttendanceBatch {
        /// The academic years each pupil's events fall in (marks, roll changes, decisions).
        var touched: [UPN: Set<AcademicYear>] = [:]
        var marks: [UPN: [MarkEvent]] = [:]
        var lastEvent: [UPN: EventEnvelope] = [:]
        var rollChanged: Set<UPN> = []
        var decided: Set<UPN> = []

        mutating func touch(_ upn: UPN, _ year: AcademicYear, _ env: EventEnvelope) {
            touched[upn, default: []].insert(year)
            lastEvent[upn] = env
        }
    }

    /// Folds the batch into the touched pupils' enrolment states (``PupilAttendanceFold``),
    /// runs the pupil-wide rules where they may decide something new, and writes what they decide.
    ///
    /// One query loads every touched pupil's states; pupils the states cannot take (a first
    /// mark, a correction older than the window, changed characteristics, a roll change) are
    /// recomputed from their stored marks in one more. The penalty rulesets, the withdrawal of
    /// a review whose basis has gone and the deletions read the pupil's marks as before, but
    /// only for a pupil whose batch may change what they decide
    /// (``PupilAttendanceFold/pupilRulesMayChange(states:marks:context:)``).
    func evaluate(_ batch: AttendanceBatch, in tx: StoreTransaction) async throws {
        let context = setup.context
        let upns = batch.touched.keys.sorted()
        let texts = upns.map(\.value)
        let states = try await tx.enrolmentStates(upns: upns)
        let profiles = try await tx.pupils(upns: texts)
        let plans = try await tx.childProtectionPlans(upns: texts)
        let cme = try await tx.cmeCasePeriods(upns: texts)
        let openReviews = try await tx.openReviews(upns: texts)

        var inputs: [UPN: EnrolmentInputs] = [:]
        var outcomes: [UPN: PupilFoldOutcome] = [:]
        var recompute: [UPN: AcademicYear] = [:]
        for upn in upns {
            var pupil = profiles[upn.value].map(PupilProfile.init(record:)) ?? PupilProfile()
            pupil.cpp = plans[upn.value] ?? false
            let periods = (cme[upn.value] ?? []).map { CMECasePeriod(opened: LocalDate($0.opened), resolved: $0.closed.map(LocalDate.init)) }
            let input = EnrolmentInputs(pupil: pupil, cmeCases: periods)
            inputs[upn] = input
            let years = batch.touched[upn] ?? []
            let held = states[upn] ?? []
            if batch.rollChanged.contains(upn), let earliest = years.min() {
                // A deletion may void marks already folded: recompute.
                recompute[upn] = ([earliest] + held.map(\.firstYear)).min()
                continue
            }
            switch PupilAttendanceFold.apply(
                upn: upn, states: held, marks: batch.marks[upn] ?? [], years: years, inputs: input, context: context)
            {
            case .success(let outcome): outcomes[upn] = outcome
            case .failure(let r): recompute[upn] = ([r.from] + held.map(\.firstYear)).min()
            }
        }

        // Pupils whose pupil-wide rules run, and pupils recomputed, read their marks.
        let pupilRules = upns.filter { upn in
            recompute[upn] != nil || batch.decided.contains(upn) || openReviews[upn.value] != nil
                || outcomes[upn]?.pupilRulesMayChange ?? true
        }
        let rolls = try await tx.rollChanges(upns: pupilRules.map(\.value))
        let facts = rolls.mapValues { $0.compactMap(RollFact.init(record:)) }
        if let from = recompute.values.min() {
            let latest = upns.flatMap { upn in (states[upn] ?? []).compactMap(\.latest) + (batch.touched[upn] ?? []).map(\.lastDay) }.max()
            let stored = try await tx.marksThatCount(
                upns: recompute.keys.map(\.value).sorted(), from: StoreDate(AttendanceLookback.from(from, context: context)),
                through: StoreDate(latest ?? from.lastDay))
            for (upn, firstYear) in recompute {
                let lookback = AttendanceLookback.from(firstYear, context: context)
                let marks = AttendanceRules.marksThatCount(
                    MarkEvent.events(stored[upn.value] ?? [], of: upn).filter { $0.date >= lookback })
                outcomes[upn] = PupilAttendanceFold.recompute(
                    upn: upn, marks: marks, rollFacts: facts[upn.value] ?? [], states: states[upn] ?? [],
                    firstYear: firstYear, years: batch.touched[upn] ?? [], inputs: inputs[upn] ?? EnrolmentInputs(pupil: PupilProfile()),
                    context: context)
            }
        }

        var totals: [YearAttendanceRecord] = []
        var outbox: [OutboxMessage] = []
        var audit: [StoreAuditEntry] = []
        var newStates: [EnrolmentState] = []
        for upn in upns {
            guard let outcome = outcomes[upn] else { continue }
            newStates += outcome.states
            for s in outcome.statistics {
                totals.append(
                    YearAttendanceRecord(
                        upn: upn.value, academicYear: s.academicYear.description, possible: s.possible, present: s.present,
                        attending: s.attending, authorised: s.authorised, unauthorised: s.unauthorised, notCounted: s.notCounted))
            }
            outbox += outcome.effects.notifications.sorted { ($0.createdAt, $0.notificationId) < ($1.createdAt, $1.notificationId) }
                .map(setup.outbound.row)
            audit += outcome.effects.audit.map { StoreAuditEntry($0, event: batch.lastEvent[upn], pseudonyms: setup.pseudonyms) }
        }
        try await evaluatePupilRules(
            pupilRules, batch: batch, inputs: inputs, facts: facts, openReviews: openReviews, outbox: &outbox, audit: &audit, in: tx)
        try await tx.saveEnrolmentStates(newStates)
        try await tx.saveYearAttendance(totals)
        try await tx.enqueue(outbox)
        try await tx.auditOnce(audit)
    }

    /// The rules that judge the pupil rather than one enrolment, on the pupil's marks that
    /// count: deletions (``RollChangeRules``), the withdrawal of an open review whose basis has
    /// gone (``ReviewWithdrawalRule``) and the penalty rulesets (``PenaltyRules``, whose
    /// `england-2024` window crosses schools, terms and years).
    func evaluatePupilRules(
        _ upns: [UPN], batch: AttendanceBatch, inputs: [UPN: EnrolmentInputs], facts: [String: [RollFact]],
        openReviews: [String: EnforcementReviewRecord], outbox: inout [OutboxMessage], audit: inout [StoreAuditEntry],
        in tx: StoreTransaction
    ) async throws {
        let texts = upns.map(\.value)
        let years = upns.flatMap { batch.touched[$0] ?? [] }
        guard let latest = years.max() else { return }
        let context = setup.context
        let withdrawnReviews = try await tx.withdrawnReviewCounts(upns: texts)
        let decisions = try await tx.enforcementDecisions(upns: texts)
        let checkpoints = try await tx.penaltyCheckpoints(upns: upns)
        let settings = PenaltyCheckpoint.settingsDigest(context)
        var histories: [UPN: EnforcementHistory] = [:]
        var lookbacks: [UPN: LocalDate] = [:]
        var resuming: [UPN: PenaltyCheckpoint] = [:]
        var since: [String: StoreDate] = [:]
        for upn in upns {
            guard let earliest = batch.touched[upn]?.min() else { continue }
            let history = EnforcementHistory(
                hasOpenReview: openReviews[upn.value] != nil,
                decisions: (decisions[upn.value] ?? []).compactMap(EnforcementDecision.init(record:)),
                withdrawnReviews: withdrawnReviews[upn.value] ?? 0)
            histories[upn] = history
            // Each pupil from its own look-back, so a pupil is judged the same whichever
            // pupils share its batch.
            let lookback = AttendanceLookback.from(earliest, context: context)
            lookbacks[upn] = lookback
            let pupil = (inputs[upn] ?? EnrolmentInputs(pupil: PupilProfile())).pupil
            if let open = openReviews[upn.value] {
                // An open review is judged again (ReviewWithdrawalRule): load every mark it
                // rested on, so a review is never withdrawn for want of marks this batch did not load.
                since[upn.value] = StoreDate(min(lookback, AcademicYear(containing: LocalDate(open.windowStart)).firstDay))
            } else if !batch.rollChanged.contains(upn), let c = checkpoints[upn],
                c.admits(
                    batch.marks[upn] ?? [],
                    digest: PenaltyCheckpoint.digest(pupil: pupil, history: history, context: context, settings: settings),
                    lookback: lookback)
            {
                // Nothing on or before the checkpoint can trigger: read from its window only.
                resuming[upn] = c
                since[upn.value] = StoreDate(c.readFrom)
            } else {
                since[upn.value] = StoreDate(lookback)
            }
        }
        let reviewEnd = texts.compactMap { openReviews[$0].map { LocalDate($0.windowEnd) } }.max()
        let through = reviewEnd.map { max(latest.lastDay, AcademicYear(containing: $0).lastDay) } ?? latest.lastDay
        let stored = try await tx.marksThatCount(since: since, through: StoreDate(through))
        var checkpointChanges: [UPN: PenaltyCheckpoint?] = [:]

        for upn in upns {
            guard var history = histories[upn], let lookback = lookbacks[upn] else { continue }
            let rollFacts = facts[upn.value] ?? []
            // A mark stored before the deletion it falls after arrived counts no more than one
            // rejected now (RollChangeRules.deletion).
            let events = MarkEvent.events(stored[upn.value] ?? [], of: upn).filter {
                RollChangeRules.deletion(before: $0.date, at: Enrolment(upn: $0.upn, laestab: $0.laestab), facts: rollFacts) == nil
            }
            let input = inputs[upn] ?? EnrolmentInputs(pupil: PupilProfile())
            let pupil = input.pupil
            let at = batch.lastEvent[upn]?.time ?? Date(timeIntervalSince1970: 0)
            let event = batch.lastEvent[upn]

            let deletions = RollChangeRules.evaluate(
                upn: upn, facts: rollFacts, pupil: pupil, cmeCases: input.cmeCases, context: context)
            outbox += deletions.notifications.map(setup.outbound.row)
            audit += deletions.audit.map { StoreAuditEntry($0, event: event, pseudonyms: setup.pseudonyms) }

            let marks = AttendanceRules.marksThatCount(events.filter { $0.upn == upn })
            let pending = NGrace.pending(marks, graceDays: context.config.nGraceSchoolDays)
            // An open review whose basis has been amended away is withdrawn and its case closed.
            if let open = openReviews[upn.value].flatMap(OpenReview.init(record:)) {
                let w = ReviewWithdrawalRule.evaluate(
                    review: open, marks: AttendanceRules.pupilSessions(marks), pupil: pupil, history: history,
                    rollFacts: rollFacts, pending: pending, at: at, context: context)
                if let withdrawal = w.withdrawal,
                    try await tx.withdrawReview(
                        caseId: withdrawal.caseId, reason: withdrawal.reason.rawValue, at: withdrawal.withdrawnAt,
                        closedOn: StoreDate(LondonDate.of(withdrawal.withdrawnAt)))
                {
                    outbox.append(setup.outbound.row(withdrawal))
                    audit += w.audit.map { StoreAuditEntry($0, event: event, pseudonyms: setup.pseudonyms) }
                    history.hasOpenReview = false
                    history.withdrawnReviews += 1
                }
            }
            // The penalty rules look across years and schools: one decision per pupil.
            let (penalty, next) = PenaltyRules.evaluate(
                upn: upn, marks: AttendanceRules.pupilSessions(marks), pupil: pupil, history: history, context: context,
                pending: pending, lookback: lookback, resuming: resuming[upn], settings: settings)
            audit += penalty.audit.map { StoreAuditEntry($0, event: event, pseudonyms: setup.pseudonyms) }
            if let decision = penalty.decision {
                try await apply(decision, upn: upn, outbox: &outbox, in: tx)
            }
            if next != checkpoints[upn] { checkpointChanges[upn] = next }
        }
        try await tx.savePenaltyCheckpoints(checkpointChanges)
    }

    /// Opens the case a penalty decision names (``PenaltyCaseOpening``) and the review or task.
    func apply(_ decision: PenaltyDecision, upn: UPN, outbox: inout [OutboxMessage], in tx: StoreTransaction) async throws {
        let opening = PenaltyCaseOpening(decision, context: setup.context)
        _ = try await tx.createCase(
            CaseRecord(
                caseId: opening.caseId, kind: opening.kind.rawValue, reason: opening.reason, upn: upn.value,
                laestab: opening.laestab?.value, district: opening.district, unitId: opening.unitId,
                priority: opening.priority.rawValue, openedOn: StoreDate(opening.openedOn),
                dueBy: opening.dueBy.map(StoreDate.init)))
        switch decision {
        case .review(let r):
            let opened = try await tx.openReview(
                EnforcementReviewRecord(
                    caseId: r.caseId, upn: upn.value, laestab: r.laestab.value, ruleset: r.ruleset.rawValue,
                    basis: r.basis.rawValue, attendancePct: r.attendancePct, unauthorisedSessions: r.unauthorisedSessions,
                    windowStart: StoreDate(r.windowStart), windowEnd: StoreDate(r.windowEnd),
                    priorNotices: r.priorNoticesIn3Years, recommendedAction: r.recommendedAction.rawValue,
                    amountPence: r.amountPence, createdAt: r.createdAt))
            if opened { outbox.append(setup.outbound.row(r)) }
        case .liaisonOfficerTask(let task):
            _ = try await tx.createOfficerTask(taskId: task.taskId, caseId: task.caseId, role: task.role.rawValue)
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
    /// One pupil's stored marks as the rules see them (rows that no longer validate, never
    /// expected, are left out). The UPN is validated once and each school's LAESTAB once, not
    /// for every row: a late-year pupil has hundreds.
    static func events(_ records: [MarkRecord], of upn: UPN) -> [MarkEvent] {
        var schools: [String: LAESTAB] = [:]
        var events: [MarkEvent] = []
        events.reserveCapacity(records.count)
        for r in records where r.upn == upn.value {
            guard let session = Session(rawValue: r.session) else { continue }
            let laestab: LAESTAB
            if let known = schools[r.laestab] {
                laestab = known
            } else if let valid = try? LAESTAB(validating: r.laestab) {
                schools[r.laestab] = valid
                laestab = valid
            } else {
                continue
            }
            let date = LocalDate(r.date)
            guard let code = RegisterCode(r.code, on: date) else { continue }
            events.append(
                MarkEvent(
                    id: r.eventId, time: r.eventTime, upn: upn, laestab: laestab, date: date, session: session, code: code,
                    minutesLate: r.minutesLate))
        }
        return events
    }

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
