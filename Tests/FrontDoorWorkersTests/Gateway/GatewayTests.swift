import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorGateway
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// issue 12, `POST /events`: the CloudEvents HTTP binding's three modes against the real broker and
/// PostgreSQL, each status code of the gateway, and who may send what.
@Suite("Gateway", .serialized)
struct GatewayTests {
    static let day = Events.markDays(from: Events.date("2026-09-14"), count: 1)[0]
    static let otherSchool = TestEnvironment.config.register.schools.first { $0.laestab != GatewayHarness.defaultSchool.laestab }!

    static func mark(_ h: GatewayHarness, id: String, serial: Int = 1, code: String = "/", school: School? = nil) -> [UInt8] {
        let s = school ?? h.school
        return Events.mark(id: id, upn: Events.upn(s, serial: serial), laestab: s.laestab.value, date: day, session: "AM", code: code)
    }

    @Test("structured mode: 202 after the broker acked, the event on the attendance topic keyed by its UPN, byte for byte")
    func structured() async throws {
        try await GatewayHarness.with("structured") { h in
            let event = Self.mark(h, id: "gw-structured-1")
            let r = try await h.post(event, key: h.schoolKey)
            #expect(r.status == .accepted, "\(r.text)")
            let answer = r.answer
            #expect(answer.published == 1 && answer.rejected == 0)
            #expect(answer.results == [EventResult(index: 0, id: "gw-structured-1", outcome: .published, topic: h.pipeline.topics.attendance)])
            let on = try await h.published(on: h.pipeline.topics.attendance)
            #expect(on.count == 1)
            #expect(on.first?.value == event)
            #expect(on.first?.key == Array(Events.upn(h.school, serial: 1).utf8))
        }
    }

    @Test("binary mode: ce- headers and a JSON body are published as the structured event the workers decode")
    func binary() async throws {
        try await GatewayHarness.with("binary") { h in
            let upn = Events.upn(h.school, serial: 2)
            let data = Events.json([
                "upn": upn, "laestab": h.school.laestab.value, "date": Self.day.description, "session": "PM", "code": "L",
                "minutesLate": 12,
            ])
            var headers = HTTPFields()
            headers[HTTPField.Name("ce-specversion")!] = "1.0"
            headers[HTTPField.Name("ce-id")!] = "gw-binary-1"
            headers[HTTPField.Name("ce-source")!] = "urn:laestab:\(h.school.laestab.value)"
            headers[HTTPField.Name("ce-type")!] = "attendance.mark.v1"
            headers[HTTPField.Name("ce-time")!] = "2026-09-14T13:05:00Z"
            headers[HTTPField.Name("ce-subject")!] = upn
            let r = try await h.post(data, contentType: "application/json", key: h.schoolKey, headers: headers)
            #expect(r.status == .accepted, "\(r.text)")
            let on = try await h.published(on: h.pipeline.topics.attendance)
            #expect(on.count == 1)
            let decoded = try EventDecoder.decode(structured: on[0].value, calendar: TestEnvironment.config.calendar).get()
            guard case .attendanceMark(let envelope, let mark) = decoded else {
                Issue.record("not a mark: \(decoded)")
                return
            }
            #expect(envelope.id == "gw-binary-1" && envelope.mode == .structured && envelope.subject == upn)
            #expect(mark.minutesLate == 12 && mark.session == .pm && mark.upn.value == upn)
        }
    }

    @Test("batched mode: a whole register (300 marks) in one request, every mark published once and in order")
    func batchedRegister() async throws {
        try await GatewayHarness.with("batched") { h in
            var events: [[UInt8]] = []
            for pupil in 0..<30 {
                let upn = Events.upn(h.school, serial: pupil)
                events += Events.register(
                    prefix: "gw-reg-\(pupil)", upn: upn, laestab: h.school.laestab.value, from: Self.day,
                    codes: Array(repeating: "/", count: 10)
                ).map(\.value)
            }
            let r = try await h.post(GatewayHarness.batch(events), contentType: CloudEventsHTTP.batchMediaType, key: h.schoolKey)
            #expect(r.status == .accepted, "\(r.text.prefix(500))")
            let answer = r.answer
            #expect(answer.published == 300)
            #expect(answer.results?.map(\.index) == Array(0..<300))
            #expect(answer.results?.allSatisfy { $0.outcome == .published } == true)
            let on = try await h.published(on: h.pipeline.topics.attendance)
            #expect(on.map(\.value) == events)
        }
    }

