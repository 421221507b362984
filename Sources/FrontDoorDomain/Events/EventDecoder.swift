import Foundation

/// Decodes and validates input events (events.md) from a Kafka record's value and headers.
///
/// Both CloudEvents Kafka content modes are accepted:
/// - **structured**: the value is the whole event as JSON. Chosen when the `content-type`
///   header starts with `application/cloudevents`, or when there is no `ce_specversion` header.
/// - **binary**: attributes are the `ce_<attribute>` headers (`ce_specversion`, `ce_id`,
///   `ce_source`, `ce_type`, `ce_time`, `ce_subject`, extensions), `content-type` is
///   `datacontenttype`, and the value is `data`. Chosen when `ce_specversion` is present and
///   `content-type` does not say structured.
///
/// Every failure is a ``Reject`` whose message names the attribute or field but never
/// repeats a value from the event (events carry personal data).
public enum EventDecoder {
    /// Values over this many bytes are rejected (`value-too-large`): 256 KiB.
    public static let maximumValueBytes = 262_144
    /// `id`: at most this many characters (Unicode code points).
    public static let maximumIDLength = 128
    /// `source`: at most this many characters.
    public static let maximumSourceLength = 512
    /// `details` of a referral: at most this many characters.
    public static let maximumDetailsLength = 4000
    /// Every date field, and the date a `time` is written with: 2000-01-01 … 2099-12-31
    /// (events.md). Outside it `malformed-field`, so no rule or store ever sees a year such
    /// as 0001 or 9999.
    public static let dateRange = LocalDate(anyYear: 2000, month: 1, dayInMonth: 1)...LocalDate(anyYear: 2099, month: 12, dayInMonth: 31)
    /// `dateOfBirth` (`child.dateOfBirth`, `pupil.dateOfBirth`): 1990-01-01 … 2099-12-31.
    public static let dateOfBirthRange = LocalDate(anyYear: 1990, month: 1, dayInMonth: 1)...dateRange.upperBound

    public static func decode(
        value: [UInt8],
        headers: [(key: String, value: [UInt8]?)],
        calendar: SchoolCalendar
    ) -> Result<InputEvent, Reject> {
        do throws(Reject) {
            return .success(try decodeOrThrow(value: value, headers: headers, calendar: calendar))
        } catch {
            return .failure(error)
        }
    }

    /// A structured-mode value with no headers.
    public static func decode(structured value: [UInt8], calendar: SchoolCalendar) -> Result<InputEvent, Reject> {
        decode(value: value, headers: [], calendar: calendar)
    }

