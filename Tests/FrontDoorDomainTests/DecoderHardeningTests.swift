import Foundation
import FrontDoorFuzzing
import Testing

@testable import FrontDoorDomain

/// Issue 8, item 1: no input traps. Dates and times outside 2000-01-01 … 2099-12-31 (dates of
/// birth 1990-01-01 … 2099-12-31) are `malformed-field` in both content modes (events.md,
/// "Envelope"); hostile JSON and headers each get their reject code; and dates the decoder
/// would never let through still do not trap the calendar arithmetic or the rules.
@Suite("Decoder hardening: every input gets a reject code, none traps (events.md envelope; issue 8)")
struct DecoderHardeningTests {
    static let calendar = EventDecoderTests.calendar

    // MARK: Samples as structured and binary records

    /// The published sample of `type` (contract/samples), as a JSON object.
    static func sample(_ type: String) -> [String: Any] {
        let url = repositoryRoot.appendingPathComponent("contract/samples/\(type).json")
        guard let data = FileManager.default.contents(atPath: url.path),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return [:] }
        return object
    }

    /// Sets the member at a dotted path (`data.child.dateOfBirth`, `time`).
    static func setting(_ object: [String: Any], _ path: String, _ value: Any) -> [String: Any] {
        let keys = path.split(separator: ".").map(String.init)
        func set(_ o: [String: Any], _ keys: ArraySlice<String>) -> [String: Any] {
            var o = o
            guard let first = keys.first else { return o }
            if keys.count == 1 {
                o[first] = value
            } else {
                o[first] = set(o[first] as? [String: Any] ?? [:], keys.dropFirst())
            }
            return o
        }
        return set(object, keys[...])
    }

    static func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// The same event in binary mode: every attribute but `data` as a `ce_` header.
    static func binary(_ object: [String: Any]) -> (value: [UInt8], headers: [(key: String, value: [UInt8]?)]) {
        var headers: [(key: String, value: [UInt8]?)] = [("content-type", Array("application/json".utf8))]
        for (k, v) in object.sorted(by: { $0.key < $1.key }) where k != "data" && k != "datacontenttype" {
            headers.append(("ce_" + k, Array("\(v)".utf8)))
        }
        return (json(object["data"] ?? [:]), headers)
    }

    static func decodeBoth(_ object: [String: Any]) -> (structured: Result<InputEvent, Reject>, binary: Result<InputEvent, Reject>) {
        let b = binary(object)
        return (
            EventDecoder.decode(structured: json(object), calendar: calendar),
            EventDecoder.decode(value: b.value, headers: b.headers, calendar: calendar)
        )
    }

    static func reject(_ r: Result<InputEvent, Reject>) -> Reject? {
        if case .failure(let e) = r { return e }
        return nil
    }

    // MARK: Date ranges

    /// Every date field of every input type (dates of birth apart).
    static let dateFields: [(type: String, path: String)] = [
        ("attendance.mark.v1", "data.date"),
        ("exclusion.issued.v1", "data.startDate"),
        ("exclusion.rescinded.v1", "data.effectiveDate"),
        ("referral.received.v1", "data.lastSeenDate"),
        ("referral.resolved.v1", "data.resolvedOn"),
        ("enforcement.decision.v1", "data.decidedOn"),
    ]
    static let dateOfBirthFields: [(type: String, path: String)] = [
        ("referral.received.v1", "data.child.dateOfBirth"),
        ("exclusion.issued.v1", "data.pupil.dateOfBirth"),
    ]
    static let inputTypes = [
        "attendance.mark.v1", "exclusion.issued.v1", "exclusion.rescinded.v1", "referral.received.v1", "referral.resolved.v1",
        "enforcement.decision.v1",
    ]

    @Test("Every sample decodes in both modes (the base of the range tests)")
    func samplesDecodeInBothModes() throws {
        for type in Self.inputTypes {
            let (s, b) = Self.decodeBoth(Self.sample(type))
            #expect((try? s.get()) != nil, "\(type) structured: \(String(describing: Self.reject(s)))")
            #expect((try? b.get()) != nil, "\(type) binary: \(String(describing: Self.reject(b)))")
        }
    }

    @Test("A date outside 2000-01-01 … 2099-12-31 is malformed-field, in every date field, in both modes")
    func datesOutsideTheCentury() {
        for (type, path) in Self.dateFields {
            for bad in ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01", "0000-01-03"] {
                let (s, b) = Self.decodeBoth(Self.setting(Self.sample(type), path, bad))
                for (mode, r) in [("structured", s), ("binary", b)] {
                    #expect(Self.reject(r)?.code == .malformedField, "\(type) \(path)=\(bad) \(mode)")
                    #expect(Self.reject(r)?.field == path, "\(type) \(path)=\(bad) \(mode)")
                }
            }
            for good in ["2000-01-01", "2099-12-31", "2000-01-03", "2099-12-28"] {
                let (s, b) = Self.decodeBoth(Self.setting(Self.sample(type), path, good))
                for (mode, r) in [("structured", s), ("binary", b)] {
                    // A mark on 2000-01-01 (a Saturday) is refused, but not for its range.
                    #expect(Self.reject(r)?.code != .malformedField, "\(type) \(path)=\(good) \(mode)")
                }
            }
        }
    }

    @Test("A date that does not exist (2026-02-30) is malformed-field")
    func dayThatDoesNotExist() {
        for (type, path) in Self.dateFields + Self.dateOfBirthFields {
            for bad in ["2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-04-31"] {
                let (s, b) = Self.decodeBoth(Self.setting(Self.sample(type), path, bad))
                #expect(Self.reject(s)?.code == .malformedField && Self.reject(s)?.field == path, "\(type) \(path)=\(bad)")
                #expect(Self.reject(b)?.code == .malformedField && Self.reject(b)?.field == path, "\(type) \(path)=\(bad) binary")
            }
        }
    }

    @Test("A date of birth runs from 1990-01-01 to 2099-12-31: 1989-12-31 is malformed-field, 1990-01-01 decodes")
    func datesOfBirth() throws {
        for (type, path) in Self.dateOfBirthFields {
            for bad in ["1989-12-31", "0001-01-01", "9999-12-31", "2100-01-01"] {
                let (s, b) = Self.decodeBoth(Self.setting(Self.sample(type), path, bad))
                #expect(Self.reject(s)?.code == .malformedField && Self.reject(s)?.field == path, "\(type) \(path)=\(bad)")
                #expect(Self.reject(b)?.code == .malformedField && Self.reject(b)?.field == path, "\(type) \(path)=\(bad) binary")
            }
            for good in ["1990-01-01", "1999-12-31", "2099-12-31"] {
                let (s, b) = Self.decodeBoth(Self.setting(Self.sample(type), path, good))
                #expect((try? s.get()) != nil, "\(type) \(path)=\(good): \(String(describing: Self.reject(s)))")
                #expect((try? b.get()) != nil, "\(type) \(path)=\(good) binary")
            }
        }
    }

    @Test("A time dated outside 2000-01-01 … 2099-12-31 is malformed-field (time / ce_time), for every input type")
    func timesOutsideTheCentury() throws {
        for type in Self.inputTypes {
            for bad in ["0001-01-01T00:00:00Z", "9999-12-31T12:00:00Z", "1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59"] {
                let (s, b) = Self.decodeBoth(Self.setting(Self.sample(type), "time", bad))
                #expect(Self.reject(s)?.code == .malformedField && Self.reject(s)?.field == "time", "\(type) \(bad)")
                #expect(Self.reject(b)?.code == .malformedField && Self.reject(b)?.field == "ce_time", "\(type) \(bad) binary")
            }
            // The date as written counts: 00:30+01:00 on 1 January 2000 is 1999 in UTC, and accepted.
            for good in ["2000-01-01T00:00:00Z", "2099-12-31T23:59:59.999Z", "2000-01-01T00:30:00+01:00", "2099-12-31T23:00:00-05:00"] {
                let (s, b) = Self.decodeBoth(Self.setting(Self.sample(type), "time", good))
                #expect((try? s.get()) != nil, "\(type) \(good): \(String(describing: Self.reject(s)))")
                #expect((try? b.get()) != nil, "\(type) \(good) binary")
            }
        }
    }

    // MARK: Hostile JSON

    @Test("Deeply nested JSON is invalid-json, without exhausting the stack")
    func deeplyNested() {
        let deep = Array(String(repeating: "[", count: 100_000).utf8)
        #expect(Self.reject(EventDecoder.decode(structured: deep, calendar: Self.calendar))?.code == .invalidJSON)
        let deepObjects = Array((String(repeating: "{\"a\":", count: 20_000) + "1" + String(repeating: "}", count: 20_000)).utf8)
        #expect(Self.reject(EventDecoder.decode(structured: deepObjects, calendar: Self.calendar))?.code == .invalidJSON)
        // Inside data, one level past the bound.
        var nested: Any = 1
        for _ in 0..<(JSONParser.maximumDepth + 1) { nested = [nested] }
        let inData = Self.setting(Self.sample("attendance.mark.v1"), "data.minutesLate", nested)
        #expect(Self.reject(EventDecoder.decode(structured: Self.json(inData), calendar: Self.calendar))?.code == .invalidJSON)
        let b = Self.binary(inData)
        #expect(Self.reject(EventDecoder.decode(value: b.value, headers: b.headers, calendar: Self.calendar))?.code == .invalidJSON)
    }

    @Test("A huge string: value-too-large past 256 KiB, malformed-field within it when the field is too long")
    func hugeStrings() {
        let big = String(repeating: "x", count: 300_000)
        let tooLarge = Self.setting(Self.sample("referral.received.v1"), "data.details", big)
        #expect(Self.reject(Self.decodeBoth(tooLarge).structured)?.code == .valueTooLarge)
        #expect(Self.reject(Self.decodeBoth(tooLarge).binary)?.code == .valueTooLarge)
        let long = Self.setting(Self.sample("referral.received.v1"), "data.details", String(repeating: "é", count: 100_000))
        #expect(Self.reject(Self.decodeBoth(long).structured)?.code == .malformedField)
        #expect(Self.reject(Self.decodeBoth(long).structured)?.field == "data.details")
        let longID = Self.setting(Self.sample("attendance.mark.v1"), "id", String(repeating: "7", count: 200_000))
        #expect(Self.reject(Self.decodeBoth(longID).structured)?.code == .malformedField)
        #expect(Self.reject(Self.decodeBoth(longID).binary)?.field == "ce_id")
    }

    @Test("Invalid UTF-8 in the value is invalid-json; in a ce_ header or content-type it is malformed-field")
    func invalidUTF8() throws {
        var bytes = Self.json(Self.sample("attendance.mark.v1"))
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "/")))  // the register code "/"
        bytes[at] = 0xC0  // an overlong, never valid
        #expect(Self.reject(EventDecoder.decode(structured: bytes, calendar: Self.calendar))?.code == .invalidJSON)
        let b = Self.binary(Self.sample("attendance.mark.v1"))
        var value = b.value
        value.append(contentsOf: [0xED, 0xA0, 0x80])  // an encoded surrogate
        #expect(Self.reject(EventDecoder.decode(value: value, headers: b.headers, calendar: Self.calendar))?.code == .invalidJSON)
        for name in ["ce_id", "ce_source", "ce_subject", "ce_traceparent"] {
            let headers = b.headers.filter { $0.key != name } + [(key: name, value: [0x61, 0xFF, 0xFE])]
            let r = Self.reject(EventDecoder.decode(value: b.value, headers: headers, calendar: Self.calendar))
            #expect(r?.code == .malformedField && r?.field == name, "\(name)")
        }
        let contentType = b.headers.map { $0.key == "content-type" ? (key: $0.key, value: [0xFF]) : $0 }
        #expect(Self.reject(EventDecoder.decode(value: b.value, headers: contentType, calendar: Self.calendar))?.field == "content-type")
    }

    /// The mark sample with `literal` (raw JSON text) as the value of `key` of data, or of the
    /// envelope when `envelope` is set.
    static func markWithRaw(_ key: String, _ literal: String, envelope: Bool = false) -> [UInt8] {
        let o =
            envelope
            ? Self.setting(sample("attendance.mark.v1"), key, "@@RAW@@")
            : Self.setting(sample("attendance.mark.v1"), "data.\(key)", "@@RAW@@")
        let text = String(decoding: json(o), as: UTF8.self).replacingOccurrences(of: "\"@@RAW@@\"", with: literal)
        return Array(text.utf8)
    }

    @Test("Numbers out of range (1e400, 2^64, -2^63-1, 10^5000) are malformed-field; -0 is the integer 0")
    func numbersOutOfRange() throws {
        for literal in [
            "1e400", "-1e400", "18446744073709551616", "9223372036854775808", "-9223372036854775809", "1" + String(repeating: "0", count: 5000),
        ] {
            let r = Self.reject(EventDecoder.decode(structured: Self.markWithRaw("minutesLate", literal), calendar: Self.calendar))
            #expect(r?.code == .malformedField && r?.field == "data.minutesLate", "\(literal.prefix(30))")
            // As an extension attribute (which must be an integer, a string or a boolean).
            let ext = Self.reject(EventDecoder.decode(structured: Self.markWithRaw("myext", literal, envelope: true), calendar: Self.calendar))
            #expect(ext?.code == .malformedField, "extension \(literal.prefix(30))")
        }
        let minusZero = try EventDecoder.decode(structured: Self.markWithRaw("minutesLate", "-0"), calendar: Self.calendar).get()
        guard case .attendanceMark(_, let m) = minusZero else {
            Issue.record("not a mark")
            return
        }
        #expect(m.minutesLate == 0)
        #expect(JSONValue.number("1e400").integerValue == nil)
        #expect(JSONValue.number("-0.0").integerValue == 0)
        #expect(JSONValue.number("9223372036854775807").integerValue == Int.max)
        #expect(JSONValue.number("9.3e18").integerValue == nil)
    }

    // MARK: Absurd headers

    @Test("Absurd headers: a 10,000-byte header name, a NUL in a header, duplicate ce_ headers")
    func absurdHeaders() throws {
        let b = Self.binary(Self.sample("attendance.mark.v1"))
        func decode(_ headers: [(key: String, value: [UInt8]?)]) -> Result<InputEvent, Reject> {
            EventDecoder.decode(value: b.value, headers: headers, calendar: Self.calendar)
        }
        // A ce_ header whose name is 10,000 bytes is not a CloudEvents attribute; its name is not repeated.
        let longName = "ce_" + String(repeating: "a", count: 9_997)
        let long = Self.reject(decode(b.headers + [(key: longName, value: Array("x".utf8))]))
        #expect(long?.code == .malformedField)
        #expect(!(long?.message.contains("aaaaaaaaaaaaaaaaaaaaaaaa") ?? true))
        // Any other header of that size is not the decoder's concern.
        #expect((try? decode(b.headers + [(key: String(repeating: "x", count: 10_000), value: Array("x".utf8))]).get()) != nil)
        // A NUL in an attribute's value or in a ce_ header's name.
        let nulID = b.headers.map { $0.key == "ce_id" ? (key: $0.key, value: Array("b0\u{0}f6".utf8)) : $0 }
        #expect(Self.reject(decode(nulID))?.code == .malformedField)
        #expect(Self.reject(decode(nulID))?.field == "ce_id")
        let nulSubject = b.headers.map { $0.key == "ce_subject" ? (key: $0.key, value: Array("N886\u{0}".utf8)) : $0 }
        #expect(Self.reject(decode(nulSubject))?.field == "ce_subject")
        #expect(Self.reject(decode(b.headers + [(key: "ce_trace\u{0}id", value: Array("1".utf8))]))?.code == .malformedField)
        let nulType = b.headers.map { $0.key == "content-type" ? (key: $0.key, value: Array("application/json\u{0}".utf8)) : $0 }
        #expect(Self.reject(decode(nulType))?.code == .unsupportedContentType)
        // The same in structured mode: a control character in id or subject.
        let structuredNul = Self.setting(Self.sample("attendance.mark.v1"), "id", "b0\u{0}f6")
        #expect(Self.reject(EventDecoder.decode(structured: Self.json(structuredNul), calendar: Self.calendar))?.field == "id")
        // Duplicates, in the same or another case.
        for dup in ["ce_id", "CE_ID", "Ce_Source", "ce_specversion"] {
            let r = Self.reject(decode(b.headers + [(key: dup, value: Array("again".utf8))]))
            #expect(r?.code == .malformedField, "\(dup)")
        }
        // A header with no value (null) is absent.
        #expect(Self.reject(decode(b.headers.map { $0.key == "ce_id" ? (key: "ce_id", value: nil) : $0 }))?.code == .missingField)
        // Ten thousand headers.
        let many = b.headers + (0..<10_000).map { (key: "x-\($0)", value: Optional(Array("v".utf8))) }
        #expect((try? decode(many).get()) != nil)
    }

    // MARK: What the decoder no longer lets through must still not trap

    @Test("Calendar arithmetic is total: far dates, far day counts and any instant give a date, never a trap")
    func totalArithmetic() throws {
        // These trapped before: AcademicYear(startYear: 0).firstDay (LocalDate.swift:142) and
        // londonDate of an instant in year 10000 (RFC3339.swift, lastSunday).
        let year0 = AcademicYear(containing: try #require(LocalDate(iso: "0001-01-01")))
        #expect(year0.startYear == 0)
        #expect(year0.firstDay.description == "0000-09-01" && year0.lastDay.description == "0001-08-31")
        #expect(AcademicYear(startYear: 9999).lastDay.description == "10000-08-31")
        #expect(AcademicYear(startYear: Int.max).lastDay.month == 8)
        let far = try #require(RFC3339.parse("9999-12-31T23:30:00-01:00"))
        #expect(RFC3339.londonDate(of: far).description == "10000-01-01")
        for instant in [
            Date(timeIntervalSince1970: 1e300), Date(timeIntervalSince1970: -1e300), Date(timeIntervalSince1970: .infinity),
            Date(timeIntervalSince1970: .nan), .distantFuture, .distantPast,
        ] {
            _ = RFC3339.londonDate(of: instant)
            _ = RFC3339.format(instant)
        }
        for days in [Int.max, Int.min, Int.max - 719_468, Int.min + 1, 3_000_000_000_000] {
            let d = LocalDate(daysSinceEpoch: days)
            #expect((1...12).contains(d.month) && d.day >= 1 && d.day <= 31)
            _ = d.adding(days: Int.max)
            _ = d.adding(days: Int.min)
            _ = d.isoWeekday
            _ = d.days(to: LocalDate(daysSinceEpoch: 0))
            _ = d.addingYears(-3)
            _ = AcademicYear(containing: d).description
        }
        // Behaviour within the range is unchanged.
        #expect(LocalDate(daysSinceEpoch: 0).description == "1970-01-01")
        #expect(day("2026-09-14").isoWeekday == 1 && day("1969-12-28").isoWeekday == 7)
        #expect(day("2024-02-29").addingYears(1) == day("2025-02-28"))
        #expect(LondonDate.startOfDay(day("2026-09-14")) == RFC3339.parse("2026-09-13T23:00:00Z"))
    }

    /// A context of the rules tests' 2026/27 calendar, schools and units.
    static var context: RuleContext { RulesFixtures.context() }

    @Test("The rules do not trap on a mark dated 0001-01-01 (trapped at LocalDate.swift:142 before)")
    func rulesOnAMarkInYearOne() throws {
        let date = try #require(LocalDate(iso: "0001-01-01"))
        let code = try #require(RegisterCode("O", on: date))
        let time = try #require(RFC3339.parse("0001-01-01T09:00:00Z"))
        let mark = MarkEvent(
            id: "m1", time: time, upn: RulesFixtures.pupil, laestab: RulesFixtures.ashfordSchool, date: date, session: .am, code: code)
        let decisions = AttendanceRules.evaluate(
            upn: RulesFixtures.pupil, events: [mark], academicYear: AcademicYear(containing: date), pupil: .unknown,
            context: Self.context)
        #expect(decisions.absence.statistics.possible == 1)
    }

    @Test("A referral received 9999-12-31T12:00:00Z is due in year 10000: the date StoreMapping.swift:11 trapped on")
    func referralAtTheEndOfTime() throws {
        let received = try #require(RFC3339.parse("9999-12-31T12:00:00Z"))
        let child = ReferredChild(
            givenName: "A", familyName: "B", dateOfBirth: day("2016-05-02"), postcode: nil, yearGroup: nil, fsm: nil, sen: nil,
            cla: nil)
        let r = ReferralReceived(
            referralId: "R1", reason: .cme, upn: nil, laestab: nil, referrer: Referrer(kind: .school, organisation: "S"), child: child,
            safeguardingConcern: false, lastSeenDate: nil, details: nil)
        let decision = ReferralRules.triage(r, receivedAt: received, openCases: [], context: Self.context)
        #expect(decision.dueBy.year == 10000)
        if let n = decision.notification { #expect(!EventEncoder.encode(n).isEmpty) }
    }

    // MARK: The fuzz corpus and its regressions

    static let fuzzDirectory = repositoryRoot.appendingPathComponent("fuzz", isDirectory: true)

    static func inputs(_ folder: String) -> [(name: String, bytes: [UInt8])] {
        let dir = fuzzDirectory.appendingPathComponent(folder)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        return names.compactMap { n in
            FileManager.default.contents(atPath: dir.appendingPathComponent(n).path).map { (n, Array($0)) }
        }
    }

    @Test("Every input of the checked-in fuzz corpus decodes or is rejected, and the rules run, without a trap")
    func fuzzCorpusReplays() throws {
        let harness = try DecoderRulesHarness.fromRepositoryConfig()
        let corpus = Self.inputs("corpus")
        #expect(corpus.count >= 20)
        var accepted = 0
        for input in corpus where (try? harness.run(input.bytes).get()) != nil { accepted += 1 }
        #expect(accepted >= 6, "the corpus reaches the rules of every input type")
    }

    @Test("Fuzz regressions: each input the fuzzer crashed on gets the reject code its file name starts with")
    func fuzzRegressions() throws {
        let harness = try DecoderRulesHarness.fromRepositoryConfig()
        for input in Self.inputs("regressions") {
            let expected = input.name.components(separatedBy: "--")[0]
            switch harness.run(input.bytes) {
            case .success: #expect(expected == "accepted", "\(input.name)")
            case .failure(let r): #expect(r.code.rawValue == expected, "\(input.name): \(r)")
            }
        }
    }

    @Test("The fuzz harness frames records: 0 = structured value, 1 = header lines, an empty line, the value")
    func harnessFraming() {
        let structured = DecoderRulesHarness.record(Array("0{}".utf8))
        #expect(structured.value == Array("{}".utf8) && structured.headers.isEmpty)
        let binary = DecoderRulesHarness.record(Array("1ce_id:x\nnovalue\n\n{\"a\":1}".utf8))
        #expect(binary.headers.count == 2 && binary.headers[0].key == "ce_id" && binary.headers[0].value == Array("x".utf8))
        #expect(binary.headers[1].key == "novalue" && binary.headers[1].value == nil)
        #expect(binary.value == Array("{\"a\":1}".utf8))
        #expect(DecoderRulesHarness.record([]).value.isEmpty)
    }
}
