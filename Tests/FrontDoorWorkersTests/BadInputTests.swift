import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Synchronization
import Testing

/// Rejected input (events.md, "Envelope"): every kind of bad message lands in `<topic>.dlq`
/// with its original key, value and headers and the five `frontdoor-*` headers, while the good
/// messages around it in the same partition are processed; an event for a school missing from
/// Config/schools.csv is accepted and routed to the `unassigned` district's unit.
@Suite("Bad input")
struct BadInputTests {
    @Test(.timeLimit(.minutes(3)))
    func rejectsGoToTheDeadLetterQueueAndThePartitionMovesOn() async throws {
        let pipeline = Pipeline("badinput", inputPartitions: 1)
        try await pipeline.createTopics()
        let t = pipeline.topics
        let school = TestEnvironment.school(in: "Ashford")
        let laestab = school.laestab.value
        let upn = Events.upn(school, serial: 11)
        let monday = Events.date("2026-09-07")
        func good(_ n: Int, _ day: LocalDate) -> [UInt8] {
            Events.mark(id: "good-\(n)", upn: upn, laestab: laestab, date: day, session: "AM", code: "/")
        }
        func variant(_ edit: (inout [String: Any]) -> Void) -> [UInt8] {
            var object = Events.markObject(
                id: "bad-\(UUID().uuidString)", upn: upn, laestab: laestab, date: monday, session: "PM", code: "/",
                time: Events.time(monday, 13))
            edit(&object)
            return Events.json(object)
        }
        func setData(_ o: inout [String: Any], _ key: String, _ value: Any?) {
            var d = o["data"] as! [String: Any]
            d[key] = value
            o["data"] = d
        }
        let wrongCheckLetter: String = {
            let letters = UPN.checkAlphabet.filter { $0 != upn.first! }
            return String(letters[0]) + upn.dropFirst()
        }()
        let bad: [(code: String, value: [UInt8])] = [
            ("invalid-json", Array("{\"specversion\":\"1.0\",\"id\":".utf8)),
            ("value-too-large", variant { $0["padding"] = String(repeating: "x", count: 300 * 1024) }),
            ("unknown-type", variant { $0["type"] = "attendance.mark.v2" }),
            ("missing-field", variant { setData(&$0, "upn", nil) }),
            (
                "invalid-upn",
                variant {
                    setData(&$0, "upn", wrongCheckLetter)
                    $0["subject"] = wrongCheckLetter
                }
            ),
            ("unknown-register-code", variant { setData(&$0, "code", "H") }),  // not in the 2024 set
            ("not-a-school-day", variant { setData(&$0, "date", "2026-09-12") }),  // a Saturday
            ("not-a-school-day", variant { setData(&$0, "date", "2026-12-25") }),  // Christmas Day, a Friday
        ]
        let unknownSchool = try #require(
            (9000...9999).lazy.map { "886\($0)" }.first { l in
                !TestEnvironment.config.register.schools.contains { $0.laestab.value == l }
            })
        let unassignedBody = "886" + unknownSchool.suffix(4) + "26" + "012"
        let unassignedUPN = String(UPN.checkLetter(forBody: unassignedBody)!) + unassignedBody
        let unassigned = Events.register(
            prefix: "unassigned", upn: unassignedUPN, laestab: unknownSchool, from: monday,
            codes: Array(repeating: "/", count: 8) + Array(repeating: "I", count: 12))

