import Foundation
import Testing

@testable import FrontDoorDomain

/// events.md "Envelope" and "Input types": decoding, the reject rules and their codes.
@Suite("EventDecoder (events.md envelope and input types)")
struct EventDecoderTests {
    static let upn = "N886200126001"
    static let calendar = SchoolCalendar(
        terms: [], bankHolidays: [day("2026-05-04"), day("2026-12-28")], insetDays: [], examPeriods: []
    )

    static func mark(
        data: [String: Any] = [:],
        envelope: [String: Any] = [:],
        removing: [String] = [],
        removingData: [String] = []
    ) -> [UInt8] {
        var d: [String: Any] = [
            "upn": upn, "laestab": "8862001", "date": "2026-09-14", "session": "AM", "code": "/", "minutesLate": NSNull(),
            "pupil": ["yearGroup": 7, "fsm": true, "sen": "K", "cla": false],
        ]
        d.merge(data) { $1 }
        for k in removingData { d.removeValue(forKey: k) }
        var e: [String: Any] = [
            "specversion": "1.0", "id": "b0f6", "source": "urn:laestab:8862001", "type": "attendance.mark.v1",
            "time": "2026-09-14T09:05:12Z", "subject": upn, "data": d,
        ]
        e.merge(envelope) { $1 }
        for k in removing { e.removeValue(forKey: k) }
        return Array(try! JSONSerialization.data(withJSONObject: e, options: [.sortedKeys]))
    }

    static func decode(_ bytes: [UInt8], headers: [(key: String, value: [UInt8]?)] = []) -> Result<InputEvent, Reject> {
        EventDecoder.decode(value: bytes, headers: headers, calendar: calendar)
    }

    static func reject(_ bytes: [UInt8], headers: [(key: String, value: [UInt8]?)] = []) -> Reject? {
        if case .failure(let r) = decode(bytes, headers: headers) { return r }
        return nil
    }

    @Test("A structured attendance mark decodes into domain values")
    func structuredMark() throws {
        let event = try Self.decode(Self.mark()).get()
        guard case .attendanceMark(let env, let m) = event else {
            Issue.record("wrong case")
            return
        }
        #expect(env.id == "b0f6" && env.source == "urn:laestab:8862001" && env.type == .attendanceMark)
        #expect(env.subject == Self.upn && env.mode == .structured)
        #expect(env.time == Date(timeIntervalSince1970: 1_789_376_712))
        #expect(m.upn.value == Self.upn && m.laestab.value == "8862001" && m.date == day("2026-09-14"))
        #expect(m.session == .am && m.code.code == "/" && m.code.category == .present && m.minutesLate == nil)
        #expect(m.pupil == PupilCharacteristics(yearGroup: 7, fsm: true, sen: .senSupport, cla: false))
        #expect(event.upn?.value == Self.upn)
    }

    @Test("RFC 3339 time: with or without fractional seconds, Z or offsets, either case of T and Z")
    func timeFormats() throws {
        let base = Date(timeIntervalSince1970: 1_789_376_712)
        let cases: [(String, Date)] = [
            ("2026-09-14T09:05:12Z", base),
            ("2026-09-14T09:05:12.5Z", base.addingTimeInterval(0.5)),
            ("2026-09-14T10:05:12+01:00", base),
            ("2026-09-14T04:35:12.250-04:30", base.addingTimeInterval(0.25)),
            ("2026-09-14t09:05:12z", base),
        ]
        for (text, expected) in cases {
            let env = try Self.decode(Self.mark(envelope: ["time": text])).get().envelope
            #expect(abs(env.time.timeIntervalSince(expected)) < 0.000_001, "\(text)")
        }
        for bad in [
            "2026-09-14 09:05:12Z", "2026-09-14T09:05Z", "2026-09-14T09:05:60Z", "2026-09-14T09:05:12+0100", "2026-09-14T09:05:12.Z", "1789376712",
        ] {
            #expect(Self.reject(Self.mark(envelope: ["time": bad]))?.field == "time", "\(bad)")
        }
    }

