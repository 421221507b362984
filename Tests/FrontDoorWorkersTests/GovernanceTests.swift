import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorStore
import FrontDoorWorkers
import Testing

/// Issue 11 item 4: `frontdoor purge` (Config/retention.yaml), `frontdoor export --upn` and
/// `frontdoor audit --case`, each run as the binary against a real, throw-away PostgreSQL.
@Suite("Information governance")
struct GovernanceTests {
    /// The day the purges run: in 2026/27, so the policy's two years of marks are 2025/26 and 2026/27.
    static let today = "2027-06-15"

    /// A pupil with data in and out of every retention period (roll changes too), and one with only old marks.
    struct Fixture {
        let school = TestEnvironment.school(in: "Ashford")
        let upn = Events.upn(TestEnvironment.school(in: "Ashford"), serial: 21)
        let gone = Events.upn(TestEnvironment.school(in: "Ashford"), serial: 22)
        let oldCase = "case-old-cme"
        let newCase = "case-new-cme"
        let personal = ["Ottoline", "Brackenbury", "Ignatius", "Featherstonehaugh", "Lives with grandmother at Windmill Lane"]

        func insert(_ db: TestDatabase) async throws {
            let l = school.laestab.value
            let unit = TestEnvironment.unit(of: school)
            let district = school.district
            let pseudonym = try Pseudonymiser(hexKey: Pipeline.testPseudonymKey).subjectRef(upn)
            for sql in [
                """
                INSERT INTO pupils (upn, fsm, sen, cla, year_group, date_of_birth, characteristics_time) VALUES
                    ('\(upn)', true, 'N', false, 8, '2014-05-02', now()), ('\(gone)', false, 'N', false, 9, '2013-01-01', now())
                """,
                """
                INSERT INTO attendance_marks (source, event_id, upn, laestab, mark_date, session, code, category, event_time)
                SELECT 'urn:laestab:\(l)', u || '-' || d || s, u, '\(l)', d::date, s, c, k, d::date + time '09:05'
                FROM (VALUES ('\(upn)'), ('\(gone)')) AS p(u),
                    (VALUES ('2024-10-01', 'AM', '/', 'present'), ('2024-10-01', 'PM', 'O', 'unauthorised')) AS old(d, s, c, k)
                UNION ALL
                SELECT 'urn:laestab:\(l)', '\(upn)-' || d || s, '\(upn)', '\(l)', d::date, s, c, k, d::date + time '09:05'
                FROM (VALUES ('2025-10-01', 'AM', '/', 'present'), ('2025-10-01', 'PM', 'I', 'authorised'),
                    ('2026-10-05', 'AM', '/', 'present'), ('2026-10-05', 'PM', 'O', 'unauthorised')) AS kept(d, s, c, k)
                """,
                """
                INSERT INTO pupil_year_attendance (upn, academic_year, possible, present) VALUES
                    ('\(upn)', '2018/19', 300, 290), ('\(upn)', '2026/27', 2, 1)
                """,
                """
                INSERT INTO exclusions (laestab, exclusion_id, upn, category, start_date, sessions, reason, academic_year,
                    event_time, source, event_id) VALUES
                    ('\(l)', 'EX-OLD', '\(upn)', 'suspension', '2018-10-01', 2, 'DB', '2018/19', '2018-09-28', 'urn:laestab:\(l)', 'ex-old'),
                    ('\(l)', 'EX-NEW', '\(upn)', 'suspension', '2026-10-12', 2, 'DB', '2026/27', '2026-10-09', 'urn:laestab:\(l)', 'ex-new')
                """,
                """
                INSERT INTO cases (case_id, kind, reason, upn, child_key, laestab, district, unit_id, priority, status,
                    opened_on, closed_on, outcome) VALUES
                    ('\(oldCase)', 'cme', 'cme', '\(upn)', 'key-old', '\(l)', '\(district)', '\(unit)', 'high', 'closed',
                        '2024-10-01', '2024-11-01', 'returned-to-school'),
                    ('\(newCase)', 'cme', 'cme', '\(upn)', 'key-new', '\(l)', '\(district)', '\(unit)', 'high', 'closed',
                        '2026-10-01', '2026-10-20', 'returned-to-school')
                """,
                """
                INSERT INTO referrals (referral_id, case_id, reason, upn, laestab, referrer_kind, referrer_org, child, child_key,
                    safeguarding, details, received_time, received_on, resolved_on, outcome, source, event_id) VALUES
                    ('DFD-OLD', '\(oldCase)', 'cme', '\(upn)', '\(l)', 'school', 'A school',
                        '{"givenName": "\(personal[0])", "familyName": "\(personal[1])", "dateOfBirth": "2014-05-02", "fsm": true, "sen": "N", "cla": false}',
                        'key-old', false, '\(personal[4])', '2024-10-01 09:00Z', '2024-10-01', '2024-10-20', 'returned-to-school',
                        'urn:frontdoor:agency:digital-front-door', 'DFD-OLD'),
                    ('DFD-NEW', '\(newCase)', 'cme', '\(upn)', '\(l)', 'school', 'A school',
                        '{"givenName": "\(personal[2])", "familyName": "\(personal[3])", "dateOfBirth": "2014-05-02", "fsm": true, "sen": "N", "cla": false}',
                        'key-new', false, 'Seen at the station', '2026-10-01 09:00Z', '2026-10-01', '2026-10-09', 'returned-to-school',
                        'urn:frontdoor:agency:digital-front-door', 'DFD-NEW')
                """,
                """
                INSERT INTO outbox (notification_id, topic, message_key, payload, headers, created_at, sent_at) VALUES
                    ('n-old', 'frontdoor.early-help.\(unit).v1', '\(oldCase)',
                        convert_to('{"id": "n-old", "data": {"upn": "\(upn)", "caseId": "\(oldCase)"}}', 'UTF8'), '{}', '2024-10-01', '2024-10-01'),
                    ('n-new', 'frontdoor.early-help.\(unit).v1', '\(newCase)',
                        convert_to('{"id": "n-new", "data": {"upn": "\(upn)", "caseId": "\(newCase)"}}', 'UTF8'), '{}', now(), NULL)
                """,
                """
                INSERT INTO roll_changes (source, event_id, upn, laestab, change, effective_date, event_time) VALUES
                    ('urn:laestab:\(l)', 'adm-old', '\(upn)', '\(l)', 'admitted', '2018-09-03', '2018-09-03 09:00Z'),
                    ('urn:laestab:\(l)', 'adm-new', '\(upn)', '\(l)', 'admitted', '2025-09-03', '2025-09-03 09:00Z')
                """,
                """
                INSERT INTO processed_events (source, event_id, topic, partition, "offset", processed_at) VALUES
                    ('urn:x', 'old', 't', 0, 1, '2025-01-01'), ('urn:x', 'new', 't', 0, 2, '2027-06-01')
                """,
                """
                INSERT INTO rejected_events (topic, partition, "offset", error_code, received_at) VALUES
                    ('t', 0, 3, 'invalid-upn', '2026-01-01'), ('t', 0, 4, 'invalid-upn', '2027-06-01')
                """,
                """
                INSERT INTO audit_log (rule, subject_ref, decision, at) VALUES
                    ('cme-risk', '\(newCase)', 'case-opened', '2019-01-01'),
                    ('referral-triage', '\(newCase)', 'case-opened', '2026-10-01 09:00Z'),
                    ('referral-resolution', '\(newCase)', 'case-closed', '2026-10-09 12:00Z'),
                    ('attendance.severe-absence', '\(pseudonym)', 'notify', '2026-10-05 12:00Z')
                """,
            ] {
                _ = try await db.rows(sql)
            }
        }
    }