    @Test("400: each invalid event is named with its reject code, the valid ones are still published")
    func invalidEvents() async throws {
        try await GatewayHarness.with("invalid") { h in
            let good = Self.mark(h, id: "gw-good")
            let badUPN = Events.mark(
                id: "gw-bad-upn", upn: "A886200126001", laestab: h.school.laestab.value, date: Self.day, session: "AM", code: "/")
            let badCode = Self.mark(h, id: "gw-bad-code", code: "?")
            let body = GatewayHarness.batch([badUPN, good, badCode, Array("{\"specversion\" \"1.0\"}".utf8)])
            let r = try await h.post(body, contentType: CloudEventsHTTP.batchMediaType, key: h.schoolKey)
            #expect(r.status == .badRequest)
            let results = r.answer.results ?? []
            #expect(results.map(\.outcome) == [.rejected, .published, .rejected, .rejected])
            #expect(results.map(\.code) == ["invalid-upn", nil, "unknown-register-code", "invalid-json"])
            #expect(results.first?.field == "data.upn")
            #expect(r.answer.published == 1 && r.answer.rejected == 3)
            let on = try await h.published(on: h.pipeline.topics.attendance)
            #expect(on.map(\.value) == [good])
            // A body that is not an array at all is one error.
            let notArray = try await h.post(Array("{}".utf8), contentType: CloudEventsHTTP.batchMediaType, key: h.schoolKey)
            #expect(notArray.status == .badRequest && notArray.answer.error == "invalid-json")
        }
    }

    @Test("401: no key, a malformed key, an unknown key and a revoked key; rotating retires the old key")
    func unauthorized() async throws {
        try await GatewayHarness.with("unauthorized") { h in
            let event = Self.mark(h, id: "gw-401")
            let none = try await h.post(event, key: nil)
            #expect(none.status == .unauthorized && none.headers[.wwwAuthenticate] != nil)
            var junk = HTTPFields()
            junk[.authorization] = "Bearer fdk_not-a-key"
            #expect(try await h.post(event, key: nil, headers: junk).status == .unauthorized)
            #expect(try await h.post(event, key: ClientKey.generate()).status == .unauthorized)

            let second = try await h.addClient(id: "second-school", kind: .school, laestab: h.school.laestab)
            #expect(try await h.post(Self.mark(h, id: "gw-401-ok"), key: second).status == .accepted)
            let revoked = try await h.db.store.withTransaction { try await $0.revokeGatewayClient(id: "second-school") }
            #expect(revoked)
            let after = try await h.post(event, key: second)
            #expect(after.status == .unauthorized, "a revoked key is refused")

            let rotated = ClientKey.generate()
            let done = try await h.db.store.withTransaction {
                try await $0.rotateGatewayClientKey(id: "school-\(h.school.laestab.value)", keySHA256: rotated.sha256Hex)
            }
            #expect(done)
            #expect(try await h.post(event, key: h.schoolKey).status == .unauthorized, "the key before rotation")
            #expect(try await h.post(event, key: rotated).status == .accepted)
            let on = try await h.published(on: h.pipeline.topics.attendance)
            #expect(on.count == 2, "only the two accepted posts reached the topic")
        }
    }

    @Test("403: a school posting another school's LAESTAB, alone or in a batch, publishes nothing")
    func otherSchool() async throws {
        try await GatewayHarness.with("forbidden") { h in
            let other = Self.otherSchool
            // Another school's mark, under the other school's source.
            let theirs = Self.mark(h, id: "gw-theirs", school: other)
            let alone = try await h.post(theirs, key: h.schoolKey)
            #expect(alone.status == .forbidden)
            #expect(alone.answer.results?.first?.outcome == .forbidden)
            // Its own source, but another school's data.laestab.
            var object = Events.markObject(
                id: "gw-mixed", upn: Events.upn(other, serial: 3), laestab: other.laestab.value, date: Self.day, session: "AM",
                code: "/", time: Events.time(Self.day, 9))
            object["source"] = "urn:laestab:\(h.school.laestab.value)"
            let mixed = try await h.post(Events.json(object), key: h.schoolKey)
            #expect(mixed.status == .forbidden)
            let batch = GatewayHarness.batch([Self.mark(h, id: "gw-own"), theirs])
            let b = try await h.post(batch, contentType: CloudEventsHTTP.batchMediaType, key: h.schoolKey)
            #expect(b.status == .forbidden)
            #expect(b.answer.results?.map(\.outcome) == [.notPublished, .forbidden])
            #expect(try await h.published(on: h.pipeline.topics.attendance).isEmpty, "nothing was published")
        }
    }