    @Test("RFC3339.format writes UTC with milliseconds and round-trips")
    func timeFormatting() throws {
        let d = try #require(RFC3339.parse("2026-11-16T10:05:12.345+01:00"))
        #expect(RFC3339.format(d) == "2026-11-16T09:05:12.345Z")
        #expect(RFC3339.parse(RFC3339.format(d)) == d)
        #expect(RFC3339.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59.000Z")
    }

    @Test("The day an event was recorded is its time's date in England (BST from the last Sunday of March)")
    func londonDate() throws {
        // 23:30 UTC on 14 Sept (BST) is 00:30 on 15 Sept in Kent.
        #expect(RFC3339.londonDate(of: try #require(RFC3339.parse("2026-09-14T23:30:00Z"))) == day("2026-09-15"))
        // In winter (GMT) the UTC date is the English date.
        #expect(RFC3339.londonDate(of: try #require(RFC3339.parse("2026-12-14T23:30:00Z"))) == day("2026-12-14"))
        // BST starts 01:00 UTC on Sunday 29 March 2026 and ends 01:00 UTC on Sunday 25 October 2026.
        #expect(RFC3339.londonDate(of: try #require(RFC3339.parse("2026-03-29T00:59:59Z"))) == day("2026-03-29"))
        #expect(RFC3339.londonDate(of: try #require(RFC3339.parse("2026-03-28T23:30:00Z"))) == day("2026-03-28"))
        #expect(RFC3339.londonDate(of: try #require(RFC3339.parse("2026-10-24T23:30:00Z"))) == day("2026-10-25"))
        #expect(RFC3339.londonDate(of: try #require(RFC3339.parse("2026-10-25T23:30:00Z"))) == day("2026-10-25"))
    }

    @Test("Reject: a value over 256 KiB is value-too-large, before any parsing")
    func tooLarge() {
        let big = [UInt8](repeating: 0x20, count: 262_145)
        #expect(Self.reject(big)?.code == .valueTooLarge)
        // Exactly 256 KiB is parsed (and here fails as JSON).
        #expect(Self.reject([UInt8](repeating: 0x20, count: 262_144))?.code == .invalidJSON)
    }

    @Test(
        "Reject: invalid JSON (syntax, not UTF-8, not an object, duplicate member, too deep)",
        arguments: [
            Array("{\"specversion\":\"1.0\",".utf8), Array("not json".utf8), [0x7B, 0xFF, 0x7D], Array("[1,2]".utf8),
            Array("{\"a\":1,\"a\":2}".utf8), Array(String(repeating: "[", count: 40).utf8), Array("{\"a\":1,}".utf8),
            Array("{\"a\":\"\u{01}\"}".utf8), Array("{\"a\":01}".utf8), [],
        ]
    )
    func invalidJSON(bytes: [UInt8]) {
        #expect(Self.reject(bytes)?.code == .invalidJSON)
    }

    @Test("Reject codes for envelope attributes: specversion, type, id length, missing data")
    func envelopeRejects() {
        #expect(Self.reject(Self.mark(envelope: ["specversion": "1.1"]))?.code == .unsupportedSpecversion)
        #expect(Self.reject(Self.mark(envelope: ["type": "attendance.mark.v9"]))?.code == .unknownType)
        #expect(Self.reject(Self.mark(envelope: ["type": "enforcement.review.v1"]))?.code == .unknownType)
        #expect(Self.reject(Self.mark(envelope: ["id": ""]))?.field == "id")
        #expect(Self.reject(Self.mark(envelope: ["id": String(repeating: "x", count: 129)]))?.code == .malformedField)
        #expect((try? Self.decode(Self.mark(envelope: ["id": String(repeating: "é", count: 128)])).get()) != nil)
        #expect(Self.reject(Self.mark(removing: ["data"]))?.code == .missingField)
        #expect(Self.reject(Self.mark(removing: ["source"]))?.code == .missingField)
        #expect(Self.reject(Self.mark(envelope: ["source": ""]))?.code == .malformedField)
    }