    static func decodeOrThrow(
        value: [UInt8],
        headers: [(key: String, value: [UInt8]?)],
        calendar: SchoolCalendar
    ) throws(Reject) -> InputEvent {
        guard value.count <= maximumValueBytes else {
            throw Reject(.valueTooLarge, "The value is larger than 256 KiB.")
        }
        let attributes: JSONObject
        let data: JSONValue?
        let mode: ContentMode
        let contentType = try header("content-type", in: headers)
        let isBinary =
            !(contentType?.lowercased().hasPrefix("application/cloudevents") ?? false)
            && headers.contains { $0.key.lowercased() == "ce_specversion" }
        if isBinary {
            mode = .binary
            var attrs = JSONObject()
            var names: Set<String> = []
            for h in headers where h.key.lowercased().hasPrefix("ce_") {
                let name = String(h.key.lowercased().dropFirst(3))
                guard let v = h.value else { continue }
                guard let s = String(validating: v, as: UTF8.self) else {
                    throw Reject(.malformedField, "Header \(safeHeaderName(h.key)) is not UTF-8 text.", field: safeHeaderName(h.key))
                }
                guard names.insert(name).inserted else {
                    throw Reject(.malformedField, "Header \(safeHeaderName(h.key)) appears more than once.", field: safeHeaderName(h.key))
                }
                attrs.members.append(JSONObject.Member(key: name, value: .string(s)))
            }
            if let contentType {
                guard isJSONMediaType(contentType) else {
                    throw Reject(
                        .unsupportedContentType,
                        "Header content-type must be application/json in binary mode.",
                        field: "content-type"
                    )
                }
            }
            attributes = attrs
            if value.isEmpty {
                data = nil
            } else {
                do {
                    data = try JSONParser.parse(value)
                } catch {
                    throw Reject(.invalidJSON, "The value is not valid JSON (\(error.reason)).")
                }
            }
        } else {
            mode = .structured
            if let contentType {
                let media = mediaType(contentType)
                guard media == "application/cloudevents+json" || media == "application/json" else {
                    throw Reject(
                        .unsupportedContentType,
                        "Header content-type must be application/cloudevents+json in structured mode.",
                        field: "content-type"
                    )
                }
            }
            let root: JSONValue
            do {
                root = try JSONParser.parse(value)
            } catch {
                throw Reject(.invalidJSON, "The value is not valid JSON (\(error.reason)).")
            }
            // Consumed, so removing `data` below does not copy the members.
            guard case .object(var fields) = consume root else {
                throw Reject(.invalidJSON, "The value is not a JSON object.")
            }
            data = fields.removeValue(forKey: "data")
            if fields["data_base64"] != nil {
                throw Reject(
                    .unsupportedContentType,
                    "Attribute data_base64 is not accepted: data must be a JSON object.",
                    field: "data_base64"
                )
            }
            attributes = fields
        }
        let envelope = try decodeEnvelope(attributes, mode: mode)
        guard let data else {
            throw Reject(.missingField, mode == .binary ? "The value (data) is empty." : "Attribute data is missing.", field: "data")
        }
        guard case .object(let dataFields) = data else {
            throw Reject(.malformedField, "Attribute data must be a JSON object.", field: "data")
        }
        let d = FieldReader(fields: dataFields, path: "data", type: envelope.type)
        return try decodeData(d, envelope: envelope, calendar: calendar)
    }

    // MARK: Envelope

    /// The attributes of CloudEvents 1.0 this contract defines; any other is an extension.
    static let knownAttributes: Set<String> = [
        "specversion", "id", "source", "type", "time", "subject", "datacontenttype", "dataschema",
    ]

    /// Whether `name` is one of ``knownAttributes`` (compared in turn: no hashing per attribute).
    static func isKnownAttribute(_ name: String) -> Bool {
        switch name {
        case "specversion", "id", "source", "type", "time", "subject", "datacontenttype", "dataschema": true
        default: false
        }
    }