    static func environment(_ db: TestDatabase) -> [String: String] {
        [
            "FRONTDOOR_DATABASE_URL": db.url, "FRONTDOOR_CONFIG_DIR": TestEnvironment.configDirectory.path,
            "FRONTDOOR_PSEUDONYM_KEY": Pipeline.testPseudonymKey, "FRONTDOOR_LOG_FORMAT": "json",
        ]
    }

    /// Runs `frontdoor <arguments>` to its end and returns its output; records an issue unless it exits 0.
    static func frontdoor(
        _ arguments: [String], _ db: TestDatabase, sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws -> String
    {
        let p = try WorkerProcess(arguments, name: "governance-\(arguments[0])", environment: environment(db))
        defer { p.cleanUp() }
        let exit = try await p.waitForExit(timeout: .seconds(60))
        #expect(exit.reason == .exit && exit.status == 0, "frontdoor \(arguments) failed: \(p.log)", sourceLocation: sourceLocation)
        return p.log
    }

    static func rowCounts(_ db: TestDatabase) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for t in [
            "attendance_marks", "pupil_year_attendance", "exclusions", "roll_changes", "pupils", "processed_events", "rejected_events",
        ] {
            out[t] = try await db.int("SELECT count(*) FROM \(t)")
        }
        out["audit_log (non-governance)"] = try await db.int("SELECT count(*) FROM audit_log WHERE rule <> 'governance'")
        out["referrals with details"] = try await db.int("SELECT count(*) FROM referrals WHERE details IS NOT NULL")
        out["outbox payloads"] = try await db.int("SELECT count(*) FROM outbox WHERE octet_length(payload) > 0")
        return out
    }

