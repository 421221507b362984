import Foundation
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import Testing

@testable import FrontDoorWorkers

/// Issue 10 items 1 and 2 on the real store: the attendance handler folds batches into
/// `enrolment_states`, and `frontdoor verify` (``AttendanceHandler/verify(upn:in:)``) finds the
/// stored state equal to the one recomputed from the stored marks, or names what differs.
@Suite("Attendance worker: enrolment state folded batch by batch, checked against the stored marks")
struct AttendanceFoldTests {
    static let handler = AttendanceHandler(config: TestEnvironment.config, settings: WorkerSettings(environment: [:]))

    /// Runs `values` (encoded `attendance.mark.v1`s) through the handler in one transaction, as one batch.
    static func batch(_ values: [[UInt8]], in db: TestDatabase) async throws {
        var events: [IncomingEvent] = []
        for (i, v) in values.enumerated() {
            let m = KafkaConsumerMessage(topic: "frontdoor.attendance.v1", partition: 0, offset: Int64(i), key: nil, value: v)
            switch handler.decode(m) {
            case .success(let e): events.append(IncomingEvent(message: m, event: e))
            case .failure(let r): Issue.record("a test event was rejected: \(r.code)")
            }
        }
        try await db.store.withTransaction { tx in try await handler.handle(events, in: tx) }
    }

    static func verify(_ upn: String, in db: TestDatabase) async throws -> AttendanceVerification {
        let u = try UPN(validating: upn)
        return try await db.store.withTransaction { tx in try await handler.verify(upn: u, in: tx) }
    }

    /// A day's two marks (`am`, `pm`) for `upn` at `school`, recorded on the day unless `at` is given.
    static func marksOfDay(
        _ upn: String, _ school: School, _ d: LocalDate, _ am: String, _ pm: String, id: String = "m", at: Date? = nil
    ) -> [[UInt8]] {
        [("AM", am, 9), ("PM", pm, 13)].map { session, code, hour in
            Events.mark(
                id: "\(id)-\(d)-\(session)", upn: upn, laestab: school.laestab.value, date: d, session: session, code: code,
                time: at ?? Events.time(d, hour, 5), pupil: Events.Pupil(fsm: true))
        }
    }