    @Test("Missing and malformed fields name the field (data.session, data.pupil.sen), never the value")
    func fieldNamedNotValue() {
        let r1 = Self.reject(Self.mark(removingData: ["session"]))
        #expect(r1?.code == .missingField && r1?.field == "data.session")
        #expect(r1?.message == "Field data.session is missing.")
        let r2 = Self.reject(Self.mark(data: ["session": "Morning"]))
        #expect(r2?.code == .malformedField && r2?.message == "Field data.session must be one of AM, PM.")
        #expect(r2?.message.contains("Morning") == false)
        let r3 = Self.reject(Self.mark(data: ["pupil": ["sen": "Q"]]))
        #expect(r3?.field == "data.pupil.sen")
        let r4 = Self.reject(Self.mark(data: ["laestab": "8862OO1"]))
        #expect(r4?.field == "data.laestab" && r4?.message.contains("8862OO1") == false)
    }

    @Test("invalid-upn uses the DfE sentence and census rule, and never the UPN")
    func invalidUPNMessage() {
        let wrong = "A886200126001"
        let r = Self.reject(Self.mark(data: ["upn": wrong]))
        #expect(r?.code == .invalidUPN)
        #expect(r?.message == "Field data.upn is not a valid UPN: UPN invalid (wrong check letter at character 1) [census rule 1500].")
        #expect(r?.message.contains(wrong) == false && r?.message.contains("886200126001") == false)
        #expect(Self.reject(Self.mark(data: ["upn": "N88620012600"]))?.message.contains("wrong length") == true)
        #expect(Self.reject(Self.mark(data: ["upn": 886_200_126_001]))?.code == .malformedField)
    }

    @Test("A lower-case UPN is accepted and stored upper case")
    func lowerCaseUPN() throws {
        guard case .attendanceMark(_, let m) = try Self.decode(Self.mark(data: ["upn": Self.upn.lowercased()])).get() else {
            Issue.record("wrong case")
            return
        }
        #expect(m.upn.value == Self.upn)
    }

    @Test("unknown-register-code: the code must be in the set in force on the mark's date")
    func registerCodeForDate() {
        #expect(Self.reject(Self.mark(data: ["code": "H"]))?.code == .unknownRegisterCode)
        #expect((try? Self.decode(Self.mark(data: ["code": "H", "date": "2024-08-16"])).get()) != nil)
        #expect(Self.reject(Self.mark(data: ["code": "C1", "date": "2024-08-16"]))?.code == .unknownRegisterCode)
        #expect((try? Self.decode(Self.mark(data: ["code": "C1", "date": "2024-08-19"])).get()) != nil)
        #expect(Self.reject(Self.mark(data: ["code": "ZZZ"]))?.code == .malformedField)
    }

    @Test("not-a-school-day: a mark on a weekend or a bank holiday; any other weekday is accepted (academies)")
    func notASchoolDay() {
        #expect(Self.reject(Self.mark(data: ["date": "2026-09-12"]))?.code == .notASchoolDay)  // Saturday
        #expect(Self.reject(Self.mark(data: ["date": "2026-09-13"]))?.code == .notASchoolDay)  // Sunday
        #expect(Self.reject(Self.mark(data: ["date": "2026-05-04"]))?.code == .notASchoolDay)  // bank holiday
        #expect((try? Self.decode(Self.mark(data: ["date": "2026-08-12"])).get()) != nil)  // summer holiday weekday
    }

    @Test("unknown-field: data may hold only the contract's fields (data minimisation); the name is not echoed")
    func unknownField() {
        let r = Self.reject(Self.mark(data: ["homeAddress": "1 High Street"]))
        #expect(r?.code == .unknownField && r?.field == "data")
        #expect(r?.message.contains("homeAddress") == false && r?.message.contains("High Street") == false)
        // Envelope extension attributes are allowed (CloudEvents) and ignored.
        #expect((try? Self.decode(Self.mark(envelope: ["traceparent": "00-ab-cd-01", "sequence": 3, "flag": true])).get()) != nil)
        #expect(Self.reject(Self.mark(envelope: ["Trace-Parent": "x"]))?.code == .malformedField)
    }