    private static func decodeEnvelope(_ attrs: JSONObject, mode: ContentMode) throws(Reject) -> EventEnvelope {
        func label(_ name: String) -> String { mode == .binary ? "Header ce_\(name)" : "Attribute \(name)" }
        func field(_ name: String) -> String { mode == .binary ? "ce_\(name)" : name }
        func optionalString(_ name: String) throws(Reject) -> String? {
            guard let v = attrs[name] else { return nil }
            guard case .string(let s) = v else {
                throw Reject(.malformedField, "\(label(name)) must be a string.", field: field(name))
            }
            return s
        }
        func string(_ name: String) throws(Reject) -> String {
            guard let s = try optionalString(name) else {
                throw Reject(.missingField, "\(label(name)) is missing.", field: field(name))
            }
            return s
        }

        let specversion = try string("specversion")
        guard specversion == "1.0" else {
            throw Reject(.unsupportedSpecversion, "\(label("specversion")) must be 1.0.", field: field("specversion"))
        }
        let typeName = try string("type")
        guard let type = EventType(rawValue: typeName), EventType.inputs.contains(type) else {
            throw Reject(.unknownType, "\(label("type")) is not an input event type of this contract.", field: field("type"))
        }
        let id = try string("id")
        guard (1...maximumIDLength).contains(ByteText.scalarCount(id)) else {
            throw Reject(.malformedField, "\(label("id")) must be 1 to \(maximumIDLength) characters long.", field: field("id"))
        }
        guard !containsControlCharacter(id) else {
            throw Reject(.malformedField, "\(label("id")) must not contain control characters.", field: field("id"))
        }
        let source = try string("source")
        guard (1...maximumSourceLength).contains(ByteText.scalarCount(source)), ByteText.hasNoSpaceOrControl(source) else {
            throw Reject(
                .malformedField,
                "\(label("source")) must be a URI-reference of 1 to \(maximumSourceLength) characters without spaces.",
                field: field("source")
            )
        }
        let timeText = try string("time")
        guard let (time, written) = RFC3339.parseWithWrittenDate(timeText) else {
            throw Reject(.malformedField, "\(label("time")) must be an RFC 3339 timestamp.", field: field("time"))
        }
        // The date as written, before its offset is applied, as the schema's pattern sees it.
        guard dateRange.contains(written) else {
            throw Reject(
                .malformedField, "\(label("time")) must be dated from 2000-01-01 to 2099-12-31.", field: field("time"))
        }
        let subject = try optionalString("subject")
        if let subject, !(1...maximumIDLength).contains(ByteText.scalarCount(subject)) {
            throw Reject(.malformedField, "\(label("subject")) must be 1 to \(maximumIDLength) characters long.", field: field("subject"))
        }
        if let subject, containsControlCharacter(subject) {
            throw Reject(.malformedField, "\(label("subject")) must not contain control characters.", field: field("subject"))
        }
        if mode == .structured, let ct = try optionalString("datacontenttype"), !isJSONMediaType(ct, exact: true) {
            throw Reject(
                .unsupportedContentType,
                "Attribute datacontenttype must be application/json.",
                field: "datacontenttype"
            )
        }
        if let ds = try optionalString("dataschema"), ds.isEmpty {
            throw Reject(.malformedField, "\(label("dataschema")) must not be empty.", field: field("dataschema"))
        }
        // In the order the event gives them (a dictionary's order varied from run to run).
        for member in attrs.members where !isKnownAttribute(member.key) {
            let (name, v) = (member.key, member.value)
            guard isExtensionName(name) else {
                // The name is the sender's text, so it is not repeated.
                throw Reject(
                    .malformedField,
                    mode == .binary
                        ? "A ce_ header does not name a valid CloudEvents attribute (lower-case letters and digits, at most 20)."
                        : "The event has a member that is not a valid CloudEvents attribute name (lower-case letters and digits, at most 20).",
                )
            }
            switch v {
            case .string, .bool: break
            // CloudEvents' Integer is 32-bit: 2^64 or 1e400 is malformed, as in the schema.
            case .number where v.integerValue.flatMap { Int32(exactly: $0) } != nil: break
            default:
                throw Reject(
                    .malformedField,
                    "An extension attribute must be a string, an integer or a boolean.",
                )
            }
        }
        return EventEnvelope(id: id, source: source, type: type, time: time, subject: subject, mode: mode)
    }

    /// Whether `s` has a C0 control character or DEL (CloudEvents strings may not; PostgreSQL
    /// text cannot hold U+0000).
    static func containsControlCharacter(_ s: String) -> Bool {
        ByteText.containsControlCharacter(s)
    }

    /// CloudEvents attribute names: lower-case ASCII letters and digits, at most 20 characters.
    static func isExtensionName(_ name: String) -> Bool {
        (1...20).contains(name.utf8.count) && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
    }

    private static func header(_ name: String, in headers: [(key: String, value: [UInt8]?)]) throws(Reject) -> String? {
        guard let h = headers.last(where: { $0.key.lowercased() == name }), let v = h.value else { return nil }
        guard let s = String(validating: v, as: UTF8.self) else {
            throw Reject(.malformedField, "Header \(name) is not UTF-8 text.", field: name)
        }
        return s
    }

    /// A header name, repeated in a message only when it is an ASCII token of at most 40
    /// characters (a header name is chosen by the sender).
    private static func safeHeaderName(_ key: String) -> String {
        let ok = key.utf8.count <= 40 && key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        return ok ? key : "ce_ (name withheld)"
    }

