import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 11 item 2: "no personal data (names, UPNs, free text) in logs", pseudonyms keyed by
/// `FRONTDOOR_PSEUDONYM_KEY`, and the logs one JSON object per line with the event's id as a
/// correlation id.
@Suite("Logs and pseudonyms")
struct PrivacyLogTests {
    /// Every worker process and `watch` run over events carrying UPNs, names and `details`;
    /// afterwards not one line of their output holds any of them.
    @Test(.timeLimit(.minutes(5)))
    func aWholeRunLogsNoUPNNameOrDetails() async throws {
        let pipeline = Pipeline("privacy", inputPartitions: 1)
        try await pipeline.createTopics()
        let t = pipeline.topics
        let ashford = TestEnvironment.school(in: "Ashford")
        let gravesham = TestEnvironment.school(in: "Gravesham")
        let swale = TestEnvironment.school(in: "Swale")
        let start = Events.date("2026-09-07")

        var upns: [String] = []
        var names: [String] = []
        var details: [String] = []
        var messages: [KafkaProducerMessage] = []
        // Severe absence: an Early Help notification through the relay to `watch`.
        let severe = Events.upn(ashford, serial: 11)
        upns.append(severe)
        messages += Events.register(
            prefix: "privacy-severe", upn: severe, laestab: ashford.laestab.value, from: start,
            codes: Array(repeating: "/", count: 8) + Array(repeating: "I", count: 12)
        ).map { KafkaProducerMessage(topic: t.attendance, key: Array($0.key.utf8), value: $0.value) }
        // A permanent exclusion: another notification.
        let excluded = Events.upn(gravesham, serial: 12)
        upns.append(excluded)
        messages.append(
            KafkaProducerMessage(
                topic: t.exclusions, key: Array(excluded.utf8),
                value: Events.permanentExclusion(
                    id: "privacy-px", exclusionId: "EX-PRIV-1", upn: excluded, laestab: gravesham.laestab.value,
                    start: Events.date("2026-11-02"), time: Events.time(Events.date("2026-10-23"), 15), pupil: Events.Pupil())))
        // CME referrals with names and free text: one accepted, one rejected (a bad date of birth) to the DLQ.
        let referred = Events.upn(swale, serial: 13)
        upns.append(referred)
        for (id, given, family, dob, text) in [
            ("DFD-PRIV-1", "Persephone", "Quillfeather", "2014-05-02", "Seen near Quayside market with an older man"),
            ("DFD-PRIV-2", "Thaddeus", "Wolvercote", "2014-13-45", "Mother reports Thaddeus stays at Aunt Ffion"),
        ] {
            names += [given, family]
            details.append(text)
            var object = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(
                        Events.referral(
                            referralId: id, reason: "cme", upn: referred, laestab: swale.laestab.value, givenName: given,
                            familyName: family, dateOfBirth: dob, safeguarding: true,
                            time: Events.time(Events.date("2026-10-01"), 9)))) as? [String: Any])
            var data = try #require(object["data"] as? [String: Any])
            data["details"] = text
            object["data"] = data
            messages.append(KafkaProducerMessage(topic: t.referrals, key: Array(id.utf8), value: Events.json(object)))
        }
        // An attendance mark whose invalid UPN is itself personal data, rejected with a code.
        let validUPN = Events.upn(ashford, serial: 999)
        let badUPN = (validUPN.first == "A" ? "B" : "A") + validUPN.dropFirst()  // a wrong check letter
        upns.append(badUPN)
        messages.append(
            KafkaProducerMessage(
                topic: t.attendance, key: Array(badUPN.utf8),
                value: Events.mark(
                    id: "privacy-bad-upn", upn: badUPN, laestab: ashford.laestab.value, date: start, session: "AM", code: "/")))

        try await TestDatabase.with { db in
            var env = pipeline.environment(databaseURL: db.url, extra: ["FRONTDOOR_TODAY": "2026-10-20"])
            env["FRONTDOOR_LOG_FORMAT"] = nil  // the default: JSON, standard error being a file
            let watch = try WorkerProcess(["watch", "--from-beginning"], name: "privacy-watch", environment: env)
            defer { watch.cleanUp() }
            var workers: [WorkerProcess] = []
            defer { for w in workers { w.cleanUp() } }
            for kind in ["attendance", "exclusions", "referrals", "relay"] {
                workers.append(try WorkerProcess(["worker", kind], name: "privacy-\(kind)", environment: env))
            }
            let ends = Pipeline.endOffsets(try await Pipeline.produce(messages))
            for (kind, topic) in [("attendance", t.attendance), ("exclusions", t.exclusions), ("referrals", t.referrals)] {
                try await pipeline.waitUntilConsumed(db, worker: kind, ends: ends.filter { $0.key.topic == topic }, timeout: .seconds(120))
            }
            try await eventually("notifications in the outbox", timeout: .seconds(30)) {
                let n = try await db.int("SELECT count(*) FROM outbox")
                return (n >= 3, n)
            }
            try await pipeline.waitUntilRelayed(db)
            let published = try await db.int("SELECT count(*) FROM outbox")
            try await eventually("watch to print every notification", timeout: .seconds(60)) {
                let n = watch.log.split(separator: "\n").filter { $0.contains("pupil:") }.count
                return (n >= published, "\(n) of \(published): \(watch.logTail)")
            }
            for w in workers { w.signal(SIGTERM) }
            watch.signal(SIGTERM)
            for w in workers + [watch] { try await w.waitForExit() }

            // Pseudonyms: keyed, 128 bits, the same in `watch` and audit_log as under the test's key.
            let key = try Pseudonymiser(hexKey: Pipeline.testPseudonymKey)
            let other = try Pseudonymiser(hexKey: String(repeating: "c0de", count: 16))
            #expect(watch.log.contains(key.subjectRef(severe)), "watch shows the keyed pseudonym: \(watch.logTail)")
            #expect(key.pseudonym(severe) == key.pseudonym(severe.lowercased()), "stable under one key")
            #expect(key.pseudonym(severe) != other.pseudonym(severe), "another key, another pseudonym")
            #expect(key.pseudonym(severe).count == 32 && key.pseudonym(severe) != key.pseudonym(excluded))
            let refs = try await db.strings("SELECT DISTINCT subject_ref FROM audit_log WHERE subject_ref LIKE 'pupil:%'")
            #expect(!refs.isEmpty && refs.allSatisfy { $0.count == "pupil:".count + 32 }, "\(refs)")
            #expect(refs.contains(key.subjectRef(severe)) || refs.contains(key.subjectRef(excluded)), "\(refs)")

            // Every worker line is a JSON object with the documented fields.
            var lines: [(String, String)] = []
            for w in workers {
                for line in w.log.split(separator: "\n") {
                    lines.append((w.name, String(line)))
                    let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    #expect(
                        object.map { o in ["timestamp", "level", "label", "message", "metadata"].allSatisfy { o[$0] != nil } } == true,
                        "\(w.name): not a JSON log line: \(line)")
                }
            }
            // The rejects are logged with their event id as the correlation id.
            #expect(
                lines.contains { $0.1.contains("rejected to dead-letter queue") && $0.1.contains(#""eventId":"DFD-PRIV-2""#) },
                "the reject's line names its event")
            #expect(lines.contains { $0.1.contains(#""eventId":"privacy-bad-upn""#) }, "the bad UPN's reject names its event")
            for line in watch.log.split(separator: "\n") { lines.append((watch.name, String(line))) }
            #expect(lines.count > 10, "the processes logged something to check")
            for secret in upns + names + details {
                let leaks = lines.filter { $0.1.range(of: secret, options: .caseInsensitive) != nil }
                #expect(leaks.isEmpty, "personal data \"\(secret)\" in: \(leaks.map { "\($0.0): \($0.1)" })")
            }
        }
    }

    /// A worker or `watch` without `FRONTDOOR_PSEUDONYM_KEY`, or with a short key, refuses to start and says why.
    @Test(.timeLimit(.minutes(2)))
    func withoutAKeyWorkersAndWatchRefuseToStart() async throws {
        let pipeline = Pipeline("privacy-nokey", inputPartitions: 1)
        var env = pipeline.environment(databaseURL: TestEnvironment.databaseURL)
        env["FRONTDOOR_PSEUDONYM_KEY"] = nil
        for (arguments, extra) in [
            (["worker", "attendance"], [:]), (["watch"], [:]),
            (["worker", "relay"], ["FRONTDOOR_PSEUDONYM_KEY": "abcdef0123"]),
        ] as [([String], [String: String])] {
            let p = try WorkerProcess(arguments, name: "nokey-\(arguments.joined(separator: "-"))", environment: env.merging(extra) { $1 })
            defer { p.cleanUp() }
            let exit = try await p.waitForExit(timeout: .seconds(30))
            #expect(exit.reason == .exit && exit.status != 0, "\(arguments) exited with an error: \(exit)")
            #expect(p.log.contains("FRONTDOOR_PSEUDONYM_KEY"), "\(arguments) names the missing setting: \(p.log)")
            #expect(!p.log.contains("abcdef0123"), "the refused key is not printed")
        }
    }

    /// Not only the workers: every command logs through the one bootstrap (`FrontDoorCommand.main`),
    /// so `migrate`'s warning about a schema newer than the build is a JSON line on standard error
    /// (the default when standard error is not a terminal), not swift-log's plain text on standard output.
    @Test(.timeLimit(.minutes(2)))
    func migrateLogsJSONLinesLikeTheWorkers() async throws {
        try await TestDatabase.with { db in
            _ = try await db.rows("INSERT INTO schema_migrations (version, name) VALUES (999, 'from-a-newer-build')")
            let p = try WorkerProcess(["migrate", "--timeout", "30"], name: "log-migrate", environment: ["FRONTDOOR_DATABASE_URL": db.url])
            defer { p.cleanUp() }
            let exit = try await p.waitForExit(timeout: .seconds(60))
            #expect(exit.reason == .exit && exit.status == 0, "\(p.log)")
            let warning = p.log.split(separator: "\n").first { $0.contains("Database schema is newer than this build") }
            let object = try #require(warning, "migrate logged its warning: \(p.log)").data(using: .utf8)
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            #expect(object?["level"] as? String == "warning", "a JSON log line: \(warning ?? "")")
            #expect(object?["label"] as? String == "frontdoor.migrate")
            #expect((object?["metadata"] as? [String: Any])?["db.schema.version"] as? String == "999")
        }
    }
}