    @Test("Binary mode: attributes from ce_* headers, data as the value, same result as structured")
    func binaryMode() throws {
        let structured = try Self.decode(Self.mark()).get()
        let obj = try #require(JSONSerialization.jsonObject(with: Data(Self.mark())) as? [String: Any])
        let data = Array(try JSONSerialization.data(withJSONObject: obj["data"]!))
        let headers: [(key: String, value: [UInt8]?)] = [
            ("ce_specversion", Array("1.0".utf8)), ("ce_id", Array("b0f6".utf8)),
            ("ce_source", Array("urn:laestab:8862001".utf8)), ("ce_type", Array("attendance.mark.v1".utf8)),
            ("ce_time", Array("2026-09-14T10:05:12+01:00".utf8)), ("ce_subject", Array(Self.upn.utf8)),
            ("content-type", Array("application/json; charset=utf-8".utf8)), ("ce_traceparent", Array("00-x".utf8)),
        ]
        let binary = try Self.decode(data, headers: headers).get()
        #expect(binary.envelope.mode == .binary)
        var e = binary.envelope
        e.mode = .structured
        #expect(e == structured.envelope)
        guard case .attendanceMark(_, let a) = binary, case .attendanceMark(_, let b) = structured else {
            Issue.record("wrong case")
            return
        }
        #expect(a == b)

        // Binary-mode rejects name the header.
        let noID = headers.filter { $0.key != "ce_id" }
        #expect(Self.reject(data, headers: noID)?.field == "ce_id")
        #expect(Self.reject(data, headers: noID)?.message == "Header ce_id is missing.")
        let xml = headers.map { $0.key == "content-type" ? (key: $0.key, value: Array("application/xml".utf8)) : $0 }
        #expect(Self.reject(data, headers: xml)?.code == .unsupportedContentType)
        #expect(Self.reject([], headers: headers)?.code == .missingField)
        #expect(Self.reject(data, headers: headers + [("ce_id", Array("again".utf8))])?.code == .malformedField)
        #expect(Self.reject(data, headers: headers.map { $0.key == "ce_time" ? (key: $0.key, value: [0xFF]) : $0 })?.code == .malformedField)
    }

    @Test("content-type decides the mode: application/cloudevents+json is structured even with ce_ headers")
    func contentTypeDecidesMode() throws {
        let headers: [(key: String, value: [UInt8]?)] = [
            ("Content-Type", Array("application/cloudevents+json; charset=UTF-8".utf8)), ("ce_specversion", Array("1.0".utf8)),
        ]
        #expect(try Self.decode(Self.mark(), headers: headers).get().envelope.mode == .structured)
        let batch: [(key: String, value: [UInt8]?)] = [("content-type", Array("application/cloudevents-batch+json".utf8))]
        #expect(Self.reject(Self.mark(), headers: batch)?.code == .unsupportedContentType)
        #expect(Self.reject(Self.mark(envelope: ["datacontenttype": "text/plain"]))?.code == .unsupportedContentType)
    }

    static func event(_ type: String, _ data: [String: Any]) -> [UInt8] {
        let e: [String: Any] = [
            "specversion": "1.0", "id": "e1", "source": "urn:frontdoor:agency:test", "type": type,
            "time": "2026-10-01T10:15:00+01:00", "data": data,
        ]
        return Array(try! JSONSerialization.data(withJSONObject: e))
    }

    static var suspension: [String: Any] {
        [
            "exclusionId": "EX-1", "upn": upn, "laestab": "8864001", "category": "suspension", "startDate": "2026-10-05",
            "sessions": 4, "reason": "DB", "pupil": ["sen": "E", "cla": true, "dateOfBirth": "2012-03-17"],
        ]
    }