    @Test("403: an agency sends only referrals, an officer tool only decisions and resolutions, each under its own source")
    func kinds() async throws {
        try await GatewayHarness.with("kinds") { h in
            let agency = try await h.addClient(id: "kent-police", kind: .agency)
            let officer = try await h.addClient(id: "enforcement-console", kind: .officerTool)
            let time = Events.time(Self.day, 11)
            var referral =
                try JSONSerialization.jsonObject(
                    with: Data(
                        Events.referral(
                            referralId: "DFD-GW-1", reason: "cme", upn: nil, laestab: nil, givenName: "Test", familyName: "Child",
                            dateOfBirth: "2014-03-27", time: time))) as! [String: Any]
            referral["source"] = "urn:frontdoor:agency:kent-police"
            let r1 = try await h.post(Events.json(referral), key: agency)
            #expect(r1.status == .accepted, "\(r1.text)")
            referral["id"] = "DFD-GW-1-b"
            referral["source"] = "urn:frontdoor:agency:someone-else"
            #expect(try await h.post(Events.json(referral), key: agency).status == .forbidden, "not its own source")
            #expect(try await h.post(Self.mark(h, id: "gw-agency-mark"), key: agency).status == .forbidden, "an agency sends no marks")
            referral["source"] = "urn:frontdoor:officer-tool:enforcement-console"
            #expect(try await h.post(Events.json(referral), key: officer).status == .forbidden, "an officer tool sends no referrals")
            var decision =
                try JSONSerialization.jsonObject(
                    with: Data(Events.decision(id: "gw-dec-1", caseId: "case-1", decision: "no-action", decidedOn: Self.day, time: time)))
                as! [String: Any]
            decision["source"] = "urn:frontdoor:officer-tool:enforcement-console"
            let r2 = try await h.post(Events.json(decision), key: officer)
            #expect(r2.status == .accepted, "\(r2.text)")
            #expect(try await h.post(Events.json(decision), key: h.schoolKey).status == .forbidden, "a school sends no decisions")
            let decisions = try await h.published(on: h.pipeline.topics.decisions)
            #expect(decisions.count == 1 && decisions.first?.key == Array("case-1".utf8))
            let referrals = try await h.published(on: h.pipeline.topics.referrals)
            #expect(referrals.count == 1 && referrals.first?.key == Array("DFD-GW-1".utf8))
        }
    }

    @Test("413: a body over the byte limit, a batch over the event limit; 415: not a CloudEvents content type")
    func limits() async throws {
        var settings = GatewaySettings(environment: [:])
        settings.maximumBodyBytes = 4000
        settings.maximumEvents = 3
        try await GatewayHarness.with("limits", settings: settings) { h in
            let events = (0..<4).map { Self.mark(h, id: "gw-limit-\($0)", serial: $0) }
            let four = try await h.post(GatewayHarness.batch(events), contentType: CloudEventsHTTP.batchMediaType, key: h.schoolKey)
            #expect(four.status == .contentTooLarge && four.answer.error == "too-many-events")
            let big = GatewayHarness.batch(Array(repeating: events[0], count: 3) + [Array(repeating: UInt8(ascii: " "), count: 4000)])
            let tooBig = try await h.post(big, contentType: CloudEventsHTTP.batchMediaType, key: h.schoolKey)
            #expect(tooBig.status == .contentTooLarge && tooBig.answer.error == "body-too-large")
            let three = try await h.post(
                GatewayHarness.batch(Array(events.prefix(3))), contentType: CloudEventsHTTP.batchMediaType, key: h.schoolKey)
            #expect(three.status == .accepted)
            let plain = try await h.post(events[3], contentType: "text/plain", key: h.schoolKey)
            #expect(plain.status == .unsupportedMediaType)
            #expect(try await h.published(on: h.pipeline.topics.attendance).count == 3)
        }
    }

