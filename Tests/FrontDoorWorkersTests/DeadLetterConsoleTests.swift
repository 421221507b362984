import Foundation
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import Testing

@testable import FrontDoorWorkers

/// The DLQ console (issue 11, item 5): `frontdoor dlq list|show|replay` over the rejects a real
/// worker run dead-lettered, against the real broker and PostgreSQL.
@Suite("Dead-letter console")
struct DeadLetterConsoleTests {
    static let childName = "Jolene Marchbanks"

    @Test(
        "list and show print codes and positions but no UPN, name or value; replay after a fix processes the event once",
        .timeLimit(.minutes(4)))
    func listShowAndReplayAfterAFix() async throws {
        let pipeline = Pipeline("dlqconsole", inputPartitions: 1)
        try await pipeline.createTopics()
        let t = pipeline.topics
        let school = TestEnvironment.school(in: "Ashford")
        let upn = Events.upn(school, serial: 31)
        let day = Events.date("2026-11-20")
        let caseId = "case-dlq-console-1"
        // A decision on a case frontdoor does not know yet (unknown-case), and a mark with a code
        // that does not exist, carrying the pupil's UPN in key, value and subject and a name in a header.
        let decision = Events.decision(
            id: "decision-1", caseId: caseId, decision: "penalty-notice-issued", decidedOn: day, time: Events.time(day, 11))
        let badMark = Events.mark(
            id: "bad-mark", upn: upn, laestab: school.laestab.value, date: Events.date("2026-09-07"),
            session: "NOON", code: "/")
        let messages = [
            KafkaProducerMessage(
                topic: t.decisions, partition: 0, key: Array(caseId.utf8), value: decision,
                headers: [KafkaHeader(key: "x-trace", string: "replay-me")]),
            KafkaProducerMessage(
                topic: t.attendance, partition: 0, key: Array(upn.utf8), value: badMark,
                headers: [KafkaHeader(key: "x-child-name", string: Self.childName)]),
        ]

        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url)
            let console = try DeadLetterConsole(settings: settings, logger: TestEnvironment.logger)
            try await InProcessWorkers.with([.attendance], relay: false, database: db.store, settings: settings) { _ in
                let reports = try await Pipeline.produce(messages)
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(reports))

                // list: both rejects with their codes and origins, and nothing personal.
                let (all, more) = try await console.fetch(try console.dlqTopics(for: nil), filter: DeadLetterFilter())
                #expect(more == 0)
                #expect(all.count == 2 && all.contains { $0.code == "unknown-case" })
                let listing = DeadLetterConsole.listText(all)
                #expect(listing.contains("unknown-case  from \(t.decisions)[0]@\(reports[0].offset)"), "\(listing)")
                #expect(listing.contains("from \(t.attendance)[0]@\(reports[1].offset)"))
                #expect(listing.contains("2 rejects"))
                #expect(!listing.contains(upn) && !listing.contains(Self.childName) && !listing.contains("Marchbanks"), "\(listing)")
                #expect(!listing.contains("staff-40217") && !listing.contains("parent-7d1c2b"), "no value field printed")

                // show: headers by name; values of the unsafe ones, the key and the value are not shown.
                let mark = try #require(all.first { $0.originalTopic == t.attendance })
                let shown = DeadLetterConsole.showText(mark, value: false)
                #expect(shown.contains("x-child-name: (\(Self.childName.utf8.count) bytes, not shown)"), "\(shown)")
                #expect(shown.contains("frontdoor-error-code: \(mark.code)"))
                #expect(shown.contains("key: \(upn.utf8.count) bytes (not shown)"))
                #expect(!shown.contains(upn) && !shown.contains(Self.childName), "\(shown)")
                #expect(!shown.contains("\"specversion\""), "no value without --value")
                #expect(DeadLetterConsole.showText(mark, value: true).contains(upn), "--value prints the value")

                // dry run by default: nothing sent.
                let unknownCase = DeadLetterFilter(code: "unknown-case")
                let dlq = try console.dlqTopics(for: "decisions")
                #expect(dlq == [t.dlq(of: t.decisions)])
                let selected = try await console.fetch(dlq, filter: unknownCase).letters
                #expect(selected.count == 1)
                let dry = try await console.replay(selected, dlqTopics: dlq, filter: unknownCase, producer: nil, database: nil)
                #expect(dry.text.contains("would replay \(selected[0].position) unknown-case to \(t.decisions)"), "\(dry.text)")
                #expect(dry.sent == 0)