    @Test("exclusion.issued.v1: suspensions need sessions >= 1; DfE reasons, legacy PD and OT before 2020-08-01; unknown reason rejected")
    func exclusionIssued() throws {
        guard case .exclusionIssued(_, let x) = try Self.decode(Self.event("exclusion.issued.v1", Self.suspension)).get() else {
            Issue.record("wrong case")
            return
        }
        #expect(x.category == .suspension && x.sessions == 4 && x.reason == .persistentDisruptiveBehaviour)
        #expect(x.pupil?.dateOfBirth == day("2012-03-17") && x.pupil?.sen == .ehcPlan && x.pupil?.cla == true)
        var noSessions = Self.suspension
        noSessions.removeValue(forKey: "sessions")
        #expect(Self.reject(Self.event("exclusion.issued.v1", noSessions))?.code == .missingField)
        var permanent = noSessions
        permanent["category"] = "permanent"
        #expect((try? Self.decode(Self.event("exclusion.issued.v1", permanent)).get()) != nil)
        for reason in ["PP", "PH"] {
            var current = Self.suspension
            current["reason"] = reason
            #expect((try? Self.decode(Self.event("exclusion.issued.v1", current)).get()) != nil, "\(reason)")
        }
        // domain.md: the legacy PD and OT only for exclusions starting before 2020-08-01.
        for reason in ["PD", "OT"] {
            var legacy = Self.suspension
            legacy["reason"] = reason
            legacy["startDate"] = "2020-07-31"
            #expect((try? Self.decode(Self.event("exclusion.issued.v1", legacy)).get()) != nil, "\(reason)")
            legacy["startDate"] = "2020-08-01"
            #expect(Self.reject(Self.event("exclusion.issued.v1", legacy))?.code == .unknownExclusionReason, "\(reason)")
            legacy["startDate"] = "2026-10-05"
            #expect(Self.reject(Self.event("exclusion.issued.v1", legacy))?.code == .unknownExclusionReason, "\(reason)")
        }
        var unknown = Self.suspension
        unknown["reason"] = "ZZ"
        #expect(Self.reject(Self.event("exclusion.issued.v1", unknown))?.code == .unknownExclusionReason)
        #expect(ExclusionReason.allCases.count == 18)
        var zero = Self.suspension
        zero["sessions"] = 0
        #expect(Self.reject(Self.event("exclusion.issued.v1", zero))?.field == "data.sessions")
    }

    @Test("exclusion.rescinded.v1 and referral.resolved.v1 decode their enums")
    func rescindedAndResolved() throws {
        let r = try Self.decode(
            Self.event(
                "exclusion.rescinded.v1",
                [
                    "exclusionId": "EX-1", "laestab": "8864001", "upn": Self.upn, "outcome": "withdrawn-by-headteacher",
                    "effectiveDate": "2026-10-06",
                ])
        ).get()
        guard case .exclusionRescinded(_, let x) = r else {
            Issue.record("wrong case")
            return
        }
        #expect(x.outcome == .withdrawnByHeadteacher)
        let resolved = try Self.decode(
            Self.event(
                "referral.resolved.v1",
                [
                    "referralId": "R1", "outcome": "not-found", "resolvedOn": "2026-10-09",
                ])
        ).get()
        guard case .referralResolved(_, let rr) = resolved else {
            Issue.record("wrong case")
            return
        }
        #expect(rr.outcome == .notFound && !rr.outcome.countsAsFound && ReferralOutcome.foundNewSchool.countsAsFound)
    }

    static var referral: [String: Any] {
        [
            "referralId": "DFD-1", "reason": "cme", "referrer": ["kind": "social-care", "organisation": "KCC Children's Social Work"],
            "child": ["givenName": " Alex ", "familyName": "EXAMPLE", "dateOfBirth": "2016-05-02", "cla": true],
            "safeguardingConcern": true, "details": "Seen at 1 High Street",
        ]
    }

    @Test("referral.received.v1: optional UPN and school, child details, details at most 4,000 characters")
    func referralReceived() throws {
        guard case .referralReceived(let env, let r) = try Self.decode(Self.event("referral.received.v1", Self.referral)).get() else {
            Issue.record("wrong case")
            return
        }
        #expect(r.upn == nil && r.laestab == nil && r.reason == .cme && r.referrer.kind == .socialCare)
        #expect(r.child.cla == true && r.safeguardingConcern && r.details == "Seen at 1 High Street")
        #expect(r.child.matchKey == "example|alex|2016-05-02")
        #expect(env.londonDate == day("2026-10-01"))
        var long = Self.referral
        long["details"] = String(repeating: "é", count: 4000)
        #expect((try? Self.decode(Self.event("referral.received.v1", long)).get()) != nil)
        long["details"] = String(repeating: "é", count: 4001)
        let rej = Self.reject(Self.event("referral.received.v1", long))
        #expect(rej?.field == "data.details" && rej?.message.contains("é") == false)
        var badUPN = Self.referral
        badUPN["upn"] = "A886200126001"
        #expect(Self.reject(Self.event("referral.received.v1", badUPN))?.code == .invalidUPN)
        var nullUPN = Self.referral
        nullUPN["upn"] = NSNull()
        #expect((try? Self.decode(Self.event("referral.received.v1", nullUPN)).get()) != nil)
        var child = Self.referral
        child["child"] = ["givenName": "A", "familyName": "B"]
        #expect(Self.reject(Self.event("referral.received.v1", child))?.field == "data.child.dateOfBirth")
    }