    @Test("429 with Retry-After once a client has spent its bucket; another client is not held back")
    func rateLimited() async throws {
        var settings = GatewaySettings(environment: [:])
        settings.eventsPerSecond = 0.5
        settings.burst = 3
        settings.maximumEvents = 3
        try await GatewayHarness.with("rate", settings: settings) { h in
            let batch = GatewayHarness.batch((0..<3).map { Self.mark(h, id: "gw-rate-\($0)", serial: $0) })
            #expect(try await h.post(batch, contentType: CloudEventsHTTP.batchMediaType, key: h.schoolKey).status == .accepted)
            let limited = try await h.post(Self.mark(h, id: "gw-rate-3"), key: h.schoolKey)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true, "\(limited.headers)")
            let other = try await h.addClient(id: "other", kind: .school, laestab: h.school.laestab)
            #expect(try await h.post(Self.mark(h, id: "gw-rate-4"), key: other).status == .accepted)
            #expect(try await h.published(on: h.pipeline.topics.attendance).count == 4)
        }
    }

    @Test("503 with Retry-After when the broker is unreachable; the answer says nothing was published and to resend")
    func brokerDown() async throws {
        var settings = GatewaySettings(environment: [:])
        settings.publishTimeout = .milliseconds(1500)
        // A port nothing listens on.
        try await GatewayHarness.with("broker-down", settings: settings, brokers: "127.0.0.1:1") { h in
            let batch = GatewayHarness.batch([Self.mark(h, id: "gw-503-a", serial: 1), Self.mark(h, id: "gw-503-b", serial: 2)])
            let r = try await h.post(batch, contentType: CloudEventsHTTP.batchMediaType, key: h.schoolKey)
            #expect(r.status == .serviceUnavailable, "\(r.text)")
            #expect(r.headers[.retryAfter] != nil)
            let answer = r.answer
            #expect(answer.error == "broker-unavailable" && answer.published == 0)
            #expect(answer.results?.map(\.outcome) == [.notPublished, .notPublished])
            #expect(answer.message?.contains("Send the whole request again") == true)
        }
    }

    @Test("the same event posted twice: 202 both times, one mark downstream (the attendance worker sees a duplicate)")
    func postedTwice() async throws {
        try await GatewayHarness.with("twice") { h in
            let event = Self.mark(h, id: "gw-twice", code: "N")
            let first = try await h.post(event, key: h.schoolKey)
            let second = try await h.post(event, key: h.schoolKey)
            #expect(first.status == .accepted && second.status == .accepted)
            let on = try await h.published(on: h.pipeline.topics.attendance)
            #expect(on.count == 2, "the gateway publishes both; the workers make the second harmless")
            let ends = [KafkaTopicPartition(topic: h.pipeline.topics.attendance, partition: 0): Int64(2)]
            let settings = h.pipeline.settings(databaseURL: h.db.url)
            let duplicates = try await InProcessWorkers.with([.attendance], relay: false, database: h.db.store, settings: settings) {
                workers in
                try await h.pipeline.waitUntilConsumed(h.db, worker: "attendance", ends: ends)
                // The worker counts a batch after its commit, so wait for both events to be counted.
                return try await eventually("both events counted") {
                    let stats = workers.workers[.attendance]?.stats
                    let processed = stats?.processed.load(ordering: .relaxed) ?? 0
                    let duplicates = stats?.duplicates.load(ordering: .relaxed) ?? 0
                    return (processed + duplicates == 2, duplicates)
                }
            }
            #expect(duplicates == 1)
            #expect(try await h.db.int("SELECT count(*) FROM attendance_marks") == 1)
            #expect(try await h.db.int("SELECT count(*) FROM attendance_marks WHERE event_id = 'gw-twice' AND code = 'N'") == 1)
        }
    }

    @Test("HTTPS when FRONTDOOR_GATEWAY_TLS_CERT and _KEY are set: a post over TLS is accepted")
    func tls() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fdtest-gateway-tls-\(TestEnvironment.uniqueSuffix())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try TLSCluster.openssl(
            in: directory, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "gateway.key", "-out", "gateway.crt", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")
        let settings = GatewaySettings(environment: [
            "FRONTDOOR_GATEWAY_TLS_CERT": directory + "/gateway.crt", "FRONTDOOR_GATEWAY_TLS_KEY": directory + "/gateway.key",
        ])
        #expect(settings.usesTLS)
        // HummingbirdTesting's HTTPS client (AsyncHTTPClient, certificate verification off for a self-signed certificate).
        try await GatewayHarness.with("tls", settings: settings, setup: .ahc(.https)) { h in
            let r = try await h.post(Self.mark(h, id: "gw-tls-1"), key: h.schoolKey)
            #expect(r.status == .accepted, "\(r.text)")
            #expect(try await h.published(on: h.pipeline.topics.attendance).count == 1)
        }
    }

    @Test("every FRONTDOOR_GATEWAY_* variable is one WorkerSettings lists (deployment files are checked against it)")
    func environmentVariables() {
        #expect(GatewaySettings.environmentVariables.isSubset(of: WorkerSettings.environmentVariables))
        let gatewayInWorkers = WorkerSettings.environmentVariables.filter { $0.hasPrefix("FRONTDOOR_GATEWAY_") }
        #expect(gatewayInWorkers == GatewaySettings.environmentVariables)
        let s = GatewaySettings(environment: [
            "FRONTDOOR_GATEWAY_PORT": "9443", "FRONTDOOR_GATEWAY_MAX_EVENTS": "20000", "FRONTDOOR_GATEWAY_BURST": "10",
        ])
        #expect(s.port == 9443 && s.maximumEvents == 20000 && s.effectiveBurst == 20000 && !s.usesTLS)
    }
}