    private static func mediaType(_ contentType: String) -> String {
        contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// `application/json` (parameters allowed); without `exact`, any `+json` type too.
    private static func isJSONMediaType(_ contentType: String, exact: Bool = false) -> Bool {
        if exact {
            // As the schema's pattern: exactly `application/json`, optionally followed by `;parameters`.
            return contentType == "application/json" || contentType.hasPrefix("application/json;")
        }
        let m = mediaType(contentType)
        return m == "application/json" || (m.hasPrefix("application/") && m.hasSuffix("+json"))
    }

    // MARK: Data

    private static func decodeData(_ d: FieldReader, envelope: EventEnvelope, calendar: SchoolCalendar) throws(Reject) -> InputEvent {
        switch envelope.type {
        case .attendanceMark:
            try d.rejectUnknown(["upn", "laestab", "date", "session", "code", "minutesLate", "pupil"])
            let upn = try d.upn("upn")
            let laestab = try d.laestab("laestab")
            let date = try d.date("date")
            let session = try d.oneOf(Session.self, "session")
            let codeText = try d.string("code", length: 1...2)
            let minutesLate = try d.optionalInt("minutesLate", 0...1440)
            let pupil = try d.optionalObject("pupil").map { p throws(Reject) in try pupilCharacteristics(p, withDateOfBirth: true) }
            guard let code = RegisterCode(codeText, on: date) else {
                let set = RegisterCodeSet.inForce(on: date)
                throw Reject(
                    .unknownRegisterCode,
                    "Field data.code is not a register code of the \(set.rawValue) set in force on data.date.",
                    field: "data.code"
                )
            }
            // Decoder-only (JSON Schema cannot know the calendar).
            guard calendar.acceptsMarks(on: date) else {
                throw Reject(
                    .notASchoolDay,
                    "Field data.date is a weekend or a bank holiday, when no register is taken.",
                    field: "data.date"
                )
            }
            return .attendanceMark(
                envelope,
                AttendanceMark(
                    upn: upn, laestab: laestab, date: date, session: session, code: code, minutesLate: minutesLate,
                    pupil: pupil
                )
            )

        case .exclusionIssued:
            try d.rejectUnknown(["exclusionId", "upn", "laestab", "category", "startDate", "sessions", "reason", "pupil"])
            let exclusionId = try d.string("exclusionId", length: 1...maximumIDLength)
            let upn = try d.upn("upn")
            let laestab = try d.laestab("laestab")
            let category = try d.oneOf(ExclusionCategory.self, "category")
            let startDate = try d.date("startDate")
            let sessions = try d.optionalInt("sessions", 1...1000)
            if category == .suspension, sessions == nil {
                throw Reject(.missingField, "Field data.sessions is missing; a suspension must give its sessions.", field: "data.sessions")
            }
            let reasonText = try d.string("reason", length: 1...Int.max)
            guard let reason = ExclusionReason(rawValue: reasonText) else {
                throw Reject(
                    .unknownExclusionReason,
                    "Field data.reason must be a DfE exclusion reason code (\(ExclusionReason.allCases.map(\.rawValue).joined(separator: ", "))).",
                    field: "data.reason"
                )
            }
            guard reason.isInUse(forExclusionStarting: startDate) else {
                throw Reject(
                    .unknownExclusionReason,
                    "Field data.reason is a legacy code (PD, OT), used only for exclusions starting before \(ExclusionReason.legacyReasonsEnd).",
                    field: "data.reason"
                )
            }
            let pupil = try d.optionalObject("pupil").map { p throws(Reject) in try pupilCharacteristics(p, withDateOfBirth: true) }
            return .exclusionIssued(
                envelope,
                ExclusionIssued(
                    exclusionId: exclusionId, upn: upn, laestab: laestab, category: category, startDate: startDate,
                    sessions: sessions, reason: reason, pupil: pupil
                )
            )

        case .exclusionRescinded:
            try d.rejectUnknown(["exclusionId", "laestab", "upn", "outcome", "effectiveDate"])
            let exclusionId = try d.string("exclusionId", length: 1...maximumIDLength)
            let laestab = try d.laestab("laestab")
            let upn = try d.upn("upn")
            let outcome = try d.oneOf(RescindOutcome.self, "outcome")
            let effectiveDate = try d.date("effectiveDate")
            return .exclusionRescinded(
                envelope,
                ExclusionRescinded(exclusionId: exclusionId, laestab: laestab, upn: upn, outcome: outcome, effectiveDate: effectiveDate)
            )

        case .referralReceived:
            try d.rejectUnknown([
                "referralId", "reason", "upn", "laestab", "referrer", "child", "safeguardingConcern", "lastSeenDate", "details",
            ])
            let referralId = try d.string("referralId", length: 1...maximumIDLength)
            let reason = try d.oneOf(ReferralReason.self, "reason")
            let upn = try d.optionalUPN("upn")
            let laestab = try d.optionalLaestab("laestab")
            let r = try d.object("referrer")
            try r.rejectUnknown(["kind", "organisation"])
            let referrer = Referrer(kind: try r.oneOf(ReferrerKind.self, "kind"), organisation: try r.string("organisation", length: 1...200))
            let c = try d.object("child")
            try c.rejectUnknown(["givenName", "familyName", "dateOfBirth", "postcode", "yearGroup", "fsm", "sen", "cla"])
            let child = ReferredChild(
                givenName: try c.string("givenName", length: 1...100),
                familyName: try c.string("familyName", length: 1...100),
                dateOfBirth: try c.date("dateOfBirth", in: EventDecoder.dateOfBirthRange),
                postcode: try c.optionalString("postcode", length: 1...10),
                yearGroup: try c.optionalInt("yearGroup", 0...14),
                fsm: try c.optionalBool("fsm"),
                sen: try c.optionalOneOf(SENStatus.self, "sen"),
                cla: try c.optionalBool("cla")
            )
            let safeguarding = try d.bool("safeguardingConcern")
            let lastSeen = try d.optionalDate("lastSeenDate")
            let details = try d.optionalString("details", length: 0...maximumDetailsLength)
            return .referralReceived(
                envelope,
                ReferralReceived(
                    referralId: referralId, reason: reason, upn: upn, laestab: laestab, referrer: referrer, child: child,
                    safeguardingConcern: safeguarding, lastSeenDate: lastSeen, details: details
                )
            )

        case .referralResolved:
            try d.rejectUnknown(["referralId", "outcome", "resolvedOn"])
            return .referralResolved(
                envelope,
                ReferralResolved(
                    referralId: try d.string("referralId", length: 1...maximumIDLength),
                    outcome: try d.oneOf(ReferralOutcome.self, "outcome"),
                    resolvedOn: try d.date("resolvedOn")
                )
            )

        case .enforcementDecision:
            try d.rejectUnknown(["caseId", "decision", "decidedOn", "officerId", "parentRef", "amountPence"])
            return .enforcementDecision(
                envelope,
                EnforcementDecision(
                    caseId: try d.string("caseId", length: 1...maximumIDLength),
                    decision: try d.oneOf(DecisionKind.self, "decision"),
                    decidedOn: try d.date("decidedOn"),
                    officerId: try d.string("officerId", length: 1...maximumIDLength),
                    parentRef: try d.string("parentRef", length: 1...maximumIDLength),
                    amountPence: try d.optionalInt("amountPence", 0...1_000_000)
                )
            )

        case .rollChange:
            try d.rejectUnknown([
                "upn", "laestab", "change", "effectiveDate", "ground", "destinationLaestab", "dualRegistration", "pupil",
            ])
            let upn = try d.upn("upn")
            let laestab = try d.laestab("laestab")
            let change = try d.oneOf(RollChangeKind.self, "change")
            let effectiveDate = try d.date("effectiveDate")
            let ground = try d.optionalOneOf(DeletionGround.self, "ground")
            switch (change, ground) {
            case (.deleted, nil):
                throw Reject(.missingField, "Field data.ground is missing; a deletion must give its ground.", field: "data.ground")
            case (.admitted, .some):
                throw Reject(.malformedField, "Field data.ground is given only for a deletion.", field: "data.ground")
            default: break
            }
            let destination = try d.optionalLaestab("destinationLaestab")
            if change == .admitted, destination != nil {
                throw Reject(
                    .malformedField, "Field data.destinationLaestab is given only for a deletion.", field: "data.destinationLaestab")
            }
            let dual = try d.optionalOneOf(DualRegistration.self, "dualRegistration")
            let pupil = try d.optionalObject("pupil").map { p throws(Reject) in try pupilCharacteristics(p, withDateOfBirth: true) }
            return .rollChange(
                envelope,
                RollChange(
                    upn: upn, laestab: laestab, change: change, effectiveDate: effectiveDate, ground: ground,
                    destinationLaestab: destination, dualRegistration: dual, pupil: pupil
                )
            )

        case .earlyHelpNotification, .enforcementReview, .enforcementReviewWithdrawn:
            // Unreachable: decodeEnvelope accepts input types only.
            throw Reject(.unknownType, "Attribute type is not an input event type of this contract.", field: "type")
        }
    }

    private static func pupilCharacteristics(_ p: FieldReader, withDateOfBirth: Bool) throws(Reject) -> PupilCharacteristics {
        try p.rejectUnknown(
            withDateOfBirth ? ["yearGroup", "fsm", "sen", "cla", "dateOfBirth", "cpp"] : ["yearGroup", "fsm", "sen", "cla", "cpp"])
        return PupilCharacteristics(
            yearGroup: try p.optionalInt("yearGroup", 0...14),
            fsm: try p.optionalBool("fsm"),
            sen: try p.optionalOneOf(SENStatus.self, "sen"),
            cla: try p.optionalBool("cla"),
            dateOfBirth: withDateOfBirth ? try p.optionalDate("dateOfBirth", in: EventDecoder.dateOfBirthRange) : nil,
            cpp: try p.optionalBool("cpp")
        )
    }
}

/// Reads the fields of one JSON object of `data`, rejecting with messages that name the
/// field (`data.child.dateOfBirth`) and never its value.
///
/// Optional fields may be absent or `null`; required fields must be present and not `null`.
struct FieldReader {
    let fields: JSONObject
    let path: String
    let type: EventType