    @Test("enforcement.decision.v1: decision kinds as an enum; amount optional")
    func enforcementDecision() throws {
        let d: [String: Any] = [
            "caseId": "c1", "decision": "penalty-notice-issued", "decidedOn": "2026-11-03", "officerId": "staff-1",
            "parentRef": "p1", "amountPence": 8000,
        ]
        guard case .enforcementDecision(_, let e) = try Self.decode(Self.event("enforcement.decision.v1", d)).get() else {
            Issue.record("wrong case")
            return
        }
        #expect(e.decision == .penaltyNoticeIssued && e.amountPence == 8000 && e.parentRef == "p1")
        var bad = d
        bad["decision"] = "penalty"
        #expect(Self.reject(Self.event("enforcement.decision.v1", bad))?.field == "data.decision")
    }

    @Test("enforcement.decision.v1: penalty-notice-withdrawn is a decision (events.md, revised for issue 9)")
    func penaltyNoticeWithdrawn() throws {
        let d: [String: Any] = [
            "caseId": "c1", "decision": "penalty-notice-withdrawn", "decidedOn": "2026-12-01", "officerId": "staff-1",
            "parentRef": "p1",
        ]
        guard case .enforcementDecision(_, let e) = try Self.decode(Self.event("enforcement.decision.v1", d)).get() else {
            Issue.record("wrong case")
            return
        }
        #expect(e.decision == .penaltyNoticeWithdrawn && e.amountPence == nil)
    }

    @Test("No reject message repeats a string value of the event (personal data never reaches DLQ headers)")
    func noValuesInMessages() {
        // A referral whose every string is distinctive; break each field in turn.
        let secret = "Zebedee"
        var cases: [[String: Any]] = []
        for key in ["referralId", "reason", "upn", "laestab", "lastSeenDate", "details"] {
            var r = Self.referral
            // Each value is wrong for its field: too long, or not of the field's form.
            r[key] = key == "details" ? String(repeating: secret, count: 600) : key == "referralId" ? String(repeating: secret, count: 30) : secret
            cases.append(r)
        }
        for key in ["givenName", "familyName", "dateOfBirth", "postcode", "sen"] {
            var r = Self.referral
            var c = r["child"] as! [String: Any]
            c[key] = ["givenName", "familyName", "postcode"].contains(key) ? String(repeating: secret, count: 20) : secret
            r["child"] = c
            cases.append(r)
        }
        var extra = Self.referral
        extra[secret] = secret
        cases.append(extra)
        for c in cases {
            let r = Self.reject(Self.event("referral.received.v1", c))
            #expect(r != nil)
            #expect(r?.message.contains(secret) == false, "\(r?.message ?? "")")
            #expect(r?.message.hasSuffix(".") == true)
        }
    }

    @Test("Reject codes are stable kebab-case strings")
    func rejectCodes() {
        let all = RejectCode.allCases.map(\.rawValue)
        #expect(
            all == [
                "value-too-large", "invalid-json", "unsupported-content-type", "unsupported-specversion", "unknown-type",
                "missing-field", "malformed-field", "unknown-field", "invalid-upn", "unknown-register-code", "not-a-school-day",
                "unknown-exclusion-reason", "unknown-case", "unknown-exclusion", "unknown-referral", "not-on-roll", "processing-failed",
            ])
        #expect(all.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "-" } })
    }
}
