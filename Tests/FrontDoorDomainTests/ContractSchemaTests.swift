import Foundation
import FrontDoorConfig
import Testing

@testable import FrontDoorDomain

/// The published contract (contract/) agrees with the Swift decoder and encoder.
///
/// JSON Schema validation uses Python's `jsonschema` (Draft 2020-12, with its format
/// checker for `date` and `date-time`), run once per test through `Process`: a well-kept
/// validator is a better judge of what the schema says than one written for this test.
/// Two checks cannot be expressed in JSON Schema and are decoder-only, so they are
/// excluded from the equivalence test and tested separately (`contract/samples/decoder-only/`):
/// a UPN's check letter (census rule 1500) and a mark dated on a weekend or bank holiday.
@Suite("Published contract: schemas, samples and decoder agree (events.md)")
struct ContractSchemaTests {
    static let contract = repositoryRoot.appendingPathComponent("contract", isDirectory: true)
    static let samples = contract.appendingPathComponent("samples", isDirectory: true)

    static let calendar: SchoolCalendar = {
        (try? ConfigLoader(directory: repositoryRoot.appendingPathComponent("Config")).load().calendar) ?? .empty
    }()

    struct Sample: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var testDescription: String { name }
        /// For invalid and decoder-only samples, the reject code the file name starts with.
        var expectedCode: String? {
            name.contains("--") ? String(name.split(separator: "/").last!.components(separatedBy: "--")[0]) : nil
        }
    }

    static func load(_ folder: String) -> [Sample] {
        let dir = folder.isEmpty ? samples : samples.appendingPathComponent(folder, isDirectory: true)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { n in
            guard let d = FileManager.default.contents(atPath: dir.appendingPathComponent(n).path) else { return nil }
            return Sample(name: folder.isEmpty ? n : "\(folder)/\(n)", bytes: Array(d))
        }
    }

    static let mainSamples = load("")
    static let validSamples = load("valid")
    static let invalidSamples = load("invalid")
    static let decoderOnlySamples = load("decoder-only")

    static func isInput(_ s: Sample) -> Bool { !s.name.hasPrefix("earlyhelp.") && !s.name.hasPrefix("enforcement.review") }

    // MARK: Python jsonschema

    static let validatorScript = """
        import json, sys, os
        import jsonschema
        req = json.load(sys.stdin)
        schemas = {}
        for f in os.listdir(req["schemas"]):
            if f.endswith(".json"):
                with open(os.path.join(req["schemas"], f)) as fh:
                    schemas[f[:-5]] = json.load(fh)
        out = []
        for text in req["instances"]:
            inst = json.loads(text)
            t = inst.get("type") if isinstance(inst, dict) else None
            if not isinstance(t, str) or t not in schemas:
                out.append(False)
                continue
            v = jsonschema.Draft202012Validator(schemas[t], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            out.append(v.is_valid(inst))
        json.dump(out, sys.stdout)
        """

    /// Whether each instance is valid against the schema of its `type` (no such schema: invalid).
    static func schemaAccepts(_ instances: [[UInt8]]) throws -> [Bool] {
        let request: [String: Any] = [
            "schemas": contract.appendingPathComponent("schemas").path,
            "instances": instances.map { String(decoding: $0, as: UTF8.self) },
        ]
        let input = try JSONSerialization.data(withJSONObject: request)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [ProcessInfo.processInfo.environment["FRONTDOOR_PYTHON"] ?? "python3", "-c", validatorScript]
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = stderr
        try p.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ValidatorFailed(message: "python3 jsonschema failed: " + String(decoding: err, as: UTF8.self))
        }
        return try JSONDecoder().decode([Bool].self, from: out)
    }

    struct ValidatorFailed: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func decoderAccepts(_ s: Sample) -> Result<InputEvent, Reject> {
        EventDecoder.decode(structured: s.bytes, calendar: calendar)
    }

    // MARK: Tests

    @Test("There is a sample of every event type, and a schema of every event type")
    func everyTypeHasSampleAndSchema() {
        for t in EventType.allCases {
            #expect(Self.mainSamples.contains { $0.name == "\(t.rawValue).json" }, "sample of \(t.rawValue)")
            let schema = Self.contract.appendingPathComponent("schemas/\(t.rawValue).json")
            #expect(FileManager.default.fileExists(atPath: schema.path), "schema of \(t.rawValue)")
        }
        #expect(Self.validSamples.count >= 10)
        #expect(Self.invalidSamples.count >= 20)
    }

    @Test("Every input sample decodes with the Swift decoder")
    func inputSamplesDecode() {
        for s in Self.mainSamples.filter(Self.isInput) + Self.validSamples {
            if case .failure(let r) = Self.decoderAccepts(s) { Issue.record("\(s.name) rejected: \(r)") }
        }
    }

    @Test("The output samples decode into EarlyHelpNotification and EnforcementReview")
    func outputSamplesDecode() throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { d in
            let s = try d.singleValueContainer().decode(String.self)
            guard let date = RFC3339.parse(s) else { throw DecodingError.dataCorrupted(.init(codingPath: d.codingPath, debugDescription: "time")) }
            return date
        }
        struct Envelope<D: Decodable>: Decodable {
            var id: String
            var data: D
        }
        let n = try #require(Self.mainSamples.first { $0.name == "earlyhelp.notification.v1.json" })
        let notification = try decoder.decode(Envelope<EarlyHelpNotification>.self, from: Data(n.bytes))
        #expect(notification.id == notification.data.notificationId)
        #expect(notification.data.kind == .severeAbsence)
        let r = try #require(Self.mainSamples.first { $0.name == "enforcement.review.v1.json" })
        let review = try decoder.decode(Envelope<EnforcementReview>.self, from: Data(r.bytes))
        #expect(review.data.priorNotices.count == review.data.priorNoticesIn3Years)
    }

    @Test("Every invalid sample is rejected with the code its file name starts with")
    func invalidSamplesRejectedWithCode() {
        for s in Self.invalidSamples + Self.decoderOnlySamples {
            switch Self.decoderAccepts(s) {
            case .success: Issue.record("\(s.name) was accepted")
            case .failure(let r): #expect(r.code.rawValue == s.expectedCode, "\(s.name): \(r)")
            }
        }
    }

    @Test("Decoder accepts exactly what the schema accepts (valid and invalid samples; decoder-only checks excluded)")
    func decoderAcceptsWhatSchemaAccepts() throws {
        let all = Self.mainSamples.filter(Self.isInput) + Self.validSamples + Self.invalidSamples
        #expect(all.count >= 40)
        let schema = try Self.schemaAccepts(all.map(\.bytes))
        #expect(schema.filter { $0 }.count >= 15 && schema.filter { !$0 }.count >= 20)
        for (s, schemaOK) in zip(all, schema) {
            let decoderOK = (try? Self.decoderAccepts(s).get()) != nil
            #expect(decoderOK == schemaOK, "\(s.name): decoder \(decoderOK ? "accepts" : "rejects"), schema \(schemaOK ? "accepts" : "rejects")")
        }
    }

    @Test("Decoder-only checks: the schema accepts these, the decoder rejects them (UPN check letter, weekend or bank holiday)")
    func decoderOnlyChecks() throws {
        let samples = Self.decoderOnlySamples
        #expect(Set(samples.compactMap(\.expectedCode)) == ["invalid-upn", "not-a-school-day"])
        let schema = try Self.schemaAccepts(samples.map(\.bytes))
        for (s, schemaOK) in zip(samples, schema) {
            #expect(schemaOK, "\(s.name) should be valid against the schema")
            #expect((try? Self.decoderAccepts(s).get()) == nil, "\(s.name) should be rejected by the decoder")
        }
    }

    @Test("Encoded outputs are valid against their published schemas")
    func encodedOutputsMatchSchemas() throws {
        let upn = try UPN(validating: "N886200126001")
        let created = try #require(RFC3339.parse("2026-11-16T09:05:12.345Z"))
        let notification = EarlyHelpNotification(
            notificationId: StableID.make("n", "1"), caseId: StableID.make("c", "1"), unitId: "ashford", district: "Ashford",
            kind: .permanentExclusion, priority: .urgent, upn: upn, laestab: try LAESTAB(validating: "8862001"),
            dueBy: day("2026-11-24"), reasons: ["ehcp"], createdAt: created
        )
        let noUPN = EarlyHelpNotification(
            notificationId: StableID.make("n", "2"), caseId: StableID.make("c", "2"), unitId: "county-duty", district: "unassigned",
            kind: .cmeReferral, priority: .high, upn: nil, laestab: nil, dueBy: day("2026-11-30"), reasons: [], createdAt: created
        )
        let review = EnforcementReview(
            caseId: StableID.make("r", "1"), upn: upn, laestab: try LAESTAB(validating: "8862001"), ruleset: .kent2016,
            basis: .examPeriod, attendancePct: 93.1, unauthorisedSessions: 2, windowStart: day("2026-09-01"),
            windowEnd: day("2027-05-12"), priorNoticesIn3Years: 0, priorNotices: [], recommendedAction: .penaltyNotice,
            amountPence: nil, createdAt: created
        )
        let outputs = [EventEncoder.encode(notification), EventEncoder.encode(noUPN), EventEncoder.encode(review)]
        #expect(try Self.schemaAccepts(outputs) == [true, true, true])
        // And a tampered output is not: the check is able to fail.
        var broken = try #require(JSONSerialization.jsonObject(with: Data(outputs[0])) as? [String: Any])
        broken["source"] = "urn:laestab:8862001"
        #expect(try Self.schemaAccepts([Array(try JSONSerialization.data(withJSONObject: broken))]) == [false])
    }

    @Test("An encoded enforcement.review-withdrawn.v1 and an ehe-consent-required notification match their schemas")
    func encodedWithdrawalMatchesSchema() throws {
        let upn = try UPN(validating: "N886200126001")
        let at = try #require(RFC3339.parse("2026-11-24T08:40:00.123Z"))
        let withdrawal = EnforcementReviewWithdrawal(
            caseId: StableID.make("r", "1"), upn: upn, reason: .amendedBelowThreshold, withdrawnAt: at)
        let encoded = EventEncoder.encode(withdrawal)
        let object = try #require(JSONSerialization.jsonObject(with: Data(encoded)) as? [String: Any])
        #expect(object["id"] as? String == EventEncoder.reviewWithdrawnEventID(caseId: withdrawal.caseId))
        #expect(object["time"] as? String == "2026-11-24T08:40:00.123Z")
        let consent = EarlyHelpNotification(
            notificationId: StableID.make("n", "3"), caseId: StableID.make("c", "3"), unitId: "dover", district: "Dover",
            kind: .eheConsentRequired, priority: .urgent, upn: upn, laestab: try LAESTAB(validating: "8864001"),
            dueBy: day("2026-11-25"), reasons: ["child-protection-plan"], createdAt: at)
        #expect(try Self.schemaAccepts([encoded, EventEncoder.encode(consent)]) == [true, true])
    }

    @Test("AsyncAPI document names every topic of events.md and every message schema exists")
    func asyncAPIDocument() throws {
        let text = try String(contentsOf: Self.contract.appendingPathComponent("asyncapi.yaml"), encoding: .utf8)
        #expect(text.hasPrefix("asyncapi: 3.0.0") || text.contains("\nasyncapi: 3.0.0"))
        for topic in [
            "frontdoor.attendance.v1", "frontdoor.exclusions.v1", "frontdoor.referrals.v1", "frontdoor.decisions.v1",
            "frontdoor.early-help.{unitId}.v1", "frontdoor.enforcement.v1", "{inputTopic}.dlq",
        ] {
            #expect(text.contains("address: \(topic)") || text.contains("address: '\(topic)'"), "topic \(topic)")
        }
        for header in [
            "frontdoor-error-code", "frontdoor-error", "frontdoor-original-topic", "frontdoor-original-partition", "frontdoor-original-offset",
        ] {
            #expect(text.contains(header + ":"), "DLQ header \(header)")
        }
        for t in EventType.allCases { #expect(text.contains("./schemas/\(t.rawValue).json"), "\(t.rawValue)") }
        for code in RejectCode.allCases { #expect(text.contains("- \(code.rawValue)"), "reject code \(code.rawValue)") }
    }
}