    private func name(_ key: String) -> String { "\(path).\(key)" }

    private func missing(_ key: String) -> Reject {
        Reject(.missingField, "Field \(name(key)) is missing.", field: name(key))
    }

    private func malformed(_ key: String, _ expectation: String) -> Reject {
        Reject(.malformedField, "Field \(name(key)) must be \(expectation).", field: name(key))
    }

    /// Rejects a field the contract does not define. The unknown name is the sender's text,
    /// so it is not repeated; the allowed names are.
    /// `allowed` is a short list, searched in turn.
    func rejectUnknown(_ allowed: [String]) throws(Reject) {
        var unknown = 0
        for m in fields.members where !allowed.contains(m.key) { unknown += 1 }
        guard unknown == 0 else {
            throw Reject(
                .unknownField,
                "Field \(path) has \(unknown == 1 ? "a field" : "\(unknown) fields") that \(type.rawValue) does not define (allowed: \(allowed.sorted().joined(separator: ", "))).",
                field: path
            )
        }
    }

    private func present(_ key: String) -> JSONValue? {
        guard let v = fields[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    func required(_ key: String) throws(Reject) -> JSONValue {
        guard let v = present(key) else { throw missing(key) }
        return v
    }

    func string(_ key: String, length: ClosedRange<Int>) throws(Reject) -> String {
        guard case .string(let s) = try required(key) else { throw malformed(key, "a string") }
        return try checkLength(key, s, length)
    }

    func optionalString(_ key: String, length: ClosedRange<Int>) throws(Reject) -> String? {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v else { throw malformed(key, "a string or null") }
        return try checkLength(key, s, length)
    }

    private func checkLength(_ key: String, _ s: String, _ length: ClosedRange<Int>) throws(Reject) -> String {
        guard length.contains(ByteText.scalarCount(s)) else {
            let upper = length.upperBound == Int.max ? "" : " to \(length.upperBound)"
            throw malformed(
                key, length.upperBound == Int.max ? "at least \(length.lowerBound) characters long" : "\(length.lowerBound)\(upper) characters long")
        }
        return s
    }

    func int(_ key: String, _ range: ClosedRange<Int>) throws(Reject) -> Int {
        let v = try required(key)
        guard let i = v.integerValue, range.contains(i) else {
            throw malformed(key, "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return i
    }

    func optionalInt(_ key: String, _ range: ClosedRange<Int>) throws(Reject) -> Int? {
        guard let v = present(key) else { return nil }
        guard let i = v.integerValue, range.contains(i) else {
            throw malformed(key, "a whole number from \(range.lowerBound) to \(range.upperBound), or null")
        }
        return i
    }

    func bool(_ key: String) throws(Reject) -> Bool {
        guard case .bool(let b) = try required(key) else { throw malformed(key, "true or false") }
        return b
    }

    func optionalBool(_ key: String) throws(Reject) -> Bool? {
        guard let v = present(key) else { return nil }
        guard case .bool(let b) = v else { throw malformed(key, "true, false or null") }
        return b
    }

    /// A `yyyy-MM-dd` date within `range` (events.md: 2000–2099; dates of birth 1990–2099).
    func date(_ key: String, in range: ClosedRange<LocalDate> = EventDecoder.dateRange) throws(Reject) -> LocalDate {
        guard case .string(let s) = try required(key), let d = RFC3339.date(s), range.contains(d) else {
            throw malformed(key, "a date in the form yyyy-MM-dd from \(range.lowerBound) to \(range.upperBound)")
        }
        return d
    }

    func optionalDate(_ key: String, in range: ClosedRange<LocalDate> = EventDecoder.dateRange) throws(Reject) -> LocalDate? {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v, let d = RFC3339.date(s), range.contains(d) else {
            throw malformed(key, "a date in the form yyyy-MM-dd from \(range.lowerBound) to \(range.upperBound), or null")
        }
        return d
    }

    func oneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type, _ key: String) throws(Reject) -> E where E.RawValue == String {
        guard case .string(let s) = try required(key), let e = E(rawValue: s) else {
            throw malformed(key, "one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return e
    }

    func optionalOneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type, _ key: String) throws(Reject) -> E? where E.RawValue == String {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v, let e = E(rawValue: s) else {
            throw malformed(key, "one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), or null")
        }
        return e
    }

    func object(_ key: String) throws(Reject) -> FieldReader {
        guard case .object(let o) = try required(key) else { throw malformed(key, "an object") }
        return FieldReader(fields: o, path: name(key), type: type)
    }

    func optionalObject(_ key: String) throws(Reject) -> FieldReader? {
        guard let v = present(key) else { return nil }
        guard case .object(let o) = v else { throw malformed(key, "an object or null") }
        return FieldReader(fields: o, path: name(key), type: type)
    }

    func upn(_ key: String) throws(Reject) -> UPN {
        guard case .string(let s) = try required(key) else { throw malformed(key, "a string") }
        return try validUPN(key, s)
    }

    func optionalUPN(_ key: String) throws(Reject) -> UPN? {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v else { throw malformed(key, "a string or null") }
        return try validUPN(key, s)
    }

    private func validUPN(_ key: String, _ s: String) throws(Reject) -> UPN {
        // A UPN as stored (upper case, valid) is taken on its bytes; anything else is judged below.
        if let upn = UPN(canonical: s) { return upn }
        // Exactly 13 characters: surrounding spaces are a wrong length here, as in the schema.
        let reason: UPN.Invalid
        if s.count != 13 || s.contains(where: \.isWhitespace) {
            reason = .wrongLength
        } else {
            do {
                return try UPN(validating: s)
            } catch {
                reason = error
            }
        }
        throw Reject(
            .invalidUPN, "Field \(name(key)) is not a valid UPN: \(reason.description) [census rule \(reason.censusRule)].", field: name(key))
    }

    func laestab(_ key: String) throws(Reject) -> LAESTAB {
        guard case .string(let s) = try required(key) else { throw malformed(key, "a string") }
        return try validLaestab(key, s)
    }

    func optionalLaestab(_ key: String) throws(Reject) -> LAESTAB? {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v else { throw malformed(key, "a string or null") }
        return try validLaestab(key, s)
    }

    private func validLaestab(_ key: String, _ s: String) throws(Reject) -> LAESTAB {
        if let l = LAESTAB(canonical: s) { return l }
        guard s.utf8.count == 7, let l = try? LAESTAB(validating: s) else {
            throw malformed(key, "7 digits: a 3-digit LA code then a 4-digit establishment number")
        }
        return l
    }
}