    static func report(_ db: TestDatabase) async throws -> String {
        let reporter = OutcomesReporter(config: TestEnvironment.config, database: db.store)
        _ = try await reporter.syncSchools()
        return try await reporter.report(year: AcademicYear("2026/27")!, compare: AcademicYear("2025/26")!).jsonText()
    }

    @Test("purge: a dry run changes nothing; --apply removes what is past the policy and the report's figures stay")
    func purgeKeepsTheReportsFigures() async throws {
        let f = Fixture()
        try await TestDatabase.with { db in
            try await f.insert(db)
            let before = try await Self.rowCounts(db)
            let reportBefore = try await Self.report(db)

            let dry = try await Self.frontdoor(["purge", "--today", Self.today], db)
            #expect(dry.contains("dry run"), "\(dry)")
            #expect(dry.range(of: #"attendance_marks\s+delete\s+4\b"#, options: .regularExpression) != nil, "\(dry)")
            #expect(try await Self.rowCounts(db) == before, "a dry run changes nothing")

            let applied = try await Self.frontdoor(["purge", "--today", Self.today, "--apply"], db)
            #expect(applied.contains("purged"), "\(applied)")
            for secret in f.personal + [f.upn, f.gone] {
                #expect(!dry.contains(secret) && !applied.contains(secret), "purge prints no personal data (\(secret))")
            }
            let after = try await Self.rowCounts(db)
            #expect(after["attendance_marks"] == 4, "the two kept years' marks stay, 2024/25's go: \(after)")
            #expect(
                after["pupil_year_attendance"] == 1 && after["exclusions"] == 1 && after["roll_changes"] == 1,
                "2018/19 is past eight years: \(after)")
            #expect(after["pupils"] == 1, "the pupil with nothing left goes: \(after)")
            #expect(after["processed_events"] == 1 && after["rejected_events"] == 1, "\(after)")
            #expect(after["audit_log (non-governance)"] == 3, "the 2019 entry is past seven years: \(after)")
            #expect(after["outbox payloads"] == 1, "the sent notification's payload is emptied: \(after)")
            let old = try await db.rows("SELECT child::text, details, upn FROM referrals WHERE referral_id = 'DFD-OLD'")
            #expect(old.first?[1] == nil && old.first?[2] == nil, "\(old)")
            #expect(old.first?[0].map { !$0.contains(f.personal[0]) && !$0.contains(f.personal[1]) && !$0.contains("2014") } == true, "\(old)")
            let kept = try await db.strings("SELECT child->>'givenName' FROM referrals WHERE referral_id = 'DFD-NEW'")
            #expect(kept == [f.personal[2]], "a case closed within the period keeps its names")
            #expect(try await db.int("SELECT count(*) FROM cases WHERE case_id = '\(f.oldCase)' AND upn IS NULL") == 1)

            #expect(try await Self.report(db) == reportBefore, "the report of the kept years is unchanged by the purge")
            let audits = try await db.rows(
                "SELECT subject_ref, decision, figures->>'applied' FROM audit_log WHERE rule = 'governance' ORDER BY id")
            #expect(audits == [["all", "purge", "false"], ["all", "purge", "true"]], "each purge is audited: \(audits)")
        }
    }

    @Test("export --upn writes everything held about the pupil as JSON, and is audited under the pseudonym")
    func exportWritesASubjectAccessRequest() async throws {
        let f = Fixture()
        try await TestDatabase.with { db in
            try await f.insert(db)
            // The worker's rule state, stored in its binary form (migration 12), is exported readable.
            let day = Events.date("2026-09-08")
            let marks = AttendanceRules.marksThatCount([
                MarkEvent(
                    id: "sar-1", time: Date(timeIntervalSince1970: 1_790_000_000), upn: try UPN(validating: f.upn),
                    laestab: f.school.laestab, date: day, session: .am, code: try #require(RegisterCode("O", on: day)))
            ])
            let config = TestEnvironment.config
            let folded = EnrolmentFold.recompute(
                enrolment: Enrolment(upn: try UPN(validating: f.upn), laestab: f.school.laestab), marks: marks,
                firstYear: AcademicYear(startYear: 2026), inputs: EnrolmentInputs(pupil: PupilProfile()),
                context: RuleContext(config: config.rules, calendar: config.calendar, schools: config.register, units: config.units))
            try await db.store.withTransaction { tx in try await tx.saveEnrolmentStates([folded.state]) }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("fdtest-sar-\(TestEnvironment.uniqueSuffix()).json")
            defer { try? FileManager.default.removeItem(at: file) }
            let out = try await Self.frontdoor(["export", "--upn", f.upn.lowercased(), "--output", file.path], db)
            for secret in f.personal + [f.upn] { #expect(!out.contains(secret), "the command's own output holds no personal data") }
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "the export is readable by its owner only")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            #expect((json["pupil"] as? [String: Any])?["date_of_birth"] as? String == "2014-05-02")
            #expect((json["attendanceMarks"] as? [Any])?.count == 6)
            #expect((json["attendanceYears"] as? [Any])?.count == 2)
            let states = try #require(json["enrolmentStates"] as? [[String: Any]])
            #expect(states.map { $0["laestab"] as? String } == [f.school.laestab.value])
            let window = try #require((states.first?["state"] as? [String: Any])?["window"] as? [[String: Any]])
            #expect(window.map { $0["c"] as? String } == ["O"] && window.map { $0["i"] as? String } == ["sar-1"])
            #expect((json["exclusions"] as? [Any])?.count == 2)
            #expect((json["cases"] as? [Any])?.count == 2)
            let referrals = try #require(json["referrals"] as? [[String: Any]])
            #expect(Set(referrals.compactMap { ($0["child"] as? [String: Any])?["givenName"] as? String }) == [f.personal[0], f.personal[2]])
            #expect(referrals.contains { $0["details"] as? String == f.personal[4] })
            #expect((json["rollChanges"] as? [[String: Any]])?.map { $0["event_id"] as? String } == ["adm-old", "adm-new"])
            #expect((json["notifications"] as? [Any])?.count == 2)
            let audit = try #require(json["audit"] as? [[String: Any]])
            #expect(audit.count == 4, "the new case's three entries and the pupil's pseudonymous one: \(audit)")
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(!text.contains(f.gone), "nothing about another pupil")

            let subject = try Pseudonymiser(hexKey: Pipeline.testPseudonymKey).subjectRef(f.upn)
            let audits = try await db.rows("SELECT subject_ref, decision FROM audit_log WHERE rule = 'governance'")
            #expect(audits == [[subject, "export"]], "\(audits)")
        }
    }

    @Test("audit --case prints the case's trail, oldest first, and is itself audited")
    func auditPrintsACaseTrail() async throws {
        let f = Fixture()
        try await TestDatabase.with { db in
            try await f.insert(db)
            let first = try await Self.frontdoor(["audit", "--case", f.newCase], db)
            #expect(first.contains("case \(f.newCase): 3 audit entries"), "\(first)")
            let lines = first.split(separator: "\n").filter { $0.contains("  case-") }
            #expect(lines.map { $0.contains("case-opened") } == [true, true, false], "oldest first: \(lines)")
            #expect(lines.last?.contains("referral-resolution  case-closed") == true)
            let second = try await Self.frontdoor(["audit", "--case", f.newCase], db)
            #expect(second.contains("case \(f.newCase): 4 audit entries") && second.contains("governance  audit"), "\(second)")
            let audits = try await db.rows("SELECT subject_ref, decision FROM audit_log WHERE rule = 'governance'")
            #expect(audits == [[f.newCase, "audit"], [f.newCase, "audit"]])
        }
    }
}
