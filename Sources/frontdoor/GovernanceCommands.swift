import ArgumentParser
import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorStore
import FrontDoorWorkers
import Logging

// Information governance (docs/operations.md "Information governance"): `purge`, `export` and
// `audit`. Each writes an audit_log row about itself (rule `governance`) in the transaction it
// reads or changes data in, and prints no personal data except where that is its purpose
// (`export`, to a file or standard output the operator asked for).

/// Runs `body` on a database pool for one command, then closes the pool.
func withGovernanceDatabase<R: Sendable>(
    _ settings: WorkerSettings, _ body: @escaping @Sendable (FrontDoorDatabase) async throws -> R
) async throws -> R {
    let logger = LogSetup.logger("frontdoor.governance", atLeast: .error)
    let database = FrontDoorDatabase(configuration: try settings.databaseConfiguration(), logger: logger)
    return try await withThrowingTaskGroup(of: R?.self) { group in
        group.addTask {
            await database.run()
            return nil
        }
        defer { group.cancelAll() }
        return try await body(database)
    }
}

struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove or anonymise personal data past Config/retention.yaml (a dry run unless --apply).",
        discussion: """
            Prints, per table, how many rows are (or would be) deleted or anonymised; never their contents.
            The outcomes report of the years the policy keeps gives the same figures afterwards.
            Reads FRONTDOOR_DATABASE_URL and FRONTDOOR_CONFIG_DIR (retention.yaml). Audited (rule governance).
            """)

    @Flag(help: "Delete and anonymise. Without it nothing changes: the counts are of what would go.")
    var apply = false

    @Option(help: "The day the retention periods count back from (YYYY-MM-DD); default today in England.")
    var today: String?

    func validate() throws {
        if let today, LocalDate(iso: today) == nil { throw ValidationError("--today must look like 2026-12-01") }
    }

    func run() async throws {
        let settings = WorkerSettings()
        let policy = try RetentionPolicy.load(directory: settings.configDirectory)
        let now: Date
        let day: LocalDate
        if let today, let d = LocalDate(iso: today) {
            day = d
            now = Date(timeIntervalSince1970: TimeInterval(d.daysSinceEpoch) * 86_400 + 43_200)  // its noon, UTC
        } else {
            now = Date()
            day = LondonDate.of(now)
        }
        let cutoffs = policy.cutoffs(today: day, now: now)
        let apply = self.apply
        let steps = try await withGovernanceDatabase(settings) { db in
            try await db.withTransaction { tx in
                let steps = try await tx.purge(cutoffs, apply: apply)
                var rows: [String: Int] = [:]
                for s in steps { rows["\(s.table).\(s.action)"] = s.rows }
                try await tx.audit([
                    GovernanceAudit.entry(
                        decision: "purge", subjectRef: "all",
                        figures: ["applied": apply, "today": day.description, "rows": rows])
                ])
                return steps
            }
        }
        let policyFile = RetentionPolicy.file
        print(apply ? "purged (policy \(policyFile), today \(day)):" : "dry run (policy \(policyFile), today \(day)); --apply to act:")
        for s in steps {
            let table = s.table.padding(toLength: 22, withPad: " ", startingAt: 0)
            let action = s.action.padding(toLength: 10, withPad: " ", startingAt: 0)
            print("  \(table) \(action) \(s.rows)")
        }
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write everything held about one pupil as JSON (a subject access request).",
        discussion: """
            Pupil, marks, yearly attendance, exclusions, cases, referrals (with names and details), officer
            tasks, roll changes, enforcement reviews and decisions, notifications and audit entries. Needs
            FRONTDOOR_PSEUDONYM_KEY (audit entries are filed under the pupil's pseudonym). Audited (rule
            governance, the pupil's pseudonym as subject).
            """)

    @Option(help: "The pupil's UPN.")
    var upn: String

    @Option(help: "Write to this file (created with mode 0600) instead of standard output.")
    var output: String?

    func run() async throws {
        let settings = WorkerSettings()
        try settings.requirePseudonymKey()
        guard let upn = try? UPN(validating: self.upn.uppercased()) else {
            throw ValidationError("--upn is not a valid UPN (13 characters with a correct check letter)")
        }
        let subject = settings.pseudonyms.subjectRef(upn.value)
        let text = try await withGovernanceDatabase(settings) { db in
            try await db.withTransaction { tx in
                let text = try await tx.subjectAccessExport(upn: upn.value, subjectRef: subject)
                try await tx.audit([GovernanceAudit.entry(decision: "export", subjectRef: subject)])
                return text
            }
        }
        var data = Data(text.utf8)
        if let object = try? JSONSerialization.jsonObject(with: data),
            let pretty = try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        {
            data = pretty
        }
        data.append(0x0A)
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(output)")
            }
            FileHandle.standardError.write(Data("exported pupil \(subject) to \(output)\n".utf8))
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

struct AuditTrail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print a case's audit trail: every decision recorded about it, oldest first.",
        discussion: "One line per entry: time, rule, decision, figures, causing event. Audited (rule governance).")

    @Option(name: .customLong("case"), help: "The case id.")
    var caseId: String

    func run() async throws {
        let settings = WorkerSettings()
        let caseId = self.caseId
        let entries = try await withGovernanceDatabase(settings) { db in
            try await db.withTransaction { tx in
                let entries = try await tx.auditEntries(subjectRef: caseId)
                try await tx.audit([
                    GovernanceAudit.entry(decision: "audit", subjectRef: caseId, figures: ["entries": entries.count])
                ])
                return entries
            }
        }
        print("case \(caseId): \(entries.count) audit entries")
        for e in entries {
            let at = e.at.map { RFC3339.format($0) } ?? "?"
            let figures = String(data: e.figuresJSON, encoding: .utf8) ?? "{}"
            let cause = e.eventId.map { " event=\(e.eventSource ?? "?")/\($0)" } ?? ""
            print("\(at)  \(e.rule)  \(e.decision)  \(figures)\(cause)")
        }
    }
}

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute one pupil's attendance rule state from the stored marks and report any difference.",
        discussion: """
            The attendance worker folds each batch into a stored state per enrolment (pupil × school); this
            replays the pupil's stored marks through the same rules and compares the two, school by school
            (figures, persistent and severe absence episodes, the CME run, the window of recent marks). Prints
            to standard output; exits 1 when a state differs. Needs FRONTDOOR_PSEUDONYM_KEY: audited (rule
            governance, the pupil's pseudonym as subject).
            """)

    @Option(help: "The pupil's UPN.")
    var upn: String

    func run() async throws {
        let settings = WorkerSettings()
        try settings.requirePseudonymKey()
        guard let upn = try? UPN(validating: self.upn.uppercased()) else {
            throw ValidationError("--upn is not a valid UPN (13 characters with a correct check letter)")
        }
        let config = try ConfigLoader(directory: settings.configDirectory).load()
        let handler = AttendanceHandler(config: config, settings: settings)
        let subject = settings.pseudonyms.subjectRef(upn.value)
        let report = try await withGovernanceDatabase(settings) { db in
            try await db.withTransaction { tx in
                let report = try await handler.verify(upn: upn, in: tx)
                try await tx.audit([
                    GovernanceAudit.entry(
                        decision: "verify", subjectRef: subject,
                        figures: ["enrolments": report.enrolments.count, "consistent": report.isConsistent])
                ])
                return report
            }
        }
        print(report.lines.joined(separator: "\n"))
        if !report.isConsistent { throw ExitCode(1) }
    }
}