/// `frontdoor clients add|rotate|revoke|list`, the real binary against the gateway's database.
@Suite("Gateway clients command")
struct GatewayClientsCommandTests {
    static func key(in output: String) -> ClientKey? {
        output.split(whereSeparator: \.isNewline).lazy.compactMap { line in
            line.split(separator: " ").last.flatMap { ClientKey(text: $0) }
        }.first
    }

    @Test("the printed key opens the door until it is rotated or revoked; each call is in the audit trail; list prints no key")
    func lifecycle() async throws {
        try await GatewayHarness.with("clients-command") { h in
            let laestab = h.school.laestab.value
            let added = try await GovernanceTests.frontdoor(["clients", "add", "--kind", "school", "--laestab", laestab, "--id", "mis-a"], h.db)
            let first = try #require(Self.key(in: added), "no key in: \(added)")
            #expect(try await h.db.int("SELECT count(*) FROM gateway_clients WHERE key_sha256 = '\(first.sha256Hex)'") == 1)
            #expect(try await h.db.int("SELECT count(*) FROM gateway_clients WHERE key_sha256 LIKE '%\(first.text.dropFirst(4))%'") == 0)
            #expect(try await h.post(GatewayTests.mark(h, id: "cmd-1"), key: first).status == .accepted)

            let rotated = try await GovernanceTests.frontdoor(["clients", "rotate", "--id", "mis-a"], h.db)
            let second = try #require(Self.key(in: rotated))
            #expect(try await h.post(GatewayTests.mark(h, id: "cmd-2"), key: first).status == .unauthorized)
            #expect(try await h.post(GatewayTests.mark(h, id: "cmd-3"), key: second).status == .accepted)

            _ = try await GovernanceTests.frontdoor(["clients", "revoke", "--id", "mis-a"], h.db)
            #expect(try await h.post(GatewayTests.mark(h, id: "cmd-4"), key: second).status == .unauthorized)

            let listed = try await GovernanceTests.frontdoor(["clients", "list"], h.db)
            #expect(listed.contains("mis-a\tschool\t\(laestab)") && !listed.contains("fdk_"), "\(listed)")
            let trail = try await h.db.strings(
                "SELECT decision || ' ' || subject_ref FROM audit_log WHERE rule = 'governance' AND decision LIKE 'clients-%' ORDER BY id")
            #expect(trail == ["clients-add mis-a", "clients-rotate mis-a", "clients-revoke mis-a", "clients-list all"])
        }
    }
}