    @Test("the fold's state after amendments, re-sends, a late correction and a school move equals the recomputed one")
    func stateEqualsRecomputed() async throws {
        try await TestDatabase.with { db in
            let ashford = TestEnvironment.school(in: "Ashford")
            let dover = TestEnvironment.school(in: "Dover")
            let upn = Events.upn(ashford, serial: 7)
            let days = Events.markDays(from: Events.date("2026-09-07"), count: 40)
            let codes = ["/", "/", "N", "G", "/", "I", "O", "/"]
            // Day by day, each day a batch; the pupil moves to Dover for the last ten days.
            for (i, d) in days.enumerated() {
                let code = codes[i % codes.count]
                try await Self.batch(Self.marksOfDay(upn, i < 30 ? ashford : dover, d, code, i % 3 == 0 ? "N" : code), in: db)
            }
            // An amendment within the window, a re-send, and a correction weeks old (a recompute).
            let late = Events.time(days[39], 16)
            try await Self.batch(
                Self.marksOfDay(upn, dover, days[37], "/", "/", id: "amend", at: late) + Self.marksOfDay(upn, dover, days[38], "/", "/")
                    + Self.marksOfDay(upn, ashford, days[3], "U", "U", id: "weeks-late", at: late), in: db)
            let report = try await Self.verify(upn, in: db)
            #expect(report.isConsistent, "\(report.lines)")
            #expect(report.enrolments.map(\.laestab) == [ashford.laestab, dover.laestab].sorted())
            // Both enrolments' states, in the binary form only (migration 12).
            let states = try await db.rows(
                "SELECT laestab, (state IS NULL AND packed IS NOT NULL)::text FROM enrolment_states ORDER BY laestab")
            #expect(states == [ashford, dover].map(\.laestab.value).sorted().map { [$0, "true"] })

            // The totals are the replay's over the stored marks.
            let stored = try await db.store.withTransaction { tx in
                try await tx.marksThatCount(upns: [upn], from: StoreDate(Events.date("2026-08-01")), through: StoreDate(Events.date("2027-08-31")))
            }
            let replay = AttendanceRules.assess(
                upn: try UPN(validating: upn),
                marks: AttendanceRules.marksThatCount((stored[upn] ?? []).compactMap(MarkEvent.init(record:))),
                academicYear: AcademicYear(startYear: 2026), pupil: PupilProfile(fsm: true), context: Self.handler.setup.context)
            let totals = try await db.rows(
                "SELECT possible::text, present::text, unauthorised::text FROM pupil_year_attendance WHERE academic_year = '2026/27'")
            #expect(
                totals == [[String(replay.statistics.possible), String(replay.statistics.present), String(replay.statistics.unauthorised)]])
        }
    }

    @Test("bench attendance's generated history holds the states, totals and penalty checkpoints the worker stores for the same marks, day by day")
    func benchHistoryStateEqualsWorkerBuilt() async throws {
        let schools = [TestEnvironment.school(in: "Ashford"), TestEnvironment.school(in: "Dover")]
        let pupils = (0..<12).map { Events.upn(schools[$0 % 2], serial: 100 + $0) }
        // More marked days than the window (10), so each state has a checkpoint and a window.
        let days = Events.markDays(from: Events.date("2026-09-07"), count: 24)
        let history = AttendanceBenchData.History(
            pupils: pupils, schools: schools.map(\.laestab.value), days: days.map(StoreDate.init), academicYear: "2026/27")
        let handler = Self.handler
        let year = AcademicYear(startYear: 2026)
        let last = days[days.count - 1]
        let stateQuery = "SELECT upn, laestab, first_year, horizon::text, latest::text, encode(packed, 'hex') FROM enrolment_states ORDER BY 1, 2"
        let totalsQuery = """
            SELECT upn, academic_year, possible::text, present::text, attending::text, authorised::text, unauthorised::text,
                not_counted::text FROM pupil_year_attendance ORDER BY 1, 2
            """
        let checkpointQuery = "SELECT upn, through::text, checkpoint::text FROM penalty_checkpoints ORDER BY 1"
        try await TestDatabase.with { generated in
            let marks = try await history.load(
                into: generated.store,
                ruleState: { upns, tx in
                    try await handler.storeRecomputedStates(
                        upns: upns.compactMap { try? UPN(validating: $0) }, firstYear: year, through: last, in: tx)
                }, progress: { _ in })
            #expect(marks == pupils.count * days.count * 2)
            let stored = try await generated.store.withTransaction { tx in
                try await tx.marksThatCount(upns: pupils, from: StoreDate(days[0]), through: StoreDate(last))
            }
            let generatedStates = try await generated.rows(stateQuery)
            let generatedTotals = try await generated.rows(totalsQuery)
            let generatedCheckpoints = try await generated.rows(checkpointQuery)
            #expect(generatedStates.count == pupils.count)
            #expect(generatedCheckpoints.count > pupils.count / 2)
            // Some absences, so the states are not all alike.
            #expect(try await generated.int("SELECT count(*) FROM mark_log WHERE category <> 'p'") > 0)

            // The worker, fed the same marks (ids and times) one day a batch, on a database of its own.
            try await TestDatabase.with { worker in
                let byDay = Dictionary(grouping: stored.values.flatMap { $0 }, by: \.date)
                for d in days {
                    let values = (byDay[StoreDate(d)] ?? []).sorted { ($0.upn, $0.session) < ($1.upn, $1.session) }.map { r in
                        Events.mark(
                            id: r.eventId, upn: r.upn, laestab: r.laestab, date: d, session: r.session, code: r.code, time: r.eventTime)
                    }
                    try await Self.batch(values, in: worker)
                }
                #expect(try await worker.rows(stateQuery) == generatedStates)
                #expect(try await worker.rows(totalsQuery) == generatedTotals)
                #expect(try await worker.rows(checkpointQuery) == generatedCheckpoints)
            }
        }
    }

    @Test("a state stored as JSON before migration 12 is read as it was, and written back in the binary form")
    func jsonStateFromBeforeMigration12() async throws {
        try await TestDatabase.with { db in
            let ashford = TestEnvironment.school(in: "Ashford")
            let upn = Events.upn(ashford, serial: 9)
            for d in Events.markDays(from: Events.date("2026-09-07"), count: 14) {
                try await Self.batch(Self.marksOfDay(upn, ashford, d, "O", "/"), in: db)
            }
            let key = try UPN(validating: upn)
            let built = try #require(try await db.store.withTransaction { tx in try await tx.enrolmentStates(upns: [key])[key] })
            #expect(built.count == 1)
            // The row as version 11 wrote it: the JSON form only.
            let json = String(decoding: try JSONEncoder().encode(built[0]), as: UTF8.self)
            _ = try await db.rows("UPDATE enrolment_states SET packed = NULL, state = '\(json)'::jsonb RETURNING 1")
            let read = try await db.store.withTransaction { tx in try await tx.enrolmentStates(upns: [key])[key] }
            #expect(read == built)
            // The next day's batch folds into it and stores the binary form.
            let next = Events.markDays(from: Events.date("2026-09-07"), count: 15)[14]
            try await Self.batch(Self.marksOfDay(upn, ashford, next, "/", "/"), in: db)
            #expect(try await db.rows("SELECT (state IS NULL)::text, (packed IS NULL)::text FROM enrolment_states") == [["true", "false"]])
            #expect(try await Self.verify(upn, in: db).isConsistent)
        }
    }

    @Test("verify names what differs when the stored state is not the marks' (and exits 1)")
    func verifyFindsADifference() async throws {
        try await TestDatabase.with { db in
            let ashford = TestEnvironment.school(in: "Ashford")
            let upn = Events.upn(ashford, serial: 8)
            for d in Events.markDays(from: Events.date("2026-09-07"), count: 25) {
                try await Self.batch(Self.marksOfDay(upn, ashford, d, "G", "/"), in: db)
            }
            #expect(try await Self.verify(upn, in: db).isConsistent)
            // Tamper with the stored state: one more persistent-absence episode than the marks give.
            try await db.store.withTransaction { tx in
                let key = try UPN(validating: upn)
                var states = try await tx.enrolmentStates(upns: [key])[key] ?? []
                #expect(states.count == 1)
                for i in states.indices { states[i].absence.persistent.ordinals = 7 }
                try await tx.saveEnrolmentStates(states)
            }
            let report = try await Self.verify(upn, in: db)
            #expect(!report.isConsistent)
            #expect(report.enrolments.first?.differences == ["persistent-absence"])
            #expect(!report.lines.joined().contains(upn), "verify prints the school, never the UPN")
        }
    }

    @Test("marks re-sent after their claims were purged are stored again and change no state, total, notification or audit entry")
    func resentAfterClaimPurgeChangesNothing() async throws {
        try await TestDatabase.with { db in
            let ashford = TestEnvironment.school(in: "Ashford")
            let upn = Events.upn(ashford, serial: 9)
            let days = Events.markDays(from: Events.date("2026-09-07"), count: 25)
            // Absent every morning: severe absence, so there are notifications and audit entries to repeat.
            for d in days { try await Self.batch(Self.marksOfDay(upn, ashford, d, "O", "/"), in: db) }
            let snapshot = """
                SELECT (SELECT string_agg(concat_ws(' ', laestab, first_year, horizon, latest, state::text), ';') FROM enrolment_states),
                    (SELECT string_agg(concat_ws(' ', academic_year, possible, present, unauthorised), ';') FROM pupil_year_attendance),
                    (SELECT count(*)::text FROM outbox), (SELECT count(*)::text FROM audit_log)
                """
            let before = try await db.rows(snapshot)
            #expect(try await db.int("SELECT count(*) FROM outbox") > 0)
            #expect(try await db.int("SELECT count(*) FROM mark_log") == 50)

            // The handler runs after the claims (BatchWorker), so handling the same events again is
            // a re-send whose claims are gone: a day older than the state's window (a recompute
            // from the stored marks, which now hold that day twice) and the latest day (the fold).
            try await Self.batch(Self.marksOfDay(upn, ashford, days[2], "O", "/"), in: db)
            try await Self.batch(Self.marksOfDay(upn, ashford, days[24], "O", "/"), in: db)
            #expect(try await db.int("SELECT count(*) FROM mark_log") == 54)
            #expect(try await db.rows(snapshot) == before)
            #expect(try await Self.verify(upn, in: db).isConsistent)
        }
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    /// Issue 10 item 4, a measurement (figures, never pass or fail; run with
    /// `FRONTDOOR_FOLD_MEASURE=1`): the handler's time for one more day of marks for pupils
    /// with 10 and with 300 prior marks, and the old path's (the year of marks read back and
    /// replayed) for the same pupils, in one run.
    @Test(
        "measure: a day's batch early and late in the year, fold against replay",
        .enabled(if: TestEnvironment.environment["FRONTDOOR_FOLD_MEASURE"] == "1"))
    func measure() async throws {
        try await TestDatabase.with { db in
            let school = TestEnvironment.school(in: "Ashford")
            let pupils = (0..<200).map { Events.upn(school, serial: $0) }
            let days = Events.markDays(from: Events.date("2026-09-07"), count: 160)
            func dayBatch(_ i: Int) -> [[UInt8]] {
                pupils.flatMap { Self.marksOfDay($0, school, days[i], i % 17 == 5 ? "I" : "/", "/") }
            }
            var done = 0
            var lines: [String] = []
            for prior in [5, 150] {  // days: 10 and 300 prior marks
                while done < prior {
                    try await Self.batch(dayBatch(done), in: db)
                    done += 1
                }
                var fold: [Double] = []
                var replay: [Double] = []
                for _ in 0..<5 {
                    let t0 = ContinuousClock.now
                    try await Self.batch(dayBatch(done), in: db)
                    fold.append(Self.seconds(ContinuousClock.now - t0))
                    done += 1
                    let t1 = ContinuousClock.now
                    try await db.store.withTransaction { tx in
                        let stored = try await tx.marksThatCount(
                            upns: pupils,
                            from: StoreDate(AttendanceLookback.from(AcademicYear(startYear: 2026), context: Self.handler.setup.context)),
                            through: StoreDate(Events.date("2027-08-31")))
                        for upn in pupils {
                            let u = try UPN(validating: upn)
                            _ = AttendanceRules.evaluate(
                                upn: u, events: (stored[upn] ?? []).compactMap(MarkEvent.init(record:)),
                                academicYear: AcademicYear(startYear: 2026), pupil: PupilProfile(fsm: true), context: Self.handler.setup.context)
                        }
                    }
                    replay.append(Self.seconds(ContinuousClock.now - t1))
                }
                let marks = Double(pupils.count * 2)
                lines.append(
                    "prior marks \(prior * 2): fold handler \(Int(marks / fold.min()!)) marks/s,"
                        + " replay read+evaluate alone \(Int(marks / replay.min()!)) marks/s")
            }
            print("fold measurement (200 pupils, one day per batch, best of 5, debug build, shared machine):")
            for l in lines { print("  " + l) }
        }
    }
}