        // One partition: good ones, then each bad one followed by a good one, then the unknown school's register.
        var messages: [KafkaProducerMessage] = []
        func add(_ value: [UInt8], key: String, trace: String) {
            messages.append(
                KafkaProducerMessage(
                    topic: t.attendance, partition: 0, key: Array(key.utf8), value: value,
                    headers: [KafkaHeader(key: "x-trace", string: trace)]))
        }
        add(good(0, monday), key: upn, trace: "good-0")
        // A good one in binary content mode: attributes in ce_* headers, the value is `data`.
        let binaryData = Events.json([
            "upn": upn, "laestab": laestab, "date": monday.description, "session": "PM", "code": "/", "minutesLate": NSNull(),
        ])
        messages.append(
            KafkaProducerMessage(
                topic: t.attendance, partition: 0, key: Array(upn.utf8), value: binaryData,
                headers: [
                    KafkaHeader(key: "ce_specversion", string: "1.0"), KafkaHeader(key: "ce_id", string: "good-binary"),
                    KafkaHeader(key: "ce_source", string: "urn:laestab:\(laestab)"),
                    KafkaHeader(key: "ce_type", string: "attendance.mark.v1"),
                    KafkaHeader(key: "ce_time", string: RFC3339.format(Events.time(monday, 13, 5))),
                    KafkaHeader(key: "content-type", string: "application/json"),
                ]))
        let days = Events.markDays(from: monday, count: bad.count + 1)
        for (i, b) in bad.enumerated() {
            add(b.value, key: upn, trace: "bad-\(i)")
            add(good(i + 1, days[i + 1]), key: upn, trace: "good-\(i + 1)")
        }
        for m in unassigned { add(m.value, key: m.key, trace: "unassigned") }

        try await TestDatabase.with { db in
            let reader = try OutputReader(topics: pipeline.notificationTopics + pipeline.dlqTopics)
            defer { Task { await reader.close() } }
            let reports = try await InProcessWorkers.with([.attendance], database: db.store, settings: pipeline.settings(databaseURL: db.url)) {
                workers in
                let reports = try await Pipeline.produce(messages)
                try await pipeline.waitUntilConsumed(db, worker: "attendance", ends: Pipeline.endOffsets(reports))
                try await pipeline.waitUntilRelayed(db)
                #expect(workers.workers[.attendance]!.stats.rejected.load(ordering: .relaxed) == bad.count)
                return reports
            }
            let out = try await reader.read("\(bad.count) dead letters and the unassigned notification") { out in
                out.on(t.dlq(of: t.attendance)).count >= bad.count && out.contains { $0.kind == "severe-absence" }
            }

            // Every reject, in partition order, with its code, original bytes, key and headers.
            let dead = out.on(t.dlq(of: t.attendance))
            #expect(dead.map { $0.header("frontdoor-error-code") ?? "-" } == bad.map(\.code))
            for (i, d) in dead.enumerated() where i < bad.count {
                let original = reports[2 + 2 * i]
                #expect(d.message.value == bad[i].value, "original bytes of \(bad[i].code) intact")
                #expect(d.message.key == Array(upn.utf8))
                #expect(d.header("x-trace") == "bad-\(i)", "original headers kept")
                #expect(d.header("frontdoor-original-topic") == t.attendance)
                #expect(d.header("frontdoor-original-partition") == "0")
                #expect(d.header("frontdoor-original-offset") == String(original.offset))
                let sentence = d.header("frontdoor-error") ?? ""
                #expect(!sentence.isEmpty && !sentence.contains(upn), "one human sentence without personal data: \(sentence)")
            }
            #expect(dead.count == bad.count, "each reject dead-lettered once")
            #expect(try await db.int("SELECT count(*) FROM rejected_events") == bad.count)
            let rejectedRows = try await db.strings(
                "SELECT concat_ws(' ', topic, partition, \"offset\", error_code) FROM rejected_events ORDER BY \"offset\"")
            let expectedRows = bad.indices.map { "\(t.attendance) 0 \(reports[2 + 2 * $0].offset) \(bad[$0].code)" }
            #expect(rejectedRows == expectedRows)

            // The good marks around them, and the unknown school's register, were all recorded.
            let goodIds = Set(try await db.strings("SELECT event_id FROM attendance_marks WHERE upn = '\(upn)'"))
            #expect(goodIds == Set((0...bad.count).map { "good-\($0)" } + ["good-binary"]))
            #expect(try await db.int("SELECT count(*) FROM attendance_marks WHERE upn = '\(unassignedUPN)'") == unassigned.count)

            // The unknown school's pupil is routed to the unassigned district's unit.
            let notifications = out.filter { pipeline.notificationTopics.contains($0.topic) }
            #expect(notifications.count == 1)
            let n = try #require(notifications.first)
            let unit = TestEnvironment.config.units.unassignedUnitId
            #expect(n.kind == "severe-absence")
            #expect(n.topic == t.earlyHelp(unit: unit))
            #expect(n.field("unitId") == unit)
            #expect(n.field("district") == "unassigned")
            #expect(n.upn == unassignedUPN)
        }
    }
}