                // The fix: the case and its review now exist. Replay sends the decision back; it is processed.
                try await db.store.withTransaction { tx in
                    _ = try await tx.createCase(
                        CaseRecord(
                            caseId: caseId, kind: "enforcement-review", reason: "attendance", upn: upn,
                            laestab: school.laestab.value, district: "Ashford", unitId: "unit-south", priority: "normal",
                            openedOn: StoreDate(Events.date("2026-11-13"))))
                    _ = try await tx.openReview(
                        EnforcementReviewRecord(
                            caseId: caseId, upn: upn, laestab: school.laestab.value, ruleset: "england-2024",
                            basis: "ten-unauthorised-sessions", attendancePct: 88, unauthorisedSessions: 11,
                            windowStart: StoreDate(Events.date("2026-09-07")), windowEnd: StoreDate(Events.date("2026-11-13")),
                            priorNotices: 0, recommendedAction: "penalty-notice", createdAt: Date()))
                }
                let producer = try KafkaProducer(
                    configuration: settings.producerConfiguration(clientID: "dlq-console-test"), logger: TestEnvironment.logger)
                let first = try await console.replay(selected, dlqTopics: dlq, filter: unknownCase, producer: producer, database: db.store)
                #expect(first.sent == 1 && first.failed == 0, "\(first.text)")
                let sentReports = first.outcomes.compactMap { if case .sent(let r) = $0.outcome { r } else { nil } }
                #expect(sentReports.map(\.topic) == [t.decisions])
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(sentReports))
                #expect(try await db.int("SELECT count(*) FROM enforcement_decisions WHERE case_id = '\(caseId)'") == 1)
                #expect(try await db.strings("SELECT status FROM enforcement_reviews WHERE case_id = '\(caseId)'") == ["decided"])

                // Replaying again has no second effect: the event is a duplicate by (source, id).
                let again = try await console.fetch(dlq, filter: unknownCase).letters
                #expect(again.count == 1, "the DLQ still holds the reject; the replay was not rejected again")
                let second = try await console.replay(again, dlqTopics: dlq, filter: unknownCase, producer: producer, database: db.store)
                let secondReports = second.outcomes.compactMap { if case .sent(let r) = $0.outcome { r } else { nil } }
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(secondReports))
                await producer.close()
                #expect(try await db.int("SELECT count(*) FROM enforcement_decisions WHERE case_id = '\(caseId)'") == 1)
                #expect(
                    try await console.fetch(try console.dlqTopics(for: nil), filter: DeadLetterFilter()).letters.count == 2,
                    "no new rejects")

                // The replayed message was the original, with the DLQ's headers replaced by frontdoor-replayed-from.
                let replayed = try #require(console.replayMessage(selected[0]))
                #expect(replayed.value == decision && replayed.key == Array(caseId.utf8))
                #expect(replayed.topic == t.decisions && replayed.partition == 0, "its original topic and partition")
                #expect(replayed.headers.map(\.key) == ["x-trace", "frontdoor-replayed-from"])

                // Each run is audited, without personal data.
                let audit = try await db.strings("SELECT decision || ' ' || figures::text FROM audit_log WHERE rule = 'dlq-replay'")
                #expect(audit.count == 2)
                #expect(audit.allSatisfy { $0.hasPrefix("replayed ") && $0.contains("unknown-case") && !$0.contains(upn) }, "\(audit)")
            }
        }
    }

    /// Runs `frontdoor dlq <arguments>` and returns its exit status and everything it wrote
    /// (standard output and standard error, so its logs too).
    static func run(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
        let process = try WorkerProcess(["dlq"] + arguments, name: "dlq-\(arguments[0])", environment: environment)
        let (_, status) = try await process.waitForExit(timeout: .seconds(60))
        return (status, process.log)
    }

    @Test("the dlq command's output, logs included, holds no UPN, name or value", .timeLimit(.minutes(3)))
    func commandPrintsNoPersonalData() async throws {
        let pipeline = Pipeline("dlqcli", inputPartitions: 1)
        try await pipeline.createTopics()
        let t = pipeline.topics
        let school = TestEnvironment.school(in: "Ashford")
        let upn = Events.upn(school, serial: 32)
        let bad = Events.mark(
            id: "bad-cli", upn: upn, laestab: school.laestab.value, date: Events.date("2026-09-07"), session: "NOON",
            code: "/")
        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url)
            let env = pipeline.environment(databaseURL: db.url)
            try await InProcessWorkers.with([.attendance], relay: false, database: db.store, settings: settings) { _ in
                let reports = try await Pipeline.produce([
                    KafkaProducerMessage(
                        topic: t.attendance, partition: 0, key: Array(upn.utf8), value: bad,
                        headers: [KafkaHeader(key: "x-child-name", string: Self.childName)])
                ])
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(reports))

                let list = try await Self.run(["list"], environment: env)
                #expect(list.status == 0, "\(list.output)")
                #expect(list.output.contains("from \(t.attendance)[0]@\(reports[0].offset)"), "\(list.output)")
                let show = try await Self.run(
                    ["show", "--topic", "attendance", "--partition", "0", "--offset", "0"], environment: env)
                #expect(show.status == 0, "\(show.output)")
                #expect(show.output.contains("x-child-name: (\(Self.childName.utf8.count) bytes, not shown)"), "\(show.output)")
                let dry = try await Self.run(["replay", "--topic", "attendance"], environment: env)
                #expect(dry.output.contains("dry run: 1 would be replayed"), "\(dry.output)")
                // The cause is not fixed: the replay is rejected again, a second reject on the DLQ.
                let applied = try await Self.run(["replay", "--topic", "attendance", "--apply"], environment: env)
                #expect(applied.status == 0, "\(applied.output)")
                #expect(applied.output.contains("1 replayed, 0 stubs refused, 0 failed"), "\(applied.output)")
                #expect(applied.output.contains("dead-letter replay"), "the run is logged")
                for output in [list.output, show.output, dry.output, applied.output] {
                    #expect(!output.contains(upn) && !output.contains(Self.childName) && !output.contains("NOON"), "\(output)")
                }
                let withValue = try await Self.run(
                    ["show", "--topic", "attendance", "--partition", "0", "--offset", "0", "--value"], environment: env)
                #expect(withValue.output.contains(upn), "only --value prints the value")
                #expect(try await db.int("SELECT count(*) FROM audit_log WHERE rule = 'dlq-replay'") == 1)
            }
        }
    }

    @Test("a stub is listed as a stub and never replayed", .timeLimit(.minutes(2)))
    func stubIsRefused() async throws {
        let pipeline = Pipeline("dlqconsolestub", inputPartitions: 1)
        try await pipeline.createTopics()
        let t = pipeline.topics
        let producer = try KafkaProducer(
            configuration: Pipeline.producerConfiguration(clientID: "dlq-console-stub"), logger: TestEnvironment.logger)
        let writer = DeadLetterQueue(producer: producer, topics: t, logger: TestEnvironment.logger)
        let original = KafkaConsumerMessage(
            topic: t.attendance, partition: 0, offset: 41, key: Array("K".utf8), value: Array(repeating: 0x7b, count: 300_000))
        let stub = writer.stub(
            of: RejectedMessage(message: original, reject: Reject(.valueTooLarge, "The value is larger than 256 KiB.")),
            refusedCode: 10)
        _ = try await producer.send(stub)

        try await TestDatabase.with { db in
            let settings = pipeline.settings(databaseURL: db.url)
            let console = try DeadLetterConsole(settings: settings, logger: TestEnvironment.logger)
            let dlq = try console.dlqTopics(for: t.attendance)
            let letters = try await console.fetch(dlq, filter: DeadLetterFilter()).letters
            #expect(letters.count == 1 && letters.allSatisfy(\.isStub))
            #expect(DeadLetterConsole.listText(letters).contains("STUB (original 300000 B"))
            #expect(console.replayMessage(letters[0]) == nil)
            let result = try await console.replay(letters, dlqTopics: dlq, filter: DeadLetterFilter(), producer: producer, database: db.store)
            #expect(result.sent == 0 && result.stubs == 1)
            #expect(result.text.contains("not replayed \(letters[0].position) value-too-large: a stub has no value"), "\(result.text)")
            let reader = try KafkaPartitionReader(configuration: settings.consumerConfiguration(group: "dlq-console-check"))
            let input = try await reader.read(from: [KafkaTopicPartitionOffset(topic: t.attendance, partition: 0, offset: -2)])
            #expect(input.isEmpty, "nothing was sent to the input topic")
        }
        await producer.close()
    }

    @Test("--topic accepts an input topic, its DLQ or a short name, and nothing else")
    func topicSelection() throws {
        let console = try DeadLetterConsole(settings: WorkerSettings(environment: [:]), logger: TestEnvironment.logger)
        #expect(try console.dlqTopics(for: nil) == TopicNames().inputs.map { $0 + ".dlq" })
        #expect(try console.dlqTopics(for: "rolls") == ["frontdoor.rolls.v1.dlq"])
        #expect(try console.dlqTopics(for: "referrals") == ["frontdoor.referrals.v1.dlq"])
        #expect(try console.dlqTopics(for: "frontdoor.referrals.v1") == ["frontdoor.referrals.v1.dlq"])
        #expect(try console.dlqTopics(for: "frontdoor.referrals.v1.dlq") == ["frontdoor.referrals.v1.dlq"])
        #expect(throws: DeadLetterConsoleError.self) { try console.dlqTopics(for: "frontdoor.enforcement.v1") }
    }
}
